"""Population score by quadrature: closed forms (circle, flat torus, subspace), gradients, errors,
and the sigma*(n) departure of the empirical score."""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import ive, ndtr

import manifold_diffusion as md

EPS = float(jnp.finfo(jnp.result_type(float)).eps)
X64 = jnp.result_type(float) == jnp.float64


def _circle_log_density_and_score(x, alpha, sigma, radius=1.0):
    r"""Closed form for the noised uniform circle in R^2 (float64 numpy).

    p_t(x) = exp(-(|x|^2 + alpha^2 R^2) / 2 sigma^2) I_0(alpha R |x| / sigma^2) / (2 pi sigma^2),
    score = (x / |x|) (-|x| + alpha R I_1(z) / I_0(z)) / sigma^2, z = alpha R |x| / sigma^2.
    """
    x = np.asarray(x, np.float64)
    r = np.linalg.norm(x, axis=1)
    s2 = sigma * sigma
    z = alpha * radius * r / s2
    log_p = (-np.log(2 * np.pi * s2) - (r - alpha * radius) ** 2 / (2 * s2) + np.log(ive(0, z)))
    radial = (-r + alpha * radius * ive(1, z) / ive(0, z)) / s2
    return log_p, x / r[:, None] * radial[:, None]


def _query_points(key, manifold, n, spread):
    """Points on ``manifold`` plus Gaussian noise of std ``spread`` (float64 numpy)."""
    k_on, k_off = jax.random.split(key)
    on = np.asarray(manifold.sample(k_on, n), np.float64)
    return on + spread * np.asarray(jax.random.normal(k_off, on.shape), np.float64)


def _logit_scale(x, alpha, sigma):
    """Size L = alpha max|x| / sigma^2 of the logits (|y| <= 1 here): each carries ~eps L of rounding."""
    return alpha * float(np.max(np.linalg.norm(x, axis=1))) / sigma**2


def _log_prob_tolerance(x, alpha, sigma):
    """Rounding of log p: the log-sum-exp over many comparable nodes inherits ~eps L nats."""
    return 20 * EPS * _logit_scale(x, alpha, sigma) + 1e-11


def _score_tolerance(x, alpha, sigma):
    """Float rounding of a score (a softmax of logits of size L = alpha |x| / sigma^2, over sigma^2).

    A logit carries ~eps L nats of rounding, so the weighted mean moves by ~eps L |y| and the score
    by eps L / sigma^2 (|y| = 1 here); the quadrature error is below 1e-12 at twice the minimal node
    count (module docstring), so the float64 bound is rounding too.
    """
    return 20 * EPS * _logit_scale(x, alpha, sigma) * alpha / sigma**2 + 1e-12 / sigma**2


@pytest.mark.parametrize("process, t", [(md.VE(T=4.0), 0.05**2), (md.VE(T=4.0), 0.3**2),
                                        (md.VP(T=2.0), 0.02), (md.VE(T=4.0), 2.0)])
def test_uniform_circle_matches_closed_form(key, process, t):
    circle = md.manifolds.Circle(1.0)
    alpha, sigma = (float(v) for v in process.marginal(jnp.asarray(t)))
    # twice the minimal node count alpha L / sigma: quadrature error ~ exp(-8 pi^2 / (1 + kappa r))
    # at distance r from M (module docstring); the query points stay within r ~ 4 sigma
    n_nodes = max(32, 2 * math.ceil(alpha * 2 * math.pi / sigma))
    score = md.PopulationScore(circle, None, process, n_nodes=n_nodes)
    x = _query_points(key, circle, 256, sigma)
    x = x[np.linalg.norm(x, axis=1) > 0.05]
    ref_log_p, ref_score = _circle_log_density_and_score(x, alpha, sigma)
    got = np.asarray(score(jnp.asarray(x), t), np.float64)
    np.testing.assert_allclose(got, ref_score, rtol=0, atol=_score_tolerance(x, alpha, sigma))
    got_log_p = np.asarray(score.log_prob(jnp.asarray(x), t), np.float64)
    np.testing.assert_allclose(got_log_p, ref_log_p, rtol=0, atol=_log_prob_tolerance(x, alpha, sigma))


def test_minimal_node_count_error_is_as_documented(key):
    """At alpha h = sigma exactly the error is ~exp(-2 pi^2 / (1 + kappa r)) relative (docstring)."""
    process, sigma = md.VE(T=1.0), 0.05
    n_nodes = math.ceil(2 * math.pi / sigma)                      # 126 nodes, h = 0.0499
    score = md.PopulationScore(md.manifolds.Circle(1.0), None, process, n_nodes=n_nodes)
    x = np.asarray(md.manifolds.Circle(1.0).sample(key, 64), np.float64)   # on M: kappa r = 0
    ref_log_p, _ = _circle_log_density_and_score(x, 1.0, sigma)
    got = np.asarray(score.log_prob(jnp.asarray(x), sigma**2), np.float64)
    np.testing.assert_allclose(got, ref_log_p, rtol=0, atol=3 * math.exp(-2 * math.pi**2)
                               + _log_prob_tolerance(x, 1.0, sigma))


def test_flat_torus_factorises_into_two_circles(key):
    """k = 2 (tensor-product nodes): the noised uniform flat torus is a product of two circles."""
    radius1, radius2, sigma = 1.0, 0.5, 0.15
    torus = md.manifolds.FlatTorus(radius1, radius2)
    process = md.VE(T=1.0)
    score = md.PopulationScore(torus, None, process, n_nodes=2 * math.ceil(2 * math.pi / sigma))
    assert score.node_spacing <= sigma / 2
    x = _query_points(key, torus, 64, sigma)
    lp1, s1 = _circle_log_density_and_score(x[:, :2], 1.0, sigma, radius1)
    lp2, s2 = _circle_log_density_and_score(x[:, 2:], 1.0, sigma, radius2)
    got = np.asarray(score(jnp.asarray(x), sigma**2), np.float64)
    np.testing.assert_allclose(got, np.concatenate([s1, s2], axis=1), rtol=0,
                               atol=_score_tolerance(x, 1.0, sigma))
    got_log_p = np.asarray(score.log_prob(jnp.asarray(x), sigma**2), np.float64)
    np.testing.assert_allclose(got_log_p, lp1 + lp2, rtol=0, atol=_log_prob_tolerance(x, 1.0, sigma))


def test_uniform_square_in_a_subspace_matches_closed_form(key):
    r"""Flat k = 2 data in R^3: the normal part of the score is exactly -x_perp / sigma^2 and the
    tangential part is the closed form of a noised uniform interval, per axis,
    d/dx log[Phi((alpha e - x)/sigma) - Phi((-alpha e - x)/sigma)] (midpoint rule: O(h^2/sigma^2)
    only near the ends of the data, which the query points stay away from)."""
    process, t = md.VP(T=1.0), 0.01
    alpha, sigma = (float(v) for v in process.marginal(jnp.asarray(t)))
    basis = np.array([[1.0, 0.0], [0.0, 0.6], [0.0, 0.8]])
    subspace = md.manifolds.AffineSubspace(basis, extent=1.0)
    score = md.PopulationScore(subspace, None, process, n_nodes=200)
    coords = np.asarray(jax.random.uniform(key, (64, 2), minval=-0.3, maxval=0.3), np.float64)
    normal = np.array([0.0, 0.8, -0.6])
    offsets = np.linspace(-2.0, 2.0, 64) * sigma
    x = alpha * coords @ basis.T + offsets[:, None] * normal[None, :]
    got = np.asarray(score(jnp.asarray(x), t), np.float64)

    def interval_score(c):
        """d/dc log[Phi(hi) - Phi(lo)] = (phi(lo) - phi(hi)) / (sigma (Phi(hi) - Phi(lo)))."""
        lo, hi = (-alpha - c) / sigma, (alpha - c) / sigma
        phi = lambda v: np.exp(-0.5 * v * v) / np.sqrt(2 * np.pi)  # noqa: E731
        return (phi(lo) - phi(hi)) / (sigma * (ndtr(hi) - ndtr(lo)))

    tangential = interval_score(x @ basis) @ basis.T
    ref = tangential - offsets[:, None] * normal[None, :] / sigma**2
    np.testing.assert_allclose(got, ref, rtol=0, atol=_score_tolerance(x, alpha, sigma) + 1e-6)


def test_score_is_gradient_of_log_prob_for_von_mises_on_ellipse(key):
    ellipse = md.manifolds.Ellipse(1.0, 2.0)
    density = md.manifolds.VonMises(1.0, 4.0)
    process, sigma = md.VE(T=1.0), 0.1
    score = md.PopulationScore(ellipse, density, process, n_nodes=256)
    x = jnp.asarray(_query_points(key, ellipse, 32, sigma), jnp.result_type(float))
    grad = jax.vmap(jax.grad(lambda xi: score.log_prob(xi, sigma**2)))(x)
    got = score(x, sigma**2)
    scale = float(jnp.max(jnp.abs(got)))
    np.testing.assert_allclose(np.asarray(grad), np.asarray(got), rtol=0,
                               atol=_score_tolerance(np.asarray(x), 1.0, sigma) + 100 * EPS * scale)


def test_log_prob_integrates_to_one_and_denoise_is_tweedie(key):
    circle, density = md.manifolds.Circle(1.0), md.manifolds.VonMises(2.0, 3.0)
    process, t = md.VP(T=1.0), 0.03
    alpha, sigma = process.marginal(jnp.asarray(t))
    score = md.PopulationScore(circle, density, process, n_nodes=128)
    h = 0.01
    axis = jnp.arange(-2.5, 2.5, h) + h / 2          # alpha + 6 sigma = 2.4: tails below 1e-8
    grid = jnp.stack(jnp.meshgrid(axis, axis, indexing="ij"), axis=-1).reshape(-1, 2)
    mass = float(jnp.sum(jnp.exp(score.log_prob(grid, t))) * h * h)
    assert abs(mass - 1.0) < 1e-4                    # midpoint rule in R^2, sigma / h = 17
    x = grid[::9973]
    tweedie = (x + sigma**2 * score(x, t)) / alpha
    np.testing.assert_allclose(np.asarray(score.denoise(x, t)), np.asarray(tweedie),
                               rtol=0, atol=1e3 * EPS)


def test_single_point_jit_and_sampler_compatibility(key):
    circle = md.manifolds.Circle(1.0)
    process = md.VE(T=1.0)
    score = md.PopulationScore(circle, md.manifolds.VonMises(0.0, 1.0), process, n_nodes=64,
                               chunk_size=20)                     # 4 blocks of 16, no padding
    x = jnp.asarray([[0.3, 1.1], [-0.9, 0.2]], jnp.result_type(float))
    batch = score(x, 0.1)
    tol = 1e3 * EPS * float(jnp.max(jnp.abs(batch)))
    np.testing.assert_allclose(np.asarray(score(x[0], 0.1)), np.asarray(batch[0]), rtol=0, atol=tol)
    assert score.log_prob(x[1], 0.1).shape == ()
    jitted = eqx.filter_jit(lambda s, y, t: s(y, t))(score, x, jnp.asarray(0.1))
    np.testing.assert_allclose(np.asarray(jitted), np.asarray(batch), rtol=0, atol=tol)
    unchunked = md.PopulationScore(circle, md.manifolds.VonMises(0.0, 1.0), process, n_nodes=64)
    np.testing.assert_allclose(np.asarray(unchunked(x, 0.1)), np.asarray(batch), rtol=0, atol=tol)
    out = md.euler_maruyama(key, score, process.prior_sample(key, (8, 2)),
                            md.geometric_grid(1.0, 0.1, 10), process)
    assert out.shape == (8, 2) and bool(jnp.all(jnp.isfinite(out)))


def test_population_score_errors():
    circle = md.manifolds.Circle(1.0)
    process = md.VE(T=1.0)
    with pytest.raises(ValueError, match="n_nodes"):
        md.PopulationScore(circle, None, process, n_nodes=3)
    with pytest.raises(TypeError, match="n_nodes"):
        md.PopulationScore(circle, None, process, n_nodes=10.5)
    with pytest.raises(TypeError, match="manifold"):
        md.PopulationScore(np.zeros((3, 2)), None, process, n_nodes=10)
    with pytest.raises(TypeError, match="process"):
        md.PopulationScore(circle, None, "VE", n_nodes=10)
    with pytest.raises(ValueError, match="density"):
        md.PopulationScore(circle, md.manifolds.ProductDensity(
            [md.manifolds.Uniform(), md.manifolds.Uniform()]), process, n_nodes=10)
    score = md.PopulationScore(circle, None, process, n_nodes=64)
    with pytest.raises(ValueError, match="x"):
        score(jnp.zeros((4, 3)), 0.5)
    with pytest.raises(ValueError, match="t"):
        score(jnp.zeros((4, 2)), 1.5)
    with pytest.raises(ValueError, match="t"):
        score.log_prob(jnp.zeros((4, 2)), 0.0)
    # spacing 2 pi / 64 = 0.098 > sigma = 0.05: under-resolved
    with pytest.raises(ValueError, match=r"n_nodes.*use n_nodes >= 126"):
        score(jnp.zeros((4, 2)), 0.05**2)
    assert score.min_sigma() == pytest.approx(2 * math.pi / 64, rel=1e-3)


# -------------------------------------------------------------------------- sigma*(n) departure
def test_sigma_star_shrinks_like_the_spacing(key):
    """On a circle (k = 1) sigma*(n) should scale like the spacing 2 pi / n: fitted slope near -1."""
    circle, density = md.manifolds.Circle(1.0), md.manifolds.VonMises(0.0, 1.0)
    sigmas = np.geomspace(3e-3, 1.0, 16)
    population = md.PopulationScore(circle, density, md.VE(T=1.0),
                                    n_nodes=math.ceil(2 * math.pi / 3e-3))
    k_data, k_eval = jax.random.split(key)
    ns, stars = [32, 128, 512], []
    for i, n in enumerate(ns):
        data = circle.sample(jax.random.fold_in(k_data, i), n, density)
        result = md.score_departure(k_eval, data, population, sigmas**2, threshold=0.5, n_eval=512)
        assert result.relative_error.shape == (16,) and result.n_data == n
        # agreement at large sigma, departure at small sigma
        assert float(result.relative_error[-1]) < 0.2 and float(result.relative_error[0]) > 2.0
        stars.append(result.sigma_star)
    assert stars[0] > stars[1] > stars[2]
    slope = np.polyfit(np.log(ns), np.log(stars), 1)[0]
    # theory: -1/k = -1; window covers the O(1) factor between sigma* and spacing drifting with n
    assert -1.4 < slope < -0.6, (stars, slope)
    for star, n in zip(stars, ns):
        assert 0.5 < star / (2 * math.pi / n) < 4.0


def test_score_departure_errors(key):
    circle = md.manifolds.Circle(1.0)
    population = md.PopulationScore(circle, None, md.VE(T=1.0), n_nodes=64)
    data = circle.sample(key, 16)
    with pytest.raises(TypeError, match="population_score"):
        md.score_departure(key, data, lambda x, t: x, [0.5], 0.5)
    with pytest.raises(ValueError, match="data"):
        md.score_departure(key, jnp.zeros((16, 3)), population, [0.5], 0.5)
    with pytest.raises(ValueError, match="times"):
        md.score_departure(key, data, population, [0.5, 0.5], 0.5)
    with pytest.raises(ValueError, match="times"):
        md.score_departure(key, data, population, [0.5, 2.0], 0.5)
    with pytest.raises(ValueError, match="threshold"):
        md.score_departure(key, data, population, [0.5], -1.0)
    with pytest.raises(ValueError, match="n_nodes"):                 # sigma = 0.01 unresolved
        md.score_departure(key, data, population, [1e-4, 0.5], 0.5)
