"""Checkers for the coding exercises of the chapter "Score smoothing is tangential regularization"."""

import jax
import numpy as np

from ..data import circle_points
from ..metrics import gap_centre_fraction
from ._registry import checker


@checker("smoothing.gap_centre")
def _check_gap_centre(answer):
    """``answer(samples, n)``: the share of ``samples`` (``(b, 2)``, near the unit circle) whose
    angle lies in the central half of an arc between the ``n`` training points at angles
    ``2 pi i / n`` -- a float in [0, 1]."""
    assert callable(answer), "the answer must be a function answer(samples, n)"
    key = jax.random.key(7)
    cases = []
    for i, n in enumerate((12, 5, 30)):
        k_angle, k_radius = jax.random.split(jax.random.fold_in(key, i))
        theta = np.asarray(jax.random.uniform(k_angle, (400,), minval=-np.pi, maxval=np.pi))
        radius = 1 + 0.05 * np.asarray(jax.random.normal(k_radius, (400,)))
        samples = radius[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1)
        cases.append((f"400 points spread around the circle, n={n}", samples, n, theta))
    data = np.asarray(circle_points(12))
    cases.append(("the training points themselves (memorized samples), n=12", data, 12,
                  np.arctan2(data[:, 1], data[:, 0])))
    mid = np.pi / 12 + 2 * np.pi * np.arange(12) / 12
    cases.append(("the arc midpoints, n=12", np.stack([np.cos(mid), np.sin(mid)], axis=1), 12, mid))
    for what, samples, n, theta in cases:
        want = gap_centre_fraction(theta, 2 * np.pi / n)
        got = answer(samples, n)
        assert np.ndim(got) == 0, f"return one number, got shape {np.shape(got)}"
        assert abs(float(got) - want) < 1e-6, (
            f"for {what} the answer is {float(got):.4f}, expected {want:.4f}. Use the angle "
            "arctan2(y, x), its position within its arc, and count positions in [1/4, 3/4).")
    return "It matches the chapter's statistic, memorized points (0) and midpoints (1) included."
