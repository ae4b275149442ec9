"""sigma-CFDM (scores/cfdm.py): the closed-form velocity against jax.grad of the path's
log-density, the posterior mean against NumPy, the last Euler step onto the posterior mean."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manifold_diffusion as md
from manifold_diffusion.scores import cfdm_denoiser, cfdm_sample, cfdm_velocity


def _path_score(data, t):
    """Score of the law of z_t = t x + (1 - t) eps, x uniform on data: jax.grad of its log-density."""
    def log_p(point):
        sq = jnp.sum((point[None, :] - t * data) ** 2, axis=-1)
        return jax.scipy.special.logsumexp(-sq / (2 * (1 - t) ** 2))
    return jax.vmap(jax.grad(log_p))


def test_denoiser_is_the_posterior_mean(key):
    """Against a NumPy float64 softmax of -|z - t x_i|^2 / 2(1-t)^2."""
    k_data, k_z = jax.random.split(key)
    data = jax.random.normal(k_data, (9, 3))
    z = 2.0 * jax.random.normal(k_z, (6, 3))
    for t in (0.0, 0.4, 0.9):
        d, zz = np.asarray(data, np.float64), np.asarray(z, np.float64)
        logits = -np.sum((zz[:, None] - t * d[None]) ** 2, axis=-1) / (2 * (1 - t) ** 2)
        w = np.exp(logits - logits.max(axis=1, keepdims=True))
        want = (w / w.sum(axis=1, keepdims=True)) @ d
        np.testing.assert_allclose(cfdm_denoiser(z, t, data), want, rtol=1e-4, atol=1e-5)


def test_velocity_matches_score_formula(key):
    r"""(x_hat - z)/(1 - t) equals (z + (1 - t) s)/t with s = grad log p_t; the antithetic smoothed
    velocity is the velocity formula with the averaged score."""
    k_data, k_z, k_u = (jax.random.fold_in(key, i) for i in range(3))
    data = jax.random.normal(k_data, (7, 2))
    z = jax.random.normal(k_z, (5, 2))
    t = 0.3
    score = _path_score(data, t)
    v = cfdm_velocity(z, t, data)
    np.testing.assert_allclose(v, (z + (1 - t) * score(z)) / t, rtol=1e-4, atol=1e-4)
    u = jax.random.normal(k_u, (1, 5, 2))
    draws = jnp.concatenate([u, -u])
    v_s = cfdm_velocity(z, t, data, 0.4, draws)
    s_bar = 0.5 * (score(z + 0.4 * draws[0]) + score(z + 0.4 * draws[1]))
    np.testing.assert_allclose(v_s, (z + (1 - t) * s_bar) / t, rtol=1e-4, atol=1e-4)


def test_sample_memorizes_unsmoothed_and_is_novel_smoothed(key):
    data = jnp.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    x0 = cfdm_sample(key, data, 32, n_steps=50)
    near = jnp.min(jnp.linalg.norm(x0[:, None, :] - data[None, :, :], axis=-1), axis=1)
    assert float(near.max()) < 1e-3             # the last step lands on a posterior mean
    x1 = cfdm_sample(key, data, 64, bandwidth=1.0, n_steps=50)
    near = jnp.min(jnp.linalg.norm(x1[:, None, :] - data[None, :, :], axis=-1), axis=1)
    assert float(jnp.mean(near > 1e-3)) > 0.2
    # with M = 2 each output is the average of two posterior means: for two far-apart points
    # every output is one of them or their midpoint
    two = jnp.array([[-3.0, 0.0], [3.0, 0.0]])
    x2 = np.asarray(cfdm_sample(key, two, 200, bandwidth=3.0, n_steps=50))
    candidates = np.array([[-3.0, 0.0], [3.0, 0.0], [0.0, 0.0]])
    gap = np.min(np.linalg.norm(x2[:, None] - candidates[None], axis=-1), axis=1)
    assert np.quantile(gap, 0.9) < 1e-2, np.quantile(gap, [0.5, 0.9])


def test_sample_is_reproducible_and_shares_the_prior_across_bandwidths(key):
    data = md.data.two_moons(10)
    a = cfdm_sample(key, data, 8, bandwidth=0.4, n_steps=10)
    b = cfdm_sample(key, data, 8, bandwidth=0.4, n_steps=10)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("call, error, match", [
    (lambda k, d: cfdm_sample(k, d, 4, bandwidth=0.4, n_draws=3), ValueError, "n_draws"),
    (lambda k, d: cfdm_sample(k, d, 4, bandwidth=-0.1), ValueError, "bandwidth"),
    (lambda k, d: cfdm_sample(k, d, 0), ValueError, "n_samples"),
    (lambda k, d: cfdm_sample(k, d, 4, n_steps=0), ValueError, "n_steps"),
    (lambda k, d: cfdm_sample(0, d, 4), TypeError, "key"),
    (lambda k, d: cfdm_sample(k, d[:, :1].ravel(), 4), ValueError, "data"),
    (lambda k, d: cfdm_denoiser(jnp.zeros((2, 3)), 0.5, d), ValueError, "z"),
    (lambda k, d: cfdm_denoiser(jnp.zeros((2, 2)), 1.0, d), ValueError, "t"),
    (lambda k, d: cfdm_velocity(jnp.zeros((2, 2)), 0.5, d, 0.4, jnp.zeros((2, 3, 2))), ValueError,
     "draws"),
])
def test_bad_input_is_named(key, call, error, match):
    with pytest.raises(error, match=match):
        call(key, jnp.array([[-1.0, 0.0], [1.0, 0.0]]))
