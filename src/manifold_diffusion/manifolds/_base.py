r"""The manifold interface and the numerical pieces shared by several manifolds.

Every manifold in this package is an immutable pytree (an ``equinox.Module`` whose sizes and
geometric constants are static fields), so it can be passed to and returned from jitted
functions. All offer the same interface:

=========================================  ==================================================
``m.k``, ``m.d``                           intrinsic and ambient dimension (``int``)
``m.sample(key, n, density=None)``         ``(n, d)`` points drawn from ``density`` on ``M``
``m.sample_with_coords(key, n, density)``  ``((n, d), (n, k))`` points and their coordinates
``m.embed_coords(u)``                      ``(b, k) -> (b, d)``, the parametrisation
``m.project(x)``                           ``(b, d) -> (b, d)``, nearest point :math:`\Pi_M x`
``m.distance(x)``                          ``(b, d) -> (b,)``, :math:`\operatorname{dist}(x, M)`
``m.coords(x)``                            ``(b, d) -> (b, k)``, coordinates of :math:`\Pi_M x`
``m.tangent_basis(x)``                     ``(b, d) -> (b, d, k)``, orthonormal basis of
                                           :math:`T_{\Pi_M x}M`
``m.log_prob(u, density=None)``            ``(b, k) -> (b,)``, log-density w.r.t. volume
``m.density_coords(u)``                    ``(b, k) -> (b, k)``, the angles densities act on
``m.reach``, ``m.volume``                  reach :math:`\tau` (exact, or as documented) and
                                           volume (length, area) of ``M``
=========================================  ==================================================

**Volume coordinates.** The coordinates ``u`` of every manifold are *volume coordinates*: they
range over a box :math:`\prod_i [\ell_i, h_i)` (``m.coord_low``, ``m.coord_high``) on which the
volume measure of ``M`` is a constant multiple of Lebesgue measure (arc length for curves; for
the sphere :math:`S^2` Archimedes' cylinder :math:`(R\varphi, z)`; for the torus in
:math:`\mathbb R^3` the area coordinate :math:`w = r(R\theta + r\sin\theta)`). Hence "uniform on
``M``" is "uniform on the box", and a density on ``M`` can be given by a density on the box.

**Densities** (:mod:`.densities`) are written on the angle :math:`v\in[0, 2\pi)` per axis, mapped
affinely onto the box, :math:`v_i = 2\pi (u_i - \ell_i)/(h_i - \ell_i)`, so one density object
can be used on any manifold. A density :math:`q(v)` on the angles is the density

.. math:: p(x) = \frac{(2\pi)^k}{\operatorname{vol}(M)}\, q\big(v(x)\big)

with respect to the volume measure of ``M`` (:meth:`Manifold.log_prob`).

Shapes: points are ``(b, d)`` (a single point ``(d,)`` is accepted and gives unbatched
results); coordinates ``(b, k)`` (``(b,)`` is accepted when ``k == 1``).
"""

import abc
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray, Real

from .._checks import (as_float_array, as_numpy_float, as_real, check_callable, check_finite,
                       check_positive_int, check_scalar, check_shape)
from .._types import ArrayInput, Size
from ..keys import check_key

__all__ = ["Manifold", "Projector", "TangentProjector", "point_derivatives", "curve_nearest_parameter", "solve_monotone",
           "curve_reach"]


@runtime_checkable
class Projector(Protocol):
    r"""What a set :math:`M\subset\mathbb R^d` with a nearest-point map offers: the projection protocol.

    Every :class:`Manifold` is a projector, and so is an estimated manifold such as
    :class:`~manifold_diffusion.manifolds.estimate.FourierCurve`. Code that needs only the
    geometry of a set (a coarse score :math:`-(x - \alpha_t\hat P(x/\alpha_t))/\sigma_t^2`, a distance
    metric) takes a ``Projector`` and checks ``isinstance(obj, Projector)``, instead of probing
    attributes. Both methods are jittable: their argument checks are static under ``jit``.

    Attributes:
      d: the ambient dimension.
    """

    @property
    def d(self) -> int:
        """Ambient dimension."""

    def project(self, x: ArrayInput) -> Float[Array, "b d"]:
        r"""Nearest point :math:`\Pi_M x` of each row of ``x``; ``(b, d) -> (b, d)``."""

    def distance(self, x: ArrayInput) -> Float[Array, " b"]:
        r"""Distance :math:`\|x - \Pi_M x\|` of each row of ``x`` to the set; ``(b, d) -> (b,)``."""


@runtime_checkable
class TangentProjector(Protocol):
    r"""A nearest-point map with tangent spaces: what moving *along* a set needs.

    Every :class:`Manifold` is one, and so is a tabulated curve such as
    :class:`~manifold_diffusion.data.TabulatedCurve`; the manifold-adapted kernel of
    :class:`~manifold_diffusion.scores.SmoothedScore` takes one.

    Attributes:
      d, k: the ambient and intrinsic dimensions.
    """

    @property
    def d(self) -> int:
        """Ambient dimension."""

    @property
    def k(self) -> int:
        """Intrinsic dimension."""

    def project(self, x: ArrayInput) -> Float[Array, "b d"]:
        r"""Nearest point :math:`\Pi_M x` of each row of ``x``; ``(b, d) -> (b, d)``."""

    def tangent_basis(self, x: ArrayInput) -> Float[Array, "b d k"]:
        r"""Orthonormal basis of the tangent space at :math:`\Pi_M x`; ``(b, d) -> (b, d, k)``."""


TWO_PI = 2.0 * np.pi


class Manifold(eqx.Module):
    """Base class of the manifolds: validation and the public interface.

    Subclasses define the static fields ``k`` and ``d`` and the private methods
    ``_locate(x) -> (points (b, d), coords (b, k))``, ``_embed_coords(u)``,
    ``_tangent_basis(x, p, u)`` (at the foot ``p`` with coordinates ``u`` of ``x``), and the properties ``coord_low``, ``coord_high`` (tuples of ``k``
    floats, or ``None`` where a manifold has no global coordinates), ``reach`` and ``volume``.
    Every public method checks its arguments eagerly and then calls one jitted function.
    """

    # ----------------------------------------------------------------- to be defined by subclasses
    k: eqx.AbstractVar[int]
    d: eqx.AbstractVar[int]

    @property
    @abc.abstractmethod
    def coord_low(self) -> tuple[float, ...] | None:
        """Lower corner of the box of volume coordinates (``None``: no global coordinates)."""

    @property
    @abc.abstractmethod
    def coord_high(self) -> tuple[float, ...] | None:
        """Upper corner of the box of volume coordinates."""

    @property
    @abc.abstractmethod
    def reach(self) -> float:
        r"""Reach :math:`\tau` of ``M``: every point closer than :math:`\tau` has a unique projection."""

    @property
    @abc.abstractmethod
    def volume(self) -> float:
        """k-dimensional volume of ``M`` (length of a curve, area of a surface)."""

    @abc.abstractmethod
    def _locate(self, x):
        """Foot points ``(b, d)`` and their coordinates ``(b, k)`` of checked ``x`` ``(b, d)``."""

    def _project(self, x):
        return self._locate(x)[0]

    @abc.abstractmethod
    def _embed_coords(self, u):
        """Points ``(b, d)`` at checked volume coordinates ``u`` ``(b, k)``."""

    @abc.abstractmethod
    def _tangent_basis(self, x, p, u):
        """Orthonormal ``(b, d, k)`` tangent bases at the feet ``p`` (coordinates ``u``) of ``x``."""

    def _sample_uniform(self, key, n):
        """Volume-uniform points and coordinates: uniform on the box of volume coordinates."""
        low = jnp.asarray(self.coord_low, dtype=jnp.result_type(float))
        high = jnp.asarray(self.coord_high, dtype=jnp.result_type(float))
        u = low[None, :] + (high - low)[None, :] * jax.random.uniform(key, (n, self.k), low.dtype)
        return self._embed_coords(u), u

    # ------------------------------------------------------------------------ public interface
    def sample(self, key: PRNGKeyArray, n: Size, density=None) -> Float[Array, "n d"]:
        """Draw ``n`` points on ``M``.

        Args:
          key: a ``jax.random`` key.
          n: number of points.
          density: ``None`` for the uniform law w.r.t. volume, else a density of
            :mod:`.densities` on the angles of the volume coordinates (a 1-D density when
            ``k == 1``, a :class:`~.densities.ProductDensity` of ``k`` factors otherwise).

        Returns:
          ``(n, d)`` points on ``M``.
        """
        key = check_key("key", key)
        n = check_positive_int("n", n)
        self.check_density(density)
        return _jit_sample(self, key, n, density)[0]

    def sample_with_coords(self, key: PRNGKeyArray, n: Size, density=None
                           ) -> tuple[Float[Array, "n d"], Float[Array, "n k"]]:
        """Like :meth:`sample`, also returning the ``(n, k)`` volume coordinates of the points."""
        key = check_key("key", key)
        n = check_positive_int("n", n)
        self._require_coords("sample_with_coords")
        self.check_density(density)
        return _jit_sample(self, key, n, density)

    def embed_coords(self, u: ArrayInput) -> Float[Array, "... d"]:
        """The parametrisation: volume coordinates ``(b, k)`` to points ``(b, d)`` on ``M``."""
        self._require_coords("embed_coords")
        u, single = self._as_coords("u", u)
        out = _jit_embed(self, u)
        return out[0] if single else out

    def project(self, x: ArrayInput) -> Float[Array, "*b d"]:
        r"""Nearest point :math:`\Pi_M x = \arg\min_{p\in M}\|x - p\|` of each row of ``x``.

        Unique when :math:`\operatorname{dist}(x, M) < \tau` (the reach); elsewhere one of the
        nearest points is returned.

        Args:
          x: ``(b, d)`` points of :math:`\mathbb R^d` (or one point ``(d,)``).

        Returns:
          ``(b, d)`` points on ``M``.
        """
        x, single = self._as_points("x", x)
        out = _jit_geometry(self, x)[0]
        return out[0] if single else out

    def distance(self, x: ArrayInput) -> Float[Array, "*b"]:
        r"""Distance :math:`\|x - \Pi_M x\|` of each row of ``x`` (``(b, d)``) to ``M``; ``(b,)``."""
        x, single = self._as_points("x", x)
        out = _jit_geometry(self, x)[2]
        return out[0] if single else out

    def coords(self, x: ArrayInput) -> Float[Array, "*b k"]:
        r"""Volume coordinates ``(b, k)`` of the projections :math:`\Pi_M x` of ``x`` (``(b, d)``)."""
        self._require_coords("coords")
        x, single = self._as_points("x", x)
        out = _jit_geometry(self, x)[1]
        return out[0] if single else out

    def tangent_basis(self, x: ArrayInput) -> Float[Array, "*b d k"]:
        r"""Orthonormal basis ``(b, d, k)`` of the tangent space at :math:`\Pi_M x`.

        ``x`` (``(b, d)``) need not lie on ``M``; the basis is taken at its projection.
        """
        x, single = self._as_points("x", x)
        out = _jit_tangent(self, x)
        return out[0] if single else out

    def density_coords(self, u: ArrayInput) -> Float[Array, "... k"]:
        r"""Angles :math:`v_i = 2\pi(u_i - \ell_i)/(h_i - \ell_i)\in[0, 2\pi)` that densities act on.

        Args:
          u: ``(b, k)`` volume coordinates (``(b,)`` when ``k == 1``).

        Returns:
          ``(b, k)`` angles.
        """
        self._require_coords("density_coords")
        u, single = self._as_coords("u", u)
        low = jnp.asarray(self.coord_low, u.dtype)
        high = jnp.asarray(self.coord_high, u.dtype)
        v = TWO_PI * (u - low[None, :]) / (high - low)[None, :]
        return v[0] if single else v

    def log_prob(self, u: ArrayInput, density=None) -> Float[Array, "*b"]:
        r"""Log-density w.r.t. the volume measure of ``M`` at coordinates ``u``.

        .. math:: \log p(u) = \log q\big(v(u)\big) + k\log 2\pi - \log\operatorname{vol}(M),

        with :math:`q` the density on the angles (uniform: :math:`q = (2\pi)^{-k}`).

        Args:
          u: ``(b, k)`` volume coordinates.
          density: as in :meth:`sample`.

        Returns:
          ``(b,)`` log-densities.
        """
        self.check_density(density)
        v = self.density_coords(u)
        single = v.ndim == 1
        v = jnp.atleast_2d(v)
        base = float(self.k * np.log(TWO_PI) - np.log(self.volume))
        if density is None:
            out = jnp.full(v.shape[:1], -self.k * np.log(TWO_PI), v.dtype)
        else:
            out = density.log_prob(v[:, 0] if self.k == 1 else v)
        out = out + base
        return out[0] if single else out

    # ----------------------------------------------------------------------------- validation
    def _as_points(self, name, x):
        x = as_float_array(name, x)
        single = x.ndim == 1
        if single:
            x = x[None, :]
        check_shape(name, x, (None, self.d), "d of the manifold")
        if x.shape[0] == 0:
            raise ValueError(f"{name}: expected at least 1 point, got shape {tuple(x.shape)}")
        check_finite(name, x)
        return x, single

    def _as_coords(self, name, u):
        u = as_float_array(name, u)
        single = False
        if u.ndim == 1:
            if self.k == 1:
                u = u[:, None]
            else:
                single = True
                u = u[None, :]
        elif u.ndim == 0 and self.k == 1:
            single = True
            u = u.reshape(1, 1)
        check_shape(name, u, (None, self.k), "k of the manifold")
        check_finite(name, u)
        return u, single

    def _require_coords(self, what):
        if self.coord_low is None:
            raise NotImplementedError(
                f"{type(self).__name__}.{what}: this manifold has no global intrinsic coordinates "
                f"(k={self.k}); use sample/project/distance/tangent_basis")

    def check_density(self, density) -> None:
        """Raise unless ``density`` is ``None`` or a density of :mod:`.densities` on ``k`` angles."""
        if density is None:
            return
        if self.coord_low is None:
            raise ValueError(
                f"density: {type(self).__name__} with k={self.k} has no global coordinates, "
                "so only the uniform density (None) is available")
        n_axes = getattr(density, "n_axes", None)
        if n_axes is None or not hasattr(density, "sample") or not hasattr(density, "log_prob"):
            raise TypeError(f"density: expected a density of manifold_diffusion.manifolds.densities "
                            f"or None, got {type(density).__name__}")
        if n_axes != self.k:
            raise ValueError(f"density: expected a density on k={self.k} angles (use ProductDensity "
                             f"for k >= 2), got one on {n_axes}")


# ------------------------------------------------------------------------- jitted entry points
@eqx.filter_jit
def _jit_sample(m, key, n, density):
    if density is None:
        return m._sample_uniform(key, n)
    v = density.sample(key, n)
    v = v.reshape(n, m.k)
    low = jnp.asarray(m.coord_low, v.dtype)
    high = jnp.asarray(m.coord_high, v.dtype)
    u = low[None, :] + (high - low)[None, :] * (v / TWO_PI)
    return m._embed_coords(u), u


@eqx.filter_jit
def _jit_embed(m, u):
    return m._embed_coords(u)


@eqx.filter_jit
def _jit_geometry(m, x):
    """Foot points, coordinates and distances in one compiled program (shared by three methods)."""
    p, u = m._locate(x)
    return p, u, jnp.sqrt(jnp.sum((x - p) ** 2, axis=1))


@eqx.filter_jit
def _jit_tangent(m, x):
    p, u = m._locate(x)
    return m._tangent_basis(x, p, u)


# ---------------------------------------------------------------- shared numerical routines
def point_derivatives(point_fn: Callable, t):
    r"""Value and first two derivatives of a curve :math:`\gamma` at a scalar parameter ``t``.

    Forward-mode (nested ``jvp``); returns three ``(d,)`` arrays
    :math:`\gamma(t), \gamma'(t), \gamma''(t)`.
    """
    check_callable("point_fn", point_fn, "a function of a scalar parameter")
    check_scalar("t", t)
    one = jnp.ones_like(t)

    def first(s):
        return jax.jvp(point_fn, (s,), (one,))

    (g, g1), (_, g2) = jax.jvp(first, (t,), (one,))
    return g, g1, g2


def curve_nearest_parameter(point_fn: Callable, x: ArrayInput, *, t_low: float,
                            t_high: float, periodic: bool, n_grid: Size, n_newton: Size = 8,
                            batch_size: Size = 512) -> Float[Array, " b"]:
    r"""Parameter :math:`t^*(x) = \arg\min_t \|x - \gamma(t)\|^2` of the nearest point of a curve.

    Two stages, both vectorised over the batch:

    1. *dense search*: the nearest of ``n_grid`` curve points on a uniform parameter grid of
       spacing :math:`h = (t_{\rm high} - t_{\rm low})/n_{\rm grid}`, over blocks of
       ``batch_size`` queries (memory :math:`O(\text{batch\_size}\cdot n_{\rm grid})`);
    2. *Newton refinement* of :math:`f(t) = \tfrac12\|x - \gamma(t)\|^2`, whose derivatives are
       :math:`f' = -\langle x-\gamma, \gamma'\rangle` and
       :math:`f'' = \|\gamma'\|^2 - \langle x-\gamma, \gamma''\rangle`. Where :math:`f''` is not
       safely positive (beyond a focal point, or at a point where :math:`\gamma''` does not
       exist) the Gauss--Newton curvature :math:`\|\gamma'\|^2` is used instead; every step is
       clipped to :math:`\pm h`, so the iterate stays in the basin found by the search. The
       refined parameter is discarded if it is clearly farther than the grid point (relative
       margin :math:`10^{-3}`, since near convergence the gain is below rounding).

    Starting within one grid cell of the minimiser, Newton converges quadratically, so
    ``n_newton = 8`` reaches float rounding for any ``x`` closer to the curve than its reach.

    Args:
      point_fn: :math:`\gamma`, a scalar parameter to a ``(d,)`` point (differentiable).
      x: ``(b, d)`` queries.
      t_low, t_high: parameter range; a periodic curve has period ``t_high - t_low``.
      periodic: wrap the parameter (closed curve) or clip it (a curve with two ends).
      n_grid: number of grid points of the search.
      n_newton: Newton steps.
      batch_size: queries per block of the search.

    Returns:
      ``(b,)`` parameters in ``[t_low, t_high)`` (closed) or ``[t_low, t_high]`` (open).
    """
    check_callable("point_fn", point_fn, "a function of a scalar parameter")
    x = as_float_array("x", x, ndim=2)
    t_low, t_high = as_real("t_low", t_low), as_real("t_high", t_high)
    if not t_high > t_low:
        raise ValueError(f"t_high: expected t_high > t_low = {t_low}, got {t_high}")
    n_grid = check_positive_int("n_grid", n_grid, minimum=2)
    n_newton = check_positive_int("n_newton", n_newton, minimum=0)
    batch_size = check_positive_int("batch_size", batch_size)
    dtype = x.dtype
    span = t_high - t_low
    if periodic:
        grid_t = t_low + span * (jnp.arange(n_grid, dtype=dtype) / n_grid)
        h = span / n_grid
    else:
        grid_t = jnp.linspace(t_low, t_high, n_grid, dtype=dtype)
        h = span / (n_grid - 1)
    grid = jax.vmap(point_fn)(grid_t)                                    # (n_grid, d)

    def nearest_grid(xi):
        """Index of the grid point nearest to one query (exact differences, d is small)."""
        return jnp.argmin(jnp.sum((grid - xi[None, :]) ** 2, axis=1))

    t0 = grid_t[jax.lax.map(nearest_grid, x, batch_size=batch_size)]

    def fix(t):
        if periodic:
            return t_low + jnp.mod(t - t_low, span)
        return jnp.clip(t, t_low, t_high)

    def refine(xi, t_start):
        """Safeguarded Newton on the squared distance for one query."""

        def step(_, t):
            g, g1, g2 = point_derivatives(point_fn, t)
            r = xi - g
            grad = -jnp.dot(r, g1)
            gauss = jnp.dot(g1, g1)
            hess = gauss - jnp.dot(r, g2)
            curv = jnp.where(jnp.isfinite(hess) & (hess > 0.1 * gauss), hess, gauss)
            delta = jnp.clip(-grad / jnp.maximum(curv, jnp.finfo(dtype).tiny), -h, h)
            return fix(t + jnp.where(jnp.isfinite(delta), delta, 0.0))

        t = jax.lax.fori_loop(0, n_newton, step, t_start)
        # near convergence the gain is below the rounding of the squared distances, so the
        # refined point is rejected only when it is clearly worse (a diverged iteration)
        new, old = jnp.sum((xi - point_fn(t)) ** 2), jnp.sum((xi - point_fn(t_start)) ** 2)
        scale = jnp.sum(xi * xi) + jnp.sum(point_fn(t_start) ** 2)
        worse = new > old * (1 + 1e-3) + 64 * jnp.finfo(dtype).eps * scale
        return jnp.where(worse, t_start, t)

    return jax.vmap(refine)(x, t0)


def solve_monotone(fn: Callable, derivative: Callable, target, low, high, n_iter: Size = 40):
    r"""Solve :math:`f(t) = y` for an increasing :math:`f` on a bracket, elementwise.

    Newton's method safeguarded by bisection: the bracket :math:`[\ell, h]` with
    :math:`f(\ell)\le y\le f(h)` shrinks at every step, and a Newton step that leaves it is
    replaced by the midpoint. ``n_iter = 40`` halvings reach float64 resolution even when
    Newton never helps.

    Args:
      fn, derivative: :math:`f` and :math:`f'`, elementwise on arrays.
      target: ``(b,)`` values :math:`y`.
      low, high: ``(b,)`` (or scalar) bracket ends.
      n_iter: iterations.

    Returns:
      ``(b,)`` solutions.
    """
    check_callable("fn", fn, "an increasing function")
    check_callable("derivative", derivative, "the derivative of fn")
    target = as_float_array("target", target)
    n_iter = check_positive_int("n_iter", n_iter)
    low, high = as_float_array("low", low), as_float_array("high", high)
    for name, arr in (("low", low), ("high", high)):
        if arr.ndim and arr.shape != target.shape:
            raise ValueError(f"{name}: expected a scalar or shape {target.shape} (from target), got "
                             f"{arr.shape}")
    low = jnp.broadcast_to(low.astype(target.dtype), target.shape)
    high = jnp.broadcast_to(high.astype(target.dtype), target.shape)
    t = 0.5 * (low + high)

    def step(_, state):
        t, lo, hi = state
        val = fn(t) - target
        lo = jnp.where(val <= 0, t, lo)
        hi = jnp.where(val >= 0, t, hi)
        newton = t - val / derivative(t)
        inside = jnp.isfinite(newton) & (newton > lo) & (newton < hi)
        return jnp.where(inside, newton, 0.5 * (lo + hi)), lo, hi

    return jax.lax.fori_loop(0, n_iter, step, (t, low, high))[0]


def curve_reach(points: np.ndarray, first: np.ndarray, second: np.ndarray, *,
                periodic: bool, pair_stride: Size = 8, block: Size = 256, min_separation: Size = 8) -> float:
    r"""Reach of a sampled curve by Federer's formula, in float64 NumPy.

    Federer's characterisation of the reach of a closed :math:`C^2` submanifold,

    .. math:: \tau = \inf_{p\neq q\in M} \frac{\|q - p\|^2}{2\,\operatorname{dist}(q - p,\ T_pM)},

    is evaluated over the pairs of every ``pair_stride``-th point of a grid of ``m`` curve points,
    at least ``min_separation`` of those steps apart, together with the minimal radius of
    curvature :math:`\|\gamma'\|^3/\|\gamma'\wedge\gamma''\|` at all ``m`` grid points, the limit of the ratio as
    :math:`q\to p`. (Near-diagonal pairs add nothing beyond that limit, and in float32 their
    tiny normal offsets carry relative rounding errors of order :math:`10^{-3}`.) Every grid
    pair is a pair of curve points, so the value is an upper estimate of :math:`\tau` that
    converges with error :math:`O(h^2)` (the minimum of a smooth function sampled on a grid).
    Cost :math:`O((m/\text{pair\_stride})^2 d)`, in blocks of ``block`` rows.

    Args:
      points, first, second: ``(m, d)`` arrays of :math:`\gamma, \gamma', \gamma''` on the grid.
      periodic: whether the grid wraps around (closed curve), for the index separation.
      pair_stride: subsampling of the grid for the pairwise term.
      block: rows per block.
      min_separation: smallest index separation of the pairs compared.

    Returns:
      the reach estimate (a float).
    """
    points = as_numpy_float("points", points, ndim=2)
    first, second = as_numpy_float("first", first), as_numpy_float("second", second)
    for name, arr in (("first", first), ("second", second)):
        if arr.shape != points.shape:
            raise ValueError(f"{name}: expected shape {points.shape} (from points), got {arr.shape}")
    pair_stride = check_positive_int("pair_stride", pair_stride)
    block = check_positive_int("block", block)
    min_separation = check_positive_int("min_separation", min_separation)
    speed2 = np.sum(first ** 2, axis=1)
    wedge2 = np.maximum(speed2 * np.sum(second ** 2, axis=1) - np.sum(first * second, axis=1) ** 2, 0)
    with np.errstate(divide="ignore"):
        radius = np.where(wedge2 > 0, speed2 ** 1.5 / np.sqrt(wedge2), np.inf)
    best = float(np.min(radius))
    points = points[::pair_stride]
    tangent = (first / np.sqrt(speed2)[:, None])[::pair_stride]
    m = points.shape[0]
    for start in range(0, m, block):
        p = points[start:start + block]                                   # (B, d)
        t = tangent[start:start + block]
        diff = points[None, :, :] - p[:, None, :]                         # (B, m, d)
        along = np.einsum("bmd,bd->bm", diff, t)
        sq = np.sum(diff ** 2, axis=2)
        normal = np.sqrt(np.maximum(sq - along ** 2, 0.0))
        sep = np.abs(np.arange(start, start + p.shape[0])[:, None] - np.arange(m)[None, :])
        if periodic:
            sep = np.minimum(sep, m - sep)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where((normal > 1e-14) & (sep >= min_separation), sq / (2 * normal), np.inf)
        best = min(best, float(np.min(ratio)))
    return best
