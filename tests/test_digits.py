"""The digits chapter's experiments at tiny configurations, and its exercise checker."""

import dataclasses

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
import pytest

import manifold_diffusion as md
from manifold_diffusion import exercises, metrics, plotting
from manifold_diffusion.experiments.digits import (curve, denoisers, dimension, fidelity, smoothing,
                                                   transition)
from manifold_diffusion.training import store

KEY = jax.random.key(6)


def _closes(fig):
    assert fig.get_supxlabel()                       # the caption line from the meta record
    matplotlib.pyplot.close(fig)


def test_denoisers_train_once_store_and_judge(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ARTIFACT_DIR_ENV, str(tmp_path))
    tiny = denoisers.Config(mlp=denoisers.Recipe("mlp", 32, 2, n_train=64, n_steps=40, batch_size=32),
                            cnn=denoisers.Recipe("cnn", 4, 2, n_train=64, n_steps=20, batch_size=16),
                            n_samples=40, n_ode_steps=6, scale="quick")
    res = denoisers.run(KEY, tiny)
    assert [p.name for p in tmp_path.iterdir()].__len__() == 2          # both networks stored
    assert res.copies.memorized > 0.99 and res.copies.novelty < 1e-5    # the memorization ceiling
    assert res.samples.shape == (2, 24, 64) and res.receptive_field == 5
    for rep in res.reports:
        assert 0.0 <= rep.memorized <= 1.0 and rep.novelty > 0 and np.isfinite(rep.frechet_pca)
    # a second process would load the stored parameters: the same bits, without fitting
    denoisers._TRAINED.clear()
    again = denoisers.trained(KEY, tiny.cnn)
    np.testing.assert_array_equal(np.asarray(again["params"]["out"]["K"]),
                                  np.asarray(denoisers.fit(KEY, tiny.cnn).ema_params["out"]["K"]))
    with pytest.raises(ValueError, match="network"):
        denoisers.Recipe("unet")
    with pytest.raises(TypeError, match="recipe"):
        denoisers.trained(KEY, "cnn")
    for fig in (denoisers.plot(res), denoisers.plot_samples(res)):
        _closes(fig)


def test_transition_memorizes_small_n_and_the_ceiling_always():
    tiny = transition.Config(train_sizes=(1, 8), n_seeds=1, width=16, depth=2, n_steps=60,
                             batch_size=16, n_samples=24, n_ode_steps=8, scale="quick")
    res = transition.run(KEY, tiny)
    assert res.memorized.shape == (2, 1) and res.pairs.shape == (2, 2, 8, 64)
    assert np.all(res.empirical[:, 0] > 0.9)            # the empirical score memorizes at every N
    assert np.all(res.agreement <= 1.0) and np.all(res.agreement_strict <= res.agreement)
    summary = res.summary()
    assert summary["first_n"] == 1 and summary["last_n"] == 8
    _closes(transition.plot(res))
    _closes(transition.plot_pairs(res))


def test_crossing_interpolates_in_log_n():
    # falling 1, 0 and rising 0, 1 between N = 1 and 100 cross halfway in log N: N = 10
    assert transition.crossing([1, 100], [1.0, 0.0], [0.0, 1.0]) == pytest.approx(10.0)
    assert np.isnan(transition.crossing([1, 10], [0.2, 0.1], [0.5, 0.6]))


def test_smoothing_empirical_score_copies_and_modes():
    tiny = dataclasses.replace(smoothing.Config.at_scale("quick"), bandwidths=(0.0, 0.45), n_samples=40,
                               n_draws=2, n_steps=8)
    res = smoothing.run(KEY, tiny)
    assert res.pixels.shape == (2, 5) and res.pca.shape == (2, 5)
    assert res.pixels[0, 0] == 1.0 and res.pixels[0, 1] < 1e-3        # h = 0: copies
    assert res.pixels[0, 2] <= 40 and res.held_out[0] == 40            # held-out digits are distinct
    assert res.pixels[1, 1] > res.pixels[0, 1]                          # smoothing moves samples
    assert isinstance(res.report(1), metrics.FidelityReport)
    assert set(res.summary()) >= {"dig_h", "emp_modes", "top_two_nn", "pca_dig_memorized"}
    for fig in (smoothing.plot(res), smoothing.plot_samples(res)):
        _closes(fig)
    widget, update = smoothing.bandwidth_widget(KEY, tiny)
    assert callable(update) and len(widget.children) == 2


def test_fidelity_baselines_blur_with_k_and_match_novelty():
    tiny = fidelity.Config(knn_k=(2, 8, 64), kde_bandwidths=(0.05, 0.3), n_samples=100, scale="quick")
    res = fidelity.run(KEY, tiny)
    assert np.all(np.diff(res.knn[:, 1]) > 0)           # novelty grows with k
    assert np.all(np.diff(res.knn[:, 6]) < 0)           # and high-frequency energy falls: blur
    assert res.copies.memorized > 0.99
    probe = res.copies._replace(novelty=float(res.knn[1, 1]))
    out = fidelity.matched(res, probe)
    assert out["confidence"][1] == pytest.approx(res.knn[1, 2])        # read at a kNN point
    far = fidelity.matched(res, res.copies._replace(novelty=100.0))
    assert np.isnan(far["confidence"][1]) and np.isnan(far["confidence"][2])   # no extrapolation
    comp = fidelity.compare(res, {"copies": probe})
    assert "| classifier confidence" in comp.table and "copies_confidence_knn" in comp.summary()
    _closes(fidelity.plot(res, {"copies": probe}))


def test_curve_kernels_and_the_padding_trick():
    tiny = curve.Config(train_sizes=(8, 16), iso_factors=(2.0, 4.0), adapted_factors=(0.5, 1.0), n_samples=16,
                        n_draws=2, n_steps=8, table=64, scale="quick")
    res = curve.run(KEY, tiny)
    assert res.novelty.shape == (2, 3, 2) and res.matched.shape == (2, 3)
    assert res.tangent_error[1] < res.tangent_error[0]           # denser images, better tangents
    assert res.spacing[1] < res.spacing[0]
    _closes(curve.plot(res))
    _closes(curve.plot_samples(res))
    # repeating every training point the same number of times leaves the empirical score unchanged
    train = jax.random.normal(KEY, (5, 3))
    x = jax.random.normal(jax.random.key(1), (4, 3))
    a = md.scores.EmpiricalScore(train, md.VE(T=4.0))(x, 0.05)
    b = md.scores.EmpiricalScore(jnp.repeat(train, 3, axis=0), md.VE(T=4.0))(x, 0.05)
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-4)


def test_intrinsic_dimension_far_below_64():
    res = dimension.run(KEY, dataclasses.replace(dimension.Config.at_scale("quick"), n_bootstrap=20))
    assert res.two_nn.shape == (11,) and res.two_nn_ci.shape == (11, 2)
    assert np.all(res.two_nn_ci[:, 0] <= res.two_nn) and np.all(res.two_nn <= res.two_nn_ci[:, 1])
    assert 2 < res.two_nn[0] < 20 and 2 < res.levina_bickel[0] < 20
    _closes(dimension.plot(res))


def test_image_grid_draws_a_mosaic():
    fig, axes = plotting.figure(1)
    plotting.image_grid(axes[0, 0], np.random.default_rng(0).random((5, 64)), ncols=3)
    arr = axes[0, 0].images[0].get_array()
    assert arr.shape == (2 * 9 - 1, 3 * 9 - 1)
    matplotlib.pyplot.close(fig)


def test_memorization_checker():
    def right(samples, train):
        rep = metrics.memorization_report(samples, train)
        return rep.fraction_memorized, jnp.mean(rep.nearest_distance)

    def wrong(samples, train):                       # threshold 1/2 instead of 1/3
        rep = metrics.memorization_report(samples, train, threshold=0.5)
        return rep.fraction_memorized, jnp.mean(rep.nearest_distance)

    assert exercises.check("digits.memorization", right, strict=True)
    assert not exercises.check("digits.memorization", wrong, verbose=False)


def test_disjoint_digit_sets_partition_the_digits(key):
    from manifold_diffusion import data

    sets = data.disjoint_digit_sets(key)
    assert sets.first.shape == sets.second.shape == (850, 64) and sets.held_out.shape == (97, 64)
    rows = [set(map(int, idx)) for idx in (sets.first_index, sets.second_index, sets.held_out_index)]
    assert sum(map(len, rows)) == len(set.union(*rows)) == 1797              # disjoint, complete
    # the held-out set is load_digits' test set for the same key; classes are mixed in each set
    ref = data.load_digits(key, test_fraction=97 / 1797)
    np.testing.assert_array_equal(np.asarray(ref.test), np.asarray(sets.held_out))
    assert len(np.unique(np.asarray(sets.first_labels))) == 10
    assert len(np.unique(np.asarray(sets.second_labels))) == 10
