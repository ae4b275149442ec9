"""Fresh-draw smoothed scores (scores.ResampledSmoothedScore) and the local-PCA manifold
(manifolds.LocalPCAManifold): closed forms, quadrature, chunked against unchunked, exact geometry."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manifold_diffusion as md
from manifold_diffusion import manifolds
from manifold_diffusion.scores import EmpiricalScore, ResampledSmoothedScore


class Linear:
    """The score -x/(1+t) of a centred Gaussian: smoothing an affine score changes nothing."""
    d = 3

    def __call__(self, x, t):
        return -x / (1.0 + t)


def test_antithetic_draws_leave_an_affine_score_exact(key):
    score = ResampledSmoothedScore(Linear(), 0.7, 6, key)
    x = jax.random.normal(key, (5, 3))
    np.testing.assert_allclose(np.asarray(score(x, 0.5)), np.asarray(-x / 1.5), atol=1e-5)


def test_matches_gauss_hermite_quadrature_of_the_smoothed_empirical_score(key):
    """1-D empirical score of two points: E_z s(x + h z, t) by 80-point Gauss-Hermite quadrature."""
    data = jnp.asarray([[-1.0], [1.2]])
    process = md.VE(T=4.0)
    emp = EmpiricalScore(data, process, devices=jax.devices()[:1])
    h, t, m = 0.4, 0.05, 4096
    score = ResampledSmoothedScore(emp, h, m, key)
    x = jnp.asarray([[-0.9], [0.1], [1.0]])
    got = np.asarray(score(x, t))[:, 0]
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    pts = np.asarray(x)[:, :1] + h * nodes[None, :]                       # (3, 80)
    s = np.asarray(emp(jnp.asarray(pts.reshape(-1, 1)), t)).reshape(3, 80)
    want = (s * weights[None, :]).sum(1) / weights.sum()
    spread = np.asarray(emp(jnp.asarray(pts.reshape(-1, 1)), t)).reshape(3, 80).std(1)
    # Monte Carlo error of the mean of m/2 independent antithetic pairs: below 5 standard errors
    assert np.all(np.abs(got - want) < 5 * spread / np.sqrt(m / 2) + 1e-4)


def test_fresh_draws_per_call_and_per_row_reproducible(key):
    emp = EmpiricalScore(jax.random.normal(key, (20, 4)), md.VE(T=4.0), devices=jax.devices()[:1])
    score = ResampledSmoothedScore(emp, 0.3, 8, jax.random.key(7))
    x = jnp.tile(jax.random.normal(jax.random.key(1), (1, 4)), (3, 1))    # three identical rows
    a, b, c = score(x, 0.1), score(x, 0.1), score(x, 0.2)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))           # a function of (key, x, t)
    assert float(jnp.max(jnp.abs(a - c))) > 1e-4                          # other time: other draws
    assert float(jnp.max(jnp.abs(a[0] - a[1]))) > 1e-4                    # other row: other draws
    # chunked over rows: the same numbers
    small = ResampledSmoothedScore(emp, 0.3, 8, jax.random.key(7), max_rows=16)
    np.testing.assert_allclose(np.asarray(small(x, 0.1)), np.asarray(a), rtol=1e-5, atol=1e-5)
    # it samples (a score_fn like any other)
    out = md.samplers.sample(key, score, emp.process, 6, md.geometric_grid(4.0, 1e-3, 10))
    assert out.shape == (6, 4) and bool(jnp.all(jnp.isfinite(out)))


def test_manifold_adapted_draws_stay_on_the_manifold(key):
    circle = manifolds.Circle()
    emp = EmpiricalScore(circle.sample(key, 12), md.VE(T=4.0), devices=jax.devices()[:1])
    score = ResampledSmoothedScore(emp, 0.5, 10, key, manifold=circle)
    x = 1.3 * circle.sample(jax.random.key(3), 7)
    moved = circle.project(x)[:, None, :] + score.displacements(x, 0.1)
    np.testing.assert_allclose(np.linalg.norm(np.asarray(moved), axis=2), 1.0, atol=1e-5)


def test_local_pca_recovers_the_circle_tangents_and_projects_near_it(key):
    theta = jnp.linspace(0, 2 * jnp.pi, 200, endpoint=False)
    pts = jnp.stack([jnp.cos(theta), jnp.sin(theta)], axis=1)
    est = manifolds.LocalPCAManifold(pts, 1)
    true = np.stack([-np.sin(theta), np.cos(theta)], axis=1)
    cos = np.abs(np.sum(np.asarray(est.tangents[:, :, 0]) * true, axis=1))
    assert cos.min() > 0.9999
    np.testing.assert_allclose(np.asarray(est.project(pts)), np.asarray(pts), atol=1e-6)
    # points off the circle: the tangent-line projection is within spacing^2 of the circle
    off = 1.1 * manifolds.Circle().sample(key, 50)
    r = np.linalg.norm(np.asarray(est.project(off)), axis=1)
    spacing = 2 * np.pi / 200
    assert np.max(np.abs(r - 1.0)) < spacing ** 2


def test_local_pca_is_exact_on_a_line_and_poor_when_sparse(key):
    direction = jnp.asarray([1.0, 2.0, 0.0, -1.0, 0.5]) / jnp.sqrt(6.25)
    pts = jnp.linspace(-2, 2, 15)[:, None] * direction[None, :] + 0.3
    est = manifolds.LocalPCAManifold(pts, 1, n_neighbors=4)
    x = jax.random.normal(key, (9, 5))
    proj = np.asarray(est.project(x))
    resid = proj - 0.3 - np.outer((proj - 0.3) @ np.asarray(direction), np.asarray(direction))
    assert np.max(np.abs(resid)) < 1e-5                                   # exactly on the line
    np.testing.assert_allclose(np.abs(np.asarray(est.tangent_basis(x))[:, :, 0] @ np.asarray(direction)),
                               1.0, atol=1e-5)
    # four irregular points on the unit circle (spacing above the reach): at angle 0 the
    # estimated direction is far from the true tangent (0, 1)
    angles = jnp.asarray([0.0, 1.0, 2.5, 4.0])
    sparse = manifolds.LocalPCAManifold(jnp.stack([jnp.cos(angles), jnp.sin(angles)], axis=1), 1)
    assert abs(float(sparse.tangents[0, 1, 0])) < 0.95


def test_bad_inputs(key):
    emp = EmpiricalScore(jnp.zeros((3, 2)), md.VE(T=1.0), devices=jax.devices()[:1])
    with pytest.raises(ValueError, match="bandwidth"):
        ResampledSmoothedScore(emp, -0.1, 4, key)
    with pytest.raises(ValueError, match="n_draws"):
        ResampledSmoothedScore(emp, 0.1, 5, key)
    with pytest.raises(TypeError, match="key"):
        ResampledSmoothedScore(emp, 0.1, 4, 3)
    with pytest.raises(ValueError, match="manifold"):
        ResampledSmoothedScore(emp, 0.1, 4, key, manifold=manifolds.Sphere(2))
    score = ResampledSmoothedScore(emp, 0.1, 4, key)
    with pytest.raises(ValueError, match="x"):
        score(jnp.zeros((2, 3)), 0.1)
    with pytest.raises(ValueError, match="t"):
        score(jnp.zeros((2, 2)), jnp.ones(2))
    with pytest.raises(ValueError, match="k"):
        manifolds.LocalPCAManifold(jnp.zeros((5, 2)), 2)
    with pytest.raises(ValueError, match="n_neighbors"):
        manifolds.LocalPCAManifold(jnp.eye(3), 1, n_neighbors=4)
    with pytest.raises(ValueError, match="x"):
        manifolds.LocalPCAManifold(jnp.eye(3), 1).project(jnp.zeros((2, 2)))
