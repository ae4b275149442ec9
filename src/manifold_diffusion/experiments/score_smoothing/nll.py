r"""Likelihood of fresh data under the log-smoothed measure: held-out negative log-likelihood of
uniform points of the unit circle under
:math:`q_h \propto \exp\big(\frac1M\sum_j\log\hat p_\epsilon(x + h z_j)\big)`, normalised by quadrature
on a square grid (the paper's eq. 7 with a Gaussian kernel; not the paper's probability-flow
estimator)."""

import dataclasses
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ... import plotting
from ...data import circle_points
from ...keys import named_keys
from ...manifolds import Circle
from ...processes import VE
from ...scores import EmpiricalScore
from ..harness import ExperimentConfig, Meta, check_result, experiment
from ._setup import smoothed_or_empirical

__all__ = ["Config", "Result", "run", "plot", "log_prob", "log_normaliser", "BOX"]

#: Half-width of the quadrature box :math:`[-1.4, 1.4]^2`.
BOX = 1.4


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    r"""Attributes: n_train: equally spaced training points on the circle; eps: the time of the
    measure; bandwidths; n_draws: kernel draws (antithetic); n_seeds: independent draw sets (at
    large bandwidth the NLL depends on the draw set: the Monte Carlo error of the smoothed
    log-density is multiplied by :math:`1/2\epsilon`); n_points: fresh circle points;
    grid_size: quadrature points per axis over the box; T: VE terminal time."""

    n_train: int = 12
    eps: float = 1e-3
    bandwidths: tuple[float, ...] = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35)
    n_draws: int = 100
    n_seeds: int = 3
    n_points: int = 1000
    grid_size: int = 281
    T: float = 9.0
    overrides = {"quick": dict(bandwidths=(0.0, 0.1, 0.2, 0.3), n_draws=32, n_seeds=1,
                               n_points=300, grid_size=141),
                 "large": dict(n_draws=1000, n_seeds=8, n_points=4000, grid_size=561)}


def log_normaliser(log_q, box: float, grid_size: int):
    r""":math:`\log\int q` by the midpoint rule on the ``grid_size`` :math:`\times` ``grid_size``
    grid over :math:`[-\text{box}, \text{box}]^2` (``log_q``: ``(grid_size**2,)`` values there),
    as a max-subtracted log-sum-exp."""
    if isinstance(grid_size, bool) or not isinstance(grid_size, (int, np.integer)) or grid_size < 2:
        raise ValueError(f"grid_size: expected an integer >= 2, got {grid_size!r}")
    if not (np.isfinite(box) and box > 0):
        raise ValueError(f"box: expected a number > 0, got {box!r}")
    if tuple(jnp.shape(log_q)) != (grid_size * grid_size,):
        raise ValueError(f"log_q: expected shape ({grid_size * grid_size},) (grid_size**2), got "
                         f"{tuple(jnp.shape(log_q))}")
    area = (2 * box / (grid_size - 1)) ** 2
    top = jnp.max(log_q)
    return top + jnp.log(jnp.sum(jnp.exp(log_q - top)) * area)


@eqx.filter_jit
def log_prob(score, x, t):
    """``score.log_prob(x, t)`` (e.g. a :class:`~manifold_diffusion.scores.SmoothedScore`'s),
    compiled once per shape: the bandwidth and the draws are array leaves of the score, so every
    bandwidth and draw set reuses the program. ``x``: ``(b, d)``; returns ``(b,)``."""
    return score.log_prob(x, t)


class Result(NamedTuple):
    r"""Held-out NLL of fresh circle points under the log-smoothed measure at time ``eps``.

    Attributes: bandwidths: ``(m,)``. per_seed: ``(s, m)`` mean negative log-density (nats,
    density on :math:`\mathbb R^2`) of ``n_points`` uniform points of the unit circle, for each
    draw set; nll: ``(m,)`` its mean over draw sets. train_nll: ``(m,)`` the same (mean) at the
    training points. eps: the time. mass_outside: ``(m,)`` the largest over draw sets of an upper
    estimate of the normalised mass beyond the quadrature box (density on its border times its
    area). meta.
    """

    bandwidths: np.ndarray
    per_seed: np.ndarray
    nll: np.ndarray
    train_nll: np.ndarray
    eps: float
    mass_outside: np.ndarray
    meta: Meta | None = None

    def summary(self) -> dict:
        """The NLL (mean over draw sets) without smoothing, at its minimum (and where), at the
        largest bandwidth with its range over draw sets; eps; the number of draw sets."""
        best = int(np.argmin(self.nll))
        return {"best_h": float(self.bandwidths[best]), "best": float(self.nll[best]),
                "zero": float(self.nll[0]), "last": float(self.nll[-1]),
                "last_low": float(self.per_seed[:, -1].min()),
                "last_high": float(self.per_seed[:, -1].max()),
                "last_h": float(self.bandwidths[-1]), "eps": self.eps,
                "seeds": int(self.per_seed.shape[0])}


@experiment("held-out likelihood", sizes=lambda c: {
    "n": c.n_train, "fresh points": c.n_points, "M": c.n_draws, "seeds": c.n_seeds,
    "grid": f"{c.grid_size}^2", "eps": c.eps})
def run(key, config: Config) -> Result:
    r"""NLL of fresh circle points under :math:`q_h` at each bandwidth (the same draws, scaled by
    :math:`h`), normalised on the grid (exact up to grid error in :math:`d = 2`: the grid step is
    a third of :math:`\sqrt\epsilon` at the defaults).

    This is the law the paper's theorems describe, not the law of the reverse SDE run with the
    smoothed score (the smoothed scores at different times are not one process's scores); the
    paper's own NLL integrates the probability-flow ODE instead.
    """
    keys = named_keys(key, "draws", "points")
    data = circle_points(config.n_train)
    empirical = EmpiricalScore(data, VE(T=config.T))
    fresh = Circle(1.0).sample(keys.points, config.n_points)
    ax = jnp.linspace(-BOX, BOX, config.grid_size)
    xx, yy = jnp.meshgrid(ax, ax)
    grid = jnp.stack([xx.ravel(), yy.ravel()], axis=1)
    border = (jnp.abs(xx.ravel()) == ax[-1]) | (jnp.abs(yy.ravel()) == ax[-1])
    shape = (config.n_seeds, len(config.bandwidths))
    nll, train_nll, outside = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for s, k_draws in enumerate(jax.random.split(keys.draws, config.n_seeds)):
        for j, h in enumerate(config.bandwidths):
            if s > 0 and h == 0:                     # no draws at bandwidth 0: the same value
                nll[s, j], train_nll[s, j], outside[s, j] = nll[0, j], train_nll[0, j], outside[0, j]
                continue
            smoothed = smoothed_or_empirical(empirical, h, config.n_draws, k_draws)
            log_q = log_prob(smoothed, grid, config.eps)
            log_z = log_normaliser(log_q, BOX, config.grid_size)
            nll[s, j] = float(jnp.mean(log_z - log_prob(smoothed, fresh, config.eps)))
            train_nll[s, j] = float(jnp.mean(log_z - log_prob(smoothed, data, config.eps)))
            edge = jnp.max(jnp.where(border, log_q, -jnp.inf))
            outside[s, j] = float(jnp.exp(edge - log_z) * (2 * BOX) ** 2 * 4)
    return Result(np.asarray(config.bandwidths), nll, nll.mean(0), train_nll.mean(0), config.eps,
                  outside.max(0))


def plot(result: Result):
    """Held-out and training NLL against the bandwidth."""
    res = check_result(result, Result)
    with plotting.style():
        fig, axes = plotting.figure(1, width=5.8, height=3.0)
        ax = axes[0, 0]
        ax.fill_between(res.bandwidths, res.per_seed.min(0), res.per_seed.max(0), color="C0",
                        alpha=0.2, lw=0, label=f"range over {res.per_seed.shape[0]} draw sets")
        ax.plot(res.bandwidths, res.nll, "o-", label="fresh points of the circle (mean)")
        ax.plot(res.bandwidths, res.train_nll, "s--", label="training points")
        best = int(np.argmin(res.nll))
        ax.plot(res.bandwidths[best], res.nll[best], "*", ms=12, color="C3",
                label=f"best held-out: h = {res.bandwidths[best]:g}")
        ax.set_xlabel("bandwidth $h$")
        ax.set_ylabel(f"NLL (nats) at $\\epsilon$ = {res.eps:g}")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return plotting.finish(fig, res.meta)
