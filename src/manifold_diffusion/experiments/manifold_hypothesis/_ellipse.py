"""The von Mises ellipse shared by the score split and the coarse-score samplers."""

import dataclasses

from ...manifolds import Ellipse, VonMises
from ...processes import VE
from ..harness import ExperimentConfig

__all__ = ["EllipseConfig"]


@dataclasses.dataclass(frozen=True)
class EllipseConfig(ExperimentConfig):
    r"""An ellipse with a von Mises density on its arc-length angle, and the VE process.

    Attributes:
      semi_axes: ``(a, b)``, the semi-axes (reach :math:`a^2/b` for :math:`a < b`).
      kappa: the von Mises concentration (mode at angle 0).
      T: terminal time of the VE process (:math:`\sigma_{\max} = \sqrt T`).
    """

    semi_axes: tuple[float, float] = (1.0, 2.0)
    kappa: float = 1.0
    T: float = 9.0

    def ellipse(self) -> Ellipse:
        """The ellipse."""
        return Ellipse(*self.semi_axes)

    def density(self) -> VonMises:
        """The von Mises law on the arc-length angle."""
        return VonMises(0.0, self.kappa)

    def process(self) -> VE:
        """The forward process."""
        return VE(T=self.T)
