r"""Smoothed scores with fresh kernel draws at every call: log-domain smoothing without a fixed set
of barycentres.

:class:`~manifold_diffusion.scores.SmoothedScore` draws its :math:`M` kernel displacements once
and reuses them for every sample and every time. With few draws that is a *different* score
from the smoothed one: a fixed average of :math:`M` shifted copies of the empirical score, whose
modes are a few fixed barycentres of neighbouring training points, and every sample of a batch
falls on the same ones (with :math:`M = 32` draws and :math:`t_{\min} = 10^{-6}`, the digits
chapter's earlier samples collapsed onto such barycentres, which the intrinsic dimension read
as a dimension near 1). :class:`ResampledSmoothedScore` removes that artefact: at each call, for
each row :math:`x_a` of the batch, it draws :math:`M/2` fresh antithetic pairs,

.. math:: \bar s(x_a, t) = \frac1M\sum_{j=1}^{M/2}\big[\hat s(x_a + h z_{a,j}, t)
          + \hat s(x_a - h z_{a,j}, t)\big], \qquad z_{a,j}\sim N(0, I),

an unbiased estimate of the smoothed score :math:`\mathbb E_z\hat s(x + hz, t)` whose Monte
Carlo error is independent across rows and across the sampler's steps, so it averages out along
a trajectory like the sampler's own noise instead of acting as a fixed bias. The antithetic pairs
keep the estimate's mean displacement exactly zero (on a flat manifold the normal component is
then exact, :cite:`farghly2025logdomain` Prop. 3.1 and :mod:`.smoothed`).

**Randomness without a key argument.** A sampler calls ``score_fn(x, t)``. The draws of a call
come from ``fold_in(key, bits(t))`` (the bit pattern of the time), so a call is a deterministic
function of ``(key, x, t)``: the same run gives the same samples, two calls at different times get
independent draws, and the Tweedie step at :math:`t_{\min}` reuses the draws of the last sampler
step at that time. The draws of row :math:`a` depend on the batch size (they are one
``(b, M/2, e)`` array), so changing ``b`` changes every sample's noise.

**Kernels.** Isotropic Gaussian :math:`u = h z` (default), or *manifold-adapted* with
``manifold=M`` (anything with ``project`` and ``tangent_basis``, e.g. a
:class:`~manifold_diffusion.data.TabulatedCurve` or an estimated
:class:`~manifold_diffusion.manifolds.LocalPCAManifold`): :math:`p = \Pi_M(x)`,
:math:`u = \Pi_M(p + h\,T_p z) - p` with :math:`z\sim N(0, I_k)`, as in :mod:`.smoothed`.
The bandwidth ``h`` is constant in time and is not the noise level.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._checks import as_float_array, check_positive_int, check_shape
from ..keys import check_key
from .._types import ArrayInput

__all__ = ["ResampledSmoothedScore"]


def _check_bandwidth(bandwidth) -> float:
    if isinstance(bandwidth, bool) or np.ndim(bandwidth) != 0:
        raise TypeError(f"bandwidth: expected a number >= 0, got {bandwidth!r}")
    try:
        value = float(bandwidth)
    except (TypeError, ValueError) as err:
        raise TypeError(f"bandwidth: expected a number >= 0, got {bandwidth!r}") from err
    if not (np.isfinite(value) and value >= 0):
        raise ValueError(f"bandwidth: expected a finite number >= 0, got {value!r}")
    return value


def _time_bits(t):
    """The bit pattern of a scalar time as a ``uint32`` (float64 times are first rounded to
    float32, whose 24-bit mantissa separates every grid the book uses)."""
    return jax.lax.bitcast_convert_type(jnp.asarray(t, jnp.float32), jnp.uint32)


class ResampledSmoothedScore(eqx.Module):
    r"""Kernel average of a score with fresh antithetic draws per call and per row (module
    docstring).

    A ``score_fn(x, t)`` accepted by every sampler (``.d``, and ``.process`` when the smoothed
    score has one). Cost per call: one call of the underlying score on ``b * M`` points, split
    into chunks of at most ``max_rows`` rows.

    Attributes:
      score: the score being smoothed (an ``EmpiricalScore`` or any ``score_fn``).
      bandwidth: scalar :math:`h \ge 0` (an array leaf: a new bandwidth does not recompile).
      key_data: the raw data of the key the draws are folded from.
      manifold: the manifold of a manifold-adapted kernel, else ``None``.
      n_draws: :math:`M` (even).
      max_rows: most points per call of the underlying score.
    """

    score: object
    bandwidth: Float[Array, ""]
    key_data: Array
    manifold: object
    n_draws: int = eqx.field(static=True)
    max_rows: int = eqx.field(static=True)
    _d: int = eqx.field(static=True)

    def __init__(self, score, bandwidth: float, n_draws: int, key, *, manifold=None,
                 max_rows: int = 2 ** 17, d: int | None = None):
        """Args:
          score: a ``score_fn(x, t)`` with an attribute ``d`` (else pass ``d``).
          bandwidth: kernel scale :math:`h \\ge 0` (0 gives back ``score``).
          n_draws: draws :math:`M` per row and call, even (antithetic pairs).
          key: a ``jax.random`` key, the source of every draw.
          manifold: for manifold-adapted smoothing (``project``, ``tangent_basis``, ``k``, ``d``).
          max_rows: most points per call of ``score``.
          d: the ambient dimension, when ``score`` has no ``d``.
        """
        if not callable(score):
            raise TypeError(f"score: expected a callable score_fn(x, t), got {type(score).__name__}")
        h = _check_bandwidth(bandwidth)
        n_draws = check_positive_int("n_draws", n_draws, minimum=2)
        if n_draws % 2:
            raise ValueError(f"n_draws: expected an even number (antithetic pairs), got {n_draws}")
        key = check_key("key", key)
        if d is None:
            d = getattr(score, "d", None)
            if d is None:
                raise ValueError("d: the score has no attribute d; pass d (the ambient dimension)")
        d = check_positive_int("d", d)
        if manifold is not None:
            if not (hasattr(manifold, "project") and hasattr(manifold, "tangent_basis")):
                raise TypeError(f"manifold: expected a manifold with project and tangent_basis, "
                                f"got {type(manifold).__name__}")
            if manifold.d != d:
                raise ValueError(f"manifold: expected ambient dimension {d} (from score), got "
                                 f"{manifold.d}")
        self.score, self.manifold = score, manifold
        self.bandwidth = jnp.asarray(h, jnp.result_type(float))
        self.key_data = jax.random.key_data(key)
        self.n_draws = n_draws
        self.max_rows = check_positive_int("max_rows", max_rows)
        self._d = d

    @property
    def d(self) -> int:
        """Ambient dimension."""
        return self._d

    @property
    def process(self):
        """The process of the smoothed score (``None`` if it has none)."""
        return getattr(self.score, "process", None)

    def draws(self, x: ArrayInput, t) -> Float[Array, "b m e"]:
        """The unit draws :math:`(z, -z)` of a call at ``(x, t)``: ``(b, M, e)`` with ``e = d``
        (isotropic) or ``k`` (manifold-adapted)."""
        b = x.shape[0]
        e = self.d if self.manifold is None else self.manifold.k
        key = jax.random.fold_in(jax.random.wrap_key_data(self.key_data), _time_bits(t))
        z = jax.random.normal(key, (b, self.n_draws // 2, e), x.dtype)
        return jnp.concatenate([z, -z], axis=1)

    def displacements(self, x: ArrayInput, t) -> Float[Array, "b m d"]:
        r"""The kernel displacements :math:`u_{a,j}` of a call at ``(x, t)``, ``(b, M, d)``."""
        z = self.draws(x, t)
        h = self.bandwidth.astype(x.dtype)
        if self.manifold is None:
            return h * z
        p = self.manifold.project(x)                                         # (b, d)
        basis = self.manifold.tangent_basis(x)                               # (b, d, k)
        moved = p[:, None, :] + h * jnp.einsum("bdk,bmk->bmd", basis, z)
        p_new = self.manifold.project(moved.reshape(-1, x.shape[1])).reshape(moved.shape)
        return p_new - p[:, None, :]

    def __call__(self, x: ArrayInput, t) -> Float[Array, "b d"]:
        r"""Smoothed score estimate at ``x`` ``(b, d)`` (or ``(d,)``) and scalar time ``t``."""
        x = as_float_array("x", x)
        single = x.ndim == 1
        xb = x[None, :] if single else x
        check_shape("x", xb, (None, self.d), f"d = {self.d}, from the score")
        if jnp.ndim(t) != 0:
            raise ValueError(f"t: expected a scalar time, got shape {jnp.shape(t)}")
        b, d = xb.shape
        m = self.n_draws
        u = self.displacements(xb, t)                                        # (b, M, d)
        rows = max(1, self.max_rows // m)                                    # rows of x per chunk
        if b <= rows:
            val = self.score((xb[:, None, :] + u).reshape(b * m, d), t).reshape(b, m, d)
            out = jnp.mean(val, axis=1)
        else:
            n_chunks = -(-b // rows)
            pad = n_chunks * rows - b
            xp = jnp.pad(xb, ((0, pad), (0, 0))).reshape(n_chunks, rows, d)
            up = jnp.pad(u, ((0, pad), (0, 0), (0, 0))).reshape(n_chunks, rows, m, d)

            def chunk(args):
                xc, uc = args
                return jnp.mean(self.score((xc[:, None, :] + uc).reshape(rows * m, d), t)
                                .reshape(rows, m, d), axis=1)

            out = jax.lax.map(chunk, (xp, up)).reshape(n_chunks * rows, d)[:b]
        return out[0] if single else out
