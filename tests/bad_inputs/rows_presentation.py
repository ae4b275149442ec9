"""Bad-input rows: figure helpers, sliders, the book's glue.

Format and classes as in ``rows_core.py``.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from manifold_diffusion import book, plotting, widgets  # noqa: E402
from manifold_diffusion.experiments.harness import Meta  # noqa: E402

META = Meta("demo", "n=3", "seed 0", "quick", "cpu", 0.1, "0.1.0")


def _axes():
    fig, ax = plt.subplots()
    plt.close(fig)
    return ax


class _NoSummary:
    summary = None


class _BadSummary:
    def summary(self):
        return [1, 2]


PL = "manifold_diffusion.plotting."
W = "manifold_diffusion.widgets."
BK = "manifold_diffusion.book."

OBJECTS = [
    (PL + "finish", lambda: plotting.finish("figure", META), TypeError, "fig:"),
    (PL + "finish", lambda: plotting.finish(plt.figure(), "meta"), TypeError, "meta:"),
    (PL + "finish", lambda: plotting.finish(plt.figure(), META, note=3), TypeError, "note:"),
    (PL + "fit_width", lambda: plotting.fit_width(None), TypeError, "fig:"),
    (PL + "image_grid", lambda: plotting.image_grid("ax", np.zeros((4, 64))), TypeError, "ax:"),
    (PL + "image_grid", lambda: plotting.image_grid(_axes(), "images"), TypeError, "images:"),
    (PL + "image_grid", lambda: plotting.image_grid(_axes(), np.zeros((4, 64)), cmap="no_such_map"), ValueError,
     "cmap:"),
    (W + "sliders", lambda: widgets.sliders([("a", [1, 2])], lambda a: a), TypeError, "controls:"),
    (W + "sliders", lambda: widgets.sliders({"a": [1, 2]}, "compute"), TypeError, "compute:"),
    (W + "sliders", lambda: widgets.sliders({"a": [1, 2]}, lambda a: a, plot=3), TypeError, "plot:"),
    (W + "sliders", lambda: widgets.sliders({"a": 5}, lambda a: a), TypeError, "options:"),
    (W + "sliders", lambda: widgets.sliders({"a": [1, 2]}, lambda a: a, values=[1]), TypeError, "values:"),
    (W + "slider", lambda: widgets.slider([1, 2], None), TypeError, "compute:"),
    (W + "slider", lambda: widgets.slider("abc", lambda v: v), TypeError, "options:"),
    (W + "slider", lambda: widgets.slider([1, 2], lambda v: v, description=5), TypeError, "description:"),
    (BK + "glue_summary", lambda: book.glue_summary("p", _NoSummary()), TypeError, "result:"),
    (BK + "glue_summary", lambda: book.glue_summary("p", _BadSummary()), TypeError, "summary"),
    (BK + "glue", lambda: book.glue(3, 1.0, display=False), TypeError, "name:"),
    (BK + "markdown_table_html", lambda: book.markdown_table_html(3), TypeError, "markdown:"),
    (BK + "markdown_table_html", lambda: book.markdown_table_html("no table"), ValueError, "markdown:"),
    (BK + "markdown_table_html", lambda: book.markdown_table_html("| a |\n| b |"), ValueError, "markdown:"),
    (BK + "HTMLTable", lambda: book.HTMLTable(None), TypeError, "markdown:"),
]

SHAPES = [
    (PL + "image_grid", lambda: plotting.image_grid(_axes(), np.zeros((4, 63))), ValueError, "images:"),
    (PL + "image_grid", lambda: plotting.image_grid(_axes(), np.zeros((0, 64))), ValueError, "images:"),
    (PL + "image_grid", lambda: plotting.image_grid(_axes(), np.zeros((4, 64)), shape=(8,)), ValueError, "shape:"),
    (PL + "image_grid", lambda: plotting.image_grid(_axes(), np.zeros((4, 64)), shape=(-8, -8)), ValueError,
     "shape:"),
    (PL + "figure", lambda: plotting.figure(0), ValueError, "ncols:"),
    (PL + "figure", lambda: plotting.figure(2, nrows=-1), ValueError, "nrows:"),
]

VALUES = [
    (PL + "figure", lambda: plotting.figure(2, width=0.0), ValueError, "width:"),
    (PL + "figure", lambda: plotting.figure(2, height=-3.0), ValueError, "height:"),
    (PL + "figure", lambda: plotting.figure(1.5), TypeError, "ncols:"),
    (PL + "fit_width", lambda: plotting.fit_width(plt.figure(), max_width=0.0), ValueError, "max_width:"),
    (PL + "fit_width", lambda: plotting.fit_width(plt.figure(), min_scale=1.5), ValueError, "min_scale:"),
    (PL + "image_grid", lambda: plotting.image_grid(_axes(), np.zeros((4, 64)), gap=-1), ValueError, "gap:"),
    (PL + "image_grid", lambda: plotting.image_grid(_axes(), np.zeros((4, 64)), ncols=0), ValueError, "ncols:"),
    (PL + "image_grid", lambda: plotting.image_grid(_axes(), np.zeros((4, 64)), value_range=(1.0, 0.0)),
     ValueError, "value_range:"),
    (W + "sliders", lambda: widgets.sliders({}, lambda: None), ValueError, "controls:"),
    (W + "sliders", lambda: widgets.sliders({"a": []}, lambda a: a), ValueError, "options:"),
    (W + "sliders", lambda: widgets.sliders({"a": [1, 2]}, lambda a: a, values={"b": 1}), ValueError, "values:"),
    (W + "sliders", lambda: widgets.sliders({"a": ["x", "y"]}, lambda a: a, values={"a": "z"}), ValueError,
     "value:"),
    (W + "slider", lambda: widgets.slider([], lambda v: v), ValueError, "options:"),
    (BK + "glue_summary", lambda: book.glue_summary("not an identifier", _BadSummary()), ValueError, "prefix:"),
    (BK + "glue_summary", lambda: book.glue_summary(3, _BadSummary()), ValueError, "prefix:"),
]

ROWS = OBJECTS + SHAPES + VALUES
