r"""Distributions of the training noise level :math:`\sigma` (VE form, :mod:`.denoiser`).

Which noise levels a denoiser is trained on decides which part of its score is learned: a
model trained on almost no draws below :math:`\sigma = 0.1` has an untrained small-noise score,
whatever the read-out shows at large :math:`\sigma`. Each distribution therefore states the
share of its draws below :math:`\sigma = 0.01, 0.1, 0.3` (:func:`sigma_shares` computes it from
the cdf; :func:`sigma_share_table` prints it for a page). Shares of the defaults, from the
formulas below:

=====================================================  ==========  =========  =========
distribution                                           < 0.01      < 0.1      < 0.3
=====================================================  ==========  =========  =========
``LogNormalSigma(-1.2, 1.2)`` (EDM, images)            0.0023      0.179      0.499
``LogUniformSigma(0.002, 80)``                         0.152       0.369      0.473
``SongVESigma(0.01, 50, 1e-5)``                        0           0.270      0.399
=====================================================  ==========  =========  =========

Every distribution is an ``equinox.Module`` with static fields (hashable: a static ``jit``
argument) and has ``sample(key, shape, dtype=None)``, ``cdf(sigma)`` and ``quantile(q)``.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.scipy.special
import numpy as np

from .._checks import check_positive
from ..keys import check_key

__all__ = ["SigmaDistribution", "LogNormalSigma", "LogUniformSigma", "SongVESigma",
           "sigma_shares", "sigma_share_table"]
__all__ += ["check_sigma_distribution"]


def _check_shape_arg(shape):
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    if not (isinstance(shape, tuple) and all(isinstance(s, (int, np.integer)) and s >= 0
                                             for s in shape)):
        raise ValueError(f"shape: expected a tuple of non-negative integers, got {shape!r}")
    return tuple(int(s) for s in shape)


def _check_q(q):
    q_arr = np.asarray(q, dtype=np.float64)
    if not np.all((q_arr > 0) & (q_arr < 1)):
        raise ValueError(f"q: expected probabilities in (0, 1), got {q!r}")
    return q_arr


class SigmaDistribution(eqx.Module):
    """Base class: a law of :math:`\\sigma > 0` with ``sample``, ``cdf`` and ``quantile``."""

    def _log_sample(self, u):
        """``log sigma`` from uniforms ``u`` in (0, 1) (the quantile function in log space)."""
        raise NotImplementedError

    def sample(self, key, shape, dtype=None):
        """Draw noise levels of ``shape`` (a tuple or an int) by inverting the cdf."""
        key = check_key("key", key)
        shape = _check_shape_arg(shape)
        dtype = dtype or jnp.result_type(float)
        u = jax.random.uniform(key, shape, dtype, minval=jnp.finfo(dtype).tiny, maxval=1.0)
        return jnp.exp(self._log_sample(u))

    def quantile(self, q):
        """The ``q``-quantile(s) of :math:`\\sigma`, ``q`` in (0, 1) (NumPy float64)."""
        return np.exp(self._log_quantile(_check_q(q)))

    def cdf(self, sigma):
        r""":math:`P(\Sigma \le \sigma)` (the shape of ``sigma``)."""
        raise NotImplementedError

    def _log_quantile(self, q):
        raise NotImplementedError

    def describe(self) -> str:
        """A short name with the parameters, for tables and captions."""
        fields = ", ".join(f"{k}={getattr(self, k):g}" for k in self.__dataclass_fields__)
        return f"{type(self).__name__}({fields})"


class LogNormalSigma(SigmaDistribution):
    r"""EDM's training distribution :cite:`karras2022elucidating`:
    :math:`\ln\sigma\sim N(P_{\rm mean}, P_{\rm std}^2)`,
    :math:`P(\sigma < s) = \Phi\big((\ln s - P_{\rm mean})/P_{\rm std}\big)`.

    With the image defaults :math:`(-1.2, 1.2)`: shares below 0.01 / 0.1 / 0.3 are
    0.0023 / 0.179 / 0.499 (:math:`\Phi(-2.84)`, :math:`\Phi(-0.92)`, :math:`\Phi(-0.003)`).
    """

    p_mean: float = eqx.field(static=True, default=-1.2)
    p_std: float = eqx.field(static=True, default=1.2)

    def __check_init__(self):
        if not (isinstance(self.p_mean, (int, float)) and math.isfinite(self.p_mean)):
            raise ValueError(f"p_mean: expected a finite number, got {self.p_mean!r}")
        check_positive("p_std", self.p_std)

    def _log_sample(self, u):
        return self.p_mean + self.p_std * jax.scipy.special.ndtri(u)

    def _log_quantile(self, q):
        import scipy.special

        return self.p_mean + self.p_std * scipy.special.ndtri(q)

    def cdf(self, sigma):
        sigma = jnp.asarray(sigma, jnp.result_type(float))
        return jax.scipy.special.ndtr((jnp.log(sigma) - self.p_mean) / self.p_std)


class LogUniformSigma(SigmaDistribution):
    r""":math:`\ln\sigma\sim U(\ln\sigma_{\min}, \ln\sigma_{\max})`:
    :math:`P(\sigma < s) = \ln(s/\sigma_{\min})/\ln(\sigma_{\max}/\sigma_{\min})` on the range.

    Defaults :math:`[0.002, 80]` (EDM's sampling range): shares below 0.01 / 0.1 / 0.3 are
    0.152 / 0.369 / 0.473.
    """

    sigma_min: float = eqx.field(static=True, default=0.002)
    sigma_max: float = eqx.field(static=True, default=80.0)

    def __check_init__(self):
        check_positive("sigma_min", self.sigma_min)
        check_positive("sigma_max", self.sigma_max)
        if not self.sigma_min < self.sigma_max:
            raise ValueError(f"sigma_max: expected > sigma_min = {self.sigma_min}, got "
                             f"{self.sigma_max}")

    def _log_sample(self, u):
        lo, hi = math.log(self.sigma_min), math.log(self.sigma_max)
        return lo + (hi - lo) * u

    def _log_quantile(self, q):
        return self._log_sample(q)

    def cdf(self, sigma):
        sigma = jnp.asarray(sigma, jnp.result_type(float))
        lo, hi = math.log(self.sigma_min), math.log(self.sigma_max)
        return jnp.clip((jnp.log(sigma) - lo) / (hi - lo), 0.0, 1.0)


class SongVESigma(SigmaDistribution):
    r"""The VE set-up of :cite:`song2021score`: :math:`t\sim U(\varepsilon, 1)`,
    :math:`\sigma = \sigma_{\min}(\sigma_{\max}/\sigma_{\min})^t` (log-uniform on
    :math:`[\sigma_{\min}(\sigma_{\max}/\sigma_{\min})^\varepsilon, \sigma_{\max}]`), so
    :math:`P(\sigma < s) = \big(\ln(s/\sigma_{\min})/\ln(\sigma_{\max}/\sigma_{\min}) -
    \varepsilon\big)/(1-\varepsilon)`. With :math:`\lambda = \sigma^2` (``weighting="sigma2"``)
    this is the training set-up of Song et al.'s VE models (and of EDM's ``VELoss``).

    Defaults :math:`(0.01, 50, 10^{-5})`: shares below 0.01 / 0.1 / 0.3 are 0 / 0.270 / 0.399.
    """

    sigma_min: float = eqx.field(static=True, default=0.01)
    sigma_max: float = eqx.field(static=True, default=50.0)
    eps: float = eqx.field(static=True, default=1e-5)

    def __check_init__(self):
        check_positive("sigma_min", self.sigma_min)
        check_positive("sigma_max", self.sigma_max)
        if not self.sigma_min < self.sigma_max:
            raise ValueError(f"sigma_max: expected > sigma_min = {self.sigma_min}, got "
                             f"{self.sigma_max}")
        if not (isinstance(self.eps, (int, float)) and 0 <= self.eps < 1):
            raise ValueError(f"eps: expected a number in [0, 1), got {self.eps!r}")

    def _log_sample(self, u):
        t = self.eps + (1.0 - self.eps) * u
        return math.log(self.sigma_min) + t * math.log(self.sigma_max / self.sigma_min)

    def _log_quantile(self, q):
        return self._log_sample(q)

    def cdf(self, sigma):
        sigma = jnp.asarray(sigma, jnp.result_type(float))
        t = jnp.log(sigma / self.sigma_min) / math.log(self.sigma_max / self.sigma_min)
        return jnp.clip((t - self.eps) / (1.0 - self.eps), 0.0, 1.0)


def check_sigma_distribution(name: str, dist) -> None:
    """Raise ``TypeError`` unless ``dist`` is a :class:`SigmaDistribution`."""
    if not isinstance(dist, SigmaDistribution):
        raise TypeError(f"{name}: expected a noise-level distribution (LogNormalSigma, "
                        f"LogUniformSigma, SongVESigma), got {type(dist).__name__}")


def _check_thresholds(thresholds):
    try:
        values = tuple(float(t) for t in thresholds)
    except TypeError as err:
        raise TypeError(f"thresholds: expected a sequence of numbers, got {thresholds!r}") from err
    if not values or not all(math.isfinite(t) and t > 0 for t in values):
        raise ValueError(f"thresholds: expected positive finite noise levels, got {thresholds!r}")
    return values


def sigma_shares(dist, thresholds=(0.01, 0.1, 0.3)) -> dict[float, float]:
    r"""The share of training draws below each threshold, :math:`P(\sigma < s)`, from the cdf.

    Args:
      dist: a :class:`SigmaDistribution`.
      thresholds: positive noise levels :math:`s`.

    Returns:
      ``{s: P(sigma < s)}`` (Python floats).
    """
    check_sigma_distribution("dist", dist)
    values = _check_thresholds(thresholds)
    return {t: float(dist.cdf(t)) for t in values}


def sigma_share_table(dists, thresholds=(0.01, 0.1, 0.3)) -> str:
    r"""A Markdown table of :func:`sigma_shares` for ``dists``, for a page (``print`` it).

    Args:
      dists: a mapping ``{label: distribution}`` (or a sequence of distributions, labelled by
        :meth:`SigmaDistribution.describe`).
      thresholds: the noise levels of the columns.
    """
    items = list(dists.items()) if isinstance(dists, dict) else [(None, d) for d in dists]
    if not items:
        raise ValueError("dists: expected at least one distribution")
    values = _check_thresholds(thresholds)
    lines = ["| training noise levels | " + " | ".join(f"P(σ < {t:g})" for t in values) + " |",
             "|---|" + "---|" * len(values)]
    for label, dist in items:
        shares = sigma_shares(dist, values)
        name = label if label is not None else dist.describe()
        lines.append(f"| {name} | " + " | ".join(f"{shares[t]:.3g}" for t in values) + " |")
    return "\n".join(lines)
