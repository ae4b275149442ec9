"""Chapter 5's experiments at a tiny size, and its exercise checker."""

import dataclasses

import jax
import matplotlib.pyplot as plt
import numpy as np
import pytest

from manifold_diffusion import exercises
from manifold_diffusion.experiments import learned_scores as learned


@pytest.fixture(scope="module")
def cfg():
    return dataclasses.replace(learned.Config.at_scale("quick"), epochs=20, eval_every=10, n_seeds=1,
                               width=8, rf_width=16, grid_points=61, ode_steps=8, n_val=200,
                               capacity_widths=(4,), capacity_epochs=20, modes_epochs=20,
                               size_epochs=20, size_eval_every=10, sizes=(50, 100, 200), size_seeds=1,
                               circle_steps=40, circle_width=8, circle_samples=32,
                               circle_sampler_steps=8)


def test_config_scales():
    for scale in ("quick", "default", "large"):
        assert learned.Config.at_scale(scale).scale == scale
    with pytest.raises(ValueError, match="scale"):
        learned.Config.at_scale("huge")


def test_run_ucurve(cfg):
    res = learned.run_ucurve(jax.random.key(0), cfg)
    c = cfg.epochs // cfg.eval_every + 1
    assert res.kl_mlp.shape == res.kl_rf.shape == res.val_mlp.shape == (cfg.n_seeds, c)
    assert res.log_q_mlp.shape == (c, cfg.grid_points)
    assert np.all(np.isfinite(res.kl_mlp)) and np.all(res.kl_mlp > -1e-3)
    # the estimator's floor (exact score) is far below any learned model's KL
    assert res.kl_floor < 0.1 and res.kl_floor < res.kl_rf.min()   # 8 ODE steps: coarse floor
    # the normalised learned densities integrate to one on the grid
    mass = np.trapezoid(np.exp(res.log_q_mlp), res.x_grid, axis=-1)
    np.testing.assert_allclose(mass, 1.0, atol=1e-3)
    s = learned.ucurve_summary(res)
    assert s["min"] <= s["start"] and s["min"] <= s["late"]
    plt.close(learned.plot_ucurve(res))
    plt.close(learned.plot_epoch_frames(res, n_frames=3))
    widget, redraw = learned.epoch_widget(res)          # the chapter's slider (not run at build)
    redraw(int(res.epochs[1]))
    assert len(widget.children) == 2


def test_run_capacity_modes_size(cfg):
    cap = learned.run_capacity(jax.random.key(1), cfg)
    assert cap.kl.shape[:2] == (1, cfg.capacity_seeds) and cap.kl_at_1000.shape == (1,)
    modes = learned.run_modes(jax.random.key(2), cfg)
    assert modes.kl.shape[:2] == (len(cfg.mus), cfg.modes_seeds)
    np.testing.assert_allclose(modes.masses_best.sum(axis=-1), 1.0, atol=1e-6)
    size = learned.run_sample_size(jax.random.key(3), cfg)
    assert size.best_kl.shape == (1, 3) and np.isfinite(size.fit.slope)
    for fig in (learned.plot_capacity(cap), learned.plot_modes(modes), learned.plot_sample_size(size)):
        plt.close(fig)


def test_run_memorization(cfg):
    res = learned.run_memorization(jax.random.key(4), cfg)
    k, c = len(cfg.circle_sizes), cfg.circle_checkpoints + 1
    assert res.memorized.shape == res.distance.shape == (k, c)
    assert np.all((res.memorized >= 0) & (res.memorized <= 1))
    assert res.samples.shape == (k, c, cfg.circle_samples, 2)
    assert res.score_error.shape == (k, len(res.times)) and np.all(res.score_error > 0)
    plt.close(learned.plot_memorization(res))
    plt.close(learned.plot_score_error(res))


def test_early_stopping_checker():
    assert exercises.check("learned.early_stopping",
                           lambda e, v: int(np.asarray(e)[np.argmin(v)]), strict=True, verbose=False)
    assert not exercises.check("learned.early_stopping", lambda e, v: int(np.argmin(v)),
                               verbose=False)
    assert not exercises.check("learned.early_stopping", lambda e, v: int(np.asarray(e)[-1]),
                               verbose=False)
