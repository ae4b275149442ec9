"""The denoising score-matching loss and its exact minimiser."""

import jax
import jax.numpy as jnp
import pytest

import manifold_diffusion as md


@pytest.fixture
def setting(key):
    law = md.GaussianMixture(jnp.array([0.5, 0.5]), jnp.array([[-1.0, 0.0], [1.0, 0.5]]),
                             jnp.tile(0.2 * jnp.eye(2)[None], (2, 1, 1)))
    process = md.VP()
    train = law.sample(key, 30)
    return law, process, train


@pytest.mark.parametrize("t", [1e-3, 0.05, 0.5])
def test_empirical_score_minimises_training_dsm(setting, t):
    r"""L(s) = L(s_hat) + sigma^2 E|s - s_hat|^2 holds draw by draw for paired noise, so the
    empirical score's loss is below the true score's and the gap is the excess term."""
    law, process, train = setting
    true_score, emp = md.MixtureScore(law, process), md.EmpiricalScore(train, process)
    k = jax.random.key(11)
    loss_true = md.training.dsm_loss(k, true_score, train, t, process, n_draws=400)
    loss_emp = md.training.dsm_loss(k, emp, train, t, process, n_draws=400)
    assert float(loss_emp) < float(loss_true)
    # the excess, estimated on the same noised points
    alpha, sigma = process.marginal(t)
    z = jax.random.normal(k, (400, 30, 2)).reshape(-1, 2)
    x = alpha * jnp.tile(train, (400, 1)) + sigma * z
    excess = sigma**2 * jnp.mean(jnp.sum((true_score(x, t) - emp(x, t)) ** 2, axis=1))
    # identity: L(s) - L(s_hat) = excess + 2 E<sigma(s - s_hat), sigma s_hat + z>; the cross term is
    # zero in expectation and, over 12,000 draws, small against the excess
    assert abs(float(loss_true - loss_emp) - float(excess)) < 0.1 * float(excess)


def test_dsm_loss_bad_input(setting):
    law, process, train = setting
    score = md.MixtureScore(law, process)
    with pytest.raises(ValueError, match="t"):
        md.training.dsm_loss(jax.random.key(0), score, train, 0.0, process)
    with pytest.raises(ValueError, match="data"):
        md.training.dsm_loss(jax.random.key(0), score, train[:0], 0.1, process)
    with pytest.raises(ValueError, match="n_draws"):
        md.training.dsm_loss(jax.random.key(0), score, train, 0.1, process, n_draws=0)
