r"""Creativity against the patch size: novelty and fidelity of the equivariant score as :math:`P` varies.

The boundary-broken equivariant score (ES) of :math:`S_1` at a constant patch size :math:`P`
for each :math:`P` of ``patch_sizes``, sampled from the same prior draws by the chapter's ODE
sampler. :math:`P = 15` covers the image from every pixel and is the global empirical score
(the memorizer); :math:`P = 1` makes every pixel's posterior a posterior over single training
pixels, which knows nothing of strokes. Read-outs per :math:`P`, all by chapter 6's judge
(:func:`~manifold_diffusion.metrics.fidelity_report`: classifier trained on :math:`S_2`):
memorized fraction, novelty (mean distance to the nearest training digit), classifier confidence
and class entropy, total variation and high-frequency energy (sharpness), Fréchet distance in
PCA-16 to :math:`S_2`; and the mosaic fraction (:mod:`.accounts`). The references, measured the
same way on as many images: copies of training digits (the memorizer) and the held-out digits.

:func:`frame` draws a few samples at one :math:`P` for the widget (:func:`patch_widget`), whose
static twin is :func:`plot_samples`.
"""

import dataclasses
from typing import NamedTuple

import numpy as np

from ... import metrics, plotting
from ...keys import check_key
from ..harness import ExperimentConfig, Meta, experiment
from . import _common

__all__ = ["Config", "Result", "run", "plot", "plot_samples", "Frame", "frame", "plot_frame",
           "patch_widget"]

#: The columns of ``Result.rows``: FidelityReport fields, then the mosaic fraction.
COLUMNS = ("memorized", "novelty", "confidence", "class_entropy", "total_variation",
           "high_frequency", "frechet_pca", "mosaic")


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Attributes: patch_sizes: constant patch sizes of the ES (15: the empirical score).
    n_samples, n_ode_steps: the sampler. mosaic_patch_size: of the mosaic check."""

    patch_sizes: tuple = (1, 3, 5, 7, 9, 15)
    n_samples: int = 100
    n_ode_steps: int = 24
    mosaic_patch_size: int = 3
    overrides = {"quick": dict(patch_sizes=(1, 5, 15), n_samples=32, n_ode_steps=10),
                 "large": dict(patch_sizes=(1, 3, 5, 7, 9, 11, 13, 15), n_samples=400,
                               n_ode_steps=32)}

    def sizes(self):
        return {"N": 850, "b": self.n_samples, "ODE steps": self.n_ode_steps,
                "P": "/".join(map(str, self.patch_sizes))}


class Result(NamedTuple):
    """Attributes:
      patch_sizes: ``(m,)``.
      rows: ``(m, 8)`` the :data:`COLUMNS` per patch size.
      copies, held_out: ``(8,)`` the same for copies of training digits and held-out digits.
      samples: ``(m, 12, 64)`` the first samples per patch size.
      meta.
    """

    patch_sizes: np.ndarray
    rows: np.ndarray
    copies: np.ndarray
    held_out: np.ndarray
    samples: np.ndarray
    meta: Meta | None = None

    def column(self, name: str) -> np.ndarray:
        """One column of ``rows``."""
        return self.rows[:, COLUMNS.index(name)]

    def summary(self) -> dict:
        """``p<P>_<column>`` for every patch size and column; ``copies_`` and ``held_`` rows; and,
        under names that exist at every scale, ``first_``, ``last_`` and ``best_`` rows: the
        smallest and largest patch size, and the one of highest classifier confidence among those
        with less than 5 % memorized samples (``best_p``, ``first_p``, ``last_p`` their sizes);
        ``sizes``: every patch size, as text."""
        new = np.flatnonzero(self.column("memorized") < 0.05)
        best = new[np.argmax(self.column("confidence")[new])] if new.size else len(self.rows) - 1
        named = {"first": 0, "best": int(best), "last": len(self.rows) - 1}
        out = {f"{tag}_p": int(self.patch_sizes[i]) for tag, i in named.items()}
        out["sizes"] = ", ".join(str(int(p)) for p in self.patch_sizes)
        rows = [(f"p{p}", r) for p, r in zip(self.patch_sizes, self.rows)]
        rows += [(tag, self.rows[i]) for tag, i in named.items()]
        rows += [("copies", self.copies), ("held", self.held_out)]
        for tag, row in rows:
            out.update({f"{tag}_{c}": float(v) for c, v in zip(COLUMNS, row)})
        return out


def _row(report: metrics.FidelityReport, mosaic: float) -> list:
    return [getattr(report, c) for c in COLUMNS[:-1]] + [mosaic]


@experiment("locality: novelty and fidelity of the equivariant score against the patch size")
def run(key, config: Config) -> Result:
    """Sample the ES at each constant patch size from the same prior draws; judge them."""
    sets = _common.digit_sets(key)
    clf = _common.judge(key)
    n, q = config.n_samples, config.mosaic_patch_size
    held = sets.held_out[:n]
    tolerance = float(np.median(np.asarray(
        metrics.patch_distances(held, sets.first, _common.SHAPE, q)).max(axis=1)))

    def judged(x):
        rep = metrics.fidelity_report(x, sets.first, clf, sets.second)
        mos = metrics.mosaic_report(x, sets.first, _common.SHAPE, q, tolerance)
        return _row(rep, mos.fraction_mosaic)

    rows, shown = [], []
    for p in config.patch_sizes:
        x = _common.samples(key, ("es", int(p)), _common.equivariant(key, int(p)), n,
                            config.n_ode_steps)
        rows.append(judged(x))
        shown.append(np.asarray(x[:12]))
    return Result(np.asarray(config.patch_sizes), np.asarray(rows), np.asarray(judged(sets.first[:n])),
                  np.asarray(judged(held)), np.stack(shown))


def plot(result: Result):
    """Against :math:`P`, one statistic per panel, each with its own labelled axis: memorized
    and mosaic fractions; novelty; classifier confidence; class entropy; high-frequency energy;
    Fréchet distance (PCA-16) -- with copies and held-out digits as horizontal lines."""
    _common.check_result(result, Result, "result")
    p = result.patch_sizes
    panels = (((("memorized", "C3"), ("mosaic", "C0")), "fraction of samples"),
              ((("novelty", "C2"),), "novelty (to nearest of S₁)"),
              ((("confidence", "C1"),), "classifier confidence"),
              ((("class_entropy", "C4"),), "class entropy (nats)"),
              ((("high_frequency", "C5"),), "high-frequency energy"),
              ((("frechet_pca", "C6"),), "Fréchet distance, PCA-16"))
    with plotting.style():
        fig, axes = plotting.figure(3, 2, width=2.2, height=2.0)
        for ax, (series, ylabel) in zip(axes.flat, panels):
            for name, colour in series:
                ax.plot(p, result.column(name), "o-", color=colour, ms=4, label=name.replace("_", " "))
                i = COLUMNS.index(name)
                ax.axhline(result.held_out[i], color=colour, ls=":", lw=1)
                ax.axhline(result.copies[i], color=colour, ls="--", lw=0.8, alpha=0.6)
            ax.set_xticks(p)
            ax.set_ylabel(ylabel, fontsize=8)
            if len(series) > 1:
                ax.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
        for ax in axes[1]:
            ax.set_xlabel("patch size P")
        return plotting.finish(fig, result.meta, "dotted: held-out digits; dashed: copies of "
                               "training digits; P = 15: the global empirical score")


def plot_samples(result: Result):
    """12 samples per patch size (same prior draws): the static twin of :func:`patch_widget`."""
    _common.check_result(result, Result, "result")
    with plotting.style():
        fig, axes = plotting.figure(1, len(result.patch_sizes), width=6.0, height=0.8)
        for i, (ax, p) in enumerate(zip(axes[:, 0], result.patch_sizes)):
            plotting.image_grid(ax, result.samples[i], ncols=12)
            ax.set_title(f"P = {p}: memorized {result.column('memorized')[i]:.2f}, novelty "
                         f"{result.column('novelty')[i]:.2f}, confidence "
                         f"{result.column('confidence')[i]:.2f}", fontsize=7.5)
        return plotting.finish(fig, result.meta)


class Frame(NamedTuple):
    """One frame of :func:`patch_widget`.

    Attributes: patch_size. samples: ``(b, 64)``. neighbours: ``(b, 64)`` their nearest training
    digits. memorized, novelty: as in :class:`Result`.
    """

    patch_size: int
    samples: np.ndarray
    neighbours: np.ndarray
    memorized: float
    novelty: float


def frame(key, config: Config, patch_size: int, n_samples: int = 24) -> Frame:
    """``n_samples`` samples of the ES at ``patch_size`` (the same prior draws for every size)."""
    key = check_key("key", key)
    _common.check_result(config, Config, "config")
    sets = _common.digit_sets(key)
    x = _common.samples(key, ("es", int(patch_size)), _common.equivariant(key, int(patch_size)),
                        n_samples, config.n_ode_steps)
    rep = metrics.memorization_report(x, sets.first)
    return Frame(int(patch_size), np.asarray(x), np.asarray(sets.first)[np.asarray(rep.nearest_index)],
                 float(rep.fraction_memorized), float(np.mean(np.asarray(rep.nearest_distance))))


def plot_frame(fr: Frame):
    """The samples beside their nearest training digits."""
    _common.check_result(fr, Frame, "result")
    with plotting.style():
        fig, axes = plotting.figure(2, width=3.0, height=2.6)
        plotting.image_grid(axes[0, 0], fr.samples, ncols=6, title=f"ES samples, P = {fr.patch_size}")
        plotting.image_grid(axes[0, 1], fr.neighbours, ncols=6, title="nearest training digits")
        fig.suptitle(f"memorized {fr.memorized:.2f}; novelty {fr.novelty:.2f}", fontsize=8)
        return fig


def patch_widget(key, config: Config, patch_sizes=(1, 3, 5, 7, 9, 11, 13, 15), *, value: int = 5,
                 draw_now: bool = False):
    """A slider over the patch size drawing :func:`plot_frame`; returns ``(widget, update)``
    (:func:`~manifold_diffusion.widgets.slider`). Its static twin is :func:`plot_samples`."""
    from ... import widgets

    _common.check_result(config, Config, "config")
    return widgets.slider([int(p) for p in patch_sizes], lambda p: frame(key, config, int(p)),
                          plot_frame, value=value, description="patch size", draw_now=draw_now)
