r"""Manifolds with exact geometry, and densities on them.

Every manifold offers ``k``, ``d``, ``sample(key, n, density)``, ``sample_with_coords``,
``embed_coords``, ``project``, ``distance``, ``coords``, ``tangent_basis``, ``log_prob``,
``density_coords``, ``reach`` and ``volume`` (see :mod:`._base`). Coordinates are volume
coordinates (arc length on curves), and densities (:mod:`.densities`) act on the angles
:math:`2\pi(u - \ell)/(h - \ell)` of those coordinates.

- :class:`Sphere`, :func:`Circle` -- round spheres, closed forms;
- :class:`Ellipse`, :class:`WavyCircle`, :class:`LimaBean`, :class:`ToroidalHelix` -- closed
  curves (projection by dense search plus Newton);
- :class:`RoughCurve`, :class:`LacunaryCurve` -- closed curves of controlled regularity
  :math:`C^\beta`;
- :class:`FlatTorus` (in :math:`\mathbb R^4`), :class:`Torus` (in :math:`\mathbb R^3`);
- :class:`SwissRoll`;
- :class:`AffineSubspace`, :func:`random_subspace`;
- :func:`embed` -- a random isometric embedding into :math:`\mathbb R^d`;
- :class:`LocalPCAManifold`, :func:`local_pca_tangents` -- a manifold estimated from its samples
  (local-PCA tangent planes), for kernels built without an oracle.
"""

from ._base import Manifold
from .curves import (ClosedCurve, Ellipse, LacunaryCurve, LimaBean, RadialCurve, RoughCurve,
                     ToroidalHelix, WavyCircle)
from .densities import (CircularDensity, Cusp, PiecewiseConstant, ProductDensity, Uniform, VonMises,
                        VonMisesMixture, separated_modes, wrap_angle)
from .embed import Embedded, embed
from .local_pca import LocalPCAManifold, local_pca_tangents
from . import estimate
from .estimate import FourierCurve, fit_fourier_curve, fourier_order, hausdorff_distance
from .spheres import Circle, Sphere
from .subspace import AffineSubspace, random_subspace
from .swiss_roll import SwissRoll
from .torus import FlatTorus, Torus

__all__ = [
    "Manifold",
    "Sphere",
    "Circle",
    "ClosedCurve",
    "RadialCurve",
    "Ellipse",
    "WavyCircle",
    "LimaBean",
    "ToroidalHelix",
    "RoughCurve",
    "LacunaryCurve",
    "FlatTorus",
    "Torus",
    "SwissRoll",
    "AffineSubspace",
    "random_subspace",
    "Embedded",
    "embed",
    "LocalPCAManifold",
    "local_pca_tangents",
    "CircularDensity",
    "Uniform",
    "VonMises",
    "VonMisesMixture",
    "separated_modes",
    "PiecewiseConstant",
    "Cusp",
    "ProductDensity",
    "wrap_angle",
]
