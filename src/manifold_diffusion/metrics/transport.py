r"""Wasserstein distances between point clouds, with well-kept solvers (POT and ott-jax).

.. math:: W_p(\mu, \nu) = \Big(\min_{P\in\Pi(a, b)} \sum_{ij} P_{ij}\|x_i - y_j\|^p\Big)^{1/p},
          \qquad p\in\{1, 2\},

between :math:`\mu = \sum_i a_i\delta_{x_i}` and :math:`\nu = \sum_j b_j\delta_{y_j}` (uniform
weights unless given).

* ``method="exact"``: the network-simplex solver of POT (``ot.emd2``) in float64 on the full
  cost matrix — exact, :math:`O(n^3)` time and :math:`O(nm)` memory; used up to
  ``max_exact`` points per cloud.
* ``method="sinkhorn"``: entropic OT with ott-jax's Sinkhorn solver (log domain),
  :math:`\varepsilon` = ``epsilon`` times the mean cost. The value reported for :math:`W_p^p` is the
  debiased Sinkhorn divergence
  :math:`S_\varepsilon = \mathrm{OT}_\varepsilon(\mu,\nu) - \tfrac12\mathrm{OT}_\varepsilon(\mu,\mu) - \tfrac12\mathrm{OT}_\varepsilon(\nu,\nu)`
  (ott's ``sinkhorn_divergence``), which removes the entropic bias of :math:`\mathrm{OT}_\varepsilon`
  to first order: at the default :math:`\varepsilon = 10^{-2}\bar C` it was within about 1 % of the
  exact value on 2000-point clouds in :math:`d = 2` and :math:`d = 50` (the transport cost of the
  entropic plan, by contrast, was 5 % too high in :math:`d = 2`). ``converged`` reports whether
  all three Sinkhorn problems met the marginal tolerance :math:`10^{-3}`. The cost matrices are
  dense: up to about :math:`10^4` points per cloud on a CPU.

The result records which solver was used. Note that :math:`W_p` between two *samples* of the
same law is not 0: it decays like :math:`n^{-1/k}` for :math:`k\ge3` (slower than
:math:`n^{-1/2}` only through logarithms for :math:`k\le2`), a floor to compare against.
"""

import warnings
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._checks import (as_float_array, as_point_cloud, check_choice, check_finite, check_positive,
                       check_positive_int, is_concrete)
from .._types import ArrayInput, Size

__all__ = ["TransportResult", "wasserstein"]


class TransportResult(NamedTuple):
    """A Wasserstein distance and how it was computed.

    Attributes:
      distance: :math:`W_p`.
      cost: :math:`W_p^p`, the optimal transport cost (exact) or the Sinkhorn divergence.
      p: the order, 1 or 2.
      method: ``"exact"`` (POT ``emd2``) or ``"sinkhorn"`` (ott-jax).
      epsilon: absolute entropic regularisation (``None`` for exact).
      converged: whether the solver reported convergence.
      n_iterations: largest Sinkhorn iteration count of the three problems (``None`` for exact).
    """

    distance: float
    cost: float
    p: int
    method: str
    epsilon: float | None
    converged: bool
    n_iterations: int | None


def _weights(name, w, n):
    if w is None:
        return None
    w = as_float_array(name, w, ndim=1)
    if w.shape[0] != n:
        raise ValueError(f"{name}: expected shape ({n},) (one weight per point), got {tuple(w.shape)}")
    check_finite(name, w)
    if is_concrete(w) and (bool(jnp.any(w < 0)) or not bool(jnp.sum(w) > 0)):
        raise ValueError(f"{name}: expected non-negative weights with a positive sum")
    return w / jnp.sum(w)


def _exact(x, y, a, b, p):
    import ot

    xx, yy = np.asarray(x, np.float64), np.asarray(y, np.float64)
    cost = ot.dist(xx, yy, metric="sqeuclidean")
    if p == 1:
        cost = np.sqrt(np.maximum(cost, 0.0))
    a = np.full(xx.shape[0], 1.0 / xx.shape[0]) if a is None else np.asarray(a, np.float64)
    b = np.full(yy.shape[0], 1.0 / yy.shape[0]) if b is None else np.asarray(b, np.float64)
    a, b = a / a.sum(), b / b.sum()
    value, log = ot.emd2(a, b, cost, numItermax=50_000_000, log=True)
    converged = log.get("result_code", 1) == 1
    return float(value), converged


def _sinkhorn(x, y, a, b, p, epsilon, max_iterations):
    with warnings.catch_warnings():                              # ott imports the retired jaxopt
        warnings.simplefilter("ignore", DeprecationWarning)
        from ott.geometry import costs, pointcloud
        from ott.tools import sinkhorn_divergence

    cost_fn = costs.SqEuclidean() if p == 2 else costs.Euclidean()

    def run(x, y, a, b):
        return sinkhorn_divergence.sinkhorn_divergence(
            pointcloud.PointCloud, x, y, a=a, b=b, cost_fn=cost_fn, epsilon=epsilon,
            relative_epsilon="mean", solve_kwargs={"max_iterations": max_iterations, "threshold": 1e-3})

    # ott relies on implicit broadcasting and on implicit int -> float promotion
    with jax.numpy_rank_promotion("allow"), jax.numpy_dtype_promotion("standard"):
        value, out = jax.jit(run)(x, y, a, b)
    eps = float(out.geoms[0].epsilon)
    return float(value), bool(all(bool(c) for c in out.converged)), eps, int(max(out.n_iters))


def wasserstein(x: ArrayInput, y: ArrayInput, *, p: Size = 2,
                method: str = "auto", max_exact: Size = 2000, epsilon: float = 1e-2,
                max_iterations: Size = 5000, weights_x=None, weights_y=None) -> TransportResult:
    r"""Wasserstein-``p`` distance between two point clouds.

    Args:
      x: ``(n, d)``. y: ``(m, d)``.
      p: 1 or 2.
      method: ``"exact"``, ``"sinkhorn"`` or ``"auto"`` (exact when ``max(n, m) <= max_exact``).
      max_exact: largest cloud solved exactly under ``"auto"``.
      epsilon: Sinkhorn regularisation relative to the mean cost.
      max_iterations: Sinkhorn iteration cap.
      weights_x, weights_y: optional ``(n,)``, ``(m,)`` non-negative weights (normalised).

    Returns:
      :class:`TransportResult` (Python floats).
    """
    x = as_point_cloud("x", x)
    y = as_point_cloud("y", y, d=x.shape[1], what="d from x")
    if isinstance(p, bool) or p not in (1, 2):
        raise ValueError(f"p: expected 1 or 2, got {p!r}")
    check_choice("method", method, ("auto", "exact", "sinkhorn"))
    max_exact = check_positive_int("max_exact", max_exact)
    max_iterations = check_positive_int("max_iterations", max_iterations)
    check_positive("epsilon", epsilon)
    a = _weights("weights_x", weights_x, x.shape[0])
    b = _weights("weights_y", weights_y, y.shape[0])
    if method == "auto":
        method = "exact" if max(x.shape[0], y.shape[0]) <= max_exact else "sinkhorn"
    if method == "exact":
        cost, converged = _exact(x, y, a, b, p)
        eps, iters = None, None
    else:
        cost, converged, eps, iters = _sinkhorn(x, y, a, b, p, float(epsilon), max_iterations)
    cost = max(cost, 0.0)
    return TransportResult(distance=cost ** (1.0 / p), cost=cost, p=p, method=method, epsilon=eps,
                           converged=converged, n_iterations=iters)
