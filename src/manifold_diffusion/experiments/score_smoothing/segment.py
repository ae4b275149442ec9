r"""Interpolation: barycentres between neighbours. Chen's setting (:cite:`chen2025interpolation`):
evenly spaced points on a tilted segment of :math:`\mathbb R^2`, sampled with the chapter's
sampler and Gaussian smoothing (not Chen's smoothed piecewise-linear score): gap filling, the
share at training points, the spread normal to the segment, and its extent."""

import dataclasses
from typing import NamedTuple

import jax
import numpy as np

from ... import metrics, plotting
from ...data import segment_points
from ...keys import named_keys
from ...samplers import sample
from ...scores import EmpiricalScore
from ..harness import Meta, check_result, experiment, progress
from ._setup import SmoothingConfig, bandwidth_tag, smoothed_or_empirical

__all__ = ["Config", "Result", "run", "plot"]


@dataclasses.dataclass(frozen=True)
class Config(SmoothingConfig):
    """Attributes: n_train: points on the segment of length 2; bandwidths; n_draws: kernel draws
    (antithetic); n_samples; n_seeds; shown: the bandwidths of the left panel."""

    n_train: int = 8
    bandwidths: tuple[float, ...] = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4)
    n_draws: int = 200
    n_samples: int = 400
    n_seeds: int = 3
    shown: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3)
    overrides = {"quick": dict(bandwidths=(0.0, 0.1, 0.2, 0.3, 0.4), n_draws=64, n_samples=100,
                               n_seeds=1),
                 "large": dict(n_draws=2048, n_samples=20_000, n_seeds=8)}


class Result(NamedTuple):
    r"""Smoothed sampling of ``n`` evenly spaced points on a segment of :math:`\mathbb R^2`.

    Attributes: bandwidths: ``(m,)``. data: ``(n, 2)``. direction, normal: unit vectors along
    and across the segment. spacing: distance between neighbours. along: ``(m, b)`` coordinates
    of the first seed's samples along the segment (0 at its centre). gap_fraction: ``(m,)``
    share of samples in the central half between two neighbours. memorized: ``(m,)`` share
    within a tenth of the spacing of a training point. normal_spread: ``(m,)`` mean
    :math:`|`normal coordinate:math:`|`. extent: ``(m,)`` mean over seeds of
    :math:`(\max - \min)` of the along-coordinates over the segment's length. gap_sd: ``(m,)``
    sd over seeds of the gap fraction. per_seed: ``(s, m, 4)``. t_min. n_draws. shown. meta.
    """

    bandwidths: np.ndarray
    data: np.ndarray
    direction: np.ndarray
    normal: np.ndarray
    spacing: float
    along: np.ndarray
    gap_fraction: np.ndarray
    memorized: np.ndarray
    normal_spread: np.ndarray
    extent: np.ndarray
    gap_sd: np.ndarray
    per_seed: np.ndarray
    t_min: float
    n_draws: int
    shown: tuple
    meta: Meta | None = None

    def summary(self) -> dict:
        """Per bandwidth ``h`` (tag as in the circle's summary): ``gap_h``, ``mem_h``, ``ext_h``;
        the largest gap sd and normal spread; the extent at the largest bandwidth; the sizes."""
        out = {"n": int(self.data.shape[0]), "spacing": self.spacing, "draws": self.n_draws,
               "seeds": int(self.per_seed.shape[0]), "gap_sd_max": float(self.gap_sd.max()),
               "normal_max": float(self.normal_spread.max()), "hmax": float(self.bandwidths[-1]),
               "ext_last": float(self.extent[-1])}
        for i, h in enumerate(self.bandwidths):
            tag = bandwidth_tag(float(h))
            out.update({f"gap_{tag}": float(self.gap_fraction[i]), f"mem_{tag}": float(self.memorized[i]),
                        f"ext_{tag}": float(self.extent[i])})
        return out


@experiment("interpolation on a segment", sizes=lambda c: {
    "n": c.n_train, "b": c.n_samples, "M": c.n_draws, "steps": c.n_steps, "t_min": c.t_min,
    "seeds": c.n_seeds})
def run(key, config: Config) -> Result:
    """``n_train`` evenly spaced points on a segment of length 2 (tilted, so that the normal
    direction is no coordinate axis), smoothed-score sampling at each bandwidth, ``n_seeds``
    seeds (common random numbers across bandwidths within a seed)."""
    process, grid = config.process(), config.grid()
    segment = segment_points(config.n_train)
    e, normal = np.asarray(segment.direction), np.asarray(segment.normal)
    empirical = EmpiricalScore(segment.points, process)
    m = len(config.bandwidths)
    along_first, stats = np.zeros((m, config.n_samples)), np.zeros((config.n_seeds, m, 4))
    seeds = list(enumerate(jax.random.split(key, config.n_seeds)))
    for s, k in progress(seeds, desc="segment"):
        keys = named_keys(k, "sampler", "draws")
        for j, h in enumerate(config.bandwidths):
            smoothed = smoothed_or_empirical(empirical, h, config.n_draws, keys.draws)
            x = np.asarray(sample(keys.sampler, smoothed, process, config.n_samples, grid), np.float64)
            a, nc = x @ e, x @ normal
            if s == 0:
                along_first[j] = a
            offset = metrics.lattice_offsets(a, segment.spacing, -1.0)
            stats[s, j] = (metrics.gap_centre_fraction(a, segment.spacing, -1.0),
                           float(np.mean(np.minimum(offset, 1 - offset) < 0.1)),
                           float(np.mean(np.abs(nc))), float(np.ptp(a) / 2.0))
    mean = stats.mean(axis=0)
    return Result(np.asarray(config.bandwidths), np.asarray(segment.points), e, normal,
                  segment.spacing, along_first, *mean.T, stats[:, :, 0].std(axis=0), stats,
                  config.t_min, config.n_draws, tuple(config.shown))


def plot(result: Result):
    """The along-segment coordinate at the ``shown`` bandwidths, the gap, memorized and extent
    fractions, and the normal spread against the bandwidth."""
    res = check_result(result, Result)
    rows = [int(np.argmin(np.abs(res.bandwidths - h))) for h in res.shown]
    pos = np.asarray(res.data) @ res.direction
    with plotting.style():
        fig, axes = plotting.figure(3, width=2.27, height=3.4)
        ax = axes[0, 0]
        jitter = np.linspace(-0.3, 0.3, res.along.shape[1])
        for c, i in enumerate(rows):
            ax.scatter(res.along[i], c + jitter, s=3, alpha=0.5, color=f"C{c}", rasterized=True)
        for p in pos:
            ax.axvline(p, color="C3", lw=0.8, ls=":")
        ax.set_yticks(range(len(rows)), [f"h = {res.bandwidths[i]:g}" for i in rows])
        ax.set_xlabel("position along the segment\n(dotted: training points)")
        ax.set_ylabel("bandwidth (first seed)")
        ax = axes[0, 1]
        ax.errorbar(res.bandwidths, res.gap_fraction, yerr=res.gap_sd, fmt="s-", capsize=2,
                    label="between neighbours")
        ax.plot(res.bandwidths, res.memorized, "o-", label="at a training point")
        ax.plot(res.bandwidths, res.extent, "^-", label="extent / length")
        ax.axhline(0.5, color="0.5", ls=":", lw=1, label="uniform law's gap")
        ax.set_xlabel("bandwidth $h$")
        ax.set_ylabel("fraction")
        ax.set_ylim(0, 1.05)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), handlelength=1.5)
        ax = axes[0, 2]
        ax.plot(res.bandwidths, np.maximum(res.normal_spread, 1e-12), "o-")
        ax.set_yscale("log")
        ax.set_ylim(1e-12, 1)
        ax.axhline(np.sqrt(res.t_min), color="0.5", ls="--", lw=1, label="noise sd at $t_{\\min}$")
        ax.set_xlabel("bandwidth $h$")
        ax.set_ylabel("mean normal distance")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), handlelength=1.5)
        return plotting.finish(fig, res.meta, f"{len(pos)} training points, spacing "
                               f"{res.spacing:.3f}; means over seeds, bars: sd")
