"""Smoothed scores and the KDE: Prop 3.1, log-domain identity, closed forms, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manifold_diffusion as md
from manifold_diffusion.kde import GaussianKDE
from manifold_diffusion.scores import SmoothedScore

EPS = float(jnp.finfo(jnp.result_type(float)).eps)


def _line_setup(key, n=20, d=6):
    """``n`` points on a random affine line in R^d, its tangent projector and query points."""
    # fold_in only (never also split) on the test's key; 1000+ keeps clear of the tests' own indices
    k_sub, k_pts, k_x = (jax.random.fold_in(key, 1000 + i) for i in range(3))
    sub = md.manifolds.random_subspace(k_sub, 1, d, offset_scale=1.0, extent=2.0)
    data = sub.sample(k_pts, n)
    proj = sub.basis @ sub.basis.T
    x = data[:8] + 0.3 * jax.random.normal(k_x, (8, d))
    return sub, data, proj, x


def test_isotropic_equals_tangent_on_flat_subspace_same_draws(key):
    """Prop 3.1 with shared draws: the tangent kernel's draws are the tangent parts of the
    isotropic ones, so the logits (which see only the tangent part) agree and, with antithetic
    pairs, the normal parts of the averages are both exactly -(I-P)(x - c)/t."""
    sub, data, proj, x = _line_setup(key)
    process, t = md.VE(), 0.05
    emp = md.EmpiricalScore(data, process)
    k_draw = jax.random.fold_in(key, 99)
    iso = SmoothedScore(emp, 0.3, 64, k_draw)
    tan = SmoothedScore(emp, 0.3, 64, k_draw, covariance=proj)
    s_iso, s_tan = iso(x, t), tan(x, t)
    scale = float(jnp.max(jnp.abs(s_iso)))
    np.testing.assert_allclose(s_iso, s_tan, atol=1e3 * EPS * scale)
    normal = (x - sub.offset[None, :]) @ (jnp.eye(x.shape[1]) - proj)
    np.testing.assert_allclose(s_iso @ (jnp.eye(x.shape[1]) - proj), -normal / t,
                               atol=1e3 * EPS * scale)


def test_isotropic_equals_tangent_monte_carlo_error_shrinks(key):
    """Independent draws: |s_iso - s_tan| is Monte Carlo error, of order 1/sqrt(M).

    The RMS error (over 6 independent draw sets and 8 query points) of isotropic smoothing
    against a 16384-draw tangent-only reference should shrink by about sqrt(16) = 4 from M = 64
    to M = 1024; single realisations are heavy-tailed, hence the repetitions and the window
    (> 2). The absolute bound is 3 standard errors from the per-draw spread (antithetic pairs
    only lower the error below that)."""
    sub, data, proj, x = _line_setup(key)
    process, t = md.VE(), 0.05
    emp = md.EmpiricalScore(data, process)
    ref = SmoothedScore(emp, 0.3, 16384, jax.random.fold_in(key, 1), covariance=proj)(x, t)
    rms = []
    for m in (64, 1024):
        sq = []
        for r in range(6):
            iso = SmoothedScore(emp, 0.3, m, jax.random.fold_in(key, 100 * m + r))
            sq.append(float(jnp.mean(jnp.sum((iso(x, t) - ref) ** 2, axis=1))))
        # per-draw spread of the score, for the standard error of a mean of m draws
        pts = x[:, None, :] + iso.bandwidth * iso.draws[None, :, :]
        vals = emp(pts.reshape(-1, x.shape[1]), t).reshape(x.shape[0], m, -1)
        sd = float(jnp.sqrt(jnp.mean(jnp.sum(jnp.var(vals, axis=1), axis=-1))))
        rms.append(np.sqrt(np.mean(sq)))
        assert rms[-1] < 3 * sd / np.sqrt(m)
    assert rms[1] < rms[0] / 2


def test_smoothed_score_is_gradient_of_smoothed_log_prob(key):
    data = md.manifolds.Circle().sample(jax.random.fold_in(key, 0), 12)
    emp = md.EmpiricalScore(data, md.VE())
    smooth = SmoothedScore(emp, 0.2, 32, jax.random.fold_in(key, 1))
    x = 1.1 * data[:5] + 0.05
    t = 0.1
    grad = jax.grad(lambda y: jnp.sum(smooth.log_prob(y, t)))(x)
    np.testing.assert_allclose(grad, smooth(x, t), rtol=1e-3, atol=1e-3)


def test_single_point_smoothing_is_exact(key):
    """The empirical score of one point, (x_1 - x)/t, is linear: centred (antithetic) draws
    leave it unchanged for every bandwidth."""
    data = jnp.array([[0.3, -0.7, 1.2]])
    emp = md.EmpiricalScore(data, md.VE())
    x = jax.random.normal(jax.random.fold_in(key, 0), (7, 3))
    for h in (0.1, 1.0, 5.0):
        s = SmoothedScore(emp, h, 16, jax.random.fold_in(key, 1))
        got, want = s(x, 0.2), emp(x, 0.2)
        np.testing.assert_allclose(got, want, atol=100 * EPS * (1 + 5 * h) / 0.2)


def test_bandwidth_zero_is_empirical_score(key):
    data = md.manifolds.Circle().sample(jax.random.fold_in(key, 0), 12)
    emp = md.EmpiricalScore(data, md.VE())
    s = SmoothedScore(emp, 0.0, 8, jax.random.fold_in(key, 1))
    x = data + 0.1
    np.testing.assert_allclose(s(x, 0.01), emp(x, 0.01), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(s.log_prob(x, 0.01), emp.log_prob(x, 0.01), rtol=1e-6, atol=1e-5)


def test_chunked_equals_unchunked_and_single_point(key):
    data = md.manifolds.Circle().sample(jax.random.fold_in(key, 0), 12)
    emp = md.EmpiricalScore(data, md.VE())
    k = jax.random.fold_in(key, 1)
    x = data[:6] * 0.9
    full = SmoothedScore(emp, 0.2, 40, k)(x, 0.05)
    chunked = SmoothedScore(emp, 0.2, 40, k, max_rows=6 * 8)(x, 0.05)   # 5 chunks of 8 draws
    np.testing.assert_allclose(chunked, full, rtol=1e-5, atol=1e-5)
    one = SmoothedScore(emp, 0.2, 40, k)(x[0], 0.05)
    np.testing.assert_allclose(one, full[0], rtol=1e-5, atol=1e-5)


def test_antithetic_draws_are_centred(key):
    emp = md.EmpiricalScore(jnp.zeros((2, 5)), md.VE())
    s = SmoothedScore(emp, 1.0, 10, key)
    np.testing.assert_allclose(jnp.mean(s.draws, axis=0), 0.0, atol=10 * EPS)
    plain = SmoothedScore(emp, 1.0, 11, key, antithetic=False)
    assert plain.n_draws == 11


def test_sampler_accepts_smoothed_score(key):
    data = md.manifolds.Circle().sample(jax.random.fold_in(key, 0), 12)
    process = md.VE()
    s = SmoothedScore(md.EmpiricalScore(data, process), 0.2, 16, jax.random.fold_in(key, 1))
    grid = md.geometric_grid(process.T, 1e-4, 20, include_zero=True)
    x_T = process.prior_sample(jax.random.fold_in(key, 2), (32, 2))
    out = md.euler_maruyama(jax.random.fold_in(key, 3), s, x_T, grid, process)
    assert out.shape == (32, 2) and bool(jnp.all(jnp.isfinite(out)))


def test_manifold_adapted_moves_along_translated_circle(key):
    """The manifold-adapted kernel moves x along the copy of M translated by x - P(x):
    x + u_j - (x - P(x)) = P(x) + u_j lies on M, and the kernel is centred on the circle to
    second order (mean tangential move ~0, small inward chord term)."""
    circle = md.manifolds.Circle()
    data = circle.sample(jax.random.fold_in(key, 0), 12)
    emp = md.EmpiricalScore(data, md.VE())
    s = SmoothedScore(emp, 0.3, 16, jax.random.fold_in(key, 1), manifold=circle)
    x = 0.8 * data[:4]
    p = circle.project(x)
    u = s.displacements(x)
    np.testing.assert_allclose(jnp.linalg.norm(p[:, None, :] + u, axis=-1), 1.0, atol=1e-5)
    assert s(x, 0.05).shape == (4, 2)
    with pytest.raises(ValueError, match="manifold"):
        SmoothedScore(emp, 0.3, 16, key, manifold=md.manifolds.Sphere(k=2))


@pytest.mark.parametrize("kwargs, match", [
    (dict(bandwidth=-0.1), "bandwidth"),
    (dict(bandwidth=float("nan")), "bandwidth"),
    (dict(n_draws=0), "n_draws"),
    (dict(n_draws=7), "n_draws"),
    (dict(covariance=jnp.eye(3)), "covariance"),
    (dict(covariance=-jnp.eye(2)), "covariance"),
    (dict(covariance=jnp.array([[1.0, 0.5], [0.0, 1.0]])), "covariance"),
    (dict(max_rows=0), "max_rows"),
])
def test_bad_arguments_raise(key, kwargs, match):
    emp = md.EmpiricalScore(jnp.zeros((3, 2)), md.VE())
    args = dict(bandwidth=0.1, n_draws=8) | kwargs
    with pytest.raises(ValueError, match=match):
        SmoothedScore(emp, args.pop("bandwidth"), args.pop("n_draws"), key, **args)


def test_bad_score_and_kernel_types_raise(key):
    emp = md.EmpiricalScore(jnp.zeros((3, 2)), md.VE())
    with pytest.raises(TypeError, match="score"):
        SmoothedScore("not a score", 0.1, 8, key)
    with pytest.raises(TypeError, match="bandwidth"):
        SmoothedScore(emp, "wide", 8, key)
    with pytest.raises(TypeError, match="manifold"):
        SmoothedScore(emp, 0.1, 8, key, manifold=object())
    with pytest.raises(ValueError, match="covariance"):
        SmoothedScore(emp, 0.1, 8, key, covariance=jnp.eye(2), manifold=md.manifolds.Circle())
    with pytest.raises(ValueError, match="x"):
        SmoothedScore(emp, 0.1, 8, key)(jnp.zeros((4, 3)), 0.1)


def test_kde_samples_mean_and_covariance(key):
    """KDE law: mean = data mean, covariance = data covariance (1/n) + h^2 I.
    With b samples the sample mean has standard error sqrt(tr Cov / b) per coordinate; the
    window of 5 standard errors (and 10 % on the covariance, 5x its relative std at b = 20000)
    fails by chance with negligible probability."""
    data = jnp.array([[0.0, 0.0], [2.0, 0.0], [0.0, 1.0], [1.0, 3.0]])
    h, b = 0.5, 20_000
    kde = GaussianKDE(data, h)
    x = kde.sample(key, b)
    mean = jnp.mean(data, axis=0)
    cov = jnp.cov(data.T, bias=True) + h * h * jnp.eye(2)
    se = jnp.sqrt(jnp.diag(cov) / b)
    assert bool(jnp.all(jnp.abs(jnp.mean(x, axis=0) - mean) < 5 * se))
    np.testing.assert_allclose(jnp.cov(x.T), cov, rtol=0.1, atol=0.05)


def test_kde_score_log_prob_and_noised_score(key):
    data = md.manifolds.Circle().sample(jax.random.fold_in(key, 0), 12)
    kde = GaussianKDE(data, 0.2, md.VE())
    x = 1.2 * data[:5]
    grad = jax.grad(lambda y: jnp.sum(kde.log_prob(y)))(x)
    np.testing.assert_allclose(grad, kde.score(x), rtol=1e-4, atol=1e-4)
    # noised KDE at time t = empirical score at time t + h^2 (VE)
    emp = md.EmpiricalScore(data, md.VE())
    np.testing.assert_allclose(kde(x, 0.05), emp(x, 0.05 + 0.04), rtol=1e-4, atol=1e-4)
    # normalised: a fine 2-D grid integrates to 1
    ax = jnp.linspace(-2.5, 2.5, 251)
    xx, yy = jnp.meshgrid(ax, ax)
    dens = jnp.exp(kde.log_prob(jnp.stack([xx.ravel(), yy.ravel()], axis=1)))
    assert abs(float(jnp.sum(dens)) * float(ax[1] - ax[0]) ** 2 - 1.0) < 1e-3


def test_kde_bad_arguments(key):
    with pytest.raises(ValueError, match="bandwidth"):
        GaussianKDE(jnp.zeros((3, 2)), -1.0)
    with pytest.raises(ValueError, match="data"):
        GaussianKDE(jnp.zeros((0, 2)), 0.1)
    with pytest.raises(ValueError, match="process"):
        GaussianKDE(jnp.zeros((3, 2)), 0.1)(jnp.zeros((1, 2)), 0.1)
