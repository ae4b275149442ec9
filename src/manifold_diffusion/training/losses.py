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

__all__ = ["dsm_loss", "weighted_dsm_loss", "WEIGHTINGS", "check_weighting"]


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


#: Time weightings :math:`\lambda(t)` of :func:`weighted_dsm_loss`: ``'li2023'``
#: (:math:`\lambda \propto \sigma_t`) and ``'sigma2'`` (:math:`\lambda = \sigma_t^2`).
WEIGHTINGS = ("li2023", "sigma2")


def _residual_weight(weighting: str, sigma):
    if weighting == "li2023":          # lambda = sigma / sqrt(d): residual weight 1 / sigma
        return 1.0 / sigma
    return jnp.ones_like(sigma)        # 'sigma2': lambda = sigma^2, plain noise prediction


def check_weighting(weighting) -> str:
    """Raise ``ValueError`` unless ``weighting`` is ``'li2023'`` or ``'sigma2'``."""
    if weighting not in ("li2023", "sigma2"):
        raise ValueError(f"weighting: expected 'li2023' or 'sigma2', got {weighting!r}")
    return weighting


def weighted_dsm_loss(key, score_fn, x0: ArrayInput, process: Process, *,
                      t_min: float, weighting: str = "li2023",
                      mask: ArrayInput = None,
                      per_point_time: bool = False) -> Float[Array, ""]:
    r"""Time-integrated DSM loss with weighting :math:`\lambda(t)`, one noise draw per point.

    .. math:: \mathcal L(s) = \mathbb E_{t\sim U(t_{\min},T)}\,\lambda(t)\,
              \mathbb E\,\big\|s(\alpha_t x_0 + \sigma_t z, t) + z/\sigma_t\big\|^2
              = \mathbb E\,\frac{\lambda(t)}{\sigma_t^2}\,\|\sigma_t s + z\|^2 .

    ``weighting='li2023'``: :math:`\lambda(t) = 1/\sqrt{\mathbb E\|\nabla\log p_{t|0}\|^2}
    = \sigma_t/\sqrt d` (:cite:`li2023generalization`, eq. 6), i.e. residual weight
    :math:`1/(\sigma_t\sqrt d)`; the constant :math:`\sqrt d` is dropped (it rescales the loss,
    which Adam ignores). ``weighting='sigma2'``: :math:`\lambda = \sigma_t^2`, the plain
    noise-prediction loss. Each point gets its own time (uniform on :math:`[t_{\min}, T]`) and
    noise. The :math:`t_{\min} > 0` cut-off keeps the ``li2023`` weight finite.

    Args:
      key: a ``jax.random`` key.
      score_fn: ``score_fn(x, t)`` with a *scalar* ``t`` (it is ``vmap``-ed over points).
      x0: ``(b, d)`` clean points.
      process: the forward process.
      t_min: smallest time, ``0 < t_min < T``.
      weighting: ``'li2023'`` or ``'sigma2'``.
      mask: optional ``(b,)`` non-negative weights of the points (padding has weight 0).
      per_point_time: ``score_fn`` accepts a ``(b,)`` vector of times (the models of
        :mod:`.models` do); otherwise it is ``vmap``-ed over points with scalar times.

    Returns:
      A scalar: the (masked) mean over points.
    """
    check_weighting(weighting)
    k_t, k_z = jax.random.split(key)
    b, d = x0.shape
    t = jax.random.uniform(k_t, (b,), x0.dtype, minval=t_min, maxval=process.T)
    z = jax.random.normal(k_z, (b, d), x0.dtype)
    alpha, sigma = process.marginal(t)
    xt = alpha[:, None] * x0 + sigma[:, None] * z
    if per_point_time:
        s = score_fn(xt, t)
    else:
        s = jax.vmap(lambda xi, ti: score_fn(xi[None], ti)[0])(xt, t)
    residual = jnp.sum((sigma[:, None] * s + z) ** 2, axis=1) * _residual_weight(weighting, sigma)
    if mask is None:
        return jnp.mean(residual)
    return jnp.sum(mask * residual) / jnp.maximum(jnp.sum(mask), 1.0)
