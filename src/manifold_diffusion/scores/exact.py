r"""Exact scores of Gaussian data and Gaussian mixtures: the ground truth of tests and chapters.

If :math:`X_0 \sim \sum_j \pi_j\,\mathcal N(\mu_j, \Sigma_j)` and
:math:`X_t = \alpha_t X_0 + \sigma_t Z`, then :math:`X_t` is again a Gaussian mixture,

.. math:: p_t = \sum_j \pi_j\,\mathcal N(\alpha_t \mu_j,\ \alpha_t^2 \Sigma_j + \sigma_t^2 I),

and its score is the responsibility-weighted average of the component scores,

.. math:: \nabla \log p_t(x) = -\sum_j r_j(x)\, C_j^{-1} (x - \alpha_t \mu_j), \qquad
          r = \operatorname{softmax}_j\big(\log\pi_j + \log \mathcal N(x; \alpha_t\mu_j, C_j)\big),

with :math:`C_j = \alpha_t^2\Sigma_j + \sigma_t^2 I`. All log-densities go through
Cholesky factors and a log-sum-exp, so they stay finite far in the tails.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from .._checks import (as_float_array, check_finite, check_positive_int, check_scalar, check_shape,
                       check_type, is_concrete)
from .._types import ArrayInput, Size, TimeInput
from ..keys import check_key
from ..processes import Process

__all__ = ["GaussianMixture", "MixtureScore", "gaussian"]


def _as_batch(name: str, x, d: Size) -> tuple[Array, bool]:
    """Accept ``(b, d)`` or a single point ``(d,)``; return ``(b, d)`` and whether it was single."""
    x = as_float_array(name, x)
    if x.ndim == 1:
        check_shape(name, x, (d,), f"d = {d}")
        return x[None, :], True
    check_shape(name, x, (None, d), f"d = {d}")
    return x, False


class GaussianMixture(eqx.Module):
    r"""A Gaussian mixture :math:`\sum_j \pi_j \mathcal N(\mu_j, \Sigma_j)` in :math:`\mathbb R^d`.

    Attributes:
      weights: ``(m,)`` positive mixture weights summing to one.
      means: ``(m, d)`` component means.
      covariances: ``(m, d, d)`` symmetric positive-definite covariances.
    """

    weights: Float[Array, " m"]
    means: Float[Array, "m d"]
    covariances: Float[Array, "m d d"]

    def __init__(self, weights: ArrayInput, means: ArrayInput, covariances: ArrayInput):
        """Args: weights: ``(m,)`` positive, summing to 1. means: ``(m, d)``. covariances:
        ``(m, d, d)`` symmetric positive definite. All finite (checked eagerly)."""
        weights = as_float_array("weights", weights, ndim=1)
        means = as_float_array("means", means, ndim=2)
        covariances = as_float_array("covariances", covariances, ndim=3)
        m, d = means.shape
        if m == 0 or d == 0:
            raise ValueError(f"means: expected shape (m, d) with m, d >= 1, got {means.shape}")
        check_shape("weights", weights, (m,), "m components, from means")
        check_shape("covariances", covariances, (m, d, d), "(m, d, d), from means")
        for name, arr in (("weights", weights), ("means", means), ("covariances", covariances)):
            check_finite(name, arr)
        if is_concrete(weights):
            if not bool(jnp.all(weights > 0)):
                raise ValueError("weights: expected positive mixture weights")
            total = float(jnp.sum(weights))
            if abs(total - 1.0) > 1e-5:
                raise ValueError(f"weights: expected weights summing to 1, got sum {total:.6g}")
        if is_concrete(covariances):
            sym = jnp.max(jnp.abs(covariances - jnp.swapaxes(covariances, 1, 2)))
            scale = jnp.max(jnp.abs(covariances))
            if float(sym) > 1e-5 * float(scale):
                raise ValueError("covariances: expected symmetric matrices")
            if float(jnp.min(jnp.linalg.eigvalsh(covariances))) <= 0:
                raise ValueError("covariances: expected positive-definite matrices")
        self.weights, self.means, self.covariances = weights, means, covariances

    @property
    def d(self) -> int:
        """Ambient dimension."""
        return self.means.shape[1]

    def sample(self, key: PRNGKeyArray, n: Size) -> Float[Array, "n d"]:
        """Draw ``n`` points. Returns ``(n, d)``."""
        key = check_key("key", key)
        n = check_positive_int("n", n)
        k_comp, k_noise = jax.random.split(key)
        comp = jax.random.categorical(k_comp, jnp.log(self.weights), shape=(n,))
        chol = jnp.linalg.cholesky(self.covariances)  # (m, d, d)
        z = jax.random.normal(k_noise, (n, self.d), self.means.dtype)
        return self.means[comp] + jnp.einsum("nij,nj->ni", chol[comp], z)

    def noised(self, process: Process, t: TimeInput) -> "GaussianMixture":
        r"""The law of :math:`X_t`: means :math:`\alpha_t\mu_j`, covariances :math:`\alpha_t^2\Sigma_j+\sigma_t^2 I`.

        ``t``: a scalar in ``[0, T]`` (checked when concrete).
        """
        check_type("process", process, Process, "a manifold_diffusion Process (VP, VE)")
        check_scalar("t", t)
        alpha, sigma = process.marginal(jnp.asarray(t, self.means.dtype))
        eye = jnp.eye(self.d, dtype=self.means.dtype)
        return _unchecked(self.weights, alpha * self.means,
                          alpha**2 * self.covariances + sigma**2 * eye[None])

    def _component_terms(self, x):
        """Per-component log-densities ``(b, m)`` and scores ``(b, m, d)`` at ``x`` (b, d)."""
        chol = jnp.linalg.cholesky(self.covariances)  # (m, d, d)
        diff = x[:, None, :] - self.means[None, :, :]  # (b, m, d)
        # whitened residual u = L^{-1} (x - mu), per component
        u = jax.vmap(lambda L, r: jax.scipy.linalg.solve_triangular(L, r.T, lower=True).T,
                     in_axes=(0, 1), out_axes=1)(chol, diff)
        log_det = 2.0 * jnp.sum(jnp.log(jnp.diagonal(chol, axis1=1, axis2=2)), axis=1)  # (m,)
        log_norm = -0.5 * jnp.sum(u * u, axis=-1) - 0.5 * log_det[None, :] \
            - 0.5 * self.d * math.log(2 * math.pi)
        # component score -C^{-1}(x - mu) = -L^{-T} u
        comp_score = -jax.vmap(
            lambda L, v: jax.scipy.linalg.solve_triangular(L, v.T, lower=True, trans=1).T,
            in_axes=(0, 1), out_axes=1)(chol, u)
        return jnp.log(self.weights)[None, :] + log_norm, comp_score

    def log_prob(self, x: ArrayInput) -> Float[Array, "*b"]:
        """Log-density at ``x`` (``(b, d)``, or ``(d,)`` giving a scalar)."""
        xb, single = _as_batch("x", x, self.d)
        logits, _ = self._component_terms(xb)
        out = jax.scipy.special.logsumexp(logits, axis=1)
        return out[0] if single else out

    def score(self, x: ArrayInput) -> Float[Array, "*b d"]:
        r"""Score :math:`\nabla\log p(x)` in closed form. Shape of ``x``."""
        xb, single = _as_batch("x", x, self.d)
        logits, comp_score = self._component_terms(xb)
        resp = jax.nn.softmax(logits, axis=1)
        out = jnp.einsum("bm,bmd->bd", resp, comp_score)
        return out[0] if single else out


def _unchecked(weights, means, covariances) -> GaussianMixture:
    """Build a mixture without the (eager) validation, for use under tracing."""
    obj = object.__new__(GaussianMixture)
    object.__setattr__(obj, "weights", weights)
    object.__setattr__(obj, "means", means)
    object.__setattr__(obj, "covariances", covariances)
    return obj


def gaussian(mean: ArrayInput, covariance: ArrayInput) -> GaussianMixture:
    """A single Gaussian :math:`N(\\text{mean}, \\text{covariance})` as a one-component mixture.

    Args: mean: ``(d,)``. covariance: ``(d, d)``.
    """
    mean = as_float_array("mean", mean, ndim=1)
    covariance = as_float_array("covariance", covariance, ndim=2)
    check_shape("covariance", covariance, (mean.shape[0], mean.shape[0]), "(d, d), from mean")
    return GaussianMixture(jnp.ones((1,), mean.dtype), mean[None], covariance[None])


class MixtureScore(eqx.Module):
    r"""The exact score :math:`\nabla \log p_t` of a noised Gaussian mixture: a ``score_fn(x, t)``.

    Attributes:
      mixture: the data law :math:`p_0`.
      process: the forward process.
    """

    mixture: GaussianMixture
    process: Process

    def __check_init__(self):
        check_type("mixture", self.mixture, GaussianMixture, "a GaussianMixture (scores.gaussian)")
        check_type("process", self.process, Process, "a manifold_diffusion Process (VP, VE)")

    @property
    def d(self) -> int:
        """The dimension of the data."""
        return self.mixture.d

    def __call__(self, x: ArrayInput, t: TimeInput) -> Float[Array, "*b d"]:
        """Score at ``x`` (``(b, d)`` or ``(d,)``) and scalar time ``t`` in ``(0, T]`` (checked when concrete)."""
        check_scalar("t", t)
        self.process.check_time(t)
        return self.mixture.noised(self.process, t).score(x)

    def log_prob(self, x: ArrayInput, t: TimeInput) -> Float[Array, "*b"]:
        """Log-density of :math:`X_t` at ``x`` (``(b,)``, or a scalar for ``x`` of shape ``(d,)``)."""
        check_scalar("t", t)
        self.process.check_time(t)
        return self.mixture.noised(self.process, t).log_prob(x)
