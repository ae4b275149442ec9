r"""Gaussian kernel density estimate: smoothing in the *density* domain.

The comparison for log-domain smoothing (:mod:`manifold_diffusion.scores.smoothed`). With the
same ``bandwidth`` convention :math:`h` (kernel std, never the noise level),

.. math:: \hat p^{\rm KDE}(x) = \frac1n\sum_{i=1}^n \mathcal N(x;\ x_i,\ h^2 I_d),

sampled exactly by picking a training point uniformly and adding :math:`h z`. A KDE spreads mass
isotropically around each point, so in :math:`d` dimensions a sample lies at distance about
:math:`h\sqrt{d-k}` from a :math:`k`-dimensional manifold through the data; score smoothing
does not :cite:`farghly2025logdomain`.

Noised by a process (:math:`X_t = \alpha_t X_0 + \sigma_t Z`) the KDE is again a Gaussian
mixture, with variance :math:`\alpha_t^2 h^2 + \sigma_t^2`, so :meth:`GaussianKDE.__call__` is
a ``score_fn(x, t)`` of the noised KDE that every sampler accepts.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._checks import (as_float_array, check_finite, check_positive, check_positive_int, check_scalar,
                      check_shape, check_type)
from ._types import ArrayInput, Size, TimeInput
from .keys import check_key
from .processes import Process
from .scores import streaming_softmax_stats

__all__ = ["GaussianKDE"]


class GaussianKDE(eqx.Module):
    r"""Gaussian KDE of ``data`` with bandwidth :math:`h` (see the module docstring).

    Attributes:
      data: ``(n, d)`` training points.
      bandwidth: scalar :math:`h > 0`.
      process: the forward process used by :meth:`__call__` (``None``: only ``t = 0`` methods).
    """

    data: Float[Array, "n d"]
    bandwidth: Float[Array, ""]
    process: object

    def __init__(self, data: ArrayInput, bandwidth: float, process: Process | None = None):
        """Args: data: ``(n, d)``, finite, ``n >= 1``. bandwidth: :math:`h > 0` (finite; a KDE of
        bandwidth 0 is the empirical measure itself, which has no density: use
        :class:`~manifold_diffusion.scores.EmpiricalScore`).
        process: a forward process, needed only to use the KDE as a ``score_fn(x, t)``."""
        data = as_float_array("data", data, ndim=2)
        if data.shape[0] == 0 or data.shape[1] == 0:
            raise ValueError(f"data: expected shape (n, d) with n, d >= 1, got {data.shape}")
        check_finite("data", data)
        if isinstance(bandwidth, bool) or jnp.ndim(bandwidth) != 0:
            raise TypeError(f"bandwidth: expected a number > 0, got {bandwidth!r}")
        check_positive("bandwidth", bandwidth)
        h = float(bandwidth)
        if process is not None:
            check_type("process", process, Process, "a manifold_diffusion Process (VP, VE) or None")
        self.data, self.bandwidth, self.process = data, jnp.asarray(h, data.dtype), process

    @property
    def d(self) -> int:
        """Ambient dimension."""
        return self.data.shape[1]

    def sample(self, key, n: Size) -> Float[Array, "n d"]:
        """Draw ``n`` points: a uniformly chosen training point plus :math:`h z`. ``(n, d)``."""
        key = check_key("key", key)
        n = check_positive_int("n", n)
        k_index, k_noise = jax.random.split(key)
        idx = jax.random.randint(k_index, (n,), 0, self.data.shape[0])
        z = jax.random.normal(k_noise, (n, self.d), self.data.dtype)
        return self.data[idx] + self.bandwidth * z

    def _check(self, x):
        x = as_float_array("x", x)
        single = x.ndim == 1
        xb = x[None, :] if single else x
        check_shape("x", xb, (None, self.d), f"d = {self.d}, from data")
        return xb.astype(self.data.dtype), single

    def _mixture(self, x, alpha, var):
        """``(log density, score)`` of :math:`\\frac1n\\sum_i N(x; \\alpha x_i, v I)`."""
        n, d = self.data.shape
        sq = jnp.sum(self.data * self.data, axis=1)
        run_max, run_sum, run_acc, idx = streaming_softmax_stats(
            x, self.data, sq, jnp.ones((n,), bool), alpha / var, alpha * alpha / (2.0 * var), n)
        mean = run_acc / run_sum[:, None]
        score = (alpha * mean - x) / var
        near = jax.lax.stop_gradient(alpha * self.data[idx])
        resid = x - near
        # difference form around the nearest point (as EmpiricalScore.log_prob); the zero-valued
        # (inner - stop_gradient(inner)) term makes the gradient the score
        inner = jnp.sum(x * near, axis=1) / var
        log_p = (jnp.log(run_sum) - jnp.sum(resid * resid, axis=1) / (2.0 * var)
                 - (inner - jax.lax.stop_gradient(inner))
                 - math.log(n) - 0.5 * d * jnp.log(2.0 * math.pi * var))
        return log_p, score

    def log_prob(self, x: ArrayInput) -> Float[Array, "*b"]:
        r"""Log-density of the KDE at ``x`` (``(b, d)``, or ``(d,)`` giving a scalar); ``(b,)``."""
        xb, single = self._check(x)
        out = self._mixture(xb, 1.0, self.bandwidth ** 2)[0]
        return out[0] if single else out

    def score(self, x: ArrayInput) -> Float[Array, "*b d"]:
        r"""Score :math:`\nabla\log\hat p^{\rm KDE}(x)`; shape of ``x``."""
        xb, single = self._check(x)
        out = self._mixture(xb, 1.0, self.bandwidth ** 2)[1]
        return out[0] if single else out

    def __call__(self, x: ArrayInput, t: TimeInput) -> Float[Array, "*b d"]:
        r"""Score of the KDE noised to time ``t`` by ``process``: variance :math:`\alpha_t^2h^2+\sigma_t^2`."""
        if self.process is None:
            raise ValueError("process: this GaussianKDE was built without a process")
        xb, single = self._check(x)
        check_scalar("t", t)
        self.process.check_time(t)
        alpha, sigma = self.process.marginal(jnp.asarray(t, xb.dtype))
        out = self._mixture(xb, alpha, alpha * alpha * self.bandwidth ** 2 + sigma * sigma)[1]
        return out[0] if single else out
