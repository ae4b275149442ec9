"""The rates chapter's experiments: settings and exponents, the sampler's levels, the fit rule,
the table's verdicts, one tiny end-to-end run of the coverage experiment, and the exercise checker."""

import math

import jax
import matplotlib.pyplot as plt
import numpy as np
import pytest

from manifold_diffusion import exercises
from manifold_diffusion.experiments.rates import _sweep, coverage, memorization, settings, summary
from manifold_diffusion.metrics import coverage as cov
from manifold_diffusion.metrics.rates import SlopeFit


def test_settings_and_exponents():
    assert settings.exponents(8.0) == (2.0, 1.75)
    assert settings.exponents(4.0, 2) == (0.5, 0.375)
    assert settings.regularity("rough-2.5") == 2.5 and math.isinf(settings.regularity("ellipse"))
    assert settings.regularity("rough-sphere-4.5") == 4.5
    assert settings.curve("lacunary-4.5").beta == 4.5
    assert settings.surface("rough-sphere-2.5").beta == 2.5
    with pytest.raises(ValueError, match="name"):
        settings.curve("wiggly")
    with pytest.raises(ValueError, match="name"):
        settings.density("lumpy")


def test_levels_and_fit_start():
    sig, grid = _sweep.levels((1e-3, 0.3), 12)
    assert sig[0] == pytest.approx(0.3) and sig[-1] == pytest.approx(1e-3) and grid.shape == (13,)
    np.testing.assert_allclose(np.diff(np.log(np.sqrt(grid))), np.log(1e-3 / 0.3) / 11)
    ok = np.array([[False, True], [True, True], [True, True]])
    assert _sweep.fit_start(ok) == 1
    assert _sweep.fit_start(np.array([[True], [False], [True]])) == 2
    assert _sweep.fit_start(np.array([[False], [False]])) == 2
    # the memorization baseline's local slope of (log N / N)^p
    assert memorization.local_slope([math.e ** 10], 1.0) == pytest.approx(-0.9)


def test_verdicts():
    fit = SlopeFit(-0.85, 0.0, -1.0, -0.7, 0.95, 3, 3, "seeds")
    assert summary.bound_verdict(fit, {"A": 0.625, "B": 0.375}) == "A met, B met, steeper than all"
    assert summary.bound_verdict(fit, {"A": 1.125, "B": 0.875}) == "A missed, B met"
    assert summary.rate_verdict(fit, {"-1": -1.0, "-1/2": -0.5}) == "agrees with -1"
    assert summary.rate_verdict(fit, {"-1/2": -0.5}).startswith("disagrees")
    assert summary.bound_verdict(None, {"A": 1.0}) == "not fitted"


def test_first_from_and_target_verdict():
    ns = np.array([256, 1024, 4096])
    assert _sweep.first_from(ns, [False, True, True]) == 1024
    assert _sweep.first_from(ns, [True, False, True]) == 4096
    assert _sweep.first_from(ns, [True, True, False]) == 0          # not at the last size: never
    with pytest.raises(ValueError, match="flags"):
        _sweep.first_from(ns, [True, False])
    from types import SimpleNamespace

    fit = SlopeFit(-0.6, 0.0, -0.9, -0.3, 0.95, 3, 3, "seeds")
    sweep = SimpleNamespace(ns=ns)

    def verdict(w1_data, w1_limit):
        res = SimpleNamespace(target_fits={"w1data": fit, "w1lim": fit}, w1_reference=0.018, w1_floor=0.0045,
                              w1_data=np.full((3, 3), w1_data), w1_limit=np.full((3, 3), w1_limit),
                              sweep=sweep, reference_n=8192)
        return summary._target_verdict(res, "target_data")

    # as far from the "limit" as from the data law (the default-scale numbers): not resolved
    assert verdict(0.020, 0.021).startswith("not resolved") and "0.021" in verdict(0.020, 0.021)
    # clearly nearer the limit, and down to the limit's distance from the data law: resolved
    assert verdict(0.019, 0.004) == "plateau resolved"


def test_tiny_coverage_run_end_to_end(key):
    cfg = coverage.Config(settings=("ellipse",), ns=(64, 128), n_seeds=2, n_gen=2000, n_levels=6,
                          n_stops=2, reference_n=128, scale="quick")
    res = coverage.run(key, cfg)
    sw = res.sweep
    assert sw.delta_c.shape == (1, 2, 2) and sw.fidelity.shape == (1, 2, 2, 3)
    assert list(sw.features[0]) == [128, 182]                    # the capacity rule ceil(16 sqrt(N))
    # fidelity quantiles are ordered, sigma0* is one of the stopping levels, and no counted
    # coverage scale lies below the counting floor
    assert np.all(np.diff(sw.fidelity, axis=-1) >= 0)
    assert np.all(np.isin(sw.sigma0, sw.stop_sigmas[0]))
    assert np.all(sw.delta_c >= sw.floor[:, None, None] * (1 - 1e-12))
    # the learned sampler's outputs lie far closer to the ellipse than the noise they started with
    # (sigma_hi = 0.3: a median normal offset of 0.2)
    assert np.all(sw.fidelity[..., 0] < 0.05)
    out = res.summary()
    assert {"ellipse_q99_slope", "w1_floor", "w1_reference", "floor"} <= set(out)
    rows = summary.table(coverage=res)
    assert {r.key for r in rows} >= {"ridge_ellipse_delta_c", "ridge_ellipse_q99", "target_limit"}
    assert summary.html(rows).count("<tr>") == len(rows) + 1
    for fig in (coverage.plot(res), coverage.plot_maps(res), coverage.plot_target(res)):
        plt.close(fig)
    with pytest.raises(TypeError, match="result"):
        coverage.plot(rows)


def test_exercise_checker():
    def good(u, length, deltas):
        return cov.coverage_curve(u, length, deltas, C=4.0, n_min=50).scale

    def wrong(u, length, deltas):                       # forgets the Monte Carlo floor
        return cov.coverage_curve(u, length, deltas, C=4.0, exact=True).scale

    assert exercises.check("rates.coverage_scale", good, strict=True)
    assert not exercises.check("rates.coverage_scale", wrong, verbose=False)
