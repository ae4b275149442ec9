"""The sampler set-up every sampling experiment of chapter 3 shares (the smoothing paper's)."""

import dataclasses

from ...processes import VE, geometric_grid
from ...scores import EmpiricalScore, SmoothedScore
from ..harness import ExperimentConfig

__all__ = ["SmoothingConfig", "bandwidth_tag", "smoothed_or_empirical"]


@dataclasses.dataclass(frozen=True)
class SmoothingConfig(ExperimentConfig):
    """The VE process and the sampling grid of :cite:`farghly2025logdomain`.

    Attributes:
      T: VE terminal time (:math:`\\sigma_{\\max} = \\sqrt T = 3`).
      t_min: the last positive time (:math:`\\sigma_{\\min}^2 = 10^{-6}`).
      n_steps: sampler steps: ``n_steps - 1`` geometric steps from ``T`` to ``t_min``, then one
        noise-free step to 0.
    """

    T: float = 9.0
    t_min: float = 1e-6
    n_steps: int = 100

    def process(self) -> VE:
        """The forward process."""
        return VE(T=self.T)

    def grid(self):
        """The sampling grid: ``n_steps - 1`` geometric steps to ``t_min``, then a step to 0."""
        return geometric_grid(self.T, self.t_min, self.n_steps - 1, include_zero=True)


def bandwidth_tag(h: float) -> str:
    """The name of a bandwidth in a summary: 0.25 -> ``"025"``, 0.1 -> ``"01"``, 0 -> ``"0"``."""
    return f"{h:g}".replace(".", "")


def smoothed_or_empirical(empirical: EmpiricalScore, bandwidth: float, n_draws: int, key, **kernel):
    """``SmoothedScore(empirical, bandwidth, n_draws, key, **kernel)``, or ``empirical`` itself at
    bandwidth 0 (the same score without ``n_draws`` identical evaluations)."""
    if float(bandwidth) == 0.0:
        return empirical
    return SmoothedScore(empirical, bandwidth, n_draws, key, **kernel)
