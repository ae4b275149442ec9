r"""A denoiser learned in closed form: ridge regression on random Fourier features of :math:`(x, \log\sigma)`.

Denoising score matching (DSM) on :math:`N` training points :math:`x_i`, restricted to a band of
noise levels :math:`[\sigma_{\rm lo}, \sigma_{\rm hi}]`, with a model that is *linear* in its
trained parameters. The model predicts the clean point (a denoiser, as in :cite:`karras2022elucidating`):

.. math:: \hat D(y, \sigma) = \Phi(y, \sigma)\,W, \qquad
          \Phi(y, \sigma) = \Big[\sqrt{2/m}\,\cos\big(\Omega^\top y + \nu\log\sigma + b\big),\ y,\ 1\Big]
          \in\mathbb R^{m + d + 1},

with frozen random frequencies :math:`\Omega_{\cdot j}\sim\mathcal N(0, \ell^{-2} I_d)`,
:math:`\nu_j\sim\mathcal N(0, \ell_\sigma^{-2})` and phases :math:`b_j\sim U[0, 2\pi)` (random
Fourier features of a Gaussian kernel of width :math:`\ell` in :math:`x` and :math:`\ell_\sigma` in
:math:`\log\sigma`, :cite:`rahimi2007random`), plus the linear and constant terms. The score is
:math:`\hat s(y, \sigma) = (\hat D(y, \sigma) - y)/\sigma^2` (Tweedie), see :class:`RidgeScore`.

**The fit is DSM in closed form.** Draw ``n_draws`` pairs :math:`(\sigma_r, z_r)` per training
point, :math:`\log\sigma_r` uniform on the band, :math:`y_r = x_{i(r)} + \sigma_r z_r`, and minimise

.. math:: \frac1R\sum_r \lambda(\sigma_r)\,\|\Phi(y_r, \sigma_r)W - x_{i(r)}\|^2 + \rho\,\|W\|_F^2 ,
          \qquad \lambda(\sigma) \propto \sigma^{-2},

which is the DSM loss with the score-matching weight :math:`\sigma^2` on the score residual
(:math:`\sigma^2\|\hat s - s_{\rm target}\|^2 = \|\hat D - x\|^2/\sigma^2`), Monte Carlo over the
noise. Its minimiser solves :math:`(G + \rho I)W = B` (in float64, :func:`_ridge_solve`) with :math:`G = \frac1R\sum_r\lambda_r\Phi_r^\top\Phi_r`
and :math:`B = \frac1R\sum_r\lambda_r\Phi_r^\top x_{i(r)}`. The ridge is relative,
:math:`\rho = \rho_{\rm rel}\operatorname{tr}(G)/(m + d + 1)`; the default :math:`10^{-5}` is the
smallest that keeps the float64 solve well posed for the sizes used in the book (a condition number
of about :math:`10^7`; the system is solved on the host in float64, since float32 is not enough).
The features, the noise draws and the Gram matrix are one jitted function of the key and the data,
so ``jax.vmap`` fits many seeds at once (:func:`fit_ridge_seeds`).

**Capacity rule.** :func:`feature_count`: :math:`m(N) = \lceil 16\sqrt N\,\rceil` features. Order
:math:`\sqrt N` random features is the number with which random-feature ridge regression keeps the
statistical rate of the full kernel method :cite:`rudi2017generalization`; with
:math:`m\ll N d` the model cannot store the :math:`N` points, so it cannot reproduce the empirical
score, whose minimiser memorizes.

**Speed.** The cosine is a Cody--Waite range reduction plus a degree-16 Taylor polynomial on
:math:`[-\pi, \pi]` (:func:`fast_cos`, absolute error below :math:`5\cdot10^{-7}` in float32 for
phases up to :math:`10^3`), which XLA fuses with the phase computation; ``jnp.cos`` was about 10 times
slower on CPU. Evaluations are chunked over the batch (``chunk`` rows at a time).
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._checks import as_float_array, check_finite, check_positive, check_positive_int, is_concrete
from ..keys import check_key, named_keys
from ..processes import VE, Process
from .._types import ArrayInput

__all__ = ["fast_cos", "feature_count", "RidgeDenoiser", "RidgeScore", "fit_ridge_denoiser",
           "fit_ridge_seeds"]

_TWO_PI_HI = 6.28125                      # 2 pi = _TWO_PI_HI + _TWO_PI_LO, hi exact in 8 bits
_TWO_PI_LO = 2.0 * math.pi - 6.28125
_INV_FACTORIALS = tuple((-1) ** j / math.factorial(2 * j) for j in range(9))   # cos Taylor, r^0..r^16


def fast_cos(p: ArrayInput) -> Float[Array, "..."]:
    r"""Cosine by range reduction and a polynomial: :math:`\cos p = \sum_{j\le8}(-1)^j r^{2j}/(2j)!`.

    :math:`r = p - 2\pi k`, :math:`k = \operatorname{round}(p/2\pi)`, with :math:`2\pi` split in two
    parts (Cody--Waite) so that :math:`r` is exact to rounding; on :math:`|r|\le\pi` the truncation
    error is at most :math:`\pi^{18}/18! \approx 1.4\cdot10^{-7}`. Elementwise; any shape.
    """
    p = as_float_array("p", p)
    k = jnp.round(p * (1.0 / (2.0 * math.pi)))
    r = (p - k * _TWO_PI_HI) - k * _TWO_PI_LO
    r2 = r * r
    acc = jnp.full_like(r2, _INV_FACTORIALS[-1])
    for c in _INV_FACTORIALS[-2::-1]:
        acc = acc * r2 + c
    return acc


def feature_count(n: int, *, per_root: float = 16.0) -> int:
    r"""The capacity rule :math:`m(N) = \lceil c\sqrt N\,\rceil` (``c = per_root``, default 16)."""
    n = check_positive_int("n", n)
    check_positive("per_root", per_root)
    return int(math.ceil(per_root * math.sqrt(n)))


class RidgeDenoiser(eqx.Module):
    r"""The fitted denoiser :math:`\hat D(y,\sigma) = \Phi(y,\sigma)W` (module docstring).

    Attributes:
      frequencies: ``(d, m)`` :math:`\Omega` (already divided by :math:`\ell`).
      noise_frequencies: ``(m,)`` :math:`\nu`.
      phases: ``(m,)`` :math:`b`.
      weights: ``(m + d + 1, d)`` :math:`W`.
      sigma_band: the band :math:`(\sigma_{\rm lo}, \sigma_{\rm hi})` it was trained on (static).
      chunk: rows per block when evaluating (static).
    """

    frequencies: Float[Array, "d m"]
    noise_frequencies: Float[Array, " m"]
    phases: Float[Array, " m"]
    weights: Float[Array, "p d"]
    sigma_band: tuple[float, float] = eqx.field(static=True)
    chunk: int = eqx.field(static=True, default=2048)

    def __check_init__(self):
        shapes = tuple(getattr(a, "shape", None) for a in (self.frequencies, self.noise_frequencies,
                                                             self.phases, self.weights))
        if any(sh is None for sh in shapes):
            raise TypeError("frequencies, noise_frequencies, phases, weights: expected arrays")
        (*lead, d, m), nu, b, w = shapes
        if nu[-1:] != (m,) or b[-1:] != (m,) or w[-2:] != (m + d + 1, d):
            raise ValueError(f"weights: expected shapes frequencies (d, m), noise_frequencies and phases "
                             f"(m,), weights (m + d + 1, d), got {shapes}")
        if not (isinstance(self.sigma_band, tuple) and len(self.sigma_band) == 2
                and 0 < self.sigma_band[0] < self.sigma_band[1]):
            raise ValueError(f"sigma_band: expected (sigma_lo, sigma_hi) with 0 < lo < hi, got {self.sigma_band!r}")

    @property
    def d(self) -> int:
        """Ambient dimension."""
        return self.frequencies.shape[-2]

    @property
    def n_features(self) -> int:
        """Number of random features :math:`m`."""
        return self.frequencies.shape[-1]

    def _features(self, y, log_sigma):
        """``(b, m + d + 1)`` features at ``y`` ``(b, d)`` and ``log_sigma`` ``(b,)``."""
        if self.d <= 3:        # a fused elementwise phase: faster than a (b, d) x (d, m) product
            phase = sum(y[:, i:i + 1] * self.frequencies[i][None, :] for i in range(self.d))
        else:
            phase = jnp.matmul(y, self.frequencies, precision=jax.lax.Precision.HIGHEST)
        phase = phase + log_sigma[:, None] * self.noise_frequencies[None, :] + self.phases[None, :]
        m = self.n_features
        ones = jnp.ones((y.shape[0], 1), y.dtype)
        return jnp.concatenate([fast_cos(phase) * math.sqrt(2.0 / m), y, ones], axis=1)

    def _denoise(self, y, sigma):
        """Jittable :math:`\\hat D` for ``y`` ``(b, d)``, scalar ``sigma`` (no checks)."""
        log_sigma = jnp.log(jnp.asarray(sigma, y.dtype))
        b = y.shape[0]
        chunk = min(self.chunk, b)
        pad = (-b) % chunk
        yp = jnp.concatenate([y, jnp.zeros((pad, y.shape[1]), y.dtype)]) if pad else y

        def block(yc):
            """One block of rows."""
            phi = self._features(yc, jnp.full((yc.shape[0],), log_sigma))
            return jnp.matmul(phi, self.weights.astype(y.dtype), precision=jax.lax.Precision.HIGHEST)

        out = jax.lax.map(block, yp.reshape(-1, chunk, y.shape[1])).reshape(-1, y.shape[1])
        return out[:b]

    def denoise(self, y: ArrayInput, sigma) -> Float[Array, "b d"]:
        r"""The denoised points :math:`\hat D(y, \sigma)`, ``(b, d) -> (b, d)``.

        Args:
          y: ``(b, d)`` noisy points.
          sigma: a scalar noise level :math:`> 0` (outside ``sigma_band`` the model extrapolates).
        """
        y = as_float_array("y", y, ndim=2)
        if y.shape[1] != self.d:
            raise ValueError(f"y: expected shape (b, {self.d}) (d of the denoiser), got {tuple(y.shape)}")
        if jnp.ndim(sigma) != 0:
            raise ValueError(f"sigma: expected a scalar noise level, got shape {jnp.shape(sigma)}")
        check_positive("sigma", sigma)
        return _jit_denoise(self, y, sigma)


@eqx.filter_jit
def _jit_denoise(model, y, sigma):
    return model._denoise(y, sigma)


class RidgeScore(eqx.Module):
    r"""The score of a :class:`RidgeDenoiser` under a process:
    :math:`s(x, t) = (\alpha_t\hat D(x/\alpha_t, \sigma_t/\alpha_t) - x)/\sigma_t^2`.

    A ``score_fn(x, t)`` with ``.d`` and ``.process`` that every sampler of the library accepts.

    Args:
      denoiser: a fitted :class:`RidgeDenoiser` (one seed: ``training.select(models, i)``).
      process: the forward process; default ``VE(T=sigma_hi**2)`` of the denoiser's band.
    """

    denoiser: RidgeDenoiser
    process: Process

    def __init__(self, denoiser: RidgeDenoiser, process: Process | None = None):
        if not isinstance(denoiser, RidgeDenoiser):
            raise TypeError(f"denoiser: expected a RidgeDenoiser, got {type(denoiser).__name__}")
        if denoiser.frequencies.ndim != 2:
            raise ValueError("denoiser: expected one fitted model, got a batch over seeds "
                             f"(frequencies of shape {tuple(denoiser.frequencies.shape)}); "
                             "pick one with training.select(model, i)")
        self.denoiser = denoiser
        self.process = VE(T=denoiser.sigma_band[1] ** 2) if process is None else process
        if not isinstance(self.process, Process):
            raise TypeError(f"process: expected a Process (VE, VP), got {type(self.process).__name__}")

    @property
    def d(self) -> int:
        """Ambient dimension."""
        return self.denoiser.d

    def __call__(self, x: ArrayInput, t) -> Float[Array, "b d"]:
        t = jnp.asarray(t, x.dtype)
        if is_concrete(t):
            self.process.check_time(t)
        alpha, sigma = self.process.marginal(t)
        dhat = self.denoiser._denoise(x / alpha, sigma / alpha)
        return (alpha * dhat - x) / (sigma * sigma)


def _check_fit_args(data, sigma_band, n_features, length_scale, noise_length_scale, n_draws, ridge):
    if not (isinstance(sigma_band, (tuple, list)) and len(sigma_band) == 2):
        raise TypeError(f"sigma_band: expected a pair (sigma_lo, sigma_hi), got {sigma_band!r}")
    lo, hi = (float(v) for v in sigma_band)
    if not 0.0 < lo < hi or not math.isfinite(hi):
        raise ValueError(f"sigma_band: expected 0 < sigma_lo < sigma_hi, got {sigma_band!r}")
    n = data.shape[-2]
    m = feature_count(n) if n_features is None else check_positive_int("n_features", n_features)
    check_positive("length_scale", length_scale)
    check_positive("noise_length_scale", noise_length_scale)
    check_positive_int("n_draws", n_draws)
    check_positive("ridge", ridge)
    return (lo, hi), m


def fit_ridge_denoiser(key, data: ArrayInput, *, sigma_band: tuple[float, float] = (1e-3, 0.3),
                       n_features: int | None = None, length_scale: float = 0.3,
                       noise_length_scale: float = 1.0, n_draws: int = 4, ridge: float = 1e-5
                       ) -> RidgeDenoiser:
    r"""Fit :math:`\hat D` to ``data`` by DSM on the band, in closed form (module docstring).

    Args:
      key: a ``jax.random`` key (features and noise draws, split by name).
      data: ``(n, d)`` training points.
      sigma_band: :math:`(\sigma_{\rm lo}, \sigma_{\rm hi})`; no noise level outside it is fitted.
      n_features: :math:`m`; default the capacity rule :func:`feature_count` of ``n``.
      length_scale: :math:`\ell`, the kernel width in :math:`x`.
      noise_length_scale: :math:`\ell_\sigma`, the kernel width in :math:`\log\sigma`.
      n_draws: noise draws per training point (:math:`R = n\cdot` ``n_draws`` rows).
      ridge: :math:`\rho_{\rm rel}`.

    Returns:
      the fitted :class:`RidgeDenoiser`.
    """
    key = check_key("key", key)
    data = as_float_array("data", data, ndim=2)
    if data.shape[0] < 2 or data.shape[1] < 1:
        raise ValueError(f"data: expected shape (n, d) with n >= 2, got {tuple(data.shape)}")
    check_finite("data", data)
    band, m = _check_fit_args(data, sigma_band, n_features, length_scale, noise_length_scale,
                              n_draws, ridge)
    return _fit(key, data, band, m, float(length_scale), float(noise_length_scale), int(n_draws),
                float(ridge))


def fit_ridge_seeds(keys, data: ArrayInput, **kwargs) -> RidgeDenoiser:
    r""":func:`fit_ridge_denoiser` for ``s`` seeds at once (one compiled ``vmap``).

    Args:
      keys: ``(s,)`` keys.
      data: ``(s, n, d)`` one training set per seed, or ``(n, d)`` shared by all seeds.
      kwargs: as :func:`fit_ridge_denoiser` (``n_features`` defaults to the rule of ``n``).

    Returns:
      a :class:`RidgeDenoiser` whose arrays have a leading axis ``s``; seed ``i`` is
      ``training.select(model, i)``.
    """
    keys = check_key("keys", keys, ndim=1)
    data = as_float_array("data", data)
    if data.ndim == 2:
        data = jnp.broadcast_to(data, (keys.shape[0],) + data.shape)
    if data.ndim != 3 or data.shape[0] != keys.shape[0] or data.shape[1] < 2:
        raise ValueError(f"data: expected shape (s, n, d) with s = {keys.shape[0]} (from keys) and "
                         f"n >= 2, got {tuple(data.shape)}")
    check_finite("data", data)
    unknown = set(kwargs) - {"sigma_band", "n_features", "length_scale", "noise_length_scale",
                             "n_draws", "ridge"}
    if unknown:
        raise TypeError(f"kwargs: unknown arguments {sorted(unknown)}")
    opts = dict(sigma_band=(1e-3, 0.3), n_features=None, length_scale=0.3, noise_length_scale=1.0,
                n_draws=4, ridge=1e-5) | kwargs
    band, m = _check_fit_args(data, opts["sigma_band"], opts["n_features"], opts["length_scale"],
                              opts["noise_length_scale"], opts["n_draws"], opts["ridge"])
    return _fit_seeds(keys, data, band, m, float(opts["length_scale"]),
                      float(opts["noise_length_scale"]), int(opts["n_draws"]), float(opts["ridge"]))


def _normal_equations(key, data, band, m, ell, ell_sigma, n_draws):
    """The model with its frozen features and the ridge's normal equations for one seed (traceable):
    ``(model, gram (p, p), rhs (p, d))``."""
    n, d = data.shape
    dtype = data.dtype
    keys = named_keys(key, "frequencies", "noise_frequencies", "phases", "levels", "noise")
    model = RidgeDenoiser(jax.random.normal(keys.frequencies, (d, m), dtype) / ell,
                          jax.random.normal(keys.noise_frequencies, (m,), dtype) / ell_sigma,
                          jax.random.uniform(keys.phases, (m,), dtype, 0.0, 2.0 * math.pi),
                          jnp.zeros((m + d + 1, d), dtype), band)
    x0 = jnp.repeat(data, n_draws, axis=0)                                   # (R, d)
    log_sigma = jax.random.uniform(keys.levels, (x0.shape[0],), dtype, math.log(band[0]),
                                   math.log(band[1]))
    sigma = jnp.exp(log_sigma)
    y = x0 + sigma[:, None] * jax.random.normal(keys.noise, x0.shape, dtype)
    weight = sigma ** -2
    weight = weight / jnp.mean(weight)
    phi = model._features(y, log_sigma)                                      # (R, p)
    hp = jax.lax.Precision.HIGHEST
    gram = jnp.matmul((phi * weight[:, None]).T, phi, precision=hp) / x0.shape[0]
    rhs = jnp.matmul((phi * weight[:, None]).T, x0, precision=hp) / x0.shape[0]
    return model, gram, rhs


def _ridge_solve(gram, rhs, ridge):
    r"""Solve :math:`(G + \rho_{\rm rel}\operatorname{tr}(G)/p\,I)W = B` in float64 on the host, for one
    or a batch of systems. With the default ridge the system's condition number reaches about
    :math:`10^7`, beyond float32 (a float32 Cholesky factor returned useless weights in about a
    third of the fits tried); the Gram matrix itself is accumulated in float32."""
    g = np.asarray(gram, np.float64)
    b = np.asarray(rhs, np.float64)
    p = g.shape[-1]
    lam = ridge * np.trace(g, axis1=-2, axis2=-1) / p
    g = g + lam[..., None, None] * np.eye(p)
    return np.linalg.solve(g, b)


_jit_normal_equations = eqx.filter_jit(_normal_equations)


@eqx.filter_jit
def _jit_normal_equations_seeds(keys, data, band, m, ell, ell_sigma, n_draws):
    return jax.vmap(lambda k, x: _normal_equations(k, x, band, m, ell, ell_sigma, n_draws))(keys, data)


def _fit(key, data, band, m, ell, ell_sigma, n_draws, ridge):
    model, gram, rhs = _jit_normal_equations(key, data, band, m, ell, ell_sigma, n_draws)
    weights = jnp.asarray(_ridge_solve(gram, rhs, ridge), data.dtype)
    return eqx.tree_at(lambda mdl: mdl.weights, model, weights)


def _fit_seeds(keys, data, band, m, ell, ell_sigma, n_draws, ridge):
    model, gram, rhs = _jit_normal_equations_seeds(keys, data, band, m, ell, ell_sigma, n_draws)
    weights = jnp.asarray(_ridge_solve(gram, rhs, ridge), data.dtype)
    return eqx.tree_at(lambda mdl: mdl.weights, model, weights)
