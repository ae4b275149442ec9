r"""The population score of data on a manifold, by quadrature along the manifold.

For data :math:`Y` with density :math:`p` (w.r.t. volume) on a manifold :math:`M\subset\mathbb R^d`,
the noised law :math:`p_t = \operatorname{law}(\alpha_t Y + \sigma_t Z)` has density

.. math:: p_t(x) = \int_M p(y)\,\mathcal N(x;\ \alpha_t y,\ \sigma_t^2 I_d)\,d\operatorname{vol}(y).

In the volume coordinates :math:`u` of ``M`` (arc length on a curve; see
:mod:`manifold_diffusion.manifolds`) the volume element is constant, so the integral is an
integral over a box, computed here by the **midpoint rule** on ``n_nodes`` equispaced nodes
per axis, :math:`y_j = \gamma(u_j)`:

.. math:: p_t(x) \approx \sum_j w_j\,\mathcal N(x;\ \alpha_t y_j,\ \sigma_t^2 I_d), \qquad
          w_j \propto p(y_j), \quad \textstyle\sum_j w_j = 1 .

This is the empirical score (:class:`~manifold_diffusion.scores.EmpiricalScore`) of the nodes
with weights :math:`w_j`, and is evaluated with the same streaming log-sum-exp
(:func:`~manifold_diffusion.scores.empirical.streaming_softmax_stats`, the log-weight folded
into the logit): :math:`\log p_t(x) = \operatorname{LSE}_j\big(\log w_j + \log\mathcal N(x;\alpha_t y_j,
\sigma_t^2 I)\big)`, and :math:`\nabla\log p_t(x) = (\alpha_t\sum_j \pi_j(x) y_j - x)/\sigma_t^2`
with :math:`\pi = \operatorname{softmax}_j(\log w_j - \|x-\alpha_t y_j\|^2/2\sigma_t^2)`.

**Accuracy.** On a closed curve (and on any periodic axis: circle, torus, ellipse, ...)
the integrand is smooth and periodic, and the midpoint rule with spacing :math:`h` is the
periodic trapezoidal rule, spectrally accurate. For the Gaussian kernel its relative error
is the aliasing term of the Poisson summation formula,

.. math:: \varepsilon \approx 2\exp\!\Big(-\frac{2\pi^2\,\sigma_{\rm eff}^2}{\alpha_t^2 h^2}\Big),
          \qquad \sigma_{\rm eff} = \frac{\sigma_t}{\sqrt{1 + \kappa r}},

where :math:`\sigma_{\rm eff}` is the width of the kernel along the curve seen from a point at
distance :math:`r` outside a curve of curvature :math:`\kappa` (:math:`\sigma_{\rm eff}=\sigma_t` on
the curve). The scores therefore require the node spacing to resolve the noise,

.. math:: \alpha_t\, h \le \sigma_t, \qquad\text{i.e.}\qquad n_{\rm nodes} \ge \frac{\alpha_t L}{\sigma_t}

on a curve of length :math:`L`, where the error is at most :math:`2e^{-2\pi^2}\approx 5\cdot10^{-9}` on
``M`` (about :math:`10^{-4}` at :math:`\kappa r = 1`). This is checked whenever ``t`` is concrete
(``ValueError`` naming ``n_nodes``); :meth:`PopulationScore.min_sigma` gives the smallest
resolved :math:`\sigma_t`. Twice the minimum node count makes the error negligible everywhere
(:math:`e^{-8\pi^2}` on ``M``). The density must also be resolved: a smooth density (von Mises
with :math:`h\sqrt\kappa\ll1`) keeps spectral accuracy, a discontinuous one (:class:`PiecewiseConstant`)
gives an :math:`O(h)` error near its jumps. On a non-periodic axis (Swiss roll, subspace cube,
the height axis of the sphere) the rule is the plain midpoint rule, accurate to :math:`O(h^2/\sigma_t^2)`
near the ends of the data. The spacing used in the check is the largest distance in
:math:`\mathbb R^d` between neighbouring nodes (arc-length spacing :math:`L/n_{\rm nodes}` on a curve).

Weights are normalised to sum to 1, so :meth:`PopulationScore.log_prob` is the log-density of
a probability measure (a mixture of Gaussians) however coarse the nodes.
"""

import math
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float, PRNGKeyArray

from .._checks import (as_float_array, as_numpy_float, check_finite, check_in_interval, check_positive,
                       check_positive_int, check_scalar, check_shape, check_type, is_concrete)
from .._types import ArrayInput, Size
from ..keys import check_key
from ..manifolds import Manifold
from ..processes import Process
from .empirical import EmpiricalScore
from .point_mixture import PointMixtureScore, streaming_softmax_stats

__all__ = ["PopulationScore", "ScoreDeparture", "score_departure", "departure_level"]


class PopulationScore(PointMixtureScore):
    r"""Score :math:`\nabla\log p_t` of the noised law of ``density`` on ``manifold`` (module docstring).

    A ``score_fn(x, t)`` accepted by every sampler, and a pytree (pass it to jitted code as
    an argument). Valid for :math:`\sigma_t \ge \alpha_t h` (:meth:`min_sigma`), ``h`` the node spacing.

    Attributes:
      nodes: ``(m_pad, d)`` quadrature nodes :math:`y_j` on ``M``, ``m = n_nodes**k`` real
        ones, zero-padded to a multiple of ``chunk_size``.
      log_weights: ``(m_pad,)`` normalised log-weights :math:`\log w_j` (0 on padding).
      sq_norms: ``(m_pad,)`` squared norms :math:`\|y_j\|^2`.
      valid: ``(m_pad,)`` mask, ``False`` on padding and on nodes of zero density.
      manifold: the manifold.
      density: the density on its angles (``None``: uniform w.r.t. volume).
      process: the forward process.
      n_nodes: nodes per coordinate axis.
      node_spacing: largest distance in :math:`\mathbb R^d` between neighbouring nodes, :math:`h`.
      chunk_size: block size of the streaming log-sum-exp.
    """

    nodes: Float[Array, "m_pad d"]
    log_weights: Float[Array, " m_pad"]
    sq_norms: Float[Array, " m_pad"]
    valid: Bool[Array, " m_pad"]
    manifold: Manifold
    density: object
    process: Process
    n_nodes: int = eqx.field(static=True)
    node_spacing: float = eqx.field(static=True)
    chunk_size: int = eqx.field(static=True)

    def __init__(self, manifold: Manifold, density, process: Process, *, n_nodes: Size,
                 chunk_size: Size = 4096):
        """Place the nodes and their weights.

        Args:
          manifold: a manifold with global volume coordinates (every curve, the circle, the
            tori, the Swiss roll, a subspace, the 2-sphere).
          density: a density of :mod:`manifold_diffusion.manifolds.densities` on the manifold's
            angles (``ProductDensity`` when ``k >= 2``), or ``None`` for the uniform law.
          process: the forward process.
          n_nodes: nodes per coordinate axis (``n_nodes**k`` in all), at least 4. On a curve of
            length ``L`` the scores need ``n_nodes >= alpha_t * L / sigma_t`` (module docstring).
          chunk_size: largest number of nodes per block of the streaming log-sum-exp.
        """
        check_type("manifold", manifold, Manifold, "a manifold_diffusion Manifold")
        if manifold.coord_low is None:
            raise ValueError(f"manifold: {type(manifold).__name__} has no global volume coordinates "
                             "to place quadrature nodes on")
        check_type("process", process, Process, "a manifold_diffusion Process (VP, VE)")
        manifold.check_density(density)
        n_nodes = check_positive_int("n_nodes", n_nodes, minimum=4)
        chunk_size = check_positive_int("chunk_size", chunk_size)
        k, d = manifold.k, manifold.d
        m = n_nodes ** k
        if m > 2 ** 24:
            raise ValueError(f"n_nodes: {n_nodes}**{k} = {m} nodes exceeds 2**24; use fewer nodes")
        dtype = jnp.result_type(float)
        low = np.asarray(manifold.coord_low, np.float64)
        high = np.asarray(manifold.coord_high, np.float64)
        axes = [low[i] + (high[i] - low[i]) * (np.arange(n_nodes) + 0.5) / n_nodes for i in range(k)]
        grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)      # (n, ..., n, k)
        u = jnp.asarray(grid.reshape(m, k), dtype)
        nodes = manifold.embed_coords(u)                                  # (m, d)
        log_p = manifold.log_prob(u, density)                             # (m,)
        # neighbour spacing along each axis (wrapping around: periodic axes have a last gap too)
        pts = np.asarray(nodes, np.float64).reshape(grid.shape[:-1] + (d,))
        spacing = max(float(np.max(np.linalg.norm(np.diff(pts, axis=i), axis=-1)))
                      for i in range(k))
        valid = jnp.isfinite(log_p)
        if not bool(jnp.any(valid)):
            raise ValueError("density: zero at every quadrature node; use more n_nodes")
        log_w = jnp.where(valid, log_p, -jnp.inf)
        log_w = jnp.where(valid, log_w - jax.scipy.special.logsumexp(log_w), 0.0)
        n_blocks = -(-m // chunk_size)
        chunk = -(-m // n_blocks)
        m_pad = n_blocks * chunk
        pad = m_pad - m
        self.nodes = jnp.concatenate([nodes.astype(dtype), jnp.zeros((pad, d), dtype)])
        self.log_weights = jnp.concatenate([log_w.astype(dtype), jnp.zeros((pad,), dtype)])
        self.valid = jnp.concatenate([valid, jnp.zeros((pad,), bool)])
        self.sq_norms = jnp.sum(self.nodes * self.nodes, axis=1)
        self.manifold, self.density, self.process = manifold, density, process
        self.n_nodes, self.node_spacing, self.chunk_size = n_nodes, spacing, chunk

    @property
    def n_points(self) -> int:
        """Number of quadrature nodes, ``n_nodes**k``."""
        return self.n_nodes ** self.manifold.k

    def min_sigma(self, t=None) -> float:
        r"""Smallest resolved noise level :math:`\alpha_t h` (at time ``t`` in ``[0, T]``; :math:`h` itself if ``None``)."""
        if t is None:
            return self.node_spacing
        check_scalar("t", t)
        check_in_interval("t", t, 0.0, self.process.T, low_open=False)
        alpha, _ = self.process.marginal(jnp.asarray(t, jnp.result_type(float)))
        return float(alpha) * self.node_spacing

    _d_source = "from the manifold"

    def check_query_time(self, t) -> None:
        """Check ``t`` (a scalar in ``(0, T]``) and, when concrete, that the nodes resolve its noise."""
        super().check_query_time(t)
        if is_concrete(t):
            alpha, sigma = (float(v) for v in self.process.marginal(jnp.asarray(t, jnp.float32)))
            # 1e-3 slack: the spacing is measured on float32 nodes, whose rounding (relative size
            # eps |y| / h) made a tighter check reject the very n_nodes it had suggested
            if alpha * self.node_spacing > sigma * (1.0 + 1e-3):
                need = math.ceil(self.n_nodes * alpha * self.node_spacing / sigma)
                raise ValueError(
                    f"n_nodes: {self.n_nodes} nodes per axis (spacing h = {self.node_spacing:.3g}) do "
                    f"not resolve the noise at t = {float(t):.3g}: need alpha_t h <= sigma_t, got "
                    f"{alpha * self.node_spacing:.3g} > {sigma:.3g}; use n_nodes >= {need}")

    @property
    def points(self) -> Float[Array, "m_pad d"]:
        """The padded quadrature nodes the kernels sum over (``nodes``)."""
        return self.nodes

    def log_weight_at(self, index):
        """Normalised log-weight of the node ``index``."""
        return self.log_weights[index]

    def softmax_stats(self, x, alpha, sigma2):
        r"""Streaming softmax of the logits :math:`\log w_j + (\alpha/\sigma^2)\langle x, y_j\rangle - (\alpha^2/2\sigma^2)\|y_j\|^2`."""
        c = alpha * alpha / (2.0 * sigma2)
        shifted = c * self.sq_norms - self.log_weights        # logit = a<x, y> - shifted
        return streaming_softmax_stats(x, self.nodes, shifted, self.valid, alpha / sigma2,
                                       jnp.ones((), x.dtype), self.chunk_size)


class ScoreDeparture(NamedTuple):
    r"""Where the empirical score of ``n`` points parts from the population score (:func:`score_departure`).

    Attributes:
      times: ``(s,)`` the times, increasing.
      sigmas: ``(s,)`` their noise levels :math:`\sigma_t`, increasing.
      relative_error: ``(s,)`` relative :math:`L^2(p_t)` error
        :math:`\big(E\|\hat s - s\|^2 / E\|s\|^2\big)^{1/2}` of the empirical score.
      sigma_star: :math:`\sigma^*`, the noise level (log-log interpolated) at which the error,
        coming down from large :math:`\sigma`, first reaches ``threshold``; NaN if it never
        does, or if it already does at the largest ``sigma``.
      n_data: the number ``n`` of training points.
    """

    times: Float[Array, " s"]
    sigmas: Float[Array, " s"]
    relative_error: Float[Array, " s"]
    sigma_star: float
    n_data: int


def score_departure(key: PRNGKeyArray, data: ArrayInput, population_score: PopulationScore,
                    times: ArrayInput, threshold: float, *, n_eval: Size = 1024
                    ) -> ScoreDeparture:
    r"""Relative error of the empirical score of ``data`` against the population score, per noise level.

    For each time :math:`t` (noise :math:`\sigma_t`), with :math:`\hat s` the score of the noised
    empirical measure of ``data`` (:class:`EmpiricalScore`) and :math:`s` the population score,

    .. math:: e(\sigma_t) = \Big(\frac{\sum_i \|\hat s(x_i, t) - s(x_i, t)\|^2}{\sum_i \|s(x_i, t)\|^2}\Big)^{1/2},
              \qquad x_i = \alpha_t y_i + \sigma_t z_i,

    over ``n_eval`` fresh draws :math:`y_i` of the population law (so :math:`x_i\sim p_t`), with
    the same :math:`(y_i, z_i)` at every :math:`t` (common random numbers: a smooth curve in
    :math:`\sigma`). A ratio of means, not a mean of ratios: the pointwise ratio is heavy-tailed
    where the score nearly vanishes. For :math:`\sigma_t` much larger than the spacing of the
    training set the two scores agree; below it :math:`\hat s` pulls every point to its nearest
    training point and :math:`e` grows like spacing/:math:`\sigma_t`, so :math:`\sigma^*(n)`
    scales like the spacing, :math:`n^{-1/k}` on a ``k``-dimensional manifold.

    Args:
      key: a ``jax.random`` key (split once: population draws, noise).
      data: ``(n, d)`` training points (usually ``population_score.manifold.sample``).
      population_score: the population score; its process and manifold are used, and its
        ``n_nodes`` must resolve the smallest time.
      times: ``(s,)`` distinct times in ``(0, T]`` (any order; sorted here).
      threshold: the relative error :math:`> 0` that defines :math:`\sigma^*`.
      n_eval: number of noised population points per time.

    Returns:
      :class:`ScoreDeparture`.
    """
    key = check_key("key", key)
    check_type("population_score", population_score, PopulationScore, "a PopulationScore")
    data = as_float_array("data", data, ndim=2)
    check_shape("data", data, (None, population_score.d), f"d = {population_score.d}, from population_score")
    if data.shape[0] == 0:
        raise ValueError("data: expected at least one point")
    check_finite("data", data)
    times = np.sort(np.asarray(as_float_array("times", times, ndim=1), np.float64))
    if times.shape[0] == 0 or np.any(np.diff(times) <= 0):
        raise ValueError(f"times: expected distinct times, got {times.tolist()}")
    process = population_score.process
    process.check_time(times, "times")
    check_positive("threshold", threshold)
    n_eval = check_positive_int("n_eval", n_eval)

    key_points, key_noise = jax.random.split(key)
    manifold = population_score.manifold
    y = manifold.sample(key_points, n_eval, population_score.density).astype(data.dtype)
    z = jax.random.normal(key_noise, y.shape, y.dtype)
    empirical = EmpiricalScore(data, process)
    errors, sigmas = [], []
    for t in times:                  # ascending: the first call checks the resolution of n_nodes
        alpha, sigma = process.marginal(jnp.asarray(t, y.dtype))
        x = alpha * y + sigma * z
        exact = population_score(x, float(t))
        diff = empirical(x, float(t)) - exact
        errors.append(float(jnp.sqrt(jnp.sum(diff * diff) / jnp.sum(exact * exact))))
        sigmas.append(float(sigma))
    errors, sigmas = np.asarray(errors), np.asarray(sigmas)
    return ScoreDeparture(jnp.asarray(times, y.dtype), jnp.asarray(sigmas, y.dtype),
                          jnp.asarray(errors, y.dtype), departure_level(sigmas, errors, threshold),
                          int(data.shape[0]))


def departure_level(sigmas, errors, threshold) -> float:
    """The noise level where ``errors`` (``(s,)``, on increasing ``sigmas``) first reaches ``threshold``
    coming down from the largest sigma, by log-log interpolation; NaN if it never does."""
    sigmas, errors = as_numpy_float("sigmas", sigmas, ndim=1), as_numpy_float("errors", errors, ndim=1)
    if sigmas.shape[0] < 1 or np.any(sigmas <= 0) or not np.all(np.diff(sigmas) > 0):
        raise ValueError(f"sigmas: expected increasing noise levels > 0, got {sigmas.tolist()}")
    if errors.shape != sigmas.shape or not np.all(np.isfinite(errors)) or np.any(errors <= 0):
        raise ValueError(f"errors: expected {sigmas.shape[0]} finite errors > 0 (one per sigma), "
                         f"got shape {errors.shape}")
    check_positive("threshold", threshold)
    if errors[-1] >= threshold:
        return float("nan")
    for i in range(len(sigmas) - 1, 0, -1):
        if errors[i - 1] >= threshold:
            lo, hi = np.log(errors[i - 1]), np.log(errors[i])
            frac = (np.log(threshold) - hi) / (lo - hi)
            return float(np.exp(np.log(sigmas[i]) + frac * (np.log(sigmas[i - 1]) - np.log(sigmas[i]))))
    return float("nan")


__all__ += ["DepartureCurves", "departure_curves"]


class DepartureCurves(NamedTuple):
    r"""The relative error of the empirical score of several training sets (:func:`departure_curves`).

    Attributes:
      times: ``(s,)`` the times, increasing; sigmas: ``(s,)`` their noise levels :math:`\sigma_t`.
      errors: ``(r, s)`` relative :math:`L^2(p_t)` error of the empirical score of each of the
        ``r`` training sets, as :attr:`ScoreDeparture.relative_error`.
      sigma_star: ``(r,)`` :math:`\sigma^*` of each (:func:`departure_level`); NaN where the error
        never crosses the threshold.
      pinned: ``(r,)`` True where :math:`\sigma^*` is NaN or within one grid step of an end of
        ``sigmas`` (not set by the data but by the grid).
      n_data: ``(r,)`` the sizes of the training sets.
    """

    times: np.ndarray
    sigmas: np.ndarray
    errors: np.ndarray
    sigma_star: np.ndarray
    pinned: np.ndarray
    n_data: np.ndarray


def departure_curves(key: PRNGKeyArray, datasets, population_score: PopulationScore,
                     times: ArrayInput, threshold: float, *, n_eval: int = 1024
                     ) -> DepartureCurves:
    r""":func:`score_departure` for many training sets at once, with one population score per time.

    The same estimate, with the same evaluation points: for one ``key``, row ``r`` of
    ``errors`` equals ``score_departure(key, datasets[r], population_score, times, threshold,
    n_eval=n_eval).relative_error`` (up to rounding), but the population score -- the costly
    part, a quadrature over ``n_nodes`` nodes -- is evaluated once per time for all sets.

    Args:
      key: a ``jax.random`` key (split as in :func:`score_departure`).
      datasets: a sequence of ``r >= 1`` training sets, each ``(n_i, d)`` (sizes may differ).
      population_score: the population score (its process, manifold and density are used).
      times: ``(s,)`` distinct times in ``(0, T]``, at least 3 (sorted here).
      threshold: relative error :math:`> 0` defining :math:`\sigma^*`.
      n_eval: noised population points per time.

    Returns:
      :class:`DepartureCurves`.
    """
    from ..keys import check_key

    key = check_key("key", key)
    if not isinstance(population_score, PopulationScore):
        raise TypeError(f"population_score: expected a PopulationScore, got "
                        f"{type(population_score).__name__}")
    if isinstance(datasets, (str, bytes)) or not hasattr(datasets, "__len__") or len(datasets) == 0:
        raise ValueError("datasets: expected a non-empty sequence of (n, d) training sets")
    d = population_score.d
    sets = []
    for i, data in enumerate(datasets):
        data = as_float_array(f"datasets[{i}]", data, ndim=2)
        check_shape(f"datasets[{i}]", data, (None, d), f"d = {d}, from population_score")
        if data.shape[0] == 0:
            raise ValueError(f"datasets[{i}]: expected at least one point")
        check_finite(f"datasets[{i}]", data)
        sets.append(data)
    grid = np.sort(np.asarray(as_float_array("times", times, ndim=1), np.float64))
    if grid.shape[0] < 3 or np.any(np.diff(grid) <= 0):
        raise ValueError(f"times: expected at least 3 distinct times, got {grid.tolist()}")
    process = population_score.process
    process.check_time(grid, "times")
    check_positive("threshold", threshold)
    n_eval = check_positive_int("n_eval", n_eval)

    key_points, key_noise = jax.random.split(key)           # exactly as score_departure
    y = population_score.manifold.sample(key_points, n_eval, population_score.density)
    y = y.astype(sets[0].dtype)
    z = jax.random.normal(key_noise, y.shape, y.dtype)
    scores = [EmpiricalScore(data, process) for data in sets]
    num = np.zeros((len(sets), grid.shape[0]))
    den, sigmas = np.zeros(grid.shape[0]), np.zeros(grid.shape[0])
    for j, t in enumerate(grid):        # ascending: the first call checks the node resolution
        alpha, sigma = process.marginal(jnp.asarray(t, y.dtype))
        x = alpha * y + sigma * z
        exact = population_score(x, float(t))
        den[j], sigmas[j] = float(jnp.sum(exact * exact)), float(sigma)
        for r, empirical in enumerate(scores):
            diff = empirical(x, float(t)) - exact
            num[r, j] = float(jnp.sum(diff * diff))
    errors = np.sqrt(num / den)
    stars = np.asarray([departure_level(sigmas, e, threshold) for e in errors])
    pinned = ~np.isfinite(stars) | (stars <= sigmas[1]) | (stars >= sigmas[-2])
    return DepartureCurves(grid, sigmas, errors, stars, pinned,
                           np.asarray([data.shape[0] for data in sets]))
