"""The digits chapter's experiments (tiny configurations) and its exercise checker."""

import dataclasses

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
import pytest

from manifold_diffusion import exercises, metrics, plotting
from manifold_diffusion.experiments import digits

TINY = dataclasses.replace(
    digits.Config.at_scale("quick"), n_steps=20, mem_sizes=(30,), mem_t_mins=(1e-6, 1e-1),
    mem_samples=16, n_train=60, n_samples=24, n_draws=4, bandwidths=(0.0, 0.5),
    kde_bandwidths=(0.05,), curve_n=8, curve_samples=12, curve_draws=4, curve_table=64,
    iso_bandwidths=(0.0,), adapted_bandwidths=(1.0,), id_bootstrap=20, train_n=30,
    train_steps=20, train_checkpoints=2, train_samples=16)


def test_intrinsic_dimension_far_below_64(key):
    res = digits.run_intrinsic_dimension(key, TINY)
    assert res.two_nn.shape == (11,) and res.two_nn_ci.shape == (11, 2)
    assert np.all(res.two_nn_ci[:, 0] <= res.two_nn) and np.all(res.two_nn <= res.two_nn_ci[:, 1])
    assert 2 < res.two_nn[0] < 20 and 2 < res.levina_bickel[0] < 20


def test_bootstrap_interval_rejects_fit(key):
    pts = jax.random.normal(key, (200, 3))
    est = metrics.two_nn(pts, method="fit")
    with pytest.raises(ValueError, match="estimate"):
        digits.bootstrap_dimension(key, est, 10)


def test_memorization_smoothing_curve_trained(key):
    mem = digits.run_memorization(key, TINY)
    assert mem.memorized.shape == (1, 2)
    assert mem.memorized[0, 0] == 1.0                 # t_min = 1e-6 returns training digits
    sm = digits.run_smoothing(key, TINY)
    assert sm.smooth.shape == (2, 7) and sm.kde.shape == (1, 7)
    assert sm.smooth[0, 0] == 1.0 and sm.smooth[0, 1] < 1e-3
    cu = digits.run_curve(key, TINY)
    assert cu.iso.shape == (1, 4) and cu.adapted.shape == (1, 4)
    assert cu.iso[0, 2] < 1e-3                        # copies of curve images lie on the curve
    target, iso, adapted = digits.curve_at_novelty(cu)
    assert target == pytest.approx(min(cu.iso[:, 1].max(), cu.adapted[:, 1].max()))
    tr = digits.run_trained(key, TINY)
    assert tr.stats.shape == (2, 7) and np.all(np.isfinite(tr.stats[:, :4]))
    for fig in (digits.plot_memorization(mem), digits.plot_smoothing_grids(sm),
                digits.plot_domains(sm, 0.5), digits.plot_curve(cu), digits.plot_trained(tr)):
        assert fig.get_supxlabel()
        matplotlib.pyplot.close(fig)


def test_widget_builds_without_computing(key):
    widget, update = digits.bandwidth_widget(key, TINY)
    assert callable(update) and len(widget.children) == 2


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
