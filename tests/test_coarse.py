"""Manifold estimate (Fourier fit, Hausdorff) and coarse scores: convergence, exact geometric
score, interchangeability in the samplers."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manifold_diffusion as md
from manifold_diffusion.manifolds import Circle, Ellipse, fit_fourier_curve, fourier_order, hausdorff_distance
from manifold_diffusion.scores import GeometricScore, hybrid_sample, smoothed_empirical_score
from manifold_diffusion.scores.coarse import large_noise_draws, stopped_samples

EPS = float(jnp.finfo(jnp.result_type(float)).eps)


def test_order_rule():
    assert fourier_order(128) == 6 and fourier_order(2048) == 67
    with pytest.raises(ValueError, match="n"):
        fourier_order(4)


def test_hausdorff_converges_on_circle_and_ellipse(key):
    for i, m in enumerate((Ellipse(1.0, 1.5),)):
        errs = []
        for j, n in enumerate((16, 64, 256)[::2]):
            x = m.sample(jax.random.fold_in(key, 10 * i + j), n, md.manifolds.VonMises(0.0, 0.8))
            errs.append(hausdorff_distance(fit_fourier_curve(x), m, n_eval=512))
        # decreasing, and down to float rounding (analytic curves: spectral convergence)
        assert errs[0] > errs[1] or errs[1] < 1e3 * EPS
        assert errs[1] < 1e-3 and errs[1] < 0.1 * errs[0]
        assert errs[0] > 0


def test_fit_is_exact_for_trig_polynomials(key):
    # a circle sampled from its centre parametrises as a degree-1 trigonometric polynomial
    t = jax.random.uniform(key, (40,), minval=0.0, maxval=2 * np.pi)
    x = jnp.stack([jnp.cos(t), jnp.sin(t)], axis=1)
    est = fit_fourier_curve(x, order=3)
    y = est.point(jnp.linspace(0, 2 * np.pi, 50))
    # the estimated curve lies on the circle (to rounding, up to the centre estimate)
    assert float(jnp.max(jnp.abs(jnp.linalg.norm(y - 0.0, axis=1) - 1.0))) < 1e-2


def test_projection_onto_estimate(key):
    m = Ellipse(1.0, 1.5)
    est = fit_fourier_curve(m.sample(key, 256))
    x = m.sample(jax.random.fold_in(key, 1), 64) * 1.05
    p = est.project(x)
    # projected points are on the estimate, and x - P x is normal to it (first-order condition)
    assert float(jnp.max(est.distance(p))) < 1e-3
    assert float(jnp.max(jnp.abs(est.distance(x) - m.distance(x)))) < 1e-3


def test_geometric_score_of_exact_manifold_gives_samples_on_M(key):
    m = Ellipse(1.0, 1.5)
    data = m.sample(key, 64)
    out = hybrid_sample(jax.random.fold_in(key, 1), data, m, 64, t_s=0.01, t_min=1e-6, n_steps=15)
    assert float(jnp.max(m.distance(out))) < 1e3 * EPS + 1e-5
    # the ODE leaves the foot point fixed: the discretised sampler agrees with the closed form
    closed = hybrid_sample(jax.random.fold_in(key, 1), data, m, 64, t_s=0.01, closed_form=True)
    assert float(jnp.max(jnp.abs(out - closed))) < 1e-3


def test_geometric_score_closed_form_on_circle():
    score = GeometricScore(Circle())
    x = jnp.array([[2.0, 0.0], [0.0, 0.5]])
    np.testing.assert_allclose(np.asarray(score(x, 0.25)), [[-4.0, 0.0], [0.0, 2.0]], rtol=1e-5)


def test_coarse_scores_interchangeable_in_samplers(key):
    m = Circle()
    data = m.sample(key, 32)
    est = fit_fourier_curve(data)
    process = md.processes.VE(T=1.0)
    grid = md.processes.geometric_grid(1.0, 1e-3, 10)
    x_T = process.prior_sample(jax.random.fold_in(key, 1), (16, 2))
    scores = [GeometricScore(est, process), md.EmpiricalScore(data, process),
              smoothed_empirical_score(data, jax.random.fold_in(key, 2), n_draws=8, process=process),
              GeometricScore(m, process)]
    for i, s in enumerate(scores):
        for out in (md.samplers.euler_maruyama(jax.random.fold_in(key, 10 + i), s, x_T, grid, process),
                    md.samplers.heun_probability_flow(s, x_T, grid, process)):
            assert out.shape == x_T.shape and bool(jnp.all(jnp.isfinite(out)))
            # every one of them ends near the circle (sigma_min = 0.03)
            assert float(jnp.median(m.distance(out))) < 0.2


def test_stopped_samples_equal_an_explicit_tweedie_step(key):
    """The Tweedie outputs read back from the Euler--Maruyama path equal tweedie_denoiser applied to
    the path (the SDE's noise is regenerated from its documented fold_in(key, i) convention), and
    the ODE variant is tweedie_denoiser on the probability-flow path."""
    data = Circle().sample(key, 32)
    process = md.processes.VE(T=0.09)
    grid = jnp.asarray(np.geomspace(0.3, 0.01, 8) ** 2)
    score = md.EmpiricalScore(data, process)
    x0 = large_noise_draws(jax.random.fold_in(key, 1), data, 300, 0.3)
    stops = [2, 5, 6]
    k = jax.random.fold_in(key, 2)
    got = stopped_samples(k, score, x0, grid, process, stops)
    _, path = md.samplers.euler_maruyama(k, score, x0, grid, process, return_path=True)
    want = jnp.stack([md.samplers.tweedie_denoiser(score, path[i], float(grid[i]), process) for i in stops])
    tol = 2e-5 if jnp.result_type(float) == jnp.float32 else 1e-10
    assert float(jnp.max(jnp.abs(got - want))) < tol
    got = stopped_samples(k, score, x0, grid, process, stops, method="ode")
    _, path = md.samplers.heun_probability_flow(score, x0, grid, process, return_path=True)
    want = jnp.stack([md.samplers.tweedie_denoiser(score, path[i], float(grid[i]), process) for i in stops])
    assert float(jnp.max(jnp.abs(got - want))) < tol


def test_large_noise_draws_have_the_noised_law(key):
    points = jnp.asarray([[0.0, 0.0], [4.0, 0.0]])
    x = large_noise_draws(key, points, 40_000, 0.5)
    # each draw is a point plus N(0, 0.25 I): mean (2, 0), variances 4 + 0.25 and 0.25
    np.testing.assert_allclose(np.asarray(jnp.mean(x, axis=0)), [2.0, 0.0], atol=0.05)
    np.testing.assert_allclose(np.asarray(jnp.var(x, axis=0)), [4.25, 0.25], rtol=0.03)


def test_bad_inputs_raise(key):
    with pytest.raises(ValueError, match="points"):
        fit_fourier_curve(jnp.zeros((4, 2)))
    with pytest.raises(ValueError, match="order"):
        fit_fourier_curve(Circle().sample(key, 16), order=10)
    with pytest.raises(TypeError, match="projector"):
        GeometricScore(3.0)
    with pytest.raises(ValueError, match="t_s"):
        hybrid_sample(key, Circle().sample(key, 16), Circle(), 4, t_s=-1.0)
    with pytest.raises(ValueError, match="sigma"):
        large_noise_draws(key, jnp.zeros((3, 2)), 4, 0.0)
    with pytest.raises(TypeError, match="key"):
        large_noise_draws(1, jnp.zeros((3, 2)), 4, 0.1)
    process = md.processes.VE(T=1.0)
    score = md.EmpiricalScore(jnp.zeros((3, 2)), process)
    with pytest.raises(ValueError, match="stops"):
        stopped_samples(key, score, jnp.zeros((4, 2)), jnp.asarray([1.0, 0.5, 0.1]), process, [2])
    with pytest.raises(ValueError, match="method"):
        stopped_samples(key, score, jnp.zeros((4, 2)), jnp.asarray([1.0, 0.5, 0.1]), process, [0],
                        method="heun")
