r"""The forward process: the same data points noised to several times, :math:`X_t = \alpha_t X_0 + \sigma_t Z`."""

import dataclasses
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ... import plotting
from ...keys import named_keys
from ..harness import Meta, check_result, experiment
from ._ring import RingConfig

__all__ = ["Config", "Result", "run", "plot"]


@dataclasses.dataclass(frozen=True)
class Config(RingConfig):
    """Attributes: n_samples: data points noised; times: the snapshot times (0 is the data)."""

    n_samples: int = 2000
    times: tuple[float, ...] = (0.0, 0.05, 0.3, 1.0, 5.0)
    overrides = {"quick": dict(n_samples=300), "large": dict(n_samples=20_000)}


class Result(NamedTuple):
    """Snapshots of the forward process.

    Attributes: times: ``(m,)``. alphas, sigmas: ``(m,)`` the marginal's coefficients. points:
    ``(m, b, 2)`` the same ``b`` data points noised to each time (one noise draw). T, n_modes,
    mode_std: the law and process. meta.
    """

    times: tuple
    alphas: np.ndarray
    sigmas: np.ndarray
    points: Float[Array, "m b 2"]
    T: float
    n_modes: int
    mode_std: float
    meta: Meta | None = None

    def summary(self) -> dict:
        """The data law, the terminal time and :math:`\\alpha_T = e^{-T}`."""
        return {"n_modes": self.n_modes, "mode_std": self.mode_std, "T": self.T,
                "alpha_T": math.exp(-self.T)}


@experiment("forward process", sizes=lambda c: {"b": c.n_samples, "d": 2})
def run(key, config: Config) -> Result:
    """Noise ``n_samples`` data points to each of ``times`` with one draw :math:`Z`."""
    keys = named_keys(key, "data", "noise")
    process = config.process()
    x0 = config.law().sample(keys.data, config.n_samples)
    z = jax.random.normal(keys.noise, x0.shape)
    alphas, sigmas = (np.asarray(v) for v in process.marginal(jnp.asarray(config.times)))
    points = jnp.stack([a * x0 + s * z for a, s in zip(alphas, sigmas)])
    return Result(config.times, alphas, sigmas, points, config.T, config.n_modes, config.mode_std)


def plot(result: Result):
    r"""Scatter of each snapshot, titled with :math:`\alpha_t` and :math:`\sigma_t`."""
    res = check_result(result, Result)
    with plotting.style():
        fig, axes = plotting.figure(len(res.times), width=2.2, height=2.3, sharex=True, sharey=True)
        for ax, t, alpha, sigma, pts in zip(axes[0], res.times, res.alphas, res.sigmas, res.points):
            ax.scatter(pts[:, 0], pts[:, 1], s=1, alpha=0.4, color="C0", rasterized=True)
            ax.set_title(f"t = {t:g}\n$\\alpha_t$ = {alpha:.2f}, $\\sigma_t$ = {sigma:.2f}")
            ax.set_aspect("equal")
            ax.set_xlim(-3.6, 3.6)
            ax.set_ylim(-3.6, 3.6)
        return plotting.finish(fig, res.meta)
