r"""The score of a noised weighted point mixture: the base of the empirical and population scores.

For points :math:`y_1, \dots, y_m\in\mathbb R^d` with weights :math:`w_i > 0`, :math:`\sum_i w_i = 1`,
the law :math:`\sum_i w_i\delta_{y_i}` noised by a forward process has density

.. math:: p_t(x) = \sum_{i=1}^m w_i\,\mathcal N(x;\ \alpha_t y_i,\ \sigma_t^2 I_d),

whose score, posterior mean and log-density are softmax statistics of the logits
:math:`\ell_i(x) = \log w_i - \|x - \alpha_t y_i\|^2/2\sigma_t^2`:

.. math:: \nabla\log p_t(x) = \frac{\alpha_t\sum_i \pi_i(x)\,y_i - x}{\sigma_t^2}, \qquad
          E[Y\mid X_t = x] = \sum_i \pi_i(x)\,y_i, \qquad \pi = \operatorname{softmax}(\ell).

Two scores of the book are such mixtures: :class:`~manifold_diffusion.scores.EmpiricalScore`
(the ``n`` training points, :math:`w_i = 1/n`) and
:class:`~manifold_diffusion.scores.PopulationScore` (quadrature nodes on a manifold, quadrature
weights). :class:`PointMixtureScore` holds what they share -- the argument checks, the three
public methods and their jitted kernels; a subclass says where its points are and how it
accumulates the softmax (:meth:`PointMixtureScore.softmax_stats`: one device, or sharded).

**Computation.** :func:`streaming_softmax_stats` accumulates the softmax over blocks of
``chunk_size`` points with a running maximum, running sum and running weighted sum (a
streaming log-sum-exp) in matrix-product form, dropping the :math:`\|x\|^2` term that is
constant over :math:`i`. Memory is :math:`O(b\,C + b\,d)` whatever ``m`` is.
"""

import abc
import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, Int

from .._checks import as_float_array, check_positive_int, check_scalar, check_shape
from .._types import ArrayInput, Size, TimeInput
from ..processes import Process

__all__ = ["PointMixtureScore", "streaming_softmax_stats"]

_HIGHEST = jax.lax.Precision.HIGHEST


def streaming_softmax_stats(
    x: ArrayInput,
    points: ArrayInput,
    sq_norms: ArrayInput,
    valid: ArrayInput,
    scale_inner: TimeInput,
    scale_sq: TimeInput,
    chunk_size: Size,
) -> tuple[Float[Array, " b"], Float[Array, " b"], Float[Array, "b d"], Int[Array, " b"]]:
    r"""Streaming softmax over ``points`` of the logits :math:`a\langle x, p_i\rangle - c\|p_i\|^2`.

    Scans over blocks of ``chunk_size`` rows, keeping for each query the running maximum
    :math:`m`, its row index, the running sum :math:`l = \sum_i e^{\ell_i - m}` and the running
    weighted sum :math:`u = \sum_i e^{\ell_i - m} p_i`. Rows with ``valid == False`` (padding) get
    weight 0. A query whose rows are all padding returns ``m = -inf, l = 0, u = 0``.

    A jittable kernel: shapes are checked (statically, also under ``jit``), values are not.

    Args:
      x: ``(b, d)`` queries.
      points: ``(m, d)`` with ``m`` a multiple of ``chunk_size``.
      sq_norms: ``(m,)`` squared norms of ``points`` (or any per-row offset :math:`c_i/c`).
      valid: ``(m,)`` mask of real (non-padding) rows.
      scale_inner, scale_sq: scalars :math:`a` and :math:`c`.
      chunk_size: block size ``C``, a divisor of ``m``.

    Returns:
      ``(m, l, u, i)`` of shapes ``(b,)``, ``(b,)``, ``(b, d)``, ``(b,)``: the log-sum-exp of the
      logits is :math:`m + \log l`, the softmax-weighted mean of the points is :math:`u / l`, and
      ``i`` is the row of the largest logit.
    """
    x = as_float_array("x", x, ndim=2)
    b, d = x.shape
    points = as_float_array("points", points, ndim=2)
    check_shape("points", points, (None, d), "d from x")
    m = points.shape[0]
    chunk_size = check_positive_int("chunk_size", chunk_size)
    if m % chunk_size:
        raise ValueError(f"chunk_size: expected a divisor of m = {m} (rows of points), got {chunk_size}")
    sq_norms = as_float_array("sq_norms", sq_norms)
    check_shape("sq_norms", sq_norms, (m,), "m, from points")
    valid = jnp.asarray(valid)
    if valid.dtype != jnp.bool_:
        raise TypeError(f"valid: expected a boolean mask, got dtype {valid.dtype}")
    check_shape("valid", valid, (m,), "m, from points")
    check_scalar("scale_inner", scale_inner)
    check_scalar("scale_sq", scale_sq)
    n_blocks = m // chunk_size
    blocks = (points.reshape(n_blocks, chunk_size, d),
              sq_norms.reshape(n_blocks, chunk_size),
              valid.reshape(n_blocks, chunk_size),
              jnp.arange(n_blocks, dtype=jnp.int32) * chunk_size)

    def block(carry, blk):
        """Fold one block of ``C`` points into the running (max, sum, weighted sum, argmax)."""
        run_max, run_sum, run_acc, run_idx = carry
        pts, sq, ok, start = blk
        logit = scale_inner * jnp.matmul(x, pts.T, precision=_HIGHEST) - scale_sq * sq[None, :]
        logit = jnp.where(ok[None, :], logit, -jnp.inf)
        # the running max is only a stabiliser (the results are invariant to it), so it is
        # held constant under differentiation: this also keeps pmax out of the autodiff graph
        blk_max = jax.lax.stop_gradient(jnp.max(logit, axis=1))
        blk_idx = start + jnp.argmax(logit, axis=1).astype(jnp.int32)
        run_idx = jnp.where(blk_max > run_max, blk_idx, run_idx)
        new_max = jnp.maximum(run_max, blk_max)
        safe_max = jnp.where(jnp.isfinite(new_max), new_max, 0.0)
        w = jnp.exp(logit - safe_max[:, None])                    # (b, C), entries in [0, 1]
        shrink = jnp.exp(run_max - safe_max)                       # rescales the old sums
        run_sum = run_sum * shrink + jnp.sum(w, axis=1)
        run_acc = run_acc * shrink[:, None] + jnp.matmul(w, pts, precision=_HIGHEST)
        return (new_max, run_sum, run_acc, run_idx), None

    init = (jnp.full((b,), -jnp.inf, x.dtype), jnp.zeros((b,), x.dtype),
            jnp.zeros((b, d), x.dtype), jnp.zeros((b,), jnp.int32))
    stats, _ = jax.lax.scan(block, init, blocks)
    return stats


class PointMixtureScore(eqx.Module):
    r"""Base of the scores of noised weighted point mixtures (see the module docstring).

    A ``score_fn(x, t)`` accepted by every sampler, and a pytree: pass it to jitted code as an
    argument, never close over it (its points would be baked in as constants).

    Subclasses provide the field ``process`` and the three members of the protocol below; they
    may extend :meth:`check_query_time` (the population score also checks that its nodes resolve
    the noise).

    The public methods check eagerly: ``x`` has ``d`` columns (static, also under ``jit``); ``t``
    is a scalar (static) in :math:`(0, T]` of the process (only when ``t`` is concrete: under
    ``jit`` the caller checks its times, as every sampler checks its grid). Query points holding
    NaN give NaN.
    """

    process: eqx.AbstractVar[Process]

    #: where the ambient dimension comes from, for error messages
    _d_source = "from the points"

    # ------------------------------------------------------------------------- the protocol
    @property
    @abc.abstractmethod
    def points(self) -> Float[Array, "m d"]:
        """The padded ``(m, d)`` points :math:`y_i` the kernels sum over."""

    @abc.abstractmethod
    def softmax_stats(self, x: ArrayInput, alpha: ArrayInput,
                      sigma2: ArrayInput) -> tuple[Float[Array, " b"], Float[Array, " b"], Float[Array, "b d"],
                                 Int[Array, " b"]]:
        r"""Streaming softmax statistics (:func:`streaming_softmax_stats`) of the logits
        :math:`\log w_i + (\alpha/\sigma^2)\langle x, y_i\rangle - (\alpha^2/2\sigma^2)\|y_i\|^2`,
        up to a constant in :math:`i`."""

    @abc.abstractmethod
    def log_weight_at(self, index: ArrayInput) -> Float[ArrayLike, "*b"]:
        r"""Normalised log-weight :math:`\log w_i` of the points ``index`` (a scalar when all are equal)."""

    # ------------------------------------------------------------------------- shared methods
    @property
    def d(self) -> int:
        """Ambient dimension."""
        return self.points.shape[1]

    def check_query_time(self, t: TimeInput) -> None:
        """Raise ``ValueError`` unless ``t`` is a scalar in ``(0, T]`` (the range is checked when concrete)."""
        check_scalar("t", t)
        self.process.check_time(t)

    def _prepare(self, x, t):
        """Check ``x`` (``(b, d)`` or ``(d,)``) and ``t``; return ``(x as (b, d), single, t)``."""
        x = as_float_array("x", x)
        single = x.ndim == 1
        xb = x[None, :] if single else x
        check_shape("x", xb, (None, self.d), f"d = {self.d}, {self._d_source}")
        self.check_query_time(t)
        xb = xb.astype(self.points.dtype)
        return xb, single, jnp.asarray(t, xb.dtype)

    def __call__(self, x: ArrayInput, t: TimeInput) -> Float[Array, "*b d"]:
        r"""Score :math:`\nabla\log p_t(x)`; ``x`` is ``(b, d)`` (or ``(d,)``), ``t`` a scalar in ``(0, T]``."""
        xb, single, t = self._prepare(x, t)
        out = _score(self, xb, t)
        return out[0] if single else out

    def denoise(self, x: ArrayInput, t: TimeInput) -> Float[Array, "*b d"]:
        r"""Posterior mean :math:`E[Y \mid \alpha_t Y + \sigma_t Z = x] = \sum_i \pi_i(x)\,y_i`; shape of ``x``."""
        xb, single, t = self._prepare(x, t)
        out = _denoise(self, xb, t)
        return out[0] if single else out

    def log_prob(self, x: ArrayInput, t: TimeInput) -> Float[Array, "*b"]:
        r"""Log-density :math:`\log p_t(x)`; ``(b,)`` (a scalar for ``x`` of shape ``(d,)``).

        .. math:: \log p_t(x) = \operatorname{LSE}_i\Big(\log w_i - \frac{\|x-\alpha_t y_i\|^2}{2\sigma_t^2}\Big)
                  - \frac d2 \log(2\pi\sigma_t^2)

        The log-sum-exp is written around the point :math:`y_{i^*}` of largest logit,
        :math:`\operatorname{LSE} = \log w_{i^*} - \|x-\alpha_t y_{i^*}\|^2/2\sigma_t^2
        + \log\sum_i e^{\ell_i-\ell_{i^*}}`, with the first term in difference form: the
        matrix-product form would cancel :math:`\|x\|^2/2\sigma_t^2` (about :math:`10^8` at
        :math:`\sigma_t=10^{-4}`) in float32. Its gradient is the score.
        """
        xb, single, t = self._prepare(x, t)
        out = _log_prob(self, xb, t)
        return out[0] if single else out


# The three kernels of every point mixture (checked inputs; ``t`` already an array of x's dtype).

@eqx.filter_jit
def _score(score, x, t):
    alpha, sigma = score.process.marginal(t)
    sigma2 = sigma * sigma
    _, run_sum, run_acc, _ = score.softmax_stats(x, alpha, sigma2)
    mean = run_acc / run_sum[:, None]                     # softmax-weighted mean of the points
    return (alpha * mean - x) / sigma2


@eqx.filter_jit
def _denoise(score, x, t):
    alpha, sigma = score.process.marginal(t)
    _, run_sum, run_acc, _ = score.softmax_stats(x, alpha, sigma * sigma)
    return run_acc / run_sum[:, None]


@eqx.filter_jit
def _log_prob(score, x, t):
    alpha, sigma = score.process.marginal(t)
    sigma2 = sigma * sigma
    _, run_sum, _, top = score.softmax_stats(x, alpha, sigma2)
    top_pt = jax.lax.stop_gradient(alpha * score.points[top])
    resid = x - top_pt
    # value: log w_top - |x - alpha x_top|^2 / 2 sigma^2 in difference form, plus the log of the
    # sum relative to the largest logit. gradient: must be -x / sigma^2 from these terms, since
    # run_sum is taken relative to the largest logit, held constant; the zero-valued
    # (inner - stop_gradient(inner)) term removes the extra alpha x_top / sigma^2.
    inner = jnp.sum(x * top_pt, axis=1) / sigma2
    lse = (score.log_weight_at(top) + jnp.log(run_sum)
           - jnp.sum(resid * resid, axis=1) / (2.0 * sigma2)
           - (inner - jax.lax.stop_gradient(inner)))
    return lse - 0.5 * score.d * jnp.log(2.0 * math.pi * sigma2)
