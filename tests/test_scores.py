"""Exact and empirical scores: closed forms, jax.grad of log-densities, chunking, sharding, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manifold_diffusion as md

EPS = float(jnp.finfo(jnp.result_type(float)).eps)


def _vp_time(sigma):
    """VP time with noise level sigma: sigma^2 = 1 - exp(-2t)."""
    return float(-0.5 * np.log1p(-(sigma**2)))


def _reference_log_density(data, process):
    """Independent log p_t in difference form: LSE_i(-|x - alpha x_i|^2 / 2 sigma^2) + const."""
    n, d = data.shape

    def log_p(x, t):
        alpha, sigma = process.marginal(t)
        sq = jnp.sum((x[None, :] - alpha * data) ** 2, axis=1)
        return (jax.scipy.special.logsumexp(-sq / (2 * sigma**2)) - jnp.log(n)
                - 0.5 * d * jnp.log(2 * jnp.pi * sigma**2))

    return log_p


def _assert_same_score(got, ref, x, data, process, t):
    """Two evaluations of one score agree up to float rounding of the logits.

    A logit alpha <x, x_i> / sigma^2 carries ~eps |x||x_i| alpha / sigma^2 nats of rounding that
    depends on summation order (block shapes, devices); it moves the weights by as much in
    relative terms, so the score (a weighted mean over sigma^2) moves by that times its scale.
    """
    alpha, sigma = process.marginal(t)
    logit_scale = float(alpha * jnp.max(jnp.linalg.norm(x, axis=1)) *
                        jnp.max(jnp.linalg.norm(data, axis=1)) / sigma**2)
    rtol = 1e-6 + 20 * EPS * (1 + logit_scale)
    err = jnp.linalg.norm(got - ref, axis=1) / jnp.linalg.norm(ref, axis=1)
    assert float(err.max()) < rtol, (float(err.max()), rtol)


@pytest.fixture
def data(key):
    return jax.random.normal(key, (40, 3))


@pytest.mark.parametrize("sigma", [0.9, 0.1, 1e-2, 1e-3, 1e-4])
def test_empirical_score_is_grad_of_log_density(data, sigma):
    process = md.VP()
    t = _vp_time(sigma)
    alpha, _ = process.marginal(t)
    k1, k2 = jax.random.split(jax.random.key(1))
    # queries: noised training points (the sampler's situation) and, at large sigma, generic points
    x = alpha * data[:8] + sigma * jax.random.normal(k1, (8, 3))
    if sigma >= 0.1:
        x = jnp.concatenate([x, 2 * jax.random.normal(k2, (8, 3))])
    score = md.EmpiricalScore(data, process)
    log_p = _reference_log_density(data, process)
    expected = jax.vmap(jax.grad(log_p), in_axes=(0, None))(x, t)
    got = score(x, t)
    assert bool(jnp.all(jnp.isfinite(got)))
    # float32 conditioning: each logit carries ~eps |x||x_i| / sigma^2 nats of rounding, and
    # alpha*xbar - x cancels down to ~sigma: relative error up to ~eps/sigma^2 * sigma = eps/sigma.
    rtol = 1e-5 + 50 * EPS / sigma
    err = jnp.linalg.norm(got - expected, axis=1) / jnp.linalg.norm(expected, axis=1)
    assert float(err.max()) < rtol
    # the log-density itself, and its gradient through the library's own log_prob
    np.testing.assert_allclose(score.log_prob(x, t), jax.vmap(log_p, (0, None))(x, t),
                               rtol=1e-5, atol=1e-3)
    grad_own = jax.vmap(jax.grad(lambda y: score.log_prob(y, t)))(x)
    err_own = jnp.linalg.norm(grad_own - got, axis=1) / jnp.linalg.norm(got, axis=1)
    assert float(err_own.max()) < rtol


def test_empirical_score_chunked_sharded_and_plain_agree(key):
    data = jax.random.normal(key, (1000, 5))
    x = jax.random.normal(jax.random.key(3), (64, 5))
    process = md.VE()
    one = jax.devices()[:1]
    plain = md.EmpiricalScore(data, process, chunk_size=100_000, devices=one)   # one block
    chunked = md.EmpiricalScore(data, process, chunk_size=96, devices=one)      # padded blocks
    # balanced blocks: 11 blocks of 91 rows (<= 96), one padding row
    assert chunked.chunk_size == 91 and chunked.data.shape[0] == 1001
    assert plain.chunk_size == 1000 and plain.data.shape[0] == 1000
    for t in (0.01, 1.0, 9.0):
        _assert_same_score(chunked(x, t), plain(x, t), x, data, process, t)
        np.testing.assert_allclose(chunked.log_prob(x, t), plain.log_prob(x, t), rtol=1e-5)


@pytest.mark.skipif(len(jax.devices()) < 2, reason="needs XLA_FLAGS=--xla_force_host_platform_device_count=2")
def test_empirical_score_sharded_equals_single_device(key):
    data = jax.random.normal(key, (777, 4))           # not a multiple of devices x chunk: padding
    x = jax.random.normal(jax.random.key(5), (32, 4))
    process = md.VP()
    single = md.EmpiricalScore(data, process, chunk_size=64, devices=jax.devices()[:1])
    sharded = md.EmpiricalScore(data, process, chunk_size=64, devices=jax.devices()[:2])
    assert sharded.mesh is not None and len(sharded.data.sharding.device_set) == 2
    for t in (1e-3, 0.1, 2.0):
        # np.asarray: the sharded result is replicated on both devices, the other on device 0
        _assert_same_score(np.asarray(sharded(x, t)), np.asarray(single(x, t)), x, data,
                           process, t)
        np.testing.assert_allclose(sharded.log_prob(x, t), single.log_prob(x, t), rtol=1e-5)
    # and under jit, as a traced pytree argument
    jitted = jax.jit(lambda s, y: s(y, 0.1))
    _assert_same_score(np.asarray(jitted(sharded, x)), np.asarray(single(x, 0.1)), x, data,
                       process, 0.1)


def test_empirical_denoiser_is_tweedie(data):
    process, t = md.VP(), 0.05
    score = md.EmpiricalScore(data, process)
    x = jax.random.normal(jax.random.key(2), (16, 3))
    np.testing.assert_allclose(score.denoise(x, t), md.tweedie_denoiser(score, x, t, process),
                               rtol=1e-4, atol=1e-5)


def test_empirical_score_single_point_and_batch_shapes(data):
    score = md.EmpiricalScore(data, md.VE())
    assert score(data[0] + 0.1, 0.5).shape == (3,)
    assert score(data[:5] + 0.1, 0.5).shape == (5, 3)
    assert score.training_points.shape == (40, 3)


@pytest.mark.parametrize("bad, match, exc", [
    (lambda d: md.EmpiricalScore(d[:, 0], md.VP()), "data", ValueError),
    (lambda d: md.EmpiricalScore(d[:0], md.VP()), "data", ValueError),
    (lambda d: md.EmpiricalScore(d.at[3, 1].set(jnp.nan), md.VP()), "data", ValueError),
    (lambda d: md.EmpiricalScore(d, md.VP(), chunk_size=0), "chunk_size", ValueError),
    (lambda d: md.EmpiricalScore(d, "VP"), "process", TypeError),
    (lambda d: md.EmpiricalScore(d, md.VP())(jnp.zeros((4, 2)), 0.5), "x", ValueError),
    (lambda d: md.EmpiricalScore(d, md.VP())(jnp.zeros((4, 3)), 0.0), "t", ValueError),
    (lambda d: md.EmpiricalScore(d, md.VP())(jnp.zeros((4, 3)), -1.0), "t", ValueError),
    (lambda d: md.EmpiricalScore(d, md.VP(T=2.0))(jnp.zeros((4, 3)), 3.0), "t", ValueError),
    (lambda d: md.EmpiricalScore(d, md.VP())("x", 0.5), "x", TypeError),
])
def test_empirical_score_bad_input(data, bad, match, exc):
    with pytest.raises(exc, match=match):
        bad(data)


# --- exact scores ---------------------------------------------------------------------------

@pytest.fixture
def mixture():
    weights = jnp.array([0.3, 0.7])
    means = jnp.array([[-2.0, 0.5], [1.5, -1.0]])
    covs = jnp.array([[[1.0, 0.3], [0.3, 0.5]], [[0.4, -0.1], [-0.1, 0.8]]])
    return md.GaussianMixture(weights, means, covs)


@pytest.mark.parametrize("process", [md.VP(), md.VE()], ids=["VP", "VE"])
def test_mixture_score_is_grad_of_log_density(mixture, process):
    score = md.MixtureScore(mixture, process)
    x = 3 * jax.random.normal(jax.random.key(4), (20, 2))
    for t in (1e-3, 0.2, 2.0):
        expected = jax.vmap(jax.grad(lambda y: score.log_prob(y, t)))(x)
        np.testing.assert_allclose(score(x, t), expected, rtol=1e-4, atol=1e-4)


def test_gaussian_score_closed_form():
    mean, cov = jnp.array([1.0, -2.0]), jnp.array([[2.0, 0.6], [0.6, 0.5]])
    process, t = md.VP(), 0.4
    alpha, sigma = process.marginal(t)
    score = md.MixtureScore(md.gaussian(mean, cov), process)
    x = jax.random.normal(jax.random.key(6), (10, 2))
    cov_t = alpha**2 * cov + sigma**2 * jnp.eye(2)
    expected = -jnp.linalg.solve(cov_t, (x - alpha * mean[None, :]).T).T
    np.testing.assert_allclose(score(x, t), expected, rtol=1e-5, atol=1e-6)


def test_mixture_sampling_moments(mixture, key):
    b = 40_000
    x = mixture.sample(key, b)
    w, m = mixture.weights, mixture.means
    mean = w @ m
    np.testing.assert_allclose(x.mean(0), mean, atol=5 * 2.0 / np.sqrt(b))


@pytest.mark.parametrize("args, match", [
    ((jnp.array([0.5, 0.6]), jnp.zeros((2, 2)), jnp.tile(jnp.eye(2), (2, 1, 1))), "weights"),
    ((jnp.array([1.0]), jnp.zeros((1, 2)), -jnp.eye(2)[None]), "covariances"),
    ((jnp.array([1.0]), jnp.zeros((1, 2)), jnp.eye(3)[None]), "covariances"),
    ((jnp.array([1.0]), jnp.full((1, 2), jnp.inf), jnp.eye(2)[None]), "means"),
])
def test_mixture_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        md.GaussianMixture(*args)
