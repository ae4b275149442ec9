"""What a chapter needs from the book machinery, with fallbacks so it also runs on Colab.

Chapters put computed numbers into their prose with MyST-NB's ``glue``. On Colab or in plain
Jupyter ``myst_nb`` is usually not installed; there :func:`glue` still works: it shows the
value when asked to display it and otherwise does nothing (the prose's ``{glue:text}`` roles are
rendered only by the book build).
"""

from typing import Any

__all__ = ["glue", "glue_summary"]


def glue(name: str, variable: Any, display: bool = True) -> None:
    """``myst_nb.glue`` when MyST-NB is installed (book builds), else a display-only fallback."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"name: expected a non-empty str, got {name!r}")
    try:
        from myst_nb import glue as _glue
    except ImportError:
        if display:
            from IPython.display import display as _display

            _display(variable)
        return
    _glue(name, variable, display=display)


def glue_summary(prefix: str, result) -> dict:
    """Glue every entry of ``result.summary()`` as ``{prefix}_{name}`` (not displayed).

    The chapter's prose then quotes them with ``{glue:text}`prefix_name:.2f```. Returns the
    summary, so a cell can also show it.

    Args:
      prefix: a short identifier, e.g. ``"order"``.
      result: an experiment's result, with a ``summary() -> dict`` method.
    """
    if not isinstance(prefix, str) or not prefix.isidentifier():
        raise ValueError(f"prefix: expected an identifier such as 'order', got {prefix!r}")
    summary = getattr(result, "summary", None)
    if not callable(summary):
        raise TypeError(f"result: expected an experiment result with a summary() method, got "
                        f"{type(result).__name__}")
    values = summary()
    if not isinstance(values, dict):
        raise TypeError(f"result.summary(): expected a dict, got {type(values).__name__}")
    for name, value in values.items():
        glue(f"{prefix}_{name}", value, display=False)
    return values
