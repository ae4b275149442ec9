"""What the chapter's 1-D experiments share: the mixture, the read-out grids, batched read-outs.

Private to this package (the experiment modules of chapter 5).
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from ... import training
from ...processes import VE
from ...scores import EmpiricalScore, GaussianMixture

__all__ = ["mixture", "process", "readout_grid", "flatten_leading", "map_params", "grid_kls", "flow_kls",
           "grid_ceiling", "flow_ceiling", "many_draws_ceiling", "flow_ceiling_se"]

#: The paper's numbers (Li et al. 2023, read from its figures; approximate).
PAPER = {
    # Fig. 8, Adam lr 1e-3: epoch -> KL
    "ucurve_adam": {0: 0.69, 250: 0.23, 500: 0.18, 750: 0.14, 1000: 0.05, 1250: 0.39,
                    1500: 0.25, 1750: 0.33, 2000: 0.85},
    "ucurve": {"start": 0.69, "min": 0.05, "min_epoch": 1000, "late": 0.85},
    # Fig. 11: width -> KL after 1000 epochs; first epoch with KL <= 0.1 (None: not within 10 000)
    "capacity_kl1000": {4: 1.3, 16: 0.45, 64: 0.3, 256: 0.2, 1024: 0.1},
    "capacity_epochs_to_target": {4: None, 16: 4500, 64: 2500, 256: 1500, 1024: 1000},
    # Thm 1 / eq. 16
    "rate_exponent": -0.4, "tau_exponent": 0.4,
}

#: The read-out noise levels of the chapter (the issue's 0.003 and 0.045).
SIGMA_READS = (0.003, 0.045)


def mixture(mu: float) -> GaussianMixture:
    r"""The 1-D law :math:`\tfrac12N(-\mu,1)+\tfrac12N(\mu,1)`."""
    return GaussianMixture(jnp.array([0.5, 0.5]), jnp.array([[-mu], [mu]]), jnp.ones((2, 1, 1)))


def process(sigma_max: float = 50.0) -> VE:
    """The VE process of Song's set-up, :math:`\\sigma_t^2 = t`, :math:`T = \\sigma_{\\max}^2`."""
    return VE(T=sigma_max ** 2)


def readout_grid(mu: float, sigma_read: float, margin: float = 6.0):
    """Points on ``[-mu - margin, mu + margin]`` at spacing ``sigma_read / 3``."""
    half = mu + margin
    n = int(np.ceil(2 * half / (sigma_read / 3.0))) + 1
    return jnp.linspace(-half, half, n)


def flatten_leading(tree):
    """``(flat, lead)``: the parameter pytree with its leading axes (seeds, checkpoints, ...)
    merged into one, and those axes' shape. The leading rank is read off the smallest leaf (every
    network of :mod:`manifold_diffusion.training.networks` has a 1-D bias or feature leaf)."""
    leaves = jax.tree_util.tree_leaves(tree)
    n_lead = min(leaf.ndim for leaf in leaves) - 1
    lead = leaves[0].shape[:n_lead]
    flat = jax.tree_util.tree_map(lambda a: a.reshape((-1,) + a.shape[n_lead:]), tree)
    return flat, lead


def map_params(fn, tree):
    """``fn`` over the leading axes of a parameter pytree, sequentially (``lax.map``) in one
    compiled call (compiled anew for each ``fn``: use the cached read-outs below in loops)."""
    flat, lead = flatten_leading(tree)
    out = jax.jit(lambda t: jax.lax.map(fn, t))(flat)
    return np.asarray(out).reshape(lead + np.shape(out)[1:])


@functools.partial(jax.jit, static_argnames=("den", "sigma_read"))
def _grid_program(flat, den, proc, lp0, xg, sigma_read):
    return jax.lax.map(lambda p: training.kl_grid_readout(
        training.denoiser_score(den, p, proc), lp0, xg, sigma_read=sigma_read), flat)


@functools.partial(jax.jit, static_argnames=("den", "sigma_read", "n_steps"))
def _flow_program(flat, den, proc, x0, log_p0, sigma_read, n_steps):
    return jax.lax.map(lambda p: training.kl_flow_readout(
        training.denoiser_score(den, p, proc), x0, log_p0, sigma_read=sigma_read,
        n_steps=n_steps).kl, flat)


def grid_kls(den, tree, proc, law, sigma_read, mu):
    """Grid read-out KL of every parameter set in ``tree`` (leading axes kept); one compiled
    program per (denoiser, read-out level, grid), reused across calls."""
    xg = readout_grid(mu, sigma_read)
    flat, lead = flatten_leading(tree)
    out = _grid_program(flat, den, proc, law.log_prob(xg[:, None]), xg, float(sigma_read))
    return np.asarray(out).reshape(lead)


def flow_kls(den, tree, proc, x0, log_p0, sigma_read, n_steps):
    """Probability-flow read-out KL (Monte Carlo over ``x0``) of every parameter set."""
    flat, lead = flatten_leading(tree)
    out = _flow_program(flat, den, proc, x0, log_p0, float(sigma_read), int(n_steps))
    return np.asarray(out).reshape(lead)


def grid_ceiling(data, law, proc, sigma_read, mu) -> float:
    """The grid read-out of the empirical score of ``data`` (the memorization ceiling)."""
    xg = readout_grid(mu, sigma_read)
    return training.memorization_ceiling(data, law.log_prob(xg[:, None]), xg, proc,
                                         sigma_read=sigma_read)


def _ceiling_terms(data, proc, x0, log_p0, sigma_read):
    r"""``(b,)`` the terms :math:`\log p_0 - \log\hat p_\sigma` of the flow ceiling at the draws ``x0``."""
    t = training.readout_time(proc, sigma_read)
    return log_p0 - EmpiricalScore(data, proc).log_prob(x0, t)


def flow_ceiling(data, proc, x0, log_p0, sigma_read) -> float:
    r"""The flow read-out's ceiling: :math:`\mathbb E_{p_0}[\log p_0 - \log\hat p_\sigma]` with the
    exact log-density of the noised empirical measure (the law the probability-flow ODE of the
    empirical score carries the prior to; integrating that stiff ODE numerically would add its
    own error)."""
    return float(jnp.mean(_ceiling_terms(data, proc, x0, log_p0, sigma_read)))


def many_draws_ceiling(key, data, law, proc, sigma_read, n_draws: int) -> tuple[float, float]:
    r"""``(value, standard error)`` of the flow read-out's ceiling (:func:`flow_ceiling`) over
    ``n_draws`` fresh draws of ``law`` from ``key``, many more than the read-out's own.

    The integrand :math:`\log p_0 - \log\hat p_\sigma` of the memorizing model is heavy-tailed
    (a fresh point far from every training point weighs heavily), so a few hundred draws
    usually land below the mean; this is the ceiling the read-out's values are compared with."""
    x0 = law.sample(key, n_draws)
    values = _ceiling_terms(data, proc, x0, law.log_prob(x0), sigma_read)
    return float(jnp.mean(values)), float(jnp.std(values) / jnp.sqrt(values.shape[0]))


def flow_ceiling_se(data, proc, x0, log_p0, sigma_read) -> float:
    r"""The Monte Carlo standard error of :func:`flow_ceiling` over the fresh draws ``x0`` (the
    sd of :math:`\log p_0 - \log\hat p_\sigma` over them, over the square root of their number;
    the training draw ``data`` is held fixed)."""
    values = _ceiling_terms(data, proc, x0, log_p0, sigma_read)
    return float(jnp.std(values) / jnp.sqrt(values.shape[0]))
