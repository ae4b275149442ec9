"""The data law and process every experiment of chapter 1 shares."""

import dataclasses

import jax.numpy as jnp
import numpy as np

from ...data import ring_mixture
from ...processes import VP
from ...scores import GaussianMixture
from ..harness import ExperimentConfig

__all__ = ["RingConfig", "density_grid"]


@dataclasses.dataclass(frozen=True)
class RingConfig(ExperimentConfig):
    r"""The chapter's data law and process, the base of its experiments' configurations.

    Attributes:
      n_modes, radius, mode_std: ``n_modes`` Gaussians of standard deviation ``mode_std`` evenly
        spaced on a circle of radius ``radius``.
      T: terminal time of the VP process (:math:`\alpha_T = e^{-T}`).
    """

    n_modes: int = 6
    radius: float = 2.0
    mode_std: float = 0.3
    T: float = 5.0

    def law(self) -> GaussianMixture:
        """The data law."""
        return ring_mixture(self.n_modes, radius=self.radius, mode_std=self.mode_std)

    def process(self) -> VP:
        """The forward process."""
        return VP(T=self.T)


def density_grid(law: GaussianMixture, process: VP, t: float, extent: float = 3.6, size: int = 90):
    """Log-density of the time-``t`` marginal (``t = 0``: the data law) on a ``size x size`` grid
    over ``[-extent, extent]^2``: ``(axis (size,), log_density (size, size))``."""
    ax = jnp.linspace(-extent, extent, size)
    xx, yy = jnp.meshgrid(ax, ax)
    pts = jnp.stack([xx.ravel(), yy.ravel()], axis=1)
    noised = law if t == 0 else law.noised(process, t)
    return np.asarray(ax), np.asarray(noised.log_prob(pts).reshape(size, size))

