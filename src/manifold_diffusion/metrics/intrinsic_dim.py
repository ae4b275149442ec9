r"""Intrinsic-dimension estimators from nearest-neighbour distances.

Both assume the density is locally constant on a :math:`k`-dimensional manifold, so that
around each point the counts of neighbours within radius :math:`r` grow like :math:`r^k`.

**TwoNN** (Facco, d'Errico, Rodriguez and Laio, 2017). With :math:`r_1(x)\le r_2(x)` the
distances to the two nearest neighbours, :math:`\mu = r_2/r_1` is Pareto distributed,
:math:`P(\mu > t) = t^{-k}`, whatever the density. The maximum-likelihood estimate with the
unbiasing factor :math:`(n-1)/n` is

.. math:: \hat k = \frac{n - 1}{\sum_{i=1}^n \log\mu_i}, \qquad \operatorname{sd}(\hat k)\approx\hat k/\sqrt n.

Facco et al. instead fit a line through the origin to :math:`-\log(1 - F(\mu))` against
:math:`\log\mu`, discarding the largest 10 % of :math:`\mu`; ``method="fit"`` does that.

**Levina--Bickel** (2004) MLE from :math:`K` neighbours, averaged as suggested by MacKay and
Ghahramani (the inverse of the mean of the inverse local estimates):

.. math:: \hat k = \Big[\frac{1}{n(K-1)}\sum_{i=1}^n\sum_{j=1}^{K-1}\log\frac{T_K(x_i)}{T_j(x_i)}\Big]^{-1}.

Points with a duplicate (:math:`r_1 = 0`) are left out and counted in ``n_discarded``.
Curvature biases both estimates at scales comparable to the reach, so use enough points
that the neighbour distances are well below it.
"""

from typing import NamedTuple

import numpy as np
from jaxtyping import Array, Float

from .._checks import as_point_cloud, check_choice, check_in_interval, check_positive_int
from .._types import ArrayInput, Size
from .neighbors import nearest_neighbors

__all__ = ["IntrinsicDimension", "two_nn", "levina_bickel"]


class IntrinsicDimension(NamedTuple):
    """An intrinsic-dimension estimate.

    Attributes:
      dimension: the estimate :math:`\\hat k` (float).
      standard_error: approximate standard error (``dimension / sqrt(n_used)`` for TwoNN MLE;
        spread of the local estimates over :math:`\\sqrt n` for Levina--Bickel).
      local: ``(n_used,)`` per-point quantities (TwoNN: :math:`\\log\\mu_i`; Levina--Bickel:
        local dimension estimates).
      n_used: number of points used.
      n_discarded: points left out (duplicates).
      method: ``"two_nn_mle"``, ``"two_nn_fit"`` or ``"levina_bickel"``.
    """

    dimension: float
    standard_error: float
    local: np.ndarray
    n_used: int
    n_discarded: int
    method: str


def two_nn(points: ArrayInput, *, method: str = "mle",
           discard_fraction: float = 0.1) -> IntrinsicDimension:
    r"""TwoNN estimate of the intrinsic dimension of a point cloud.

    Args:
      points: ``(n, d)`` with ``n >= 3``.
      method: ``"mle"`` (default) or ``"fit"`` (Facco et al.'s regression).
      discard_fraction: share of the largest :math:`\mu` left out by ``"fit"``.

    Returns:
      :class:`IntrinsicDimension`.
    """
    points = as_point_cloud("points", points, min_points=3)
    check_choice("method", method, ("mle", "fit"))
    check_in_interval("discard_fraction", discard_fraction, 0.0, 1.0, low_open=False, high_open=True)
    nb = nearest_neighbors(points, points, k=3)
    dist = np.asarray(nb.distances, dtype=np.float64)[:, 1:]                # drop self
    ok = dist[:, 0] > 0
    log_mu = np.log(dist[ok, 1] / dist[ok, 0])
    n = log_mu.shape[0]
    if n < 2:
        raise ValueError("points: expected at least 2 points without duplicates")
    if method == "mle":
        dim = (n - 1) / np.sum(log_mu)
        return IntrinsicDimension(float(dim), float(dim / np.sqrt(n)), log_mu, n, int((~ok).sum()),
                                  "two_nn_mle")
    srt = np.sort(log_mu)
    keep = max(2, int(np.floor(n * (1.0 - discard_fraction))))
    empirical = np.arange(1, n + 1) / n
    xs, ys = srt[:keep], -np.log(1.0 - empirical[:keep] + 1e-300)
    dim = float(np.sum(xs * ys) / np.sum(xs * xs))
    return IntrinsicDimension(dim, float(dim / np.sqrt(n)), log_mu, n, int((~ok).sum()), "two_nn_fit")


def levina_bickel(points: ArrayInput, n_neighbors: Size = 10) -> IntrinsicDimension:
    r"""Levina--Bickel maximum-likelihood estimate from ``n_neighbors`` neighbours (MacKay--Ghahramani average).

    Args:
      points: ``(n, d)`` with ``n > n_neighbors``.
      n_neighbors: :math:`K\ge2`.

    Returns:
      :class:`IntrinsicDimension` with the per-point estimates in ``local``.
    """
    n_neighbors = check_positive_int("n_neighbors", n_neighbors, minimum=2)
    points = as_point_cloud("points", points, min_points=n_neighbors + 1)
    nb = nearest_neighbors(points, points, k=n_neighbors + 1)
    dist = np.asarray(nb.distances, dtype=np.float64)[:, 1:]                # (n, K)
    ok = dist[:, 0] > 0
    dist = dist[ok]
    if dist.shape[0] < 1:
        raise ValueError("points: expected points without duplicates")
    sums = np.sum(np.log(dist[:, -1:] / dist[:, :-1]), axis=1)             # (n,)
    inverse_local = sums / (n_neighbors - 1)
    dim = 1.0 / np.mean(inverse_local)
    with np.errstate(divide="ignore"):
        local = 1.0 / inverse_local
    se = float(dim ** 2 * np.std(inverse_local) / np.sqrt(dist.shape[0]))
    return IntrinsicDimension(float(dim), se, local, int(dist.shape[0]), int((~ok).sum()),
                              "levina_bickel")


