"""Checkers of the rates chapter's coding exercises."""

import math

import jax
import numpy as np

from ..metrics import coverage as cov
from ._registry import checker

__all__ = []

_L = 2 * math.pi
_DELTAS = np.geomspace(1e-3, 1.0, 31)


def _cases():
    """Fresh sample sets on a circle of length 2 pi: uniform, with a hole, and lattice-like."""
    seed = int(np.random.default_rng().integers(1 << 30))
    k1, k2, k3 = jax.random.split(jax.random.key(seed), 3)
    uniform = np.asarray(jax.random.uniform(k1, (20_000,), minval=0.0, maxval=_L), np.float64)
    hole = np.asarray(jax.random.uniform(k2, (20_000,), minval=0.6, maxval=_L), np.float64)
    grid = np.repeat(np.linspace(0, _L, 64, endpoint=False), 300)
    grid = grid + 1e-4 * np.asarray(jax.random.normal(k3, grid.shape), np.float64)
    return {"uniform sample": uniform, "sample with a hole": hole, "64 repeated points": grid}


@checker("rates.coverage_scale")
def _check_coverage_scale(answer):
    """``answer(u, length, deltas)`` must return the counted coverage scale of the samples ``u``
    (arc lengths on a closed curve of length ``length``) against the uniform law, with C = 4 and
    radii resolved when the sparsest ball expects at least 50 samples (``inf`` if never covered)."""
    for name, u in _cases().items():
        want = cov.coverage_curve(u, _L, _DELTAS, C=4.0, n_min=50).scale
        got = float(answer(u, _L, _DELTAS))
        if not (math.isinf(want) and math.isinf(got)):
            assert math.isclose(got, want, rel_tol=1e-9), (
                f"for a {name} the coverage scale is {want:.4g}, your function returned {got:.4g}. "
                "Remember: a radius counts only if it is resolved (50 expected samples per ball), and "
                "the scale is the smallest radius from which on every ratio lies in [1/4, 4].")
    return "Your coverage scale matches the library's on three fresh sample sets."
