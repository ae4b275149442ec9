r"""Affine subspaces :math:`A = \{c + Bu: u\in\mathbb R^k\}` of :math:`\mathbb R^d`, the trivial manifold.

With :math:`B\in\mathbb R^{d\times k}` orthonormal everything is in closed form:
:math:`\Pi x = c + BB^\top(x - c)`, :math:`\operatorname{dist}(x) = \|(I - BB^\top)(x - c)\|`,
coordinates :math:`u = B^\top(x - c)`, tangent space :math:`\operatorname{span} B` everywhere, reach
:math:`+\infty`. Projection, distance and coordinates refer to the whole subspace; the *data*
live on the cube :math:`u\in[-e, e]^k` (``extent`` :math:`e`), which defines "uniform" and the
volume :math:`(2e)^k`. For Gaussian coordinates, call ``embed_coords`` on normal draws.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from .._checks import (as_float_array, check_finite, check_nonnegative, check_positive, check_positive_int,
                       check_shape)
from .._types import Size
from ..keys import check_key
from ._base import Manifold

__all__ = ["AffineSubspace", "random_subspace"]

_HIGHEST = jax.lax.Precision.HIGHEST


class AffineSubspace(Manifold):
    r"""The affine subspace :math:`c + \operatorname{span}(B)`.

    Args:
      basis: ``(d, k)`` spanning vectors with ``k <= d``; they are orthonormalised (QR), so
        the subspace is their span and the coordinates are in the orthonormalised basis.
      offset: ``(d,)`` the point :math:`c` (coordinate origin); zeros if omitted.
      extent: half-width :math:`e` of the coordinate cube carrying the uniform law.
    """

    k: int = eqx.field(static=True)
    d: int = eqx.field(static=True)
    extent: float = eqx.field(static=True)
    basis: Float[Array, "d k"]
    offset: Float[Array, " d"]

    def __init__(self, basis, offset=None, extent: float = 1.0):
        basis = as_float_array("basis", basis, ndim=2)
        d, k = basis.shape
        if k > d:
            raise ValueError(f"basis: expected k <= d for a (d, k) basis, got k={k} > d={d}")
        if k == 0:
            raise ValueError("basis: expected at least one column (k >= 1)")
        check_finite("basis", basis)
        q, r = jnp.linalg.qr(basis)
        diag = jnp.abs(jnp.diagonal(r))
        if bool(jnp.min(diag) <= 1e-6 * jnp.max(diag)):
            raise ValueError("basis: expected linearly independent columns")
        self.basis = q * jnp.where(jnp.diagonal(r) < 0, -1.0, 1.0)[None, :]
        if offset is None:
            offset = jnp.zeros((d,), basis.dtype)
        offset = as_float_array("offset", offset)
        check_shape("offset", offset, (d,), "d from basis")
        check_finite("offset", offset)
        self.offset = offset
        check_positive("extent", extent)
        self.extent = float(extent)
        self.k, self.d = k, d

    @property
    def coord_low(self):
        return (-self.extent,) * self.k

    @property
    def coord_high(self):
        return (self.extent,) * self.k

    @property
    def reach(self) -> float:
        """Infinite: every point has a unique nearest point."""
        return float("inf")

    @property
    def volume(self) -> float:
        """Volume :math:`(2e)^k` of the coordinate cube."""
        return (2 * self.extent) ** self.k

    def _locate(self, x):
        u = jnp.matmul(x - self.offset[None, :], self.basis, precision=_HIGHEST)
        return self._embed_coords(u), u

    def _embed_coords(self, u):
        return self.offset[None, :] + jnp.matmul(u, self.basis.T, precision=_HIGHEST)

    def _tangent_basis(self, x, p, u):
        return jnp.broadcast_to(self.basis[None, :, :], (x.shape[0], self.d, self.k))


def random_subspace(key: PRNGKeyArray, k: Size, d: Size, *, offset_scale: float = 0.0,
                    extent: float = 1.0) -> AffineSubspace:
    r"""A uniformly random :math:`k`-dimensional subspace of :math:`\mathbb R^d`, optionally shifted.

    The basis is the Q factor of a ``(d, k)`` standard Gaussian matrix (Haar-distributed
    frame); the offset is ``offset_scale`` times a standard Gaussian vector, projected onto the
    orthogonal complement (so it is the point of the subspace nearest to the origin).

    Args:
      key: a ``jax.random`` key.
      k: intrinsic dimension, ``1 <= k <= d``.
      d: ambient dimension.
      offset_scale: scale of the offset (0: a linear subspace).
      extent: as in :class:`AffineSubspace`.
    """
    key = check_key("key", key)
    k = check_positive_int("k", k)
    d = check_positive_int("d", d)
    if k > d:
        raise ValueError(f"k: expected k <= d, got k={k} > d={d}")
    check_nonnegative("offset_scale", offset_scale)
    key_basis, key_offset = jax.random.split(key)
    basis, _ = jnp.linalg.qr(jax.random.normal(key_basis, (d, k), jnp.result_type(float)))
    offset = offset_scale * jax.random.normal(key_offset, (d,), basis.dtype)
    offset = offset - basis @ (basis.T @ offset)
    return AffineSubspace(basis, offset, extent)
