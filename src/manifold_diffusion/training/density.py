r"""The density a score implies, and :math:`\mathrm{KL}(p_0\,\|\,p_\theta)` on a grid.

:func:`flow_log_density` is the probability-flow likelihood :cite:`song2021score`: the ODE
:math:`\dot x = v(x,t) = f(x,t) - \tfrac12 g(t)^2 s(x,t)` carries the prior at :math:`T` to a
law :math:`p_\theta` at :math:`t_{\min}` (the law of the deterministic sampler's output), and by
the instantaneous change of variables

.. math:: \log p_\theta(x) = \log\pi(x_T) + \int_{t_{\min}}^{T}\nabla\!\cdot v(x_t, t)\,dt,
          \qquad x_{t_{\min}} = x,

integrated *forward* from :math:`x` with Heun's method on a geometric grid, the divergence
exact (``d`` Jacobian-vector products; meant for ``d <= 3``). Its biases: the ODE's
discretisation error (second order in the step), the prior mismatch
:math:`\mathrm{KL}(p_T\|\pi)` (:math:`\approx e^{-2T}\mu^2/2` for VP), and the cut-off
:math:`t_{\min}` (the law at :math:`t_{\min}` is :math:`p_0` convolved with
:math:`N(0,\sigma_{t_{\min}}^2)`). Run it with the exact score to measure the floor that these
leave (:func:`kl_on_grid` of the exact :class:`~manifold_diffusion.scores.MixtureScore`).

:func:`integrated_log_density` is the cheaper 1-D alternative that reads the density off the
score at one small time, :math:`\log p(x) = \int^x s(y, t_{\min})\,dy + c` (what
:cite:`li2023generalization` call the density of the learned score; it is not the law of any
sampler's output).
"""

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._checks import as_float_array, check_callable, check_monotone, check_positive_int
from ..processes import Process, geometric_grid
from .._types import ArrayInput

__all__ = ["flow_log_density", "integrated_log_density", "normalize_log_density", "kl_on_grid",
           "mode_masses"]


def flow_log_density(score_fn, x: ArrayInput, process: Process, *, t_min: float = 1e-3,
                     n_steps: int = 64) -> Float[Array, " b"]:
    r"""Log-density at ``x`` of the probability-flow ODE's output law at ``t_min``.

    Args:
      score_fn: ``score_fn(x, t)``, ``(b, d) -> (b, d)``.
      x: ``(b, d)`` points (``d`` small: the divergence costs ``d`` forward passes).
      process: the forward process; its prior is :math:`\pi`.
      t_min: the time the law is read at.
      n_steps: Heun steps on a geometric grid from ``t_min`` to ``T``.

    Returns:
      ``(b,)`` log-densities.
    """
    check_callable("score_fn", score_fn, "a score score_fn(x, t)")
    x = as_float_array("x", x, ndim=2)
    n_steps = check_positive_int("n_steps", n_steps)
    grid = geometric_grid(process.T, t_min, n_steps)[::-1].astype(x.dtype)   # increasing
    return _flow_log_density(score_fn, x, grid, process)


def _flow_log_density(score_fn, x, grid, process):
    d = x.shape[1]
    eye = jnp.eye(d, dtype=x.dtype)

    def velocity_and_divergence(y, t):
        g = process.diffusion(t)
        v = lambda z: process.drift(z, t) - 0.5 * g * g * score_fn(z, t)   # noqa: E731
        out, div = v(y), jnp.zeros(y.shape[0], y.dtype)
        for k in range(d):
            _, col = jax.jvp(v, (y,), (jnp.broadcast_to(eye[k], y.shape),))
            div = div + col[:, k]
        return out, div

    def step(carry, inp):
        """One Heun step forward from ``t`` to ``t_next`` of (x, accumulated divergence)."""
        y, acc = carry
        t, t_next = inp
        h = t_next - t
        v0, d0 = velocity_and_divergence(y, t)
        v1, d1 = velocity_and_divergence(y + h * v0, t_next)
        return (y + 0.5 * h * (v0 + v1), acc + 0.5 * h * (d0 + d1)), None

    (x_T, acc), _ = jax.lax.scan(step, (x, jnp.zeros(x.shape[0], x.dtype)),
                                 (grid[:-1], grid[1:]))
    return process.prior_log_prob(x_T) + acc


def integrated_log_density(score_fn, x_grid: ArrayInput, t) -> Float[Array, " g"]:
    r"""1-D log-density (up to a constant) read off the score at time ``t``:
    cumulative trapezoid of :math:`s(x, t)` over the increasing ``x_grid`` ``(g,)``."""
    check_callable("score_fn", score_fn, "a score score_fn(x, t)")
    x_grid = _check_grid(x_grid)
    s = score_fn(x_grid[:, None], t)[:, 0]
    incr = 0.5 * (s[1:] + s[:-1]) * jnp.diff(x_grid)
    return jnp.concatenate([jnp.zeros((1,), s.dtype), jnp.cumsum(incr)])


def _check_grid(x_grid):
    """``x_grid`` as a ``(g,)`` float array with ``g >= 2``, increasing (checked when concrete)."""
    x_grid = as_float_array("x_grid", x_grid, ndim=1)
    if x_grid.shape[0] < 2:
        raise ValueError(f"x_grid: expected at least 2 points, got shape {tuple(x_grid.shape)}")
    check_monotone("x_grid", x_grid)          # on concrete grids (a no-op under a trace)
    return x_grid


def _check_values(name, values, x_grid):
    """``values`` as a float array whose last axis has the grid's length ``g``."""
    values = as_float_array(name, values, min_ndim=1)
    if values.shape[-1] != x_grid.shape[0]:
        raise ValueError(f"{name}: expected shape (..., {x_grid.shape[0]}) (g from x_grid), got "
                         f"{tuple(values.shape)}")
    return values


def normalize_log_density(log_q, x_grid):
    """Subtract the log of the trapezoid integral of :math:`e^{\\log q}` over ``x_grid``:
    ``log_q`` ``(..., g)`` on the increasing ``x_grid`` ``(g,)``."""
    x_grid = _check_grid(x_grid)
    log_q = _check_values("log_q", log_q, x_grid)
    m = jnp.max(log_q, axis=-1, keepdims=True)
    w = jnp.exp(log_q - m)
    dx = jnp.broadcast_to(jnp.diff(x_grid), w[..., 1:].shape)
    mass = jnp.sum(0.5 * (w[..., 1:] + w[..., :-1]) * dx, axis=-1, keepdims=True)
    return log_q - m - jnp.log(mass)


def kl_on_grid(log_p0, log_q, x_grid, *, normalize: bool = True):
    r""":math:`\mathrm{KL}(p_0\|q) = \int p_0(\log p_0 - \log q)\,dx` by the trapezoid rule.

    Args:
      log_p0: ``(g,)`` log-density of the data law on ``x_grid``.
      log_q: ``(..., g)`` log-densities of the models on ``x_grid``.
      x_grid: ``(g,)`` increasing points covering :math:`p_0`'s mass.
      normalize: renormalise ``q`` (and :math:`p_0`) on the grid first.

    Returns:
      ``(...)`` KL values.
    """
    x_grid = _check_grid(x_grid)
    log_q = _check_values("log_q", log_q, x_grid)
    log_p0 = jnp.broadcast_to(_check_values("log_p0", log_p0, x_grid), log_q.shape)
    if normalize:
        log_q = normalize_log_density(log_q, x_grid)
        log_p0 = normalize_log_density(log_p0, x_grid)
    p0 = jnp.exp(log_p0)
    f = p0 * (log_p0 - log_q)
    dx = jnp.broadcast_to(jnp.diff(x_grid), f[..., 1:].shape)
    return jnp.sum(0.5 * (f[..., 1:] + f[..., :-1]) * dx, axis=-1)


def mode_masses(log_q, x_grid, split: float = 0.0):
    """Mass of the (normalised) density ``q`` on ``x < split`` and ``x >= split``: ``(..., 2)``."""
    x_grid = _check_grid(x_grid)
    q = np.exp(np.asarray(normalize_log_density(log_q, x_grid)))
    x_grid = np.asarray(x_grid)
    dx = np.gradient(x_grid)
    left = np.sum(q * dx * (x_grid < split), axis=-1)
    right = np.sum(q * dx * (x_grid >= split), axis=-1)
    tot = left + right
    return np.stack([left / tot, right / tot], axis=-1)
