"""The introduction's opening figure: :mod:`.question`."""

from . import question

__all__ = ["question"]
