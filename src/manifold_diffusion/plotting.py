"""Figure helpers shared by every chapter: a house style and a caption line with the sizes.

Every figure in the book says how it was made (sizes, seed, scale, device, run time): call
:func:`finish` on it with the experiment's :class:`~manifold_diffusion.experiments.Meta`.
"""

import contextlib
import textwrap

import matplotlib
import matplotlib.pyplot as plt

__all__ = ["STYLE", "style", "figure", "finish", "image_grid"]

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


def image_grid(ax, images, *, shape=(8, 8), ncols: int | None = None, value_range=(0.0, 1.0),
               cmap: str = "gray_r", gap: int = 1, title: str | None = None):
    """Draw ``images`` as one mosaic in ``ax`` and return ``ax``.

    Args:
      ax: a matplotlib axes.
      images: ``(b, h * w)`` flattened images (or ``(b, h, w)``), row-major.
      shape: ``(h, w)`` of one image.
      ncols: images per row (default: about ``sqrt(b)``).
      value_range: the pixel values drawn as the two ends of ``cmap`` (values outside are
        clipped by the colour map).
      cmap: colour map (default white background, dark strokes).
      gap: pixels of background between images.
      title: optional axes title.
    """
    import numpy as np

    arr = np.asarray(images, dtype=float)
    h, w = shape
    arr = arr.reshape(-1, h, w)
    b = arr.shape[0]
    ncols = max(1, int(np.ceil(np.sqrt(b)))) if ncols is None else int(ncols)
    nrows = int(np.ceil(b / ncols))
    mosaic = np.full((nrows * (h + gap) - gap, ncols * (w + gap) - gap), np.nan)
    for i in range(b):
        r, c = divmod(i, ncols)
        mosaic[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = arr[i]
    colours = matplotlib.colormaps[cmap].with_extremes(bad="#c8d0d8")
    ax.imshow(mosaic, cmap=colours, vmin=value_range[0], vmax=value_range[1],
              interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title)
    return ax
