"""Reverse-time samplers: known laws, memorization by the empirical score, reproducibility, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manifold_diffusion as md

MEAN = jnp.array([1.0, -2.0])
COV = jnp.array([[2.0, 0.6], [0.6, 0.5]])


def _moment_tolerances(cov, b):
    """Five standard errors of the sample mean and sample covariance of b Gaussian draws.

    Var(mean_i) = C_ii / b and Var(cov_ij) = (C_ii C_jj + C_ij^2) / b.
    """
    diag = jnp.diag(cov)
    se_mean = jnp.sqrt(diag / b)
    se_cov = jnp.sqrt((diag[:, None] * diag[None, :] + cov**2) / b)
    return 5 * se_mean, 5 * se_cov


@pytest.mark.parametrize("process", [md.VP(T=3.0), md.VE(T=9.0)], ids=["VP", "VE"])
@pytest.mark.parametrize("sampler", ["sde", "ode"])
def test_exact_score_reproduces_gaussian_law(process, sampler, key):
    """Started from the exact time-T marginal, the samplers must land on the time-t_min marginal."""
    b, t_min, n_steps = 8000, 1e-3, 200
    data_law = md.gaussian(MEAN, COV)
    score = md.MixtureScore(data_law, process)
    k_start, k_run = jax.random.split(key)
    x_T = data_law.noised(process, process.T).sample(k_start, b)
    grid = md.geometric_grid(process.T, t_min, n_steps)
    if sampler == "sde":
        x = md.euler_maruyama(k_run, score, x_T, grid, process)
    else:
        x = md.heun_probability_flow(score, x_T, grid, process)
    target = data_law.noised(process, t_min)
    mean_t, cov_t = target.means[0], target.covariances[0]
    tol_mean, tol_cov = _moment_tolerances(cov_t, b)
    # plus a discretisation allowance. Measured with b = 1e5 (SE 0.005 mean, 0.01 covariance):
    # Euler-Maruyama (weak order 1) with 200 geometric steps is off by about 0.015-0.03 in the VE
    # covariance (half that at 800 steps) and within noise for VP; Heun is within noise for both.
    bias = 0.03 if sampler == "sde" else 0.005
    assert bool(jnp.all(jnp.abs(x.mean(0) - mean_t) < tol_mean + bias)), (x.mean(0), mean_t)
    assert bool(jnp.all(jnp.abs(jnp.cov(x.T) - cov_t) < tol_cov + bias)), (jnp.cov(x.T), cov_t)


def test_prior_start_reaches_data_law(key):
    """From the N(0, I) prior at T = 6 (VP), the SDE sampler reproduces N(MEAN, COV)."""
    b, process = 8000, md.VP(T=6.0)
    score = md.MixtureScore(md.gaussian(MEAN, COV), process)
    k_prior, k_run = jax.random.split(key)
    x = md.euler_maruyama(k_run, score, process.prior_sample(k_prior, (b, 2)),
                          md.geometric_grid(process.T, 1e-4, 200), process)
    tol_mean, tol_cov = _moment_tolerances(COV, b)
    # prior mismatch at T: the marginal mean is e^{-6} MEAN, about 0.005
    assert bool(jnp.all(jnp.abs(x.mean(0) - MEAN) < tol_mean + 0.03))
    assert bool(jnp.all(jnp.abs(jnp.cov(x.T) - COV) < tol_cov + 0.03))


def _circle(n):
    theta = 2 * jnp.pi * jnp.arange(n, dtype=jnp.result_type(float)) / n
    return jnp.stack([jnp.cos(theta), jnp.sin(theta)], axis=1)


def _nearest_distance(x, data):
    return jnp.min(jnp.linalg.norm(x[:, None, :] - data[None, :, :], axis=-1), axis=1)


def test_empirical_score_memorizes(key):
    """Sampling with the empirical score returns training points, at distance ~ sigma(t_min).

    With a noise-free last step from t' to t_min on a geometric grid (ratio r = t_min/t'),
    x - x_i = (t_min/t')(x' - x_i) and |x' - x_i| ~ sigma(t') sqrt(d), so the distance to the nearest
    training point is proportional to sigma(t_min): slope 1 against sigma on log-log axes.
    """
    data, process, b = _circle(16), md.VE(T=9.0), 512
    score = md.EmpiricalScore(data, process)
    x_T = process.prior_sample(jax.random.fold_in(key, 0), (b, 2))
    sigmas, mean_dist = [], []
    for t_min in (1e-2, 1e-3, 1e-4, 1e-5):
        grid = md.geometric_grid(process.T, t_min, 100)
        x = md.euler_maruyama(jax.random.fold_in(key, 1), score, x_T, grid, process)
        dist = _nearest_distance(x, data)
        sigma = float(process.marginal(t_min)[1])
        # every sample is a copy of a training point, within a few sigma(t_min)
        assert float(dist.max()) < 6 * sigma, (t_min, float(dist.max()))
        sigmas.append(sigma)
        mean_dist.append(float(dist.mean()))
    slope = np.polyfit(np.log(sigmas), np.log(mean_dist), 1)[0]
    assert 0.85 < slope < 1.15, slope
    # a final noise-free step to t = 0 is the Tweedie denoiser: exact copies
    grid0 = md.geometric_grid(process.T, 1e-3, 100, include_zero=True)
    x0 = md.euler_maruyama(jax.random.fold_in(key, 1), score, x_T, grid0, process)
    assert float(_nearest_distance(x0, data).max()) < 1e-4


def test_probability_flow_with_empirical_score_memorizes(key):
    data, process = _circle(12), md.VP(T=5.0)
    score = md.EmpiricalScore(data, process)
    x = md.heun_probability_flow(score, process.prior_sample(key, (256, 2)),
                                 md.geometric_grid(process.T, 1e-4, 100), process)
    assert float(_nearest_distance(x, data).max()) < 6 * float(process.marginal(1e-4)[1])


def test_sampling_is_reproducible_bit_for_bit(key):
    data, process = _circle(10), md.VE(T=4.0)
    score = md.EmpiricalScore(data, process)
    x_T = process.prior_sample(key, (64, 2))
    grid = md.geometric_grid(process.T, 1e-3, 50)
    a = md.euler_maruyama(jax.random.key(7), score, x_T, grid, process)
    b = md.euler_maruyama(jax.random.key(7), score, x_T, grid, process)
    c = md.euler_maruyama(jax.random.key(8), score, x_T, grid, process)
    assert bool(jnp.array_equal(a, b))
    assert not bool(jnp.array_equal(a, c))


def test_return_path_shapes_and_endpoints(key):
    process = md.VP()
    score = md.MixtureScore(md.gaussian(MEAN, COV), process)
    x_T = process.prior_sample(key, (5, 2))
    grid = md.uniform_grid(process.T, 1e-2, 20)
    x, path = md.euler_maruyama(key, score, x_T, grid, process, return_path=True)
    assert path.shape == (21, 5, 2)
    assert bool(jnp.array_equal(path[0], x_T)) and bool(jnp.array_equal(path[-1], x))
    x_ode, path_ode = md.heun_probability_flow(score, x_T, grid, process, return_path=True)
    assert path_ode.shape == (21, 5, 2) and bool(jnp.array_equal(path_ode[-1], x_ode))


def test_tweedie_denoiser_matches_gaussian_posterior_mean(key):
    process, t = md.VP(), 0.3
    score = md.MixtureScore(md.gaussian(MEAN, COV), process)
    alpha, sigma = process.marginal(t)
    x = jax.random.normal(key, (10, 2))
    cov_t = alpha**2 * COV + sigma**2 * jnp.eye(2)
    # E[X0 | Xt = x] = m + alpha Sigma C_t^{-1} (x - alpha m)
    expected = MEAN[None, :] + alpha * (COV @ jnp.linalg.solve(cov_t, (x - alpha * MEAN[None, :]).T)).T
    np.testing.assert_allclose(md.tweedie_denoiser(score, x, t, process), expected,
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kwargs, match, exc", [
    (dict(grid=jnp.array([1.0, 2.0])), "grid", ValueError),
    (dict(grid=jnp.array([20.0, 1.0])), "grid", ValueError),
    (dict(grid=jnp.array([3.0, 0.0, -1.0])), "grid", ValueError),
    (dict(grid=jnp.array([3.0])), "grid", ValueError),
    (dict(x_T=jnp.zeros((3,))), "x_T", ValueError),
    (dict(x_T=jnp.full((3, 2), jnp.nan)), "x_T", ValueError),
    (dict(score_fn="not a function"), "score_fn", TypeError),
    (dict(process="VP"), "process", TypeError),
])
def test_sampler_bad_input(kwargs, match, exc, key):
    process = md.VP()
    args = dict(score_fn=md.MixtureScore(md.gaussian(MEAN, COV), process),
                x_T=jnp.zeros((3, 2)), grid=md.uniform_grid(process.T, 1e-2, 5), process=process)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        md.euler_maruyama(key, args["score_fn"], args["x_T"], args["grid"], args["process"])
    with pytest.raises(exc, match=match):
        md.heun_probability_flow(args["score_fn"], args["x_T"], args["grid"], args["process"])
