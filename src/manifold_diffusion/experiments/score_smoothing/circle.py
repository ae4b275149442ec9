r"""The paper's main example: twelve equally spaced points on the unit circle, sampled with the
smoothed empirical score at a sweep of bandwidths -- memorized fraction, gap-centre fraction,
mean :math:`|r-1|`, mean :math:`r`, distance to the nearest training point; and a slider over the
bandwidth."""

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ... import metrics, plotting, widgets
from ...data import circle_points
from ...keys import check_key, named_keys
from ...samplers import sample
from ...scores import EmpiricalScore
from ..harness import Meta, check_config, check_result, experiment, progress
from . import reference
from ._setup import SmoothingConfig, bandwidth_tag, smoothed_or_empirical

__all__ = ["Config", "Result", "run", "plot", "plot_gallery", "table", "circle_stats",
           "frame_config", "plot_frame", "widget"]

_STATS = ("mean |r-1|", "mean r", "nearest", "gap", "memorized")


@dataclasses.dataclass(frozen=True)
class Config(SmoothingConfig):
    """Attributes: n_train: equally spaced training points; n_samples: samples per run; n_draws:
    kernel draws per smoothed score (antithetic); bandwidths: the sweep; gallery: the bandwidths
    drawn as small multiples; n_seeds: independent draw sets (and prior/sampler keys): with the
    draws fixed per score and :math:`t_{\\min}=10^{-6}`, where the samples go near the transition
    bandwidth depends on the draw set."""

    n_train: int = 12
    n_samples: int = 400
    n_draws: int = 500
    bandwidths: tuple[float, ...] = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.5)
    gallery: tuple[float, ...] = (0.0, 0.1, 0.2, 0.25, 0.35, 0.5)
    n_seeds: int = 3
    overrides = {"quick": dict(n_samples=100, n_draws=64,
                               bandwidths=(0.0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.5),
                               gallery=(0.0, 0.1, 0.25, 0.5), n_seeds=1),
                 "large": dict(n_samples=20_000, n_draws=4096, n_seeds=8)}


def circle_stats(samples, data) -> np.ndarray:
    r"""(mean :math:`|r-1|`, mean :math:`r`, mean distance to the nearest training point,
    gap-centre fraction, memorized fraction) of ``samples`` ``(b, 2)`` against ``data``, ``n``
    equally spaced points on the unit circle from angle 0."""
    data = np.asarray(data)
    if data.ndim != 2 or data.shape[1] != 2 or data.shape[0] < 2:
        raise ValueError(f"data: expected shape (n, 2) with n >= 2, got {data.shape}")
    x = np.asarray(samples, np.float64)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"samples: expected shape (b, 2), got {x.shape}")
    r = np.linalg.norm(x, axis=1)
    report = metrics.memorization_report(samples, data)
    gap = metrics.gap_centre_fraction(np.arctan2(x[:, 1], x[:, 0]), 2 * np.pi / data.shape[0])
    return np.asarray([np.mean(np.abs(r - 1)), np.mean(r), float(jnp.mean(report.nearest_distance)),
                       gap, float(report.fraction_memorized)])


class Result(NamedTuple):
    r"""Samples and statistics of the circle sweep, one row per bandwidth.

    Attributes: bandwidths: ``(m,)``. data: ``(n, 2)``. samples: ``(m, b, 2)`` of the first
    seed; radius: ``(m, b)`` their radii. radial_error, mean_radius, nearest_distance,
    gap_fraction, memorized: ``(m,)`` means over seeds; ``per_seed``: ``(s, m, 5)`` the same five
    statistics for each seed. gallery: the bandwidths of :func:`plot_gallery`. n_draws. meta.
    """

    bandwidths: np.ndarray
    data: np.ndarray
    samples: np.ndarray
    radius: np.ndarray
    radial_error: np.ndarray
    mean_radius: np.ndarray
    nearest_distance: np.ndarray
    gap_fraction: np.ndarray
    memorized: np.ndarray
    per_seed: np.ndarray
    gallery: tuple
    n_draws: int
    meta: Meta | None = None

    def summary(self) -> dict:
        """Per bandwidth ``h`` (tag :func:`._setup.bandwidth_tag`): ``mem_h``, ``gap_h``,
        ``gap_sd_h``, ``rerr_h``, ``r_h``, ``near_h``; the NumPy re-computation's values
        ``ref_*_h`` where it has the bandwidth; the largest sd of the gap fraction; the sizes;
        the run time."""
        sd = self.per_seed[:, :, 3].std(axis=0)
        out = {"seeds": int(self.per_seed.shape[0]), "draws": self.n_draws,
               "gap_sd_max": float(sd.max()),
               "seconds": self.meta.seconds if self.meta is not None else float("nan")}
        for i, h in enumerate(self.bandwidths):
            tag = bandwidth_tag(float(h))
            out.update({f"mem_{tag}": float(self.memorized[i]), f"gap_{tag}": float(self.gap_fraction[i]),
                        f"gap_sd_{tag}": float(sd[i]), f"rerr_{tag}": float(self.radial_error[i]),
                        f"r_{tag}": float(self.mean_radius[i]),
                        f"near_{tag}": float(self.nearest_distance[i])})
            check = _reference_row(float(h))
            if check is not None:
                out.update({f"ref_rerr_{tag}": check[0], f"ref_r_{tag}": check[1],
                            f"ref_near_{tag}": check[2], f"ref_gap_{tag}": check[3]})
        return out


def _reference_row(h: float):
    return next((v for k, v in reference.CIRCLE.items() if abs(k - h) < 1e-9), None)


@experiment("circle bandwidth sweep", sizes=lambda c: {
    "n": c.n_train, "b": c.n_samples, "M": c.n_draws, "steps": c.n_steps, "t_min": c.t_min,
    "T": c.T, "seeds": c.n_seeds})
def run(key, config: Config) -> Result:
    """Sample with the smoothed empirical score of the circle at each bandwidth.

    Within a seed the prior draw, the sampler noise and the kernel draws are shared by all
    bandwidths (common random numbers); ``n_seeds`` seeds repeat the sweep with new keys.
    """
    process, grid = config.process(), config.grid()
    data = circle_points(config.n_train)
    empirical = EmpiricalScore(data, process)
    samples, stats = [], np.zeros((config.n_seeds, len(config.bandwidths), len(_STATS)))
    seeds = list(enumerate(jax.random.split(key, config.n_seeds)))
    for s, k in progress(seeds, desc="circle sweep"):
        keys = named_keys(k, "sampler", "draws")
        for j, h in enumerate(config.bandwidths):
            smoothed = smoothed_or_empirical(empirical, h, config.n_draws, keys.draws)
            x = sample(keys.sampler, smoothed, process, config.n_samples, grid)
            if s == 0:
                samples.append(np.asarray(x))
            stats[s, j] = circle_stats(x, data)
    mean = stats.mean(axis=0)
    samples = np.stack(samples)
    return Result(np.asarray(config.bandwidths), np.asarray(data), samples,
                  np.linalg.norm(samples, axis=-1), *mean.T, stats, tuple(config.gallery),
                  config.n_draws)


def table(result: Result) -> str:
    """An HTML table of the sweep (means over seeds, gap with its sd) beside the NumPy
    re-computation (:mod:`.reference`)."""
    res = check_result(result, Result)
    sd = res.per_seed[:, :, 3].std(axis=0)
    head = ["bandwidth", "memorized", "gap-centre (sd)", "gap, NumPy", "mean |r-1|", "NumPy",
            "mean r", "NumPy", "nearest train", "NumPy"]
    rows = []
    for i, h in enumerate(res.bandwidths):
        rv = _reference_row(float(h))
        check = (lambda j, p=3: f"{rv[j]:.{p}f}") if rv else (lambda j, p=3: "&ndash;")
        cells = [f"{h:g}", f"{res.memorized[i]:.2f}", f"{res.gap_fraction[i]:.2f} ({sd[i]:.2f})",
                 check(3, 2), f"{res.radial_error[i]:.3f}", check(0), f"{res.mean_radius[i]:.3f}",
                 check(1), f"{res.nearest_distance[i]:.3f}", check(2)]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return ("<table><thead><tr>" + "".join(f"<th>{c}</th>" for c in head) + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _circle_axes(ax, data, lim=1.35):
    th = np.linspace(0, 2 * np.pi, 200)
    ax.plot(np.cos(th), np.sin(th), color="0.7", lw=0.8, zorder=0)
    ax.scatter(data[:, 0], data[:, 1], s=22, marker="x", color="C3", zorder=3,
               label="training points")
    ax.set_aspect("equal")
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)


def plot_gallery(result: Result):
    """Small multiples: the first seed's samples at each bandwidth of ``result.gallery``."""
    res = check_result(result, Result)
    rows = [int(np.argmin(np.abs(res.bandwidths - h))) for h in res.gallery]
    with plotting.style():
        # at most three panels a row (six bandwidths: two rows of three, within the text column)
        ncols = len(rows) if len(rows) <= 3 else -(-len(rows) // 2)
        nrows = -(-len(rows) // ncols)
        fig, axes = plotting.figure(ncols, nrows, width=6.75 / max(ncols, 3), height=2.45,
                                    sharex=True, sharey=True)
        flat = axes.ravel()
        for ax in flat[len(rows):]:
            ax.remove()
        for ax, i in zip(flat, rows):
            _circle_axes(ax, res.data)
            ax.scatter(res.samples[i, :, 0], res.samples[i, :, 1], s=3, alpha=0.5, color="C0",
                       rasterized=True, label="samples")
            first = res.per_seed[0, i]
            ax.set_title(f"bandwidth {res.bandwidths[i]:g}, seed 0:\ngap {first[3]:.2f}, "
                         f"mean r {first[1]:.2f}")
        handles, labels = flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside upper center", ncol=2, markerscale=2)
        return plotting.finish(fig, res.meta, "grey: the unit circle; gap = share of samples in "
                               "the central half of the arcs between training points; the titles "
                               "give the first seed's values, the table the means over seeds")


def plot(result: Result):
    """Memorized and gap-centre fractions, radial error and novelty against the bandwidth, with
    the values of the independent NumPy re-computation (crosses, :mod:`.reference`)."""
    res = check_result(result, Result)
    rh = np.asarray(sorted(reference.CIRCLE))
    rv = np.asarray([reference.CIRCLE[h] for h in rh])
    with plotting.style():
        fig, axes = plotting.figure(3, width=2.27, height=3.7)
        below = dict(loc="upper center", bbox_to_anchor=(0.5, -0.2), handlelength=1.5)
        ax = axes[0, 0]
        ax.plot(res.bandwidths, res.memorized, "o-", label="memorized ($d_1/d_2 < 1/3$)")
        sd = res.per_seed[:, :, 3].std(axis=0)
        ax.errorbar(res.bandwidths, res.gap_fraction, yerr=sd, fmt="s-", capsize=2,
                    label="gap-centre (mean, sd)")
        ax.plot(rh, rv[:, 3], "x", color="C1", ms=7, label="gap, NumPy check")
        ax.axhline(0.5, color="0.5", ls=":", lw=1, label="gap of the uniform law")
        ax.set_xlabel("bandwidth $h$")
        ax.set_ylabel("fraction of samples")
        ax.legend(**below)
        ax = axes[0, 1]
        ax.plot(res.bandwidths, res.radial_error, "o-", label="mean $|r-1|$")
        ax.plot(res.bandwidths, 1 - res.mean_radius, "s-", label="$1 - $ mean $r$ (inward)")
        ax.plot(rh, rv[:, 0], "x", color="C0", ms=7, label="$|r-1|$, NumPy check")
        ax.set_xlabel("bandwidth $h$")
        ax.set_ylabel("distance to the circle")
        ax.legend(**below)
        ax = axes[0, 2]
        ax.plot(res.bandwidths, res.nearest_distance, "o-", label="measured")
        ax.plot(rh, rv[:, 2], "x", color="C0", ms=7, label="NumPy check")
        ax.axhline(np.sin(np.pi / len(res.data)), color="0.5", ls=":", lw=1,
                   label="half the chord spacing")
        ax.set_xlabel("bandwidth $h$")
        ax.set_ylabel("distance to nearest\ntraining point")
        ax.legend(**below)
        return plotting.finish(fig, res.meta, "crosses (NumPy check): an independent NumPy "
                               "implementation of the same sampler with 500 fresh kernel draws per score evaluation and "
                               "another seed (the project's reference notes)")


def frame_config(config: Config, bandwidth: float, *, n_samples: int = 300, n_draws: int = 32
                 ) -> Config:
    """The configuration of one frame of :func:`widget`: one bandwidth, one seed, few samples
    and draws (about a second per frame on a CPU after compilation)."""
    check_config(config, Config)
    return dataclasses.replace(config, bandwidths=(float(bandwidth),), gallery=(float(bandwidth),),
                               n_seeds=1, n_samples=n_samples, n_draws=n_draws)


def plot_frame(result: Result):
    """One frame of :func:`widget`: the samples over the circle, and the histogram of their radius."""
    res = check_result(result, Result)
    gap, mem, rerr = res.gap_fraction[0], res.memorized[0], res.radial_error[0]
    with plotting.style():
        fig, axes = plotting.figure(2, width=3.0, height=2.9)
        ax = axes[0, 0]
        _circle_axes(ax, res.data)
        ax.scatter(res.samples[0, :, 0], res.samples[0, :, 1], s=4, alpha=0.5, color="C0",
                   rasterized=True, label="samples")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.set_title(f"bandwidth {res.bandwidths[0]:.2f}: gap {gap:.2f}, memorized {mem:.2f}",
                     fontsize=8)
        ax.legend(loc="center", markerscale=2)
        ax = axes[0, 1]
        ax.hist(res.radius[0], bins=np.linspace(0, 1.4, 57), color="C0")
        ax.axvline(1.0, color="0.5", ls=":", lw=1)
        ax.set_xlabel("radius $r$ of the samples")
        ax.set_ylabel("samples")
        ax.set_title(f"mean $|r-1|$ = {rerr:.3f}", fontsize=8)
        return plotting.finish(fig, res.meta, "gap = share in the central half of the arcs "
                               "between training points (0.5 if uniform)")


def widget(key, config: Config, bandwidths=None, *, value: float = 0.25, draw_now: bool = False):
    """An ``ipywidgets`` slider over ``bandwidths`` (default 0 to 0.5 by 0.025) that redraws
    :func:`plot_frame` of ``run(key, frame_config(config, h))``. Frames at different bandwidths
    share their random numbers. Returns ``(widget, update)``; ``update(h)`` computes and draws one
    frame and returns its :class:`Result`. Nothing is computed at construction unless
    ``draw_now``."""
    key = check_key("key", key)
    check_config(config, Config)
    values = np.round(np.arange(0.0, 0.5001, 0.025), 3) if bandwidths is None else bandwidths
    return widgets.slider([float(v) for v in values],
                          lambda h: run(key, frame_config(config, float(h))), plot_frame,
                          value=value, description="bandwidth", draw_now=draw_now)
