r"""Densities on manifolds, written on the angle :math:`\theta\in[0, 2\pi)` of each volume coordinate.

A manifold maps its volume coordinates (see :mod:`._base`) affinely onto angles,
:math:`v = 2\pi(u - \ell)/(h - \ell)`, and a density :math:`q` here is a probability density in
:math:`v` w.r.t. :math:`dv` on :math:`[0, 2\pi)`. On a curve of length :math:`L`, :math:`v = 2\pi s/L`
is normalised arc length and :math:`q(v)\,dv` is the law of the arc-length coordinate; the
density w.r.t. arc length is :math:`(2\pi/L)\,q(2\pi s/L)` (:meth:`._base.Manifold.log_prob`).
Densities are periodic in :math:`\theta` (von Mises bumps wrap around); on a non-periodic axis
(the Swiss roll, a subspace cube) the two ends are simply glued.

The families cover the regularities the book needs, since the rate of manifold generalization
is claimed not to depend on the regularity of the density :cite:`shen2026manifold`:

============================  ==========================================================  ===================
class                         density :math:`q(\theta)` (up to normalisation)             regularity
============================  ==========================================================  ===================
:class:`Uniform`              :math:`1`                                                   constant
:class:`VonMises`             :math:`e^{\kappa\cos(\theta-\mu)}`                          analytic
:class:`VonMisesMixture`      :math:`\sum_j w_j e^{\kappa_j\cos(\theta-\mu_j)}/I_0(\kappa_j)`   analytic, multimodal
:class:`PiecewiseConstant`    :math:`c_j` on :math:`[e_j, e_{j+1})`                       discontinuous
:class:`Cusp`                 :math:`f + |\theta-\mu|^{\alpha}` (:math:`\theta-\mu` wrapped)  Hölder-:math:`\alpha` cusp
:class:`ProductDensity`       :math:`\prod_i q_i(\theta_i)` for :math:`k\ge2`             that of the factors
============================  ==========================================================  ===================

Every density has ``log_prob(theta)``/``prob(theta)`` (closed form, normalised), ``cdf(theta)``
and ``sample(key, n)``. Sampling inverts the CDF: exactly for :class:`Uniform` and
:class:`PiecewiseConstant`, otherwise on a table of :math:`2^{14}` cells whose masses come from
Simpson's rule and within which the density is taken linear, so the sampled law differs from
:math:`q` by :math:`O(h^2)` in total variation in smooth parts (:math:`h = 2\pi/2^{14}`) and by
:math:`O(h\,\cdot)` jump in the one cell holding a kink — below :math:`10^{-4}` for the
parameters used in the book. ``cdf`` uses the same table, so ``sample`` and ``cdf`` agree.
"""

import abc
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import i0e, logsumexp
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray, Real

from .._checks import as_float_array, check_finite, check_positive, check_positive_int, is_concrete
from .._types import ArrayInput, Size
from ..keys import check_key

__all__ = [
    "CircularDensity",
    "Uniform",
    "VonMises",
    "VonMisesMixture",
    "separated_modes",
    "PiecewiseConstant",
    "Cusp",
    "ProductDensity",
    "wrap_angle",
]

TWO_PI = 2.0 * math.pi
_N_CELLS = 2 ** 14


def wrap_angle(theta: ArrayInput) -> Float[Array, "*b"]:
    r"""Angles wrapped into :math:`[0, 2\pi)`; any shape."""
    return jnp.mod(as_float_array("theta", theta), TWO_PI)


def _check_sample_args(key, n):
    return check_key("key", key), check_positive_int("n", n)


def _float(name, value):
    arr = as_float_array(name, value)
    check_finite(name, arr)
    return arr


class CircularDensity(eqx.Module):
    r"""Base class of densities on the circle of angles :math:`[0, 2\pi)` (``n_axes == 1``).

    Subclasses define ``log_prob``; ``prob``, ``cdf`` and ``sample`` come from a table of
    :math:`2^{14}` cells unless overridden.
    """

    @property
    def n_axes(self) -> int:
        """Number of angles the density acts on (1)."""
        return 1

    @abc.abstractmethod
    def log_prob(self, theta: ArrayInput) -> Float[Array, " b"]:
        r"""Normalised log-density :math:`\log q(\theta)` w.r.t. :math:`d\theta`; ``(b,) -> (b,)``."""

    def prob(self, theta: ArrayInput) -> Float[Array, " b"]:
        r"""Normalised density :math:`q(\theta)`; ``(b,) -> (b,)``."""
        return jnp.exp(self.log_prob(theta))

    def _table(self, dtype):
        """Grid ``(M+1,)``, density at the grid ``(M+1,)``, cumulative masses ``(M+1,)``."""
        h = TWO_PI / _N_CELLS
        grid = jnp.arange(_N_CELLS + 1, dtype=dtype) * h
        ends = self.prob(grid)
        mids = self.prob(grid[:-1] + 0.5 * h)
        mass = (h / 6.0) * (ends[:-1] + 4.0 * mids + ends[1:])             # Simpson per cell
        cum = jnp.concatenate([jnp.zeros((1,), dtype), jnp.cumsum(mass)])
        return grid, ends, cum / cum[-1]

    def cdf(self, theta: ArrayInput) -> Float[Array, " b"]:
        r"""Distribution function :math:`Q(\theta) = \int_0^\theta q`, for :math:`\theta` wrapped into :math:`[0, 2\pi)`."""
        theta = wrap_angle(jnp.asarray(theta, dtype=jnp.result_type(float)))
        grid, ends, cum = self._table(theta.dtype)
        h = TWO_PI / _N_CELLS
        j = jnp.clip(jnp.floor(theta / h).astype(jnp.int32), 0, _N_CELLS - 1)
        x = jnp.clip((theta - grid[j]) / h, 0.0, 1.0)
        a, b = ends[j], ends[j + 1]
        s = a + b
        frac = jnp.where(s > 0, (a * x + 0.5 * (b - a) * x * x) / (0.5 * jnp.where(s > 0, s, 1.0)), x)
        return cum[j] + (cum[j + 1] - cum[j]) * frac

    def sample(self, key: PRNGKeyArray, n: Size) -> Float[Array, " n"]:
        r"""``n`` independent angles in :math:`[0, 2\pi)` (inverse CDF on the table)."""
        key, n = _check_sample_args(key, n)
        dtype = jnp.result_type(float)
        grid, ends, cum = self._table(dtype)
        h = TWO_PI / _N_CELLS
        u = jax.random.uniform(key, (n,), dtype)
        j = jnp.clip(jnp.searchsorted(cum, u, side="right") - 1, 0, _N_CELLS - 1)
        mass = cum[j + 1] - cum[j]
        r = jnp.clip((u - cum[j]) / jnp.where(mass > 0, mass, 1.0), 0.0, 1.0)
        a, b = ends[j], ends[j + 1]
        root = a + jnp.sqrt(jnp.maximum(a * a + r * (b * b - a * a), 0.0))
        x = jnp.where(root > 0, r * (a + b) / jnp.where(root > 0, root, 1.0), r)
        return wrap_angle(grid[j] + h * jnp.clip(x, 0.0, 1.0))


class Uniform(CircularDensity):
    r"""The uniform density :math:`q = 1/2\pi` (on a manifold: uniform w.r.t. volume)."""

    def log_prob(self, theta):
        theta = jnp.asarray(theta, dtype=jnp.result_type(float))
        return jnp.full(theta.shape, -math.log(TWO_PI), theta.dtype)

    def cdf(self, theta):
        return wrap_angle(jnp.asarray(theta, dtype=jnp.result_type(float))) / TWO_PI

    def sample(self, key, n):
        key, n = _check_sample_args(key, n)
        return jax.random.uniform(key, (n,), jnp.result_type(float), 0.0, TWO_PI)


class VonMises(CircularDensity):
    r"""Von Mises density :math:`q(\theta) = e^{\kappa\cos(\theta-\mu)}/(2\pi I_0(\kappa))`.

    Smooth and non-uniform; :math:`\log I_0(\kappa) = \log(\mathrm{i0e}(\kappa)) + \kappa` keeps the
    normaliser finite for large :math:`\kappa`. The companion of :cite:`shen2026manifold` uses it
    on the ellipse (E10).

    Args:
      mean: :math:`\mu` (radians).
      concentration: :math:`\kappa\ge0` (0 is uniform; the width is about :math:`1/\sqrt\kappa`).
    """

    mean: Float[Array, ""]
    concentration: Float[Array, ""]

    def __init__(self, mean=0.0, concentration=1.0):
        self.mean = _float("mean", mean)
        self.concentration = _float("concentration", concentration)
        if is_concrete(self.concentration) and bool(jnp.any(self.concentration < 0)):
            raise ValueError(f"concentration: expected a value >= 0, got {concentration}")

    def log_prob(self, theta):
        theta = jnp.asarray(theta, dtype=jnp.result_type(float))
        kappa = self.concentration
        return kappa * (jnp.cos(theta - self.mean) - 1.0) - jnp.log(TWO_PI * i0e(kappa))


class VonMisesMixture(CircularDensity):
    r"""Mixture :math:`q = \sum_j w_j\,\mathrm{vM}(\mu_j, \kappa_j)` — multimodal, with far-apart modes
    when the means are separated by much more than :math:`1/\sqrt{\kappa_j}`.

    Args:
      means: ``(m,)`` mode locations.
      concentrations: ``(m,)`` (or a scalar for all) concentrations :math:`\kappa_j > 0`.
      weights: ``(m,)`` positive weights (normalised here); equal if omitted.
    """

    means: Float[Array, " m"]
    concentrations: Float[Array, " m"]
    log_weights: Float[Array, " m"]

    def __init__(self, means, concentrations=50.0, weights=None):
        means = _float("means", means)
        if means.ndim != 1 or means.shape[0] == 0:
            raise ValueError(f"means: expected shape (m,) with m >= 1, got {tuple(means.shape)}")
        m = means.shape[0]
        conc = jnp.broadcast_to(_float("concentrations", concentrations), (m,))
        check_positive("concentrations", conc)
        if weights is None:
            weights = jnp.ones((m,), means.dtype)
        weights = _float("weights", weights)
        if weights.shape != (m,):
            raise ValueError(f"weights: expected shape ({m},) (m from means), got {tuple(weights.shape)}")
        check_positive("weights", weights)
        self.means, self.concentrations = means, conc
        self.log_weights = jnp.log(weights / jnp.sum(weights))

    def log_prob(self, theta):
        theta = jnp.asarray(theta, dtype=jnp.result_type(float))
        kappa = self.concentrations[None, :]
        comp = (kappa * (jnp.cos(theta[:, None] - self.means[None, :]) - 1.0)
                - jnp.log(TWO_PI * i0e(kappa)))
        return logsumexp(comp + self.log_weights[None, :], axis=1)


def separated_modes(n_modes: Size = 3, concentration: float = 100.0, weights=None) -> VonMisesMixture:
    r"""``n_modes`` von Mises bumps at the equally spaced angles :math:`2\pi j/n`.

    Neighbouring modes are :math:`2\pi/n` apart and have width :math:`\approx\kappa^{-1/2}`
    (0.1 rad for :math:`\kappa = 100`), so the density between them is about
    :math:`e^{-\kappa(1-\cos(\pi/n))}` of its peak — :math:`e^{-50}` for 3 modes at
    :math:`\kappa=100`: far-apart modes, separated by regions of almost no mass.
    """
    n_modes = check_positive_int("n_modes", n_modes)
    means = TWO_PI * jnp.arange(n_modes, dtype=jnp.result_type(float)) / n_modes
    return VonMisesMixture(means, concentration, weights)


class PiecewiseConstant(CircularDensity):
    r"""Piecewise-constant density: :math:`q = c_j/Z` on :math:`[e_j, e_{j+1})`, discontinuous at the edges.

    Args:
      values: ``(m,)`` non-negative levels :math:`c_j`, not all zero (e.g. ``(1, 3)`` for a
        ratio-3 step).
      edges: ``(m + 1,)`` increasing edges from 0 to :math:`2\pi`; equal arcs if omitted.

    ``cdf`` and ``sample`` are exact (no table).
    """

    values: Float[Array, " m"]
    edges: Float[Array, " m1"]

    def __init__(self, values=(1.0, 3.0), edges=None):
        values = _float("values", values)
        if values.ndim != 1 or values.shape[0] == 0:
            raise ValueError(f"values: expected shape (m,) with m >= 1, got {tuple(values.shape)}")
        m = values.shape[0]
        if is_concrete(values) and (bool(jnp.any(values < 0)) or not bool(jnp.sum(values) > 0)):
            raise ValueError("values: expected non-negative levels with a positive sum")
        if edges is None:
            edges = TWO_PI * jnp.arange(m + 1, dtype=values.dtype) / m
        edges = _float("edges", edges)
        if edges.shape != (m + 1,):
            raise ValueError(f"edges: expected shape ({m + 1},) (m + 1 from values), got {tuple(edges.shape)}")
        e = np.asarray(edges, dtype=np.float64) if is_concrete(edges) else np.linspace(0, TWO_PI, m + 1)
        if abs(e[0]) > 1e-6 or abs(e[-1] - TWO_PI) > 1e-5 or np.any(np.diff(e) <= 0):
            raise ValueError("edges: expected increasing edges from 0 to 2*pi")
        widths = edges[1:] - edges[:-1]
        self.values = values / jnp.sum(values * widths)
        self.edges = edges

    def _piece(self, theta):
        return jnp.clip(jnp.searchsorted(self.edges, theta, side="right") - 1, 0, self.values.shape[0] - 1)

    def log_prob(self, theta):
        theta = wrap_angle(jnp.asarray(theta, dtype=jnp.result_type(float)))
        return jnp.log(self.values[self._piece(theta)])

    def cdf(self, theta):
        theta = wrap_angle(jnp.asarray(theta, dtype=jnp.result_type(float)))
        covered = jnp.clip(theta[:, None] - self.edges[None, :-1], 0.0,
                           (self.edges[1:] - self.edges[:-1])[None, :])
        return jnp.sum(covered * self.values[None, :], axis=1)

    def sample(self, key, n):
        key, n = _check_sample_args(key, n)
        dtype = jnp.result_type(float)
        widths = self.edges[1:] - self.edges[:-1]
        key_piece, key_within = jax.random.split(key)
        j = jax.random.categorical(key_piece, jnp.log(self.values * widths), shape=(n,))
        return self.edges[j] + widths[j] * jax.random.uniform(key_within, (n,), dtype)


class Cusp(CircularDensity):
    r"""Cusp density :math:`q(\theta)\propto f + |\theta - \mu|^\alpha`, with :math:`\theta-\mu` wrapped into :math:`(-\pi, \pi]`.

    For :math:`0<\alpha<1` the density is Hölder-:math:`\alpha` and not differentiable at
    :math:`\mu` (infinite slope, the :math:`|\theta|^{1/2}` cusp for :math:`\alpha = 1/2`); it also has a
    corner at the antipode :math:`\mu+\pi`. The normaliser is
    :math:`Z = 2\pi f + 2\pi^{\alpha+1}/(\alpha+1)`. With ``floor`` :math:`f = 0` the density vanishes
    at :math:`\mu`; :math:`f > 0` keeps it bounded below.

    Args:
      center: :math:`\mu`.
      exponent: :math:`\alpha > 0`.
      floor: :math:`f\ge0`.
    """

    center: Float[Array, ""]
    exponent: Float[Array, ""]
    floor: Float[Array, ""]

    def __init__(self, center=0.0, exponent=0.5, floor=0.0):
        self.center = _float("center", center)
        self.exponent = _float("exponent", exponent)
        self.floor = _float("floor", floor)
        check_positive("exponent", self.exponent)
        if is_concrete(self.floor) and bool(jnp.any(self.floor < 0)):
            raise ValueError(f"floor: expected a value >= 0, got {floor}")

    def log_prob(self, theta):
        theta = jnp.asarray(theta, dtype=jnp.result_type(float))
        offset = jnp.abs(jnp.mod(theta - self.center + math.pi, TWO_PI) - math.pi)
        alpha = self.exponent
        norm = TWO_PI * self.floor + 2.0 * math.pi ** (alpha + 1.0) / (alpha + 1.0)
        return jnp.log(self.floor + offset ** alpha) - jnp.log(norm)


class ProductDensity(eqx.Module):
    r"""Independent angles: :math:`q(\theta_1,\dots,\theta_k) = \prod_i q_i(\theta_i)`, for :math:`k\ge2` manifolds.

    Args:
      factors: a sequence of ``k`` circular densities (``None`` entries mean :class:`Uniform`).
    """

    factors: tuple

    def __init__(self, factors):
        if isinstance(factors, (str, bytes)) or not hasattr(factors, "__iter__"):
            raise TypeError(f"factors: expected a sequence of circular densities, got "
                            f"{type(factors).__name__}")
        factors = tuple(Uniform() if f is None else f for f in factors)
        if len(factors) == 0:
            raise ValueError("factors: expected at least one density")
        for i, f in enumerate(factors):
            if not isinstance(f, CircularDensity):
                raise TypeError(f"factors: entry {i} is not a circular density ({type(f).__name__})")
        self.factors = factors

    @property
    def n_axes(self) -> int:
        """Number of angles, ``k``."""
        return len(self.factors)

    def log_prob(self, theta: ArrayInput) -> Float[Array, " b"]:
        r"""``(b, k) -> (b,)``: :math:`\sum_i\log q_i(\theta_i)`."""
        theta = jnp.asarray(theta, dtype=jnp.result_type(float))
        return sum(f.log_prob(theta[:, i]) for i, f in enumerate(self.factors))

    def prob(self, theta):
        return jnp.exp(self.log_prob(theta))

    def cdf_axis(self, axis: Size, theta):
        """Marginal distribution function of one angle."""
        return self.factors[axis].cdf(theta)

    def sample(self, key: PRNGKeyArray, n: Size) -> Float[Array, "n k"]:
        """``(n, k)`` independent draws (one key per factor, split from ``key``)."""
        key, n = _check_sample_args(key, n)
        keys = jax.random.split(key, len(self.factors))
        return jnp.stack([f.sample(kk, n) for kk, f in zip(keys, self.factors)], axis=1)
