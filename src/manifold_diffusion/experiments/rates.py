r"""Chapter 4, "The rates": manifold generalization comes before memorization :cite:`shen2026manifold`.

Every claim of the chapter is one run function and one row group of :func:`summary_table`:

- :func:`run_memorization` -- claim 1: coverage scale (exact, the empirical measure is its own
  law) and :math:`W_1` of the empirical measure against :math:`N`, for a curve (:math:`k=1`) and the
  flat torus (:math:`k=2`); plus the memorizing sampler's output, counted;
- :func:`run_coarse` -- claims 2, 4, 5: the geometric coarse-score sampler
  (:func:`~manifold_diffusion.scores.coarse.hybrid_sample`, closed form) on a Fourier estimate
  :math:`\hat M` (:func:`~manifold_diffusion.manifolds.estimate.fit_fourier_curve`), for several
  curves, densities and ambient dimensions: Hausdorff error of :math:`\hat M`, fidelity scale
  (largest distance of an output to :math:`M`), counted coverage scale with its Monte Carlo floor,
  worst ratio at a fixed radius;
- :func:`run_target` -- claim 3: the along-curve law of the coarse sampler against the data law
  and against its own limit (the data law blurred at the coarse scale), :math:`W_1` and squared
  Hellinger, computed exactly on a grid from the sampler's first-order along-curve law;
- :func:`run_kde` -- claim 4's contrast: an intrinsic KDE at its best bandwidth;
- :func:`summary_table` -- the chapter's table, claim | exponent | slope [95 % CI] | consistent.

**Coverage scale of the coarse sampler.** Outputs lie on :math:`\hat M`, within the Hausdorff
error of :math:`M`; along :math:`M` their law is the empirical law blurred at :math:`\sqrt{t_s}`, whose
density is bounded above and below. So
:math:`\delta_C = \max(\delta_{\rm fid}, \delta_{\rm along})`, where :math:`\delta_{\rm fid}` (the
largest distance of an output to :math:`M`; below it samples stop counting) is measured to float64
precision at every :math:`N`, and :math:`\delta_{\rm along}` (from counted ball masses) sits at the
Monte Carlo floor of the generated sample. The table fits the slope of :math:`\delta_{\rm fid}`,
reports the counted scale with its floor, and never fits a slope to a floor.

The geometric experiments need float64 (``jax_enable_x64``): the chapter turns it on.
"""

import dataclasses
import math
import time
from typing import NamedTuple

import equinox as eqx
import jax
import numpy as np

from .. import plotting, widgets
from ..manifolds import (Cusp, Ellipse, FlatTorus, PiecewiseConstant, RoughCurve, VonMises, embed)
from ..manifolds._base import _jit_geometry
from ..manifolds.estimate import _fit, fourier_order, hausdorff_distance
from ..metrics import coverage as cov
from ..metrics.rates import fit_loglog_slope
from ..metrics.transport import wasserstein
from ..scale import Scale
from ..scores.coarse import _closed_form
from ._common import Meta, make_meta, progress

__all__ = ["Config", "make_manifold", "make_density", "MemorizationResult", "run_memorization",
           "CoarseResult", "run_coarse", "TargetResult", "run_target", "KDEResult", "run_kde",
           "summary_table", "table_html", "plot_memorization", "plot_coarse", "plot_target", "plot_kde",
           "coverage_map", "plot_coverage_maps", "plot_coverage_frame", "coverage_widget", "exponents"]


@dataclasses.dataclass(frozen=True)
class Config:
    r"""Sizes of the chapter's experiments.

    Attributes:
      ns: training sizes :math:`N` of the curve experiments; ``ns_torus`` those of :math:`k=2`.
      n_seeds: independent training sets per :math:`N` (the bootstrap resamples them).
      n_gen: generated samples per run (sets the Monte Carlo floor of the counted coverage).
      betas: regularities of :class:`~manifold_diffusion.manifolds.RoughCurve`; plus the
        real-analytic ellipse (``analytic``).
      beta_main: :math:`\beta` of the density and dimension sweeps.
      dims: ambient dimensions of the dimension sweep.
      coarse_std: :math:`\sqrt{t_s}`, the blur of the coarse stage (in :math:`d`: divided by
        :math:`\sqrt{d-1}` beyond ``d = 2`` so that the normal offsets stay inside the reach).
      target_stds: coarse scales of the "different target" experiment.
      C, n_min: coverage constant and Monte Carlo resolution (:mod:`~manifold_diffusion.metrics.coverage`).
      deltas: radii grid of the coverage curves; ``fixed_delta`` the radius of the worst-ratio
        statistic.
      t_memo: final time of the memorizing sampler.
      kde_ns, kde_bandwidths: the intrinsic-KDE contrast.
      map_ns, map_betas, map_gen: the coverage maps (sizes, regularities, generated samples).
      float_floor: values below this are float64 rounding, never fitted.
    """

    ns: tuple[int, ...] = (128, 256, 512, 1024, 2048)
    ns_torus: tuple[int, ...] = (64, 128, 256, 512, 1024)
    n_seeds: int = 4
    n_gen: int = 5_000
    betas: tuple[float, ...] = (2.5, 3.5, 5.5)
    analytic: bool = True
    beta_main: float = 3.5
    dims: tuple[int, ...] = (2, 100)
    coarse_std: float = 0.13
    target_stds: tuple[float, ...] = (0.13, 0.5)
    target_ns: tuple[int, ...] = (128, 512, 2048, 8192, 32768)
    C: float = 4.0
    n_min: int = 50
    deltas: tuple[float, ...] = tuple(float(v) for v in np.geomspace(3e-4, 1.0, 29))
    fixed_delta: float = 0.1
    t_memo: float = 1e-8
    kde_ns: tuple[int, ...] = (256, 1024, 4096, 16384, 65536)
    kde_bandwidths: tuple[float, ...] = tuple(float(v) for v in np.geomspace(2e-3, 1.0, 40))
    float_floor: float = 1e-11
    n_eval: int = 2048
    densities: tuple[str, ...] = ("smooth", "piecewise", "cusp")
    map_ns: tuple[int, ...] = (128, 1024)
    map_betas: tuple[float, ...] = (2.5, 5.5)
    map_gen: int = 50_000
    scale: str = "default"

    @classmethod
    def at_scale(cls, scale: str) -> "Config":
        """The configuration for ``scale`` (``quick``, ``default`` or ``large``)."""
        if scale == "quick":
            return cls(scale="quick", ns=(128, 256, 512), ns_torus=(64, 128, 256), n_seeds=2,
                       n_gen=2000, betas=(3.5,), analytic=False, dims=(2, 10),
                       target_ns=(128, 512, 2048), kde_ns=(256, 1024, 4096), n_eval=1024,
                       densities=("smooth", "cusp"), map_ns=(256,), map_betas=(3.5,), map_gen=2000)
        if scale == "default":
            return cls()
        if scale == "large":
            return cls(scale="large", ns=(128, 256, 512, 1024, 2048, 4096, 8192),
                       ns_torus=(64, 128, 256, 512, 1024, 2048), n_seeds=10, n_gen=200_000,
                       betas=(2.5, 3.5, 4.5, 5.5, 6.5), dims=(2, 10, 100, 1000),
                       target_ns=(128, 512, 2048, 8192, 32768, 131072),
                       kde_ns=(256, 1024, 4096, 16384, 65536, 262144), map_gen=500_000)
        raise ValueError(f"scale: expected 'quick', 'default' or 'large', got {scale!r}")


def exponents(beta: float, k: int = 1) -> tuple[float, float]:
    r"""The two circulating coverage exponents: version A :math:`\beta/(4k)` (arXiv v1) and
    version B :math:`(\beta-1)/(4k)` (ICLR page). The scale shrinks like :math:`N^{-\text{exponent}}`."""
    return beta / (4 * k), (beta - 1) / (4 * k)


def make_manifold(beta: float | None):
    """``RoughCurve(beta)``, or the real-analytic ellipse (1, 1.5) for ``beta=None``."""
    return Ellipse(1.0, 1.5) if beta is None else RoughCurve(beta)


def make_density(name: str):
    """The data densities on the angle: ``smooth`` (von Mises, kappa 0.8), ``piecewise``
    (levels 1 and 3), ``cusp`` (floor 0.3, exponent 1/2), all bounded below."""
    if name == "smooth":
        return VonMises(0.0, 0.8)
    if name == "piecewise":
        return PiecewiseConstant((1.0, 3.0))
    if name == "cusp":
        return Cusp(1.0, 0.5, 0.3)
    raise ValueError(f"name: expected 'smooth', 'piecewise' or 'cusp', got {name!r}")


# ----------------------------------------------------------------------------- claim 1
class MemorizationResult(NamedTuple):
    """Claim 1: the empirical measure covers at its gap scale.

    Attributes:
      ns, ns_torus: the sizes.
      scale1, w1_1: ``(r, m)`` exact coverage scale and :math:`W_1` (arc length) on the curve.
      scale2, w1_2: ``(r, m)`` the same on the flat torus (:math:`W_1` against a reference
        sample of ``2 * max(ns_torus)`` points, Euclidean cost in :math:`\\mathbb R^4`).
      sampler_scale: ``(r, m)`` counted coverage scale of the memorizing sampler's output
        (``n_gen`` samples), with ``sampler_floor`` its Monte Carlo floor.
      gap: ``(r, m)`` half the largest gap of the training sample (arc length).
      meta: run record.
    """

    ns: np.ndarray
    ns_torus: np.ndarray
    scale1: np.ndarray
    w1_1: np.ndarray
    scale2: np.ndarray
    w1_2: np.ndarray
    sampler_scale: np.ndarray
    sampler_floor: float
    gap: np.ndarray
    meta: Meta


def _half_gap(u, length):
    s = np.sort(np.mod(u, length))
    gaps = np.diff(np.concatenate([s, [s[0] + length]]))
    return 0.5 * float(gaps.max())


def run_memorization(key, cfg: Config) -> MemorizationResult:
    """Claim 1 (see :class:`MemorizationResult`)."""
    start = time.perf_counter()
    curve = make_manifold(cfg.beta_main)
    dens = make_density("smooth")
    L = curve.volume
    torus = FlatTorus()
    lengths = (torus.coord_high[0], torus.coord_high[1])
    r, m = cfg.n_seeds, len(cfg.ns)
    out = {name: np.empty((r, m)) for name in ("s1", "w1", "samp", "gap")}
    s2, w2 = np.empty((r, len(cfg.ns_torus))), np.empty((r, len(cfg.ns_torus)))
    deltas = np.asarray(cfg.deltas)
    k1, k2, k3 = jax.random.split(key, 3)
    for j, n in enumerate(progress(cfg.ns, desc="memorization k=1")):
        for i in range(r):
            kk = jax.random.fold_in(jax.random.fold_in(k1, j), i)
            ka, kb, kc = jax.random.split(kk, 3)
            u = L * np.asarray(dens.sample(ka, n), np.float64) / (2 * math.pi)   # arc lengths
            out["s1"][i, j] = cov.coverage_curve(u, L, deltas, density=dens, C=cfg.C, exact=True).scale
            out["w1"][i, j] = cov.circular_w1(u, L, dens)
            out["gap"][i, j] = _half_gap(u, L)
            # memorizing sampler: x_I + sqrt(t) z, tangential part to first order
            idx = np.asarray(jax.random.randint(kb, (cfg.n_gen,), 0, n))
            ug = u[idx] + math.sqrt(cfg.t_memo) * np.asarray(jax.random.normal(kc, (cfg.n_gen,)))
            res = cov.coverage_curve(ug, L, deltas, density=dens, C=cfg.C, n_min=cfg.n_min)
            out["samp"][i, j] = res.scale
            floor = res.floor
    ref = torus.sample(k3, 2 * max(cfg.ns_torus))  # W1 reference law
    for j, n in enumerate(progress(cfg.ns_torus, desc="memorization k=2")):
        for i in range(r):
            kk = jax.random.fold_in(jax.random.fold_in(k2, j), i)
            x, u = torus.sample_with_coords(kk, n)
            d2 = np.geomspace(1e-2, 0.45 * min(lengths), 30)
            s2[i, j] = cov.torus_coverage_curve(np.asarray(u), lengths, d2, C=cfg.C, exact=True,
                                                 n_centres=16384).scale
            w2[i, j] = wasserstein(x, ref, p=1, method="exact", max_exact=10 ** 6).distance
    meta = make_meta("rates.memorization", {"N": f"{cfg.ns[0]}..{cfg.ns[-1]}", "seeds": r,
                                            "n_gen": cfg.n_gen, "C": cfg.C}, key, start, cfg.scale)
    return MemorizationResult(np.asarray(cfg.ns), np.asarray(cfg.ns_torus), out["s1"], out["w1"],
                              s2, w2, out["samp"], float(floor), out["gap"], meta)


# ------------------------------------------------------------------------- claims 2, 4, 5
class CoarseResult(NamedTuple):
    r"""Claims 2, 4, 5: the geometric coarse-score sampler on an estimated curve.

    Attributes:
      ns: the sizes; labels: one per setting (e.g. ``"beta=2.5"``); betas: their regularity
        (``inf`` for the analytic curve); dims, densities: their ambient dimension and density.
      hausdorff: ``(b, r, m)`` :math:`d_H(\\hat M, M)`.
      fidelity: ``(b, r, m)`` :math:`\\delta_{\\rm fid}`, the largest distance of an output to ``M``.
      counted: ``(b, r, m)`` counted coverage scale (at its floor when it covers).
      floor: ``(b,)`` Monte Carlo floor of the counted scale.
      covered_at_floor: ``(b, r, m)`` whether the counted scale is the floor.
      worst_ratio: ``(b, r, m)`` smallest ratio at ``fixed_delta``.
      w1: ``(b, r, m)`` :math:`W_1` along ``M`` between the outputs and the data law (sampled).
      along: ``(b, r, m)`` along-curve coverage scale of the first-order law (exact on a grid of
        :math:`2^{14}` cells; its smallest resolvable radius is two cells).
      semi: ``(b, r, m)`` the semi-analytic coverage scale :math:`\max(\delta_{\rm fid}, \delta_{\rm along})`.
      meta: run record.
    """

    ns: np.ndarray
    labels: tuple
    betas: np.ndarray
    dims: np.ndarray
    densities: tuple
    hausdorff: np.ndarray
    fidelity: np.ndarray
    counted: np.ndarray
    floor: np.ndarray
    covered_at_floor: np.ndarray
    worst_ratio: np.ndarray
    w1: np.ndarray
    along: np.ndarray
    semi: np.ndarray
    meta: Meta


def _settings(cfg: Config, kind: str):
    if kind == "beta":
        out = [(f"beta={b:g}", b, 2, "smooth") for b in cfg.betas]
        if cfg.analytic:
            out.append(("analytic", None, 2, "smooth"))
        return out
    if kind == "density":
        return [(f"{name}", cfg.beta_main, 2, name) for name in cfg.densities]
    if kind == "dimension":
        return [(f"d={d}", cfg.beta_main, d, "smooth") for d in cfg.dims]
    raise ValueError(f"kind: expected 'beta', 'density' or 'dimension', got {kind!r}")


@eqx.filter_jit
def _fit_and_sample(keys, data, order, n_gen, t_s, pad_to=None):
    """vmap over seeds: fitted curves and closed-form coarse samples from ``(r, N, d)`` data."""
    def one(k, x):
        est = _fit(x, order, pad_to)
        return est, _closed_form(k, x, est, n_gen, t_s)
    return jax.vmap(one)(keys, data)


@eqx.filter_jit
def _sample_data(keys, M, dens, n):
    """``(r, n, d)`` training sets and ``(r, n, 1)`` their arc lengths, one per key."""
    def one(k):
        u = _coords(k, M, dens, n)
        return M._embed_coords(u), u
    return jax.vmap(one)(keys)


def along_density(u, length: float, std: float, n_grid: int = 2 ** 14):
    """First-order along-curve law of the coarse sampler: the empirical law of the arc lengths
    ``u`` blurred by a wrapped Gaussian of s.d. ``std`` (``(n_grid,)`` density per arc length)."""
    h = length / n_grid
    counts = np.bincount(np.minimum((np.mod(u, length) / h).astype(int), n_grid - 1),
                         minlength=n_grid) / (len(u) * h)
    return np.maximum(np.fft.irfft(np.fft.rfft(counts) * _wrapped_gauss_fft(n_grid, length, std),
                                   n_grid), 0.0)


_SETTING_CACHE: dict = {}
_DENSITY_IDS = {"smooth": 0, "piecewise": 1, "cusp": 2}


def _run_setting(key, cfg: Config, beta, d, dname):
    """All statistics of one (curve, ambient dimension, density) setting over ``ns`` x seeds.

    The setting's key is derived from the setting itself, so the same setting in two sweeps is
    the same computation; it is cached for the session."""
    tag = (tuple(np.asarray(jax.random.key_data(key)).ravel().tolist()), cfg, beta, d, dname)
    if tag in _SETTING_CACHE:
        return _SETTING_CACHE[tag]
    ka = jax.random.fold_in(key, int(1000 * (beta or 0)) * 10000 + 10 * d + _DENSITY_IDS[dname])
    base = make_manifold(beta)
    M = base if d == 2 else embed(base, d, jax.random.fold_in(ka, 10 ** 6))
    dens = make_density(dname)
    L = base.volume
    std = cfg.coarse_std if d == 2 else cfg.coarse_std / math.sqrt(d - 1)
    r, m = cfg.n_seeds, len(cfg.ns)
    out = {name: np.empty((r, m)) for name in ("hausdorff", "fidelity", "counted", "worst", "w1",
                                               "along", "semi")}
    out["at_floor"] = np.zeros((r, m), bool)
    deltas = np.asarray(cfg.deltas)
    floor = np.nan
    for j, n in enumerate(cfg.ns):
        keys = jax.random.split(jax.random.fold_in(ka, j), 2 * r)
        data, u_train = _sample_data(keys[:r], M, dens, n)
        ests, gen = _fit_and_sample(keys[r:], data, fourier_order(n), cfg.n_gen, std ** 2,
                                    fourier_order(max(cfg.ns)))
        for i in range(r):
            est = jax.tree_util.tree_map(lambda v: v[i] if hasattr(v, "ndim") and v.ndim else v, ests)
            out["hausdorff"][i, j] = hausdorff_distance(est, M, n_eval=cfg.n_eval)
            _, u, dist = _jit_geometry(M, gen[i])
            u = np.asarray(u[:, 0], np.float64)
            dist = np.asarray(dist, np.float64)
            out["fidelity"][i, j] = float(dist.max())
            res = cov.coverage_curve(u, L, deltas, density=dens, distances=dist, C=cfg.C,
                                     n_min=cfg.n_min)
            out["counted"][i, j] = res.scale
            out["at_floor"][i, j] = res.at_floor
            floor = res.floor
            fx = cov.coverage_curve(u, L, [cfg.fixed_delta], density=dens, distances=dist,
                                    C=cfg.C, n_min=cfg.n_min)
            out["worst"][i, j] = fx.low[0]
            out["w1"][i, j] = cov.circular_w1(u, L, dens)
            # semi-analytic: delta_C = max(delta_fid, along-curve scale of the first-order law)
            along = cov.grid_coverage_curve(along_density(np.asarray(u_train[i, :, 0], np.float64), L, std),
                                            L, deltas, density=dens, C=cfg.C)
            out["along"][i, j] = along.scale
            # an along-curve law comparable down to the grid covers at every scale: then only
            # the fidelity scale limits delta_C
            out["semi"][i, j] = out["fidelity"][i, j] if along.at_floor else \
                max(along.scale, out["fidelity"][i, j])
    out["floor"] = floor
    _SETTING_CACHE[tag] = out
    return out


def run_coarse(key, cfg: Config, kind: str = "beta") -> CoarseResult:
    """Claims 2 (``kind="beta"``), 4 (``"density"``) and 5 (``"dimension"``); see :class:`CoarseResult`."""
    if not jax.config.jax_enable_x64:
        raise RuntimeError("run_coarse: enable float64 first, jax.config.update('jax_enable_x64', True)")
    start = time.perf_counter()
    settings = _settings(cfg, kind)
    outs = [_run_setting(key, cfg, beta, d, dname)
            for (_, beta, d, dname) in progress(settings, desc=f"coarse ({kind})")]
    stack = {name: np.stack([o[name] for o in outs]) for name in
             ("hausdorff", "fidelity", "counted", "worst", "w1", "at_floor", "along", "semi")}
    meta = make_meta(f"rates.coarse.{kind}", {"N": f"{cfg.ns[0]}..{cfg.ns[-1]}", "seeds": cfg.n_seeds,
                                              "n_gen": cfg.n_gen, "coarse_std": cfg.coarse_std,
                                              "C": cfg.C}, key, start, cfg.scale)
    return CoarseResult(np.asarray(cfg.ns), tuple(s[0] for s in settings),
                        np.asarray([np.inf if s[1] is None else s[1] for s in settings]),
                        np.asarray([s[2] for s in settings]), tuple(s[3] for s in settings),
                        stack["hausdorff"], stack["fidelity"], stack["counted"],
                        np.asarray([o["floor"] for o in outs]), stack["at_floor"], stack["worst"],
                        stack["w1"], stack["along"], stack["semi"], meta)


def _coords(key, M, dens, n):
    """Arc-length coordinates ``(n, 1)`` of ``n`` draws from ``dens`` on ``M`` (traceable)."""
    v = dens.sample(key, n)
    return (M.coord_high[0] * v / (2 * math.pi))[:, None]


# ----------------------------------------------------------------------------- claim 3
class TargetResult(NamedTuple):
    """Claim 3: the coarse sampler converges to its own limit, not to the data law.

    Computed exactly on a grid of ``n_grid`` arc cells from the sampler's along-curve law to first
    order in the blur: the mixture :math:`\\frac1N\\sum_i\\mathcal N(u_i, s^2)` (wrapped), against the
    data law :math:`p` and its own limit :math:`p * \\mathcal N(0, s^2)`.

    Attributes:
      ns: sizes; stds: blurs :math:`s`.
      w1_data, w1_limit: ``(len(stds), r, m)`` :math:`W_1` to the data law and to the limit.
      h2_limit: ``(len(stds), r, m)`` squared Hellinger distance to the limit.
      plateau: ``(len(stds),)`` :math:`W_1(p * \\mathcal N(0,s^2), p)`, the level the distance to
        the data law stops at.
      ratio_range: ``(len(stds), 2)`` min and max of the limit's density ratio to the data's.
      grid, p_data, p_limit: ``(n_grid,)`` arc grid and the two densities (per arc length) for
        the last blur, and ``p_example`` ``(m, n_grid)``: one seed's output density per ``N``.
      meta: run record.
    """

    ns: np.ndarray
    stds: np.ndarray
    w1_data: np.ndarray
    w1_limit: np.ndarray
    h2_limit: np.ndarray
    plateau: np.ndarray
    ratio_range: np.ndarray
    grid: np.ndarray
    p_data: np.ndarray
    p_limit: np.ndarray
    p_example: np.ndarray
    meta: Meta


def _wrapped_gauss_fft(n_grid, length, std):
    freq = np.fft.rfftfreq(n_grid, d=length / n_grid)
    return np.exp(-2 * (math.pi * freq * std) ** 2)


def _w1_grid(p, q, length):
    h = length / p.shape[0]
    diff = np.cumsum(p - q) * h
    return float(np.mean(np.abs(diff - np.median(diff))) * length)


def run_target(key, cfg: Config, n_grid: int = 4096) -> TargetResult:
    """Claim 3 (see :class:`TargetResult`); data on ``RoughCurve(beta_main)`` with the smooth density."""
    start = time.perf_counter()
    curve = make_manifold(cfg.beta_main)
    dens = make_density("smooth")
    L = curve.volume
    h = L / n_grid
    grid = (np.arange(n_grid) + 0.5) * h
    p = cov.density_per_length(dens, L, n_grid)
    r, m, ns = cfg.n_seeds, len(cfg.target_ns), cfg.target_ns
    stds = np.asarray(cfg.target_stds)
    w1d, w1l, h2 = (np.empty((len(stds), r, m)) for _ in range(3))
    plateau, rr = np.empty(len(stds)), np.empty((len(stds), 2))
    example = np.empty((m, n_grid))
    for a, s in enumerate(stds):
        g = _wrapped_gauss_fft(n_grid, L, s)
        p_lim = np.fft.irfft(np.fft.rfft(p) * g, n_grid)
        plateau[a] = _w1_grid(p_lim, p, L)
        rr[a] = (p_lim / p).min(), (p_lim / p).max()
        for j, n in enumerate(ns):
            for i in range(r):
                kk = jax.random.fold_in(jax.random.fold_in(key, j), i)
                v = np.asarray(dens.sample(kk, n), np.float64)
                counts = np.bincount(np.minimum((v / (2 * math.pi) * n_grid).astype(int), n_grid - 1),
                                     minlength=n_grid) / (n * h)
                q = np.fft.irfft(np.fft.rfft(counts) * g, n_grid)
                q = np.maximum(q, 0.0)
                w1d[a, i, j] = _w1_grid(q, p, L)
                w1l[a, i, j] = _w1_grid(q, p_lim, L)
                h2[a, i, j] = 0.5 * float(np.sum((np.sqrt(q) - np.sqrt(np.maximum(p_lim, 0))) ** 2) * h)
                if i == 0 and a == len(stds) - 1:
                    example[j] = q
    meta = make_meta("rates.target", {"N": f"{ns[0]}..{ns[-1]}", "seeds": r, "grid": n_grid},
                     key, start, cfg.scale)
    return TargetResult(np.asarray(ns), stds, w1d, w1l, h2, plateau, rr, grid, p, p_lim, example, meta)


# ------------------------------------------------------------------------ claim 4, KDE
class KDEResult(NamedTuple):
    """Claim 4's contrast: intrinsic (arc-length) Gaussian KDE at its best bandwidth.

    Attributes:
      ns, densities: sizes and density names.
      l1: ``(len(densities), r, m)`` :math:`L^1` error :math:`\\int|\\hat p_h - p|` at the best
        bandwidth of the grid (an oracle choice, the most favourable to the estimator).
      best_h: ``(len(densities), r, m)`` that bandwidth.
      theory: ``(len(densities),)`` classical exponents: 2/5 (smooth), 1/3 (jump), 1/4 (cusp 1/2).
      meta: run record.
    """

    ns: np.ndarray
    densities: tuple
    l1: np.ndarray
    best_h: np.ndarray
    theory: np.ndarray
    meta: Meta


def run_kde(key, cfg: Config, n_grid: int = 8192) -> KDEResult:
    """Claim 4's contrast (see :class:`KDEResult`)."""
    start = time.perf_counter()
    L = make_manifold(cfg.beta_main).volume
    names = ("smooth", "piecewise", "cusp")
    r, m = cfg.n_seeds, len(cfg.kde_ns)
    l1, best = np.empty((3, r, m)), np.empty((3, r, m))
    h = L / n_grid
    hs = np.asarray(cfg.kde_bandwidths)
    gs = np.stack([_wrapped_gauss_fft(n_grid, L, b) for b in hs])
    for a, name in enumerate(names):
        dens = make_density(name)
        p = cov.density_per_length(dens, L, n_grid)
        for j, n in enumerate(cfg.kde_ns):
            for i in range(r):
                kk = jax.random.fold_in(jax.random.fold_in(jax.random.fold_in(key, a), j), i)
                v = np.asarray(dens.sample(kk, n), np.float64)
                counts = np.bincount(np.minimum((v / (2 * math.pi) * n_grid).astype(int), n_grid - 1),
                                     minlength=n_grid) / (n * h)
                est = np.fft.irfft(np.fft.rfft(counts)[None, :] * gs, n_grid, axis=1)
                err = np.sum(np.abs(est - p[None, :]), axis=1) * h
                l1[a, i, j], best[a, i, j] = err.min(), hs[np.argmin(err)]
    meta = make_meta("rates.kde", {"N": f"{cfg.kde_ns[0]}..{cfg.kde_ns[-1]}", "seeds": r}, key, start,
                     cfg.scale)
    return KDEResult(np.asarray(cfg.kde_ns), names, l1, best, np.asarray([0.4, 1 / 3, 0.25]), meta)


# ----------------------------------------------------------------------------- the table
def _slope(x, y, key, floor=0.0):
    """Slope fit over the x values where every seed is finite and above ``floor``; None if < 3."""
    y = np.asarray(y, np.float64)
    ok = np.all(np.isfinite(y) & (y > floor), axis=0)
    if ok.sum() < 3:
        return None, ok
    return fit_loglog_slope(np.asarray(x)[ok], y[:, ok], key=key), ok


def summary_table(key, memo: MemorizationResult, coarse: CoarseResult, density: CoarseResult,
                  dimension: CoarseResult, target: TargetResult, kde: KDEResult):
    """The chapter's table: one row per measured rate (a list of dicts; :func:`table_html`).

    Columns: claim, quantity, theory exponent (as a slope), measured slope [95 % CI],
    consistent?, note. "Consistent" means: for an upper bound (the paper's rates), the interval
    reaches at least as steep as the bound; for a predicted rate, the interval contains it.
    """
    rows = []
    keys = iter(jax.random.split(key, 64))

    def row(claim, quantity, theory, fit, kind, note=""):
        if fit is None:
            rows.append(dict(claim=claim, quantity=quantity, theory=theory, measured="—",
                             consistent="n/a", note=note or "fewer than 3 points above the floors",
                             slope=math.nan, lo=math.nan, hi=math.nan))
            return
        meas = f"{fit.slope:.2f} [{fit.ci_low:.2f}, {fit.ci_high:.2f}]"
        if kind == "bound":
            ok = all(fit.ci_low <= t + 1e-12 for t in theory_values(theory))
            verdict = "yes (steeper)" if ok and fit.ci_high < min(theory_values(theory)) else \
                ("yes" if ok else "no")
        else:
            verdict = "yes" if any(fit.covers(t) for t in theory_values(theory)) else "no"
        rows.append(dict(claim=claim, quantity=quantity, theory=theory, measured=meas,
                         consistent=verdict, note=note, slope=fit.slope, lo=fit.ci_low, hi=fit.ci_high))

    def theory_values(text):
        return [float(v) for v in str(text).replace("A ", "").replace("B ", "").split(" / ")]

    def loglocal(ns, power):
        """Local slope of (log N / N)^power at the geometric mean of ``ns``."""
        return -power * (1 - 1 / math.log(math.exp(np.mean(np.log(ns)))))

    f, _ = _slope(memo.ns, memo.scale1, next(keys))
    row("1 memorization", "coverage scale, empirical, k=1", f"-1 / {loglocal(memo.ns, 1):.2f}", f, "rate",
        "theory -1/k; second value: local slope of (log N/N)^(1/k) over these N")
    f, _ = _slope(memo.ns, memo.w1_1, next(keys))
    row("1 memorization", "W1 to data, empirical, k=1", "-1 / -0.5", f, "rate",
        "-1/k as in the issue; -1/2 is the known W1 rate for k=1")
    f, _ = _slope(memo.ns_torus, memo.scale2, next(keys))
    row("1 memorization", "coverage scale, empirical, k=2", f"-0.5 / {loglocal(memo.ns_torus, 0.5):.2f}", f,
        "rate", "theory -1/k; second value: local slope of (log N/N)^(1/k) over these N")
    f, _ = _slope(memo.ns_torus, memo.w1_2, next(keys))
    row("1 memorization", "W1 to data, empirical, k=2", "-0.5", f, "rate", "reference sample of 2 max N")
    for a, label in enumerate(coarse.labels):
        beta = coarse.betas[a]
        if np.isfinite(beta):
            ea, eb = exponents(beta)
            th = f"A {-ea:.3g} / B {-eb:.3g}"
        else:
            th = "A -inf"
        f, ok = _slope(coarse.ns, coarse.semi[a], next(keys), cfg_floor(coarse))
        share = np.mean(coarse.semi[a] == coarse.fidelity[a])
        note = f"δ_C = δ_fid in {share:.0%} of runs; counted scale at its floor " \
               f"{coarse.floor[a]:.1e} in {coarse.covered_at_floor[a].mean():.0%}"
        if not np.isfinite(beta):
            if f is None:
                rows.append(dict(claim="2 coarse covers fast", quantity=f"δ_C, {label}",
                                 theory="any", measured="float floor", consistent="yes",
                                 note=f"below 1e-11 from N = {int(coarse.ns[np.argmax(~ok)])}",
                                 slope=math.nan, lo=math.nan, hi=math.nan))
                continue
            floor_n = [int(n) for n, k in zip(coarse.ns, ok) if not k]
            rows.append(dict(claim="2 coarse covers fast", quantity=f"δ_C, {label}",
                             theory="any (β = ∞)", measured=f"{f.slope:.2f} [{f.ci_low:.2f}, {f.ci_high:.2f}]",
                             consistent="yes", note=note + (f"; float rounding from N = {floor_n[0]}"
                                                            if floor_n else ""),
                             slope=f.slope, lo=f.ci_low, hi=f.ci_high))
            continue
        row("2 coarse covers fast", f"δ_C, {label}", th, f, "bound", note)
        f, ok = _slope(coarse.ns, coarse.hausdorff[a], next(keys), cfg_floor(coarse))
        # (log N / N)^beta has local slope -beta (1 - 1/log N) at the geometric mean of the fitted N
        n_mid = math.exp(np.mean(np.log(coarse.ns[ok]))) if ok.any() else coarse.ns[0]
        eff = -beta * (1 - 1 / math.log(n_mid))
        row("2 coarse covers fast", f"Hausdorff error of M̂, {label}", f"{eff:.3g}", f, "bound",
            f"minimax (log N/N)^β, β = {beta:g}: local slope {eff:.2f}")
    for a, s in enumerate(target.stds):
        f, _ = _slope(target.ns, target.w1_limit[a], next(keys))
        row("3 different target", f"W1 to own limit, s={s:g}", "-0.5", f, "rate", "keeps falling")
        f, _ = _slope(target.ns, target.h2_limit[a], next(keys))
        row("3 different target", f"H² to own limit, s={s:g}", "-1", f, "rate", "near-parametric (B: O(1/N))")
        f, _ = _slope(target.ns, target.w1_data[a], next(keys))
        last = float(np.median(target.w1_data[a, :, -1]))
        reached = last < 2 * target.plateau[a]
        row("3 different target", f"W1 to data law, s={s:g}", "0", f, "rate",
            f"plateau W1(limit, data) = {target.plateau[a]:.1e}; "
            + ("reached" if reached else f"not reached: {last:.1e} at N = {int(target.ns[-1])}"))
    for a, label in enumerate(density.labels):
        ea, eb = exponents(density.betas[a])
        f, _ = _slope(density.ns, density.semi[a], next(keys), cfg_floor(density))
        row("4 density regularity", f"δ_C, {label} density, β={density.betas[a]:g}",
            f"A {-ea:.3g} / B {-eb:.3g}", f, "bound", _share(density, a))
    for a, name in enumerate(kde.densities):
        f, _ = _slope(kde.ns, kde.l1[a], next(keys))
        row("4 density regularity", f"KDE L1 error (best h), {name}", f"{-kde.theory[a]:.3g}", f, "rate")
    for a, label in enumerate(dimension.labels):
        ea, eb = exponents(dimension.betas[a])
        f, _ = _slope(dimension.ns, dimension.semi[a], next(keys), cfg_floor(dimension))
        row("5 dimension", f"δ_C, k=1, {label}, β={dimension.betas[a]:g}",
            f"A {-ea:.3g} / B {-eb:.3g}", f, "bound", _share(dimension, a))
        f, _ = _slope(dimension.ns, dimension.fidelity[a], next(keys), cfg_floor(dimension))
        row("5 dimension", f"δ_fid (fidelity only), k=1, {label}", f"A {-ea:.3g} / B {-eb:.3g}", f,
            "bound", "the geometric part of δ_C")
    return rows


def table_html(rows) -> str:
    """The summary rows as an HTML table (claim, quantity, theory, measured, consistent, note)."""
    import html

    cols = ("claim", "quantity", "theory", "measured", "consistent", "note")
    head = "".join(f"<th>{c}</th>" for c in ("claim", "quantity", "theory exponent",
                                              "measured slope [95% CI]", "consistent?", "note"))
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r[c]))}</td>" for c in cols) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _share(res, a) -> str:
    return f"δ_C = δ_fid in {np.mean(res.semi[a] == res.fidelity[a]):.0%} of runs (else the along-curve scale)"


def cfg_floor(res) -> float:
    """Values below this are float64 rounding of the geometry (never fitted)."""
    return 1e-11


# ----------------------------------------------------------------------------- plots
def _ticks(fig):
    """Plain N labels on log x axes (no minor-tick clutter)."""
    import matplotlib.ticker as mticker
    for ax in fig.axes:
        if ax.get_xscale() == "log":
            ax.xaxis.set_major_locator(mticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_minor_formatter(mticker.NullFormatter())
            ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
    return fig


def _band(ax, x, y, label, **kw):
    y = np.asarray(y, np.float64)
    med = np.exp(np.nanmean(np.log(y), axis=0))
    lines = ax.plot(x, med, marker="o", ms=3, label=label, **kw)
    if y.shape[0] > 1:
        ax.fill_between(x, y.min(axis=0), y.max(axis=0), color=lines[0].get_color(), alpha=0.2, lw=0)
    return lines[0]


def plot_memorization(res: MemorizationResult):
    """Claim 1: coverage scale and W1 of the empirical measure against N, k = 1 and 2."""
    fig, axes = plotting.figure(2, 1, width=3.4, height=2.9)
    with plotting.style():
        ax = axes[0, 0]
        _band(ax, res.ns, res.scale1, "coverage scale, k=1")
        _band(ax, res.ns, res.gap, "half largest gap, k=1", ls="--")
        _band(ax, res.ns, res.sampler_scale, "memorizing sampler (counted)", ls=":")
        _band(ax, res.ns_torus, res.scale2, "coverage scale, k=2")
        ax.axhline(res.sampler_floor, color="0.5", lw=0.8)
        ax.text(res.ns[0], res.sampler_floor * 1.1, "counting floor (sampler)", fontsize=6, color="0.4")
        ax.set(xscale="log", yscale="log", xlabel="N", ylabel=r"$\delta_C$", title="coverage")
        ax.legend(fontsize=6)
        ax = axes[0, 1]
        _band(ax, res.ns, res.w1_1, "k=1 (arc length)")
        _band(ax, res.ns_torus, res.w1_2, "k=2 (in R^4)")
        ax.set(xscale="log", yscale="log", xlabel="N", ylabel=r"$W_1$", title="W1 to the data law")
        ax.legend(fontsize=6)
    return plotting.finish(_ticks(fig), res.meta, "C = 4; bands: min-max over seeds; the memorizing sampler "
                           "is counted from its generated samples (floor line), the rest exactly")


def plot_coarse(res: CoarseResult, memo: MemorizationResult | None = None, n_gen: int | None = None):
    """Claims 2/4/5: fidelity scale, Hausdorff error, counted coverage scale and its floor."""
    fig, axes = plotting.figure(3, 1, width=3.0, height=2.8)
    with plotting.style():
        ax = axes[0, 0]
        for a, label in enumerate(res.labels):
            line = _band(ax, res.ns, np.maximum(res.fidelity[a], 1e-16), label)
            if np.isfinite(res.betas[a]) and res.betas[a] == res.betas[a]:
                ea, eb = exponents(res.betas[a])
                y0 = np.exp(np.mean(np.log(np.maximum(res.fidelity[a][:, 0], 1e-16))))
                ax.plot(res.ns, y0 * (res.ns / res.ns[0]) ** (-ea), color=line.get_color(), lw=0.7,
                        ls=":")
        ax.axhline(1e-11, color="0.5", lw=0.7)
        ax.set(xscale="log", yscale="log", xlabel="N", ylabel=r"$\delta_{\rm fid}$",
               title="fidelity scale (dotted: $N^{-\\beta/4}$)")
        ax.legend(fontsize=6)
        ax = axes[0, 1]
        for a, label in enumerate(res.labels):
            _band(ax, res.ns, np.maximum(res.hausdorff[a], 1e-16), label)
        ax.set(xscale="log", yscale="log", xlabel="N", ylabel=r"$d_H(\hat M, M)$",
               title="manifold estimate")
        ax = axes[0, 2]
        for a, label in enumerate(res.labels):
            line = _band(ax, res.ns, np.maximum(res.semi[a], 1e-16), label)
            ax.plot(res.ns, np.median(res.counted[a], axis=0), color=line.get_color(), lw=0.8, ls=":")
        ax.axhline(res.floor.max(), color="0.5", lw=0.8)
        ax.text(res.ns[-1], res.floor.max() * 2.5, "counting floor", fontsize=6, color="0.4", ha="right")
        if memo is not None:
            _band(ax, memo.ns, memo.scale1, "empirical measure", color="k", ls="--")
        ax.set(xscale="log", yscale="log", xlabel="N", ylabel=r"$\delta_C$",
               title="coverage scale (dotted: counted)")
        ax.legend(fontsize=6)
    return plotting.finish(_ticks(fig), res.meta, "resolution of the counted scale: the floor line "
                           "(50 expected samples in the sparsest ball)")


def plot_target(res: TargetResult):
    """Claim 3: densities along the curve, and W1 to data / to the sampler's own limit."""
    fig, axes = plotting.figure(3, 1, width=3.0, height=2.8)
    with plotting.style():
        ax = axes[0, 0]
        ax.plot(res.grid, res.p_data, color="k", lw=1.2, label="data")
        ax.plot(res.grid, res.p_limit, color="C3", lw=1.2, label=f"own limit (s={res.stds[-1]:g})")
        for j in (0, len(res.ns) - 1):
            ax.plot(res.grid, res.p_example[j], lw=0.7, alpha=0.8, label=f"output, N={res.ns[j]}")
        ax.set(xlabel="arc length", ylabel="density", title="along the curve")
        ax.legend(fontsize=6)
        ax = axes[0, 1]
        for a, s in enumerate(res.stds):
            l1 = _band(ax, res.ns, res.w1_data[a], f"to data, s={s:g}")
            _band(ax, res.ns, res.w1_limit[a], f"to own limit, s={s:g}", ls="--", color=l1.get_color())
            ax.axhline(res.plateau[a], color=l1.get_color(), lw=0.6, ls=":")
        ax.set(xscale="log", yscale="log", xlabel="N", ylabel=r"$W_1$", title="W1 (dotted: plateau)")
        ax.legend(fontsize=6)
        ax = axes[0, 2]
        for a, s in enumerate(res.stds):
            _band(ax, res.ns, res.h2_limit[a], f"s={s:g}")
        ax.plot(res.ns, res.h2_limit[0, :, 0].mean() * res.ns[0] / res.ns, color="0.5", lw=0.7, ls=":",
                label="slope -1")
        ax.set(xscale="log", yscale="log", xlabel="N", ylabel=r"$H^2$", title="to own limit")
        ax.legend(fontsize=6)
    return plotting.finish(_ticks(fig), res.meta, "exact on the grid from the first-order along-curve law")


def plot_kde(res: KDEResult, density: CoarseResult):
    """Claim 4: coverage (fidelity) scale per density against KDE error per density."""
    fig, axes = plotting.figure(2, 1, width=3.3, height=2.8)
    with plotting.style():
        ax = axes[0, 0]
        for a, label in enumerate(density.labels):
            _band(ax, density.ns, np.maximum(density.semi[a], 1e-16), label)
        ax.set(xscale="log", yscale="log", xlabel="N", ylabel=r"$\delta_C$ (semi-analytic)",
               title=f"coarse sampler, β={density.betas[0]:g}")
        ax.legend(fontsize=6)
        ax = axes[0, 1]
        for a, name in enumerate(res.densities):
            _band(ax, res.ns, res.l1[a], f"{name} (theory -{res.theory[a]:.2g})")
        ax.set(xscale="log", yscale="log", xlabel="N", ylabel=r"$L^1$ error", title="intrinsic KDE, best h")
        ax.legend(fontsize=6)
    return plotting.finish(_ticks(fig), res.meta)


# ----------------------------------------------------------------------------- coverage maps
def coverage_map(key, cfg: Config, n: int, beta: float, *, n_centres: int = 200, n_gen: int | None = None):
    """Ratio map :math:`\\rho(y,\\delta)` of the coarse sampler and of the empirical measure.

    Returns ``(deltas, centres, ratio_coarse, ratio_empirical, floor)`` with ratios of shape
    ``(len(deltas), n_centres)``; the coarse ratios count only outputs within :math:`\\delta` of ``M``.
    """
    M = make_manifold(beta)
    dens = make_density("smooth")
    L = M.volume
    n_gen = n_gen or cfg.map_gen
    k1, k2 = jax.random.split(key)
    x, u = M.sample_with_coords(k1, n, dens)
    est = _fit(x, fourier_order(n))
    gen = _closed_form(k2, x, est, n_gen, cfg.coarse_std ** 2)
    _, ug, dist = _jit_geometry(M, gen)
    ug, dist, u = (np.asarray(a, np.float64).reshape(-1) for a in (ug, dist, u))
    deltas = np.geomspace(1e-3, 0.5, 24)
    centres = (np.arange(n_centres) + 0.5) * L / n_centres
    rc, re = np.empty((24, n_centres)), np.empty((24, n_centres))
    for j, dl in enumerate(deltas):
        true = cov.arc_data_mass(centres, dl, L, dens)
        inside = dist <= dl
        rc[j] = cov.arc_sample_mass(ug[inside], centres, dl, L) * inside.mean() / true if inside.any() else 0
        re[j] = cov.arc_sample_mass(u, centres, dl, L) / true
    floor = cov.coverage_floor(n_gen, float(cov.density_per_length(dens, L).min()), 1, cfg.n_min)
    return deltas, centres, rc, re, floor


def _draw_map(ax, deltas, centres, ratio, C, floor, title):
    import matplotlib.colors as mcolors
    img = np.log10(np.clip(ratio, 1e-3, 1e3))
    img[deltas < floor] = np.nan                   # unresolved radii: grey, not noise
    ax.set_facecolor("0.85")
    ax.pcolormesh(centres, deltas, img, cmap="RdBu_r", norm=mcolors.Normalize(-2, 2), shading="auto")
    ok = ((ratio >= 1 / C) & (ratio <= C)).astype(float)
    ok[deltas < floor] = 1.0
    ax.contour(centres, deltas, ok, levels=[0.5], colors="k", linewidths=0.5)
    if floor > 0:
        ax.axhline(floor, color="k", ls="--", lw=0.7)
    ax.set_ylim(deltas[0], deltas[-1])
    ax.set(yscale="log", xlabel="centre y (arc length)", ylabel=r"$\delta$", title=title)


def plot_coverage_maps(key, cfg: Config, ns=None, betas=None):
    """Small multiples of coverage maps (the static twin of :func:`coverage_widget`): rows N,
    columns: empirical measure, then the coarse sampler for each beta. Colour: log10 ratio (red
    too much, blue too little); black contour: the boundary of [1/C, C]; dashed: counting floor."""
    start = time.perf_counter()
    ns = cfg.map_ns if ns is None else ns
    betas = cfg.map_betas if betas is None else betas
    fig, axes = plotting.figure(1 + len(betas), len(ns), width=2.6, height=2.2)
    with plotting.style():
        for i, n in enumerate(ns):
            for j, beta in enumerate(betas):
                d, c, rc, re, floor = coverage_map(jax.random.fold_in(key, i), cfg, n, beta)
                if j == 0:
                    _draw_map(axes[i, 0], d, c, re, cfg.C, 0.0, f"empirical, N={n}")
                _draw_map(axes[i, 1 + j], d, c, rc, cfg.C, floor, f"coarse, β={beta:g}, N={n}")
    meta = make_meta("rates.coverage_maps", {"N": ns, "beta": betas, "n_gen": cfg.map_gen}, key, start,
                     cfg.scale)
    return plotting.finish(fig, meta, "colour: log10 of generated/true ball mass (red: too much, blue: too "
                           "little); black: boundary of [1/C, C]; grey below the dashed line: "
                           "unresolved by the generated sample")


def plot_coverage_frame(frame, C: float):
    """The coverage maps of one ``(N, beta)`` setting: ``frame`` is :func:`coverage_map`'s output."""
    d, c, rc, re, floor = frame
    with plotting.style():
        fig, axes = plotting.figure(2, 1, width=3.2, height=2.6)
        _draw_map(axes[0, 0], d, c, re, C, 0.0, "empirical measure")
        _draw_map(axes[0, 1], d, c, rc, C, floor, "coarse sampler")
    return fig


def coverage_widget(key, cfg: Config, ns=(64, 128, 256, 512, 1024, 2048), betas=(2.5, 3.5, 4.5, 5.5),
                    *, draw_now: bool = True):
    """ipywidgets sliders over N and beta redrawing the coverage maps of one setting
    (:func:`coverage_map`, :func:`plot_coverage_frame`). Returns ``(widget, update)``;
    ``update(N=..., beta=...)`` computes and draws one frame."""
    return widgets.sliders({"N": [int(n) for n in ns], "beta": [float(b) for b in betas]},
                           lambda N, beta: coverage_map(key, cfg, int(N), float(beta)),
                           lambda frame: plot_coverage_frame(frame, cfg.C),
                           values={"N": ns[1], "beta": betas[0]}, draw_now=draw_now)
