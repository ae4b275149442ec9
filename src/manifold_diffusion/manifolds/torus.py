r"""Tori: the flat torus :math:`S^1_{r_1}\times S^1_{r_2}\subset\mathbb R^4` and the standard torus of
revolution in :math:`\mathbb R^3`, both with closed-form projections.
"""

import equinox as eqx
import jax.numpy as jnp

from .._checks import check_positive
from ._base import TWO_PI, Manifold, solve_monotone

__all__ = ["FlatTorus", "Torus"]


def _angle(y, x):
    return jnp.mod(jnp.arctan2(y, x), TWO_PI)


class FlatTorus(Manifold):
    r"""The flat torus :math:`\{(r_1\cos\theta_1, r_1\sin\theta_1, r_2\cos\theta_2, r_2\sin\theta_2)\}`.

    A product of two circles, so the projection normalises each pair of coordinates
    separately, :math:`\operatorname{dist}^2 = (\rho_1 - r_1)^2 + (\rho_2 - r_2)^2` with
    :math:`\rho_i` the norm of the :math:`i`-th pair, the reach is :math:`\min(r_1, r_2)` (the
    medial axis is :math:`\{\rho_1 = 0\}\cup\{\rho_2 = 0\}`) and the area is
    :math:`4\pi^2 r_1 r_2`. The metric is flat: the volume coordinates
    :math:`u = (r_1\theta_1, r_2\theta_2)` are isometric.
    """

    k: int = eqx.field(static=True)
    d: int = eqx.field(static=True)
    radius1: float = eqx.field(static=True)
    radius2: float = eqx.field(static=True)

    def __init__(self, radius1: float = 1.0, radius2: float = 1.0):
        check_positive("radius1", radius1)
        check_positive("radius2", radius2)
        self.k, self.d = 2, 4
        self.radius1, self.radius2 = float(radius1), float(radius2)

    @property
    def coord_low(self):
        return (0.0, 0.0)

    @property
    def coord_high(self):
        return (TWO_PI * self.radius1, TWO_PI * self.radius2)

    @property
    def reach(self) -> float:
        r"""Exact reach :math:`\min(r_1, r_2)`."""
        return min(self.radius1, self.radius2)

    @property
    def volume(self) -> float:
        return TWO_PI ** 2 * self.radius1 * self.radius2

    def _angles(self, x):
        return _angle(x[:, 1], x[:, 0]), _angle(x[:, 3], x[:, 2])

    def _locate(self, x):
        t1, t2 = self._angles(x)
        u = jnp.stack([self.radius1 * t1, self.radius2 * t2], axis=1)
        return self._embed_coords(u), u

    def _embed_coords(self, u):
        t1, t2 = u[:, 0] / self.radius1, u[:, 1] / self.radius2
        return jnp.stack([self.radius1 * jnp.cos(t1), self.radius1 * jnp.sin(t1),
                          self.radius2 * jnp.cos(t2), self.radius2 * jnp.sin(t2)], axis=1)

    def _tangent_basis(self, x, p, u):
        t1, t2 = self._angles(x)
        zero = jnp.zeros_like(t1)
        e1 = jnp.stack([-jnp.sin(t1), jnp.cos(t1), zero, zero], axis=1)
        e2 = jnp.stack([zero, zero, -jnp.sin(t2), jnp.cos(t2)], axis=1)
        return jnp.stack([e1, e2], axis=2)


class Torus(Manifold):
    r"""The torus of revolution in :math:`\mathbb R^3`, major radius :math:`R`, minor radius :math:`r<R`:

    .. math:: x(\varphi, \theta) = \big((R + r\cos\theta)\cos\varphi,\
              (R + r\cos\theta)\sin\varphi,\ r\sin\theta\big).

    Projection (closed form): :math:`\varphi` is the azimuth of :math:`x`; in the half-plane
    of that azimuth, the nearest point of the tube's circle (centre :math:`(R, 0)`, radius
    :math:`r`) is along the ray from its centre. Reach :math:`\min(r, R - r)` (the medial axis is
    the core circle and the axis of revolution). Area :math:`4\pi^2 R r`.

    **Volume coordinates** :math:`u = (\varphi, w)\in[0,2\pi)\times[0, 2\pi rR)` with the area
    coordinate :math:`w = r(R\theta + r\sin\theta)`, since
    :math:`dA = r(R + r\cos\theta)\,d\theta\,d\varphi = dw\,d\varphi`. The inverse
    :math:`w\mapsto\theta` is Kepler's equation :math:`\theta + e\sin\theta = w/(rR)` with
    eccentricity :math:`e = r/R<1`, solved by bracketed Newton (:func:`._base.solve_monotone`).
    At a point of the core circle or of the axis, ``coords`` returns one of the nearest points.
    """

    k: int = eqx.field(static=True)
    d: int = eqx.field(static=True)
    major_radius: float = eqx.field(static=True)
    minor_radius: float = eqx.field(static=True)

    def __init__(self, major_radius: float = 1.0, minor_radius: float = 0.4):
        check_positive("major_radius", major_radius)
        check_positive("minor_radius", minor_radius)
        if minor_radius >= major_radius:
            raise ValueError(f"minor_radius: expected minor_radius < major_radius = {major_radius}, "
                             f"got {minor_radius}")
        self.k, self.d = 2, 3
        self.major_radius, self.minor_radius = float(major_radius), float(minor_radius)

    @property
    def coord_low(self):
        return (0.0, 0.0)

    @property
    def coord_high(self):
        return (TWO_PI, TWO_PI * self.minor_radius * self.major_radius)

    @property
    def reach(self) -> float:
        r"""Exact reach :math:`\min(r, R - r)`."""
        return min(self.minor_radius, self.major_radius - self.minor_radius)

    @property
    def volume(self) -> float:
        return TWO_PI ** 2 * self.major_radius * self.minor_radius

    def _angles(self, x):
        phi = _angle(x[:, 1], x[:, 0])
        rho = jnp.sqrt(x[:, 0] ** 2 + x[:, 1] ** 2)
        theta = _angle(x[:, 2], rho - self.major_radius)
        return phi, theta

    def _point(self, phi, theta):
        rho = self.major_radius + self.minor_radius * jnp.cos(theta)
        return jnp.stack([rho * jnp.cos(phi), rho * jnp.sin(phi), self.minor_radius * jnp.sin(theta)],
                         axis=1)

    def area_coordinate(self, theta):
        r""":math:`w(\theta) = r(R\theta + r\sin\theta)` for poloidal angles ``theta`` in :math:`[0, 2\pi)`."""
        return self.minor_radius * (self.major_radius * theta + self.minor_radius * jnp.sin(theta))

    def poloidal_angle(self, w):
        r"""Inverse of :meth:`area_coordinate`: solves Kepler's equation for :math:`\theta`."""
        e = self.minor_radius / self.major_radius
        mean = w / (self.minor_radius * self.major_radius)
        return solve_monotone(lambda t: t + e * jnp.sin(t), lambda t: 1 + e * jnp.cos(t), mean,
                              mean - e, mean + e)

    def _locate(self, x):
        phi, theta = self._angles(x)
        return self._point(phi, theta), jnp.stack([phi, self.area_coordinate(theta)], axis=1)

    def _project(self, x):
        return self._point(*self._angles(x))

    def _embed_coords(self, u):
        return self._point(u[:, 0], self.poloidal_angle(u[:, 1]))

    def _tangent_basis(self, x, p, u):
        phi, theta = self._angles(x)
        e_phi = jnp.stack([-jnp.sin(phi), jnp.cos(phi), jnp.zeros_like(phi)], axis=1)
        e_theta = jnp.stack([-jnp.sin(theta) * jnp.cos(phi), -jnp.sin(theta) * jnp.sin(phi),
                             jnp.cos(theta)], axis=1)
        return jnp.stack([e_phi, e_theta], axis=2)
