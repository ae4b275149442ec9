r"""A manifold estimated from its samples by local PCA: tangent spaces without an oracle.

Given :math:`n` points :math:`x_i` near a :math:`k`-dimensional manifold, the tangent space at
:math:`x_i` is estimated by the top :math:`k` principal directions :math:`T_i\in\mathbb R^{d\times k}`
of its ``n_neighbors`` nearest points (itself included), centred at their mean
(:func:`local_pca_tangents`). :class:`LocalPCAManifold` glues these into a piecewise-affine
manifold: the affine tangent plane :math:`x_i + \operatorname{span} T_i` inside the Voronoi cell of
:math:`x_i`,

.. math:: \hat\Pi(x) = x_i + T_i T_i^\top (x - x_i), \qquad i = \arg\min_j \|x - x_j\|,

with tangent basis :math:`T_i` there. It has the ``project``/``tangent_basis`` interface of the
smoothed scores' manifold-adapted kernel, so the kernel can be built from the *training images
alone* -- beside the oracle kernel that uses the true manifold. The estimate is good where the
points are dense relative to the curvature (spacing well below the reach: the neighbours'
chord directions then approximate the tangent to first order in spacing/reach) and poor where
they are not, which is what the digits chapter's rotation curve measures as :math:`n` varies.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._checks import as_float_array, check_finite, check_positive_int
from .._types import ArrayInput

__all__ = ["local_pca_tangents", "LocalPCAManifold"]


def local_pca_tangents(points: ArrayInput, k: int, n_neighbors: int) -> Float[Array, "n d k"]:
    r"""Estimated tangent bases: for each point, the top ``k`` principal directions of its
    ``n_neighbors`` nearest points (itself included), centred at their mean.

    Args:
      points: ``(n, d)``, finite.
      k: the intrinsic dimension, ``1 <= k < d``.
      n_neighbors: neighbourhood size, ``k + 1 <= n_neighbors <= n``.

    Returns:
      ``(n, d, k)``: orthonormal columns, by decreasing local variance (each column's sign is
      arbitrary).
    """
    x = as_float_array("points", points, ndim=2)
    check_finite("points", x)
    n, d = x.shape
    k = check_positive_int("k", k)
    if k >= d:
        raise ValueError(f"k: expected 1 <= k < d = {d} (d from points), got {k}")
    n_neighbors = check_positive_int("n_neighbors", n_neighbors, minimum=k + 1)
    if n_neighbors > n:
        raise ValueError(f"n_neighbors: expected at most n = {n} (rows of points), got {n_neighbors}")
    xn = np.asarray(x, np.float64)
    sq = np.sum(xn * xn, axis=1)
    d2 = sq[:, None] + sq[None, :] - 2.0 * xn @ xn.T
    order = np.argsort(d2, axis=1, kind="stable")[:, :n_neighbors]
    hoods = xn[order]                                                    # (n, m, d)
    centred = hoods - hoods.mean(axis=1, keepdims=True)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)               # (n, min(m, d), d)
    return jnp.asarray(np.transpose(vt[:, :k, :], (0, 2, 1)), x.dtype)


class LocalPCAManifold(eqx.Module):
    r"""Piecewise-affine manifold through ``points`` with local-PCA tangent spaces (module docstring).

    Attributes:
      points: ``(n, d)`` the points (the training images).
      tangents: ``(n, d, k)`` their estimated tangent bases.
      sq_norms: ``(n,)`` squared norms of the points.
      k, d: intrinsic and ambient dimension.
      n_neighbors: the neighbourhood size of the estimate.
    """

    points: Float[Array, "n d"]
    tangents: Float[Array, "n d k"]
    sq_norms: Float[Array, " n"]
    k: int = eqx.field(static=True)
    d: int = eqx.field(static=True)
    n_neighbors: int = eqx.field(static=True)

    def __init__(self, points: ArrayInput, k: int, n_neighbors: int | None = None):
        """Args: points: ``(n, d)``. k: intrinsic dimension. n_neighbors: neighbourhood size
        (default ``2k + 1``: for a curve, a point and its two neighbours, a central difference)."""
        x = as_float_array("points", points, ndim=2)
        k = check_positive_int("k", k)
        n_neighbors = 2 * k + 1 if n_neighbors is None else n_neighbors
        self.tangents = local_pca_tangents(x, k, n_neighbors)
        self.points = x
        self.sq_norms = jnp.sum(x * x, axis=1)
        self.k, self.d, self.n_neighbors = k, int(x.shape[1]), int(n_neighbors)

    def _nearest(self, x):
        logits = self.sq_norms[None, :] - 2.0 * jnp.matmul(x, self.points.T,
                                                           precision=jax.lax.Precision.HIGHEST)
        return jnp.argmin(logits, axis=1)

    def _check(self, x):
        x = as_float_array("x", x, ndim=2)
        if x.shape[1] != self.d:
            raise ValueError(f"x: expected shape (b, {self.d}) (d of the manifold), got {tuple(x.shape)}")
        return x

    def project(self, x: ArrayInput) -> Float[Array, "b d"]:
        r""":math:`\hat\Pi(x) = x_i + T_iT_i^\top(x - x_i)` with :math:`x_i` the nearest point, ``(b, d)``."""
        x = self._check(x)
        i = self._nearest(x)
        base, basis = self.points[i], self.tangents[i]                    # (b, d), (b, d, k)
        coef = jnp.einsum("bdk,bd->bk", basis, x - base)
        return base + jnp.einsum("bdk,bk->bd", basis, coef)

    def tangent_basis(self, x: ArrayInput) -> Float[Array, "b d k"]:
        """The estimated tangent basis of the nearest point, ``(b, d, k)``."""
        x = self._check(x)
        return self.tangents[self._nearest(x)]
