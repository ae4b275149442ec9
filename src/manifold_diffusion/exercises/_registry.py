"""The registry behind :func:`manifold_diffusion.exercises.check`."""

import importlib
import pkgutil
from typing import Any, Callable

__all__ = ["check", "checker", "available", "CheckFailed"]

_CHECKERS: dict[str, Callable[[Any], str | None]] = {}


class CheckFailed(AssertionError):
    """Raised by :func:`check` with ``strict=True`` when an answer is wrong."""


def checker(name: str):
    """Register the decorated function as the checker of exercise ``name`` (``"chapter.topic"``)."""
    if not isinstance(name, str) or "." not in name:
        raise ValueError(f"checker name must look like 'chapter.topic', got {name!r}")

    def register(fn):
        if name in _CHECKERS and _CHECKERS[name] is not fn:
            raise ValueError(f"a checker named {name!r} is already registered")
        _CHECKERS[name] = fn
        return fn

    return register


def _load_all() -> None:
    """Import every module of this package, so that their checkers are registered."""
    from .. import exercises as package

    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{info.name}")


def available() -> list[str]:
    """The names of all exercises that have a checker, sorted."""
    _load_all()
    return sorted(_CHECKERS)


def check(name: str, answer: Any, *, strict: bool = False, verbose: bool = True) -> bool:
    """Check ``answer`` to the coding exercise ``name``; print and return whether it is right.

    Args:
      name: the exercise, as printed in its statement (see :func:`available`).
      answer: what the exercise asks for (a function, an array, a number).
      strict: raise :class:`CheckFailed` instead of returning ``False`` (for tests and graders).
      verbose: print the verdict.
    """
    _load_all()
    if name not in _CHECKERS:
        raise ValueError(f"no exercise named {name!r}; available: {', '.join(sorted(_CHECKERS))}")
    try:
        message = _CHECKERS[name](answer)
    except AssertionError as err:
        if strict:
            raise CheckFailed(f"{name}: {err}") from err
        if verbose:
            print(f"✗ {name}: not yet. {err}")
        return False
    if verbose:
        print(f"✓ {name}: correct." + (f" {message}" if message else ""))
    return True
