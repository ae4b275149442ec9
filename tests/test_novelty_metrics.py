"""Lattice offsets and the gap-centre fraction, lattice rows/columns, the Fourier amplitude of a
radius, values at matched novelty, bootstrap intervals of intrinsic dimension: each against an
independent computation (hand-made points, an FFT, scipy)."""

import jax
import numpy as np
import pytest

import manifold_diffusion as md
from manifold_diffusion import metrics


def test_gap_centre_fraction_on_the_circle():
    """Memorized samples 0, midpoints 1; uniform angles 1/2 within the binomial sd."""
    n = 12
    s = 2 * np.pi / n
    points = np.asarray(md.data.circle_points(n))
    assert metrics.gap_centre_fraction(np.arctan2(points[:, 1], points[:, 0]), s) == 0.0
    mids = s / 2 + s * np.arange(n)
    assert metrics.gap_centre_fraction(mids, s) == 1.0
    theta = np.asarray(jax.random.uniform(jax.random.key(0), (4000,), minval=-np.pi, maxval=np.pi))
    assert abs(metrics.gap_centre_fraction(theta, s) - 0.5) < 4 * 0.5 / np.sqrt(4000)
    # offsets against a brute-force search over lattice lines
    lines = 0.3 + s * np.arange(-20, 21)
    below = np.array([lines[lines <= c].max() for c in theta])
    np.testing.assert_allclose(metrics.lattice_offsets(theta, s, 0.3), (theta - below) / s,
                               atol=1e-9)


def test_lattice_stats_on_hand_made_points():
    pts = np.array([[-0.5, 0.0], [0.25, 0.5], [0.0, 0.25], [0.25, 0.25]])
    stats = metrics.lattice_stats(pts, 5, 0.5)
    assert tuple(stats) == (0.5, 0.5, 0.25, 0.25, 0.25)
    lattice = np.asarray(md.data.square_lattice(5, 0.5))
    on = metrics.lattice_stats(lattice, 5, 0.5)
    assert (on.on_rows, on.on_columns, on.row_gap, on.column_gap, on.cell_centre) == (1, 1, 0, 0, 0)


def test_fourier_amplitude_against_the_fft():
    """On equally spaced angles the least-squares amplitude is 2 |FFT_m| / b of the radius."""
    b = 256
    theta = 2 * np.pi * np.arange(b) / b
    r = 1 + 0.13 * np.sin(8 * theta + 0.4) + 0.05 * np.cos(3 * theta)
    samples = r[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1)
    want = 2 * np.abs(np.fft.rfft(r)[8]) / b
    assert abs(metrics.fourier_amplitude(samples, 8) - want) < 1e-9
    assert abs(want - 0.13) < 1e-9
    assert metrics.fourier_amplitude(samples, 5) < 1e-9


def test_at_novelty_interpolates_sorted_and_never_extrapolates():
    novelty, value = np.array([0.3, 0.1, 0.2]), np.array([3.0, 1.0, 2.0])
    assert metrics.at_novelty(novelty, value, 0.25) == pytest.approx(2.5)
    assert metrics.at_novelty(novelty, value, 0.1) == pytest.approx(1.0)
    assert np.isnan(metrics.at_novelty(novelty, value, 0.35))
    from scipy.interpolate import interp1d
    g = np.sort(np.random.default_rng(0).uniform(size=9))
    v = np.sin(5 * g)
    for target in np.linspace(g[0], g[-1], 7):
        assert metrics.at_novelty(g[::-1], v[::-1], target) == pytest.approx(float(interp1d(g, v)(target)))
    with pytest.raises(ValueError, match="value"):
        metrics.at_novelty(novelty, value[:2], 0.2)


def test_bootstrap_dimension_against_scipy():
    """TwoNN on a 2-D Gaussian: the percentile interval agrees with scipy's bootstrap of the same
    per-point terms (to the Monte Carlo error of 4000 replicates) and covers k = 2."""
    from scipy import stats

    x = np.asarray(jax.random.normal(jax.random.key(1), (1500, 2)))
    est = metrics.two_nn(x)
    low, high = metrics.bootstrap_dimension(jax.random.key(2), est, 4000)
    n = est.local.shape[0]
    ref = stats.bootstrap((np.asarray(est.local, np.float64),), lambda a: (n - 1) / np.sum(a),
                          n_resamples=4000, method="percentile", random_state=0).confidence_interval
    width = high - low
    assert abs(low - ref.low) < 0.08 * width and abs(high - ref.high) < 0.08 * width
    assert low < 2.0 < high and low < est.dimension < high
    lb = metrics.levina_bickel(x, 10)
    low, high = metrics.bootstrap_dimension(jax.random.key(3), lb, 200)
    assert low < lb.dimension < high
    with pytest.raises(TypeError, match="estimate"):
        metrics.bootstrap_dimension(jax.random.key(3), (2.0, 0.1), 100)
