"""Delta-coverage (metrics.coverage): uniform samples cover, empirical measures cover at their gap,
a hole is never covered, masses and W1 against closed forms."""

import math

import jax
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


def test_torus_uniform_covers_and_grid_does_at_spacing(key):
    lengths = (L, L)
    u = np.asarray(jax.random.uniform(key, (40_000, 2), minval=0.0, maxval=L), np.float64)
    res = cov.torus_coverage_curve(u, lengths, np.geomspace(0.05, 2.0, 12))
    assert np.all(res.covered[res.resolved])
    g = (np.arange(30) + 0.5) * L / 30                       # a lattice of spacing L/30
    lattice = np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)
    res = cov.torus_coverage_curve(lattice, lengths, np.geomspace(0.02, 2.0, 30), exact=True)
    assert L / 30 / 2 <= res.scale <= 3 * L / 30


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
    with pytest.raises(ValueError, match="u"):
        cov.torus_coverage_curve(np.zeros((5, 3)), (L, L), [0.1])


def test_grid_coverage_exact_laws():
    n = 4096
    res = cov.grid_coverage_curve(np.ones(n), L, DELTAS)
    assert np.all(res.covered[res.resolved]) and res.at_floor
    np.testing.assert_allclose(res.low[res.resolved], 1.0, rtol=1e-9)
    hole = np.ones(n)
    hole[: n // 20] = 0.0                                  # a hole of length L/20
    res = cov.grid_coverage_curve(hole, L, DELTAS)
    assert res.scale > 0.5 * (L / 20) * 0.75
    with pytest.raises(ValueError, match="p_cells"):
        cov.grid_coverage_curve(np.ones((3, 3)), L, DELTAS)
