r"""Round spheres :math:`S^k_R = \{x\in\mathbb R^{k+1}: \|x\| = R\}` and the circle :math:`S^1_R`.

Everything is in closed form: :math:`\Pi x = R\,x/\|x\|`, :math:`\operatorname{dist}(x) =
|\|x\| - R|`, reach :math:`R` (the medial axis is the centre), volume
:math:`2\pi^{(k+1)/2}R^k/\Gamma(\tfrac{k+1}2)`. Uniform samples are normalised Gaussians.

Volume coordinates exist for :math:`k\le2`: the arc length :math:`u = R\theta\in[0, 2\pi R)` on
the circle, and on :math:`S^2` Archimedes' cylinder :math:`u = (R\varphi, z)\in[0, 2\pi R)\times
[-R, R]` (longitude times radius, and height), in which area is :math:`du_1\,du_2`. For
:math:`k\ge3` there are no global coordinates: sampling is uniform only and ``coords`` raises.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp

from .._checks import check_positive, check_positive_int
from .._types import Size
from ._base import TWO_PI, Manifold

__all__ = ["Sphere", "Circle"]


class Sphere(Manifold):
    r"""The sphere :math:`S^k` of radius :math:`R` centred at 0 in :math:`\mathbb R^{k+1}`.

    At :math:`x = 0`, where every point is nearest, the projection returns :math:`R e_1`.

    Args:
      k: intrinsic dimension (``d = k + 1``).
      radius: :math:`R > 0`.
    """

    k: int = eqx.field(static=True)
    d: int = eqx.field(static=True)
    radius: float = eqx.field(static=True)

    def __init__(self, k: Size = 2, radius: float = 1.0):
        self.k = check_positive_int("k", k)
        self.d = self.k + 1
        check_positive("radius", radius)
        self.radius = float(radius)

    @property
    def coord_low(self):
        if self.k == 1:
            return (0.0,)
        if self.k == 2:
            return (0.0, -self.radius)
        return None

    @property
    def coord_high(self):
        if self.k == 1:
            return (TWO_PI * self.radius,)
        if self.k == 2:
            return (TWO_PI * self.radius, self.radius)
        return None

    @property
    def reach(self) -> float:
        """Exact reach: the radius."""
        return self.radius

    @property
    def volume(self) -> float:
        r""":math:`2\pi^{(k+1)/2}R^k/\Gamma((k+1)/2)` (circumference, area, ...)."""
        return 2 * math.pi ** ((self.k + 1) / 2) / math.gamma((self.k + 1) / 2) * self.radius ** self.k

    def _project(self, x):
        norm = jnp.linalg.norm(x, axis=1, keepdims=True)
        e1 = jnp.zeros_like(x).at[:, 0].set(1.0)
        return self.radius * jnp.where(norm > 0, x / jnp.where(norm > 0, norm, 1.0), e1)

    def _locate(self, x):
        p = self._project(x)
        if self.k == 1:
            angle = jnp.mod(jnp.arctan2(p[:, 1], p[:, 0]), TWO_PI)
            return p, (self.radius * angle)[:, None]
        if self.k == 2:
            angle = jnp.mod(jnp.arctan2(p[:, 1], p[:, 0]), TWO_PI)
            return p, jnp.stack([self.radius * angle, p[:, 2]], axis=1)
        return p, jnp.zeros((x.shape[0], self.k), x.dtype)

    def _embed_coords(self, u):
        if self.k == 1:
            angle = u[:, 0] / self.radius
            return self.radius * jnp.stack([jnp.cos(angle), jnp.sin(angle)], axis=1)
        angle = u[:, 0] / self.radius
        z = jnp.clip(u[:, 1], -self.radius, self.radius)
        rho = jnp.sqrt(jnp.maximum(self.radius ** 2 - z ** 2, 0.0))
        return jnp.stack([rho * jnp.cos(angle), rho * jnp.sin(angle), z], axis=1)

    def _sample_uniform(self, key, n):
        if self.k <= 2:
            return super()._sample_uniform(key, n)
        z = jax.random.normal(key, (n, self.d), jnp.result_type(float))
        x = self.radius * z / jnp.linalg.norm(z, axis=1, keepdims=True)
        return x, jnp.zeros((n, self.k), x.dtype)

    def _tangent_basis(self, x, p, u):
        r"""Householder reflection :math:`H = I - 2vv^\top/\|v\|^2`, :math:`v = p/R - s\,e_{d}`.

        With :math:`s = -\operatorname{sign}(p_d)`, :math:`\|v\|^2\ge2`; :math:`H` swaps
        :math:`p/R` and :math:`s e_d`, so its first :math:`k` columns are orthonormal and
        orthogonal to :math:`p`.
        """
        p = p / self.radius
        s = -jnp.where(p[:, -1] >= 0, 1.0, -1.0).astype(x.dtype)
        v = p.at[:, -1].add(-s)
        eye = jnp.eye(self.d, dtype=x.dtype)
        h = eye[None, :, :] - 2.0 * v[:, :, None] * v[:, None, :] / jnp.sum(v * v, axis=1)[:, None, None]
        return h[:, :, : self.k]


def Circle(radius: float = 1.0) -> Sphere:  # noqa: N802 (a constructor, named like a class)
    r"""The circle :math:`S^1_R\subset\mathbb R^2`: ``Sphere(k=1, radius=radius)``.

    Coordinate: arc length :math:`u = R\theta\in[0, 2\pi R)`; reach :math:`R`; length
    :math:`2\pi R`.
    """
    return Sphere(1, radius)
