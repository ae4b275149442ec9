r"""The convergence order of Heun's method for the probability-flow ODE: the pathwise error against
a fine reference falls like :math:`(\text{steps})^{-2}`."""

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ... import metrics, plotting
from ...keys import named_keys
from ...processes import geometric_grid
from ...samplers import heun_probability_flow
from ...scores import MixtureScore
from ..harness import Meta, check_result, experiment, progress
from ._ring import RingConfig

__all__ = ["Config", "Result", "run", "plot"]


@dataclasses.dataclass(frozen=True)
class Config(RingConfig):
    """Attributes: steps: the step counts compared; reference_steps: the reference solution's;
    n_points: starting points per seed; n_seeds: independent prior draws (the slope's interval is
    bootstrapped over them); t_end: the last time of every grid."""

    steps: tuple[int, ...] = (10, 20, 40, 80, 160)
    reference_steps: int = 2560
    n_points: int = 256
    n_seeds: int = 8
    t_end: float = 1e-2
    overrides = {"quick": dict(steps=(8, 16, 32), reference_steps=512, n_points=32, n_seeds=3),
                 "large": dict(steps=(10, 20, 40, 80, 160, 320, 640), reference_steps=10_240,
                               n_points=2048, n_seeds=32)}


class Result(NamedTuple):
    """Pathwise error of the Heun probability-flow sampler against a fine reference.

    Attributes: steps: ``(m,)``. errors: ``(n_seeds, m)`` mean distance to the reference
    endpoint. fit: the fitted log-log slope with its bootstrap interval. t_end. meta.
    """

    steps: np.ndarray
    errors: np.ndarray
    fit: metrics.SlopeFit
    t_end: float
    meta: Meta | None = None

    def summary(self) -> dict:
        """The fitted slope and its interval (theory: -2); ``verdict``: whether the interval
        ``"contains"`` or ``"excludes"`` -2; ``deviation_pct``: ``|slope + 2| / 2`` in percent."""
        inside = self.fit.ci_low <= -2.0 <= self.fit.ci_high
        return {"slope": self.fit.slope, "low": self.fit.ci_low, "high": self.fit.ci_high,
                "verdict": "contains" if inside else "excludes",
                "deviation_pct": 100 * abs(self.fit.slope + 2.0) / 2.0}


@experiment("Heun order", sizes=lambda c: {"points": c.n_points, "seeds": c.n_seeds,
                                          "reference steps": c.reference_steps})
def run(key, config: Config) -> Result:
    r"""Error of Heun's method against the step count: a second-order method has slope :math:`-2`.

    The ODE is deterministic, so each run's error is measured pathwise against the same starting
    points integrated with ``reference_steps`` steps on the same geometric grid family from
    ``T`` to ``t_end``.
    """
    keys = named_keys(key, "seeds", "fit")
    process = config.process()
    score = MixtureScore(config.law(), process)
    reference_grid = geometric_grid(process.T, config.t_end, config.reference_steps)
    grids = [geometric_grid(process.T, config.t_end, n) for n in config.steps]
    errors = np.zeros((config.n_seeds, len(config.steps)))
    seeds = list(enumerate(jax.random.split(keys.seeds, config.n_seeds)))
    for s, k in progress(seeds, desc="Heun order"):
        x_T = process.prior_sample(k, (config.n_points, 2))
        reference = heun_probability_flow(score, x_T, reference_grid, process)
        for j, grid in enumerate(grids):
            x = heun_probability_flow(score, x_T, grid, process)
            errors[s, j] = float(jnp.mean(jnp.linalg.norm(x - reference, axis=1)))
    fit = metrics.fit_loglog_slope(np.asarray(config.steps, float), errors, key=keys.fit)
    return Result(np.asarray(config.steps), errors, fit, config.t_end)


def plot(result: Result):
    """Error against steps on log-log axes, with the fitted line and its interval."""
    res = check_result(result, Result)
    with plotting.style():
        fig, axes = plotting.figure(1, width=4.2, height=3.2)
        ax = axes[0, 0]
        for row in res.errors:
            ax.loglog(res.steps, row, color="C0", alpha=0.3, lw=0.8)
        ax.loglog(res.steps, np.exp(np.mean(np.log(res.errors), 0)), "o-", color="C0",
                  label="Heun, per seed and geometric mean")
        fitted = np.exp(res.fit.intercept) * res.steps.astype(float) ** res.fit.slope
        ax.loglog(res.steps, fitted, "k--", lw=1,
                  label=f"fit: slope {res.fit.slope:.2f} [{res.fit.ci_low:.2f}, {res.fit.ci_high:.2f}]")
        ax.set_xlabel("number of steps")
        ax.set_ylabel(f"mean |x - x_ref| at t = {res.t_end:g}")
        ax.set_title("probability-flow ODE: theory slope -2")
        ax.legend()
        return plotting.finish(fig, res.meta)
