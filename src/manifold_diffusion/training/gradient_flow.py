r"""Random features trained by exact gradient flow: any training time from one eigendecomposition.

This is the model of :cite:`li2023generalization`'s theorems: a denoiser (:mod:`.denoiser`)
whose network is :class:`~.networks.RandomFeatureNetwork`, only the output layer
:math:`A\in\mathbb R^{m\times d}` trained, by *gradient flow* in training time :math:`\tau` on a
*fixed* Monte Carlo denoising loss. Fix draws :math:`(x_{0,i}, \sigma_i, n_i)_{i\le N}`
(:func:`fixed_draws`: ``n_draws`` noise levels and noises per training point). With
:math:`y_i = x_{0,i} + \sigma_i n_i`, features :math:`\psi_i = \phi(c_{\rm in} y_i, c_{\rm noise})/m`
and :math:`D_i = c_{\rm skip} y_i + c_{\rm out} A^\top\psi_i`,

.. math:: L(A) = \frac1N\sum_i \lambda_D(\sigma_i)\,\|D_i - x_{0,i}\|^2
          = \frac1N\sum_i \omega_i\,\|A^\top\psi_i - r_i\|^2,\qquad
          \omega_i = \lambda_D c_{\rm out}^2,\quad r_i = \frac{x_{0,i} - c_{\rm skip} y_i}{c_{\rm out}},

a quadratic with :math:`\nabla L = GA - C`, :math:`G = \tfrac2N\sum_i\omega_i\psi_i\psi_i^\top`
(:math:`m\times m`), :math:`C = \tfrac2N\sum_i\omega_i\psi_i r_i^\top`. The flow
:math:`\dot A = -\nabla L(A)` from :math:`A_0` is, with :math:`G = V\Lambda V^\top`,

.. math:: A(\tau) = V\Big[e^{-\Lambda\tau}\,V^\top A_0
          + \frac{1 - e^{-\Lambda\tau}}{\Lambda}\,V^\top C\Big]

(the issue's :math:`V\,\mathrm{diag}((1-e^{-\lambda\tau})/\lambda)\,V^\top\Phi^\top y` for
:math:`A_0 = 0`; :math:`(1-e^{-\lambda\tau})/\lambda \to \tau` as :math:`\lambda\to0`, computed with
``expm1``). Every :math:`\tau` costs one :math:`m\times m` product: the U-curve in :math:`\tau` is
free. As :math:`\tau\to\infty`, :math:`A(\tau)` tends to the least-squares fit of the draws: the
over-fitted end of Li et al.'s bound (:math:`\tau^4/(mn)`). Adam on the same model is a different
algorithm; the flow is what the theorem is about.
"""

from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._checks import as_float_array, check_finite, check_positive_int
from ..keys import check_key
from .denoiser import Denoiser
from .denoising import _per_point_loss, check_denoising_weighting, loss_weight
from .networks import RandomFeatureNetwork
from .noise_levels import check_sigma_distribution
from .._types import ArrayInput

__all__ = ["FixedDraws", "fixed_draws", "fixed_draws_loss", "RandomFeatureFlow",
           "random_feature_flow"]


class FixedDraws(NamedTuple):
    """A fixed Monte Carlo sample of the denoising loss (``K = n_draws`` rounds over ``n`` points).

    Attributes:
      x0: ``(K, n, d)`` clean points (each round is the whole training set).
      sigma: ``(K, n)`` noise levels.
      noise: ``(K, n, d)`` standard-normal noise.
      mask: ``(K, n)`` 1 for real rows, 0 for padding.
    """

    x0: Float[Array, "K n d"]
    sigma: Float[Array, "K n"]
    noise: Float[Array, "K n d"]
    mask: Float[Array, "K n"]


def fixed_draws(key, data: ArrayInput, *, sigma_dist, n_draws: int = 64,
                n_valid=None) -> FixedDraws:
    r"""``n_draws`` noise levels and noises for each training point, drawn once.

    Args:
      key: a ``jax.random`` key; round ``k`` uses ``fold_in(key, k)``.
      data: ``(n, d)`` training points.
      sigma_dist: the noise-level distribution (:mod:`.noise_levels`).
      n_draws: rounds :math:`K`; the loss then averages :math:`N = K n` terms.
      n_valid: optional number of valid rows (the first ``n_valid``; the rest is padding). An
        integer, or a traced integer under ``vmap``.

    Returns:
      :class:`FixedDraws`.
    """
    key = check_key("key", key)
    data = as_float_array("data", data, ndim=2)
    if data.shape[0] == 0:
        raise ValueError(f"data: expected at least one point, got shape {tuple(data.shape)}")
    check_finite("data", data)
    check_sigma_distribution("sigma_dist", sigma_dist)
    n_draws = check_positive_int("n_draws", n_draws)
    n = data.shape[0]
    if n_valid is None:
        n_valid = n
    elif isinstance(n_valid, (int, np.integer)) and not 1 <= n_valid <= n:
        raise ValueError(f"n_valid: expected an integer in [1, {n}] (n from data), got {n_valid}")

    def one(k):
        k_sigma, k_noise = jax.random.split(jax.random.fold_in(key, k))
        return (sigma_dist.sample(k_sigma, (n,), data.dtype),
                jax.random.normal(k_noise, data.shape, data.dtype))

    sigma, noise = jax.vmap(one)(jnp.arange(n_draws))
    mask = jnp.broadcast_to((jnp.arange(n) < n_valid).astype(data.dtype), (n_draws, n))
    return FixedDraws(jnp.broadcast_to(data, (n_draws,) + data.shape), sigma, noise, mask)


def _check_draws(draws, d):
    if not isinstance(draws, FixedDraws):
        raise TypeError(f"draws: expected a FixedDraws (from fixed_draws), got {type(draws).__name__}")
    if draws.x0.ndim != 3 or draws.x0.shape[2] != d:
        raise ValueError(f"draws: expected x0 of shape (K, n, {d}) (d of the denoiser), got "
                         f"{tuple(draws.x0.shape)}")


def fixed_draws_loss(params, den: Denoiser, draws: FixedDraws, *, weighting: str = "sigma"
                     ) -> Float[Array, ""]:
    r"""The fixed Monte Carlo loss :math:`L` of the module docstring, through ``den.apply``
    (any network; for random features it is the quadratic the flow descends).

    Args:
      params: the denoiser's parameters. den: the denoiser. draws: :class:`FixedDraws`.
      weighting: ``"edm"``, ``"sigma2"`` or ``"sigma"``.
    """
    if not isinstance(den, Denoiser):
        raise TypeError(f"den: expected a manifold_diffusion.training.Denoiser, got "
                        f"{type(den).__name__}")
    _check_draws(draws, den.d)
    check_denoising_weighting(weighting)
    K, n, d = draws.x0.shape
    per = _per_point_loss(params, den, draws.x0.reshape(K * n, d), draws.sigma.reshape(K * n),
                         draws.noise.reshape(K * n, d), weighting)
    mask = draws.mask.reshape(K * n)
    return jnp.sum(mask * per) / jnp.maximum(jnp.sum(mask), 1.0)


class RandomFeatureFlow(eqx.Module):
    r"""The gradient flow of a random-feature denoiser on a fixed loss, diagonalised.

    ``params_at(tau)`` gives the parameters at training time :math:`\tau` (module docstring);
    ``loss_at(tau)`` the loss :math:`L(A(\tau))` in closed form. A pytree: ``jax.vmap`` over
    flows (seeds, padded training sets) and over :math:`\tau` works.

    Attributes:
      features: the frozen feature parameters (``params["features"]``).
      eigenvalues: ``(m,)`` eigenvalues :math:`\Lambda \ge 0` of :math:`G` (ascending).
      eigenvectors: ``(m, m)`` :math:`V`.
      target: ``(m, d)`` :math:`V^\top C`.
      initial: ``(m, d)`` :math:`V^\top A_0`.
      residual: the constant :math:`\frac1N\sum_i\omega_i\|r_i\|^2` (the loss at :math:`A = 0`).
    """

    features: dict
    eigenvalues: Float[Array, " m"]
    eigenvectors: Float[Array, "m m"]
    target: Float[Array, "m d"]
    initial: Float[Array, "m d"]
    residual: Float[Array, ""]

    def __check_init__(self):
        m = self.eigenvalues.shape[-1]
        if self.eigenvectors.shape[-2:] != (m, m) or self.target.shape[-2] != m:
            raise ValueError(f"eigenvectors: expected shape ({m}, {m}) and target (m, d) with m = "
                             f"{m} (from eigenvalues), got {tuple(self.eigenvectors.shape)} and "
                             f"{tuple(self.target.shape)}")

    def output_at(self, tau) -> Float[Array, "m d"]:
        r""":math:`A(\tau)`, ``(m, d)``, for a scalar :math:`\tau \ge 0`."""
        tau = jnp.asarray(tau, self.eigenvalues.dtype)
        lam = self.eigenvalues
        tiny = jnp.finfo(lam.dtype).tiny
        gain = jnp.where(lam > tiny, -jnp.expm1(-lam * tau) / jnp.where(lam > tiny, lam, 1.0),
                         tau)
        coef = jnp.exp(-lam * tau)[:, None] * self.initial + gain[:, None] * self.target
        return self.eigenvectors @ coef

    def params_at(self, tau) -> dict:
        """The denoiser's parameters at training time ``tau`` (a scalar)."""
        return {"output": self.output_at(tau), "features": self.features}

    def loss_at(self, tau) -> Float[Array, ""]:
        r""":math:`L(A(\tau)) = \tfrac12\mathrm{tr}(A^\top G A) - \mathrm{tr}(A^\top C) + \text{residual}`."""
        b = self.eigenvectors.T @ self.output_at(tau)          # V^T A
        quad = 0.5 * jnp.sum(self.eigenvalues[:, None] * b * b)
        return quad - jnp.sum(b * self.target) + self.residual


def random_feature_flow(key, den: Denoiser, draws: FixedDraws, *, weighting: str = "sigma",
                        init_params=None) -> RandomFeatureFlow:
    r"""Diagonalise the gradient flow of a random-feature denoiser on ``draws``.

    Args:
      key: a ``jax.random`` key for the features (``den.init(key)``), unless ``init_params``.
      den: a :class:`~.denoiser.Denoiser` whose network is a
        :class:`~.networks.RandomFeatureNetwork`.
      draws: the fixed loss's draws (:func:`fixed_draws`).
      weighting: ``"edm"``, ``"sigma2"`` or ``"sigma"`` (Li et al.'s :math:`\lambda\propto\sigma`).
      init_params: the starting parameters (features and :math:`A_0`); default ``den.init(key)``
        (:math:`A_0 = 0`).

    Returns:
      :class:`RandomFeatureFlow`. Cost: :math:`N m^2` for :math:`G` (accumulated round by
      round), :math:`m^3` for the eigendecomposition.
    """
    if not isinstance(den, Denoiser) or not isinstance(den.network, RandomFeatureNetwork):
        raise TypeError(f"den: expected a Denoiser around a RandomFeatureNetwork, got "
                        f"{type(den).__name__}"
                        + (f" around {type(den.network).__name__}" if isinstance(den, Denoiser)
                           else ""))
    key = check_key("key", key)
    _check_draws(draws, den.d)
    check_denoising_weighting(weighting)
    dtype = draws.x0.dtype
    params = den.init(key, dtype) if init_params is None else init_params
    net = den.network
    m = net.width

    def accumulate(carry, draw):
        """Add one round of draws to G, C and the residual."""
        g, c, res = carry
        x0, sigma, noise, mask = draw
        y = x0 + sigma[:, None] * noise
        c_skip, c_out, c_in, c_noise = den.coefficients(sigma)
        psi = net.features(params, c_in[:, None] * y, c_noise) / m          # (n, m)
        omega = mask * loss_weight(weighting, sigma, den.sigma_data) * c_out * c_out
        r = (x0 - c_skip[:, None] * y) / c_out[:, None]                       # (n, d)
        wpsi = psi * omega[:, None]
        return (g + wpsi.T @ psi, c + wpsi.T @ r, res + jnp.sum(omega * jnp.sum(r * r, 1))), None

    zero = (jnp.zeros((m, m), dtype), jnp.zeros((m, den.d), dtype), jnp.zeros((), dtype))
    (g, c, res), _ = jax.lax.scan(accumulate, zero, draws)
    total = jnp.maximum(jnp.sum(draws.mask), 1.0)
    g, c, res = 2.0 * g / total, 2.0 * c / total, res / total
    lam, vec = jnp.linalg.eigh(0.5 * (g + g.T))
    lam = jnp.maximum(lam, 0.0)
    return RandomFeatureFlow(params["features"], lam, vec, vec.T @ c, vec.T @ params["output"], res)
