"""Forward processes and time grids."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manifold_diffusion as md


@pytest.mark.parametrize("process", [md.VP(), md.VE()], ids=["VP", "VE"])
def test_marginal_solves_the_moment_equations(process):
    r"""For a linear drift f(x) = lam x: d alpha/dt = lam alpha and d sigma^2/dt = 2 lam sigma^2 + g^2."""
    lam = float(process.drift(jnp.ones((1, 1)), 0.5)[0, 0])
    for t in (0.01, 0.3, 2.0):
        dalpha = jax.grad(lambda s: process.marginal(s)[0])(t)
        dvar = jax.grad(lambda s: process.marginal(s)[1] ** 2)(t)
        alpha, sigma = process.marginal(t)
        g = process.diffusion(t)
        np.testing.assert_allclose(dalpha, lam * alpha, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(dvar, 2 * lam * sigma**2 + g**2, rtol=1e-4)


def test_vp_sigma_is_accurate_at_tiny_t():
    # sigma_t^2 = -expm1(-2t); 1 - exp(-2t) would lose most float32 digits here.
    for t in (1e-8, 1e-6, 1e-4):
        _, sigma = md.VP().marginal(jnp.float32(t))
        exact = np.sqrt(-np.expm1(-2 * t))
        assert abs(float(sigma) / exact - 1) < 1e-6


def test_perturb_has_the_marginal_law(key):
    process, b = md.VP(), 20_000
    x0 = jnp.tile(jnp.array([[1.0, -2.0]]), (b, 1))
    xt = process.perturb(key, x0, 0.7)
    alpha, sigma = process.marginal(0.7)
    # mean within 5 standard errors sigma/sqrt(b); std within 5 SE sigma/sqrt(2b)
    np.testing.assert_allclose(xt.mean(0), alpha * x0[0], atol=5 * float(sigma) / np.sqrt(b))
    np.testing.assert_allclose(xt.std(0), sigma, atol=5 * float(sigma) / np.sqrt(2 * b))


def test_prior_sample_scale(key):
    process = md.VE(T=4.0)
    x = process.prior_sample(key, (10_000, 3))
    assert x.shape == (10_000, 3)
    assert abs(float(x.std()) - 2.0) < 5 * 2.0 / np.sqrt(2 * x.size)
    np.testing.assert_allclose(process.prior_log_prob(jnp.zeros((1, 3))),
                               -1.5 * np.log(2 * np.pi * 4.0), rtol=1e-6)


@pytest.mark.parametrize("make", [md.uniform_grid, md.geometric_grid])
def test_grids(make):
    grid = make(5.0, 1e-3, 50)
    assert grid.shape == (51,)
    np.testing.assert_allclose([grid[0], grid[-1]], [5.0, 1e-3], rtol=1e-6)
    assert bool(jnp.all(jnp.diff(grid) < 0))
    with_zero = make(5.0, 1e-3, 50, include_zero=True)
    assert with_zero.shape == (52,) and float(with_zero[-1]) == 0.0


def test_geometric_grid_has_constant_ratio():
    grid = np.asarray(md.geometric_grid(9.0, 1e-4, 20), np.float64)
    ratios = grid[1:] / grid[:-1]
    np.testing.assert_allclose(ratios, (1e-4 / 9.0) ** (1 / 20), rtol=1e-4)


@pytest.mark.parametrize("args, match", [
    ((5.0, 5.0, 10), "t_min"), ((5.0, 0.0, 10), "t_min"), ((5.0, 1e-3, 0), "n_steps"),
    ((-1.0, 1e-3, 10), "T"), ((5.0, 1e-3, 2.5), "n_steps"),
])
def test_grid_bad_input(args, match):
    with pytest.raises((ValueError, TypeError), match=match):
        md.geometric_grid(*args)


def test_bad_process_time():
    with pytest.raises(ValueError, match="T"):
        md.VP(T=-1.0)
    with pytest.raises(ValueError, match="t"):
        md.VP().perturb(jax.random.key(0), jnp.zeros((2, 2)), 0.0)
