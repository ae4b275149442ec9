"""Chapter 3's experiment modules on tiny configurations: each checks a property of the result
that could fail (memorization without smoothing, the kernel's choice of lines, Prop. 3.1's zero
normal spread, the wavy circle's amplitude), and the bandwidth widget."""

import jax
import numpy as np
import pytest

import manifold_diffusion as md
from manifold_diffusion.experiments.score_smoothing import (circle, domains, flat, lattice, moons,
                                                            nll, segment, wavy)

FAST = dict(n_steps=30)          # the paper's grid with fewer steps


def test_circle_sweep_tiny(key):
    """No smoothing memorizes exactly; the table has one row per bandwidth."""
    cfg = circle.Config(n_samples=16, n_draws=8, bandwidths=(0.0, 0.3), n_seeds=1, scale="quick",
                        **FAST)
    res = circle.run(key, cfg)
    assert res.samples.shape == (2, 16, 2)
    assert float(res.memorized[0]) == 1.0 and float(res.radial_error[0]) < 1e-3
    assert circle.table(res).count("<tr>") == 3
    assert md.metrics.fourier_amplitude(res.samples[0]) < 0.05
    summary = res.summary()
    assert summary["mem_0"] == 1.0 and summary["ref_gap_03"] == 0.45   # the NumPy re-computation


def test_lattice_anisotropic_tiny(key):
    """The x-elongated kernel keeps every sample on a row (its draws have a small y part, the score
    across rows is barely smoothed), the y-elongated one on a column."""
    cfg = lattice.Config(n_samples=16, n_draws=8, n_seeds=1, n=3, scale="quick", **FAST)
    res = lattice.run(key, cfg)
    assert res.samples.shape == (3, 16, 2) and res.per_seed.shape == (1, 3, 5)
    assert float(res.on_rows[1]) == 1.0 and float(res.on_columns[2]) == 1.0


def test_segment_tiny(key):
    """No smoothing returns training points; the normal spread is float rounding."""
    cfg = segment.Config(n_samples=16, n_draws=8, bandwidths=(0.0, 0.2), n_seeds=1, scale="quick",
                         **FAST)
    res = segment.run(key, cfg)
    assert res.along.shape == (2, 16)
    assert float(res.memorized[0]) == 1.0 and float(res.gap_fraction[0]) == 0.0
    assert float(res.normal_spread.max()) < 1e-4


def test_flat_tiny(key):
    """Prop. 3.1: antithetic and tangent-only draws leave no normal spread; plain draws leave the
    predicted offset h |(I - P) z_bar| (the last step maps every sample by the same shift)."""
    cfg = flat.Config(bandwidths=(0.3,), n_draws=8, n_samples=32, n_permutations=20, **FAST)
    res = flat.run(key, cfg)
    assert res.normal_iso.max() < 1e-4 and res.normal_tangent.max() < 1e-4
    np.testing.assert_allclose(res.normal_plain, res.plain_prediction, rtol=0.05)
    assert 0.0 <= res.p_values[0] <= 1.0


def test_wavy_and_domains_and_nll_tiny(key):
    res = wavy.run(key, wavy.Config(bandwidths=(0.0,), n_samples=64, n_draws=8, n_seeds=1, **FAST))
    assert abs(res.amplitude[0] - wavy.AMPLITUDE) < 0.01            # the samples are the training points
    dom = domains.run(key, domains.Config(dims=(2, 4), bandwidths=(0.2, 0.3), n_draws=8,
                                          n_samples=32, n_seeds=1, kde_bandwidths=(0.05, 0.3), **FAST))
    assert dom.smooth_off.shape == (2, 2) and dom.kde_off.shape == (2, 2)
    assert "d = 4" in dom.summary()["at_nov"]
    res_nll = nll.run(key, nll.Config(bandwidths=(0.0, 0.2), n_draws=8, n_points=50, grid_size=61))
    assert res_nll.nll.shape == (2,) and np.all(np.isfinite(res_nll.nll))
    assert res_nll.train_nll[0] < res_nll.nll[0]                   # the unsmoothed law fits its data


def test_moons_tiny(key):
    res = moons.run(key, moons.Config(n_train=10, n_samples=32, n_steps=20, bandwidths=(0.0, 0.4)))
    assert res.at_train[0] > 0.9 and res.at_train[1] < res.at_train[0]


def test_bandwidth_widget_constructs_and_updates(key):
    ipywidgets = pytest.importorskip("ipywidgets")
    cfg = circle.Config(scale="quick", **FAST)
    widget, update = circle.widget(key, cfg, bandwidths=(0.0, 0.3))
    assert isinstance(widget, ipywidgets.VBox)
    res = update(0.0)
    assert res.samples.shape == (1, 300, 2) and res.memorized[0] == 1.0
    widget.children[0].value = 0.3        # the slider's callback runs update
    with pytest.raises(TypeError, match="result"):
        circle.plot_frame("not a result")
