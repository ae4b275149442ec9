r"""Memorization: is a generated sample a copy of a training point?

For a sample :math:`y` let :math:`d_1(y)\le d_2(y)` be its (Euclidean, data-space) distances to
the nearest and the second-nearest training points. The criterion of :cite:`yoon2023diffusion`
and :cite:`gu2023memorization` (also the "gap ratio" of :cite:`bonnaire2025why`'s code, and used in
:cite:`ross2025geometric`) counts :math:`y` as **memorized** when

.. math:: \frac{d_1(y)}{d_2(y)} < \frac13,

i.e. :math:`y` is much closer to one training point than to any other.

**Its floor.** The criterion also counts *new* points: a point drawn exactly on a curve through
the training points lies in the inner half of its cell half the time, and there
:math:`d_1/d_2 < 1/3` (for a point at fraction :math:`u \le 1/2` of the spacing,
:math:`d_1/d_2 = u/(1-u) < 1/3 \iff u < 1/4`) -- when the training points are evenly spaced. For
independent training points the gaps are locally independent exponentials and the floor is 1/3
(:math:`2\int_0^\infty \lambda e^{-\lambda l} e^{-3\lambda l} e^{-2\lambda l}\,dl`: the nearest point on
one side at :math:`l`, none within :math:`3l` on the other, the next on the same side beyond
:math:`3l`). So on a 1-D manifold a perfect generalizer scores between about 1/3 (random
training points) and 1/2 (evenly spaced ones) when its samples lie on the manifold, and about 0
when their distance to it exceeds the spacing. Compare a model's fraction with the same statistic of fresh draws from the data law
(noised as the sampler leaves them), and with the empirical score's samples (the ceiling). The ratio is
scale-free, so it is complemented by the **relative distance** :math:`d_1(y)/s`, with :math:`s`
the training set's typical spacing — the median over training points of the distance to their
nearest *other* training point. **Novelty** is the median relative distance: about 0 for copies,
of order 1 for samples that are as far from the training set as its points are from each other.

All neighbour searches go through :func:`.neighbors.nearest_neighbors` (chunked matrix-product
form, exact distances for the selected pairs).
"""

from typing import NamedTuple

import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from .._checks import as_point_cloud, check_in_interval
from .._types import ArrayInput
from .neighbors import nearest_neighbors

__all__ = [
    "MemorizationReport",
    "memorization_ratio",
    "fraction_memorized",
    "training_spacing",
    "memorization_report",
]


class MemorizationReport(NamedTuple):
    """Memorization statistics of ``b`` samples against ``n`` training points.

    Attributes:
      nearest_distance: ``(b,)`` :math:`d_1`, distance to the nearest training point.
      second_distance: ``(b,)`` :math:`d_2`.
      ratio: ``(b,)`` :math:`d_1/d_2` (0 where :math:`d_2 = 0`).
      nearest_index: ``(b,)`` row of the nearest training point.
      relative_distance: ``(b,)`` :math:`d_1/s`.
      spacing: scalar :math:`s`, median nearest-neighbour distance within the training set.
      fraction_memorized: scalar, share of samples with ``ratio < threshold``.
      novelty: scalar, median of ``relative_distance``.
      threshold: the ratio threshold used.
    """

    nearest_distance: Float[Array, " b"]
    second_distance: Float[Array, " b"]
    ratio: Float[Array, " b"]
    nearest_index: Int[Array, " b"]
    relative_distance: Float[Array, " b"]
    spacing: Float[Array, ""]
    fraction_memorized: Float[Array, ""]
    novelty: Float[Array, ""]
    threshold: float


def _pair(samples, data):
    samples = as_point_cloud("samples", samples)
    data = as_point_cloud("data", data, d=samples.shape[1], what="d from samples", min_points=2)
    return samples, data


def _ratio(d1, d2):
    return jnp.where(d2 > 0, d1 / jnp.where(d2 > 0, d2, 1.0), 0.0)


def memorization_ratio(samples: ArrayInput, data: ArrayInput) -> Float[Array, " b"]:
    r"""Ratio :math:`d_1/d_2` of each sample's distances to its two nearest training points.

    Args:
      samples: ``(b, d)`` generated points.
      data: ``(n, d)`` training points, ``n >= 2``.

    Returns:
      ``(b,)`` ratios in :math:`[0, 1]` (0 where the two nearest training points coincide
      with the sample).
    """
    samples, data = _pair(samples, data)
    nb = nearest_neighbors(samples, data, k=2)
    return _ratio(nb.distances[:, 0], nb.distances[:, 1])


def fraction_memorized(samples: ArrayInput, data: ArrayInput,
                       threshold: float = 1.0 / 3.0) -> Float[Array, ""]:
    r"""Share of samples with :math:`d_1/d_2 <` ``threshold`` (default :math:`1/3`).

    Args:
      samples: ``(b, d)``. data: ``(n, d)``, ``n >= 2``. threshold: in :math:`(0, 1]`.
    """
    check_in_interval("threshold", threshold, 0.0, 1.0)
    return jnp.mean((memorization_ratio(samples, data) < threshold).astype(jnp.result_type(float)))


def training_spacing(data: ArrayInput) -> Float[Array, ""]:
    r"""Typical spacing :math:`s` of a training set: the median distance to the nearest other point.

    For :math:`n` points spread uniformly on a :math:`k`-dimensional manifold of volume
    :math:`V` this scales like :math:`(V/n)^{1/k}`. Duplicated points count with distance 0.

    Args:
      data: ``(n, d)``, ``n >= 2``.
    """
    data = as_point_cloud("data", data, min_points=2)
    nb = nearest_neighbors(data, data, k=2)
    # column 0 is the point itself (distance 0) unless a duplicate came first; either way the
    # second-smallest distance is the distance to the nearest other point
    return jnp.median(nb.distances[:, 1])


def memorization_report(samples: ArrayInput, data: ArrayInput,
                        threshold: float = 1.0 / 3.0) -> MemorizationReport:
    """All memorization statistics at once (one neighbour search for the samples, one for the data).

    Args:
      samples: ``(b, d)`` generated points.
      data: ``(n, d)`` training points, ``n >= 2``.
      threshold: ratio threshold, default :math:`1/3`.

    Returns:
      :class:`MemorizationReport`.
    """
    check_in_interval("threshold", threshold, 0.0, 1.0)
    samples, data = _pair(samples, data)
    nb = nearest_neighbors(samples, data, k=2)
    d1, d2 = nb.distances[:, 0], nb.distances[:, 1]
    ratio = _ratio(d1, d2)
    spacing = training_spacing(data)
    relative = d1 / jnp.where(spacing > 0, spacing, 1.0)
    return MemorizationReport(
        nearest_distance=d1, second_distance=d2, ratio=ratio, nearest_index=nb.indices[:, 0],
        relative_distance=relative, spacing=spacing,
        fraction_memorized=jnp.mean((ratio < threshold).astype(d1.dtype)),
        novelty=jnp.median(relative), threshold=float(threshold))
