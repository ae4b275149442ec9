r"""The empirical score: the exact minimiser of denoising score matching on ``n`` points.

For training points :math:`x_1, \dots, x_n` the noised empirical measure has density

.. math:: \hat p_t(x) = \frac1n \sum_{i=1}^n \mathcal N(x;\ \alpha_t x_i,\ \sigma_t^2 I_d),

and its score is a softmax-weighted pull towards the (scaled) training points,

.. math:: \hat s(x, t) = \nabla\log\hat p_t(x) = \frac{1}{\sigma_t^2}\Big(\alpha_t \sum_i w_i(x)\,x_i - x\Big),
          \qquad w = \operatorname{softmax}_i\Big(-\frac{\|x - \alpha_t x_i\|^2}{2\sigma_t^2}\Big).

It is the unique minimiser over all functions of the denoising score-matching loss on the
training set :cite:`vincent2011connection`, and sampling with it reproduces training points
:cite:`pidstrigach2022score`.

**Computation.** The logits are evaluated in matrix-product form, dropping the
:math:`\|x\|^2` term that is constant over :math:`i`,

.. math:: \ell_i(x) = \frac{\alpha_t}{\sigma_t^2}\,\langle x, x_i\rangle - \frac{\alpha_t^2}{2\sigma_t^2}\|x_i\|^2,

and the softmax is accumulated over blocks of ``chunk_size`` training points with a running
maximum, running sum and running weighted sum (a streaming log-sum-exp). Memory is
:math:`O(b\,C + b\,d)` whatever ``n`` is, and the work is two large matrix products per block.
On several devices the training set is sharded along ``n`` (``jax.sharding``); each device
reduces its own blocks and the partial log-sum-exps are merged with ``pmax``/``psum``.

**Accuracy.** Max-subtraction keeps every exponential in :math:`[0, 1]`, so nothing
overflows at tiny :math:`\sigma_t`. In float32 the logit of a query at distance
:math:`r` from the origin carries an absolute error of about
:math:`6\cdot10^{-8}\,\alpha_t |x||x_i| / \sigma_t^2` nats; weights are therefore exact when the
nearest training point is well separated from the second nearest (always the case for
noised training points at small :math:`\sigma_t`), and only a query almost equidistant from
two training points, at :math:`\sigma_t \lesssim 10^{-3}`, sees its weights perturbed.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from jaxtyping import Array, Bool, Float, Int

from .._checks import as_float_array, check_finite, check_positive_int, check_shape
from ..processes import Process

__all__ = ["EmpiricalScore", "streaming_softmax_stats"]

_HIGHEST = jax.lax.Precision.HIGHEST
_AXIS = "data"


def streaming_softmax_stats(
    x: Float[Array, "b d"],
    points: Float[Array, "m d"],
    sq_norms: Float[Array, " m"],
    valid: Bool[Array, " m"],
    scale_inner: Array,
    scale_sq: Array,
    chunk_size: int,
) -> tuple[Float[Array, " b"], Float[Array, " b"], Float[Array, "b d"], Int[Array, " b"]]:
    r"""Streaming softmax over ``points`` of the logits :math:`a\langle x, p_i\rangle - c\|p_i\|^2`.

    Scans over blocks of ``chunk_size`` rows, keeping for each query the running maximum
    :math:`m`, its row index, the running sum :math:`l = \sum_i e^{\ell_i - m}` and the running
    weighted sum :math:`u = \sum_i e^{\ell_i - m} p_i`. Rows with ``valid == False`` (padding) get
    weight 0. A query whose rows are all padding returns ``m = -inf, l = 0, u = 0``.

    Args:
      x: ``(b, d)`` queries.
      points: ``(m, d)`` with ``m`` a multiple of ``chunk_size``.
      sq_norms: ``(m,)`` squared norms of ``points``.
      valid: ``(m,)`` mask of real (non-padding) rows.
      scale_inner, scale_sq: scalars :math:`a` and :math:`c`.
      chunk_size: block size ``C``.

    Returns:
      ``(m, l, u, i)`` of shapes ``(b,)``, ``(b,)``, ``(b, d)``, ``(b,)``: the log-sum-exp of the
      logits is :math:`m + \log l`, the softmax-weighted mean of the points is :math:`u / l`, and
      ``i`` is the row of the largest logit.
    """
    b, d = x.shape
    n_blocks = points.shape[0] // chunk_size
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


def _merge_across_devices(run_max, run_sum, run_acc, run_idx, rows_per_device):
    """Combine per-device streaming-softmax statistics inside ``shard_map``."""
    glob_max = jax.lax.pmax(jax.lax.stop_gradient(run_max), _AXIS)
    safe_max = jnp.where(jnp.isfinite(glob_max), glob_max, 0.0)
    shrink = jnp.exp(run_max - safe_max)
    offset = jax.lax.axis_index(_AXIS) * rows_per_device
    glob_idx = jax.lax.pmax(jnp.where(run_max == glob_max, run_idx + offset, -1), _AXIS)
    return (glob_max, jax.lax.psum(run_sum * shrink, _AXIS),
            jax.lax.psum(run_acc * shrink[:, None], _AXIS), glob_idx)


class EmpiricalScore(eqx.Module):
    r"""Score of the noised empirical measure of ``data`` (see the module docstring).

    A ``score_fn(x, t)`` accepted by every sampler, and a pytree: pass it as an argument
    to jitted code, never close over it (the training set would be baked in as a constant).

    Attributes:
      data: ``(n_pad, d)`` training points, zero-padded to a multiple of ``chunk_size`` times
        the number of devices, sharded over the devices along the first axis.
      sq_norms: ``(n_pad,)`` squared norms :math:`\|x_i\|^2`.
      valid: ``(n_pad,)`` mask, ``False`` on padding rows.
      process: the forward process.
      n: the number of training points.
      chunk_size: block size ``C`` of the streaming log-sum-exp.
      mesh: device mesh with one axis ``"data"``, or ``None`` on one device.
    """

    data: Float[Array, "n_pad d"]
    sq_norms: Float[Array, " n_pad"]
    valid: Bool[Array, " n_pad"]
    process: Process
    n: int = eqx.field(static=True)
    chunk_size: int = eqx.field(static=True)
    mesh: Mesh | None = eqx.field(static=True)

    def __init__(self, data: Float[Array, "n d"], process: Process, *, chunk_size: int = 4096,
                 devices=None):
        """Prepare (pad, sum-of-squares, shard) the training set.

        Args:
          data: ``(n, d)`` training points, finite, ``n >= 1``.
          process: the forward process whose marginals noise the data.
          chunk_size: largest number of training points per block of the streaming log-sum-exp;
            2048--8192 keeps the matrix products large on a CPU. The blocks actually used are
            balanced (equal sizes, at most ``chunk_size``) to keep padding below one row a block.
          devices: devices to shard the training set over; default all of
            ``jax.devices()``. Pass ``jax.devices()[:1]`` for a single device.
        """
        if not isinstance(process, Process):
            raise TypeError(f"process: expected a manifold_diffusion Process (VP, VE), got "
                            f"{type(process).__name__}")
        data = as_float_array("data", data, ndim=2)
        n, d = data.shape
        if n == 0 or d == 0:
            raise ValueError(f"data: expected shape (n, d) with n >= 1 and d >= 1, got {data.shape}")
        check_finite("data", data)
        chunk_size = check_positive_int("chunk_size", chunk_size)
        devices = list(jax.devices() if devices is None else devices)
        if not devices:
            raise ValueError("devices: expected at least one device")
        n_dev = len(devices)
        # each device scans n_blocks blocks of `chunk` rows; the blocks are balanced so that
        # padding is less than one row per block (n = 10^4 with C = 4096: 3 blocks of 3334 rows,
        # not 3 blocks of 4096 with 23 % wasted work)
        per_device = -(-n // n_dev)
        n_blocks = -(-per_device // chunk_size)
        chunk = -(-per_device // n_blocks)
        n_pad = n_dev * n_blocks * chunk
        valid = np.zeros((n_pad,), bool)
        valid[:n] = True
        padded = jnp.zeros((n_pad, d), data.dtype).at[:n].set(data)
        sq = jnp.sum(padded * padded, axis=1)
        valid = jnp.asarray(valid)
        mesh = None
        if n_dev > 1:
            mesh = Mesh(np.asarray(devices), (_AXIS,))
            rows = NamedSharding(mesh, PartitionSpec(_AXIS))
            padded, sq, valid = (jax.device_put(a, rows) for a in (padded, sq, valid))
        else:
            padded, sq, valid = (jax.device_put(a, devices[0]) for a in (padded, sq, valid))
        self.data, self.sq_norms, self.valid = padded, sq, valid
        self.process, self.n, self.chunk_size, self.mesh = process, n, chunk, mesh

    @property
    def d(self) -> int:
        """Ambient dimension."""
        return self.data.shape[1]

    @property
    def points(self) -> Float[Array, "n_pad d"]:
        """The padded ``(n_pad, d)`` point set the kernels sum over (``data``)."""
        return self.data

    def _top_log_weight(self, index):
        """Log-weight of the point ``index``: every training point weighs ``1/n``."""
        return -math.log(self.n)

    @property
    def training_points(self) -> Float[Array, "n d"]:
        """The ``(n, d)`` training points without padding."""
        return self.data[: self.n]

    def _stats(self, x, alpha, sigma2):
        a, c = alpha / sigma2, alpha * alpha / (2.0 * sigma2)
        if self.mesh is None:
            return streaming_softmax_stats(x, self.data, self.sq_norms, self.valid, a, c,
                                           self.chunk_size)

        rows_per_device = self.data.shape[0] // self.mesh.size

        def local(x, pts, sq, ok, a, c):
            stats = streaming_softmax_stats(x, pts, sq, ok, a, c, self.chunk_size)
            return _merge_across_devices(*stats, rows_per_device)

        rep, rows = PartitionSpec(), PartitionSpec(_AXIS)
        return jax.shard_map(local, mesh=self.mesh, in_specs=(rep, rows, rows, rows, rep, rep),
                             out_specs=(rep, rep, rep, rep), check_vma=False)(
            x, self.data, self.sq_norms, self.valid, a, c)

    def _prepare(self, x, t):
        """Check ``x`` (``(b, d)`` or ``(d,)``) and ``t``; return ``(x as (b, d), single, t)``."""
        x = as_float_array("x", x)
        single = x.ndim == 1
        xb = x[None, :] if single else x
        check_shape("x", xb, (None, self.d), f"d = {self.d}, from data")
        self.process.check_time(t)
        xb = xb.astype(self.data.dtype)
        return xb, single, jnp.asarray(t, xb.dtype)

    def __call__(self, x: Float[Array, "b d"], t) -> Float[Array, "b d"]:
        r"""Score :math:`\hat s(x, t)`; ``x`` is ``(b, d)`` (or ``(d,)``), ``t`` a scalar in ``(0, T]``."""
        xb, single, t = self._prepare(x, t)
        out = _score(self, xb, t)
        return out[0] if single else out

    def denoise(self, x: Float[Array, "b d"], t) -> Float[Array, "b d"]:
        r"""Posterior mean :math:`E[X_0 | X_t = x] = \sum_i w_i(x)\,x_i` under the empirical law."""
        xb, single, t = self._prepare(x, t)
        out = _denoise(self, xb, t)
        return out[0] if single else out

    def log_prob(self, x: Float[Array, "b d"], t) -> Float[Array, " b"]:
        r"""Log-density :math:`\log\hat p_t(x)`; ``(b,)`` (a scalar for ``x`` of shape ``(d,)``).

        .. math:: \log\hat p_t(x) = \operatorname{LSE}_i\Big(-\frac{\|x-\alpha_t x_i\|^2}{2\sigma_t^2}\Big)
                  - \log n - \frac d2 \log(2\pi\sigma_t^2)

        The log-sum-exp is written around the nearest point :math:`x_{i^*}` (largest logit),
        :math:`\operatorname{LSE} = -\|x-\alpha_t x_{i^*}\|^2/2\sigma_t^2 + \log\sum_i e^{\ell_i-\ell_{i^*}}`,
        with the first term in difference form: the matrix-product form would cancel
        :math:`\|x\|^2/2\sigma_t^2` (about :math:`10^8` at :math:`\sigma_t=10^{-4}`) in float32.
        """
        xb, single, t = self._prepare(x, t)
        out = _log_prob(self, xb, t)
        return out[0] if single else out


# The three kernels below serve any weighted set of points that offers ``process``, ``points``
# (``(m, d)``, padded), ``_stats(x, alpha, sigma2)`` and ``_top_log_weight(i)``: the empirical
# score (weights 1/n) and the population score of a manifold (quadrature weights).

@eqx.filter_jit
def _score(score, x, t):
    alpha, sigma = score.process.marginal(t)
    sigma2 = sigma * sigma
    _, run_sum, run_acc, _ = score._stats(x, alpha, sigma2)
    mean = run_acc / run_sum[:, None]                     # softmax-weighted mean of the points
    return (alpha * mean - x) / sigma2


@eqx.filter_jit
def _denoise(score, x, t):
    alpha, sigma = score.process.marginal(t)
    _, run_sum, run_acc, _ = score._stats(x, alpha, sigma * sigma)
    return run_acc / run_sum[:, None]


@eqx.filter_jit
def _log_prob(score, x, t):
    alpha, sigma = score.process.marginal(t)
    sigma2 = sigma * sigma
    _, run_sum, _, top = score._stats(x, alpha, sigma2)
    top_pt = jax.lax.stop_gradient(alpha * score.points[top])
    resid = x - top_pt
    # value: log w_top - |x - alpha x_top|^2 / 2 sigma^2 in difference form, plus the log of the
    # sum relative to the largest logit. gradient: must be -x / sigma^2 from these terms, since
    # run_sum is taken relative to the largest logit, held constant; the zero-valued
    # (inner - stop_gradient(inner)) term removes the extra alpha x_top / sigma^2.
    inner = jnp.sum(x * top_pt, axis=1) / sigma2
    lse = (score._top_log_weight(top) + jnp.log(run_sum)
           - jnp.sum(resid * resid, axis=1) / (2.0 * sigma2)
           - (inner - jax.lax.stop_gradient(inner)))
    return lse - 0.5 * score.d * jnp.log(2.0 * math.pi * sigma2)
