"""The rates chapter's experiment (tiny configuration) and its exercise checker."""

import dataclasses
import math

import jax
import numpy as np
import pytest

from manifold_diffusion import exercises
from manifold_diffusion.experiments import rates
from manifold_diffusion.metrics import coverage as cov


def _tiny():
    return dataclasses.replace(rates.Config.at_scale("quick"), ns=(64, 128, 256), ns_torus=(32, 64, 128),
                               n_gen=1000, dims=(2,), densities=("smooth",), target_ns=(64, 256, 1024),
                               kde_ns=(128, 512, 2048), n_eval=256)


def test_exponents():
    assert rates.exponents(8.0) == (2.0, 1.75)
    assert rates.exponents(4.0, 2) == (0.5, 0.375)


def test_memorization_and_target_and_kde(key):
    cfg = _tiny()
    memo = rates.run_memorization(key, cfg)
    assert memo.scale1.shape == (cfg.n_seeds, 3) and np.all(memo.scale1 >= 0.5 * memo.gap * 0.9)
    assert np.all(np.isfinite(memo.w1_1)) and np.all(memo.w1_1 > 0)
    tg = rates.run_target(key, cfg)
    # the distance to the sampler's own limit falls with N; the limit stays comparable to the data
    assert tg.w1_limit[:, :, -1].mean() < tg.w1_limit[:, :, 0].mean()
    assert np.all(tg.ratio_range[:, 0] > 0.25) and np.all(tg.ratio_range[:, 1] < 4)
    assert tg.plateau[1] > tg.plateau[0]          # a coarser blur, a higher plateau
    kde = rates.run_kde(key, cfg)
    assert np.all(kde.l1[:, :, -1] < kde.l1[:, :, 0])


def test_coarse_run_needs_x64(key, x64):
    cfg = _tiny()
    if not x64:
        with pytest.raises(RuntimeError, match="float64"):
            rates.run_coarse(key, cfg, "beta")
        return
    res = rates.run_coarse(key, cfg, "density")
    assert res.hausdorff.shape == (1, cfg.n_seeds, 3)
    assert np.all(res.fidelity <= res.hausdorff * 1.01 + 1e-12)


def test_exercise_checker():
    def good(u, length, deltas):
        return cov.coverage_curve(u, length, deltas, C=4.0, n_min=50).scale

    def wrong(u, length, deltas):                       # forgets the Monte Carlo floor
        return cov.coverage_curve(u, length, deltas, C=4.0, exact=True).scale

    assert exercises.check("rates.coverage_scale", good, strict=True)
    assert not exercises.check("rates.coverage_scale", wrong, verbose=False)


def test_coverage_widget_draws_the_chosen_setting(key, monkeypatch):
    """The chapter's N/beta sliders compute the coverage map of the chosen setting."""
    import matplotlib.pyplot as plt

    cfg = _tiny()
    calls = []
    real = rates.coverage_map
    monkeypatch.setattr(rates, "coverage_map",
                        lambda k, c, n, beta, **kw: calls.append((n, beta)) or real(k, c, n, beta, n_gen=2000))
    widget, update = rates.coverage_widget(key, cfg, ns=(64, 128), betas=(2.5, 3.5), draw_now=False)
    assert len(widget.children) == 3 and calls == []
    frame = update(N=128, beta=3.5)
    assert calls == [(128, 3.5)] and len(frame) == 5
    plt.close(rates.plot_coverage_frame(frame, cfg.C))
