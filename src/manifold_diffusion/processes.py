r"""Forward noising processes and time grids.

A forward process noises data :math:`X_0` by the linear SDE
:math:`dX_t = f(X_t, t)\,dt + g(t)\,dW_t`, whose conditional law is Gaussian,

.. math:: X_t \mid X_0 \sim \mathcal N(\alpha_t X_0,\ \sigma_t^2 I_d).

Two processes are provided (the vocabulary follows :cite:`song2021score`):

* :class:`VP`, the Ornstein--Uhlenbeck (variance-preserving) process
  :math:`dX_t = -X_t\,dt + \sqrt 2\,dW_t`, with :math:`\alpha_t = e^{-t}` and
  :math:`\sigma_t^2 = 1 - e^{-2t}`;
* :class:`VE`, the variance-exploding process :math:`dX_t = dW_t` with
  :math:`\alpha_t = 1` and :math:`\sigma_t^2 = t` (the convention of :cite:`farghly2025logdomain`'s
  code: variance :math:`v(t) = t`, so :math:`T = \sigma_{\max}^2`).

Both are immutable pytrees (``equinox.Module``), so they can be passed to jitted functions.
Time grids run *backwards*, from ``T`` down to ``t_min`` (optionally then to 0), as the
reverse-time samplers consume them.
"""

import abc
import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ._checks import (as_float_array, check_in_interval, check_positive, check_positive_int,
                      check_scalar, check_shape_tuple)
from ._types import ArrayInput, Size, TimeInput
from .keys import check_key

__all__ = ["Process", "VP", "VE", "uniform_grid", "geometric_grid"]


class Process(eqx.Module):
    """Base class of the forward processes: a linear SDE with Gaussian transitions.

    Subclasses define the abstract :meth:`marginal`, :meth:`drift`, :meth:`diffusion` and
    :meth:`prior_std`. ``T`` is the terminal time; valid diffusion times are ``0 < t <= T``
    (``marginal``, ``drift`` and ``diffusion`` also accept ``t = 0``, the data itself).

    Checks: the public methods check their arguments eagerly; a time is checked against the
    process only when it is concrete (under ``jit`` the caller checks its times, as every
    sampler checks its grid before it starts).
    """

    T: float = eqx.field(static=True)

    def __check_init__(self):
        check_positive("T", self.T)

    # ---------------------------------------------------------------- defined by subclasses
    @abc.abstractmethod
    def _marginal(self, t: Array) -> tuple[Array, Array]:
        """``(alpha_t, sigma_t)`` at checked times ``t`` (any shape)."""

    @abc.abstractmethod
    def _drift(self, x: Array, t: Array) -> Array:
        """Forward drift at checked ``(x, t)``."""

    @abc.abstractmethod
    def _diffusion(self, t: Array) -> Array:
        """Diffusion coefficient at a checked scalar ``t``."""

    @abc.abstractmethod
    def prior_std(self) -> float:
        """Standard deviation of the Gaussian prior the reverse samplers start from."""

    # ---------------------------------------------------------------- public interface
    def _times(self, t, name: str = "t", *, allow_zero: bool = True):
        """``t`` as a float array, checked against ``[0, T]`` (or ``(0, T]``) when concrete."""
        t = as_float_array(name, t)
        check_in_interval(name, t, 0.0, self.T, low_open=not allow_zero)
        return t

    def marginal(self, t: TimeInput) -> tuple[Float[Array, "*s"], Float[Array, "*s"]]:
        r"""Return :math:`(\alpha_t, \sigma_t)` with :math:`X_t | X_0 \sim N(\alpha_t X_0, \sigma_t^2 I)`.

        ``t``: times in ``[0, T]``, any shape (checked when concrete); the outputs have its shape.
        """
        return self._marginal(self._times(t))

    def drift(self, x: ArrayInput, t: TimeInput) -> Float[Array, "..."]:
        """Forward drift :math:`f(x, t)`; shape of ``x``; ``t`` a scalar in ``[0, T]``."""
        x = as_float_array("x", x)
        check_scalar("t", t)
        return self._drift(x, self._times(t))

    def diffusion(self, t: TimeInput) -> Float[Array, ""]:
        """Forward diffusion coefficient :math:`g(t)` (a scalar); ``t`` a scalar in ``[0, T]``."""
        check_scalar("t", t)
        return self._diffusion(self._times(t))

    def sde(self, x: ArrayInput, t: TimeInput) -> tuple[Float[Array, "..."], Float[Array, ""]]:
        """``(drift, diffusion)`` of the forward SDE at ``(x, t)``."""
        return self.drift(x, t), self.diffusion(t)

    def check_time(self, t: TimeInput, name: str = "t") -> None:
        """Raise ``ValueError`` unless a concrete ``t`` lies in ``(0, T]`` (``TypeError`` if not a number)."""
        if not isinstance(name, str):
            raise TypeError(f"name: expected the argument's name (a str), got {type(name).__name__}")
        if isinstance(t, (str, bytes)) or t is None:
            raise TypeError(f"{name}: expected a time in (0, {self.T:g}], got {type(t).__name__}")
        check_in_interval(name, t, 0.0, self.T)

    def perturb(self, key: PRNGKeyArray, x0: ArrayInput, t: TimeInput
                ) -> Float[Array, "*b d"]:
        r"""Draw :math:`X_t = \alpha_t x_0 + \sigma_t Z`, :math:`Z \sim N(0, I)`. Shape of ``x0``.

        ``t``: a scalar in ``(0, T]`` (checked when concrete).
        """
        key = check_key("key", key)
        x0 = as_float_array("x0", x0, min_ndim=1)
        check_scalar("t", t)
        self.check_time(t)
        alpha, sigma = self._marginal(jnp.asarray(t, x0.dtype))
        return alpha * x0 + sigma * jax.random.normal(key, x0.shape, x0.dtype)

    def prior_sample(self, key: PRNGKeyArray, shape: tuple[int, ...], dtype=None) -> Float[Array, "..."]:
        """Draw ``shape`` from the prior :math:`N(0, \\text{prior\\_std}^2 I)` that starts sampling.

        Args: key: a ``jax.random`` key. shape: a tuple of sizes ``>= 0``, e.g. ``(n, d)``.
        dtype: a floating dtype (default: JAX's default float).
        """
        key = check_key("key", key)
        shape = check_shape_tuple("shape", shape)
        dtype = jnp.result_type(float) if dtype is None else dtype
        if not jnp.issubdtype(dtype, jnp.floating):
            raise TypeError(f"dtype: expected a floating dtype, got {dtype!r}")
        return self.prior_std() * jax.random.normal(key, shape, dtype)

    def prior_log_prob(self, x: ArrayInput) -> Float[Array, "*b"]:
        """Log-density of the prior at ``x`` (``(b, d)``, or ``(d,)`` giving a scalar)."""
        x = as_float_array("x", x, min_ndim=1)
        s2 = self.prior_std() ** 2
        d = x.shape[-1]
        return -0.5 * jnp.sum(x * x, axis=-1) / s2 - 0.5 * d * math.log(2 * math.pi * s2)


class VP(Process):
    r"""Ornstein--Uhlenbeck / variance-preserving process :math:`dX = -X\,dt + \sqrt2\,dW`.

    :math:`\alpha_t = e^{-t}`, :math:`\sigma_t^2 = 1 - e^{-2t}`, computed as ``-expm1(-2t)``:
    the naive ``1 - exp(-2t)`` loses about half the float32 digits at ``t = 1e-4``.
    The prior is :math:`N(0, I)`, whose distance to the true marginal at time ``T`` is of
    order :math:`e^{-T}` (``T = 5`` by default, :math:`e^{-5} \approx 0.007`).
    """

    T: float = eqx.field(static=True, default=5.0)

    def _marginal(self, t):
        return jnp.exp(-t), jnp.sqrt(-jnp.expm1(-2.0 * t))

    def _drift(self, x, t):
        return -x

    def _diffusion(self, t):
        return jnp.sqrt(jnp.asarray(2.0, jnp.result_type(t, float)))

    def prior_std(self) -> float:
        return 1.0


class VE(Process):
    r"""Variance-exploding process :math:`dX = dW`: :math:`\alpha_t = 1`, :math:`\sigma_t^2 = t`.

    The prior is :math:`N(0, T I)`; for data of scale :math:`r` it is accurate when
    :math:`T \gg r^2` (``T = 9``, :math:`\sigma_{\max} = 3`, by default, as in the smoothing paper).
    """

    T: float = eqx.field(static=True, default=9.0)

    def _marginal(self, t):
        return jnp.ones_like(t), jnp.sqrt(t)

    def _drift(self, x, t):
        return jnp.zeros_like(x)

    def _diffusion(self, t):
        return jnp.ones((), jnp.result_type(t, float))

    def prior_std(self) -> float:
        return math.sqrt(self.T)


def _check_grid_args(T, t_min, n_steps) -> int:
    check_positive("T", T)
    check_positive("t_min", t_min)
    if not t_min < T:
        raise ValueError(f"t_min: expected 0 < t_min < T = {T}, got {t_min}")
    return check_positive_int("n_steps", n_steps)


def uniform_grid(T: float, t_min: float, n_steps: Size, *, include_zero: bool = False
                 ) -> Float[Array, " s"]:
    """Uniform decreasing grid ``T = t_0 > ... > t_{n_steps} = t_min``.

    With ``include_zero`` the last point ``t_min`` is followed by ``0``: the sampler's last
    step then goes from ``t_min`` to 0 without noise (the Tweedie denoising step for VE).

    Returns: ``(n_steps + 1,)``, or ``(n_steps + 2,)`` with ``include_zero``.
    """
    n_steps = _check_grid_args(T, t_min, n_steps)
    grid = jnp.linspace(T, t_min, n_steps + 1)
    return jnp.append(grid, 0.0) if include_zero else grid


def geometric_grid(T: float, t_min: float, n_steps: Size, *, include_zero: bool = False
                   ) -> Float[Array, " s"]:
    r"""Geometric decreasing grid :math:`t_j = T\,(t_{\min}/T)^{j/n}`, :math:`j = 0..n`.

    Equal steps in :math:`\log t` spend most steps at small noise, where the score changes fastest.
    With ``include_zero``, a final 0 is appended (see :func:`uniform_grid`).

    Returns: ``(n_steps + 1,)``, or ``(n_steps + 2,)`` with ``include_zero``.
    """
    n_steps = _check_grid_args(T, t_min, n_steps)
    grid = jnp.geomspace(T, t_min, n_steps + 1)
    return jnp.append(grid, 0.0) if include_zero else grid
