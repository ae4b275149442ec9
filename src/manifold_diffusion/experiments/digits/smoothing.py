r"""Score smoothing on the digits, fixed: fresh kernel draws, early stopping with a Tweedie step,
1,000 samples; modes and intrinsic dimension against as many held-out digits; pixels and PCA-16.

The smoothed empirical score of :math:`S_1` (850 digits) with bandwidth :math:`h`
(:class:`~manifold_diffusion.scores.ResampledSmoothedScore`: ``n_draws`` fresh antithetic draws
per score call and per sample, so no fixed set of barycentres), sampled by Euler--Maruyama on the
VE process (:math:`\sigma_{\max} = 10`, ``n_steps`` geometric steps down to
:math:`t_{\min} = 10^{-3}`, i.e. noise :math:`\sigma = 0.03`) followed by one Tweedie step
(the posterior mean at :math:`t_{\min}`). :math:`h = 0` is the empirical score itself, the
memorizing reference. Read-outs, per bandwidth:

- memorized fraction and novelty (:mod:`~manifold_diffusion.metrics.memorization`), in the
  sweep's own coordinates (pixels, or the 16 PCA coordinates against the projected digits);
- **distinct modes**: connected components of the samples at linkage distance
  ``mode_radius`` (:func:`~manifold_diffusion.metrics.count_modes`): copies of training digits
  count once per digit hit, a collapse onto a few barycentres shows as few modes;
- **intrinsic dimension** (TwoNN and Levina--Bickel) of :math:`m` samples against :math:`m`
  held-out digits (:math:`S_2` and the 97 others: :math:`m = \min(b, 947)`), the estimators being
  sensitive to the number of points;
- the fidelity report (:mod:`.fidelity`'s statistics) of the first 850 samples.

**PCA-16.** The same in the coordinates of the top 16 principal components of :math:`S_1`: the
empirical score of the projected digits in :math:`\mathbb R^{16}`, smoothed with the same
bandwidths (a kernel displacement there has length :math:`h\sqrt{16}` instead of
:math:`h\sqrt{64}`); samples are mapped back to pixels for the fidelity statistics, and the
dimension is measured in the 16 coordinates against the projected held-out digits.
"""

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ... import metrics, plotting
from ...keys import named_keys
from ...processes import geometric_grid
from ...samplers import sample
from ...scores import EmpiricalScore, ResampledSmoothedScore
from ..harness import ExperimentConfig, Meta, experiment
from . import _shared

__all__ = ["Config", "Result", "run", "plot", "plot_samples", "Frame", "frame", "plot_frame",
           "bandwidth_widget"]

_COLUMNS = ("memorized", "novelty", "modes", "two_nn", "levina_bickel")


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Attributes: bandwidths: kernel stds :math:`h` (0: the empirical score). n_samples,
    n_draws, n_steps, t_min: the sampler. pca_dim: the PCA space. mode_radius: linkage distance of
    the mode count (pixel units; neighbouring digits of :math:`S_1` are about 1 apart)."""

    bandwidths: tuple = (0.0, 0.3, 0.4, 0.5)
    n_samples: int = 1000
    n_draws: int = 8
    n_steps: int = 60
    t_min: float = 1e-3
    pca_dim: int = 16
    mode_radius: float = 0.1
    overrides = {"quick": dict(bandwidths=(0.0, 0.4), n_samples=200, n_draws=4, n_steps=20),
                 "large": dict(bandwidths=(0.0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6),
                               n_draws=64, n_steps=200)}


class Result(NamedTuple):
    """The sweep in pixels and in PCA-16.

    Attributes:
      bandwidths: ``(m,)``.
      pixels, pca: ``(m, 5)`` rows of memorized, novelty, modes, TwoNN, Levina--Bickel.
      pixel_reports, pca_reports: ``(m, 9)`` :class:`~manifold_diffusion.metrics.FidelityReport` rows.
      held_out, held_out_pca: ``(3,)`` modes, TwoNN, Levina--Bickel of as many held-out digits.
      n_compared: the number of points of every dimension estimate.
      samples, pca_samples: ``(m, 12, 64)`` the first samples (PCA ones mapped to pixels).
      spacing: median distance of an :math:`S_1` digit to its nearest other one.
      meta.
    """

    bandwidths: np.ndarray
    pixels: np.ndarray
    pca: np.ndarray
    pixel_reports: np.ndarray
    pca_reports: np.ndarray
    held_out: np.ndarray
    held_out_pca: np.ndarray
    n_compared: int
    samples: np.ndarray
    pca_samples: np.ndarray
    spacing: float
    meta: Meta | None = None

    def report(self, i: int, space: str = "pixels") -> metrics.FidelityReport:
        """The fidelity report of bandwidth ``i`` in ``"pixels"`` or ``"pca"``."""
        rows = self.pixel_reports if space == "pixels" else self.pca_reports
        return metrics.FidelityReport(*(float(v) for v in rows[i]))

    def digit_like(self) -> int:
        """The bandwidth (index) of the most digit-like new samples: the largest classifier
        confidence among the bandwidths with fewer than 5 % memorized samples (else the largest)."""
        new = np.flatnonzero(self.pixels[:, 0] < 0.05)
        if new.size == 0:
            return len(self.bandwidths) - 1
        return int(new[np.argmax(self.pixel_reports[new, 2])])

    def summary(self) -> dict:
        """Held-out references, and three rows: ``emp`` (the first bandwidth, 0: the empirical
        score), ``dig`` (:meth:`digit_like`) and ``top`` (the largest), in pixels and ``pca_``."""
        out = {"n_compared": self.n_compared, "spacing": self.spacing,
               "held_modes": float(self.held_out[0]), "held_tn": float(self.held_out[1]),
               "held_lb": float(self.held_out[2]), "held_pca_tn": float(self.held_out_pca[1]),
               "held_pca_lb": float(self.held_out_pca[2])}
        for tag, i in (("emp", 0), ("dig", self.digit_like()), ("top", len(self.bandwidths) - 1)):
            out[f"{tag}_h"] = float(self.bandwidths[i])
            for space, rows, reps in (("", self.pixels, self.pixel_reports), ("pca_", self.pca, self.pca_reports)):
                for j, name in enumerate(_COLUMNS):
                    out[f"{space}{tag}_{name}"] = float(rows[i, j])
                out[f"{space}{tag}_conf"] = float(reps[i, 2])
                out[f"{space}{tag}_hf"] = float(reps[i, 6])
                out[f"{space}{tag}_fd"] = float(reps[i, 7])
        return out


def _dimension_stats(points, m, radius):
    pts = points[:m]
    try:
        tn = metrics.two_nn(pts).dimension
    except ValueError:                                      # duplicates everywhere
        tn = float("nan")
    try:
        lb = metrics.levina_bickel(pts, 10).dimension
    except ValueError:
        lb = float("nan")
    return metrics.count_modes(pts, radius), float(tn), float(lb)


@experiment("digits: score smoothing with fresh draws, modes and dimension, pixels and PCA-16")
def run(key, config: Config) -> Result:
    """Sample the smoothed empirical score of S1 at each bandwidth, in pixels and in PCA-16."""
    sets = _shared.digit_sets(key)
    judge = _shared.make_judge(sets)
    keys = named_keys(key, "smoothing_noise", "smoothing_draws")
    process = _shared.process()
    grid = geometric_grid(process.T, config.t_min, config.n_steps)
    held = jnp.concatenate([sets.second, sets.held_out])
    m = min(config.n_samples, held.shape[0])
    spacing = float(jnp.median(metrics.nearest_neighbors(sets.first, sets.first, k=2).distances[:, 1]))
    mean, comps = metrics.principal_components(sets.first, config.pca_dim)

    def to_pca(x):
        return (x - mean[None, :]) @ comps.T

    def sweep(train, to_pixels):
        """The bandwidth sweep in the coordinates of ``train``; samples mapped to pixels by
        ``to_pixels`` for the fidelity statistics."""
        emp = EmpiricalScore(train, process)
        rows, reports, shown = [], [], []
        for i, h in enumerate(config.bandwidths):
            # h = 0 too goes through the smoothed score (every displacement is then 0: exactly the
            # empirical score), so that all bandwidths share one compiled sampler
            score = ResampledSmoothedScore(emp, float(h), config.n_draws,
                                           _shared.child(keys.smoothing_draws, f"h{i}"))
            z = sample(keys.smoothing_noise, score, process, config.n_samples, grid, denoise=True)
            x = to_pixels(z)
            rep = _shared.judge_report(judge, x[:judge.reference.shape[0]])
            own = metrics.memorization_report(z, train)          # in the sweep's own coordinates
            rows.append((float(own.fraction_memorized), float(jnp.mean(own.nearest_distance)))
                        + _dimension_stats(z, m, config.mode_radius))
            reports.append(np.asarray(rep))
            shown.append(np.asarray(x[:12]))
        return np.asarray(rows), np.stack(reports), np.stack(shown)

    pixels, pixel_reports, shown = sweep(sets.first, lambda z: z)
    pca, pca_reports, pca_shown = sweep(to_pca(sets.first), lambda z: mean[None, :] + z @ comps)
    return Result(np.asarray(config.bandwidths), pixels, pca, pixel_reports, pca_reports,
                  np.asarray(_dimension_stats(held, m, config.mode_radius)),
                  np.asarray(_dimension_stats(to_pca(held), m, config.mode_radius)), m, shown,
                  pca_shown, spacing)


def plot(result: Result):
    """Against the bandwidth, in pixels (solid) and PCA-16 (dashed): memorized fraction and
    novelty; distinct modes; intrinsic dimension, with the held-out digits' as lines."""
    _shared.check_result(result, Result, "result")
    h = result.bandwidths
    with plotting.style():
        fig, axes = plotting.figure(3, width=2.9, height=2.7)
        ax = axes[0, 0]
        # pixels: filled markers, solid lines; PCA-16: open markers, dashed lines, another colour
        for rows, tag, (c_mem, c_nov) in ((result.pixels, "pixels", ("C3", "C0")),
                                          (result.pca, "PCA-16", ("C6", "C9"))):
            ax.plot(h, rows[:, 0], color=c_mem, label=f"memorized ({tag})", **_series(tag, "o"))
            ax.plot(h, rows[:, 1] / result.spacing, color=c_nov,
                    label=f"novelty / NN spacing ({tag})", **_series(tag, "s"))
        ax.axhline(1.0, color="0.6", ls=":", lw=1)
        ax.set_ylabel("fraction, or NN spacings")
        ax.legend(fontsize=6)
        ax = axes[0, 1]
        ax.plot(h, result.pixels[:, 2], color="C0", label="pixels", **_series("pixels", "o"))
        ax.plot(h, result.pca[:, 2], color="C1", label="PCA-16", **_series("PCA-16", "D"))
        ax.axhline(result.held_out[0], color="C2", ls=":", lw=1, label="held-out digits")
        ax.set_ylabel(f"modes, of {result.n_compared} samples")
        ax.legend(fontsize=6.5)
        ax = axes[0, 2]
        for rows, tag, ref, (c_tn, c_lb) in ((result.pixels, "pixels", result.held_out, ("C0", "C1")),
                                             (result.pca, "PCA-16", result.held_out_pca, ("C9", "C8"))):
            ax.plot(h, rows[:, 3], color=c_tn, label=f"TwoNN ({tag})", **_series(tag, "o"))
            ax.plot(h, rows[:, 4], color=c_lb, label=f"Levina–Bickel ({tag})", **_series(tag, "s"))
            ax.axhline(ref[1], color=c_tn, ls=":" if tag == "pixels" else "-.", lw=1)
            ax.axhline(ref[2], color=c_lb, ls=":" if tag == "pixels" else "-.", lw=1)
        ax.set_ylabel("intrinsic dimension")
        ax.legend(fontsize=6)
        for ax in axes[0]:
            ax.set_xlabel("bandwidth $h$")
        return plotting.finish(fig, result.meta, f"horizontal lines: {result.n_compared} held-out "
                               "digits (dotted: pixels; dash-dotted: PCA-16); h = 0: the empirical score")


def _series(tag, marker):
    """Line style of one series: pixels solid with filled markers, PCA-16 dashed with open ones."""
    if tag == "pixels":
        return dict(marker=marker, ls="-", ms=4.5)
    return dict(marker=marker, ls="--", ms=4.5, mfc="white")


def plot_samples(result: Result):
    """12 samples per bandwidth, in pixels and in PCA-16 (mapped back)."""
    _shared.check_result(result, Result, "result")
    rows = [("pixels", i) for i in range(len(result.bandwidths))]
    rows += [("PCA-16", i) for i in range(len(result.bandwidths))]
    with plotting.style():
        fig, axes = plotting.figure(1, len(rows), width=6.0, height=0.95)
        for ax, (space, i) in zip(axes[:, 0], rows):
            shown = result.samples if space == "pixels" else result.pca_samples
            stats = result.pixels if space == "pixels" else result.pca
            plotting.image_grid(ax, shown[i], ncols=12)
            ax.set_title(f"{space}, h = {result.bandwidths[i]:g}: memorized {stats[i, 0]:.2f}, "
                         f"novelty {stats[i, 1]:.2f}, modes {int(stats[i, 2])}", fontsize=7.5)
        return plotting.finish(fig, result.meta)


class Frame(NamedTuple):
    """One frame of :func:`bandwidth_widget`: generated digits at one bandwidth.

    Attributes: bandwidth. samples: ``(b, 64)``. neighbours: ``(b, 64)`` their nearest training
    digits. memorized, novelty: as in :class:`Result`.
    """

    bandwidth: float
    samples: np.ndarray
    neighbours: np.ndarray
    memorized: float
    novelty: float


def frame(key, config: Config, bandwidth: float, n_samples: int = 36) -> Frame:
    """``n_samples`` digits of the smoothed score of S1 at ``bandwidth`` (the keys depend on
    ``key`` only, so frames share their noise)."""
    _shared.check_result(config, Config, "config")
    sets = _shared.digit_sets(key)
    keys = named_keys(key, "smoothing_noise", "smoothing_draws")
    process = _shared.process()
    emp = EmpiricalScore(sets.first, process)
    score = emp if bandwidth == 0 else ResampledSmoothedScore(emp, float(bandwidth), config.n_draws,
                                                              keys.smoothing_draws)
    x = sample(keys.smoothing_noise, score, process, n_samples,
               geometric_grid(process.T, config.t_min, config.n_steps), denoise=True)
    rep = metrics.memorization_report(x, sets.first)
    return Frame(float(bandwidth), np.asarray(x), np.asarray(sets.first[rep.nearest_index]),
                 float(rep.fraction_memorized), float(jnp.mean(rep.nearest_distance)))


def plot_frame(fr: Frame):
    """The generated digits beside their nearest training digits."""
    _shared.check_result(fr, Frame, "result")
    with plotting.style():
        fig, axes = plotting.figure(2, width=3.0, height=3.2)
        plotting.image_grid(axes[0, 0], fr.samples, title=f"generated, h = {fr.bandwidth:g}")
        plotting.image_grid(axes[0, 1], fr.neighbours, title="nearest training digits")
        fig.suptitle(f"memorized {fr.memorized:.2f}; novelty {fr.novelty:.2f}", fontsize=8)
        return fig


def bandwidth_widget(key, config: Config, bandwidths=None, *, value: float = 0.2,
                     draw_now: bool = False):
    """A slider over ``bandwidths`` (default 0 to 0.5 by 0.05) drawing :func:`plot_frame`;
    returns ``(widget, update)`` (:func:`~manifold_diffusion.widgets.slider`). Its static twin is
    :func:`plot_samples`."""
    from ... import widgets

    values = np.round(np.arange(0.0, 0.5001, 0.05), 3) if bandwidths is None else bandwidths
    return widgets.slider([float(v) for v in values], lambda h: frame(key, config, float(h)),
                          plot_frame, value=value, description="bandwidth", draw_now=draw_now)
