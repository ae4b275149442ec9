"""Langevin and tempered-score Langevin at a fixed noise level: exact stationary laws of the
discretisation on a Gaussian, and the von Mises circle (plain: the density; tempered: uniform)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manifold_diffusion as md


def _dkw(n: int, delta: float = 1e-3) -> float:
    """Dvoretzky--Kiefer--Wolfowitz: P(KS > eps) <= 2 exp(-2 n eps^2) = delta."""
    return math.sqrt(math.log(2.0 / delta) / (2.0 * n))


def _unit_gaussian_score(x, t):
    """Score of N(0, I), whatever t."""
    del t
    return -x


def test_langevin_on_a_gaussian_has_the_ula_stationary_variance(key):
    """ULA on N(0, 1) with step h is an AR(1) with stationary variance 1 / (1 - h/2) (exact)."""
    n_chains, h = 4000, 0.2
    x = md.langevin(key, _unit_gaussian_score, jnp.zeros((n_chains, 2)), 0.5, h, 200)
    var = float(jnp.var(x))
    expected = 1.0 / (1.0 - h / 2)
    # sample variance of 2 n_chains Gaussians: std = expected * sqrt(2 / (2 n)); 5 std window
    assert abs(var - expected) < 5 * expected * math.sqrt(1.0 / n_chains), var


def test_tempered_langevin_on_a_gaussian_scales_the_drift_by_sigma_power(key):
    """Drift c = sigma^alpha: AR(1) x' = (1 - h c) x + sqrt(2h) z, variance 2h / (1 - (1 - h c)^2)."""
    process, t, alpha, h = md.VE(T=1.0), 0.25, 1.0, 0.2        # sigma = 0.5, c = 0.5
    n_chains = 4000
    x = md.tempered_langevin(key, _unit_gaussian_score, jnp.zeros((n_chains, 2)), t, h, 300, alpha,
                             process=process)
    c = 0.5
    expected = 2 * h / (1 - (1 - h * c) ** 2)
    assert abs(float(jnp.var(x)) - expected) < 5 * expected * math.sqrt(1.0 / n_chains)
    # alpha = 0 is plain Langevin, step for step (same key, same noise)
    plain = md.langevin(key, _unit_gaussian_score, jnp.ones((8, 2)), t, h, 10)
    tempered0 = md.tempered_langevin(key, _unit_gaussian_score, jnp.ones((8, 2)), t, h, 10, 0.0,
                                     process=process)
    np.testing.assert_allclose(np.asarray(tempered0), np.asarray(plain), rtol=1e-6, atol=1e-6)


def _angles(circle, x):
    return circle.density_coords(circle.coords(x))[:, 0]


def test_plain_langevin_recovers_von_mises_and_tempered_gives_uniform(key):
    """The companion paper's Fig. 2 on the circle: von Mises(0, 2) data, population score.

    Plain Langevin (sigma = 0.1, h = 0.1 sigma^2, time 5) started from the *uniform* law must
    reach the noised law, whose angle is von Mises smoothed by ~sigma (CDF moved by < 0.01).
    Tempered Langevin (alpha = 1, sigma = 0.05, h = 0.1 sigma^(2-alpha), time 10) started from
    the *von Mises* law must reach an angle law proportional to q^(sigma^alpha), whose CDF is
    within kappa sigma^alpha / (2 pi) = 0.016 of uniform. Time 5 leaves exp(-5) of the initial
    angular Fourier mode (the angle diffuses with generator d^2/dtheta^2 on the unit circle).
    """
    circle, density = md.manifolds.Circle(1.0), md.manifolds.VonMises(0.0, 2.0)
    process = md.VE(T=1.0)
    n = 1000
    k_start, k_plain, k_tempered = jax.random.split(key, 3)
    bound = _dkw(n)                                                   # 0.062 at n = 1000

    sigma = 0.1
    score = md.PopulationScore(circle, density, process, n_nodes=128)
    x = md.langevin(k_plain, score, circle.sample(k_start, n), sigma**2, 0.1 * sigma**2, 5000)
    theta = _angles(circle, x)
    assert md.metrics.ks_distance(theta, density).statistic < bound + 0.01
    assert md.metrics.ks_distance(theta, None).statistic > 0.15   # vM(0, 2) vs uniform: 0.24
    # concentrated on M with normal std ~ sigma (ULA inflates the variance by 1/(1 - h/2s^2))
    assert float(jnp.mean(circle.distance(x))) < 1.2 * sigma * math.sqrt(2 / math.pi)

    sigma, alpha = 0.05, 1.0
    score = md.PopulationScore(circle, density, process, n_nodes=256)
    x = md.tempered_langevin(k_tempered, score, circle.sample(k_start, n, density), sigma**2,
                             0.1 * sigma ** (2 - alpha), 2000, alpha)
    theta = _angles(circle, x)
    assert md.metrics.ks_distance(theta, None).statistic < bound + 2.0 * sigma**alpha / (2 * math.pi)
    assert md.metrics.ks_distance(theta, density).statistic > 0.15
    # the normal width is sigma^(1 - alpha/2) = 0.22, not sigma: E|N(0, w^2)| = w sqrt(2/pi)
    width = float(jnp.mean(circle.distance(x))) / math.sqrt(2 / math.pi)
    assert 0.8 * sigma ** (1 - alpha / 2) < width < 1.2 * sigma ** (1 - alpha / 2), width


def test_langevin_is_deterministic_given_the_key(key):
    x0 = jnp.ones((4, 3))
    a = md.langevin(key, _unit_gaussian_score, x0, 0.5, 0.1, 7)
    b = md.langevin(key, _unit_gaussian_score, x0, 0.5, 0.1, 7)
    c = md.langevin(jax.random.fold_in(key, 1), _unit_gaussian_score, x0, 0.5, 0.1, 7)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert not np.allclose(np.asarray(a), np.asarray(c))


def test_langevin_errors(key):
    x0 = jnp.zeros((4, 2))
    with pytest.raises(TypeError, match="score_fn"):
        md.langevin(key, "score", x0, 0.5, 0.1, 10)
    with pytest.raises(ValueError, match="x0"):
        md.langevin(key, _unit_gaussian_score, jnp.zeros((4,)), 0.5, 0.1, 10)
    with pytest.raises(ValueError, match="x0"):
        md.langevin(key, _unit_gaussian_score, jnp.full((4, 2), jnp.nan), 0.5, 0.1, 10)
    with pytest.raises(ValueError, match="step_size"):
        md.langevin(key, _unit_gaussian_score, x0, 0.5, 0.0, 10)
    with pytest.raises(ValueError, match="t"):
        md.langevin(key, _unit_gaussian_score, x0, -1.0, 0.1, 10)
    with pytest.raises(ValueError, match="n_steps"):
        md.langevin(key, _unit_gaussian_score, x0, 0.5, 0.1, 0)
    with pytest.raises(TypeError, match="process"):
        md.tempered_langevin(key, _unit_gaussian_score, x0, 0.5, 0.1, 10, 1.0)
    with pytest.raises(ValueError, match="alpha"):
        md.tempered_langevin(key, _unit_gaussian_score, x0, 0.5, 0.1, 10, -1.0, process=md.VE(T=1.0))
    with pytest.raises(ValueError, match="t"):
        md.tempered_langevin(key, _unit_gaussian_score, x0, 2.0, 0.1, 10, 1.0, process=md.VE(T=1.0))
