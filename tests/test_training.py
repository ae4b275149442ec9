"""The denoising score-matching loss and its exact minimiser; the probability-flow likelihood
of an exact score. (The training engine is tested in ``test_engine.py``.)"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manifold_diffusion as md

tr = md.training


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


def _gaussian_1d(mean=0.7, var=0.5):
    return md.GaussianMixture(jnp.array([1.0]), jnp.array([[mean]]), jnp.array([[[var]]]))


@pytest.mark.parametrize("t", [0.05, 0.5])
def test_dsm_loss_exact_score_reaches_analytic_minimum(key, t):
    r"""For population data N(m, v) the exact score of X_t ~ N(alpha m, alpha^2 v + sigma^2) =: N(mu, w)
    minimises E|sigma s + z|^2, with minimum d (1 - sigma^2 / w) (the variance of z not explained
    by X_t); any perturbed score is worse on the same noise (paired draws)."""
    law, process = _gaussian_1d(), md.VP()
    data = law.sample(key, 20000)
    exact = md.MixtureScore(law, process)
    k = jax.random.key(3)
    loss = float(md.training.dsm_loss(k, exact, data, t, process, n_draws=4))
    alpha, sigma = process.marginal(t)
    w = alpha**2 * 0.5 + sigma**2
    analytic = float(1 - sigma**2 / w)
    # 80,000 draws of a chi^2-like residual with variance < 2: standard error < 0.006
    assert abs(loss - analytic) < 0.03
    for perturbed in (lambda x, s: exact(x, s) + 0.3, lambda x, s: 1.2 * exact(x, s),
                      lambda x, s: exact(x, s) + 0.2 * jnp.sin(3 * x)):
        assert float(md.training.dsm_loss(k, perturbed, data, t, process, n_draws=4)) > loss


def test_flow_log_density_of_exact_gaussian_score(key):
    """The probability-flow likelihood of the exact score equals the closed-form log p_{t_min}."""
    law, process = _gaussian_1d(), md.VP()
    x = jnp.linspace(-2.0, 3.0, 41)[:, None]
    lq = tr.flow_log_density(md.MixtureScore(law, process), x, process, t_min=1e-3, n_steps=64)
    exact = law.noised(process, 1e-3).log_prob(x)
    # the prior N(0, 1) against p_T = N(alpha_T m, ...) with alpha_T m = 0.7 e^{-5} = 0.005: the
    # log-ratio at a point that the flow carries to |y| ~ 3 is about 3 * 0.005 = 0.015; plus Heun
    # error of order 1e-3
    np.testing.assert_allclose(lq, exact, atol=0.03)
    kl = tr.kl_on_grid(law.log_prob(x), lq, x[:, 0])
    assert abs(float(kl)) < 1e-3
