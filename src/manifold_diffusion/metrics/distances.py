r"""How far samples are from the manifold, and which part of a displacement is tangential.

For samples :math:`y_1,\dots,y_b` and a manifold :math:`M` with exact projection
:math:`\Pi_M`, the distances :math:`r_j = \|y_j - \Pi_M y_j\|` are summarised by their mean,
root mean square, quantiles and maximum; the maximum is the one-sided Hausdorff distance
:math:`\sup_j \operatorname{dist}(y_j, M)` from the samples to :math:`M`.

A displacement :math:`v` at a point :math:`x` splits into its tangential and normal parts at
:math:`p = \Pi_M x`, with :math:`T` the ``(d, k)`` orthonormal tangent basis at :math:`p`:

.. math:: v_\parallel = TT^\top v, \qquad v_\perp = v - v_\parallel.

Smoothing the score acts tangentially and the empirical score's memorizing pull is mostly
normal :cite:`farghly2025logdomain`, so the split shows where an error lives.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._checks import as_float_array, as_point_cloud, check_finite, check_type, is_concrete
from .._types import ArrayInput
from ..manifolds import Manifold, Projector


__all__ = ["DistanceSummary", "TangentNormalSplit", "summarize_distances", "distance_to_manifold",
           "tangent_normal_split"]

_HIGHEST = jax.lax.Precision.HIGHEST


class DistanceSummary(NamedTuple):
    """Summary of the distances of ``b`` samples to a manifold.

    Attributes:
      mean: mean distance.
      rms: root mean square distance.
      quantiles: ``(q,)`` distance quantiles at ``levels``.
      levels: the quantile levels (tuple of floats).
      max: largest distance, the one-sided Hausdorff distance from the samples to ``M``.
      distances: ``(b,)`` all distances.
    """

    mean: Float[Array, ""]
    rms: Float[Array, ""]
    quantiles: Float[Array, " q"]
    levels: tuple
    max: Float[Array, ""]
    distances: Float[Array, " b"]


class TangentNormalSplit(NamedTuple):
    """A displacement split at the projection of its base point.

    Attributes:
      tangential: ``(b, d)`` :math:`TT^\\top v`.
      normal: ``(b, d)`` :math:`v - TT^\\top v`.
      tangential_norm: ``(b,)``.
      normal_norm: ``(b,)``.
    """

    tangential: Float[Array, "b d"]
    normal: Float[Array, "b d"]
    tangential_norm: Float[Array, " b"]
    normal_norm: Float[Array, " b"]


def _check_levels(levels) -> tuple:
    if isinstance(levels, (str, bytes)) or not hasattr(levels, "__iter__"):
        raise TypeError(f"levels: expected a sequence of quantile levels, got {type(levels).__name__}")
    out = tuple(np.asarray(levels, np.float64).ravel().tolist()) if len(levels) else ()
    if any(not 0.0 <= q <= 1.0 for q in out):
        raise ValueError(f"levels: expected quantile levels in [0, 1], got {out}")
    return out


def summarize_distances(distances: ArrayInput,
                        levels: tuple = (0.5, 0.9, 0.99)) -> DistanceSummary:
    """Summarise precomputed distances ``(b,)`` (mean, rms, quantiles at ``levels``, max)."""
    distances = as_float_array("distances", distances)
    if distances.ndim != 1 or distances.shape[0] == 0:
        raise ValueError(f"distances: expected shape (b,) with b >= 1, got {tuple(distances.shape)}")
    check_finite("distances", distances)
    if is_concrete(distances) and bool(jnp.any(distances < 0)):
        raise ValueError(f"distances: expected distances >= 0, got a minimum of {float(jnp.min(distances)):.3g}")
    levels = _check_levels(levels)
    return DistanceSummary(
        mean=jnp.mean(distances), rms=jnp.sqrt(jnp.mean(distances ** 2)),
        quantiles=jnp.quantile(distances, jnp.asarray(levels, distances.dtype)) if levels
        else jnp.zeros((0,), distances.dtype),
        levels=levels, max=jnp.max(distances), distances=distances)


def distance_to_manifold(manifold, samples: ArrayInput,
                         levels: tuple = (0.5, 0.9, 0.99)) -> DistanceSummary:
    r"""Distances :math:`\operatorname{dist}(y_j, M)` of samples to a manifold, summarised.

    Args:
      manifold: any manifold of :mod:`manifold_diffusion.manifolds`.
      samples: ``(b, d)`` with ``d == manifold.d``.
      levels: quantile levels.

    Returns:
      :class:`DistanceSummary`; ``.max`` is the one-sided Hausdorff distance.
    """
    check_type("manifold", manifold, Projector,
               "a manifold or another Projector (with d, project and distance)")
    samples = as_point_cloud("samples", samples, d=manifold.d, what="d of the manifold")
    levels = _check_levels(levels)
    return summarize_distances(manifold.distance(samples), levels)


def tangent_normal_split(manifold, points: ArrayInput,
                         displacement: ArrayInput) -> TangentNormalSplit:
    r"""Split displacements ``(b, d)`` at ``points`` ``(b, d)`` into tangential and normal parts.

    The tangent space is taken at the projections :math:`\Pi_M` of ``points`` (which need not
    lie on ``M``). E.g. ``tangent_normal_split(m, x_train, samples - x_train)`` or, for a score,
    ``tangent_normal_split(m, x, score_fn(x, t))``.
    """
    check_type("manifold", manifold, Manifold, "a manifold of manifold_diffusion.manifolds")
    points = as_point_cloud("points", points, d=manifold.d, what="d of the manifold")
    displacement = as_point_cloud("displacement", displacement, d=manifold.d, what="d of the manifold")
    if displacement.shape[0] != points.shape[0]:
        raise ValueError(f"displacement: expected {points.shape[0]} rows (b from points), "
                         f"got shape {tuple(displacement.shape)}")
    basis = manifold.tangent_basis(points)                                  # (b, d, k)
    coef = jnp.einsum("bdk,bd->bk", basis, displacement, precision=_HIGHEST)
    tangential = jnp.einsum("bdk,bk->bd", basis, coef, precision=_HIGHEST)
    normal = displacement - tangential
    return TangentNormalSplit(tangential, normal, jnp.linalg.norm(coef, axis=1),
                              jnp.linalg.norm(normal, axis=1))


