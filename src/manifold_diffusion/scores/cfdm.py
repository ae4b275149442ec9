r"""Smoothed closed-form diffusion (:math:`\sigma`-CFDM, :cite:`scarvelis2025closedform`).

A training-free generator. On the flow-matching path

.. math:: z_t = t\,x + (1 - t)\,\varepsilon, \qquad x \sim \hat\mu = \tfrac1n\textstyle\sum_i\delta_{x_i},
          \quad \varepsilon\sim N(0, I_d), \quad t\in[0, 1]

(:math:`t = 1` is data), the law of :math:`z_t` is the mixture
:math:`\frac1n\sum_i N(t x_i, (1-t)^2 I)`, whose score :math:`s(z, t)` and posterior mean

.. math:: \hat x(z, t) = \mathbb E[x\mid z_t = z] = \sum_i w_i(z)\,x_i, \qquad
          w = \operatorname{softmax}_i\Big(-\frac{\|z - t x_i\|^2}{2(1-t)^2}\Big)

are in closed form. The flow-matching velocity :math:`v = \frac1t\big(z + (1-t)\,s(z,t)\big)`
is rewritten with Tweedie's formula, :math:`(1-t)^2 s = t\hat x - z`, as

.. math:: v(z, t) = \frac{\hat x(z, t) - z}{1 - t},

finite at :math:`t = 0`. :math:`\sigma`-CFDM smooths the score over Gaussian perturbations of the
point, :math:`\bar s(z,t) = \frac1M\sum_j s(z + h u_j, t)`; with centred draws
(:math:`\sum_j u_j = 0`, antithetic pairs) this averages the posterior means,

.. math:: \bar v(z, t) = \frac{\frac1M\sum_j \hat x(z + h u_j, t) - z}{1 - t}.

The sampler takes ``S`` Euler steps at :math:`t_k = k/S`, :math:`k = 0..S-1`, from
:math:`z_0\sim N(0, I)`. The last step has :math:`(1 - t)S = 1`, so it lands exactly on the
(smoothed) posterior mean: unsmoothed (``bandwidth = 0``) the outputs are training points; with
:math:`M = 2` they are averages of two denoised points, barycentres of training points.

:func:`cfdm_denoiser`, :func:`cfdm_velocity` and :func:`cfdm_sample` check their arguments
eagerly (concrete values) and then call jitted kernels.
"""

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._checks import as_float_array, check_finite, check_positive_int, check_shape, is_concrete
from ..keys import check_key, named_keys
from .._types import ArrayInput

__all__ = ["cfdm_denoiser", "cfdm_velocity", "cfdm_sample"]


def _check_data(data):
    data = as_float_array("data", data, ndim=2)
    if data.shape[0] == 0 or data.shape[1] == 0:
        raise ValueError(f"data: expected shape (n, d) with n, d >= 1, got {tuple(data.shape)}")
    check_finite("data", data)
    return data


def _check_z(z, data):
    z = as_float_array("z", z, ndim=2)
    check_shape("z", z, (None, data.shape[1]), f"d = {data.shape[1]}, from data")
    return z.astype(data.dtype)


def _check_t(t):
    if is_concrete(t):
        value = np.asarray(t, np.float64)
        if value.shape != () or not (0.0 <= float(value) < 1.0):
            raise ValueError(f"t: expected a scalar in [0, 1) (t = 1 is the data), got {t!r}")


def _check_bandwidth(bandwidth) -> float:
    if isinstance(bandwidth, bool) or not isinstance(bandwidth, (int, float, np.floating, np.integer)):
        raise TypeError(f"bandwidth: expected a number >= 0, got {bandwidth!r}")
    if not (np.isfinite(bandwidth) and bandwidth >= 0):
        raise ValueError(f"bandwidth: expected a finite number >= 0, got {bandwidth!r}")
    return float(bandwidth)


def _denoiser(z, t, data):
    diff = z[:, None, :] - t * data[None, :, :]
    logits = -jnp.sum(diff ** 2, axis=-1) / (2 * (1 - t) ** 2)
    return jax.nn.softmax(logits, axis=-1) @ data


def _velocity(z, t, data, displacements):
    """``displacements``: ``(M, b, d)`` = bandwidth times centred draws (``M = 1`` and zeros: no
    smoothing)."""
    means = jax.vmap(lambda u: _denoiser(z + u, t, data))(displacements)
    return (jnp.mean(means, axis=0) - z) / (1 - t)


def cfdm_denoiser(z: ArrayInput, t, data: ArrayInput) -> Float[Array, "b d"]:
    r"""Closed-form posterior mean :math:`\hat x(z, t) = \mathbb E[x\mid z_t = z]` on the path
    :math:`z_t = t\,x + (1-t)\,\varepsilon`, :math:`x` uniform on ``data``.

    A softmax over the training points of the logits :math:`-\|z - t x_i\|^2/2(1-t)^2`.

    Args:
      z: ``(b, d)`` points.
      t: scalar in :math:`[0, 1)`.
      data: ``(n, d)`` training points.

    Returns:
      ``(b, d)``, convex combinations of the training points.
    """
    data = _check_data(data)
    z = _check_z(z, data)
    _check_t(t)
    return _denoiser(z, jnp.asarray(t, data.dtype), data)


def cfdm_velocity(z: ArrayInput, t, data: ArrayInput, bandwidth: float = 0.0,
                  draws: ArrayInput = None) -> Float[Array, "b d"]:
    r"""Velocity of :math:`\sigma`-CFDM at ``(z, t)`` (module docstring for the formulas).

    Without ``draws`` (or with ``bandwidth = 0``) this is the unsmoothed closed-form velocity
    :math:`(\hat x(z,t) - z)/(1-t)`, equal to the flow-matching form
    :math:`(z + (1-t)\,s(z,t))/t` for :math:`t > 0`. With unit ``draws`` :math:`u_j` whose mean
    over the first axis is 0 (antithetic pairs), it is
    :math:`\big(\frac1M\sum_j\hat x(z + h u_j, t) - z\big)/(1-t)`, the velocity of the smoothed
    score :math:`\frac1M\sum_j s(z + hu_j, t)`.

    Args:
      z: ``(b, d)`` points.
      t: scalar in :math:`[0, 1)`.
      data: ``(n, d)`` training points.
      bandwidth: :math:`h \ge 0`.
      draws: ``(M, b, d)`` unit perturbations, one set per point (``None``: no smoothing). The
        identity with the smoothed score needs them centred; that is not checked.

    Returns:
      ``(b, d)``.
    """
    data = _check_data(data)
    z = _check_z(z, data)
    _check_t(t)
    h = _check_bandwidth(bandwidth)
    t = jnp.asarray(t, data.dtype)
    if draws is None or h == 0.0:
        return _velocity(z, t, data, jnp.zeros((1,) + z.shape, data.dtype))
    draws = as_float_array("draws", draws, ndim=3)
    check_shape("draws", draws, (None,) + tuple(z.shape), f"(M, b, d) with (b, d) = {tuple(z.shape)}, from z")
    return _velocity(z, t, data, h * draws.astype(data.dtype))


@jax.jit
def _flow(step_keys, z0, data, bandwidth, half_draws):
    """Euler steps of the smoothed velocity at ``t_k = k / S`` with fresh antithetic draws."""
    n_steps = step_keys.shape[0]
    times = jnp.arange(n_steps, dtype=z0.dtype) / n_steps

    def step(z, inputs):
        """One Euler step from ``t`` to ``t + 1/S``, ``M/2`` fresh draws and their negatives."""
        t, k = inputs
        u = jax.random.normal(k, (half_draws.shape[0],) + z.shape, z.dtype)
        displacements = bandwidth * jnp.concatenate([u, -u], axis=0)
        return z + _velocity(z, t, data, displacements) / n_steps, None

    z, _ = jax.lax.scan(step, z0, (times, step_keys))
    return z


def cfdm_sample(key, data: ArrayInput, n_samples: int, *, bandwidth: float = 0.0,
                n_draws: int = 2, n_steps: int = 100) -> Float[Array, "b d"]:
    r""":math:`\sigma`-CFDM samples :cite:`scarvelis2025closedform`.

    ``n_steps`` Euler steps of :func:`cfdm_velocity` at :math:`t_k = k/S` from
    :math:`z_0\sim N(0, I_d)` to :math:`t = 1`, with ``n_draws`` fresh antithetic draws (``n_draws/2``
    pairs :math:`(u, -u)`) per step and per sample. The last step lands on the (smoothed)
    posterior mean, so ``bandwidth = 0`` returns training points exactly (up to rounding).

    The keys are ``named_keys(key, "prior", "steps")``; step ``k`` draws from the ``k``-th key of
    ``split(steps, n_steps)``, so for one ``key`` the prior draw is the same at every bandwidth.

    Args:
      key: a ``jax.random`` key.
      data: ``(n, d)`` training points.
      n_samples: number of outputs ``b``.
      bandwidth: :math:`h \ge 0` (the paper's :math:`\sigma`; its default is 0.4).
      n_draws: perturbations per step, even, :math:`\ge 2` (the paper's :math:`M = 2`).
      n_steps: Euler steps :math:`S \ge 1` (the paper's 100).

    Returns:
      ``(b, d)`` outputs.
    """
    key = check_key("key", key)
    data = _check_data(data)
    n_samples = check_positive_int("n_samples", n_samples)
    h = _check_bandwidth(bandwidth)
    n_draws = check_positive_int("n_draws", n_draws)
    if n_draws % 2:
        raise ValueError(f"n_draws: expected an even number >= 2 (antithetic pairs), got {n_draws}")
    n_steps = check_positive_int("n_steps", n_steps)
    keys = named_keys(key, "prior", "steps")
    z0 = jax.random.normal(keys.prior, (n_samples, data.shape[1]), data.dtype)
    return _flow(jax.random.split(keys.steps, n_steps), z0, data, jnp.asarray(h, data.dtype),
                 jnp.zeros(n_draws // 2))
