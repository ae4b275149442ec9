"""scores.departure_curves: many training sets against one population score."""

import math

import jax
import numpy as np
import pytest

import manifold_diffusion as md


def test_departure_curves_match_score_departure(key):
    """Row r equals the library's score_departure for training set r (same key, same points)."""
    circle, density = md.manifolds.Circle(1.0), md.manifolds.VonMises(0.0, 1.0)
    sigmas = np.geomspace(0.05, 2.0, 6)
    population = md.PopulationScore(circle, density, md.VE(T=9.0),
                                    n_nodes=math.ceil(1.05 * 2 * math.pi / sigmas[0]))
    k_eval, k_a, k_b = jax.random.split(key, 3)
    sets = [circle.sample(k_a, 24, density), circle.sample(k_b, 40, density)]
    curves = md.scores.departure_curves(k_eval, sets, population, sigmas**2, 0.5, n_eval=64)
    assert curves.errors.shape == (2, 6) and list(curves.n_data) == [24, 40]
    np.testing.assert_allclose(curves.sigmas, sigmas, rtol=1e-5)
    for r, data in enumerate(sets):
        ref = md.score_departure(k_eval, data, population, sigmas**2, 0.5, n_eval=64)
        np.testing.assert_allclose(curves.errors[r], np.asarray(ref.relative_error), rtol=1e-3)
        assert curves.sigma_star[r] == pytest.approx(ref.sigma_star, rel=1e-3, nan_ok=True)


def test_sigma_star_on_a_flat_torus_shrinks_like_n_to_the_minus_half(key):
    """k = 2: sigma*(N) ~ N^(-1/2); spacing ~ N^(-1/2) too. Window: three N over a factor 16
    (two halvings of the spacing) and two training sets per N, pre-asymptotic drift of
    sigma*/spacing allowed."""
    torus = md.manifolds.FlatTorus(1.0, 1.0)
    sigmas = np.geomspace(0.05, 3.0, 14)
    population = md.PopulationScore(torus, None, md.VE(T=9.0),
                                    n_nodes=math.ceil(1.05 * 2 * math.pi / sigmas[0]))
    ns = (32, 128, 512)
    keys = md.keys.named_keys(key, "evaluation", "data", "fit")
    sets = [torus.sample(k, n) for k in jax.random.split(keys.data, 2) for n in ns]
    curves = md.scores.departure_curves(keys.evaluation, sets, population, sigmas**2, 0.5,
                                        n_eval=128)
    stars = curves.sigma_star.reshape(2, 3)
    assert not curves.pinned.any(), stars
    fit = md.metrics.fit_loglog_slope(np.asarray(ns, float), stars, key=keys.fit)
    assert -0.75 < fit.slope < -0.3, fit
    spacing = np.asarray([float(md.metrics.training_spacing(s)) for s in sets]).reshape(2, 3)
    spacing_fit = md.metrics.fit_loglog_slope(np.asarray(ns, float), spacing, key=keys.fit)
    assert -0.75 < spacing_fit.slope < -0.3, spacing_fit


def test_bad_input_is_named(key):
    circle = md.manifolds.Circle(1.0)
    population = md.PopulationScore(circle, None, md.VE(T=9.0), n_nodes=200)
    data = circle.sample(key, 8)
    with pytest.raises(ValueError, match="datasets"):
        md.scores.departure_curves(key, [], population, [0.1, 0.2, 0.3], 0.5)
    with pytest.raises(ValueError, match=r"datasets\[1\]"):
        md.scores.departure_curves(key, [data, data[:, :1]], population, [0.1, 0.2, 0.3], 0.5)
    with pytest.raises(ValueError, match="times"):
        md.scores.departure_curves(key, [data], population, [0.1, 0.2], 0.5)
    with pytest.raises(TypeError, match="population_score"):
        md.scores.departure_curves(key, [data], "circle", [0.1, 0.2, 0.3], 0.5)
    with pytest.raises(TypeError, match="key"):
        md.scores.departure_curves(3, [data], population, [0.1, 0.2, 0.3], 0.5)
