"""Figure helpers shared by every chapter: a house style and a caption line with the sizes.

Every figure in the book says how it was made (sizes, seed, scale, device, run time): call
:func:`finish` on it with the experiment's :class:`~manifold_diffusion.experiments.Meta`.
"""

import contextlib
import textwrap

import matplotlib
import matplotlib.pyplot as plt

__all__ = ["STYLE", "style", "figure", "finish"]

STYLE = {
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "font.size": 9,
    "axes.titlesize": 10,
    "legend.fontsize": 8,
    "legend.frameon": False,
}


@contextlib.contextmanager
def style():
    """Context manager applying the house style; wrap all drawing of a figure in it.

    It restores only the keys of :data:`STYLE` on exit. (``plt.rc_context`` restores every
    rcParam: when the first figure of a notebook session is drawn inside it, the exit also undoes
    the inline backend's ``interactive = True``, and no later figure is displayed.)
    """
    saved = {name: matplotlib.rcParams[name] for name in STYLE}
    matplotlib.rcParams.update(STYLE)
    try:
        yield
    finally:
        matplotlib.rcParams.update(saved)


def figure(ncols: int = 1, nrows: int = 1, *, width: float = 3.0, height: float = 3.0, **kwargs):
    """A figure with ``nrows x ncols`` panels of ``width x height`` inches in the house style."""
    with style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows),
                                 layout="constrained", squeeze=False, **kwargs)
    return fig, axes


def finish(fig, meta, note: str = ""):
    """Add the caption line (``meta.caption()``, plus ``note``) under the figure; return it."""
    # wrap to the figure's width: about 17 characters of 7-point text per inch
    width = max(40, int(fig.get_figwidth() * 17))
    lines = [textwrap.fill(part, width) for part in (meta.caption(), note) if part]
    fig.supxlabel("\n".join(lines), fontsize=7, color="0.35")
    return fig
