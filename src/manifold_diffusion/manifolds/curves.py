r"""Closed curves (:math:`k = 1`) with exact geometry: ellipse, wavy circle, lima bean, a closed
helix, and two families of controlled regularity :math:`\beta`.

A closed curve is a :math:`2\pi`-periodic map :math:`\gamma:\mathbb R\to\mathbb R^d`
(:math:`d = 2` or :math:`3`) with :math:`\gamma'\neq0`. Its coordinate is the **arc length**

.. math:: s(t) = \int_0^t \|\gamma'(\tau)\|\,d\tau \in [0, L),

so "uniform on the curve" means uniform in arc length. :math:`s` is tabulated once, at
construction, on :math:`2^{14}` uniform parameter intervals (speeds by forward-mode
differentiation, cumulated by the trapezoidal rule in float64, which is spectrally accurate for
a smooth periodic speed), and so is the inverse :math:`t(s)` on :math:`2^{14}` uniform arc-length
intervals. Both are read by linear interpolation on their uniform grids, with error at most
:math:`h^2\max|s''|/8 \approx 2\cdot10^{-8}\max|s''|` (:math:`h = 2\pi/2^{14}`; likewise for
:math:`t(s)`), below float32 resolution for every curve here.

The nearest-point projection has no closed form; it is computed by a dense search on a
parameter grid followed by safeguarded Newton steps (:func:`._base.curve_nearest_parameter`).
The reach is exact where a closed form is known (ellipse) and otherwise the value of Federer's
formula on a grid (:func:`._base.curve_reach`), an upper estimate that converges to
:math:`\tau` at rate :math:`O(h^2)`; it is computed on first use and cached.

Curves with controlled regularity (for rate experiments that vary the regularity
:math:`\beta` of the manifold, cf. :cite:`shen2026manifold`):

* :class:`RoughCurve`: :math:`r(\theta) = 1 + a|\sin\theta|^\beta`, analytic except at
  :math:`\theta\in\{0,\pi\}`, where it is exactly :math:`C^\beta` (Hölder) and no smoother when
  :math:`\beta` is not an even integer;
* :class:`LacunaryCurve`: :math:`r(\theta) = 1 + a\sum_{j=1}^J 2^{-j\beta}\cos(2^j\theta)`, a
  truncated Weierstrass series, whose limit :math:`J\to\infty` is :math:`C^\beta` and nowhere
  smoother for non-integer :math:`\beta` (Zygmund); the truncation is smooth below the
  length scale :math:`2^{-J}`.
"""

import abc
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._checks import as_real, check_positive, check_positive_int
from .._types import Size
from ._base import TWO_PI, Manifold, curve_nearest_parameter, curve_reach, point_derivatives

__all__ = [
    "ClosedCurve",
    "Ellipse",
    "WavyCircle",
    "LimaBean",
    "ToroidalHelix",
    "RoughCurve",
    "LacunaryCurve",
    "RadialCurve",
]

_N_TABLE = 2 ** 14
_N_REACH = 8192
_REACH_CACHE: dict = {}


class ClosedCurve(Manifold):
    r"""Base class of closed parametric curves :math:`\gamma(t)`, :math:`t\in[0, 2\pi)`.

    Subclasses define ``_point(t)`` (scalar to ``(d,)``, differentiable twice almost
    everywhere) and ``_params()`` (a hashable tuple of the static parameters), and may override
    ``reach``. The constructor of a subclass sets its parameters and then calls
    ``self._build()``, which fills the arc-length table.

    Attributes:
      k: 1.
      d: ambient dimension.
      length: total arc length :math:`L` (the volume).
      n_grid: grid size of the nearest-point search.
      arc_table: ``(2**14 + 1,)`` arc length at the parameters :math:`2\pi j/2^{14}`.
      parameter_table: ``(2**14 + 1,)`` parameter at the arc lengths :math:`Lj/2^{14}`.
    """

    k: int = eqx.field(static=True)
    d: int = eqx.field(static=True)
    length: float = eqx.field(static=True)
    n_grid: int = eqx.field(static=True)
    arc_table: jax.Array
    parameter_table: jax.Array

    @abc.abstractmethod
    def _point(self, t):
        """The curve point ``(d,)`` at a scalar parameter ``t`` (twice differentiable almost everywhere)."""

    @abc.abstractmethod
    def _params(self) -> tuple:
        """A hashable tuple of the static parameters (the key of the reach cache)."""

    def _build(self, d: Size, n_grid: Size):
        """Fill ``k``, ``d``, ``n_grid`` and the arc-length table (float64 cumulation)."""
        self.k = 1
        self.d = d
        self.n_grid = check_positive_int("n_grid", n_grid, minimum=16)
        t = jnp.linspace(0.0, TWO_PI, _N_TABLE + 1)
        speed = np.asarray(jax.vmap(lambda s: jnp.linalg.norm(point_derivatives(self._point, s)[1]))(t),
                           dtype=np.float64)
        if not np.all(np.isfinite(speed)) or np.min(speed) <= 0:
            raise ValueError(f"{type(self).__name__}: the parametrisation is not regular "
                             "(zero or non-finite speed); check the parameters")
        step = TWO_PI / _N_TABLE
        table = np.concatenate([[0.0], np.cumsum(0.5 * step * (speed[1:] + speed[:-1]))])
        self.length = float(table[-1])
        dtype = jnp.result_type(float)
        self.arc_table = jnp.asarray(table, dtype=dtype)
        t_grid = np.linspace(0.0, TWO_PI, _N_TABLE + 1)
        self.parameter_table = jnp.asarray(np.interp(np.linspace(0.0, self.length, _N_TABLE + 1),
                                                     table, t_grid), dtype=dtype)

    # -------------------------------------------------------------------------- parametrisation
    def arc_length(self, t):
        r"""Arc length :math:`s(t)\in[0, L)` at parameters ``t`` (any shape, wrapped mod :math:`2\pi`)."""
        t = jnp.mod(jnp.asarray(t, dtype=self.arc_table.dtype), TWO_PI)
        return _lookup(t, TWO_PI / _N_TABLE, self.arc_table)

    def parameter(self, s):
        r"""Parameter :math:`t(s)\in[0, 2\pi)` at arc lengths ``s`` (any shape, wrapped mod :math:`L`)."""
        s = jnp.mod(jnp.asarray(s, dtype=self.parameter_table.dtype), self.length)
        return _lookup(s, self.length / _N_TABLE, self.parameter_table)

    def point(self, t):
        r"""Curve points :math:`\gamma(t)`: parameters ``(b,)`` to ``(b, d)``."""
        return jax.vmap(self._point)(jnp.asarray(t, dtype=jnp.result_type(float)))

    def nearest_parameter(self, x):
        r"""Parameter :math:`t^*` of the nearest curve point, ``(b, d) -> (b,)``."""
        x, _ = self._as_points("x", x)
        return _jit_nearest(self, x)

    # ------------------------------------------------------------------------------- interface
    @property
    def coord_low(self):
        return (0.0,)

    @property
    def coord_high(self):
        return (self.length,)

    @property
    def volume(self) -> float:
        """Length :math:`L` of the curve."""
        return self.length

    @property
    def reach(self) -> float:
        r"""Reach: Federer's formula, curvature on 8192 points and pairs on 1024 (module docstring)."""
        cache_key = (type(self).__name__, self._params())
        if cache_key not in _REACH_CACHE:
            t = jnp.linspace(0.0, TWO_PI, _N_REACH, endpoint=False)
            g, g1, g2 = jax.vmap(lambda s: point_derivatives(self._point, s))(t)
            _REACH_CACHE[cache_key] = curve_reach(*(np.asarray(a, dtype=np.float64) for a in (g, g1, g2)),
                                                  periodic=True)
        return _REACH_CACHE[cache_key]

    def _nearest(self, x):
        return curve_nearest_parameter(self._point, x, t_low=0.0, t_high=TWO_PI, periodic=True,
                                       n_grid=self.n_grid)

    def _locate(self, x):
        t = self._nearest(x)
        return self.point(t).astype(x.dtype), self.arc_length(t)[:, None].astype(x.dtype)

    def _embed_coords(self, u):
        return self.point(self.parameter(u[:, 0])).astype(u.dtype)

    def _tangent_basis(self, x, p, u):
        t = self.parameter(u[:, 0])
        g1 = jax.vmap(lambda s: point_derivatives(self._point, s)[1])(t)
        return (g1 / jnp.linalg.norm(g1, axis=1, keepdims=True))[:, :, None].astype(x.dtype)


def _lookup(x, step, table):
    """Linear interpolation in a table sampled at ``0, step, 2 step, ...`` (no search)."""
    pos = x / step
    i = jnp.clip(jnp.floor(pos).astype(jnp.int32), 0, table.shape[0] - 2)
    w = pos - i.astype(pos.dtype)
    return (1.0 - w) * table[i] + w * table[i + 1]


@eqx.filter_jit
def _jit_nearest(curve, x):
    return curve._nearest(x)


class Ellipse(ClosedCurve):
    r"""The ellipse :math:`\gamma(t) = (a\cos t,\ b\sin t)` in :math:`\mathbb R^2`.

    Reach (exact): the smallest radius of curvature, :math:`\min(a,b)^2/\max(a,b)` (the
    minor-axis bottleneck, :math:`\min(a, b)`, is never smaller). The book's default
    :math:`(a, b) = (1, 2)` has reach :math:`1/2` and length :math:`9.6884`.
    """

    a: float = eqx.field(static=True)
    b: float = eqx.field(static=True)

    def __init__(self, a: float = 1.0, b: float = 2.0, *, n_grid: Size = 2048):
        check_positive("a", a)
        check_positive("b", b)
        self.a, self.b = float(a), float(b)
        self._build(2, n_grid)

    def _params(self):
        return (self.a, self.b)

    def _point(self, t):
        return jnp.stack([self.a * jnp.cos(t), self.b * jnp.sin(t)])

    @property
    def reach(self) -> float:
        """Exact reach :math:`\\min(a,b)^2/\\max(a,b)`."""
        return min(self.a, self.b) ** 2 / max(self.a, self.b)


class RadialCurve(ClosedCurve):
    r"""Star-shaped curve :math:`\gamma(\theta) = r(\theta)(\cos\theta, \sin\theta)` with :math:`r > 0`.

    Subclasses define ``_radius(theta)``; the parameter is the polar angle.
    """

    @abc.abstractmethod
    def _radius(self, theta):
        """The radius :math:`r(\\theta) > 0` at a scalar polar angle."""

    def _point(self, t):
        r = self._radius(t)
        return jnp.stack([r * jnp.cos(t), r * jnp.sin(t)])


class WavyCircle(RadialCurve):
    r"""The wavy circle :math:`r(\theta) = 1 + a\sin(m\theta)` (Farghly et al.'s geometric-bias
    example, :math:`a = 0.13`, :math:`m = 8`; :cite:`farghly2025logdomain`).

    Reach: numerical (Federer's formula); :math:`0.1016` for the defaults, the radius of
    curvature at the troughs, :math:`r^3/|r^2 - rr''| = 0.87^3/6.4815`.
    """

    amplitude: float = eqx.field(static=True)
    frequency: int = eqx.field(static=True)

    def __init__(self, amplitude: float = 0.13, frequency: Size = 8, *, n_grid: Size = 2048):
        self.amplitude = as_real("amplitude", amplitude)
        self.frequency = check_positive_int("frequency", frequency)
        if not 0.0 <= self.amplitude < 1.0:
            raise ValueError(f"amplitude: expected a value in [0, 1) so that r > 0, got {amplitude}")
        self._build(2, n_grid)

    def _params(self):
        return (self.amplitude, self.frequency)

    def _radius(self, theta):
        return 1.0 + self.amplitude * jnp.sin(self.frequency * theta)


class LimaBean(ClosedCurve):
    r"""The lima bean :math:`r(\theta) = \sin^3\theta + \cos^3\theta`, :math:`\theta\in[-\pi/4, 3\pi/4]`
    (:cite:`farghly2025logdomain`, Figs. 1–2), optionally rotated.

    The polar map :math:`\theta\mapsto r(\theta)(\cos\theta,\sin\theta)` is :math:`\pi`-periodic
    and passes through the origin with non-zero speed, so the range above traces a real-analytic
    closed curve once; the curve parameter is :math:`t = 2(\theta + \pi/4)\in[0, 2\pi)`.
    ``scale`` multiplies the curve and ``rotation`` turns it (the paper's code rotates by
    :math:`\pi/2`). Reach: numerical.
    """

    scale: float = eqx.field(static=True)
    rotation: float = eqx.field(static=True)

    def __init__(self, scale: float = 1.0, rotation: float = 0.0, *, n_grid: Size = 2048):
        check_positive("scale", scale)
        self.scale, self.rotation = float(scale), as_real("rotation", rotation)
        self._build(2, n_grid)

    def _params(self):
        return (self.scale, self.rotation)

    def _point(self, t):
        theta = 0.5 * t - 0.25 * math.pi
        r = self.scale * (jnp.sin(theta) ** 3 + jnp.cos(theta) ** 3)
        phi = theta + self.rotation
        return jnp.stack([r * jnp.cos(phi), r * jnp.sin(phi)])


class ToroidalHelix(ClosedCurve):
    r"""A closed helix in :math:`\mathbb R^3`, wound ``turns`` times around a torus:

    .. math:: \gamma(t) = \big((R + r\cos qt)\cos t,\ (R + r\cos qt)\sin t,\ r\sin qt\big).

    Reach: numerical (at most :math:`r` and the curvature radius of the windings).
    """

    major_radius: float = eqx.field(static=True)
    minor_radius: float = eqx.field(static=True)
    turns: int = eqx.field(static=True)

    def __init__(self, major_radius: float = 1.0, minor_radius: float = 0.3, turns: Size = 5, *,
                 n_grid: Size = 4096):
        check_positive("major_radius", major_radius)
        check_positive("minor_radius", minor_radius)
        if minor_radius >= major_radius:
            raise ValueError(f"minor_radius: expected minor_radius < major_radius = {major_radius}, "
                             f"got {minor_radius}")
        self.major_radius, self.minor_radius = float(major_radius), float(minor_radius)
        self.turns = check_positive_int("turns", turns)
        self._build(3, n_grid)

    def _params(self):
        return (self.major_radius, self.minor_radius, self.turns)

    def _point(self, t):
        q = self.turns
        rho = self.major_radius + self.minor_radius * jnp.cos(q * t)
        return jnp.stack([rho * jnp.cos(t), rho * jnp.sin(t), self.minor_radius * jnp.sin(q * t)])


class RoughCurve(RadialCurve):
    r"""A closed curve of regularity exactly :math:`C^\beta`: :math:`r(\theta) = 1 + a|\sin\theta|^\beta`.

    The radius is real-analytic except at :math:`\theta\in\{0, \pi\}`, where
    :math:`|\sin\theta|^\beta\sim|\theta|^\beta`: the curve is :math:`C^{\lfloor\beta\rfloor,
    \beta-\lfloor\beta\rfloor}` there and no smoother, unless :math:`\beta` is an even integer
    (then :math:`|\sin\theta|^\beta = \sin^\beta\theta` is analytic) — use non-integer
    :math:`\beta` (e.g. 2.5, 3.5, 4.5, 5.5) to vary the regularity. For
    :math:`\beta\ge 2` and :math:`a = 0.15` the curve is convex with length 6.59–6.79 and
    reach (numerical) decreasing from 0.91 at :math:`\beta = 2` through 0.87, 0.79, 0.72, 0.67
    at :math:`\beta` = 2.5, 3.5, 4.5, 5.5 to 0.55 at 8.5; for :math:`1<\beta<2` the curvature is
    unbounded at :math:`\theta = 0`, so the reach is 0.

    Args:
      beta: regularity :math:`\beta > 1`.
      amplitude: :math:`a\in[0, 1)`.
    """

    beta: float = eqx.field(static=True)
    amplitude: float = eqx.field(static=True)

    def __init__(self, beta: float, amplitude: float = 0.15, *, n_grid: Size = 2048):
        check_positive("beta", beta)
        if beta <= 1.0:
            raise ValueError(f"beta: expected beta > 1 (a C^1 curve), got {beta}")
        amplitude = as_real("amplitude", amplitude)
        if not 0.0 <= amplitude < 1.0:
            raise ValueError(f"amplitude: expected a value in [0, 1), got {amplitude}")
        self.beta, self.amplitude = float(beta), float(amplitude)
        self._build(2, n_grid)

    def _params(self):
        return (self.beta, self.amplitude)

    def _radius(self, theta):
        return 1.0 + self.amplitude * jnp.abs(jnp.sin(theta)) ** self.beta

    @property
    def reach(self) -> float:
        """Reach: 0 for beta < 2 (unbounded curvature), else Federer's formula on a grid."""
        if self.beta < 2.0 and self.amplitude > 0:
            return 0.0
        return super().reach


class LacunaryCurve(RadialCurve):
    r"""A truncated Weierstrass curve: :math:`r(\theta) = 1 + a\sum_{j=1}^{J} 2^{-j\beta}\cos(2^j\theta)`.

    The series with :math:`J = \infty` is :math:`C^\beta` and nowhere :math:`C^{\beta'}` for
    :math:`\beta'>\beta` (non-integer :math:`\beta`; Zygmund class at integers). Truncated at
    :math:`J` = ``n_terms`` terms, the curve is analytic but behaves like a :math:`C^\beta`
    curve at all length scales above :math:`2\pi\,2^{-J}`. Its curvature grows like
    :math:`a\,2^{J(2-\beta)}` for :math:`\beta<2`, so the reach (numerical) shrinks with
    :math:`J` there. The search grid has :math:`\max(2048, 16\cdot2^J)` points so that every
    oscillation is resolved.

    Args:
      beta: regularity :math:`\beta > 0`.
      amplitude: :math:`a`, with :math:`a\sum_j 2^{-j\beta} < 1` so that :math:`r > 0`.
      n_terms: :math:`J`.
    """

    beta: float = eqx.field(static=True)
    amplitude: float = eqx.field(static=True)
    n_terms: int = eqx.field(static=True)

    def __init__(self, beta: float, amplitude: float = 0.3, n_terms: Size = 6, *,
                 n_grid: Size | None = None):
        check_positive("beta", beta)
        self.n_terms = check_positive_int("n_terms", n_terms)
        self.beta, self.amplitude = float(beta), as_real("amplitude", amplitude)
        total = abs(self.amplitude) * sum(2.0 ** (-j * self.beta) for j in range(1, self.n_terms + 1))
        if total >= 1.0:
            raise ValueError(f"amplitude: expected amplitude * sum_j 2^(-j beta) < 1 so that r > 0, "
                             f"got {total:.3g}")
        self._build(2, n_grid if n_grid is not None else max(2048, 16 * 2 ** self.n_terms))

    def _params(self):
        return (self.beta, self.amplitude, self.n_terms)

    def _radius(self, theta):
        j = jnp.arange(1, self.n_terms + 1, dtype=jnp.result_type(theta, float))
        coeff = self.amplitude * 2.0 ** (-j * self.beta)
        return 1.0 + jnp.sum(coeff * jnp.cos(2.0 ** j * theta))
