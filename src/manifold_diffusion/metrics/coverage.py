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
- :func:`coverage_curve` -- ratios, fidelity and the coverage scale on a closed curve;
- :func:`torus_coverage_curve` -- the same on a flat 2-torus (geodesic discs), uniform data law;
- :func:`circular_w1` -- Wasserstein-1 along a closed curve between samples and a density (exact
  for the samples' empirical law: :math:`W_1 = \min_c\int_0^L|F - G - c|`).
"""

import math
from typing import NamedTuple

import numpy as np

from .._checks import check_positive, check_positive_int

__all__ = ["CoverageResult", "arc_data_mass", "arc_sample_mass", "coverage_curve", "grid_coverage_curve",
           "torus_coverage_curve", "circular_w1", "density_per_length", "coverage_floor"]

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


_CDF_CACHE: dict = {}
_N_CDF = 2 ** 16


def _density_cdf(density, theta):
    """CDF of a density of :mod:`~manifold_diffusion.manifolds.densities` (``None``: uniform).

    The density's own ``cdf`` is tabulated once per density object on :math:`2^{16}` angles and
    interpolated linearly (error :math:`O(h^2)` where the density is smooth)."""
    theta = np.mod(np.asarray(theta, np.float64), TWO_PI)
    if density is None:
        return theta / TWO_PI
    entry = _CDF_CACHE.get(id(density))
    if entry is None or entry[0] is not density:
        grid = np.linspace(0.0, TWO_PI, _N_CDF + 1)
        table = np.asarray(density.cdf(grid[:-1]), np.float64)
        entry = (density, grid, np.concatenate([table, [1.0]]))
        if len(_CDF_CACHE) > 64:
            _CDF_CACHE.clear()
        _CDF_CACHE[id(density)] = entry
    return np.interp(theta, entry[1], entry[2])


def density_per_length(density, length: float, n_grid: int = 4096) -> np.ndarray:
    """The data density w.r.t. arc length on an ``n_grid`` arc grid (``(n_grid,)``; cell averages)."""
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


def coverage_curve(u, length: float, deltas, *, density=None, distances=None, C: float = 4.0,
                   alpha: float = 0.0, n_min: int = 50, exact: bool = False,
                   max_centres: int = 2 ** 15) -> CoverageResult:
    r"""Delta-coverage of a closed curve by a law given by samples, over a grid of radii.

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

    Returns:
      :class:`CoverageResult`.
    """
    u = np.mod(_as_1d("u", u), length)
    deltas = np.sort(_as_1d("deltas", deltas))
    check_positive("C", C)
    if C < 1:
        raise ValueError(f"C: expected C >= 1, got {C}")
    if not 0.0 <= alpha < 1.0:
        raise ValueError(f"alpha: expected 0 <= alpha < 1, got {alpha}")
    n_min = check_positive_int("n_min", n_min)
    if np.any(deltas <= 0) or np.any(deltas >= 0.5 * length):
        raise ValueError(f"deltas: expected values in (0, length/2 = {0.5 * length:.4g})")
    m = u.shape[0]
    if distances is None:
        r = np.zeros(m)
    else:
        r = _as_1d("distances", distances)
        if r.shape[0] != m:
            raise ValueError(f"distances: expected shape ({m},) (m from u), got {r.shape}")
    p_min = float(density_per_length(density, length).min())
    floor = 0.0 if exact else coverage_floor(m, p_min, 1, n_min)
    g = deltas.shape[0]
    low, high, outside = np.empty(g), np.empty(g), np.empty(g)
    for j, delta in enumerate(deltas):
        n_c = int(min(max_centres, max(8, math.ceil(length / (0.5 * delta)))))
        centres = (np.arange(n_c) + 0.5) * (length / n_c)
        inside = r <= delta
        outside[j] = 1.0 - inside.mean()
        gen = arc_sample_mass(u[inside], centres, delta, length) * inside.mean() if inside.any() \
            else np.zeros(n_c)
        ratio = gen / arc_data_mass(centres, delta, length, density)
        low[j], high[j] = ratio.min(), ratio.max()
    covered = (low >= 1.0 / C) & (high <= C) & (outside <= alpha)
    resolved = deltas >= floor
    scale, at_floor = _scale_from(deltas, covered, resolved)
    return CoverageResult(deltas, low, high, outside, covered, resolved, scale, float(floor),
                          bool(at_floor), float(C), float(alpha), n_min, m)


def grid_coverage_curve(p_cells, length: float, deltas, *, density=None, C: float = 4.0
                        ) -> CoverageResult:
    r"""Delta-coverage of a closed curve by a law given by its density on a uniform arc grid.

    Exact up to the grid (no Monte Carlo): ball masses are sums of cell masses, for radii of at
    least two cells (smaller radii are marked unresolved; ``floor`` is two cells).

    Args:
      p_cells: ``(n,)`` density w.r.t. arc length on ``n`` equal cells of ``[0, L)``.
      length, deltas, density, C: as :func:`coverage_curve`.
    """
    p = _as_1d("p_cells", p_cells)
    n = p.shape[0]
    h = length / n
    deltas = np.sort(_as_1d("deltas", deltas))
    mass = p * h / np.sum(p * h)
    cum = np.concatenate([[0.0], np.cumsum(np.concatenate([mass, mass, mass]))])
    q = density_per_length(density, length, n) * h
    qcum = np.concatenate([[0.0], np.cumsum(np.concatenate([q, q, q]))])
    g = deltas.shape[0]
    low, high = np.full(g, np.nan), np.full(g, np.nan)
    resolved = deltas >= 2 * h
    for j, delta in enumerate(deltas):
        if not resolved[j]:
            continue
        w = int(round(delta / h))
        idx = np.arange(n) + n
        gen = cum[idx + w + 1] - cum[idx - w]
        true = qcum[idx + w + 1] - qcum[idx - w]
        ratio = gen / true
        low[j], high[j] = ratio.min(), ratio.max()
    covered = resolved & (low >= 1.0 / C) & (high <= C)
    scale, at_floor = _scale_from(deltas, covered, resolved)
    return CoverageResult(deltas, low, high, np.zeros(g), covered, resolved, scale, 2 * h,
                          bool(at_floor), float(C), 0.0, 0, n)


def torus_coverage_curve(u, lengths, deltas, *, C: float = 4.0, n_min: int = 50,
                         exact: bool = False, n_centres: int = 4096, seed: int = 0
                         ) -> CoverageResult:
    r"""Delta-coverage of a flat 2-torus :math:`[0,L_1)\times[0,L_2)` against its *uniform* law.

    Geodesic balls of the flat torus are discs in the volume coordinates; masses are counted with
    a periodic KD-tree. Centres: a uniform grid of about ``n_centres`` points (about
    :math:`\sqrt{n}` per axis, shifted by a random offset drawn with ``seed``), so very small radii
    are checked at a subset of positions (a lower bound on the failures).

    Args:
      u: ``(m, 2)`` coordinates of the samples on the torus.
      lengths: ``(L1, L2)``.
      deltas: ``(g,)`` radii in ``(0, min(L)/2)``.
      C, n_min, exact: as :func:`coverage_curve`.

    Returns:
      :class:`CoverageResult` (``outside`` is 0: samples are taken on the torus).
    """
    from scipy.spatial import cKDTree

    u = np.asarray(u, np.float64)
    if u.ndim != 2 or u.shape[1] != 2 or u.shape[0] == 0:
        raise ValueError(f"u: expected shape (m, 2), got {u.shape}")
    L = np.asarray(lengths, np.float64)
    if L.shape != (2,) or np.any(L <= 0):
        raise ValueError(f"lengths: expected two positive lengths, got {lengths}")
    deltas = np.sort(_as_1d("deltas", deltas))
    if np.any(deltas <= 0) or np.any(deltas >= 0.5 * L.min()):
        raise ValueError("deltas: expected values in (0, min(lengths)/2)")
    m = u.shape[0]
    area = float(L[0] * L[1])
    floor = 0.0 if exact else coverage_floor(m, 1.0 / area, 2, n_min)
    tree = cKDTree(np.mod(u, L), boxsize=L)
    side = int(math.ceil(math.sqrt(n_centres)))
    off = np.random.default_rng(seed).uniform(size=2)
    gx = (np.arange(side) + off[0]) * L[0] / side
    gy = (np.arange(side) + off[1]) * L[1] / side
    centres = np.stack(np.meshgrid(gx, gy, indexing="ij"), -1).reshape(-1, 2)
    g = deltas.shape[0]
    low, high = np.empty(g), np.empty(g)
    for j, delta in enumerate(deltas):
        counts = tree.query_ball_point(centres, delta, return_length=True)
        ratio = (counts / m) / (math.pi * delta ** 2 / area)
        low[j], high[j] = ratio.min(), ratio.max()
    covered = (low >= 1.0 / C) & (high <= C)
    resolved = deltas >= floor
    scale, at_floor = _scale_from(deltas, covered, resolved)
    return CoverageResult(deltas, low, high, np.zeros(g), covered, resolved, scale, float(floor),
                          bool(at_floor), float(C), 0.0, int(n_min), m)


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
