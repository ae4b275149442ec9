"""Chapter 2's experiments and checkers: memorization as t_min -> 0, the score split on an ellipse,
sigma*(N) on a flat torus (k = 2), tiny runs of every ``run_*``, and the exercise checkers."""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manifold_diffusion as md
from manifold_diffusion import exercises
from manifold_diffusion.experiments import manifold_hypothesis as mh

TINY = dataclasses.replace(
    mh.Config.at_scale("quick"), embed_dims=(2, 4, 8), geometry_points=50,
    split_sigmas=(0.03, 0.05, 0.08), split_points=8, split_groups=3,
    coarse_chains=16, coarse_time=0.05, memo_ns=(8, 16), memo_n=8, memo_dims=(2, 4),
    memo_t_mins=(1e-1, 1e-3, 1e-5), memo_samples=32, memo_steps=20, memo_seeds=2,
    frame_ns=(8,), frame_t_mins=(1e-2,), frame_samples=16,
    k1_dims=(2,), k1_ns=(8, 16, 32), k1_sigma_range=(1e-2, 3.0),
    k2_dims=(4,), k2_ns=(16, 32, 64), k2_sigma_range=(0.1, 3.0),
    n_sigmas=8, departure_eval=16, departure_seeds=2)


def test_memorized_fraction_tends_to_one_as_t_min_goes_to_zero(key):
    """N = 8 points 2 pi / 8 apart (equally spaced: no close pairs). As t_min -> 0 the distance to
    the nearest training point falls like sigma(t_min) and every sample becomes a copy."""
    process = md.VE(T=9.0)
    n, b = 8, 400
    angle = 2 * jnp.pi * jnp.arange(n, dtype=jnp.result_type(float)) / n
    data = jnp.stack([jnp.cos(angle), jnp.sin(angle)], axis=1)
    fractions, distances = [], []
    for t_min in (1.0, 1e-2, 1e-4, 1e-6):
        _, report = mh._memorize(key, data, process, t_min, b, 100)
        fractions.append(float(report.fraction_memorized))
        distances.append(float(jnp.mean(report.nearest_distance)))
    # at sigma = 1 the samples are still noise (most are not memorized); at sigma = 1e-3 the
    # distance is ~1e-3 << spacing 0.77 / sqrt(8), so d1/d2 < 1/3 for every sample: fraction 1
    assert fractions[0] < 0.5
    assert fractions[-1] == 1.0
    assert all(a <= b + 2.0 / math.sqrt(b) for a, b in zip(fractions, fractions[1:]))
    # distance ~ sigma(t_min) (x sqrt(t_min/t') ||z||, z in R^2): within a factor 3 of sigma
    for t_min, dist in zip((1e-4, 1e-6), distances[2:]):
        assert 0.3 * math.sqrt(t_min) < dist < 3.0 * math.sqrt(t_min), (t_min, dist)


def test_score_split_reconstructs_and_has_the_expansion_orders(key):
    """On the von Mises ellipse: tangential + normal = score, orthogonal; at fixed points of the
    tube sigma^2 s + (x - P x) = O(sigma^2) and the tangential part is O(1)."""
    ell, density = md.manifolds.Ellipse(1.0, 2.0), md.manifolds.VonMises(0.0, 1.0)
    score = md.PopulationScore(ell, density, md.VE(T=1.0), n_nodes=2 * math.ceil(ell.volume / 0.02))
    k_on, k_off = jax.random.split(key)
    x = ell.sample(k_on, 64) + 0.05 * jax.random.normal(k_off, (64, 2))
    residual, tangential = [], []
    for sigma in (0.02, 0.04, 0.08):
        s = score(x, sigma**2)
        split = md.metrics.tangent_normal_split(ell, x, s)
        np.testing.assert_allclose(np.asarray(split.tangential + split.normal), np.asarray(s),
                                   rtol=1e-5, atol=1e-5 * float(jnp.max(jnp.abs(s))))
        dots = jnp.sum(split.tangential * split.normal, axis=1)
        assert float(jnp.max(jnp.abs(dots))) < 1e-4 * float(jnp.max(jnp.sum(s * s, axis=1)))
        residual.append(float(jnp.median(jnp.linalg.norm(sigma**2 * s + x - ell.project(x), axis=1))))
        tangential.append(float(jnp.median(split.tangential_norm)))
    # doubling sigma multiplies the residual by ~4 (slope 2) and leaves the tangential part
    for a, b in zip(residual, residual[1:]):
        assert 3.0 < b / a < 5.0, residual
    for a, b in zip(tangential, tangential[1:]):
        assert 0.8 < b / a < 1.25, tangential


def test_sigma_star_on_a_flat_torus_shrinks_like_n_to_the_minus_half(key):
    """k = 2: sigma*(N) ~ N^(-1/2); spacing ~ N^(-1/2) too. Window: three N over a factor 16
    (two halvings of the spacing) and one seed, pre-asymptotic drift of sigma*/spacing allowed."""
    torus = md.manifolds.FlatTorus(1.0, 1.0)
    curves = mh.departure_curves(key, torus, None, (32, 128, 512), np.geomspace(0.05, 3.0, 14), 0.5,
                                 n_eval=128, n_seeds=2)
    assert curves.errors.shape == (2, 3, 14) and curves.sigma_star.shape == (2, 3)
    assert not curves.pinned.any(), curves.sigma_star
    assert -0.75 < curves.fit.slope < -0.3, curves.fit
    assert -0.75 < curves.spacing_fit.slope < -0.3, curves.spacing_fit


def test_departure_curves_match_score_departure(key):
    """The batched departure equals the library's score_departure for one training set."""
    circle, density = md.manifolds.Circle(1.0), md.manifolds.VonMises(0.0, 1.0)
    sigmas = np.geomspace(0.05, 2.0, 6)
    curves = mh.departure_curves(key, circle, density, (24,), sigmas, 0.5, n_eval=64, n_seeds=1)
    k_eval, k_data, _ = jax.random.split(key, 3)
    data = circle.sample(jax.random.fold_in(jax.random.fold_in(k_data, 0), 24), 24, density)
    population = md.PopulationScore(circle, density, md.VE(T=9.0),
                                    n_nodes=math.ceil(1.05 * 2 * math.pi / sigmas[0]))
    ref = md.score_departure(k_eval, data, population, sigmas**2, 0.5, n_eval=64)
    np.testing.assert_allclose(curves.errors[0, 0], np.asarray(ref.relative_error), rtol=1e-3)


def test_predicted_fraction_limits():
    assert mh.predicted_fraction(0.0, 10) == 1.0
    assert mh.predicted_fraction(1.0, 100) < 1e-6


def test_tiny_runs_have_the_documented_shapes():
    geo = mh.run_geometry(jax.random.key(0), TINY)
    assert geo.normal_distance.shape == (3,) and geo.isometry_error.max() < 1e-4
    split = mh.run_score_split(jax.random.key(1), TINY)
    assert split.residual.shape == (3, 3) and set(split.fits) == {"residual", "normal", "tangential"}
    coarse = mh.run_coarse(jax.random.key(2), TINY)
    assert coarse.samples.shape == (4, 16, 2) and np.all(coarse.distance > 0)
    memo = mh.run_memorization(jax.random.key(3), TINY)
    assert memo.fraction_n.shape == (2, 2, 3) and memo.distance_d.shape == (2, 2, 3)
    assert np.all((memo.fraction_n >= 0) & (memo.fraction_n <= 1))
    frame = mh.memorization_frame(jax.random.key(4), TINY, 8, 1e-2)
    assert frame.samples.shape == (16, 2)
    widget, update = mh.memorization_widget(jax.random.key(4), TINY, ns=(8, 16), t_mins=(1e-2,),
                                            n=8, t_min=1e-2)
    assert len(widget.children) == 3                           # two sliders and the output
    again = update(8, 1e-2)
    np.testing.assert_array_equal(again.samples, frame.samples)   # same key, same frame
    dep = mh.run_departure(jax.random.key(5), TINY)
    assert [c.k for c in dep.curves] == [1, 2] and "&minus;1/2" in mh.departure_table(dep)
    assert "reach" in mh.manifold_table()
    with pytest.raises(ValueError, match="scale"):
        mh.Config.at_scale("huge")


def _memorized(samples, data):
    nb = md.metrics.nearest_neighbors(samples, data, k=2)
    d1, d2 = nb.distances[:, 0], nb.distances[:, 1]
    return np.asarray(d1 < d2 / 3.0)


def test_memorization_checker_accepts_the_solution_and_rejects_a_wrong_one():
    assert exercises.check("manifold.memorization", _memorized, strict=True, verbose=False)
    def wrong(samples, data):                                   # an absolute cut, not the ratio
        return np.asarray(md.metrics.nearest_neighbors(samples, data, k=1).distances[:, 0] < 0.05)

    assert not exercises.check("manifold.memorization", wrong, verbose=False)


def test_score_residual_checker_accepts_the_solution_and_rejects_a_wrong_one():
    def residual(manifold, score_fn, x, sigma):
        return jnp.linalg.norm(sigma**2 * score_fn(x, sigma**2) + x - manifold.project(x), axis=1)

    def wrong(manifold, score_fn, x, sigma):                    # evaluates at t = sigma
        return jnp.linalg.norm(sigma**2 * score_fn(x, sigma) + x - manifold.project(x), axis=1)

    assert exercises.check("manifold.score_residual", residual, strict=True, verbose=False)
    assert not exercises.check("manifold.score_residual", wrong, verbose=False)
