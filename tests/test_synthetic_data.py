"""The small synthetic data sets of data.py: geometry by construction, checked independently."""

import numpy as np
import pytest

import manifold_diffusion as md
from manifold_diffusion import data


def test_circle_points():
    x = np.asarray(data.circle_points(12))
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(x - np.roll(x, 1, axis=0), axis=1),
                               2 * np.sin(np.pi / 12), atol=1e-6)
    np.testing.assert_allclose(x[0], [1.0, 0.0], atol=1e-7)
    y = np.asarray(data.circle_points(5, 4, radius=2.0, offset=0.1))
    assert y.shape == (5, 4) and np.all(y[:, 2:] == 0)
    np.testing.assert_allclose(np.arctan2(y[0, 1], y[0, 0]), 0.1, atol=1e-6)
    with pytest.raises(ValueError, match="d"):
        data.circle_points(5, 1)


def test_curve_points_are_equally_spaced_in_arc_length():
    curve = md.manifolds.WavyCircle(0.13, 8)
    x = data.curve_points(curve, 30)
    u = np.asarray(curve.coords(x))[:, 0]
    gaps = np.diff(np.sort(u))
    np.testing.assert_allclose(gaps, curve.volume / 30, rtol=1e-3)
    np.testing.assert_allclose(np.asarray(curve.distance(x)), 0.0, atol=1e-5)
    with pytest.raises(TypeError, match="curve"):
        data.curve_points(md.manifolds.Sphere(2), 4)


def test_lattice_segment_and_moons():
    lat = np.asarray(data.square_lattice(5, 0.5))
    assert lat.shape == (25, 2) and np.allclose(lat.mean(0), 0) and np.isclose(lat.max(), 1.0)
    seg = data.segment_points(8)
    p = np.asarray(seg.points)
    np.testing.assert_allclose(np.linalg.norm(np.diff(p, axis=0), axis=1), seg.spacing, rtol=1e-6)
    np.testing.assert_allclose(p @ np.asarray(seg.normal), 0.0, atol=1e-6)
    from sklearn.datasets import make_moons
    np.testing.assert_allclose(data.two_moons(51), make_moons(51, noise=0.0, shuffle=False)[0],
                               atol=1e-6)


def test_ring_mixture_means_and_widths():
    law = data.ring_mixture(6, radius=2.0, mode_std=0.3)
    np.testing.assert_allclose(np.linalg.norm(np.asarray(law.means), axis=1), 2.0, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(law.covariances), 0.09 * np.eye(2)[None].repeat(6, 0),
                               rtol=1e-6)
    with pytest.raises(ValueError, match="mode_std"):
        data.ring_mixture(6, mode_std=0.0)
