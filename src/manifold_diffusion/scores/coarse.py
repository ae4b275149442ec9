r"""Coarse scores: right at the geometric order :math:`\sigma^{-2}`, blind at the density order 1.

Near a manifold :math:`M` the score of the noised data law splits as
(:cite:`li2026scores`, Theorem 3.1, differentiated formally)

.. math:: \nabla\log p_t(x) = -\frac{x - \alpha_t P_M(x/\alpha_t)}{\sigma_t^2} + O(1),

the first term carrying the geometry, the second the density along :math:`M`. A **coarse**
score keeps only the first term, with an *estimated* projection :math:`\hat P`
(:cite:`shen2026manifold`):

- :class:`GeometricScore` -- :math:`s(x,t) = -(x - \alpha_t\hat P(x/\alpha_t))/\sigma_t^2` for any
  projector (a fitted :class:`~manifold_diffusion.manifolds.estimate.FourierCurve`, or a true
  manifold of :mod:`manifold_diffusion.manifolds`, the "exact geometric score");
- :func:`smoothed_empirical_score` -- the smoothed empirical score of the smoothing chapter with
  the bandwidth rule :func:`bandwidth_rule`;

All are callables ``score(x, t)``, ``(b, d) -> (b, d)``, accepted by every sampler of
:mod:`manifold_diffusion.samplers`. A *learned* coarse score -- a denoiser fitted by denoising
score matching on a band of noise levels only -- is
:class:`~manifold_diffusion.training.ridge.RidgeScore` (closed-form ridge regression) or the
training engine's denoiser score.

**The sampler a diffusion user recognises** (:func:`large_noise_draws`, :func:`stopped_samples`):
a large-noise stage at :math:`\sigma_{\rm hi}` (points of a law noised at that level: the noised
empirical law of the training points, or the noised population law), then the reverse SDE
(Euler--Maruyama) or Heun's probability-flow ODE with a score down the grid, and at each
stopping level :math:`\sigma_0` of the grid one Tweedie step
:math:`\hat x = x_{\sigma_0} + \sigma_0^2\, s(x_{\sigma_0}, \sigma_0)`, i.e. the denoiser at
:math:`\sigma_0`. A whole grid of stopping levels costs one run of the sampler.

:func:`hybrid_sample` is an **idealised reference**, not a learned model: an exact draw from
the noised *empirical* law at a coarse time :math:`t_s` (the idealised large-noise stage), then
the probability-flow ODE with the geometric score down to :math:`t_{\min}`, then one application
of :math:`\hat P` (the :math:`t_{\min}\to0` limit). With the VE process the ODE
:math:`\dot x = (x - \hat P x)/(2t)` moves each point along the normal of :math:`\hat M` and leaves
:math:`\hat P x` unchanged, so in continuous time the output is exactly :math:`\hat P(x_{t_s})`
(``closed_form=True`` returns that directly; the tests check that the discretised ODE agrees).
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._checks import as_float_array, check_finite, check_positive, check_positive_int
from ..keys import check_key
from ..processes import VE, Process, geometric_grid
from ..samplers import euler_maruyama, heun_probability_flow, tweedie_denoiser
from .empirical import EmpiricalScore
from .smoothed import SmoothedScore
from .._types import ArrayInput

__all__ = ["GeometricScore", "smoothed_empirical_score", "bandwidth_rule",
           "large_noise_draws", "stopped_samples", "hybrid_sample"]


def _projector_fn(projector):
    """A jittable ``(b, d) -> (b, d)`` projection from a fitted curve or a manifold."""
    if hasattr(projector, "_project"):
        return projector._project
    if callable(projector):
        return projector
    raise TypeError(f"projector: expected a manifold, a FourierCurve or a callable, got "
                    f"{type(projector).__name__}")


class GeometricScore(eqx.Module):
    r"""The geometric (coarse) score :math:`s(x, t) = -\big(x - \alpha_t\hat P(x/\alpha_t)\big)/\sigma_t^2`.

    Args:
      projector: :math:`\hat P`: a :class:`~manifold_diffusion.manifolds.estimate.FourierCurve`, a
        manifold of :mod:`manifold_diffusion.manifolds` (its exact projection), or a jittable
        callable ``(b, d) -> (b, d)``.
      process: the forward process (its :math:`\alpha_t, \sigma_t`); default ``VE()``.
    """

    projector: object
    process: Process

    def __init__(self, projector, process: Process | None = None):
        _projector_fn(projector)
        self.projector = projector
        self.process = VE() if process is None else process
        if not isinstance(self.process, Process):
            raise TypeError(f"process: expected a Process, got {type(self.process).__name__}")

    def __call__(self, x: ArrayInput, t) -> Float[Array, "b d"]:
        alpha, sigma = self.process.marginal(jnp.asarray(t, x.dtype))
        p = _projector_fn(self.projector)(x / alpha)
        return -(x - alpha * p) / (sigma * sigma)


def bandwidth_rule(n: int, k: int = 1, *, h0: float = 0.3, n0: int = 64) -> float:
    r"""Bandwidth rule :math:`h(N) = h_0\,(N/N_0)^{-1/(k+4)}` of the smoothed empirical score.

    The exponent is the classical kernel-smoothing one in :math:`k` intrinsic dimensions;
    :math:`h_0 = 0.3` at :math:`N_0 = 64` is where the smoothing chapter's samplers fill the gaps of
    a circle sample without collapsing it.
    """
    n = check_positive_int("n", n)
    check_positive("h0", h0)
    return float(h0 * (n / n0) ** (-1.0 / (k + 4)))


def smoothed_empirical_score(data: ArrayInput, key, *, bandwidth: float | None = None,
                             n_draws: int = 64, k: int = 1, process: Process | None = None
                             ) -> SmoothedScore:
    """The smoothed empirical score with bandwidth ``bandwidth`` (default :func:`bandwidth_rule`)."""
    data = as_float_array("data", data, ndim=2)
    h = bandwidth_rule(data.shape[0], k) if bandwidth is None else bandwidth
    return SmoothedScore(EmpiricalScore(data, VE() if process is None else process), h, n_draws, key)


def large_noise_draws(key, points: ArrayInput, n_samples: int, sigma: float
                      ) -> Float[Array, "b d"]:
    r"""The large-noise stage: ``n_samples`` draws :math:`x_I + \sigma z`, :math:`I` uniform, :math:`z\sim N(0, I_d)`.

    With ``points`` the :math:`N` training points this is an exact draw from the noised
    empirical law at :math:`\sigma` (what the data alone give); with fresh draws of the data law
    it is the noised population law (the idealised large-noise stage).

    Args:
      key: a ``jax.random`` key.
      points: ``(n, d)`` points.
      n_samples: number of draws ``b``.
      sigma: the noise level :math:`\sigma_{\rm hi} > 0`.

    Returns:
      ``(b, d)`` noisy points.
    """
    key = check_key("key", key)
    points = as_float_array("points", points, ndim=2)
    if points.shape[0] == 0:
        raise ValueError("points: expected at least one point")
    check_finite("points", points)
    n_samples = check_positive_int("n_samples", n_samples)
    if jnp.ndim(sigma) != 0:
        raise ValueError(f"sigma: expected a scalar, got shape {jnp.shape(sigma)}")
    check_positive("sigma", sigma)
    return _draws(key, points, n_samples, sigma)


@eqx.filter_jit
def _draws(key, points, n_samples, sigma):
    k1, k2 = jax.random.split(key)
    idx = jax.random.randint(k1, (n_samples,), 0, points.shape[0])
    z = jax.random.normal(k2, (n_samples, points.shape[1]), points.dtype)
    return points[idx] + jnp.asarray(sigma, points.dtype) * z


def stopped_samples(key, score_fn, x_start: ArrayInput, grid: ArrayInput,
                    process: Process, stops, *, method: str = "sde") -> Float[Array, "c b d"]:
    r"""Run the reverse sampler down ``grid`` and stop at each ``grid[stops[j]]`` with a Tweedie step.

    .. math:: \hat x^{(j)} = \big(x_{t_j} + \sigma_{t_j}^2\, s(x_{t_j}, t_j)\big)/\alpha_{t_j},
              \qquad t_j = \text{grid}[\text{stops}[j]],

    where :math:`x_{t}` is the state of the reverse SDE (:func:`~manifold_diffusion.samplers.euler_maruyama`,
    ``method="sde"``) or of the probability-flow ODE
    (:func:`~manifold_diffusion.samplers.heun_probability_flow`, ``"ode"``) started from
    ``x_start`` at ``grid[0]``. Stopping at :math:`t_j` and denoising there is what a sampler with
    that stopping level returns; all levels come from one run.

    With the SDE the Tweedie steps cost no extra score evaluation: the Euler--Maruyama step from
    :math:`t_j` is :math:`x_{j+1} = x_j + h_j(g_j^2 s(x_j, t_j) - f(x_j, t_j)) + g_j\sqrt{h_j}\,z_j`, and
    :func:`~manifold_diffusion.samplers.euler_maruyama` draws :math:`z_j` from ``fold_in(key, j)`` (and
    adds none on its last step), so
    :math:`s(x_j, t_j) = \big((x_{j+1} - x_j - g_j\sqrt{h_j}z_j)/h_j + f(x_j, t_j)\big)/g_j^2` is read
    back from the path (exact up to rounding, relative :math:`10^{-7}` in float32; the tests compare
    it with an explicit :func:`~manifold_diffusion.samplers.tweedie_denoiser`). With the ODE the
    score is evaluated again at each stop.

    Args:
      key: a ``jax.random`` key (the SDE's noise; unused by the ODE).
      score_fn: ``score_fn(x, t)``.
      x_start: ``(b, d)`` points at time ``grid[0]`` (e.g. :func:`large_noise_draws`).
      grid: ``(s,)`` decreasing times in ``(0, T]``.
      process: the forward process.
      stops: indices into ``grid``, each in ``[0, s - 2]`` (the last grid point is reached by a
        noise-free step and is not a state of the SDE).
      method: ``"sde"`` or ``"ode"``.

    Returns:
      ``(len(stops), b, d)`` denoised samples, one block per stopping level.
    """
    key = check_key("key", key)
    if method not in ("sde", "ode"):
        raise ValueError(f"method: expected 'sde' or 'ode', got {method!r}")
    grid = as_float_array("grid", grid, ndim=1)
    stops = [int(i) for i in stops]
    if not stops or any(i < 0 or i > grid.shape[0] - 2 for i in stops):
        raise ValueError(f"stops: expected indices in [0, {grid.shape[0] - 2}] (len(grid) - 2), "
                         f"got {stops}")
    if method == "ode":
        _, path = heun_probability_flow(score_fn, x_start, grid, process, return_path=True)
        return jnp.stack([tweedie_denoiser(score_fn, path[i], float(grid[i]), process) for i in stops])
    _, path = euler_maruyama(key, score_fn, x_start, grid, process, return_path=True)
    return _read_back(key, path, grid, process, jnp.asarray(stops))


@eqx.filter_jit
def _read_back(key, path, grid, process, stops):
    """Tweedie outputs at ``grid[stops]`` from an Euler--Maruyama path and its noise."""
    def one(i):
        """The denoised state at step ``i``."""
        x, x_next, t, t_next = path[i], path[i + 1], grid[i], grid[i + 1]
        h = t - t_next
        g = process.diffusion(t)
        z = jax.random.normal(jax.random.fold_in(key, i), x.shape, x.dtype)
        last = i == grid.shape[0] - 2                      # the sampler's last step adds no noise
        noise = jnp.where(last, 0.0, g * jnp.sqrt(h)) * z
        score = ((x_next - x - noise) / h + process.drift(x, t)) / (g * g)
        alpha, sigma = process.marginal(t)
        return (x + sigma * sigma * score) / alpha

    return jax.vmap(one)(stops)


@eqx.filter_jit
def _closed_form(key, data, projector, n, t_s):
    k1, k2 = jax.random.split(key)
    idx = jax.random.randint(k1, (n,), 0, data.shape[0])
    x = data[idx] + jnp.sqrt(jnp.asarray(t_s, data.dtype)) * jax.random.normal(k2, (n, data.shape[1]), data.dtype)
    return _projector_fn(projector)(x)


def hybrid_sample(key, data: ArrayInput, projector, n: int, *, t_s: float,
                  t_min: float = 1e-6, n_steps: int = 50, closed_form: bool = False
                  ) -> Float[Array, "n d"]:
    r"""Idealised reference: exact empirical draw at :math:`t_s`, geometric PF-ODE, final :math:`\hat P`.

    Not a learned model: the projection :math:`\hat P` is given (an exact manifold, or a
    Fourier fit to the noiseless points), so its fidelity is that of :math:`\hat P` by
    construction. The book shows it only beside the learned coarse scores, labelled so.

    Args:
      key: a ``jax.random`` key.
      data: ``(N, d)`` training points.
      projector: :math:`\hat P` (see :class:`GeometricScore`).
      n: number of samples.
      t_s: the coarse time (VE variance) at which the geometric stage starts; the samples'
        along-manifold law is the empirical law blurred at scale :math:`\sqrt{t_s}`.
      t_min, n_steps: the geometric grid of the ODE stage (Heun).
      closed_form: return :math:`\hat P(x_{t_s})`, the exact continuous-time output.

    Returns:
      ``(n, d)`` samples on :math:`\hat M`.
    """
    data = as_float_array("data", data, ndim=2)
    n = check_positive_int("n", n)
    check_positive("t_s", t_s)
    if closed_form:
        return _closed_form(key, data, projector, n, t_s)
    k1, k2 = jax.random.split(key)
    idx = jax.random.randint(k1, (n,), 0, data.shape[0])
    x = data[idx] + math.sqrt(t_s) * jax.random.normal(k2, (n, data.shape[1]), data.dtype)
    process = VE(T=t_s)
    grid = geometric_grid(t_s, t_min, n_steps)
    out = heun_probability_flow(GeometricScore(projector, process), x, grid, process)
    return _projector_fn(projector)(out)
