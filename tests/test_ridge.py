"""The closed-form coarse estimator (training.ridge): its cosine, its solve against an independent
float64 least-squares solution, its vmap over seeds, and what it learns on a circle."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manifold_diffusion as md
from manifold_diffusion import training
from manifold_diffusion.keys import named_keys
from manifold_diffusion.training import ridge


def test_fast_cos_matches_numpy():
    p = np.linspace(-300.0, 300.0, 200_001)
    err = np.abs(np.asarray(ridge.fast_cos(jnp.asarray(p)), np.float64) - np.cos(p))
    # float32: rounding of the argument (|p| eps_32 ~ 2e-5 at |p| = 300) dominates; near 0 the
    # polynomial's own error (pi^18/18! ~ 1.4e-7) plus float32 rounding
    assert err[np.abs(p) < 10].max() < 1e-6
    assert err.max() < 3e-5 * (1 if jnp.result_type(float) == jnp.float32 else 0.01)


def test_capacity_rule():
    assert training.ridge.feature_count(256) == 256 and training.ridge.feature_count(4096) == 1024
    assert training.ridge.feature_count(100, per_root=8.0) == 80
    with pytest.raises(ValueError, match="n"):
        training.ridge.feature_count(0)


def test_weights_solve_the_weighted_ridge_problem(key):
    """The fitted weights equal an independent float64 solution of the same least-squares problem
    (rows rebuilt from the documented draws, solved with numpy.linalg.lstsq on the augmented
    system [sqrt(w) Phi; sqrt(rho) I] W = [sqrt(w) X; 0])."""
    circle = md.manifolds.Circle()
    data = circle.sample(jax.random.fold_in(key, 1), 64)
    band, m, n_draws, rel = (0.01, 0.3), 40, 3, 1e-3
    model = training.ridge.fit_ridge_denoiser(key, data, sigma_band=band, n_features=m, n_draws=n_draws,
                                        ridge=rel)
    keys = named_keys(key, "frequencies", "noise_frequencies", "phases", "levels", "noise")
    x0 = jnp.repeat(data, n_draws, axis=0)
    log_sigma = jax.random.uniform(keys.levels, (x0.shape[0],), x0.dtype, math.log(band[0]), math.log(band[1]))
    sigma = jnp.exp(log_sigma)
    y = x0 + sigma[:, None] * jax.random.normal(keys.noise, x0.shape, x0.dtype)
    phi = np.asarray(model._features(y, log_sigma), np.float64)
    w = np.asarray(sigma, np.float64) ** -2
    w = w / w.mean()
    r = phi.shape[0]
    gram = (phi * w[:, None]).T @ phi / r
    lam = rel * np.trace(gram) / gram.shape[0]
    a = np.concatenate([np.sqrt(w / r)[:, None] * phi, np.sqrt(lam) * np.eye(phi.shape[1])])
    b = np.concatenate([np.sqrt(w / r)[:, None] * np.asarray(x0, np.float64), np.zeros((phi.shape[1], 2))])
    ref = np.linalg.lstsq(a, b, rcond=None)[0]
    # same minimiser; float32 features and Gram accumulation limit the agreement
    pred, pred_ref = phi @ np.asarray(model.weights, np.float64), phi @ ref
    assert np.max(np.abs(pred - pred_ref)) < 2e-3


def test_seeds_are_the_single_fits(key):
    circle = md.manifolds.Circle()
    data = jnp.stack([circle.sample(k, 64) for k in jax.random.split(key, 2)])
    keys = jax.random.split(jax.random.fold_in(key, 1), 2)
    opts = dict(n_features=40, sigma_band=(0.01, 0.3), n_draws=3, ridge=1e-3)   # as the test above
    batch = training.ridge.fit_ridge_seeds(keys, data, **opts)
    assert batch.frequencies.shape == (2, 2, 40)
    for i in range(2):
        one = training.ridge.fit_ridge_denoiser(keys[i], data[i], **opts)
        np.testing.assert_allclose(np.asarray(training.select(batch, i).weights), np.asarray(one.weights),
                                   rtol=1e-3, atol=1e-4)


def test_learned_denoiser_on_a_circle(key):
    """Trained on 512 points of the unit circle, the denoiser at small noise maps noisy points far
    closer to the circle than they were, and its score is (D - x)/sigma^2."""
    circle = md.manifolds.Circle()
    data = circle.sample(key, 512)
    model = training.ridge.fit_ridge_denoiser(jax.random.fold_in(key, 1), data, sigma_band=(0.005, 0.3))
    fresh = circle.sample(jax.random.fold_in(key, 2), 2000)
    for sigma in (0.01, 0.05):
        y = fresh + sigma * jax.random.normal(jax.random.fold_in(key, 3), fresh.shape)
        before = float(jnp.median(circle.distance(y)))
        after = float(jnp.median(circle.distance(model.denoise(y, sigma))))
        # the exact posterior mean lies within sigma^2/2 of the circle; demand a 5-fold gain
        assert after < 0.2 * before, (sigma, before, after)
    score = training.ridge.RidgeScore(model, md.VE(T=0.09))
    x = fresh[:16] * 1.02
    np.testing.assert_allclose(np.asarray(score(x, 0.01)),
                               np.asarray((model.denoise(x, 0.1) - x) / 0.01), rtol=1e-4, atol=1e-3)
    assert score.d == 2 and score.process.T == pytest.approx(0.09)


def test_bad_inputs(key):
    data = md.manifolds.Circle().sample(key, 64)
    with pytest.raises(ValueError, match="sigma_band"):
        training.ridge.fit_ridge_denoiser(key, data, sigma_band=(0.3, 0.1))
    with pytest.raises(TypeError, match="key"):
        training.ridge.fit_ridge_denoiser(0, data)
    model = training.ridge.fit_ridge_denoiser(key, data, n_features=40, sigma_band=(0.01, 0.3), n_draws=3,
                                        ridge=1e-3)
    with pytest.raises(ValueError, match="y"):
        model.denoise(jnp.zeros((3, 3)), 0.1)
    with pytest.raises(ValueError, match="sigma"):
        model.denoise(jnp.zeros((3, 2)), -0.1)
    batch = jax.tree_util.tree_map(lambda a: jnp.stack([a, a]), model)       # a batch of two seeds
    with pytest.raises(ValueError, match="denoiser"):
        training.ridge.RidgeScore(batch)
    with pytest.raises(ValueError, match="data"):
        training.ridge.fit_ridge_seeds(jax.random.split(key, 3), jnp.zeros((2, 16, 2)))
