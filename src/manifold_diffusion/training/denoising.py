r"""The denoising loss of a preconditioned denoiser, with the book's three weightings.

For clean points :math:`x_0`, noise levels :math:`\sigma` drawn from a distribution of
:mod:`.noise_levels` and :math:`y = x_0 + \sigma n`,

.. math:: \mathcal L = \mathbb E\ \lambda_D(\sigma)\,\|D(y, \sigma) - x_0\|^2 .

Since the score of :math:`D` is :math:`s = (D - y)/\sigma^2` and the DSM target is
:math:`-n/\sigma = (x_0 - y)/\sigma^2`, a weight :math:`\lambda(\sigma)` on the score residual
:math:`\|s + n/\sigma\|^2` is the weight :math:`\lambda_D = \lambda/\sigma^4` on the denoiser
residual. The weightings (``weighting=``):

=========  ==========================================  ==============================================
name       :math:`\lambda` on the score residual        :math:`\lambda_D` on :math:`\|D - x_0\|^2`
=========  ==========================================  ==============================================
"edm"      :math:`(\sigma^2+\sigma_d^2)\sigma^2/\sigma_d^2`  :math:`(\sigma^2 + \sigma_d^2)/(\sigma\sigma_d)^2` :cite:`karras2022elucidating`
"sigma2"   :math:`\sigma^2`                             :math:`1/\sigma^2` (Song et al.'s choice, :cite:`song2021score`)
"sigma"    :math:`\sigma\,\sigma_d`                     :math:`\sigma_d/\sigma^3` (:cite:`li2023generalization`, eq. 6)
=========  ==========================================  ==============================================

"edm" makes the effective target of the network unit-variance at every :math:`\sigma`.
"sigma" is Li et al.'s :math:`\lambda(t)\propto 1/\sqrt{\mathbb E\|\nabla\log p_{t|0}\|^2}
= \sigma_t/\sqrt d` (the constant :math:`\sigma_d/\sqrt d` only rescales the loss). The residual
is summed over coordinates and averaged over points.
"""

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._checks import as_float_array, check_positive
from ..keys import check_key
from .denoiser import Denoiser
from .noise_levels import check_sigma_distribution
from .._types import ArrayInput

__all__ = ["DENOISING_WEIGHTINGS", "loss_weight", "denoising_loss"]
__all__ += ["check_denoising_weighting"]

#: The weightings :func:`denoising_loss` accepts.
DENOISING_WEIGHTINGS = ("edm", "sigma2", "sigma")


def check_denoising_weighting(weighting) -> str:
    """Raise ``ValueError`` unless ``weighting`` is one of :data:`DENOISING_WEIGHTINGS`."""
    if weighting not in DENOISING_WEIGHTINGS:
        raise ValueError(f"weighting: expected one of {DENOISING_WEIGHTINGS}, got {weighting!r}")
    return weighting


def loss_weight(weighting: str, sigma, sigma_data: float):
    r"""The weight :math:`\lambda_D(\sigma)` on :math:`\|D - x_0\|^2` (module docstring); the
    shape of ``sigma``."""
    check_denoising_weighting(weighting)
    check_positive("sigma_data", sigma_data)
    sigma = jnp.asarray(sigma)
    if weighting == "edm":
        return (sigma * sigma + sigma_data * sigma_data) / (sigma * sigma_data) ** 2
    if weighting == "sigma2":
        return 1.0 / (sigma * sigma)
    return sigma_data / sigma ** 3


def _per_point_loss(params, den: Denoiser, x0, sigma, noise, weighting: str):
    r"""``(b,)`` weighted residuals :math:`\lambda_D(\sigma_i)\|D(x_{0,i} + \sigma_i n_i, \sigma_i) - x_{0,i}\|^2`
    for given noise levels ``sigma`` ``(b,)`` and standard-normal ``noise`` ``(b, d)``."""
    y = x0 + sigma[:, None] * noise
    r = den.apply(params, y, sigma) - x0
    return loss_weight(weighting, sigma, den.sigma_data) * jnp.sum(r * r, axis=1)


def denoising_loss(params, den: Denoiser, key, x0: ArrayInput, *, sigma_dist,
                   weighting: str = "edm", mask: ArrayInput = None
                   ) -> Float[Array, ""]:
    r"""Monte Carlo denoising loss: one noise level and one noise draw per point.

    Args:
      params: the denoiser's parameters.
      den: a :class:`~.denoiser.Denoiser`.
      key: a ``jax.random`` key (split into a noise-level key and a noise key).
      x0: ``(b, d)`` clean points.
      sigma_dist: a noise-level distribution of :mod:`.noise_levels`.
      weighting: ``"edm"``, ``"sigma2"`` or ``"sigma"`` (module docstring).
      mask: optional ``(b,)`` non-negative weights of the points (0 for padding rows).

    Returns:
      A scalar: the (masked) mean over points of the weighted residual.
    """
    if not isinstance(den, Denoiser):
        raise TypeError(f"den: expected a manifold_diffusion.training.Denoiser, got "
                        f"{type(den).__name__}")
    key = check_key("key", key)
    check_sigma_distribution("sigma_dist", sigma_dist)
    check_denoising_weighting(weighting)
    x0 = as_float_array("x0", x0, ndim=2)
    if x0.shape[1] != den.d or x0.shape[0] == 0:
        raise ValueError(f"x0: expected shape (b, {den.d}) with b >= 1 (d of the denoiser), got "
                         f"{tuple(x0.shape)}")
    if mask is not None:
        mask = as_float_array("mask", mask, ndim=1)
        if mask.shape[0] != x0.shape[0]:
            raise ValueError(f"mask: expected shape ({x0.shape[0]},) (b from x0), got "
                             f"{tuple(mask.shape)}")
    return _denoising_loss(params, den, key, x0, sigma_dist, weighting, mask)


def _denoising_loss(params, den, key, x0, sigma_dist, weighting, mask):
    k_sigma, k_noise = jax.random.split(key)
    sigma = sigma_dist.sample(k_sigma, (x0.shape[0],), x0.dtype)
    noise = jax.random.normal(k_noise, x0.shape, x0.dtype)
    per = _per_point_loss(params, den, x0, sigma, noise, weighting)
    if mask is None:
        return jnp.mean(per)
    return jnp.sum(mask * per) / jnp.maximum(jnp.sum(mask), 1.0)
