"""Chapter 1's experiment modules on tiny configurations, each with a property that could fail."""

import jax
import numpy as np
import pytest

import manifold_diffusion as md
from manifold_diffusion.experiments.diffusion_basics import (dsm, forward, memorization, order,
                                                             sampling, score_field)


@pytest.fixture
def keys(key):
    return md.keys.named_keys(key, "forward", "field", "sampling", "order", "dsm", "memo")


def test_forward_and_score_field(keys):
    res = forward.run(keys.forward, forward.Config(n_samples=4000))
    # t = 0 is the data; at T = 5 the marginal is N(0, I) up to alpha_T = 7e-3 and sampling
    # error (5 standard errors 5 / sqrt(4000) = 0.08 on each mean and variance)
    np.testing.assert_allclose(res.alphas[0], 1.0) and np.testing.assert_allclose(res.sigmas[0], 0.0)
    x_T = np.asarray(res.points[-1], np.float64)
    assert np.all(np.abs(x_T.mean(0)) < 0.08) and np.all(np.abs(x_T.var(0) - 1) < 0.08)
    field = score_field.run(keys.field, score_field.Config(times=(0.02,), grid_size=5, n_points=2000))
    s = field.summary()
    # the median norm at noised data is one mode's chi_2 median, not sqrt(d)/sigma
    assert abs(s["norm0"] / s["mode_prediction"] - 1) < 0.1 < s["sqrtd_over_sigma"] / s["norm0"] - 1


def test_sampling_and_order(keys):
    res = sampling.run(keys.sampling, sampling.Config(n_samples=300, n_steps=50, n_paths=3))
    assert res.paths_sde.shape == (51, 3, 2) and res.samples_ode.shape == (300, 2)
    # both samplers are within the range of the data law's own floor, widened by half its mean
    # (5 floor draws of 300 points span about +-30 % of it)
    floor = res.w2_floor
    assert floor.shape == (5,) and max(res.w2_sde, res.w2_ode) < floor.max() + 0.5 * floor.mean()
    fit = order.run(keys.order, order.Config(steps=(8, 16, 32), reference_steps=512, n_points=16,
                                             n_seeds=3)).fit
    assert -2.3 < fit.slope < -1.7, fit                   # Heun is of second order


def test_dsm_and_memorization(keys):
    res = dsm.run(keys.dsm, dsm.Config(times=(1e-3, 1.0), n_draws=4, n_seeds=2))
    # at small t the empirical score wins on the training points and loses on fresh ones
    assert np.all(res.train_empirical[:, 0] < res.train_true[:, 0])
    assert np.all(res.test_empirical[:, 0] > res.test_true[:, 0])
    # the compiled, time-mapped losses are md.training.dsm_loss's, with paired noise
    process, law = dsm.Config().process(), dsm.Config().law()
    train, test = law.sample(jax.random.key(1), 5), law.sample(jax.random.key(2), 5)
    empirical, true = md.EmpiricalScore(train, process), md.MixtureScore(law, process)
    noise = jax.random.split(jax.random.key(3), 2)
    got = np.asarray(dsm._losses(noise, true, empirical, train, test, np.array([1e-3, 0.5]), process, 4))
    for j, t in enumerate((1e-3, 0.5)):
        want = [md.training.dsm_loss(noise[j], s, p, t, process, n_draws=4)
                for p in (train, test) for s in (true, empirical)]
        np.testing.assert_allclose(got[:, j], want, rtol=1e-4)
    memo = memorization.run(keys.memo, memorization.Config(n_samples=64, n_steps=50,
                                                           t_mins=(1e-2, 1e-4, 1e-5), n_seeds=2))
    # copies at the smallest t_min (a sample between two close training points may escape the
    # 1/3 criterion), at a distance that shrinks with sigma(t_min)
    assert memo.fraction_memorized[:, -1].mean() > 0.95
    assert np.all(np.diff(memo.mean_distance, axis=1) < 0)
    assert memo.fraction_memorized_true.mean() < 0.5      # the baseline is not a copy machine
    with pytest.raises(TypeError, match="result"):
        memorization.plot(res)
