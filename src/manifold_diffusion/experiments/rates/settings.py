r"""The settings of chapter 4: manifolds by name, densities by name, and the two circulating exponents.

Curves (:math:`k = 1`, in the plane; :func:`curve`):

- ``"rough-2.5"``, ``"rough-4.5"`` -- :class:`~manifold_diffusion.manifolds.RoughCurve`,
  :math:`r(\theta) = 1 + 0.15|\sin\theta|^\beta`, exactly :math:`C^\beta` at two points;
- ``"lacunary-2.5"``, ``"lacunary-4.5"`` -- :class:`~manifold_diffusion.manifolds.LacunaryCurve`,
  a truncated Weierstrass series, :math:`C^\beta` at every scale above :math:`2\pi\,2^{-6}`;
- ``"ellipse"`` -- the real-analytic ellipse with axes 1 and 1.5 (:math:`\beta = \infty`).

Surfaces (:math:`k = 2`, in :math:`\mathbb R^3`; :func:`surface`): ``"rough-sphere-2.5"``,
``"rough-sphere-4.5"`` -- :class:`~manifold_diffusion.manifolds.RoughSphere`.

Densities along a curve (:func:`density`): ``"smooth"`` (von Mises, concentration 0.8, in the
normalised arc length), ``"piecewise"`` (levels 1 and 3), ``"cusp"`` (:math:`0.3 + |\theta - 1|^{1/2}`),
all bounded above and below. Surfaces carry the uniform law.
"""

import math

from ...manifolds import Cusp, Ellipse, LacunaryCurve, PiecewiseConstant, RoughCurve, RoughSphere, VonMises

__all__ = ["CURVES", "SURFACES", "DENSITIES", "curve", "surface", "density", "regularity", "exponents"]

CURVES = ("rough-2.5", "rough-4.5", "lacunary-2.5", "lacunary-4.5", "ellipse")
SURFACES = ("rough-sphere-2.5", "rough-sphere-4.5")
DENSITIES = ("smooth", "piecewise", "cusp")


def _split(name: str, families: tuple[str, ...], what: str):
    if not isinstance(name, str):
        raise TypeError(f"name: expected a {what} name such as {families[0]!r}, got {type(name).__name__}")
    for family in sorted({n.rsplit("-", 1)[0] for n in families if "-" in n}, key=len, reverse=True):
        if name.startswith(family + "-"):
            try:
                return family, float(name[len(family) + 1:])
            except ValueError:
                break
    if name in families:
        return name, math.inf
    raise ValueError(f"name: expected a {what} name like {', '.join(families)} (any beta), got {name!r}")


def curve(name: str):
    """The curve called ``name`` (module docstring); ``rough-B`` and ``lacunary-B`` accept any beta."""
    family, beta = _split(name, CURVES, "curve")
    if family == "rough":
        return RoughCurve(beta)
    if family == "lacunary":
        return LacunaryCurve(beta)
    return Ellipse(1.0, 1.5)


def surface(name: str):
    """The surface called ``name``: ``rough-sphere-B`` (any beta > 1)."""
    family, beta = _split(name, SURFACES, "surface")
    if family != "rough-sphere":
        raise ValueError(f"name: expected a surface name like {SURFACES[0]!r}, got {name!r}")
    return RoughSphere(beta)


def regularity(name: str) -> float:
    r""":math:`\beta` of a setting (``inf`` for the analytic ellipse)."""
    families = CURVES + SURFACES
    return _split(name, families, "setting")[1]


def density(name: str):
    """The density along a curve called ``name``: ``smooth``, ``piecewise`` or ``cusp``."""
    if name == "smooth":
        return VonMises(0.0, 0.8)
    if name == "piecewise":
        return PiecewiseConstant((1.0, 3.0))
    if name == "cusp":
        return Cusp(1.0, 0.5, 0.3)
    raise ValueError(f"name: expected one of {DENSITIES}, got {name!r}")


def exponents(beta: float, k: int = 1) -> tuple[float, float]:
    r"""The two circulating coverage exponents of :cite:`shen2026manifold`: version A
    :math:`\beta/(4k)` (arXiv v1 abstract) and version B :math:`(\beta-1)/(4k)` (ICLR page). The
    coverage scale is claimed to shrink like :math:`N^{-\text{exponent}}`, up to logarithms."""
    if not (isinstance(k, int) and k >= 1):
        raise ValueError(f"k: expected an integer >= 1, got {k!r}")
    beta = float(beta)
    if not beta > 0:
        raise ValueError(f"beta: expected beta > 0, got {beta}")
    return beta / (4 * k), (beta - 1) / (4 * k)
