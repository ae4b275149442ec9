r"""Coverage of a manifold by a law: delta-coverage, the coverage scale, and intrinsic W1 on curves.

A law :math:`\mu` (usually the output of a sampler, given by samples) has **delta-coverage** of a
manifold :math:`M` carrying the data law :math:`\mu_{\rm data}` with constant :math:`C\ge1` when
every geodesic ball receives a comparable mass:

.. math:: \frac1C\ \le\ \rho(y,\delta) = \frac{\mu\big(\{x: \operatorname{dist}(x,M)\le\delta,\ \Pi_M x\in B_M(y,\delta)\}\big)}
          {\mu_{\rm data}\big(B_M(y,\delta)\big)}\ \le\ C \qquad\text{for all } y\in M .

Points farther than :math:`\delta` from :math:`M` do not count (the "fidelity" part; a fraction
``alpha`` of such points may be allowed). This is the book's working version of the notion of
:cite:`shen2026manifold`, whose exact form is not known here. The **coverage scale**
:math:`\delta_C` is the smallest :math:`\delta` of a grid from which on (at that :math:`\delta` and at
every larger one) every ratio lies in :math:`[1/C, C]`.

**Monte Carlo floor.** With :math:`M` generated samples a ball of data mass :math:`m` holds about
:math:`Mm` of them, so a ratio is known to a relative error of about :math:`(Mm)^{-1/2}`. Only radii
whose smallest ball holds at least ``n_min`` expected samples are *resolved*,

.. math:: \delta \ \ge\ \delta_{\rm floor} = \frac{n_{\min}}{2 M p_{\min}}\quad(k = 1),\qquad
          \delta_{\rm floor} = \Big(\frac{n_{\min}}{\pi M p_{\min}}\Big)^{1/2}\quad(k=2),

(:math:`p_{\min}` the smallest data density w.r.t. volume); with ``n_min = 50`` the relative
error of each ratio is at most about 14 %; the worst of thousands of overlapping balls of a
uniform sample stays within a factor 2 (checked in the tests), so a ratio outside
:math:`[1/4, 4]` (the default ``C = 4``) is not a counting accident. A coverage scale equal to the floor means "covered at every
resolvable scale" and is flagged ``at_floor``; it must never be read as a rate. When the law is
known exactly (an empirical measure is its own sample, ``exact=True``) there is no floor.

Functions:

- :func:`arc_data_mass`, :func:`arc_sample_mass` -- masses of arcs :math:`[y-\delta, y+\delta]` of
  a closed curve of length :math:`L`, from a density (exact, by its CDF) or from samples (counts);
- :func:`coverage_curve` -- ratios, fidelity and the coverage scale on a closed curve, counted
  along arc length by sorting; :class:`CurveLocator` gives the samples' arc lengths and
  distances (foot points on the true curve); :func:`arc_ratio_map` the ratios themselves;
- :func:`surface_coverage` -- the same on a closed surface with chord caps, counted with a
  KD-tree, true cap masses by quadrature; :func:`quasi_uniform_centres` places the centres;
- :func:`fidelity_quantiles` -- median, 99 % quantile and maximum of the distances to ``M``;
- :func:`circular_w1` -- Wasserstein-1 along a closed curve between samples and a density (exact
  for the samples' empirical law: :math:`W_1 = \min_c\int_0^L|F - G - c|`).
"""

import math
from typing import NamedTuple

import numpy as np

from .._checks import check_positive, check_positive_int

__all__ = ["CoverageResult", "arc_data_mass", "arc_sample_mass", "coverage_curve", "arc_ratio_map",
           "CurveLocator",
           "quasi_uniform_centres", "surface_coverage", "fidelity_quantiles", "circular_w1",
           "density_per_length", "coverage_floor"]

TWO_PI = 2.0 * math.pi


class CoverageResult(NamedTuple):
    """Coverage of a manifold by a law, over a grid of radii (NumPy arrays, Python floats).

    Attributes:
      deltas: ``(g,)`` the radii, increasing.
      low, high: ``(g,)`` the smallest and largest ratio :math:`\\rho(y,\\delta)` over the centres.
      outside: ``(g,)`` the fraction of samples farther than :math:`\\delta` from ``M``.
      covered: ``(g,)`` whether every ratio lies in :math:`[1/C, C]` and ``outside <= alpha``.
      resolved: ``(g,)`` whether :math:`\\delta\\ge\\delta_{\\rm floor}`.
      scale: the coverage scale :math:`\\delta_C` (``inf`` if no resolved radius is covered).
      floor: :math:`\\delta_{\\rm floor}` (0 when ``exact``).
      at_floor: whether ``scale`` is the smallest resolved radius of the grid (a floor, not a
        measurement).
      C, alpha, n_min, n_samples: the constants used.
    """

    deltas: np.ndarray
    low: np.ndarray
    high: np.ndarray
    outside: np.ndarray
    covered: np.ndarray
    resolved: np.ndarray
    scale: float
    floor: float
    at_floor: bool
    C: float
    alpha: float
    n_min: int
    n_samples: int


def _as_1d(name, x):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1 or x.shape[0] == 0:
        raise ValueError(f"{name}: expected shape (m,) or (m, 1) with m >= 1, got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name}: expected finite values")
    return x


_N_CDF = 2 ** 16


class _CDFTable:
    """A density's CDF tabulated on :math:`2^{16}` angles, read by linear interpolation (error
    :math:`O(h^2)` where the density is smooth). Built once per call of the counting functions."""

    def __init__(self, density):
        self.density = density
        self.grid = np.linspace(0.0, TWO_PI, _N_CDF + 1)
        self.values = np.concatenate([np.asarray(density.cdf(self.grid[:-1]), np.float64), [1.0]])

    def __call__(self, theta):
        return np.interp(theta, self.grid, self.values)


def _table(density):
    """``density`` ready for repeated CDF look-ups (``None``: uniform)."""
    return density if density is None or isinstance(density, _CDFTable) else _CDFTable(density)


def _density_cdf(density, theta):
    """CDF of a density of :mod:`~manifold_diffusion.manifolds.densities` (``None``: uniform) at the
    angles ``theta``, through a table (:class:`_CDFTable`)."""
    theta = np.mod(np.asarray(theta, np.float64), TWO_PI)
    if density is None:
        return theta / TWO_PI
    return _table(density)(theta)


def density_per_length(density, length: float, n_grid: int = 4096) -> np.ndarray:
    """The data density w.r.t. arc length on an ``n_grid`` arc grid (``(n_grid,)``; cell averages)."""
    check_positive("length", length)
    n_grid = check_positive_int("n_grid", n_grid, minimum=2)
    edges = np.linspace(0.0, TWO_PI, n_grid + 1)
    cdf = _density_cdf(density, edges[:-1])
    cdf = np.concatenate([cdf, [1.0]])
    return np.diff(cdf) / (length / n_grid)


def arc_data_mass(centres, delta: float, length: float, density=None) -> np.ndarray:
    r"""Data mass :math:`\mu_{\rm data}([y-\delta, y+\delta])` of arcs of a closed curve.

    Args:
      centres: ``(c,)`` arc-length centres :math:`y`.
      delta: half-length :math:`\delta` of the arcs, ``0 < delta < length / 2``.
      length: the curve's length :math:`L`.
      density: a density on the angle :math:`2\pi s/L` (``None``: uniform in arc length).

    Returns:
      ``(c,)`` masses (exact through the density's CDF).
    """
    centres = _as_1d("centres", centres)
    check_positive("length", length)
    if not 0.0 < delta < 0.5 * length:
        raise ValueError(f"delta: expected 0 < delta < length/2 = {0.5 * length:.4g}, got {delta}")
    scale = TWO_PI / length
    a = np.mod((centres - delta) * scale, TWO_PI)
    b = np.mod((centres + delta) * scale, TWO_PI)
    fa, fb = _density_cdf(density, a), _density_cdf(density, b)
    return np.where(b >= a, fb - fa, 1.0 - fa + fb)


def arc_sample_mass(u, centres, delta: float, length: float) -> np.ndarray:
    r"""Fraction of the samples ``u`` (arc lengths) in each arc :math:`[y-\delta, y+\delta]` (periodic).

    Args:
      u: ``(m,)`` arc-length coordinates of the samples.
      centres: ``(c,)`` centres; delta, length: as :func:`arc_data_mass`.

    Returns:
      ``(c,)`` fractions (counts divided by ``m``).
    """
    u = np.sort(np.mod(_as_1d("u", u), length))
    centres = _as_1d("centres", centres)
    if not 0.0 < delta < 0.5 * length:
        raise ValueError(f"delta: expected 0 < delta < length/2 = {0.5 * length:.4g}, got {delta}")
    m = u.shape[0]
    ext = np.concatenate([u - length, u, u + length])
    lo = np.searchsorted(ext, centres - delta, side="left")
    hi = np.searchsorted(ext, centres + delta, side="right")
    return (hi - lo) / m


def coverage_floor(n_samples: int, p_min: float, k: int = 1, n_min: int = 50) -> float:
    """Monte Carlo floor :math:`\\delta_{\\rm floor}` (module docstring) for ``n_samples`` samples."""
    n_samples = check_positive_int("n_samples", n_samples)
    check_positive("p_min", p_min)
    n_min = check_positive_int("n_min", n_min)
    if k not in (1, 2):
        raise ValueError(f"k: expected 1 or 2, got {k!r}")
    if k == 1:
        return n_min / (2.0 * n_samples * p_min)
    return math.sqrt(n_min / (math.pi * n_samples * p_min))


def _scale_from(deltas, covered, resolved):
    """Smallest resolved radius from which on (itself and all larger) every radius is covered."""
    ok = covered | ~resolved
    scale, at_floor = math.inf, False
    idx = np.flatnonzero(resolved)
    if idx.size == 0:
        return scale, at_floor
    # walk down from the largest radius while covered
    j = len(deltas) - 1
    best = None
    while j >= 0 and ok[j]:
        if resolved[j]:
            best = j
        j -= 1
    if best is not None:
        scale = float(deltas[best])
        at_floor = best == idx[0]
    return scale, at_floor


def _check_coverage_args(C, alpha, n_min):
    check_positive("C", C)
    if C < 1:
        raise ValueError(f"C: expected C >= 1, got {C}")
    if not 0.0 <= alpha < 1.0:
        raise ValueError(f"alpha: expected 0 <= alpha < 1, got {alpha}")
    return check_positive_int("n_min", n_min)


def coverage_curve(u, length: float, deltas, *, density=None, distances=None, C: float = 4.0,
                   alpha: float = 0.0, n_min: int = 50, exact: bool = False,
                   max_centres: int = 2 ** 15, along: bool = False):
    r"""Delta-coverage of a closed curve by a law given by samples, over a grid of radii.

    Counted along arc length by sorting: the samples are sorted once by their arc length; for
    each radius the arcs :math:`[y - \delta, y + \delta]` (centres spaced :math:`\delta/2`) are
    located by binary search and their counts read off a cumulative sum of the samples within
    :math:`\delta` of the curve, :math:`O(m)` per radius.

    Args:
      u: ``(m,)`` arc-length coordinates of the samples' projections onto the (true) curve.
      length: length :math:`L` of the curve.
      deltas: ``(g,)`` radii (arc half-lengths), each in ``(0, L/2)``.
      density: the data law, a density on the angle :math:`2\pi s/L` (``None``: uniform).
      distances: ``(m,)`` distances of the samples to the curve (``None``: all on the curve).
        A sample counts at radius :math:`\delta` only if its distance is at most :math:`\delta`.
      C: comparability constant, ratios must lie in :math:`[1/C, C]`.
      alpha: allowed fraction of samples farther than :math:`\delta` from the curve.
      n_min: expected samples in the smallest ball for a radius to be resolved.
      exact: the samples *are* the law (an empirical measure): no Monte Carlo floor.
      max_centres: cap on the number of centres (spacing :math:`\delta/2`, at least
        :math:`L/\text{max\_centres}`).
      along: also return the coverage of the samples' feet alone (every sample counts, whatever
        its distance: the along-manifold law), from the same counts.

    Returns:
      :class:`CoverageResult`, or ``(result, along_result)`` with ``along``. Radii below the
      floor are not counted (their ``low``/``high`` are ``nan``).
    """
    check_positive("length", length)
    u = np.mod(_as_1d("u", u), length)
    deltas = np.sort(_as_1d("deltas", deltas))
    n_min = _check_coverage_args(C, alpha, n_min)
    if np.any(deltas <= 0) or np.any(deltas >= 0.5 * length):
        raise ValueError(f"deltas: expected values in (0, length/2 = {0.5 * length:.4g})")
    max_centres = check_positive_int("max_centres", max_centres, minimum=8)
    m = u.shape[0]
    if distances is None:
        r = np.zeros(m)
    else:
        r = _as_1d("distances", distances)
        if r.shape[0] != m:
            raise ValueError(f"distances: expected shape ({m},) (m from u), got {r.shape}")
        if np.any(r < 0):
            raise ValueError("distances: expected values >= 0")
    density = _table(density)
    p_min = float(density_per_length(density, length).min())
    floor = 0.0 if exact else coverage_floor(m, p_min, 1, n_min)
    order = np.argsort(u, kind="stable")
    us, rs = u[order], r[order]
    ext = np.concatenate([us - length, us, us + length])
    g = deltas.shape[0]
    low, high, outside = np.full(g, np.nan), np.full(g, np.nan), np.empty(g)
    a_low, a_high = np.full(g, np.nan), np.full(g, np.nan)
    resolved = deltas >= floor
    for j, delta in enumerate(deltas):
        inside = rs <= delta
        outside[j] = 1.0 - inside.mean()
        if not resolved[j]:
            continue
        n_c = int(min(max_centres, max(8, math.ceil(length / (0.5 * delta)))))
        centres = (np.arange(n_c) + 0.5) * (length / n_c)
        lo = np.searchsorted(ext, centres - delta, side="left")
        hi = np.searchsorted(ext, centres + delta, side="right")
        true = arc_data_mass(centres, delta, length, density)
        every = (hi - lo) / m / true
        if outside[j] == 0.0:
            ratio = every
        else:
            cum = np.concatenate([[0], np.cumsum(np.tile(inside, 3))])
            ratio = (cum[hi] - cum[lo]) / m / true
        low[j], high[j] = ratio.min(), ratio.max()
        a_low[j], a_high[j] = every.min(), every.max()
    out = _result(deltas, low, high, outside, resolved, floor, C, alpha, n_min, m)
    if not along:
        return out
    return out, _result(deltas, a_low, a_high, np.zeros(g), resolved, floor, C, 0.0, n_min, m)


def _result(deltas, low, high, outside, resolved, floor, C, alpha, n_min, m):
    covered = resolved & (low >= 1.0 / C) & (high <= C) & (outside <= alpha)
    scale, at_floor = _scale_from(deltas, covered, resolved)
    return CoverageResult(deltas, low, high, outside, covered, resolved, scale, float(floor),
                          bool(at_floor), float(C), float(alpha), n_min, m)


class CurveLocator:
    r"""Foot points on a closed curve for many samples: arc length and distance (NumPy float64).

    The curve (``k = 1``, with ``embed_coords`` and ``volume``; or an
    :class:`~manifold_diffusion.manifolds.Embedded` image of one) is replaced by the polyline through
    ``n_vertices`` points equally spaced in arc length. A query's nearest vertex comes from a
    KD-tree (SciPy), then its projections onto the two adjacent segments; the closer one gives the
    foot's arc length and the distance. The polyline's error is at most the sagitta
    :math:`\kappa h^2/8` of a chord of length :math:`h = L/n_{\rm vertices}` (about
    :math:`3\cdot10^{-9}\kappa` for the default :math:`2^{16}` vertices on a curve of length 7), far below
    every distance this book measures; the tests compare it with the exact projection.

    For an embedded curve :math:`FM\subset\mathbb R^d` the queries are first mapped to the plane of
    :math:`M` (:math:`F^\top x`), and the normal part :math:`\|x - FF^\top x\|` is added in quadrature
    (:mod:`~manifold_diffusion.manifolds.embed`).

    Args:
      curve: the true curve :math:`M`.
      n_vertices: polyline vertices.

    Call ``locator(x)`` with ``x`` of shape ``(m, d)``: returns ``(u, distance)``, both ``(m,)``.
    """

    def __init__(self, curve, n_vertices: int = 2 ** 16):
        from scipy.spatial import cKDTree

        base, frame = curve, None
        if hasattr(curve, "base") and hasattr(curve, "frame"):
            base, frame = curve.base, np.asarray(curve.frame, np.float64)
        if getattr(base, "k", None) != 1 or not hasattr(base, "embed_coords") or not hasattr(base, "volume"):
            raise TypeError(f"curve: expected a closed curve (k = 1) of manifold_diffusion.manifolds or an "
                            f"embedded one, got {type(curve).__name__}")
        self.n_vertices = check_positive_int("n_vertices", n_vertices, minimum=64)
        self.length = float(base.volume)
        self.d = int(curve.d)
        self._frame = frame
        s = np.arange(self.n_vertices) * (self.length / self.n_vertices)
        self._vertices = np.asarray(base.embed_coords(s[:, None]), np.float64)
        self._tree = cKDTree(self._vertices)

    def __call__(self, x):
        x = np.asarray(x, np.float64)
        if x.ndim != 2 or x.shape[1] != self.d or x.shape[0] == 0:
            raise ValueError(f"x: expected shape (m, {self.d}) (d of the curve), got {x.shape}")
        if not np.all(np.isfinite(x)):
            raise ValueError("x: expected finite values")
        normal2 = 0.0
        if self._frame is not None:
            y = x @ self._frame
            normal2 = np.maximum(np.sum(x * x, axis=1) - np.sum(y * y, axis=1), 0.0)
            x = y
        _, j = self._tree.query(x)
        nv, h = self.n_vertices, self.length / self.n_vertices
        best_s = best_d = None
        for offset in (-1, 0):
            a = self._vertices[(j + offset) % nv]
            b = self._vertices[(j + offset + 1) % nv]
            ab = b - a
            t = np.clip(np.sum((x - a) * ab, axis=1) / np.sum(ab * ab, axis=1), 0.0, 1.0)
            dist = np.linalg.norm(x - a - t[:, None] * ab, axis=1)
            s = (((j + offset) % nv) + t) * h
            if best_s is None:
                best_s, best_d = s, dist
            else:
                closer = dist < best_d
                best_s, best_d = np.where(closer, s, best_s), np.where(closer, dist, best_d)
        return np.mod(best_s, self.length), np.sqrt(best_d * best_d + normal2)


def arc_ratio_map(u, length: float, deltas, n_centres: int = 200, *, density=None, distances=None
                  ) -> np.ndarray:
    r"""The ratio map :math:`\rho(y, \delta)` on a closed curve: ``(g, n_centres)`` ratios.

    Centres :math:`y_i = (i + \tfrac12)L/n_{\rm centres}`; a sample counts at radius :math:`\delta` when its
    foot lies in the arc and its distance is at most :math:`\delta` (as :func:`coverage_curve`).

    Args:
      u: ``(m,)`` arc lengths of the samples' feet. length: :math:`L`.
      deltas: ``(g,)`` radii in ``(0, L/2)``. n_centres: number of centres.
      density, distances: as :func:`coverage_curve`.
    """
    check_positive("length", length)
    u = np.mod(_as_1d("u", u), length)
    deltas = _as_1d("deltas", deltas)
    if np.any(deltas <= 0) or np.any(deltas >= 0.5 * length):
        raise ValueError(f"deltas: expected values in (0, length/2 = {0.5 * length:.4g})")
    n_centres = check_positive_int("n_centres", n_centres)
    r = np.zeros(u.shape) if distances is None else _as_1d("distances", distances)
    if r.shape != u.shape:
        raise ValueError(f"distances: expected shape {u.shape} (from u), got {r.shape}")
    centres = (np.arange(n_centres) + 0.5) * (length / n_centres)
    density = _table(density)
    out = np.empty((deltas.shape[0], n_centres))
    for j, delta in enumerate(deltas):
        inside = r <= delta
        gen = arc_sample_mass(u[inside], centres, delta, length) * inside.mean() if inside.any() \
            else np.zeros(n_centres)
        out[j] = gen / arc_data_mass(centres, delta, length, density)
    return out


def quasi_uniform_centres(surface, n: int) -> np.ndarray:
    r"""The first ``n`` points of a quasi-uniform sequence in a surface's box of volume coordinates.

    :math:`u_j = \big(\ell_1 + (h_1 - \ell_1)\{j\varphi\},\ \ell_2 + (h_2 - \ell_2)\,v(j)\big)`,
    :math:`\varphi` the golden ratio and :math:`v` the base-2 van der Corput sequence: uniform in
    area (the coordinates are volume coordinates), without the clusters of a random draw, and
    *nested* -- the first ``n`` points of a longer sequence are the sequence of length ``n`` -- so
    the centres of all radii come from one evaluation. Returns ``(n, 2)`` coordinates.
    """
    n = check_positive_int("n", n)
    if getattr(surface, "k", None) != 2 or getattr(surface, "coord_low", None) is None:
        raise TypeError(f"surface: expected a surface (k = 2) with volume coordinates, got "
                        f"{type(surface).__name__}")
    low, high = np.asarray(surface.coord_low, np.float64), np.asarray(surface.coord_high, np.float64)
    j = np.arange(n)
    golden = 0.5 * (1.0 + math.sqrt(5.0))
    frac = np.mod(j * golden, 1.0)
    corput, base, rest = np.zeros(n), 0.5, j.copy()
    while np.any(rest > 0):
        corput += base * (rest % 2)
        rest //= 2
        base /= 2
    return np.stack([low[0] + (high[0] - low[0]) * frac, low[1] + (high[1] - low[1]) * (corput + 2.0 ** -21)], 1)


def _cap_masses(surface, u, delta):
    fn = getattr(surface, "cap_mass", None)
    if fn is None and hasattr(surface, "base"):
        fn = getattr(surface.base, "cap_mass", None)
    if fn is None:
        raise TypeError(f"surface: expected a surface with cap_mass (e.g. RoughSphere, or one embedded), "
                        f"got {type(surface).__name__}")
    return np.asarray(fn(u, delta), np.float64)


def surface_coverage(surface, feet, deltas, *, distances=None, C: float = 4.0, alpha: float = 0.0,
                     n_min: int = 50, exact: bool = False, max_centres: int = 2 ** 14, along: bool = False):
    r"""Delta-coverage of a closed surface, against its uniform law, with chord caps.

    The ball of radius :math:`\delta` about :math:`y\in M` is the chord cap
    :math:`\{p\in M: \|p - y\|\le\delta\}` (for :math:`\delta` below the reach, the geodesic disc of
    radius :math:`\delta(1 + O(\kappa^2\delta^2))`). Its generated mass is counted: the samples'
    foot points within :math:`\delta` of :math:`y` (a KD-tree on the feet of the samples that lie within
    :math:`\delta` of :math:`M`); its true mass comes from the surface's quadrature
    (:meth:`~manifold_diffusion.manifolds.RoughSphere.cap_mass`). Centres: the first
    :math:`\min(\text{max\_centres}, \lceil 4\,\text{area}/\delta^2\rceil)` points of a nested
    quasi-uniform sequence (:func:`quasi_uniform_centres`), spacing about :math:`\delta/2`.

    Args:
      surface: the surface (``cap_mass``, ``embed_coords``, volume coordinates), possibly embedded.
      feet: ``(m, d)`` foot points :math:`\Pi_M x` of the samples, in the surface's ambient space.
      deltas: ``(g,)`` radii, positive and below the surface's diameter.
      distances, C, alpha, n_min, exact: as :func:`coverage_curve` (the floor is the ``k = 2``
        one, with :math:`p_{\min} = 1/\text{area}`).
      max_centres: cap on the number of centres.
      along: also return the coverage of the feet alone (as :func:`coverage_curve`).

    Returns:
      :class:`CoverageResult`, or ``(result, along_result)`` with ``along``; radii below the
      floor are not counted.
    """
    from scipy.spatial import cKDTree

    if getattr(surface, "k", None) != 2:
        raise TypeError(f"surface: expected a surface (k = 2), got {type(surface).__name__}")
    feet = np.asarray(feet, np.float64)
    if feet.ndim != 2 or feet.shape[1] != surface.d or feet.shape[0] == 0:
        raise ValueError(f"feet: expected shape (m, {surface.d}) (d of the surface), got {feet.shape}")
    if not np.all(np.isfinite(feet)):
        raise ValueError("feet: expected finite values")
    deltas = np.sort(_as_1d("deltas", deltas))
    if np.any(deltas <= 0):
        raise ValueError("deltas: expected positive radii")
    n_min = _check_coverage_args(C, alpha, n_min)
    max_centres = check_positive_int("max_centres", max_centres, minimum=8)
    m = feet.shape[0]
    r = np.zeros(m) if distances is None else _as_1d("distances", distances)
    if r.shape[0] != m:
        raise ValueError(f"distances: expected shape ({m},) (m from feet), got {r.shape}")
    area = float(surface.volume)
    floor = 0.0 if exact else coverage_floor(m, 1.0 / area, 2, n_min)
    g = deltas.shape[0]
    low, high, outside = np.full(g, np.nan), np.full(g, np.nan), np.empty(g)
    a_low, a_high = np.full(g, np.nan), np.full(g, np.nan)
    resolved = deltas >= floor
    full_tree = cKDTree(feet)
    counts_c = [int(min(max_centres, max(8, math.ceil(4.0 * area / delta ** 2)))) for delta in deltas]
    n_all = max([c for c, ok in zip(counts_c, resolved) if ok], default=8)
    u_all = quasi_uniform_centres(surface, n_all)
    points_all = np.asarray(surface.embed_coords(u_all), np.float64)
    for j, delta in enumerate(deltas):
        inside = r <= delta
        outside[j] = 1.0 - inside.mean()
        if not resolved[j]:
            continue
        n_c = counts_c[j]
        u, centres = u_all[:n_c], points_all[:n_c]
        true = np.maximum(_cap_masses(surface, u, delta), 1e-300)
        every = full_tree.query_ball_point(centres, delta, return_length=True) / m / true
        if outside[j] == 0.0:
            ratio = every
        elif not inside.any():
            ratio = np.zeros(n_c)
        else:
            ratio = cKDTree(feet[inside]).query_ball_point(centres, delta, return_length=True) / m / true
        low[j], high[j] = ratio.min(), ratio.max()
        a_low[j], a_high[j] = every.min(), every.max()
    out = _result(deltas, low, high, outside, resolved, floor, C, alpha, n_min, m)
    if not along:
        return out
    return out, _result(deltas, a_low, a_high, np.zeros(g), resolved, floor, C, 0.0, n_min, m)


def fidelity_quantiles(distances, levels=(0.5, 0.99, 1.0)) -> np.ndarray:
    r"""Quantiles of the samples' distances to :math:`M` (fidelity): ``(len(levels),)``.

    The default levels are the median, the 99 % quantile (the tube that holds all but a fraction
    ``alpha = 0.01`` of the samples, the fidelity part of the coverage scale) and the maximum.
    """
    r = _as_1d("distances", distances)
    if np.any(r < 0):
        raise ValueError("distances: expected values >= 0")
    levels = np.asarray(levels, np.float64)
    if levels.ndim != 1 or np.any(levels < 0) or np.any(levels > 1):
        raise ValueError(f"levels: expected levels in [0, 1], got {levels}")
    return np.quantile(r, levels)


def circular_w1(u, length: float, density=None, *, weights=None, cdf=None, n_grid: int = 8192) -> float:
    r"""Wasserstein-1 distance along a closed curve between a sample law and a density.

    On a circle of length :math:`L`, :math:`W_1(\mu,\nu) = \min_c\int_0^L |F_\mu(s) - F_\nu(s) - c|\,ds`
    (the minimiser is a median of :math:`F_\mu - F_\nu`); computed on an ``n_grid`` arc grid
    (error :math:`O(L/n_{\rm grid})` times the mass difference per cell).

    Args:
      u: ``(m,)`` arc-length coordinates of the samples (or atoms).
      length: :math:`L`.
      density: the reference law on the angle :math:`2\pi s/L` (``None``: uniform), or
      cdf: a callable ``s -> F_nu(s)`` on arc lengths in ``[0, L)`` instead of ``density``.
      weights: ``(m,)`` non-negative weights of the atoms (``None``: equal).

    Returns:
      :math:`W_1` in units of arc length.
    """
    check_positive("length", length)
    n_grid = check_positive_int("n_grid", n_grid, minimum=2)
    u = np.mod(_as_1d("u", u), length)
    grid = (np.arange(n_grid) + 0.5) * (length / n_grid)
    if weights is None:
        w = np.full(u.shape, 1.0 / u.shape[0])
    else:
        w = np.asarray(weights, np.float64)
        if w.shape != u.shape or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(f"weights: expected {u.shape} non-negative weights with a positive sum")
        w = w / w.sum()
    order = np.argsort(u)
    cum = np.concatenate([[0.0], np.cumsum(w[order])])
    f_mu = cum[np.searchsorted(u[order], grid, side="right")]
    f_nu = np.asarray(cdf(grid), np.float64) if cdf is not None else \
        _density_cdf(density, grid * TWO_PI / length)
    diff = f_mu - f_nu
    return float(np.mean(np.abs(diff - np.median(diff))) * length)
