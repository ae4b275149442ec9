"""Checkers for the coding exercises of the chapter "Diffusion models in one chapter"."""

import jax
import numpy as np

from ..processes import VE, VP
from ..scores import EmpiricalScore
from ._registry import checker


@checker("basics.tweedie")
def _check_tweedie(answer):
    r"""``answer(data, x, t, process)`` must return :math:`E[X_0 | X_t = x] = \sum_i w_i(x) x_i`,
    shape ``(b, d)``, for the empirical law of ``data`` (``(n, d)``) under ``process``."""
    assert callable(answer), "the answer must be a function answer(data, x, t, process)"
    key = jax.random.key(2024)
    for i, (process, t) in enumerate([(VP(), 0.05), (VP(), 0.8), (VE(), 0.02), (VE(), 2.0)]):
        k_data, k_x = jax.random.split(jax.random.fold_in(key, i))
        data = jax.random.normal(k_data, (7, 3))
        x = jax.random.normal(k_x, (5, 3)) * 1.5
        want = np.asarray(EmpiricalScore(data, process).denoise(x, t))
        got = np.asarray(answer(data, x, t, process))
        assert got.shape == want.shape, f"shape {got.shape}, expected {want.shape} (one row per x)"
        name = type(process).__name__
        assert np.all(np.isfinite(got)), f"non-finite values for {name} at t={t}"
        err = np.max(np.abs(got - want))
        assert err < 1e-4 * (1 + np.max(np.abs(want))), (
            f"for {name} at t={t} the answer is off by {err:.2e}; remember the weights are a softmax "
            "of -|x - alpha_t x_i|^2 / (2 sigma_t^2) over i")
    return "It matches EmpiricalScore.denoise for VP and VE at small and large t."
