r"""The Swiss roll: an Archimedean spiral strip in :math:`\mathbb R^3`, a surface with boundary.

.. math:: x(t, h) = (c\,t\cos t,\ h,\ c\,t\sin t), \qquad t\in[t_{\min}, t_{\max}],\ h\in[0, H].

It is a product of the spiral :math:`\gamma(t) = ct(\cos t, \sin t)` with a segment, and the two
factors are orthogonal, so the nearest point splits: :math:`h^* = \operatorname{clip}(x_2, 0, H)`,
and :math:`t^*` is the nearest point of the spiral segment to :math:`(x_1, x_3)` (dense search
and safeguarded Newton, :func:`._base.curve_nearest_parameter`; the ends of the segment are
candidates, so points beyond an end project onto the boundary).

The surface is flat (isometric to a rectangle): the **volume coordinates** are
:math:`u = (s, h)` with the exact arc length of the spiral

.. math:: s(t) = F(t) - F(t_{\min}),\qquad F(t) = \tfrac c2\big(t\sqrt{1+t^2} + \operatorname{asinh} t\big),

inverted by bracketed Newton. The reach is the value of Federer's formula for the spiral on a
grid (set by the gap :math:`\approx 2\pi c` between turns and the curvature at :math:`t_{\min}`);
it is the reach of the interior, the boundary not counted.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._checks import as_real, check_positive, check_positive_int
from .._types import Size
from ._base import Manifold, curve_nearest_parameter, curve_reach, point_derivatives, solve_monotone

__all__ = ["SwissRoll"]

_REACH_CACHE: dict = {}


class SwissRoll(Manifold):
    r"""The Swiss roll (see the module docstring).

    The defaults, :math:`t\in[1.5\pi, 4.5\pi]` (one and a half turns, as in scikit-learn's
    ``make_swiss_roll``), :math:`c = 0.1`, :math:`H = 2`, give radii 0.47–1.41, a gap of
    :math:`2\pi c\approx0.63` between turns, and reach :math:`\approx0.31`.

    Args:
      t_min, t_max: parameter range, :math:`0\le t_{\min}<t_{\max}`.
      scale: :math:`c > 0`, the growth of the radius per radian.
      height: :math:`H > 0`.
      n_grid: grid size of the nearest-point search.
    """

    k: int = eqx.field(static=True)
    d: int = eqx.field(static=True)
    t_min: float = eqx.field(static=True)
    t_max: float = eqx.field(static=True)
    scale: float = eqx.field(static=True)
    height: float = eqx.field(static=True)
    n_grid: int = eqx.field(static=True)

    def __init__(self, t_min: float = 1.5 * np.pi, t_max: float = 4.5 * np.pi, scale: float = 0.1,
                 height: float = 2.0, *, n_grid: Size = 2048):
        check_positive("scale", scale)
        check_positive("height", height)
        t_min, t_max = as_real("t_min", t_min), as_real("t_max", t_max)
        if not 0.0 <= t_min < t_max:
            raise ValueError(f"t_min: expected 0 <= t_min < t_max = {t_max}, got {t_min}")
        self.k, self.d = 2, 3
        self.t_min, self.t_max = float(t_min), float(t_max)
        self.scale, self.height = float(scale), float(height)
        self.n_grid = check_positive_int("n_grid", n_grid, minimum=16)

    # ---------------------------------------------------------------------- the spiral
    def _spiral(self, t):
        return jnp.stack([self.scale * t * jnp.cos(t), self.scale * t * jnp.sin(t)])

    def _primitive(self, t):
        return 0.5 * self.scale * (t * jnp.sqrt(1 + t * t) + jnp.arcsinh(t))

    def _primitive_np(self, t: float) -> float:
        return 0.5 * self.scale * (t * np.sqrt(1 + t * t) + np.arcsinh(t))

    def arc_length(self, t):
        r"""Exact arc length :math:`s(t)` of the spiral from :math:`t_{\min}`."""
        return self._primitive(t) - self._primitive_np(self.t_min)

    def parameter(self, s):
        r"""Inverse of :meth:`arc_length` (bracketed Newton on :math:`[t_{\min}, t_{\max}]`)."""
        s = jnp.asarray(s)
        return solve_monotone(self.arc_length, lambda t: self.scale * jnp.sqrt(1 + t * t), s,
                              self.t_min, self.t_max)

    @property
    def spiral_length(self) -> float:
        """Length of the spiral segment."""
        return float(self._primitive_np(self.t_max) - self._primitive_np(self.t_min))

    # ---------------------------------------------------------------------- interface
    @property
    def coord_low(self):
        return (0.0, 0.0)

    @property
    def coord_high(self):
        return (self.spiral_length, self.height)

    @property
    def volume(self) -> float:
        return self.spiral_length * self.height

    @property
    def reach(self) -> float:
        """Reach of the interior: Federer's formula for the spiral on a grid of 8192 points."""
        key = (self.t_min, self.t_max, self.scale)
        if key not in _REACH_CACHE:
            t = jnp.linspace(self.t_min, self.t_max, 8192)
            g, g1, g2 = jax.vmap(lambda s: point_derivatives(self._spiral, s))(t)
            _REACH_CACHE[key] = curve_reach(*(np.asarray(a, dtype=np.float64) for a in (g, g1, g2)),
                                            periodic=False)
        return _REACH_CACHE[key]

    def _nearest(self, x):
        return curve_nearest_parameter(self._spiral, x[:, jnp.array([0, 2])], t_low=self.t_min,
                                       t_high=self.t_max, periodic=False, n_grid=self.n_grid)

    def _point(self, t, h):
        r = self.scale * t
        return jnp.stack([r * jnp.cos(t), h, r * jnp.sin(t)], axis=1)

    def _locate(self, x):
        t = self._nearest(x)
        h = jnp.clip(x[:, 1], 0.0, self.height)
        return self._point(t, h), jnp.stack([self.arc_length(t), h], axis=1)

    def _embed_coords(self, u):
        return self._point(self.parameter(u[:, 0]), u[:, 1])

    def _tangent_basis(self, x, p, u):
        t = jnp.sqrt(p[:, 0] ** 2 + p[:, 2] ** 2) / self.scale              # radius = c t
        g1 = jax.vmap(lambda s: point_derivatives(self._spiral, s)[1])(t)
        g1 = g1 / jnp.linalg.norm(g1, axis=1, keepdims=True)
        zero = jnp.zeros_like(t)
        along = jnp.stack([g1[:, 0], zero, g1[:, 1]], axis=1)
        up = jnp.stack([zero, jnp.ones_like(t), zero], axis=1)
        return jnp.stack([along, up], axis=2)
