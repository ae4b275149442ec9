r"""The denoising score-matching (DSM) objective :cite:`vincent2011connection`.

For data points :math:`x_i` and a time :math:`t`, with :math:`\lambda(t) = \sigma_t^2`,

.. math:: \mathcal L_t(s) = \frac1n\sum_{i=1}^n \mathbb E_{z\sim N(0,I)}
          \big\|\sigma_t\, s(\alpha_t x_i + \sigma_t z,\ t) + z\big\|^2 ,

because the conditional score of :math:`X_t = \alpha_t x_i + \sigma_t z` is :math:`-z/\sigma_t`.
Over all functions :math:`s`, :math:`\mathcal L_t` is minimised by the score of the noised
empirical measure of the :math:`x_i` (:class:`~manifold_diffusion.scores.EmpiricalScore`), and

.. math:: \mathcal L_t(s) = \mathcal L_t(\hat s) + \mathbb E\,\sigma_t^2\|s(X_t,t) - \hat s(X_t,t)\|^2 ,

so every other score, the true one included, has a larger loss *on the training set*.
"""

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._checks import as_float_array, check_finite, check_positive_int
from ..processes import Process
from .._types import ArrayInput

__all__ = ["dsm_loss"]


def dsm_loss(key, score_fn, data: ArrayInput, t, process: Process, *,
             n_draws: int = 16) -> Float[Array, ""]:
    r"""Monte Carlo estimate of :math:`\mathcal L_t(s)` (see the module docstring) at one time.

    The same ``key`` gives the same noise draws for any ``score_fn``, so two scores compared
    with one key are compared on identical noised points (a paired estimate).

    Args:
      key: a ``jax.random`` key.
      score_fn: ``score_fn(x, t)``, ``(b, d) -> (b, d)``.
      data: ``(n, d)`` points the noise is added to.
      t: scalar time in ``(0, T]``.
      process: the forward process.
      n_draws: noise draws per data point.

    Returns:
      A scalar: the loss averaged over points and draws.
    """
    data = as_float_array("data", data, ndim=2)
    if data.shape[0] == 0:
        raise ValueError(f"data: expected at least one point, got shape {data.shape}")
    check_finite("data", data)
    n_draws = check_positive_int("n_draws", n_draws)
    process.check_time(t)
    alpha, sigma = process.marginal(jnp.asarray(t, data.dtype))
    n, d = data.shape
    z = jax.random.normal(key, (n_draws, n, d), data.dtype).reshape(n_draws * n, d)
    x0 = jnp.tile(data, (n_draws, 1))
    residual = sigma * score_fn(alpha * x0 + sigma * z, t) + z
    return jnp.mean(jnp.sum(residual * residual, axis=1))
