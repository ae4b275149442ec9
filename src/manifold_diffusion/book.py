"""What a chapter needs from the book machinery, with fallbacks so it also runs on Colab.

Chapters put computed numbers into their prose with MyST-NB's ``glue``. On Colab or in plain
Jupyter ``myst_nb`` is usually not installed; there :func:`glue` still works: it shows the
value when asked to display it and otherwise does nothing (the prose's ``{glue:text}`` roles are
rendered only by the book build).
"""

from typing import Any

__all__ = ["glue"]


def glue(name: str, variable: Any, display: bool = True) -> None:
    """``myst_nb.glue`` when MyST-NB is installed (book builds), else a display-only fallback."""
    try:
        from myst_nb import glue as _glue
    except ImportError:
        if display:
            from IPython.display import display as _display

            _display(variable)
        return
    _glue(name, variable, display=display)
