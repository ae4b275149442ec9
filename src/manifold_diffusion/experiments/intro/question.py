r"""The book's question in one figure: the exact minimiser of denoising score matching (the
empirical score) returns copies of its training points; the same sampler with a smoothed score
returns new points on the manifold the training points came from.

Thirty points uniform in arc length on the lima bean of :cite:`farghly2025logdomain` (their
Fig. 1), the VE process with :math:`T = 4` (:math:`\sigma_{\max} = 2`), 100 Euler--Maruyama steps
on a geometric grid to :math:`t_{\min} = 10^{-6}` and a noise-free last step, sampled with the
empirical score and with its Gaussian smoothing at one bandwidth (antithetic draws), from the
same prior draw and the same sampler noise. Measured: the fraction of copies (nearest/second
nearest training distance below 1/3), the distance to the nearest training point, and the
distance to the curve (exact projection).
"""

import dataclasses
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from ... import metrics, plotting
from ...keys import named_keys
from ...manifolds import LimaBean
from ...processes import VE, geometric_grid
from ...samplers import sample
from ...scores import EmpiricalScore, SmoothedScore
from ..harness import ExperimentConfig, Meta, check_result, experiment

__all__ = ["Config", "Result", "run", "plot"]


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Attributes: n_train: training points, uniform in arc length; n_samples: samples per score;
    bandwidth: of the smoothing kernel; n_draws: its Monte Carlo draws; T, t_min, n_steps: the
    sampler (``n_steps - 1`` geometric steps from ``T`` to ``t_min``, then a noise-free step)."""

    n_train: int = 30
    n_samples: int = 800
    bandwidth: float = 0.12
    n_draws: int = 128
    T: float = 4.0
    t_min: float = 1e-6
    n_steps: int = 100
    overrides = {"quick": dict(n_samples=300, n_draws=64), "large": dict(n_samples=20_000,
                                                                        n_draws=2048)}


class Result(NamedTuple):
    """Samples of the empirical and of the smoothed score from the same prior draw and noise.

    Attributes: curve: ``(c, 2)`` the lima bean. train: ``(n, 2)``. empirical, smoothed: ``(b, 2)``
    samples. fraction_memorized, nearest, off_curve: ``(2,)`` for (empirical, smoothed): share of
    copies, mean distance to the nearest training point, mean distance to the curve. spacing:
    median distance between neighbouring training points. bandwidth. meta.
    """

    curve: np.ndarray
    train: np.ndarray
    empirical: np.ndarray
    smoothed: np.ndarray
    fraction_memorized: np.ndarray
    nearest: np.ndarray
    off_curve: np.ndarray
    spacing: float
    bandwidth: float
    meta: Meta | None = None

    def summary(self) -> dict:
        """The three measurements for each score (``_emp``, ``_smooth``), the spacing, the bandwidth."""
        out = {"n": int(self.train.shape[0]), "b": int(self.empirical.shape[0]),
               "h": self.bandwidth, "spacing": self.spacing}
        for i, tag in enumerate(("emp", "smooth")):
            out.update({f"copies_{tag}": float(self.fraction_memorized[i]),
                        f"nearest_{tag}": float(self.nearest[i]),
                        f"off_{tag}": float(self.off_curve[i])})
        return out


@experiment("the book's question", sizes=lambda c: {"n": c.n_train, "b": c.n_samples,
                                                   "h": c.bandwidth, "M": c.n_draws,
                                                   "steps": c.n_steps, "T": c.T})
def run(key, config: Config) -> Result:
    """Sample the empirical score and its smoothing (same sampler key: same prior draw and noise)."""
    keys = named_keys(key, "data", "draws", "sampler")
    curve, process = LimaBean(), VE(T=config.T)
    train = curve.sample(keys.data, config.n_train)
    empirical = EmpiricalScore(train, process)
    smoothed = SmoothedScore(empirical, config.bandwidth, config.n_draws, keys.draws)
    grid = geometric_grid(config.T, config.t_min, config.n_steps - 1, include_zero=True)
    out = [sample(keys.sampler, s, process, config.n_samples, grid) for s in (empirical, smoothed)]
    reports = [metrics.memorization_report(x, train) for x in out]
    dense = np.asarray(curve.embed_coords(jnp.linspace(0.0, curve.volume, 400)[:, None]))
    return Result(dense, np.asarray(train), *(np.asarray(x) for x in out),
                  np.asarray([float(r.fraction_memorized) for r in reports]),
                  np.asarray([float(jnp.mean(r.nearest_distance)) for r in reports]),
                  np.asarray([float(metrics.distance_to_manifold(curve, x).mean) for x in out]),
                  float(metrics.training_spacing(train)), config.bandwidth)


def plot(result: Result):
    """Two panels, the empirical score's samples and the smoothed score's, over the curve and the
    training points, titled with what was measured."""
    res = check_result(result, Result)
    titles = ("exact minimiser of the training loss\n(empirical score)",
              f"smoothed empirical score (bandwidth {res.bandwidth:g})")
    with plotting.style():
        fig, axes = plotting.figure(2, width=3.4, height=3.4, sharex=True, sharey=True)
        for i, (ax, x) in enumerate(zip(axes[0], (res.empirical, res.smoothed))):
            ax.plot(res.curve[:, 0], res.curve[:, 1], color="0.75", lw=1.0, zorder=0,
                    label="the data manifold")
            ax.scatter(res.train[:, 0], res.train[:, 1], s=40, facecolor="none", edgecolor="C3",
                       lw=1.0, zorder=2, label=f"{len(res.train)} training points")
            ax.scatter(x[:, 0], x[:, 1], s=4, alpha=0.4, color="C0", zorder=3, rasterized=True,
                       label=f"{len(x)} samples")
            ax.set_title(f"{titles[i]}\ncopies {res.fraction_memorized[i]:.0%}; mean distance to "
                         f"the curve {res.off_curve[i]:.3f}", fontsize=9)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[0, 0].legend(loc="center", bbox_to_anchor=(0.38, 0.6), markerscale=1.5)
        return plotting.finish(fig, res.meta, "copies: samples much closer to one training point "
                               "than to any other (nearest/second-nearest distance < 1/3); same "
                               "sampler, same prior draw and noise for both panels")
