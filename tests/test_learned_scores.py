"""Chapter 5's experiments at tiny sizes (each runs and its result has the properties the prose
quotes), and its exercise checker."""

import dataclasses

import jax
import matplotlib.pyplot as plt
import numpy as np
import pytest

from manifold_diffusion import exercises
from manifold_diffusion.experiments.learned_scores import (capacity, dynamics, modes, theorem1,
                                                           ucurve)


def test_configs_have_every_scale():
    for mod in (ucurve, capacity, modes, theorem1, dynamics):
        for scale in ("quick", "default", "large"):
            assert mod.Config.at_scale(scale).scale == scale


def test_one_dimensional_experiments(key):
    """The U-curve, capacity and modes experiments at a tiny size. The three share one compiled
    training program and read-out (same network, steps, seeds and grid), so the test costs about
    one compilation of each."""
    cfg = dataclasses.replace(ucurve.Config.at_scale("quick"), width=8, epochs=50, n_seeds=2,
                              full_seeds=1, n_checkpoints=2, flow_every=1, flow_draws=40,
                              runs=(0,))
    res = ucurve.run(key, cfg)
    assert res.kl_grid.shape == (4, 2, 2, 2, 3) and res.kl_flow.shape == (4, 2, 2, 2, 3)
    # the untrained denoiser (zero output layer) is the same in every seed, raw or EMA: the same
    # start KL at each read-out level
    start = res.kl_grid[0, :, :, :, 0]
    np.testing.assert_allclose(start, np.broadcast_to(start[:1, :, :1], start.shape), rtol=1e-5)
    assert np.all(np.isfinite(res.kl_grid[0])) and np.all(np.isnan(res.kl_grid[1:]))
    # the ceiling is larger at the smaller read-out level (a KDE of narrower bandwidth)
    assert res.ceiling_grid[0] > res.ceiling_grid[1] > 0
    s = res.summary()
    assert s["n_seeds"] == 2 and s["r0_ema_flow_045_min"] <= s["r0_ema_flow_045_start"]
    cap = capacity.run(key, dataclasses.replace(capacity.Config.at_scale("quick"), widths=(8,),
                                                epochs=50, n_seeds=2, flow_draws=40))
    assert cap.kl_grid.shape[:2] == (1, 2) and cap.window(readout="flow")[0].shape == (1,)
    assert set(cap.summary()) >= {"flow_8", "reach_8", "ceiling_flow"}
    mod = modes.run(key, dataclasses.replace(modes.Config.at_scale("quick"), mus=(3.0,),
                                             width=8, epochs=50, n_seeds=2))
    assert mod.kl.shape[:2] == (1, 2)
    assert np.all((mod.heavy_best >= 0.5 - 1e-6) & (mod.heavy_best <= 1 + 1e-6))
    assert np.all((mod.heavy_samples >= 0.5) & (mod.heavy_samples <= 1))
    for fig in (ucurve.plot(res), ucurve.plot_densities(res), capacity.plot(cap),
                modes.plot(mod)):
        plt.close(fig)


def test_theorem1_density_and_run(key):
    x = theorem1.bump_sample(key, 20000)
    assert float(np.abs(x).max()) <= 2.5 + 1e-6
    grid = np.linspace(-3, 3, 6001)
    mass = np.trapezoid(np.exp(np.asarray(theorem1.bump_log_prob(grid))), grid)
    assert mass == pytest.approx(1.0, abs=1e-4)
    res = theorem1.run(key, dataclasses.replace(theorem1.Config.at_scale("quick"),
                                                train_sizes=(20, 30, 40), n_seeds=2, n_draws=4,
                                                n_taus=7))
    assert res.kl.shape == (3, 2, 7) and np.all(np.isfinite(res.kl))
    # the loss of the flow decreases along tau (gradient flow on a fixed quadratic)
    assert np.all(np.diff(res.train_loss, axis=2) <= 1e-3 * np.abs(res.train_loss[..., :1]))
    plt.close(theorem1.plot(res))


def test_dynamics_runs(key):
    cfg = dataclasses.replace(dynamics.Config.at_scale("quick"), sizes=(4, 64), n_steps=160,
                              n_samples=32, rf_width=16, n_seeds=1)
    res = dynamics.run(key, cfg)
    assert res.memorized.shape == (1, 1, 2, 1, len(res.steps))
    assert np.all((res.memorized >= 0) & (res.memorized <= 1))
    assert np.all(res.normal_error > 0) and np.all(res.tangent_error > 0)
    # exact draws on the curve: the criterion's floor is about one half
    assert 0.2 < res.floor[0, 1, 0] < 0.8
    assert res.rf_memorized.shape == (2, 1, 8)
    for fig in (dynamics.plot_geometry(res), dynamics.plot_timescales(res),
                dynamics.plot_random_features(res)):
        plt.close(fig)


def test_early_stopping_checker():
    assert exercises.check("learned.early_stopping",
                           lambda e, v: int(np.asarray(e)[np.argmin(v)]), strict=True, verbose=False)
    assert not exercises.check("learned.early_stopping", lambda e, v: int(np.argmin(v)),
                               verbose=False)
    assert not exercises.check("learned.early_stopping", lambda e, v: int(np.asarray(e)[-1]),
                               verbose=False)
