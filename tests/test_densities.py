"""Densities on the angle circle and on manifolds: normalisation, distribution functions,
sampling (goodness of fit with sample-size-derived bounds), and log-densities w.r.t. volume."""

import math

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

import manifold_diffusion.manifolds as mf

N = 4000                                            # samples per goodness-of-fit test


def _dkw(n, alpha=1e-3):
    """DKW: an exact sample's KS statistic exceeds this with probability at most alpha."""
    return math.sqrt(math.log(2 / alpha) / (2 * n))


DENSITIES = {
    "uniform": mf.Uniform(),
    "von_mises": mf.VonMises(1.0, 4.0),
    "modes": mf.separated_modes(3, 200.0, weights=(1.0, 2.0, 1.0)),
    "steps": mf.PiecewiseConstant((1.0, 3.0, 0.5), edges=(0.0, 1.0, 4.0, 2 * np.pi)),
    "cusp": mf.Cusp(center=2.0, exponent=0.5),
    "cusp_floor": mf.Cusp(center=0.0, exponent=0.3, floor=0.2),
}

GRID = np.linspace(0.0, 2 * np.pi, 2 ** 16 + 1)


def _numeric_cdf(density):
    """Cumulative trapezoid of ``prob`` on a grid of 2^16 cells (float64 accumulation)."""
    p = np.asarray(density.prob(jnp.asarray(GRID)), np.float64)
    return np.concatenate([[0.0], np.cumsum(0.5 * (p[1:] + p[:-1]) * np.diff(GRID))])


@pytest.mark.parametrize("name", list(DENSITIES))
def test_density_is_normalised_and_cdf_matches_quadrature(name):
    density = DENSITIES[name]
    cdf = _numeric_cdf(density)
    # trapezoid error: O(h^2) for smooth, O(h) at a jump (h = 1e-4), O(h^1.5) at a cusp
    assert cdf[-1] == pytest.approx(1.0, abs=2e-4)
    theta = np.linspace(0.0, 2 * np.pi, 1001)[:-1]
    np.testing.assert_allclose(density.cdf(jnp.asarray(theta)), np.interp(theta, GRID, cdf), atol=3e-4)


def test_von_mises_matches_scipy():
    theta = np.linspace(-np.pi, 3 * np.pi, 257)
    ref = scipy.stats.vonmises(4.0, loc=1.0).pdf(theta)
    np.testing.assert_allclose(DENSITIES["von_mises"].prob(jnp.asarray(theta)), ref, rtol=2e-5)
    # large concentration: the i0e form stays finite
    assert np.isfinite(float(mf.VonMises(0.0, 1e4).log_prob(jnp.zeros(1))[0]))


@pytest.mark.parametrize("name", list(DENSITIES))
def test_samples_fit_the_density(key, name):
    density = DENSITIES[name]
    theta = np.asarray(density.sample(key, N), np.float64)
    assert theta.shape == (N,) and theta.min() >= 0.0 and theta.max() < 2 * np.pi
    cdf = _numeric_cdf(density)                                  # independent of the sampler's table
    stat = scipy.stats.kstest(theta, lambda t: np.interp(t, GRID, cdf)).statistic
    assert stat < _dkw(N)


def test_wrong_density_is_rejected(key):
    """Power check: the KS bound used above does detect a modest misfit."""
    theta = np.asarray(mf.VonMises(1.0, 4.0).sample(key, N), np.float64)
    cdf = _numeric_cdf(mf.VonMises(1.2, 4.0))
    assert scipy.stats.kstest(theta, lambda t: np.interp(t, GRID, cdf)).statistic > 2 * _dkw(N)


def test_piecewise_constant_is_discontinuous_and_cusp_is_not_differentiable():
    steps = DENSITIES["steps"]
    left, right = steps.prob(jnp.array([1.0 - 1e-4, 1.0 + 1e-4]))
    assert float(right / left) == pytest.approx(3.0, rel=1e-5)
    cusp = DENSITIES["cusp"]
    h = np.array([1e-2, 1e-4, 1e-6])
    slope = (np.asarray(cusp.prob(jnp.asarray(2.0 + h))) - float(cusp.prob(jnp.array([2.0]))[0])) / h
    assert float(cusp.prob(jnp.array([2.0]))[0]) == pytest.approx(0.0, abs=1e-6)
    assert np.all(np.diff(slope) > 0) and slope[-1] > 30 * slope[0]           # slope ~ h^{-1/2}


@pytest.mark.parametrize("name", ["ellipse", "wavy"])
def test_curve_sampling_with_density_follows_it_in_arc_length(key, name):
    curve = {"ellipse": mf.Ellipse(1.0, 2.0), "wavy": mf.WavyCircle()}[name]
    density = DENSITIES["steps"]
    x, u = curve.sample_with_coords(key, N, density)
    # recover the arc length of the points from the points themselves (projection), then angles
    v = np.asarray(curve.density_coords(curve.coords(x))[:, 0], np.float64)
    np.testing.assert_allclose(v, np.asarray(curve.density_coords(u)[:, 0]), atol=1e-4)
    cdf = _numeric_cdf(density)
    assert scipy.stats.kstest(v, lambda t: np.interp(t, GRID, cdf)).statistic < _dkw(N)


def test_log_prob_integrates_to_one_over_the_manifold():
    """Riemann sum of exp(log_prob) over a grid of volume coordinates, times the volume element."""
    torus = mf.Torus(1.0, 0.4)
    density = mf.ProductDensity([DENSITIES["von_mises"], DENSITIES["cusp_floor"]])
    n = 400
    g1 = (np.arange(n) + 0.5) / n * torus.coord_high[0]
    g2 = (np.arange(n) + 0.5) / n * torus.coord_high[1]
    u = np.stack(np.meshgrid(g1, g2, indexing="ij"), axis=-1).reshape(-1, 2)
    box = torus.coord_high[0] * torus.coord_high[1]
    element = torus.volume / box                                    # dvol = (vol / box) du
    mass = np.sum(np.exp(np.asarray(torus.log_prob(jnp.asarray(u), density), np.float64))) * box / n ** 2
    assert mass * element == pytest.approx(1.0, abs=2e-3)
    uniform = np.exp(np.asarray(torus.log_prob(jnp.asarray(u[:3])), np.float64))
    np.testing.assert_allclose(uniform, 1.0 / torus.volume, rtol=1e-5)


def test_product_density_on_torus(key):
    torus = mf.Torus(1.0, 0.4)
    density = mf.ProductDensity([DENSITIES["modes"], None])
    x, u = torus.sample_with_coords(key, N, density)
    v = np.asarray(torus.density_coords(u), np.float64)
    cdf = _numeric_cdf(DENSITIES["modes"])
    assert scipy.stats.kstest(v[:, 0], lambda t: np.interp(t, GRID, cdf)).statistic < _dkw(N)
    assert scipy.stats.kstest(v[:, 1] / (2 * np.pi), "uniform").statistic < _dkw(N)
    np.testing.assert_allclose(torus.distance(x), 0.0, atol=1e-5)


def test_density_argument_errors():
    with pytest.raises(ValueError, match="concentration"):
        mf.VonMises(0.0, -1.0)
    with pytest.raises(ValueError, match="values"):
        mf.PiecewiseConstant((-1.0, 2.0))
    with pytest.raises(ValueError, match="edges"):
        mf.PiecewiseConstant((1.0, 2.0), edges=(0.0, 4.0, 3.0))
    with pytest.raises(ValueError, match="exponent"):
        mf.Cusp(exponent=0.0)
    with pytest.raises(ValueError, match="weights"):
        mf.VonMisesMixture(jnp.zeros(3), 10.0, weights=jnp.ones(2))
    with pytest.raises(TypeError, match="factors"):
        mf.ProductDensity([mf.Uniform(), "uniform"])
