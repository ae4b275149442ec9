r"""The preconditioned denoiser of :cite:`karras2022elucidating` ("EDM") and its score.

Noising in the variance-exploding form :math:`y = x_0 + \sigma n`, :math:`n\sim N(0, I_d)`:

.. math:: D(y, \sigma) = c_{\rm skip}(\sigma)\,y + c_{\rm out}(\sigma)\,
          F\big(c_{\rm in}(\sigma)\,y,\ c_{\rm noise}(\sigma)\big),

.. math:: c_{\rm skip} = \frac{\sigma_d^2}{\sigma^2+\sigma_d^2},\quad
          c_{\rm out} = \frac{\sigma\,\sigma_d}{\sqrt{\sigma^2+\sigma_d^2}},\quad
          c_{\rm in} = \frac{1}{\sqrt{\sigma^2+\sigma_d^2}},\quad
          c_{\rm noise} = \tfrac14\ln\sigma,

with :math:`\sigma_d` the data's standard deviation (per coordinate). :math:`c_{\rm in}` makes
the network's input unit-variance at every :math:`\sigma`, and :math:`c_{\rm skip}, c_{\rm out}`
make its ideal output :math:`(x_0 - c_{\rm skip} y)/c_{\rm out}` unit-variance too (for data of
variance :math:`\sigma_d^2`), so one network serves noise levels from :math:`10^{-4}` to
:math:`10^2`. Any network of :mod:`.networks` plugs in as :math:`F`.

**Processes.** A book process noises as :math:`x_t = \alpha_t x_0 + \sigma_t z`; dividing by
:math:`\alpha_t` gives the VE form :math:`x_t/\alpha_t = x_0 + (\sigma_t/\alpha_t) z`. So the
denoiser, trained once in VE form, is the posterior mean
:math:`\mathbb E[X_0\mid X_t = x] = D(x/\alpha_t,\ \sigma_t/\alpha_t)`, and by Tweedie's formula the
score of the noised law is

.. math:: \nabla\log p_t(x) = \frac{\alpha_t\,D(x/\alpha_t,\ \sigma_t/\alpha_t) - x}{\sigma_t^2}

(:class:`DenoiserScore`, for VE :math:`\alpha_t = 1` and it is EDM's :math:`(D - x)/\sigma^2`).
The VP process at :math:`t` uses the denoiser at :math:`\sigma = \sqrt{e^{2t}-1}` (148 at
:math:`t = 5`): train on a noise-level range that covers the sampler's.
"""

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._checks import check_positive
from ..processes import Process
from .networks import check_network
from .._types import ArrayInput

__all__ = ["Denoiser", "DenoiserScore", "denoiser_score", "edm_coefficients", "PRECONDITIONINGS"]

#: The parametrisations :class:`Denoiser` offers.
PRECONDITIONINGS = ("edm", "score")


def edm_coefficients(sigma, sigma_data: float):
    r"""``(c_skip, c_out, c_in, c_noise)`` at noise level(s) ``sigma`` (module docstring);
    each has the shape of ``sigma``."""
    check_positive("sigma_data", sigma_data)
    sigma = jnp.asarray(sigma)
    s2, sd2 = sigma * sigma, sigma_data * sigma_data
    root = jnp.sqrt(s2 + sd2)
    return sd2 / (s2 + sd2), sigma * sigma_data / root, 1.0 / root, 0.25 * jnp.log(sigma)


def _as_python_float(value):
    """A NumPy or 0-d JAX scalar as a Python float (a static field must be hashable); anything
    else is returned as is for ``__check_init__`` to reject."""
    if isinstance(value, (bool, np.bool_)):
        return value
    try:
        if np.ndim(value) == 0 and np.issubdtype(np.asarray(value).dtype, np.number):
            return float(value)
    except TypeError:
        pass
    return value


class Denoiser(eqx.Module):
    r"""EDM-preconditioned denoiser :math:`D(y, \sigma)` around a network :math:`F` (module docstring).

    All fields are static: a ``Denoiser`` is hashable and can be a static argument of
    ``jax.jit``; its parameters are a separate pytree (``den.init(key)``).

    Attributes:
      network: :math:`F`, e.g. :class:`~.networks.MLPNetwork` or
        :class:`~.networks.RandomFeatureNetwork`.
      sigma_data: :math:`\sigma_d > 0`, the data's standard deviation per coordinate.
      preconditioning: ``"edm"`` (default, above) or ``"score"``: :math:`D = y + \sigma^2
        F(y, c_{\rm noise})`, i.e. the network's output *is* the score
        :math:`(D - y)/\sigma^2` -- the parametrisation of :cite:`li2023generalization`'s
        random-feature theorems (there the score error at small :math:`\sigma` is the network's
        own, not amplified by :math:`c_{\rm out}/\sigma^2 \approx 1/\sigma` as with EDM).
    """

    network: eqx.Module = eqx.field(static=True)
    sigma_data: float = eqx.field(static=True, default=0.5, converter=_as_python_float)
    preconditioning: str = eqx.field(static=True, default="edm")

    def __check_init__(self):
        check_network(self.network)
        if self.preconditioning not in PRECONDITIONINGS:
            raise ValueError(f"preconditioning: expected one of {PRECONDITIONINGS}, got "
                             f"{self.preconditioning!r}")
        if not (isinstance(self.sigma_data, (int, float, np.floating)) and self.sigma_data > 0
                and np.isfinite(self.sigma_data)):
            raise ValueError(f"sigma_data: expected a finite number > 0, got {self.sigma_data!r}")

    @property
    def d(self) -> int:
        """The data dimension (the network's)."""
        return int(self.network.d)

    def init(self, key, dtype=None):
        """The network's initial parameters (``dtype``: default float)."""
        return self.network.init(key, dtype)

    def coefficients(self, sigma):
        r"""``(c_skip, c_out, c_in, c_noise)`` at ``sigma``: :func:`edm_coefficients`, or for
        ``preconditioning="score"`` :math:`(1, \sigma^2, 1, \tfrac14\ln\sigma)`."""
        if self.preconditioning == "score":
            sigma = jnp.asarray(sigma)
            one = jnp.ones_like(sigma)
            return one, sigma * sigma, one, 0.25 * jnp.log(sigma)
        return edm_coefficients(sigma, self.sigma_data)

    def apply(self, params, y: ArrayInput, sigma) -> Float[Array, "b d"]:
        r"""The denoised estimate :math:`D(y, \sigma)` of :math:`x_0`.

        Args:
          params: the network's parameters.
          y: ``(b, d)`` noisy points :math:`x_0 + \sigma n`.
          sigma: the noise level, a scalar or ``(b,)`` (one per point), ``> 0``.

        Returns:
          ``(b, d)``.
        """
        if y.ndim != 2 or y.shape[1] != self.d:
            raise ValueError(f"y: expected shape (b, {self.d}) (d of the network), got "
                             f"{tuple(y.shape)}")
        sigma = jnp.asarray(sigma, y.dtype)
        if sigma.ndim > 1 or (sigma.ndim == 1 and sigma.shape[0] != y.shape[0]):
            raise ValueError(f"sigma: expected a scalar or shape ({y.shape[0]},) (b from y), got "
                             f"{tuple(sigma.shape)}")
        sigma = jnp.broadcast_to(sigma, (y.shape[0],))
        c_skip, c_out, c_in, c_noise = self.coefficients(sigma)
        out = self.network.apply(params, c_in[:, None] * y, c_noise)
        return c_skip[:, None] * y + c_out[:, None] * out


class DenoiserScore(eqx.Module):
    r"""The score :math:`(\alpha_t D(x/\alpha_t, \sigma_t/\alpha_t) - x)/\sigma_t^2` of a trained
    denoiser under a process: a ``score_fn(x, t)`` accepted by every sampler of the library.

    An ``equinox.Module`` whose parameters are traced leaves: passing a new set of parameters
    (another checkpoint, another seed) to a jitted sampler or read-out does not recompile.

    Attributes: denoiser (static), params (pytree), process.
    """

    denoiser: Denoiser = eqx.field(static=True)
    params: object
    process: Process

    def __check_init__(self):
        if not isinstance(self.denoiser, Denoiser):
            raise TypeError(f"denoiser: expected a manifold_diffusion.training.Denoiser, got "
                            f"{type(self.denoiser).__name__}")
        if not isinstance(self.process, Process):
            raise TypeError(f"process: expected a manifold_diffusion Process (VP, VE), got "
                            f"{type(self.process).__name__}")

    @property
    def d(self) -> int:
        return self.denoiser.d

    def _prepare(self, x, t):
        squeeze = x.ndim == 1
        x = x[None] if squeeze else x
        alpha, sigma = self.process.marginal(jnp.asarray(t, x.dtype))
        if alpha.ndim == 1:
            alpha, sigma = alpha[:, None], sigma[:, None]
        return x, squeeze, alpha, sigma

    def denoise(self, x: ArrayInput, t) -> Float[Array, "*b d"]:
        r""":math:`\mathbb E[X_0\mid X_t = x] = D(x/\alpha_t, \sigma_t/\alpha_t)`, ``(b, d)``
        (``t`` a scalar or ``(b,)``)."""
        x, squeeze, alpha, sigma = self._prepare(x, t)
        s = jnp.broadcast_to(sigma / alpha, (x.shape[0], 1))[:, 0]
        out = self.denoiser.apply(self.params, x / alpha, s)
        return out[0] if squeeze else out

    def __call__(self, x: ArrayInput, t) -> Float[Array, "*b d"]:
        """The score at ``x`` ``(b, d)`` (or ``(d,)``) and time ``t`` (scalar or ``(b,)``)."""
        x2, squeeze, alpha, sigma = self._prepare(x, t)
        s = jnp.broadcast_to(sigma / alpha, (x2.shape[0], 1))[:, 0]
        den = self.denoiser.apply(self.params, x2 / alpha, s)
        out = (alpha * den - x2) / (sigma * sigma)
        return out[0] if squeeze else out


def denoiser_score(den: Denoiser, params, process: Process) -> DenoiserScore:
    """The score function of ``den`` with ``params`` under ``process`` (see :class:`DenoiserScore`).

    Args:
      den: a :class:`Denoiser`.
      params: its parameters (e.g. ``fit(...).ema_params``, or ``select(result.checkpoints, c)``).
      process: a book process (:class:`~manifold_diffusion.VE`, :class:`~manifold_diffusion.VP`).
    """
    if not isinstance(den, Denoiser):
        raise TypeError(f"den: expected a manifold_diffusion.training.Denoiser, got "
                        f"{type(den).__name__}")
    if not isinstance(process, Process):
        raise TypeError(f"process: expected a manifold_diffusion Process (VP, VE), got "
                        f"{type(process).__name__}")
    return DenoiserScore(den, params, process)

