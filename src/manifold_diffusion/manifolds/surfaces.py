r"""A closed surface (:math:`k = 2`) of controlled regularity: :math:`\{(1 + a|\omega_3|^\beta)\,\omega : \omega\in S^2\}`.

:class:`RoughSphere` is the radial graph :math:`x = r(\omega)\,\omega` over the unit sphere with
:math:`r(\omega) = 1 + a|\omega_3|^\beta`. Writing :math:`\omega = (\sin\psi\cos\varphi,
\sin\psi\sin\varphi, \cos\psi)` it is a surface of revolution about the :math:`x_3` axis whose
meridian is the polar curve :math:`\gamma(\psi) = r(\psi)(\sin\psi, \cos\psi)` in the
:math:`(\rho, x_3)` half-plane, :math:`r(\psi) = 1 + a|\cos\psi|^\beta`. The radius is real-analytic
except on the equator :math:`\psi = \pi/2`, where :math:`|\cos\psi|^\beta\sim|\psi - \pi/2|^\beta`:
the surface is :math:`C^\beta` there and no smoother (non-integer :math:`\beta`, or odd integer
:math:`\beta`) -- the two-dimensional analogue of
:class:`~manifold_diffusion.manifolds.RoughCurve`, with a whole circle of rough points.

**Volume coordinates.** :math:`u = (\varphi, w)\in[0, 2\pi)\times[0, W]` with
:math:`w(\psi) = \int_0^\psi \rho(s)\,|\gamma'(s)|\,ds`, :math:`\rho = r\sin\psi`,
:math:`|\gamma'|^2 = r^2 + r'^2`, so that the area element is :math:`dA = du_1\,du_2` and the
area is :math:`2\pi W` ("uniform on the surface" = uniform on the box). :math:`w(\psi)` is tabulated
on :math:`2^{14}` intervals by the trapezoidal rule in float64, and so is its inverse; both are read
by linear interpolation (error :math:`O(h^2)`, below float32 resolution).

**Projection.** By symmetry the nearest point of :math:`x` has the azimuth :math:`\varphi` of
:math:`x`; the polar angle :math:`\psi^*` is the nearest point of the meridian to
:math:`(\|x_{12}\|, x_3)`, found by safeguarded Newton steps on the squared distance started at the
polar angle of :math:`x` itself (the nearest point of a nearly round surface is close to the radial
one; every step is clipped to 0.05 rad and the iterate to :math:`[0, \pi]`). Ten steps reach float
rounding for points within the reach; the tests check it against a dense search.

**Chord caps.** :meth:`RoughSphere.cap_mass` gives the mass, under the uniform law, of the cap
:math:`\{x\in M: \|x - y\|\le\delta\}` around a point :math:`y\in M` by quadrature: on the parallel
at polar angle :math:`\psi` the cap is the azimuth interval
:math:`|\varphi - \varphi_y|\le\arccos\frac{\rho^2 + \rho_y^2 + (x_3 - y_3)^2 - \delta^2}{2\rho\rho_y}`,
so the cap's area is the one-dimensional integral of twice that half-width against
:math:`\rho|\gamma'|\,d\psi` (trapezoidal rule on 513 points of the window
:math:`|\psi - \psi_y|\le 1.6\,\delta`, which contains the cap because :math:`r\ge1`). For
:math:`\delta` well below the reach a chord cap is the geodesic disc of radius
:math:`\delta(1 + O(\kappa^2\delta^2))`; on the unit sphere its area is exactly :math:`\pi\delta^2`
(Archimedes), which the tests check.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._checks import check_positive
from ._base import TWO_PI, Manifold, curve_reach, point_derivatives

__all__ = ["RoughSphere"]

_N_TABLE = 2 ** 14
_N_REACH = 8192
_N_NEWTON = 10


def _lookup(x, step, table):
    """Linear interpolation in a table sampled at ``0, step, 2 step, ...``."""
    pos = x / step
    i = jnp.clip(jnp.floor(pos).astype(jnp.int32), 0, table.shape[0] - 2)
    wgt = pos - i.astype(pos.dtype)
    return (1.0 - wgt) * table[i] + wgt * table[i + 1]


class RoughSphere(Manifold):
    r"""The surface :math:`\{(1 + a|\omega_3|^\beta)\,\omega:\ \omega\in S^2\}\subset\mathbb R^3` (module docstring).

    Args:
      beta: regularity :math:`\beta > 1` (use a non-integer value; even integers give an analytic
        surface).
      amplitude: :math:`a\in[0, 1)`; ``a = 0`` is the unit sphere.

    Attributes:
      k: 2. d: 3.
      area_width: :math:`W`, the range of the second volume coordinate (area :math:`2\pi W`).
    """

    k: int = eqx.field(static=True)
    d: int = eqx.field(static=True)
    beta: float = eqx.field(static=True)
    amplitude: float = eqx.field(static=True)
    area_width: float = eqx.field(static=True)
    area_table: jax.Array
    angle_table: jax.Array

    def __init__(self, beta: float, amplitude: float = 0.15):
        check_positive("beta", beta)
        if beta <= 1.0:
            raise ValueError(f"beta: expected beta > 1, got {beta}")
        if not 0.0 <= amplitude < 1.0:
            raise ValueError(f"amplitude: expected a value in [0, 1), got {amplitude}")
        self.k, self.d = 2, 3
        self.beta, self.amplitude = float(beta), float(amplitude)
        psi = np.linspace(0.0, math.pi, _N_TABLE + 1)
        r, dr = self._radius_np(psi)
        density = r * np.sin(psi) * np.sqrt(r * r + dr * dr)          # rho |gamma'|
        table = np.concatenate([[0.0], np.cumsum(0.5 * (math.pi / _N_TABLE) * (density[1:] + density[:-1]))])
        self.area_width = float(table[-1])
        dtype = jnp.result_type(float)
        self.area_table = jnp.asarray(table, dtype)
        self.angle_table = jnp.asarray(np.interp(np.linspace(0.0, self.area_width, _N_TABLE + 1), table,
                                                 psi), dtype)

    # ------------------------------------------------------------------------------ geometry
    def _radius_np(self, psi):
        """:math:`r(\\psi)` and :math:`r'(\\psi)` in float64 NumPy."""
        c = np.cos(psi)
        r = 1.0 + self.amplitude * np.abs(c) ** self.beta
        dr = -self.amplitude * self.beta * np.abs(c) ** (self.beta - 1.0) * np.sign(c) * np.sin(psi)
        return r, dr

    def _meridian(self, psi):
        """The meridian :math:`(\\rho, x_3) = r(\\psi)(\\sin\\psi, \\cos\\psi)` at a scalar ``psi``."""
        r = 1.0 + self.amplitude * jnp.abs(jnp.cos(psi)) ** self.beta
        return jnp.stack([r * jnp.sin(psi), r * jnp.cos(psi)])

    def _point(self, phi, psi):
        m = jax.vmap(self._meridian)(psi)
        return jnp.stack([m[:, 0] * jnp.cos(phi), m[:, 0] * jnp.sin(phi), m[:, 1]], axis=1)

    def _nearest_angle(self, q):
        """Polar angle ``(b,)`` of the nearest meridian point to ``q`` ``(b, 2)`` = (rho, x3)."""
        psi0 = jnp.arctan2(q[:, 0], q[:, 1])                               # in [0, pi]

        def refine(qi, t0):
            """Safeguarded Newton on the squared distance to the meridian, for one query."""
            def step(_, t):
                g, g1, g2 = point_derivatives(self._meridian, t)
                res = qi - g
                grad = -jnp.dot(res, g1)
                gauss = jnp.dot(g1, g1)
                hess = gauss - jnp.dot(res, g2)
                curv = jnp.where(jnp.isfinite(hess) & (hess > 0.1 * gauss), hess, gauss)
                delta = jnp.clip(-grad / curv, -0.05, 0.05)
                return jnp.clip(t + jnp.where(jnp.isfinite(delta), delta, 0.0), 0.0, math.pi)

            return jax.lax.fori_loop(0, _N_NEWTON, step, t0)

        return jax.vmap(refine)(q, psi0)

    def _locate(self, x):
        phi = jnp.mod(jnp.arctan2(x[:, 1], x[:, 0]), TWO_PI)
        q = jnp.stack([jnp.hypot(x[:, 0], x[:, 1]), x[:, 2]], axis=1)
        psi = self._nearest_angle(q)
        p = self._point(phi, psi).astype(x.dtype)
        w = _lookup(psi.astype(self.area_table.dtype), math.pi / _N_TABLE, self.area_table)
        return p, jnp.stack([phi.astype(x.dtype), w.astype(x.dtype)], axis=1)

    def _embed_coords(self, u):
        psi = _lookup(jnp.clip(u[:, 1], 0.0, self.area_width).astype(self.angle_table.dtype),
                      self.area_width / _N_TABLE, self.angle_table)
        return self._point(u[:, 0], psi).astype(u.dtype)

    def _tangent_basis(self, x, p, u):
        psi = _lookup(jnp.clip(u[:, 1], 0.0, self.area_width).astype(self.angle_table.dtype),
                      self.area_width / _N_TABLE, self.angle_table).astype(x.dtype)
        phi = u[:, 0]
        g1 = jax.vmap(lambda t: point_derivatives(self._meridian, t)[1])(psi)
        g1 = g1 / jnp.linalg.norm(g1, axis=1, keepdims=True)
        e_phi = jnp.stack([-jnp.sin(phi), jnp.cos(phi), jnp.zeros_like(phi)], axis=1)
        e_psi = jnp.stack([g1[:, 0] * jnp.cos(phi), g1[:, 0] * jnp.sin(phi), g1[:, 1]], axis=1)
        return jnp.stack([e_phi, e_psi], axis=2)

    # ----------------------------------------------------------------------------- interface
    @property
    def coord_low(self):
        return (0.0, 0.0)

    @property
    def coord_high(self):
        return (TWO_PI, self.area_width)

    @property
    def volume(self) -> float:
        """Area :math:`2\\pi W`."""
        return TWO_PI * self.area_width

    @property
    def reach(self) -> float:
        r"""Reach (numerical): the smaller of the meridian's reach (Federer's formula on the closed
        meridian curve, :func:`~manifold_diffusion.manifolds.curve_reach`) and the smallest radius of
        curvature of the parallels, :math:`\rho|\gamma'|/|x_3'|`."""
        psi = np.linspace(0.0, TWO_PI, _N_REACH, endpoint=False)
        g, g1, g2 = jax.vmap(lambda t: point_derivatives(self._meridian_full, t))(jnp.asarray(psi))
        meridian = curve_reach(*(np.asarray(a, np.float64) for a in (g, g1, g2)), periodic=True)
        inner = np.linspace(1e-3, math.pi - 1e-3, 4096)
        r, dr = self._radius_np(inner)
        rho = r * np.sin(inner)
        dz = dr * np.cos(inner) - r * np.sin(inner)
        parallel = float(np.min(rho * np.sqrt(r * r + dr * dr) / np.maximum(np.abs(dz), 1e-300)))
        return float(min(meridian, parallel))

    def _meridian_full(self, psi):
        """The whole meridian, a closed curve in the :math:`(x_1, x_3)` plane (``psi`` in ``[0, 2 pi)``)."""
        r = 1.0 + self.amplitude * jnp.abs(jnp.cos(psi)) ** self.beta
        return jnp.stack([r * jnp.sin(psi), r * jnp.cos(psi)])

    def cap_mass(self, u, delta: float, *, n_table: int = 257, n_quad: int = 513) -> np.ndarray:
        r"""Mass of the chord caps :math:`\{x\in M: \|x - y\|\le\delta\}` under the uniform law.

        By quadrature (module docstring), tabulated on ``n_table`` polar angles of the centre (the
        mass does not depend on its azimuth) and interpolated linearly.

        Args:
          u: ``(c, 2)`` volume coordinates of the centres :math:`y`.
          delta: the chord radius :math:`\delta > 0`.
          n_table, n_quad: table and quadrature sizes.

        Returns:
          ``(c,)`` masses in ``[0, 1]`` (NumPy float64).
        """
        if isinstance(u, (str, bytes)) or u is None:
            raise TypeError(f"u: expected an array of coordinates, got {type(u).__name__}")
        u = np.asarray(u, np.float64)
        if u.ndim != 2 or u.shape[1] != 2:
            raise ValueError(f"u: expected shape (c, 2) (k of the surface), got {tuple(u.shape)}")
        if not np.all(np.isfinite(u)):
            raise ValueError("u: expected finite values")
        if not (np.isscalar(delta) or np.ndim(delta) == 0):
            raise ValueError(f"delta: expected a scalar, got shape {np.shape(delta)}")
        check_positive("delta", delta)
        table_w = np.asarray(self.area_table, np.float64)
        psi_c = np.interp(np.clip(u[:, 1], 0.0, self.area_width), table_w,
                          np.linspace(0.0, math.pi, table_w.shape[0]))
        grid = np.linspace(0.0, math.pi, n_table)
        masses = self._cap_table(grid, float(delta), n_quad)
        return np.interp(psi_c, grid, masses)

    def _cap_table(self, psi_c, delta, n_quad):
        """Cap masses for centres at polar angles ``psi_c`` ``(t,)`` (NumPy float64)."""
        half = min(math.pi, 1.6 * delta + 1e-9)
        offsets = np.linspace(-half, half, n_quad)
        psi = psi_c[:, None] + offsets[None, :]                                 # (t, q)
        valid = (psi >= 0.0) & (psi <= math.pi)
        psi = np.clip(psi, 0.0, math.pi)
        r, dr = self._radius_np(psi)
        rho, z = r * np.sin(psi), r * np.cos(psi)
        rc, _ = self._radius_np(psi_c)
        rho_c, z_c = (rc * np.sin(psi_c))[:, None], (rc * np.cos(psi_c))[:, None]
        num = rho ** 2 + rho_c ** 2 + (z - z_c) ** 2 - delta ** 2
        den = 2.0 * rho * rho_c
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(den > 1e-300, num / np.where(den > 1e-300, den, 1.0),
                             np.where(num <= 0, -np.inf, np.inf))
        halfwidth = np.arccos(np.clip(ratio, -1.0, 1.0))
        integrand = np.where(valid, 2.0 * halfwidth * rho * np.sqrt(r * r + dr * dr), 0.0)
        step = offsets[1] - offsets[0]
        area = step * (integrand.sum(axis=1) - 0.5 * (integrand[:, 0] + integrand[:, -1]))
        return np.minimum(area / self.volume, 1.0)
