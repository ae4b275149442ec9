"""Figure helpers shared by every chapter: a house style and a caption line with the sizes.

Every figure in the book says how it was made (sizes, seed, scale, device, run time): call
:func:`finish` on it with the experiment's :class:`~manifold_diffusion.experiments.Meta`.

**Readable on the page.** The site shows a figure's PNG at its natural size (one image pixel per
CSS pixel) up to the width of the text column, and shrinks anything wider. Font sizes are set
in points at :data:`DPI` (110) pixels per inch, so a font of ``s`` points is ``s * 110 / 72``
CSS pixels on the page *if the figure is not shrunk*: 8-point tick labels are 12 px, the
8.5-point caption 13 px, 9-point titles 14 px (the page's body text is 16 px). The text column of
the site measured 688 CSS pixels in a 1280-pixel-wide window and 790 in a 1920-pixel one
(Chromium, sphinx-book-theme 1.3). :func:`finish` therefore enforces a width policy: a figure
wider than :data:`MAX_WIDTH` (6.8 inches, 750 px) is scaled down to it, canvas only -- every
font, line and marker keeps its size in points, so the text stays at the sizes above (at most
10 % smaller in a 1280-pixel window) while the panels get smaller; its height shrinks in
proportion but not below :data:`MIN_HEIGHT`, so that a row of five panels keeps room to plot.
The canvas shrinks by :data:`MIN_SCALE` (0.7) at most: titles and tick labels sized for a wider
panel would collide beyond that, so a figure designed wider than ``MAX_WIDTH / MIN_SCALE``
(9.7 inches) is still shrunk by the browser, and its text is smaller than the sizes above: lay
such a figure out on two rows.
(Before this policy, a five-panel figure 11 inches wide was shown at 62 % in the wide window and
55 % in the narrow one, and its 7-point caption read at 4-4.5 pt.)
"""

import contextlib
import re
import textwrap

import matplotlib
import matplotlib.axes
import matplotlib.figure
import matplotlib.pyplot as plt

from ._checks import check_in_interval, check_positive, check_positive_int, check_type

__all__ = ["STYLE", "DPI", "MAX_WIDTH", "MIN_HEIGHT", "MIN_SCALE", "CAPTION_SIZE", "style", "figure", "fit_width", "finish",
           "image_grid"]

#: pixels per inch of every figure (and of its PNG on the site)
DPI = 110
#: widest figure in inches (750 CSS pixels at :data:`DPI`; module docstring)
MAX_WIDTH = 6.8
#: a figure :func:`finish` scales down keeps at least this height (inches), if it had it
MIN_HEIGHT = 2.5
#: the smallest factor :func:`finish` scales a canvas by
MIN_SCALE = 0.7
#: font size of the caption line, in points (13 CSS pixels on the page)
CAPTION_SIZE = 8.5

STYLE = {
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "font.size": 8.5,
    "axes.titlesize": 9,
    "axes.labelsize": 8.5,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
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
    """A figure with ``nrows x ncols`` panels of ``width x height`` inches in the house style.

    :func:`finish` scales a figure wider than :data:`MAX_WIDTH` down to it (module docstring).
    """
    ncols = check_positive_int("ncols", ncols)
    nrows = check_positive_int("nrows", nrows)
    check_positive("width", width)
    check_positive("height", height)
    with style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows),
                                 layout="constrained", squeeze=False, **kwargs)
    return fig, axes


def fit_width(fig, max_width: float = MAX_WIDTH, min_height: float = MIN_HEIGHT,
              min_scale: float = MIN_SCALE):
    """Scale ``fig``'s canvas down towards ``max_width`` inches if it is wider, by a factor of at
    least ``min_scale``; fonts, lines and markers keep their sizes in points. The height shrinks by
    the same factor, but not below ``min(min_height, height)``. Returns ``fig``."""
    check_type("fig", fig, matplotlib.figure.Figure, "a matplotlib Figure")
    check_positive("max_width", max_width)
    check_positive("min_height", min_height)
    check_in_interval("min_scale", min_scale, 0.0, 1.0)
    w, h = fig.get_size_inches()
    if w > max_width:
        scale = max(max_width / w, min_scale)
        fig.set_size_inches(w * scale, max(h * scale, min(h, min_height)), forward=False)
    return fig


#: A number and the unit after it ("30.4 s", "2 cores", "80 GB"), kept on one caption line.
_NUMBER_UNIT = re.compile(r"(?<=\d) (?=(?:s|ms|min|h|cores?|host devices?|GB|GiB|MB|%|x)(?![\w]))")


def _keep_units(text: str) -> str:
    """``text`` with a non-breaking space between a number and its unit ("30.4 s", "2 cores"),
    so that wrapping a caption never leaves a unit alone at the start of a line."""
    return _NUMBER_UNIT.sub("\u00a0", text)


def finish(fig, meta, note: str = ""):
    """Add the caption line (``meta.caption()``, plus ``note``) under the figure, fit the figure to
    the page width (:data:`MAX_WIDTH`, module docstring); return it.

    Args:
      fig: a matplotlib figure.
      meta: the experiment's :class:`~manifold_diffusion.experiments.Meta` (anything with
        ``caption() -> str``).
      note: an extra sentence after the caption line.
    """
    check_type("fig", fig, matplotlib.figure.Figure, "a matplotlib Figure")
    caption = getattr(meta, "caption", None)
    if not callable(caption):
        raise TypeError(f"meta: expected an experiment Meta with a caption() method, got "
                        f"{type(meta).__name__}")
    check_type("note", note, str, "a str")
    fit_width(fig)
    # wrap to the figure's width: a character of DejaVu Sans at s points is about 0.55 s points
    # wide on average (0.6 leaves a margin, so no line runs past the canvas); a number keeps its
    # unit on its line ("13.5 s", not "13.5 / s")
    width = max(40, int(fig.get_figwidth() * 72 / (0.6 * CAPTION_SIZE)))
    lines = [textwrap.fill(_keep_units(part), width) for part in (caption(), note) if part]
    fig.supxlabel("\n".join(lines), fontsize=CAPTION_SIZE, color="0.25")
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

    from ._checks import as_numpy_float, check_shape_tuple

    check_type("ax", ax, matplotlib.axes.Axes, "a matplotlib Axes")
    arr = as_numpy_float("images", images)
    shape = check_shape_tuple("shape", shape)
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"shape: expected (h, w) with h, w >= 1, got {shape}")
    h, w = shape
    if arr.ndim not in (2, 3) or arr.shape[0] == 0 or int(np.prod(arr.shape[1:])) != h * w:
        raise ValueError(f"images: expected shape (b, {h * w}) or (b, {h}, {w}) (from shape), got "
                         f"{arr.shape}")
    arr = arr.reshape(-1, h, w)
    b = arr.shape[0]
    ncols = max(1, int(np.ceil(np.sqrt(b)))) if ncols is None else check_positive_int("ncols", ncols)
    gap = check_positive_int("gap", gap, minimum=0)
    if len(value_range) != 2 or not value_range[0] < value_range[1]:
        raise ValueError(f"value_range: expected (low, high) with low < high, got {value_range!r}")
    if cmap not in matplotlib.colormaps:
        raise ValueError(f"cmap: expected a matplotlib colour map name, got {cmap!r}")
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
