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
from jaxtyping import Array, ArrayLike, Bool, Float, Real

from .._checks import as_float_array, check_finite, check_positive_int, check_type
from .._types import ArrayInput, Size
from ..processes import Process
from .point_mixture import PointMixtureScore, streaming_softmax_stats

__all__ = ["EmpiricalScore"]

_AXIS = "data"


def _check_devices(devices) -> list:
    """The devices to shard over: all of ``jax.devices()`` by default, else a non-empty sequence."""
    if devices is None:
        return list(jax.devices())
    if isinstance(devices, (str, bytes)) or not hasattr(devices, "__iter__"):
        raise TypeError(f"devices: expected a sequence of jax devices, got {type(devices).__name__}")
    devices = list(devices)
    if not devices:
        raise ValueError("devices: expected at least one device")
    for dev in devices:
        if not isinstance(dev, jax.Device):
            raise TypeError(f"devices: expected jax devices (jax.devices()), got {type(dev).__name__}")
    return devices


def _merge_across_devices(run_max, run_sum, run_acc, run_idx, rows_per_device):
    """Combine per-device streaming-softmax statistics inside ``shard_map``."""
    glob_max = jax.lax.pmax(jax.lax.stop_gradient(run_max), _AXIS)
    safe_max = jnp.where(jnp.isfinite(glob_max), glob_max, 0.0)
    shrink = jnp.exp(run_max - safe_max)
    offset = jax.lax.axis_index(_AXIS) * rows_per_device
    glob_idx = jax.lax.pmax(jnp.where(run_max == glob_max, run_idx + offset, -1), _AXIS)
    return (glob_max, jax.lax.psum(run_sum * shrink, _AXIS),
            jax.lax.psum(run_acc * shrink[:, None], _AXIS), glob_idx)


class EmpiricalScore(PointMixtureScore):
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

    def __init__(self, data: ArrayInput, process: Process, *, chunk_size: Size = 4096,
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
        check_type("process", process, Process, "a manifold_diffusion Process (VP, VE)")
        data = as_float_array("data", data, ndim=2)
        n, d = data.shape
        if n == 0 or d == 0:
            raise ValueError(f"data: expected shape (n, d) with n >= 1 and d >= 1, got {data.shape}")
        check_finite("data", data)
        chunk_size = check_positive_int("chunk_size", chunk_size)
        devices = _check_devices(devices)
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

    _d_source = "from data"

    @property
    def points(self) -> Float[Array, "n_pad d"]:
        """The padded ``(n_pad, d)`` point set the kernels sum over (``data``)."""
        return self.data

    @property
    def training_points(self) -> Float[Array, "n d"]:
        """The ``(n, d)`` training points without padding."""
        return self.data[: self.n]

    def log_weight_at(self, index):
        """Log-weight of the point ``index``: every training point weighs ``1/n``."""
        return -math.log(self.n)

    def softmax_stats(self, x, alpha, sigma2):
        r"""Streaming softmax of :math:`(\alpha/\sigma^2)\langle x, x_i\rangle - (\alpha^2/2\sigma^2)\|x_i\|^2`,
        on one device or merged across the devices of ``mesh``."""
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

