r"""Which manifold? The wavy circle :math:`r = 1 + 0.13\sin 8\theta` with thirty points: the 8th
Fourier amplitude of the samples' radius against the bandwidth (:cite:`farghly2025logdomain`,
Thm. 4.1 and Fig. 5)."""

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ... import metrics, plotting
from ...data import curve_points
from ...keys import named_keys
from ...manifolds import WavyCircle
from ...samplers import sample
from ...scores import EmpiricalScore
from ..harness import Meta, check_result, experiment, progress
from . import reference
from ._setup import SmoothingConfig, smoothed_or_empirical

__all__ = ["Config", "Result", "run", "plot", "AMPLITUDE", "FREQUENCY"]

#: The curve :math:`r = 1 + A\sin(m\theta)`: amplitude and frequency.
AMPLITUDE, FREQUENCY = 0.13, 8


@dataclasses.dataclass(frozen=True)
class Config(SmoothingConfig):
    """Attributes: n_train: points equally spaced in arc length; n_samples; n_draws: kernel draws;
    bandwidths; n_seeds: independent draw sets and sampler keys."""

    n_train: int = 30
    n_samples: int = 600
    n_draws: int = 200
    bandwidths: tuple[float, ...] = (0.0, 0.1, 0.25, 0.5, 1.0)
    n_seeds: int = 3
    overrides = {"quick": dict(n_samples=150, n_draws=64, n_seeds=1),
                 "large": dict(n_samples=20_000, n_draws=2048, n_seeds=8)}


class Result(NamedTuple):
    """Samples of the smoothed score on the wavy circle.

    Attributes: bandwidths: ``(m,)``. data: ``(n, 2)``. samples: ``(m, b, 2)`` of the first
    seed. amplitude, mean_radius: ``(m,)`` means over seeds of the amplitude of the 8th Fourier
    mode of the radius (:func:`~manifold_diffusion.metrics.fourier_amplitude`) and of the mean
    radius; amplitude_sd, radius_sd: ``(m,)`` their standard deviations over seeds. curve:
    ``(g, 2)`` points of the curve. n_seeds. meta.
    """

    bandwidths: np.ndarray
    data: np.ndarray
    samples: np.ndarray
    amplitude: np.ndarray
    mean_radius: np.ndarray
    amplitude_sd: np.ndarray
    radius_sd: np.ndarray
    curve: np.ndarray
    n_seeds: int
    meta: Meta | None = None

    def summary(self) -> dict:
        """Per bandwidth ``j``: ``h{j}``, amplitude ``a{j}`` (sd ``asd{j}``), mean radius ``r{j}``
        (sd ``rsd{j}``), and the NumPy re-computation's amplitude ``ref{j}`` (NaN where it has
        none)."""
        out = {"seeds": self.n_seeds}
        for j, h in enumerate(self.bandwidths):
            out.update({f"h{j}": float(h), f"a{j}": float(self.amplitude[j]),
                        f"r{j}": float(self.mean_radius[j]), f"rsd{j}": float(self.radius_sd[j]),
                        f"asd{j}": float(self.amplitude_sd[j]),
                        f"ref{j}": reference.WAVY_AMPLITUDE.get(float(h), float("nan"))})
        return out


@experiment("wavy circle", sizes=lambda c: {"n": c.n_train, "b": c.n_samples, "M": c.n_draws,
                                           "steps": c.n_steps, "seeds": c.n_seeds})
def run(key, config: Config) -> Result:
    """``n_train`` points equally spaced in arc length on the wavy circle, sampled with the
    smoothed score at each bandwidth, for ``n_seeds`` seeds (sampler and kernel keys; common
    random numbers across bandwidths within a seed)."""
    process, grid = config.process(), config.grid()
    curve = WavyCircle(AMPLITUDE, FREQUENCY)
    data = curve_points(curve, config.n_train)
    dense = curve_points(curve, 400)
    empirical = EmpiricalScore(data, process)
    samples, stats = [], np.zeros((config.n_seeds, len(config.bandwidths), 2))
    seeds = list(enumerate(jax.random.split(key, config.n_seeds)))
    for s, k in progress(seeds, desc="wavy circle"):
        keys = named_keys(k, "sampler", "draws")
        for j, h in enumerate(config.bandwidths):
            smoothed = smoothed_or_empirical(empirical, h, config.n_draws, keys.draws)
            x = np.asarray(sample(keys.sampler, smoothed, process, config.n_samples, grid))
            if s == 0:
                samples.append(x)
            stats[s, j] = (metrics.fourier_amplitude(x, FREQUENCY),
                           float(np.mean(np.linalg.norm(x, axis=1))))
    mean, sd = stats.mean(axis=0), stats.std(axis=0)
    return Result(np.asarray(config.bandwidths), np.asarray(data), np.stack(samples), mean[:, 0],
                  mean[:, 1], sd[:, 0], sd[:, 1], np.vstack([dense, dense[:1]]), config.n_seeds)


def plot(result: Result):
    """Small multiples of the samples, and the 8th Fourier amplitude against the bandwidth beside
    the independent NumPy re-computation (:mod:`.reference`)."""
    res = check_result(result, Result)
    m = len(res.bandwidths)
    ref = reference.WAVY_AMPLITUDE
    with plotting.style():
        # rows of three panels: the samples at each bandwidth, then the amplitude panel
        ncols = 3
        nrows = -(-(m + 1) // ncols)
        fig, axes = plotting.figure(ncols, nrows, width=2.25, height=2.3)
        flat = axes.ravel()
        for ax in flat[m + 1:]:
            ax.remove()
        for j in range(m):
            ax = flat[j]
            ax.plot(res.curve[:, 0], res.curve[:, 1], color="0.7", lw=0.8, zorder=0)
            ax.scatter(res.data[:, 0], res.data[:, 1], s=14, marker="x", color="C3", zorder=3)
            ax.scatter(res.samples[j, :, 0], res.samples[j, :, 1], s=2, alpha=0.5, color="C0",
                       rasterized=True)
            ax.set_aspect("equal")
            ax.set_xlim(-1.3, 1.3)
            ax.set_ylim(-1.3, 1.3)
            ax.set_title(f"bandwidth {res.bandwidths[j]:g} (seed 0)")
        ax = flat[m]
        ax.errorbar(res.bandwidths, res.amplitude, yerr=res.amplitude_sd, fmt="o-", capsize=2,
                    label="mean, sd over seeds")
        ax.plot(list(ref), list(ref.values()), "x", ms=7, color="C1", label="NumPy check")
        ax.axhline(AMPLITUDE, color="0.5", ls=":", lw=1, label=f"the curve's {AMPLITUDE:g}")
        ax.set_xlabel("bandwidth $h$")
        ax.set_ylabel(f"{FREQUENCY}th Fourier amplitude of $r$")
        top = float(np.max(res.amplitude + res.amplitude_sd))
        ax.set_ylim(0, max(2.2 * AMPLITUDE, 1.1 * top))
        ax.legend(loc="upper right", handlelength=1.5)
        return plotting.finish(fig, res.meta, "grey: the wavy circle; crosses: training points; "
                               "last panel, crosses (NumPy check): an independent NumPy implementation (200 fresh "
                               "antithetic draws per evaluation, another seed)")
