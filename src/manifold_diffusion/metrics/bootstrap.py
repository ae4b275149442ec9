r"""Bootstrap intervals of intrinsic-dimension estimates.

Both estimators of :mod:`.intrinsic_dim` are functions of per-point terms
(:attr:`~.intrinsic_dim.IntrinsicDimension.local`): TwoNN is
:math:`\hat k = (n-1)/\sum_i\log\mu_i`, Levina--Bickel :math:`\hat k = 1/\operatorname{mean}_i(1/\hat k_i)`.
The interval resamples those terms with replacement and recomputes the estimate; the
neighbours are found once. (Resampling the *points* would create duplicates, which the
estimators must discard.) The neighbour terms of nearby points are not independent, so the
interval is a little optimistic; it is a percentile interval.
"""

import jax
import numpy as np

from ..keys import check_key
from .intrinsic_dim import IntrinsicDimension

__all__ = ["bootstrap_dimension"]


def bootstrap_dimension(key, estimate: IntrinsicDimension, n_resamples: int = 1000, *,
                        level: float = 0.95) -> tuple[float, float]:
    r"""Percentile interval of an intrinsic-dimension estimate by resampling its per-point terms.

    Args:
      key: a ``jax.random`` key (the resampling indices).
      estimate: a :class:`~.intrinsic_dim.IntrinsicDimension` from ``two_nn`` (``method="mle"``)
        or ``levina_bickel``.
      n_resamples: bootstrap replicates, :math:`\ge 10`.
      level: coverage of the interval, in (0, 1).

    Returns:
      ``(low, high)``.
    """
    key = check_key("key", key)
    if not isinstance(estimate, IntrinsicDimension):
        raise TypeError(f"estimate: expected an IntrinsicDimension (metrics.two_nn or "
                        f"metrics.levina_bickel), got {type(estimate).__name__}")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, (int, np.integer)) or n_resamples < 10:
        raise ValueError(f"n_resamples: expected an integer >= 10, got {n_resamples!r}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level: expected a number in (0, 1), got {level!r}")
    local = np.asarray(estimate.local, np.float64)
    n = local.shape[0]
    if n < 2:
        raise ValueError(f"estimate: expected at least 2 per-point terms, got {n}")
    idx = np.asarray(jax.random.randint(key, (int(n_resamples), n), 0, n))
    if estimate.method == "two_nn_mle":
        values = (n - 1) / np.sum(local[idx], axis=1)
    elif estimate.method == "levina_bickel":
        values = 1.0 / np.mean(1.0 / local[idx], axis=1)
    else:
        raise ValueError(f"estimate: expected a two_nn (mle) or levina_bickel estimate, got "
                         f"{estimate.method!r}")
    tail = 50.0 * (1.0 - level)
    low, high = np.percentile(values, [tail, 100.0 - tail])
    return float(low), float(high)
