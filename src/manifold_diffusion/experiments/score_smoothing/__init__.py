r"""Chapter 3, "Score smoothing is tangential regularization": one module per experiment.

The set-up follows :cite:`farghly2025logdomain` (appendix G and its public code): the VE process
with variance :math:`t` (``T = 9``, :math:`\sigma_{\max} = 3`), a geometric grid of 100
Euler--Maruyama steps down to :math:`t_{\min} = 10^{-6}` followed by a noise-free (Tweedie) step
to 0 (:class:`SmoothingConfig`), the closed-form empirical score, and Gaussian score smoothing with
a bandwidth constant in time, estimated with antithetic Monte Carlo draws
(:class:`~manifold_diffusion.scores.SmoothedScore`).

- :mod:`.flat` -- Prop. 3.1 on a line in :math:`\mathbb R^{10}`: isotropic and tangent-only
  smoothing give the same samples (MMD permutation test), no normal spread;
- :mod:`.circle` -- 12 equally spaced points on the unit circle, a bandwidth sweep, and a
  bandwidth slider (:func:`.circle.widget`);
- :mod:`.nll` -- held-out negative log-likelihood under the log-smoothed measure;
- :mod:`.domains` -- log-domain (score smoothing) against density-domain (KDE) smoothing at
  matched novelty, the circle embedded in :math:`\mathbb R^d`;
- :mod:`.wavy` -- the wavy circle: the 8th Fourier amplitude of the samples' radius;
- :mod:`.lattice` -- a square lattice with isotropic and elongated kernels;
- :mod:`.segment` -- Chen's evenly spaced points on a segment: gap filling, barycentres;
- :mod:`.moons` -- :math:`\sigma`-CFDM (:func:`manifold_diffusion.scores.cfdm_sample`) on two moons;
- :mod:`.reference` -- the values of an independent NumPy re-computation drawn beside some of
  the measurements (what it is: see there).
"""

from . import circle, domains, flat, lattice, moons, nll, reference, segment, wavy
from ._setup import SmoothingConfig

__all__ = ["SmoothingConfig", "flat", "circle", "nll", "domains", "wavy", "lattice", "segment",
           "moons", "reference"]
