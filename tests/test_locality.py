"""The locality chapter's experiments at tiny configurations (tiny networks trained into a
temporary store), and its exercise checkers."""

import dataclasses

import jax
import matplotlib
import numpy as np
import pytest

import manifold_diffusion as md
from manifold_diffusion import exercises
from manifold_diffusion.experiments.digits import denoisers
from manifold_diffusion.experiments.locality import (_common, accounts, calibration, patch_size,
                                                     prediction)
from manifold_diffusion.training import store

KEY = jax.random.key(6)
TINY_CAL = calibration.Config(
    cnn=denoisers.Recipe("cnn", 4, 2, n_train=64, n_steps=20, batch_size=16),
    mlp=denoisers.Recipe("mlp", 16, 2, n_train=64, n_steps=30, batch_size=16),
    sigmas=(0.2, 2.0), patch_sizes=(1, 3, 15), n_held_out=8, scale="quick")
# one sample count and grid for every test, so that the experiments share their sample sets
# (the in-process memo of _common) and compiled samplers, as in a chapter build
N, STEPS = 10, 8


@pytest.fixture(autouse=True)
def _store(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ARTIFACT_DIR_ENV, str(tmp_path))


def _closes(fig):
    assert fig.get_supxlabel()                       # the caption line from the meta record
    matplotlib.pyplot.close(fig)


def test_calibration_picks_the_least_mismatch_and_reuses_one_fit(tmp_path, monkeypatch):
    # start from empty in-process memos, so that both fits go through this test's store
    monkeypatch.setattr(denoisers, "_TRAINED", {})
    _common.clear_memos()
    res = calibration.run(KEY, TINY_CAL)
    assert res.mismatch.shape == (2, 2, 3) and np.all(res.mismatch > 0)
    np.testing.assert_array_equal(res.best, res.patch_sizes[np.argmin(res.mismatch, axis=2)])
    assert res.receptive_field == 5
    for name in res.names:
        sched = res.schedule(name)
        assert sched(0.2 ** 2) == res.best[res.names.index(name), 0]
    assert len(list(tmp_path.iterdir())) == 2                 # both networks in the store
    again = calibration.calibrate(KEY, TINY_CAL)              # memoized: the same arrays
    assert again.mismatch is res.mismatch
    s = res.summary()
    assert s["rf"] == 5 and s["cnn_p_max"] in (1, 3, 15) and s["n_levels"] == 2
    with pytest.raises(ValueError, match="name"):
        res.schedule("UNet")
    _closes(calibration.plot(res))


def test_accounts_the_memorizer_copies_and_real_digits_are_not_mosaics():
    cfg = accounts.Config(calibration=TINY_CAL, patch_size=3, n_samples=N, n_ode_steps=STEPS,
                          mosaic_patch_sizes=(3,), scale="quick")
    res = accounts.run(KEY, cfg)
    i = {n: k for k, n in enumerate(res.names)}
    # the empirical score memorizes (its samples are training digits: every patch distance ~0)
    assert res.memorized[i["empirical"]] > 0.9 and res.worst_patch[i["empirical"], 0] < 0.05
    assert res.memorized[i["copies"]] == 1.0 and res.worst_patch[i["copies"], 0] == 0.0
    assert res.mosaic[i["copies"], 0] == 0.0 and res.memorized[i["held-out"]] == 0.0
    # the tolerance is the held-out digits' median worst-patch distance
    assert res.worst_patch[i["held-out"], 0] == pytest.approx(res.tolerance[0])
    assert res.samples.shape == (4, N, 64) and res.neighbours.shape == (4, N, 64)
    assert set(res.summary()) >= {"els_mosaic3", "held_worst3", "tolerance3", "ls_memorized"}
    _closes(accounts.plot(res))
    _closes(accounts.plot_samples(res))


def test_patch_size_interpolates_between_noise_and_memorization():
    cfg = patch_size.Config(patch_sizes=(3, 15), n_samples=N, n_ode_steps=STEPS, scale="quick")
    res = patch_size.run(KEY, cfg)
    memorized, novelty = res.column("memorized"), res.column("novelty")
    assert memorized[1] > 0.9 and memorized[0] < 0.5         # P = 15 is the empirical score
    assert novelty[0] > 3 * novelty[1]
    assert res.copies[patch_size.COLUMNS.index("memorized")] == 1.0
    assert res.summary()["last_p"] == 15
    _closes(patch_size.plot(res))
    _closes(patch_size.plot_samples(res))
    fr = patch_size.frame(KEY, cfg, 15, n_samples=N)             # the sweep's samples, memoized
    assert fr.samples.shape == (N, 64) and fr.memorized > 0.8
    matplotlib.pyplot.close(patch_size.plot_frame(fr))
    widget, update = patch_size.patch_widget(KEY, cfg, (1, 15), value=15)
    assert callable(update) and len(widget.children) == 2


def test_prediction_rows_floor_and_table():
    cfg = prediction.Config(calibration=TINY_CAL, n_samples=N, n_ode_steps=STEPS, bandwidths=(0.3,),
                            n_draws=2, switch_sigmas=(0.5,), manifold_dim=3, n_boot=200,
                            scale="quick")
    res = prediction.run(KEY, cfg)
    assert res.r2.shape == (2, len(prediction.ACCOUNTS), N)
    assert np.all(res.r2 <= 1.0 + 1e-6)
    # for the CNN, "calibrated to this network" and "calibrated to the CNN" are the same machine
    np.testing.assert_array_equal(res.r2[0, 0], res.r2[0, 1])
    for row in res.summaries:
        for s in row:
            assert s.low <= s.median <= s.high and s.n == N
    assert res.denoiser_median.shape == (2, len(prediction.DENOISER_ACCOUNTS), 2)
    # the noisy input against a denoiser: r^2 falls as the noise grows
    a = res.denoiser_accounts.index("noisy input")
    assert np.all(res.denoiser_median[:, a, 1] < res.denoiser_median[:, a, 0])
    summary = res.summary()
    assert summary["paper"] == prediction.PAPER_R2_MNIST and summary["cnn_h"] == 0.3
    text = prediction.table(res)
    assert text.count("\n") == len(prediction.ACCOUNTS) + 2 and "0.94" in text
    html = text._repr_html_()     # the book renders Markdown outputs without tables: HTML instead
    assert html.startswith("<table") and html.count("<tr>") == len(prediction.ACCOUNTS) + 2
    for fig in (prediction.plot(res), prediction.plot_denoisers(res), prediction.plot_samples(res)):
        _closes(fig)


def test_samples_are_memoized_by_everything_that_determines_them():
    score = md.scores.EmpiricalScore(_common.digit_sets(KEY).first, _common.process())
    a = _common.samples(KEY, ("test-empirical",), score, N, STEPS)
    assert _common.samples(KEY, ("test-empirical",), score, N, STEPS) is a
    b = _common.samples(KEY, ("test-empirical", "again"), score, N, STEPS)     # a new entry ...
    assert b is not a
    np.testing.assert_array_equal(a, b)               # ... drawn from the chapter's one noise key


def test_configs_at_every_scale_are_consistent():
    for mod in (calibration, accounts, patch_size, prediction):
        for scale in ("quick", "default", "large"):
            cfg = mod.Config.at_scale(scale)
            assert cfg.scale == scale
    # the chapter's networks are chapter 6's (the store's key): same recipes at each scale
    for scale in ("quick", "default", "large"):
        assert calibration.Config.at_scale(scale).cnn == denoisers.Config.at_scale(scale).cnn
        assert prediction.Config.at_scale(scale).calibration == calibration.Config.at_scale(scale)
    assert dataclasses.replace(TINY_CAL, n_held_out=4).n_held_out == 4

