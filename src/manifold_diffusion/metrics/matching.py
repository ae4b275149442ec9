r"""Comparisons at matched novelty.

Two generators that both produce new points are compared fairly only where they are equally
novel: a kernel density estimate and score smoothing at the same bandwidth mean different
things. Each method is run over its own grid of bandwidths, giving a curve
(novelty, value) -- e.g. (mean distance to the nearest training point, mean distance to the
manifold) -- and the value is read off each curve at one common novelty by
:func:`at_novelty`.
"""

import numpy as np

__all__ = ["at_novelty"]


def at_novelty(novelty, value, target: float) -> float:
    r"""``value`` linearly interpolated where ``novelty == target``.

    The pairs are sorted by novelty first (a sweep need not be monotone in its bandwidth);
    outside the measured range of ``novelty`` the answer is NaN: no extrapolation.

    Args:
      novelty: ``(m,)`` the matching variable at each setting of a sweep.
      value: ``(m,)`` the compared quantity at the same settings.
      target: the common novelty.

    Returns:
      the interpolated value (float), NaN if ``target`` is outside ``[min, max]`` of ``novelty``.
    """
    g, v = (np.asarray(a, np.float64) for a in (novelty, value))
    if g.ndim != 1 or g.size == 0:
        raise ValueError(f"novelty: expected shape (m,) with m >= 1, got {g.shape}")
    if v.shape != g.shape:
        raise ValueError(f"value: expected shape {g.shape} (from novelty), got {v.shape}")
    if not (np.all(np.isfinite(g)) and np.all(np.isfinite(v))):
        raise ValueError("novelty, value: expected finite values")
    if isinstance(target, bool) or not np.isfinite(target):
        raise ValueError(f"target: expected a finite number, got {target!r}")
    order = np.argsort(g, kind="stable")
    g, v = g[order], v[order]
    if not g[0] <= target <= g[-1]:
        return float("nan")
    return float(np.interp(target, g, v))
