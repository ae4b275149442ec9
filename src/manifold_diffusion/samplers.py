r"""Reverse-time samplers and the Tweedie denoiser. Each takes any ``score_fn(x, t)``.

Running the forward SDE :math:`dX = f(X,t)\,dt + g(t)\,dW` backwards in time gives
:cite:`song2021score`

.. math:: dX_t = \big[f(X_t,t) - g(t)^2\,\nabla\log p_t(X_t)\big]\,dt + g(t)\,d\bar W_t
   \quad\text{(reverse SDE)},\qquad
   \frac{dx}{dt} = f(x,t) - \tfrac12 g(t)^2\,\nabla\log p_t(x)\quad\text{(probability flow)},

both of which carry the time-:math:`T` marginal back to the data law when the exact score is
used. The samplers integrate these over a *decreasing* time grid ``T = t_0 > ... > t_last``
with a ``lax.scan``, one compiled program whatever the number of steps. Step ``i`` draws its
noise from ``fold_in(key, i)``, so a result does not depend on how the batch is laid out.
The last step is taken without noise ("denoising is one predictor step without noise"); when
the grid ends at 0 the score is never evaluated there.

**Checks** (eager, before anything is compiled): the key (``keys.check_key``); ``score_fn`` is
callable and ``process`` a :class:`~manifold_diffusion.processes.Process` -- the score's own
``score_fn.process`` when it has one (``ValueError`` naming ``process`` otherwise: a VP score
sampled under VE runs, but samples nothing meaningful); the starting points are finite
``(b, d)`` with ``d == score_fn.d`` when the score has one; the grid is finite, strictly
decreasing, in ``(0, T]`` (its last time may be 0). Grid and starting points are checked only
when concrete: inside a caller's ``jit`` the shapes are still checked, the values are not.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ._checks import (as_float_array, check_callable, check_choice, check_finite, check_positive,
                      check_positive_int, check_scalar, check_type, is_concrete)
from ._types import ArrayInput, Size, TimeInput
from .keys import check_key, named_keys
from .processes import Process

__all__ = ["sample", "euler_maruyama", "heun_probability_flow", "tweedie_denoiser", "langevin",
           "tempered_langevin"]


def _check_score_and_process(score_fn, process, *, name: str = "process"):
    """``score_fn`` is callable and ``process`` a Process, the same as ``score_fn.process`` if it has one."""
    check_callable("score_fn", score_fn, "a callable score_fn(x, t)")
    check_type(name, process, Process, "a manifold_diffusion Process (VP, VE)")
    own = getattr(score_fn, "process", None)
    if isinstance(own, Process) and own != process:
        raise ValueError(f"{name}: expected the process the score was built on ({own!r}), got "
                         f"{process!r}; sample with score_fn.process")


def _check_points(name: str, x, score_fn):
    """A finite ``(b, d)`` array with ``b, d >= 1`` and ``d == score_fn.d`` when the score has one."""
    x = as_float_array(name, x, ndim=2)
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{name}: expected shape (b, d) with b, d >= 1, got {x.shape}")
    score_d = getattr(score_fn, "d", None)
    if isinstance(score_d, (int, np.integer)) and x.shape[1] != int(score_d):
        raise ValueError(f"{name}: expected shape (b, {int(score_d)}) (d = score_fn.d), got {x.shape}")
    check_finite(name, x)
    return x


def _check_sampler_args(score_fn, x_T, grid, process):
    _check_score_and_process(score_fn, process)
    x_T = _check_points("x_T", x_T, score_fn)
    grid = as_float_array("grid", grid, ndim=1).astype(x_T.dtype)
    if grid.shape[0] < 2:
        raise ValueError(f"grid: expected at least 2 times, got shape {grid.shape}")
    if is_concrete(grid):
        g = np.asarray(grid, np.float64)
        if not np.all(np.isfinite(g)):
            raise ValueError("grid: expected finite times")
        if not np.all(np.diff(g) < 0):
            raise ValueError("grid: expected strictly decreasing times (T down to t_min)")
        if g[0] > process.T * (1 + 1e-6) or g[-1] < 0 or (g[:-1] <= 0).any():
            raise ValueError(f"grid: expected times in (0, T = {process.T}] (the last may be 0), "
                             f"got [{g[-1]:.3g}, {g[0]:.3g}]")
    return x_T, grid


def _scan_steps(step, x_T, grid, return_path):
    """Run ``step(x, (i, t, t_next, last))`` over the grid; optionally keep every state."""
    n = grid.shape[0] - 1
    inputs = (jnp.arange(n), grid[:-1], grid[1:], jnp.arange(n) == n - 1)

    def body(x, inp):
        x_new = step(x, inp)
        return x_new, (x_new if return_path else None)

    x_last, path = jax.lax.scan(body, x_T, inputs)
    if return_path:
        return x_last, jnp.concatenate([x_T[None], path], axis=0)
    return x_last


@eqx.filter_jit
def _euler_maruyama(key, score_fn, x_T, grid, process, return_path):
    def step(x, inp):
        """One reverse Euler--Maruyama step from ``t`` down to ``t_next``."""
        i, t, t_next, last = inp
        h = t - t_next
        g = process.diffusion(t)
        mean = x + h * (g * g * score_fn(x, t) - process.drift(x, t))
        z = jax.random.normal(jax.random.fold_in(key, i), x.shape, x.dtype)
        return jnp.where(last, mean, mean + g * jnp.sqrt(h) * z)

    return _scan_steps(step, x_T, grid, return_path)


def euler_maruyama(key, score_fn, x_T: ArrayInput, grid: ArrayInput,
                   process: Process, *, return_path: bool = False):
    r"""Sample the reverse SDE with Euler--Maruyama.

    .. math:: x_{j+1} = x_j + h_j\big[g(t_j)^2\, s(x_j, t_j) - f(x_j, t_j)\big]
                        + g(t_j)\sqrt{h_j}\, z_j, \qquad h_j = t_j - t_{j+1},

    with :math:`z_j \sim N(0, I)` from ``fold_in(key, j)`` and no noise on the last step.
    With the VE process and a grid ending ``t_min, 0``, the last step is exactly the Tweedie
    denoiser at ``t_min``.

    Args:
      key: a ``jax.random`` key used by this call alone. Step ``j`` draws from
        ``fold_in(key, j)``, which for JAX's default generator equals ``split(key, m)[j]``:
        do not also use ``key``'s split children elsewhere (e.g. for ``x_T``).
      score_fn: ``score_fn(x, t)``, ``(b, d) -> (b, d)``; an ``equinox.Module`` (such as
        :class:`~manifold_diffusion.scores.EmpiricalScore`) has its arrays traced, not baked in.
      x_T: ``(b, d)`` starting points, usually ``process.prior_sample``.
      grid: ``(s,)`` strictly decreasing times in ``(0, T]``; the last may be 0.
      process: the forward process.
      return_path: also return every state.

    Returns:
      ``(b, d)`` samples at ``grid[-1]``; with ``return_path``, also the ``(s, b, d)`` path
      (``path[0] = x_T``).
    """
    key = check_key("key", key)
    x_T, grid = _check_sampler_args(score_fn, x_T, grid, process)
    return _euler_maruyama(key, score_fn, x_T, grid, process, return_path)


@eqx.filter_jit
def _heun_probability_flow(score_fn, x_T, grid, process, return_path):
    def velocity(x, t):
        """Probability-flow ODE right-hand side :math:`f - g^2 s / 2`."""
        g = process.diffusion(t)
        return process.drift(x, t) - 0.5 * g * g * score_fn(x, t)

    def step(x, inp):
        """One Heun step from ``t`` down to ``t_next`` (Euler if ``t_next == 0``)."""
        _, t, t_next, _ = inp
        dt = t_next - t
        v0 = velocity(x, t)
        x_euler = x + dt * v0
        safe_t = jnp.where(t_next > 0, t_next, t)          # never evaluate the score at t = 0
        v1 = velocity(x_euler, safe_t)
        return jnp.where(t_next > 0, x + 0.5 * dt * (v0 + v1), x_euler)

    return _scan_steps(step, x_T, grid, return_path)


def heun_probability_flow(score_fn, x_T: ArrayInput, grid: ArrayInput,
                          process: Process, *, return_path: bool = False):
    r"""Integrate the probability-flow ODE backwards with Heun's second-order method.

    .. math:: \tilde x = x_j + \Delta_j v(x_j, t_j), \qquad
              x_{j+1} = x_j + \tfrac{\Delta_j}{2}\big[v(x_j, t_j) + v(\tilde x, t_{j+1})\big],

    with :math:`v = f - \tfrac12 g^2 s` and :math:`\Delta_j = t_{j+1} - t_j < 0`; a step to
    :math:`t = 0` is a plain Euler step. Deterministic: no key.

    Args and returns as :func:`euler_maruyama`.
    """
    x_T, grid = _check_sampler_args(score_fn, x_T, grid, process)
    return _heun_probability_flow(score_fn, x_T, grid, process, return_path)


def sample(key, score_fn, process: Process, n: Size, grid: ArrayInput, *,
           d: Size | None = None, method: str = "sde", denoise: bool = False,
           return_path: bool = False):
    r"""Draw ``n`` samples: start from the process's prior at ``grid[0]`` and run the reverse-time
    sampler with ``score_fn`` down the grid -- the prelude every sampling experiment shares.

    .. math:: x_T \sim N(0, \text{prior\_std}^2 I_d), \qquad
              x_{t_{\min}} = \text{sampler}(x_T; s, \text{grid}), \qquad
              \text{optionally } \hat x_0 = \big(x_{t_{\min}} + \sigma^2 s(x_{t_{\min}}, t_{\min})\big)/\alpha .

    The prior draw and the sampler's noise use the keys ``named_keys(key, "prior", "noise")``,
    so the same ``key`` gives the same starting points whatever the ``method``.

    Args:
      key: a ``jax.random`` key.
      score_fn: ``score_fn(x, t)``; its dimension is ``score_fn.d`` when it has one.
      process: the forward process (its prior starts the sampler).
      n: number of samples.
      grid: ``(s,)`` strictly decreasing times, as :func:`euler_maruyama` takes them.
      d: the dimension, required when ``score_fn`` has no ``d`` attribute.
      method: ``"sde"`` (:func:`euler_maruyama`) or ``"ode"`` (:func:`heun_probability_flow`).
      denoise: end with one Tweedie step at ``grid[-1]`` (which must then be ``> 0``).
      return_path: also return the ``(s, n, d)`` path.

    Returns:
      ``(n, d)`` samples (and the path, with ``return_path``).
    """
    key = check_key("key", key)
    _check_score_and_process(score_fn, process)
    n = check_positive_int("n", n)
    check_choice("method", method, ("sde", "ode"))
    score_d = getattr(score_fn, "d", None)
    if d is None:
        if not isinstance(score_d, (int, np.integer)):
            raise TypeError("d: required when score_fn has no integer attribute d")
        d = int(score_d)
    d = check_positive_int("d", d)
    if isinstance(score_d, (int, np.integer)) and int(score_d) != d:
        raise ValueError(f"d: expected {int(score_d)} (score_fn.d), got {d}")
    grid = as_float_array("grid", grid, ndim=1)
    if denoise and grid.shape[0] and is_concrete(grid) and not float(np.asarray(grid)[-1]) > 0:
        raise ValueError("denoise: needs a grid ending at t_min > 0 (the Tweedie step evaluates the "
                         "score there)")
    keys = named_keys(key, "prior", "noise")
    x_T = process.prior_sample(keys.prior, (n, d))
    if method == "sde":
        out = euler_maruyama(keys.noise, score_fn, x_T, grid, process, return_path=return_path)
    else:
        out = heun_probability_flow(score_fn, x_T, grid, process, return_path=return_path)
    if not denoise:
        return out
    x, path = out if return_path else (out, None)
    x = tweedie_denoiser(score_fn, x, grid[-1], process)
    return (x, path) if return_path else x


def tweedie_denoiser(score_fn, x: ArrayInput, t: TimeInput, process: Process) -> Float[Array, "b d"]:
    r"""Posterior mean of the clean data from the score (Tweedie's formula).

    .. math:: E[X_0 \mid X_t = x] = \frac{x + \sigma_t^2\, \nabla\log p_t(x)}{\alpha_t}.

    Args: score_fn: a score. x: ``(b, d)``. t: scalar in ``(0, T]``. process: the process.
    Returns: ``(b, d)``.
    """
    _check_score_and_process(score_fn, process)
    x = _check_points("x", x, score_fn)
    check_scalar("t", t)
    process.check_time(t)
    alpha, sigma = process.marginal(jnp.asarray(t, x.dtype))
    return (x + sigma * sigma * score_fn(x, t)) / alpha


# ------------------------------------------------------------------ Langevin at a fixed noise level
def _check_langevin_args(score_fn, x0, t, step_size, n_steps, tempering):
    check_callable("score_fn", score_fn, "a callable score_fn(x, t)")
    x0 = _check_points("x0", x0, score_fn)
    for name, value in (("t", t), ("step_size", step_size)):
        check_scalar(name, value)
        check_positive(name, value)
    process = getattr(score_fn, "process", None)
    if isinstance(process, Process):
        process.check_time(t)
    n_steps = check_positive_int("n_steps", n_steps)
    if tempering is not None:
        check_scalar("alpha", tempering)
        if is_concrete(tempering) and not (np.isfinite(float(tempering)) and float(tempering) >= 0):
            raise ValueError(f"alpha: expected a finite value >= 0, got {tempering!r}")
    return x0, n_steps


@eqx.filter_jit
def _langevin(key, score_fn, x0, t, step_size, factor, n_steps):
    t = jnp.asarray(t, x0.dtype)
    h = jnp.asarray(step_size, x0.dtype)
    drift_scale = h * jnp.asarray(factor, x0.dtype)
    noise_scale = jnp.sqrt(2.0 * h)

    def step(x, i):
        """One unadjusted Langevin step :math:`x + h c\\,s(x, t) + \\sqrt{2h}\\,z`."""
        z = jax.random.normal(jax.random.fold_in(key, i), x.shape, x.dtype)
        return x + drift_scale * score_fn(x, t) + noise_scale * z, None

    x_last, _ = jax.lax.scan(step, x0, jnp.arange(n_steps))
    return x_last


def langevin(key, score_fn, x0: ArrayInput, t: TimeInput, step_size: TimeInput, n_steps: Size
             ) -> Float[Array, "b d"]:
    r"""Unadjusted Langevin algorithm at the fixed noise level ``t``.

    .. math:: x_{j+1} = x_j + h\, s(x_j, t) + \sqrt{2h}\, z_j, \qquad z_j \sim N(0, I_d)
              \text{ from } \texttt{fold\_in(key, j)},

    the Euler--Maruyama discretisation of :math:`dX = \nabla\log p_t(X)\,ds + \sqrt2\,dW`,
    whose stationary law is :math:`p_t` itself (up to an :math:`O(h)` bias). For data on a
    manifold the score has normal stiffness :math:`1/\sigma_t^2`, so the step must satisfy
    :math:`h \ll \sigma_t^2` (stable for :math:`h < 2\sigma_t^2`; :math:`h = 0.1\sigma_t^2`
    inflates the normal variance by about 5 %); the tangential motion is Brownian, so mixing
    along a curve of length :math:`L` takes time :math:`\approx (L/2\pi)^2`, that is
    :math:`\approx L^2/(4\pi^2 h)` steps.

    Args:
      key: a ``jax.random`` key used by this call alone (step ``j`` draws from
        ``fold_in(key, j)``: do not also use ``split(key, ...)`` children elsewhere).
      score_fn: ``score_fn(x, t)``, ``(b, d) -> (b, d)``.
      x0: ``(b, d)`` starting points, ``b`` independent chains.
      t: the fixed time (noise level :math:`\sigma_t`) at which the score is evaluated.
      step_size: :math:`h > 0`.
      n_steps: number of steps (one ``lax.scan``).

    Returns:
      ``(b, d)`` the chains after ``n_steps`` steps.
    """
    key = check_key("key", key)
    x0, n_steps = _check_langevin_args(score_fn, x0, t, step_size, n_steps, None)
    return _langevin(key, score_fn, x0, t, step_size, 1.0, n_steps)


def tempered_langevin(key, score_fn, x0: ArrayInput, t: TimeInput, step_size: TimeInput, n_steps: Size,
                      alpha, *, process: Process | None = None) -> Float[Array, "b d"]:
    r"""Tempered-score Langevin: the score multiplied by :math:`\sigma_t^\alpha` :cite:`shen2026manifold`.

    .. math:: x_{j+1} = x_j + h\,\sigma_t^{\alpha}\, s(x_j, t) + \sqrt{2h}\, z_j,

    the discretisation of :math:`dX = \sigma^\alpha s(X, \sigma)\,ds + \sqrt2\,dW`, whose stationary
    density with the exact score is :math:`\propto p_t^{\sigma_t^\alpha} = \exp\big(-\sigma_t^{\alpha-2}
    \operatorname{dist}^2(x, M)/2 + \sigma_t^\alpha O(1)\big)`: for :math:`0 < \alpha < 2` and
    :math:`\sigma_t\to0` it concentrates on ``M`` with normal width :math:`\sigma_t^{1-\alpha/2}`
    and tends to the **uniform** (volume) law on ``M``, whatever the data density. The
    normal stiffness is :math:`\sigma_t^{\alpha-2}`, so take :math:`h \ll \sigma_t^{2-\alpha}`.

    Args:
      key, score_fn, x0, t, step_size, n_steps: as in :func:`langevin`.
      alpha: the tempering exponent :math:`\alpha \ge 0` (0 is plain Langevin).
      process: the forward process giving :math:`\sigma_t`; by default ``score_fn.process``
        (set on :class:`~manifold_diffusion.scores.EmpiricalScore` and
        :class:`~manifold_diffusion.scores.PopulationScore`).

    Returns:
      ``(b, d)`` the chains after ``n_steps`` steps.
    """
    key = check_key("key", key)
    if process is None:
        process = getattr(score_fn, "process", None)
        if process is None:
            raise TypeError("process: required when score_fn has no .process attribute")
    _check_score_and_process(score_fn, process)
    x0, n_steps = _check_langevin_args(score_fn, x0, t, step_size, n_steps, alpha)
    process.check_time(t)
    _, sigma = process.marginal(jnp.asarray(t, x0.dtype))
    factor = sigma ** jnp.asarray(alpha, x0.dtype)
    return _langevin(key, score_fn, x0, t, step_size, factor, n_steps)
