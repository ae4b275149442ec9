r"""Checkers for the book's coding exercises.

A student solves a coding exercise in the notebook and calls, for example::

    from manifold_diffusion import exercises
    exercises.check("manifold.memorization", my_function)

The checker runs the answer against the library's own implementation (or a closed form) on
fresh inputs and prints either a confirmation or what went wrong; it returns ``True`` or
``False`` and never raises on a wrong answer, so a teacher's notebook runs to the end.
:func:`available` lists the exercises that have a checker. Each chapter registers its checkers in
a module of this package with the :func:`checker` decorator; a checker is a function
``(answer) -> str | None`` that raises :class:`AssertionError` with a helpful message when the
answer is wrong and may return a short confirmation text.
"""

from ._registry import CheckFailed, available, check, checker

__all__ = ["check", "checker", "available", "CheckFailed"]
