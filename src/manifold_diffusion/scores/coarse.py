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
- :func:`empirical_score` -- the empirical score itself, the memorizing baseline.

All are callables ``score(x, t)``, ``(b, d) -> (b, d)``, accepted by every sampler of
:mod:`manifold_diffusion.samplers`.

:func:`hybrid_sample` is the two-stage sampler used with the geometric score: an exact draw from
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

from .._checks import as_float_array, check_positive, check_positive_int
from ..processes import VE, Process, geometric_grid
from ..samplers import heun_probability_flow
from .empirical import EmpiricalScore
from .smoothed import SmoothedScore

__all__ = ["GeometricScore", "empirical_score", "smoothed_empirical_score", "bandwidth_rule",
           "hybrid_sample"]


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

    def __call__(self, x: Float[Array, "b d"], t) -> Float[Array, "b d"]:
        alpha, sigma = self.process.marginal(jnp.asarray(t, x.dtype))
        p = _projector_fn(self.projector)(x / alpha)
        return -(x - alpha * p) / (sigma * sigma)


def empirical_score(data: Float[Array, "n d"], process: Process | None = None) -> EmpiricalScore:
    """The empirical score of ``data`` (the memorizing baseline), a thin alias of :class:`EmpiricalScore`."""
    return EmpiricalScore(data, VE() if process is None else process)


def bandwidth_rule(n: int, k: int = 1, *, h0: float = 0.3, n0: int = 64) -> float:
    r"""Bandwidth rule :math:`h(N) = h_0\,(N/N_0)^{-1/(k+4)}` of the smoothed empirical score.

    The exponent is the classical kernel-smoothing one in :math:`k` intrinsic dimensions;
    :math:`h_0 = 0.3` at :math:`N_0 = 64` is where the smoothing chapter's samplers fill the gaps of
    a circle sample without collapsing it.
    """
    n = check_positive_int("n", n)
    check_positive("h0", h0)
    return float(h0 * (n / n0) ** (-1.0 / (k + 4)))


def smoothed_empirical_score(data: Float[Array, "n d"], key, *, bandwidth: float | None = None,
                             n_draws: int = 64, k: int = 1, process: Process | None = None
                             ) -> SmoothedScore:
    """The smoothed empirical score with bandwidth ``bandwidth`` (default :func:`bandwidth_rule`)."""
    data = as_float_array("data", data, ndim=2)
    h = bandwidth_rule(data.shape[0], k) if bandwidth is None else bandwidth
    return SmoothedScore(empirical_score(data, process), h, n_draws, key)


@eqx.filter_jit
def _closed_form(key, data, projector, n, t_s):
    k1, k2 = jax.random.split(key)
    idx = jax.random.randint(k1, (n,), 0, data.shape[0])
    x = data[idx] + jnp.sqrt(jnp.asarray(t_s, data.dtype)) * jax.random.normal(k2, (n, data.shape[1]), data.dtype)
    return _projector_fn(projector)(x)


def hybrid_sample(key, data: Float[Array, "n d"], projector, n: int, *, t_s: float,
                  t_min: float = 1e-6, n_steps: int = 50, closed_form: bool = False
                  ) -> Float[Array, "n d"]:
    r"""Coarse-score sampler: exact empirical draw at :math:`t_s`, geometric PF-ODE, final :math:`\hat P`.

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
