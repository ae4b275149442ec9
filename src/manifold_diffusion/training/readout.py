r"""Read-outs of a trained score: :math:`\mathrm{KL}(p_0\,\|\,p_\theta)` at a stated noise level.

A score model defines a density only through a choice: which noise level it is read at. The
*read-out* noise level :math:`\sigma_{\rm read}` (VE form; the time :math:`t_{\rm read}` with
:math:`\sigma_t/\alpha_t = \sigma_{\rm read}`, :func:`readout_time`) decides what can be seen. A
perfectly memorizing model -- the empirical score of the training set
(:class:`~manifold_diffusion.scores.EmpiricalScore`) -- read at :math:`\sigma_{\rm read}` is the
kernel density estimate of bandwidth :math:`\sigma_{\rm read}`: for :math:`n = 1000` points of
:math:`\tfrac12N(\pm3,1)` its KL is about 0.1--0.2 at :math:`\sigma_{\rm read} = 0.045` and 5--6 at
0.0045. Memorization is invisible to a coarse read-out, so every KL the book prints stands beside
this **memorization ceiling** (:func:`memorization_ceiling`), the same read-out of the
empirical score.

Both read the law of :math:`X_t/\alpha_t` (the VE form, :math:`p_0 * N(0, \sigma_{\rm read}^2)` for the
exact score; for VE :math:`\alpha_t = 1`), against :math:`p_0` itself:

* :func:`kl_grid_readout` (1-D): integrate the learned score on a fine grid at
  :math:`t_{\rm read}`, :math:`\log q(x) = \int^x s(u, t_{\rm read})\,du + c`, normalise, and
  :math:`\mathrm{KL} = \int p_0\log(p_0/q)` by the trapezoid rule -- the density "implied by the
  learned score" of :cite:`li2023generalization` (eq. 11, our reading). The grid spacing must
  resolve :math:`\sigma_{\rm read}` (at most :math:`\sigma_{\rm read}/3`; checked) and the grid must
  cover :math:`p_0`'s mass.
* :func:`kl_flow_readout` (any small ``d``): :math:`q` is the law of the probability-flow ODE's
  output at :math:`t_{\rm read}` started from the prior (:func:`~.density.flow_log_density`, exact
  divergence by ``d`` Jacobian-vector products), and
  :math:`\mathrm{KL} = \mathbb E_{p_0}[\log p_0 - \log q]` by Monte Carlo over fresh draws of
  :math:`p_0`, with its standard error.
"""

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._checks import as_float_array, check_positive, check_positive_int, is_concrete
from ..processes import VE, VP, Process
from .density import flow_log_density, integrated_log_density, kl_on_grid, normalize_log_density
from .._types import ArrayInput

__all__ = ["readout_time", "grid_log_density", "kl_grid_readout", "KLEstimate",
           "kl_flow_readout", "memorization_ceiling"]


def readout_time(process: Process, sigma_read: float) -> float:
    r"""The time :math:`t` at which :math:`\sigma_t/\alpha_t = \sigma_{\rm read}`.

    VE (:math:`\sigma_t^2 = t`): :math:`t = \sigma_{\rm read}^2`; VP
    (:math:`\sigma_t/\alpha_t = \sqrt{e^{2t}-1}`): :math:`t = \tfrac12\log(1+\sigma_{\rm read}^2)`.
    """
    if not isinstance(process, Process):
        raise TypeError(f"process: expected a manifold_diffusion Process (VP, VE), got "
                        f"{type(process).__name__}")
    check_positive("sigma_read", sigma_read)
    s = float(sigma_read)
    if isinstance(process, VE):
        t = s * s
    elif isinstance(process, VP):
        t = 0.5 * math.log1p(s * s)
    else:
        raise TypeError(f"process: read-out times are defined for VE and VP, got "
                        f"{type(process).__name__}")
    if not 0 < t < process.T:
        raise ValueError(f"sigma_read: expected a noise level inside the process's range (t = {t:g} "
                         f"must lie in (0, T = {process.T:g})), got {sigma_read}")
    return t


def _process_of(score_fn, process):
    process = process if process is not None else getattr(score_fn, "process", None)
    if not isinstance(process, Process):
        raise TypeError("process: required when score_fn has no .process attribute (a "
                        "manifold_diffusion Process)")
    return process


def _check_grid(x_grid, sigma_read):
    x_grid = as_float_array("x_grid", x_grid, ndim=1)
    if x_grid.shape[0] < 3:
        raise ValueError(f"x_grid: expected at least 3 points, got shape {tuple(x_grid.shape)}")
    if is_concrete(x_grid):
        dx = np.diff(np.asarray(x_grid, np.float64))
        if not np.all(dx > 0):
            raise ValueError("x_grid: expected strictly increasing points")
        if dx.max() > sigma_read / 3 * 1.01:          # 1 % slack for float32 grids
            raise ValueError(f"x_grid: spacing {dx.max():.3g} does not resolve sigma_read = "
                             f"{sigma_read:g}; use a spacing of at most sigma_read / 3")
    return x_grid


def grid_log_density(score_fn, x_grid: ArrayInput, *, sigma_read: float,
                     process: Process | None = None) -> Float[Array, " g"]:
    r"""Normalised 1-D log-density implied by the score at :math:`t_{\rm read}` on ``x_grid``.

    Args:
      score_fn: a 1-D ``score_fn(x, t)`` (``.process`` is used unless ``process`` is given).
      x_grid: ``(g,)`` increasing points, spacing at most ``sigma_read / 3``.
      sigma_read: the read-out noise level.
      process: the process (default ``score_fn.process``).

    Returns:
      ``(g,)`` log-densities normalised on the grid (trapezoid rule).
    """
    process = _process_of(score_fn, process)
    t = readout_time(process, sigma_read)
    x_grid = _check_grid(x_grid, sigma_read)
    alpha, _ = process.marginal(jnp.asarray(t, x_grid.dtype))
    # the law of X_t / alpha_t (VE form): d/du log p_t(alpha u) = alpha s(alpha u, t)
    scaled = lambda x, tt: alpha * score_fn(alpha * x, tt)   # noqa: E731
    return normalize_log_density(integrated_log_density(scaled, x_grid, t), x_grid)


def kl_grid_readout(score_fn, log_p0: ArrayInput, x_grid: ArrayInput, *,
                    sigma_read: float, process: Process | None = None) -> Float[Array, ""]:
    r""":math:`\mathrm{KL}(p_0\,\|\,q)` with :math:`q` from :func:`grid_log_density`.

    Args:
      score_fn: a 1-D score (e.g. :func:`~.denoiser.denoiser_score`; use ``jax.vmap`` over
        parameters for many checkpoints).
      log_p0: ``(g,)`` the data law's log-density on ``x_grid`` (renormalised on the grid).
      x_grid: ``(g,)`` increasing points covering :math:`p_0`'s mass, spacing
        :math:`\le\sigma_{\rm read}/3`.
      sigma_read: the read-out noise level.
      process: default ``score_fn.process``.
    """
    log_p0 = as_float_array("log_p0", log_p0, ndim=1)
    if log_p0.shape != tuple(jnp.shape(x_grid)):
        raise ValueError(f"log_p0: expected shape {tuple(jnp.shape(x_grid))} (from x_grid), got "
                         f"{tuple(log_p0.shape)}")
    log_q = grid_log_density(score_fn, x_grid, sigma_read=sigma_read, process=process)
    return kl_on_grid(log_p0, log_q, x_grid)


class KLEstimate(NamedTuple):
    """A Monte Carlo KL with its standard error (arrays: vmappable)."""

    kl: Float[Array, ""]
    standard_error: Float[Array, ""]


def kl_flow_readout(score_fn, x0: ArrayInput, log_p0: ArrayInput, *,
                    sigma_read: float, n_steps: int = 128, process: Process | None = None
                    ) -> KLEstimate:
    r""":math:`\mathrm{KL}(p_0\,\|\,q) = \mathbb E_{p_0}[\log p_0 - \log q]`, :math:`q` the law of
    the probability-flow ODE's output at :math:`t_{\rm read}`, by Monte Carlo over ``x0``.

    Args:
      score_fn: a score (``d <= 3``: the divergence is exact, ``d`` JVPs per step).
      x0: ``(b, d)`` fresh draws of :math:`p_0` (not the training points).
      log_p0: ``(b,)`` :math:`\log p_0(x_0)`.
      sigma_read: the read-out noise level.
      n_steps: Heun steps of the ODE on a geometric time grid from :math:`t_{\rm read}` to ``T``.
      process: default ``score_fn.process``.

    Returns:
      :class:`KLEstimate` (``standard_error`` = sd / sqrt(b) of the log-ratio).
    """
    process = _process_of(score_fn, process)
    t = readout_time(process, sigma_read)
    x0 = as_float_array("x0", x0, ndim=2)
    log_p0 = as_float_array("log_p0", log_p0, ndim=1)
    if log_p0.shape[0] != x0.shape[0]:
        raise ValueError(f"log_p0: expected shape ({x0.shape[0]},) (b from x0), got "
                         f"{tuple(log_p0.shape)}")
    if x0.shape[0] < 2:
        raise ValueError(f"x0: expected at least 2 draws, got shape {tuple(x0.shape)}")
    n_steps = check_positive_int("n_steps", n_steps)
    alpha, _ = process.marginal(jnp.asarray(t, x0.dtype))
    # the law of X_t / alpha_t: log q(u) = log p_t(alpha u) + d log alpha
    log_q = (flow_log_density(score_fn, alpha * x0, process, t_min=t, n_steps=n_steps)
             + x0.shape[1] * jnp.log(alpha))
    ratio = log_p0 - log_q
    return KLEstimate(jnp.mean(ratio), jnp.std(ratio) / math.sqrt(x0.shape[0]))


def memorization_ceiling(data: ArrayInput, log_p0: ArrayInput,
                         x_grid: ArrayInput, process: Process, *, sigma_read: float
                         ) -> float:
    r"""The grid read-out of the empirical score of ``data``: the KL a perfectly memorizing model
    scores at ``sigma_read`` (:func:`kl_grid_readout` of
    :class:`~manifold_diffusion.scores.EmpiricalScore`; it is the KL of the kernel density
    estimate of bandwidth :math:`\sigma_{\rm read}`).

    Args:
      data: ``(n, 1)`` training points. log_p0, x_grid: as :func:`kl_grid_readout`.
      process: the process. sigma_read: the read-out noise level.
    """
    from ..scores import EmpiricalScore

    data = as_float_array("data", data, ndim=2)
    if data.shape[1] != 1:
        raise ValueError(f"data: expected shape (n, 1) (a 1-D read-out), got {tuple(data.shape)}")
    score = EmpiricalScore(data, process)
    return float(kl_grid_readout(score, log_p0, x_grid, sigma_read=sigma_read, process=process))
