r"""Smoothed scores: kernel averages of a score, i.e. smoothing in the log domain.

For a score :math:`\hat s = \nabla\log\hat p_t` (usually the empirical score) and a probability
kernel :math:`K` the *smoothed score* is :cite:`farghly2025logdomain`

.. math:: \bar s(x, t) = \mathbb E_{u\sim K}\big[\hat s(x + u, t)\big]
          = \nabla\,\big(K * \log\hat p_t\big)(x),

because the gradient commutes with a location-independent convolution. So smoothing the score
is smoothing the *log*-density: the smoothed score is the score of
:math:`\exp(K*\log\hat p_t)` up to normalisation, not of the kernel density estimate
:math:`K*\hat p_t` (density-domain smoothing, :mod:`manifold_diffusion.kde`).

The expectation is estimated by Monte Carlo with ``n_draws`` displacements
:math:`u_j = h\,L z_j` (``h`` the ``bandwidth``, :math:`LL^\top` the kernel covariance), drawn
once when the object is built, so :math:`\bar s` is a deterministic function and every sampler
can use it. By default the draws come in antithetic pairs :math:`(z, -z)`: their mean is exactly
0, which removes the first-order Monte Carlo error, and on a flat manifold the whole error of
the normal component (:cite:`farghly2025logdomain`, Prop. 3.1; without it a noise-free last
sampling step leaves every sample displaced by :math:`h(I-P)\bar z`, of size
:math:`h\sqrt{(d-k)/M}`).

The kernel width is called ``bandwidth`` and is constant in diffusion time (as in the paper);
it is not the noise level :math:`\sigma_t`.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._checks import as_float_array, check_callable, check_positive_int, check_shape, check_type, is_concrete
from .._types import ArrayInput, Size, TimeInput
from ..keys import check_key
from ..manifolds import TangentProjector

__all__ = ["SmoothedScore"]

_KINDS = ("linear", "manifold")


def _check_bandwidth(bandwidth) -> float:
    if isinstance(bandwidth, bool) or not isinstance(bandwidth, (int, float, np.floating,
                                                                   np.integer)):
        if not (hasattr(bandwidth, "shape") and np.ndim(bandwidth) == 0 and is_concrete(bandwidth)):
            raise TypeError(f"bandwidth: expected a number >= 0, got {bandwidth!r}")
    value = float(bandwidth)
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"bandwidth: expected a finite number >= 0, got {value!r}")
    return value


def _square_root(covariance, d: Size):
    """Symmetric square root of a PSD ``(d, d)`` covariance (a projector is its own root)."""
    cov = np.asarray(as_float_array("covariance", covariance, ndim=2), np.float64)
    if cov.shape != (d, d):
        raise ValueError(f"covariance: expected shape ({d}, {d}) (d from score), got {cov.shape}")
    if not np.all(np.isfinite(cov)):
        raise ValueError("covariance: expected finite entries")
    scale = max(float(np.max(np.abs(cov))), 1e-30)
    if np.max(np.abs(cov - cov.T)) > 1e-5 * scale:
        raise ValueError("covariance: expected a symmetric matrix")
    lam, vec = np.linalg.eigh(0.5 * (cov + cov.T))
    if lam.min() < -1e-5 * max(lam.max(), 1e-30) or lam.max() <= 0:
        raise ValueError(f"covariance: expected positive semi-definite and non-zero, got "
                         f"eigenvalues in [{lam.min():.3g}, {lam.max():.3g}]")
    lam = np.clip(lam, 0.0, None)
    return (vec * np.sqrt(lam)[None, :]) @ vec.T


def _largest_divisor_at_most(m: Size, cap: Size) -> int:
    cap = max(1, min(m, cap))
    for c in range(cap, 0, -1):
        if m % c == 0:
            return c
    return 1


class SmoothedScore(eqx.Module):
    r"""Monte Carlo kernel average :math:`\bar s(x,t) = \frac1M\sum_j \hat s(x + u_j, t)` of a score.

    A ``score_fn(x, t)`` like any other: every sampler takes it. The draws are fixed at
    construction from ``key``; evaluation is one batched call of the underlying score on
    ``(b * M, d)`` points (reshaped), split into ``M / c`` calls of ``(b * c, d)`` when
    ``b * M`` exceeds ``max_rows``, so smoothing costs ``M`` score evaluations and no more.

    Kernels (the bandwidth ``h`` multiplies all of them):

    - isotropic Gaussian (default): :math:`u = h z`, :math:`z\sim N(0, I_d)`;
    - ``covariance=C``: :math:`u = h\,C^{1/2} z` (symmetric square root). A projector ``P`` onto
      a subspace's tangent space gives *tangent-only* smoothing, :math:`u = hPz`; with the same
      ``key`` its draws are the tangent parts of the isotropic draws;
    - ``manifold=M`` (*manifold-adapted* smoothing, the paper's translated-manifold kernel):
      with :math:`p = \Pi_M(x)` and :math:`T_p` an orthonormal tangent basis at :math:`p`,
      :math:`p'_j = \Pi_M(p + h\,T_p z_j)` with :math:`z_j\sim N(0, I_k)`, and
      :math:`u_j = p'_j - p`: the point moves along a translated copy of ``M``. This kernel
      depends on ``x``, so :meth:`log_prob` is then only a plotting aid, not the antiderivative.

    Attributes:
      score: the score being smoothed (an ``EmpiricalScore`` or any ``score_fn`` module).
      draws: ``(M, d)`` unit displacements :math:`L z_j` (``(M, k)`` tangent draws for a
        manifold kernel).
      bandwidth: scalar :math:`h \ge 0`.
      manifold: the manifold of a manifold-adapted kernel, else ``None``.
      max_rows: most points per call of the underlying score.
    """

    score: object
    draws: Float[Array, "m e"]
    bandwidth: Float[Array, ""]
    manifold: object
    max_rows: int = eqx.field(static=True)

    def __init__(self, score, bandwidth: float, n_draws: Size, key, *, covariance=None,
                 manifold=None, antithetic: bool = True, max_rows: Size = 2**17,
                 d: Size | None = None):
        r"""Draw the kernel displacements.

        Args:
          score: a ``score_fn(x, t)``; ``log_prob`` needs ``score.log_prob(x, t)``.
          bandwidth: kernel scale :math:`h \ge 0` (0 gives back ``score``), constant in ``t``.
          n_draws: Monte Carlo draws :math:`M`; even when ``antithetic``.
          key: a ``jax.random`` key for the draws (used by this object alone).
          covariance: ``(d, d)`` positive semi-definite kernel covariance (times
            :math:`h^2`), e.g. a tangent projector; ``None`` for the identity.
          manifold: a manifold of :mod:`manifold_diffusion.manifolds` for manifold-adapted
            smoothing (exclusive with ``covariance``).
          antithetic: draw pairs :math:`(z, -z)` (default).
          max_rows: most points per batched call of ``score`` (bounds memory).
          d: ambient dimension, needed only when ``score`` has no ``d`` attribute.
        """
        check_callable("score", score, "a callable score_fn(x, t)")
        h = _check_bandwidth(bandwidth)
        key = check_key("key", key)
        n_draws = check_positive_int("n_draws", n_draws)
        if antithetic and n_draws % 2:
            raise ValueError(f"n_draws: expected an even number for antithetic pairs, got {n_draws}")
        self.max_rows = check_positive_int("max_rows", max_rows)
        if d is None:
            d = getattr(score, "d", None)
            if d is None:
                raise ValueError("d: the score has no attribute d; pass d (the ambient dimension)")
        d = check_positive_int("d", d)
        if covariance is not None and manifold is not None:
            raise ValueError("covariance: give either covariance or manifold, not both")
        if manifold is not None:
            check_type("manifold", manifold, TangentProjector,
                       "a manifold or another TangentProjector (d, k, project, tangent_basis)")
            if manifold.d != d:
                raise ValueError(f"manifold: expected ambient dimension {d} (from score), "
                                 f"got {manifold.d}")
            e = manifold.k
        else:
            e = d
        dtype = jnp.result_type(float)
        half = n_draws // 2 if antithetic else n_draws
        z = jax.random.normal(key, (half, e), dtype)
        if antithetic:
            z = jnp.concatenate([z, -z], axis=0)
        if covariance is not None:
            root = jnp.asarray(_square_root(covariance, d), dtype)
            z = jnp.matmul(z, root.T, precision=jax.lax.Precision.HIGHEST)
        self.score, self.draws, self.manifold = score, z, manifold
        self.bandwidth = jnp.asarray(h, dtype)

    @property
    def n_draws(self) -> int:
        """Number of Monte Carlo draws :math:`M`."""
        return self.draws.shape[0]

    @property
    def d(self) -> int:
        """Ambient dimension."""
        return self.manifold.d if self.manifold is not None else self.draws.shape[1]

    @property
    def process(self):
        """The forward process of the smoothed score (``score.process``; ``None`` if it has none)."""
        return getattr(self.score, "process", None)

    def displacements(self, x: ArrayInput) -> Float[Array, "b m d"]:
        r"""The kernel displacements :math:`u_j(x)`, ``(b, M, d)`` for ``x`` of shape ``(b, d)`` (the
        same for every ``x`` unless the kernel is manifold-adapted)."""
        x = as_float_array("x", x, ndim=2)
        check_shape("x", x, (None, self.d), f"d = {self.d}, from the score")
        b = x.shape[0]
        if self.manifold is None:
            u = self.bandwidth * self.draws
            return jnp.broadcast_to(u[None, :, :], (b,) + u.shape)
        p = self.manifold.project(x)                                    # (b, d)
        basis = self.manifold.tangent_basis(x)                          # (b, d, k)
        moved = p[:, None, :] + self.bandwidth * jnp.einsum("bdk,mk->bmd", basis, self.draws)
        p_new = self.manifold.project(moved.reshape(-1, x.shape[1])).reshape(moved.shape)
        return p_new - p[:, None, :]

    def _average(self, fn, x, t):
        """Mean over draws of ``fn(x + u_j, t)`` (rows of ``(b, ...)``), chunked over draws."""
        x = as_float_array("x", x)
        single = x.ndim == 1
        xb = x[None, :] if single else x
        check_shape("x", xb, (None, self.d), f"d = {self.d}, from the score")
        b, d = xb.shape
        m = self.n_draws
        c = _largest_divisor_at_most(m, self.max_rows // max(b, 1))
        u = self.displacements(xb).reshape(b, m // c, c, d).transpose(1, 0, 2, 3)

        def chunk(total, uc):
            """Add ``sum_j fn(x + u_j)`` over one chunk of ``c`` draws."""
            pts = (xb[:, None, :] + uc).reshape(b * c, d)
            val = fn(pts, t)
            val = val.reshape((b, c) + val.shape[1:])
            return total + jnp.sum(val, axis=1), None

        out_shape = jax.eval_shape(lambda p: fn(p, t), jax.ShapeDtypeStruct((b * c, d), xb.dtype))
        init = jnp.zeros((b,) + out_shape.shape[1:], out_shape.dtype)
        if m // c == 1:
            total, _ = chunk(init, u[0])
        else:
            total, _ = jax.lax.scan(chunk, init, u)
        out = total / m
        return out[0] if single else out

    def __call__(self, x: ArrayInput, t: TimeInput) -> Float[Array, "*b d"]:
        r"""Smoothed score :math:`\bar s(x, t)`; ``x`` is ``(b, d)`` (or ``(d,)``)."""
        return self._average(self.score, x, t)

    def log_prob(self, x: ArrayInput, t: TimeInput) -> Float[Array, "*b"]:
        r"""Log-domain smoothed density :math:`\frac1M\sum_j\log\hat p_t(x + u_j)`, ``(b,)``.

        This is :math:`\log` of the log-smoothed measure :math:`\exp(K*\log\hat p_t)` up to its
        normalising constant; for a location-independent kernel its gradient is the smoothed
        score exactly (same draws).
        """
        if not hasattr(self.score, "log_prob"):
            raise TypeError(f"score: {type(self.score).__name__} has no log_prob(x, t)")
        return self._average(self.score.log_prob, x, t)
