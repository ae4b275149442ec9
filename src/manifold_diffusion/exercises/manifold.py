"""Checkers of chapter 2 (the manifold hypothesis): ``manifold.memorization``, ``manifold.score_residual``."""

import numpy as np

from ._registry import checker

__all__: list = []


def _memorization_case(seed: int):
    """Training points on a circle, and samples: near copies, fresh points, near-duplicates."""
    import jax

    from ..manifolds import Circle

    k_data, k_fresh, k_noise, k_pick = jax.random.split(jax.random.key(seed), 4)
    circle = Circle(1.5)
    data = np.asarray(circle.sample(k_data, 40))
    data = np.vstack([data, data[:1] + 1e-3])                    # a near-duplicate pair
    pick = np.asarray(jax.random.randint(k_pick, (60,), 0, data.shape[0]))
    scales = np.repeat([1e-4, 1e-2, 0.1], 20)[:, None]
    copies = data[pick] + scales * np.asarray(jax.random.normal(k_noise, (60, 2)))
    fresh = np.asarray(circle.sample(k_fresh, 40))
    return np.vstack([copies, fresh]).astype(np.float32), data.astype(np.float32)


@checker("manifold.memorization")
def _check_memorization(answer):
    """``answer(samples (b, d), data (n, d)) -> (b,)`` booleans: nearest/second-nearest < 1/3."""
    from ..metrics import memorization_ratio

    for seed in (11, 12):
        samples, data = _memorization_case(seed)
        got = np.asarray(answer(samples, data))
        assert got.shape == (samples.shape[0],), (
            f"expected one boolean per sample, shape ({samples.shape[0]},), got {got.shape}")
        want = np.asarray(memorization_ratio(samples, data)) < 1.0 / 3.0
        wrong = np.flatnonzero(got.astype(bool) != want)
        assert wrong.size == 0, (
            f"{wrong.size} of {want.size} samples classified wrongly (e.g. sample {wrong[0]}: "
            f"expected {bool(want[wrong[0]])}). Use the distances to the two nearest training "
            "points, d1 / d2 < 1/3; a sample may coincide with a training point.")
    return "the criterion matches md.metrics.fraction_memorized's."


@checker("manifold.score_residual")
def _check_score_residual(answer):
    """``answer(manifold, score_fn, x (b, d), sigma) -> (b,)`` norms of sigma^2 s(x) + (x - P x)."""
    import jax
    import jax.numpy as jnp

    from ..manifolds import Ellipse, VonMises
    from ..processes import VE
    from ..scores import PopulationScore

    ell = Ellipse(1.0, 1.5)
    score = PopulationScore(ell, VonMises(1.0, 2.0), VE(T=1.0), n_nodes=800)
    k_on, k_off = jax.random.split(jax.random.key(5))
    x = ell.sample(k_on, 32) + 0.1 * jax.random.normal(k_off, (32, 2))
    for sigma in (0.05, 0.02):
        got = np.asarray(answer(ell, score, x, sigma))
        assert got.shape == (32,), f"expected shape (32,) (one norm per point), got {got.shape}"
        want = np.asarray(jnp.linalg.norm(sigma**2 * score(x, sigma**2) + x - ell.project(x), axis=1))
        scale = float(np.median(np.linalg.norm(np.asarray(x - ell.project(x)), axis=1)))
        assert np.allclose(got, want, rtol=1e-3, atol=1e-4 * scale), (
            f"at sigma = {sigma}: expected median {np.median(want):.3g}, got {np.median(got):.3g}. "
            "Evaluate the score at time t = sigma**2 (VE process) and use manifold.project.")
    return "its size shrinks like sigma^2: the geometry is all of the score at order sigma^-2."
