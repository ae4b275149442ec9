"""Chapter 2's experiments and checkers: memorization as t_min -> 0, the score split on an ellipse,
tiny runs of every experiment module, and the exercise checkers. (sigma*(N) on a flat torus and
departure_curves against score_departure: tests/test_departure_curves.py.)"""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manifold_diffusion as md
from manifold_diffusion import exercises
from manifold_diffusion.experiments.manifold_hypothesis import (coarse, departure, frames, geometry,
                                                                memorization, score_split)


def test_memorized_fraction_tends_to_one_as_t_min_goes_to_zero(key):
    """N = 8 points 2 pi / 8 apart (equally spaced: no close pairs). As t_min -> 0 the distance to
    the nearest training point falls like sigma(t_min) and every sample becomes a copy."""
    process = md.VE(T=9.0)
    n, b = 8, 400
    data = md.data.circle_points(n)
    score = md.EmpiricalScore(data, process)
    fractions, distances = [], []
    for t_min in (1.0, 1e-2, 1e-4, 1e-6):
        x = md.sample(key, score, process, b, md.geometric_grid(process.T, t_min, 100))
        report = md.metrics.memorization_report(x, data)
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


def test_predicted_fraction_limits():
    assert memorization.predicted_fraction(0.0, 10) == 1.0
    assert memorization.predicted_fraction(1.0, 100) < 1e-6


def test_tiny_runs_have_the_documented_shapes():
    keys = md.keys.named_keys(jax.random.key(0), "geometry", "split", "coarse", "memo", "frames",
                              "departure")
    geo = geometry.run(keys.geometry, geometry.Config(dims=(2, 4, 8), n_points=50))
    assert geo.normal_distance.shape == (3,) and geo.isometry_error.max() < 1e-4
    assert set(geo.summary()) >= {"slope", "ratio_max", "iso"}
    split = score_split.run(keys.split, score_split.Config(sigmas=(0.03, 0.05, 0.08), n_points=8,
                                                           n_groups=3))
    assert split.residual.shape == (3, 3) and set(split.fits) == {"residual", "normal", "tangential"}
    co = coarse.run(keys.coarse, coarse.Config(sigma=0.1, n_chains=16, time=0.05))
    assert co.samples.shape == (4, 16, 2) and np.all(co.distance > 0)
    assert co.summary()["b"] == 16
    memo = memorization.run(keys.memo, memorization.Config(
        ns=(8, 16), n=8, dims=(2, 4), t_mins=(1e-1, 1e-3, 1e-5), n_samples=32, n_steps=20))
    assert memo.fraction_n.shape == (2, 2, 3) and memo.distance_d.shape == (2, 2, 3)
    assert np.all((memo.fraction_n >= 0) & (memo.fraction_n <= 1))
    assert np.isfinite(memo.summary()["fitdim_slope"])
    tiny = frames.Config(ns=(8,), t_mins=(1e-2,), n_samples=16)
    frame = frames.run(keys.frames, tiny)
    assert frame.samples.shape == (1, 1, 16, 2)
    pytest.importorskip("ipywidgets")
    widget, update = frames.widget(keys.frames, tiny, ns=(8, 16), t_mins=(1e-2,), n=8, t_min=1e-2)
    assert len(widget.children) == 3                           # two sliders and the output
    again = update(8, 1e-2)
    np.testing.assert_array_equal(again.samples, frame.samples)   # same key, same frame
    dep = departure.run(keys.departure, departure.Config(
        sweeps=(departure.Sweep("circle", (2,), (8, 16, 32), (1e-2, 3.0)),
                departure.Sweep("torus", (4,), (16, 32, 64), (0.1, 3.0))),
        n_sigmas=8, n_eval=16, n_seeds=2))
    assert [c.k for c in dep.curves] == [1, 2] and "&minus;1/2" in departure.table(dep)
    assert dep.curves[0].errors.shape == (2, 3, 8) and dep.summary()["total"] == 12
    assert "reach" in geometry.manifold_table()
    with pytest.raises(ValueError, match="scale"):
        memorization.Config.at_scale("huge")
    with pytest.raises(ValueError, match="manifold"):
        departure.Sweep("sphere", (3,), (8,), (0.1, 1.0))
    with pytest.raises(TypeError, match="result"):
        departure.plot(geo)


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
