"""Delta-coverage (metrics.coverage): uniform samples cover, empirical measures cover at their gap,
a hole is never covered, masses and W1 against closed forms."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manifold_diffusion as md
from manifold_diffusion.metrics import coverage as cov

L = 2 * math.pi
DELTAS = np.geomspace(1e-3, 1.0, 31)


def test_arc_masses_closed_forms():
    centres = np.linspace(0, L, 7, endpoint=False)
    np.testing.assert_allclose(cov.arc_data_mass(centres, 0.3, L), 0.6 / L, rtol=1e-12)
    pc = md.manifolds.PiecewiseConstant((1.0, 3.0))          # mass 1/4 on [0, pi), 3/4 on [pi, 2 pi)
    m = cov.arc_data_mass(np.array([0.5 * math.pi, 1.5 * math.pi, 0.0]), 0.2, L, pc)
    np.testing.assert_allclose(m, [0.4 / (4 * math.pi), 3 * 0.4 / (4 * math.pi), 0.2 / (4 * math.pi) + 0.6 / (4 * math.pi)],
                               rtol=1e-4)
    u = np.array([0.05, L - 0.05, 1.0])                      # the arc around 0 wraps
    np.testing.assert_allclose(cov.arc_sample_mass(u, np.array([0.0, 1.0, 3.0]), 0.1, L), [2 / 3, 1 / 3, 0])


def test_uniform_sample_covers_above_its_floor(key):
    m = 20_000
    u = np.asarray(jax.random.uniform(key, (m,), minval=0.0, maxval=L), np.float64)
    res = cov.coverage_curve(u, L, DELTAS, C=4.0, n_min=50)
    assert res.floor == pytest.approx(50 / (2 * m / L))
    # every resolved radius is covered, so the scale is the floor of the grid
    assert np.all(res.covered[res.resolved])
    assert res.at_floor and res.scale >= res.floor
    assert res.scale <= DELTAS[res.resolved][0] + 1e-15
    # and ratios at resolved radii stay within a factor 2 (n_min = 50; module docstring)
    assert np.all(res.low[res.resolved] > 0.5) and np.all(res.high[res.resolved] < 2.0)


def test_empirical_measure_covers_at_about_its_largest_gap(key):
    for i, n in enumerate((200, 2000)):
        u = np.sort(np.asarray(jax.random.uniform(jax.random.fold_in(key, i), (n,), minval=0.0, maxval=L),
                               np.float64))
        gap = np.max(np.diff(np.concatenate([u, [u[0] + L]])))
        res = cov.coverage_curve(u, L, np.geomspace(1e-4, 3.0, 80), C=4.0, exact=True)
        assert res.floor == 0.0
        # a ball inside the largest gap is empty: not covered below half the gap
        assert res.scale >= 0.5 * gap * (1 - 0.1)
        # and covered from a few gaps on (Poisson counts of a ball holding >= ~10 points)
        assert res.scale <= 8 * gap


def test_hole_is_never_covered_below_its_size(key):
    m, hole = 50_000, 0.4
    u = np.asarray(jax.random.uniform(key, (m,), minval=hole, maxval=L), np.float64)
    res = cov.coverage_curve(u, L, DELTAS, C=4.0)
    assert res.scale > 0.5 * hole * (1 - 1 / 4)   # an arc of radius delta centred in the hole
    assert not np.any(res.covered[DELTAS < 0.5 * hole])


def test_fidelity_excludes_far_samples(key):
    m = 20_000
    u = np.asarray(jax.random.uniform(key, (m,), minval=0.0, maxval=L), np.float64)
    r = np.full(m, 0.05)
    res = cov.coverage_curve(u, L, DELTAS, distances=r)
    assert np.all(res.outside[DELTAS < 0.05] == 1.0) and np.all(res.outside[DELTAS >= 0.05] == 0.0)
    assert res.scale >= 0.05


def test_surface_uniform_covers_and_lattice_at_its_spacing(key):
    """On the unit sphere (RoughSphere with a = 0; chord caps of area pi delta^2 exactly) a uniform
    sample covers at every resolved radius, and a sample that misses a polar cap of chord radius
    0.5 is never covered below about that radius."""
    sphere = md.manifolds.RoughSphere(2.5, 0.0)
    x = np.asarray(sphere.sample(key, 40_000), np.float64)
    deltas = np.geomspace(0.05, 1.0, 10)
    res = cov.surface_coverage(sphere, x, deltas)
    assert res.floor == pytest.approx(math.sqrt(50 / (math.pi * 40_000 / sphere.volume)), rel=1e-6)
    assert np.all(res.covered[res.resolved]) and res.at_floor
    assert np.all(res.low[res.resolved] > 0.5) and np.all(res.high[res.resolved] < 2.0)
    hole = x[np.linalg.norm(x - np.array([0.0, 0.0, 1.0]), axis=1) > 0.5]
    res = cov.surface_coverage(sphere, hole, deltas)
    assert res.scale > 0.5 * 0.5
    # a sample farther than delta from M does not count (fidelity)
    res = cov.surface_coverage(sphere, x, deltas, distances=np.full(x.shape[0], 0.2), alpha=0.0)
    assert res.scale >= 0.2


def test_quasi_uniform_centres_are_nested_and_uniform():
    sphere = md.manifolds.RoughSphere(2.5, 0.0)
    u = cov.quasi_uniform_centres(sphere, 4096)
    np.testing.assert_array_equal(cov.quasi_uniform_centres(sphere, 1000), u[:1000])
    # uniform on the box: the share of centres in each quarter of the second coordinate is 1/4
    counts = np.histogram(u[:, 1], bins=4, range=(0, sphere.coord_high[1]))[0]
    assert np.all(np.abs(counts / 4096 - 0.25) < 0.01)


def test_curve_locator_matches_the_exact_projection(key):
    curve = md.manifolds.RoughCurve(2.5)
    x = curve.sample(key, 500)
    x = x + 0.005 * jax.random.normal(jax.random.fold_in(key, 1), x.shape)
    u, r = cov.CurveLocator(curve)(np.asarray(x))
    # distances to 2e-6 (float32 rounding of the exact projection); the feet's arc lengths to the
    # polyline's resolution times the distance (far below every radius that is counted)
    np.testing.assert_allclose(r, np.asarray(curve.distance(x)), atol=2e-6)
    du = np.mod(u - np.asarray(curve.coords(x))[:, 0] + 0.5 * curve.volume, curve.volume) - 0.5 * curve.volume
    assert np.max(np.abs(du)) < 3e-5
    emb = md.manifolds.embed(curve, 10, jax.random.fold_in(key, 2))
    y = emb.sample(key, 200)
    y = y + 0.01 * jax.random.normal(jax.random.fold_in(key, 3), y.shape)
    _, r10 = cov.CurveLocator(emb)(np.asarray(y))
    # the library's distance in R^10 is the square root of a float32 difference of unit-size
    # squares: absolute error up to about eps_32 / (2 dist) ~ 3e-5 at dist = 0.01 (float32)
    tol = 3e-5 if jnp.result_type(float) == jnp.float32 else 1e-9
    np.testing.assert_allclose(r10, np.asarray(emb.distance(y)), atol=tol)


def test_ratio_map_and_quantiles(key):
    u = np.asarray(jax.random.uniform(key, (50_000,), minval=0.0, maxval=L), np.float64)
    ratios = cov.arc_ratio_map(u, L, [0.1, 0.5], 50)
    assert ratios.shape == (2, 50) and np.all(np.abs(ratios - 1) < 0.25)
    q = cov.fidelity_quantiles(np.linspace(0.0, 1.0, 101))
    np.testing.assert_allclose(q, [0.5, 0.99, 1.0])
    with pytest.raises(ValueError, match="distances"):
        cov.fidelity_quantiles(-np.ones(3))


def test_circular_w1_closed_forms():
    # atoms at 0 against the uniform law on a circle of length L: W1 = L/4
    assert cov.circular_w1(np.zeros(10), L) == pytest.approx(L / 4, rel=1e-3)
    # a fine uniform grid is close to the uniform law
    assert cov.circular_w1(np.linspace(0, L, 1000, endpoint=False), L) < 2 * L / 1000


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="deltas"):
        cov.coverage_curve(np.zeros(5), L, [4.0])
    with pytest.raises(ValueError, match="C"):
        cov.coverage_curve(np.zeros(5), L, [0.1], C=0.5)
    with pytest.raises(ValueError, match="distances"):
        cov.coverage_curve(np.zeros(5), L, [0.1], distances=np.zeros(4))
    with pytest.raises(ValueError, match="feet"):
        cov.surface_coverage(md.manifolds.RoughSphere(2.5), np.zeros((5, 2)), [0.1])
    with pytest.raises(TypeError, match="curve"):
        cov.CurveLocator(md.manifolds.RoughSphere(2.5))
