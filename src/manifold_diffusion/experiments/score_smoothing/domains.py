r"""Log domain against density domain: score smoothing and the Gaussian KDE on the twelve-point
circle embedded isometrically in :math:`\mathbb R^d`, compared at matched novelty (gap filling,
and mean distance to the nearest training point)."""

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ... import metrics, plotting
from ...data import circle_points
from ...kde import GaussianKDE
from ...keys import named_keys
from ...manifolds import Circle, embed
from ...samplers import sample
from ...scores import EmpiricalScore
from ..harness import Meta, check_result, experiment, progress
from . import reference
from ._setup import SmoothingConfig, smoothed_or_empirical

__all__ = ["Config", "Result", "run", "plot", "N_TRAIN"]

#: The paper's twelve equally spaced points on the unit circle.
N_TRAIN = 12


@dataclasses.dataclass(frozen=True)
class Config(SmoothingConfig):
    """Attributes: dims: ambient dimensions; bandwidths: score smoothing's; kde_bandwidths: the
    KDE's; n_draws: kernel draws; n_samples: samples per run; n_seeds: seeds averaged;
    target_gap, target_novelty: the gap-centre fraction and the mean distance to the nearest
    training point at which the two methods are compared. The training set is the circle's
    :data:`N_TRAIN` points."""

    dims: tuple[int, ...] = (2, 10, 50)
    bandwidths: tuple[float, ...] = (0.15, 0.2, 0.25, 0.3, 0.35)
    kde_bandwidths: tuple[float, ...] = (0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
    n_draws: int = 200
    n_samples: int = 400
    n_seeds: int = 2
    target_gap: float = 0.45
    target_novelty: float = 0.125
    overrides = {"quick": dict(dims=(2, 10), bandwidths=(0.2, 0.3), n_draws=64, n_samples=100,
                               n_seeds=1, kde_bandwidths=(0.02, 0.05, 0.1, 0.2, 0.3)),
                 "large": dict(dims=(2, 10, 50, 500), n_draws=1024, n_samples=20_000)}


class Result(NamedTuple):
    r"""Score smoothing against the KDE on the circle embedded in :math:`\mathbb R^d`.

    Attributes: dims: ``(q,)``. smooth_bandwidths: ``(m,)``; kde_bandwidths: ``(p,)``.
    smooth_novelty, smooth_off, smooth_gap: ``(q, m)`` mean distance to the nearest training
    point, mean distance to the circle, gap-centre fraction (averaged over seeds); smooth_off_sd:
    ``(q, m)`` the standard deviation over seeds of smooth_off; kde_novelty,
    kde_off, kde_gap: ``(q, p)``. target_gap; smooth_at_gap, kde_at_gap: ``(q,)`` distance to the
    circle at ``target_gap`` (:func:`~manifold_diffusion.metrics.at_novelty`, NaN outside the
    measured range). target_novelty, smooth_at_novelty, kde_at_novelty: the same at matched mean
    distance to the nearest training point. n_seeds. meta.
    """

    dims: np.ndarray
    smooth_bandwidths: np.ndarray
    kde_bandwidths: np.ndarray
    smooth_novelty: np.ndarray
    smooth_off: np.ndarray
    smooth_gap: np.ndarray
    smooth_off_sd: np.ndarray
    kde_novelty: np.ndarray
    kde_off: np.ndarray
    kde_gap: np.ndarray
    target_gap: float
    smooth_at_gap: np.ndarray
    kde_at_gap: np.ndarray
    target_novelty: float
    smooth_at_novelty: np.ndarray
    kde_at_novelty: np.ndarray
    n_seeds: int
    meta: Meta | None = None

    def summary(self) -> dict:
        """The targets; the matched comparisons as text per ``d``; score smoothing's distance to
        the circle at its largest bandwidth and its spread over ``d``; the KDE's ratio of distance
        to the circle to distance to the data at the largest ``d``; the standard deviation over
        seeds of score smoothing's distance at the largest bandwidth (mean over ``d``); the NumPy
        re-computation's matched values in ``d = 2``."""
        def pair(a, b):
            return "not reached" if np.isnan(a) or np.isnan(b) else f"{a:.3f} against {b:.3f}"

        text = lambda s, k: "; ".join(f"d = {d}: {pair(a, b)}" for d, a, b in zip(self.dims, s, k))  # noqa: E731
        return {"gap": self.target_gap, "nov": self.target_novelty,
                "at_gap": text(self.smooth_at_gap, self.kde_at_gap),
                "at_nov": text(self.smooth_at_novelty, self.kde_at_novelty),
                "smooth_spread": float(np.ptp(self.smooth_off[:, -1])),
                "smooth_last": float(self.smooth_off[0, -1]),
                "smooth_last_sd": float(np.mean(self.smooth_off_sd[:, -1])),
                "seeds": self.n_seeds,
                "kde_slope": float(self.kde_off[-1, -1] / self.kde_novelty[-1, -1]),
                "dmax": int(self.dims[-1]), "ref_ratio_s": reference.RATIO_AT_GAP[1],
                "ref_ratio_k": reference.RATIO_AT_GAP[2]}


@experiment("log vs density domain", sizes=lambda c: {
    "n": N_TRAIN, "b": c.n_samples, "M": c.n_draws, "d": "/".join(map(str, c.dims)), "seeds": c.n_seeds})
def run(key, config: Config) -> Result:
    """Distance to the circle against distance to the data, for score smoothing and the KDE, with
    the circle's training points isometrically embedded in each of ``dims`` (a random frame per
    ``d``)."""
    process, grid = config.process(), config.grid()
    n = N_TRAIN
    data2 = circle_points(n)
    q, m, p = len(config.dims), len(config.bandwidths), len(config.kde_bandwidths)
    out = {k: np.zeros((q, m)) for k in ("sn", "so", "sg")}
    off_seeds = np.zeros((q, config.n_seeds, m))
    out.update({k: np.zeros((q, p)) for k in ("kn", "ko", "kg")})
    keys = named_keys(key, "frames", "runs")
    per_d = list(enumerate(zip(config.dims, jax.random.split(keys.frames, q),
                               jax.random.split(keys.runs, q))))
    for a, (d, k_frame, k_runs) in progress(per_d, desc="domains"):
        manifold = embed(Circle(), d, k_frame)
        frame = manifold.frame                                              # (d, 2)
        data = data2 @ frame.T
        empirical = EmpiricalScore(data, process)

        def stats(x):
            """(mean nearest-training distance, mean distance to the circle, gap fraction)."""
            x2 = np.asarray(x @ frame)
            report = metrics.memorization_report(x, data)
            off = metrics.distance_to_manifold(manifold, x).mean
            gap = metrics.gap_centre_fraction(np.arctan2(x2[:, 1], x2[:, 0]), 2 * np.pi / n)
            return np.asarray([float(jnp.mean(report.nearest_distance)), float(off), gap])

        for r, k_seed in enumerate(jax.random.split(k_runs, config.n_seeds)):
            ks = named_keys(k_seed, "sampler", "draws", "kde")
            for j, h in enumerate(config.bandwidths):
                smoothed = smoothed_or_empirical(empirical, h, config.n_draws, ks.draws)
                st = stats(sample(ks.sampler, smoothed, process, config.n_samples, grid))
                off_seeds[a, r, j] = st[1]
                out["sn"][a, j], out["so"][a, j], out["sg"][a, j] = (
                    np.asarray([out[k][a, j] for k in ("sn", "so", "sg")]) + st / config.n_seeds)
            for j, (h, k_kde) in enumerate(zip(config.kde_bandwidths, jax.random.split(ks.kde, p))):
                st = stats(GaussianKDE(data, h).sample(k_kde, config.n_samples))
                out["kn"][a, j], out["ko"][a, j], out["kg"][a, j] = (
                    np.asarray([out[k][a, j] for k in ("kn", "ko", "kg")]) + st / config.n_seeds)
    matched = {name: np.asarray([metrics.at_novelty(out[nov][a], out[off][a], target)
                                 for a in range(q)])
               for name, nov, off, target in (("s_gap", "sg", "so", config.target_gap),
                                              ("k_gap", "kg", "ko", config.target_gap),
                                              ("s_nov", "sn", "so", config.target_novelty),
                                              ("k_nov", "kn", "ko", config.target_novelty))}
    return Result(np.asarray(config.dims), np.asarray(config.bandwidths),
                  np.asarray(config.kde_bandwidths), out["sn"], out["so"], out["sg"],
                  off_seeds.std(axis=1), out["kn"],
                  out["ko"], out["kg"], config.target_gap, matched["s_gap"], matched["k_gap"],
                  config.target_novelty, matched["s_nov"], matched["k_nov"], config.n_seeds)


def plot(result: Result):
    """Distance to the circle against distance to the data (left) and against gap filling
    (right), score smoothing (solid) and KDE (dashed), one colour per dimension."""
    res = check_result(result, Result)
    with plotting.style():
        fig, axes = plotting.figure(2, width=3.4, height=3.6)
        for a, d in enumerate(res.dims):
            c = f"C{a}"
            axes[0, 0].plot(res.smooth_novelty[a], res.smooth_off[a], "o-", color=c,
                            label=f"score smoothing, d = {d}")
            axes[0, 0].plot(res.kde_novelty[a], res.kde_off[a], "s--", color=c,
                            label=f"KDE, d = {d}")
            axes[0, 1].plot(res.smooth_gap[a], res.smooth_off[a], "o-", color=c)
            axes[0, 1].plot(res.kde_gap[a], res.kde_off[a], "s--", color=c)
        top = max(np.nanmax(res.kde_novelty), np.nanmax(res.smooth_novelty))
        low = min(np.nanmin(res.kde_novelty), np.nanmin(res.smooth_novelty))
        axes[0, 0].plot([low, top], [low, top], color="0.5", lw=0.8, ls=":", label="1 : 1")
        axes[0, 0].axvline(res.target_novelty, color="0.5", lw=0.8, ls="--",
                           label=f"matched novelty {res.target_novelty:g}")
        axes[0, 0].set_xscale("log")
        axes[0, 0].set_yscale("log")
        axes[0, 0].set_xlabel("mean distance to nearest training point")
        axes[0, 0].set_ylabel("mean distance to the circle")
        fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside upper center", ncol=3,
                   handlelength=1.8)
        axes[0, 1].axvline(res.target_gap, color="0.5", lw=0.8, ls=":",
                           label=f"matched gap fraction {res.target_gap:g}")
        axes[0, 1].legend()
        axes[0, 1].set_xlabel("gap-centre fraction (novelty)")
        axes[0, 1].set_ylabel("mean distance to the circle")
        axes[0, 1].set_yscale("log")
        axes[0, 1].set_title("solid: score smoothing; dashed: KDE")
        return plotting.finish(fig, res.meta)
