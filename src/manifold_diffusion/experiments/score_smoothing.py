r"""Chapter 3, "Score smoothing is tangential regularization": every experiment of the chapter.

The set-up follows :cite:`farghly2025logdomain` (appendix G and its public code): the VE process
with variance :math:`t` (``T = 9``, :math:`\sigma_{\max} = 3`), a geometric grid of 100
Euler--Maruyama steps down to :math:`t_{\min} = 10^{-6}` followed by a noise-free (Tweedie) step
to 0, the closed-form empirical score, and Gaussian score smoothing with a bandwidth constant in
time, estimated with antithetic Monte Carlo draws (:class:`~manifold_diffusion.scores.SmoothedScore`).

- :func:`run_circle_sweep` -- 12 equally spaced points on the unit circle, bandwidth sweep:
  memorized fraction, gap-centre fraction, mean :math:`|r-1|`, mean :math:`r`, distance to the
  nearest training point;
- :func:`run_domains` -- log-domain (score smoothing) against density-domain (KDE) smoothing at
  matched novelty, the circle embedded in :math:`\mathbb R^d`;
- :func:`run_flat` -- Prop. 3.1 on a line in :math:`\mathbb R^{10}`: isotropic and tangent-only
  smoothing give the same samples (MMD permutation test), no normal spread;
- :func:`run_wavy` -- the wavy circle :math:`r = 1 + 0.13\sin 8\theta`: the 8th Fourier amplitude
  of the samples' radius against the bandwidth;
- :func:`run_nll` -- held-out negative log-likelihood of fresh circle points under the
  log-smoothed measure :math:`\propto\exp(K*\log\hat p_\epsilon)` (normalised by quadrature);
- :func:`run_anisotropic` -- a square lattice with isotropic and elongated Gaussian kernels: the
  kernel chooses rows, columns or cell centres;
- :func:`run_segment` -- Chen's evenly spaced points on a segment: gap filling, barycentres,
  normal spread;
- :func:`run_cfdm` -- sigma-CFDM (:func:`cfdm_sample`), the closed-form smoothed flow of
  Scarvelis et al., on two moons: outputs at training points against midpoints;
- :func:`bandwidth_widget` -- an ipywidgets slider over the bandwidth on the circle
  (:func:`circle_frame`, :func:`plot_circle_frame`).

``REFERENCE`` holds the values of the CPU checks in the project's reference notes (NumPy, another
seed), drawn beside the measurements.
"""

import dataclasses
import time
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .. import metrics, plotting, widgets
from ..kde import GaussianKDE
from ..manifolds import Circle, WavyCircle, embed, random_subspace
from ..processes import VE, geometric_grid
from ..samplers import euler_maruyama
from ..scale import Scale
from ..scores import EmpiricalScore, SmoothedScore
from ._common import Meta, make_meta, progress

__all__ = [
    "Config", "REFERENCE", "circle_data", "gap_centre_fraction",
    "CircleSweep", "run_circle_sweep", "plot_circle_gallery", "plot_circle_sweep", "circle_table",
    "DomainComparison", "run_domains", "plot_domains",
    "FlatResult", "run_flat", "plot_flat",
    "WavyResult", "run_wavy", "plot_wavy", "fourier_amplitude",
    "NLLResult", "run_nll", "plot_nll",
    "lattice_data", "lattice_stats", "AnisotropicResult", "run_anisotropic", "plot_anisotropic",
    "segment_data", "SegmentResult", "run_segment", "plot_segment",
    "cfdm_denoiser", "cfdm_velocity", "cfdm_sample", "CFDMResult", "run_cfdm", "plot_cfdm",
    "CircleFrame", "circle_frame", "plot_circle_frame", "bandwidth_widget",
]

#: CPU checks of farghly-2025.md section 6 (NumPy, 500 plain draws on the circle, 200
#: antithetic draws on the wavy circle): bandwidth -> (mean |r-1|, mean r, nearest-train, gap).
REFERENCE = {
    "circle": {0.0: (0.000, 1.000, 0.000, 0.00), 0.10: (0.004, 0.999, 0.006, 0.00),
               0.15: (0.013, 0.988, 0.024, 0.02), 0.20: (0.031, 0.969, 0.084, 0.20),
               0.25: (0.047, 0.953, 0.126, 0.39), 0.30: (0.068, 0.932, 0.142, 0.45),
               0.35: (0.098, 0.902, 0.168, 0.54)},
    "kde": {0.10: (0.080, None, 0.125, 0.19), 0.20: (0.158, None, 0.221, 0.46),
            0.30: (0.236, None, 0.291, 0.50)},
    "wavy_amplitude": {0.0: 0.130, 0.1: 0.080, 0.25: 0.015, 0.5: 0.001, 1.0: 0.003},
    "ratio_at_gap": (0.45, 0.068, 0.158),     # (gap fraction, smoothing |r-1|, KDE |r-1|)
}


@dataclasses.dataclass(frozen=True)
class Config:
    r"""Sizes of the chapter's experiments (frozen and hashable).

    Attributes:
      n_train: training points on the unit circle (equally spaced).
      T, t_min, n_steps: VE terminal time, last positive time and number of sampler steps
        (``n_steps - 1`` geometric steps from ``T`` to ``t_min``, then one noise-free step to 0).
      n_samples, n_draws: samples per run and Monte Carlo draws per smoothed score (antithetic).
      bandwidths: the circle sweep; ``gallery`` the bandwidths drawn as small multiples.
      dims: ambient dimensions of the log- vs density-domain comparison;
        ``compare_bandwidths`` and ``compare_draws`` its score-smoothing bandwidths and draws,
        ``compare_seeds`` the seeds averaged, ``kde_bandwidths`` the KDE's;
        ``target_gap`` the gap-centre fraction and ``target_novelty`` the mean distance to the
        nearest training point at which the two are compared.
      flat_d, flat_n, flat_length, flat_bandwidths, flat_draws, n_permutations: Prop. 3.1 on a
        line segment of length ``flat_length`` in :math:`\mathbb R^{d}`.
      wavy_n, wavy_samples, wavy_draws, wavy_bandwidths: the wavy-circle experiment.
      nll_eps, nll_bandwidths, nll_draws, nll_points, nll_grid: held-out likelihood at time
        ``nll_eps`` on a ``nll_grid`` x ``nll_grid`` quadrature grid over :math:`[-1.4, 1.4]^2`.
      lattice_n, lattice_spacing, aniso_bandwidth, aniso_ratio: the anisotropic-kernel
        experiment: a ``lattice_n`` x ``lattice_n`` lattice, kernels of major bandwidth
        ``aniso_bandwidth`` and minor/major axis ratio ``aniso_ratio`` (``n_samples``,
        ``n_draws``).
      segment_n, segment_bandwidths, segment_draws: interpolation on a segment (Chen 2025).
      moons_n, cfdm_samples, cfdm_steps, cfdm_draws, cfdm_bandwidths: sigma-CFDM on two moons.
      widget_samples, widget_draws: one frame of the bandwidth widget (fast: about 0.1 s after
        compilation on a CPU).
      n_seeds: independent kernel-draw sets (and prior/sampler keys) behind the circle sweep
        and the domain comparison: with draws fixed per score and :math:`t_{\min}=10^{-6}`,
        where the samples go near the transition bandwidth depends on the draw set.
      scale: the scale these sizes belong to.
    """

    n_train: int = 12
    T: float = 9.0
    t_min: float = 1e-6
    n_steps: int = 100
    n_samples: int = 400
    n_draws: int = 500
    bandwidths: tuple[float, ...] = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.5)
    gallery: tuple[float, ...] = (0.0, 0.1, 0.2, 0.25, 0.35, 0.5)
    dims: tuple[int, ...] = (2, 10, 50)
    compare_bandwidths: tuple[float, ...] = (0.15, 0.2, 0.25, 0.3, 0.35)
    compare_draws: int = 200
    compare_seeds: int = 2
    kde_bandwidths: tuple[float, ...] = (0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
    target_gap: float = 0.45
    target_novelty: float = 0.125
    n_seeds: int = 3
    flat_d: int = 10
    flat_n: int = 20
    flat_length: float = 4.0
    flat_bandwidths: tuple[float, ...] = (0.1, 0.3)
    flat_draws: int = 200
    n_permutations: int = 200
    wavy_n: int = 30
    wavy_samples: int = 600
    wavy_draws: int = 200
    wavy_bandwidths: tuple[float, ...] = (0.0, 0.1, 0.25, 0.5, 1.0)
    nll_eps: float = 1e-3
    nll_bandwidths: tuple[float, ...] = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35)
    nll_draws: int = 100
    nll_points: int = 1000
    nll_grid: int = 281
    lattice_n: int = 5
    lattice_spacing: float = 0.5
    aniso_bandwidth: float = 0.25
    aniso_ratio: float = 0.2
    segment_n: int = 8
    segment_bandwidths: tuple[float, ...] = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4)
    segment_draws: int = 200
    moons_n: int = 50
    cfdm_samples: int = 500
    cfdm_steps: int = 100
    cfdm_draws: int = 2
    cfdm_bandwidths: tuple[float, ...] = (0.0, 0.1, 0.2, 0.4, 0.8)
    widget_samples: int = 300
    widget_draws: int = 32
    scale: str = "default"

    @classmethod
    def at_scale(cls, scale: str) -> "Config":
        """The configuration for ``scale`` (``quick``, ``default`` or ``large``)."""
        if scale == "quick":
            return cls(scale="quick", n_samples=100, n_draws=64,
                       bandwidths=(0.0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.5),
                       gallery=(0.0, 0.1, 0.25, 0.5), dims=(2, 10),
                       compare_bandwidths=(0.2, 0.3), compare_draws=64, compare_seeds=1,
                       kde_bandwidths=(0.02, 0.05, 0.1, 0.2, 0.3),
                       n_seeds=1, flat_draws=64, n_permutations=100, wavy_samples=150, wavy_draws=64,
                       nll_bandwidths=(0.0, 0.1, 0.2, 0.3), nll_draws=32, nll_points=300,
                       nll_grid=141, segment_draws=64,
                       segment_bandwidths=(0.0, 0.1, 0.2, 0.3, 0.4))
        if scale == "default":
            return cls()
        if scale == "large":
            return cls(scale="large", n_samples=20_000, n_draws=4096, dims=(2, 10, 50, 500),
                       compare_draws=1024, n_seeds=8,
                       flat_draws=2048, wavy_samples=20_000, wavy_draws=2048, nll_draws=1000,
                       nll_points=4000, nll_grid=561, segment_draws=2048, cfdm_samples=5000)
        raise ValueError(f"scale: expected 'quick', 'default' or 'large', got {scale!r}")

    def grid(self):
        """The sampling grid: ``n_steps - 1`` geometric steps to ``t_min``, then a step to 0."""
        return geometric_grid(self.T, self.t_min, self.n_steps - 1, include_zero=True)


def circle_data(n: int):
    """``n`` equally spaced points on the unit circle, the first at angle 0; ``(n, 2)``."""
    angle = 2 * jnp.pi * jnp.arange(n, dtype=jnp.result_type(float)) / n
    return jnp.stack([jnp.cos(angle), jnp.sin(angle)], axis=1)


def gap_centre_fraction(angles, n: int) -> float:
    """Share of angles in the central half of the arcs between ``n`` equally spaced points at
    angles :math:`2\\pi i/n` (0.5 for the uniform law, 0 for memorization)."""
    frac = np.mod(np.asarray(angles), 2 * np.pi / n) / (2 * np.pi / n)
    return float(np.mean((frac >= 0.25) & (frac < 0.75)))


def _sample(key, score, x_T, cfg: Config):
    return euler_maruyama(key, score, x_T, cfg.grid(), VE(T=cfg.T))


def _circle_stats(samples2d, data2d, n):
    """(mean |r-1|, mean r, mean nearest-train distance, gap fraction, memorized fraction)."""
    x = np.asarray(samples2d)
    r = np.linalg.norm(x, axis=1)
    rep = metrics.memorization_report(samples2d, data2d)
    return (float(np.mean(np.abs(r - 1))), float(np.mean(r)),
            float(jnp.mean(rep.nearest_distance)),
            gap_centre_fraction(np.arctan2(x[:, 1], x[:, 0]), n), float(rep.fraction_memorized))


# --- the 12-point circle: bandwidth sweep ----------------------------------------------------

class CircleSweep(NamedTuple):
    """Samples and statistics of the circle sweep, one row per bandwidth.

    Attributes: bandwidths: ``(m,)``. data: ``(n, 2)``. samples: ``(m, b, 2)`` of the first
    seed. radial_error, mean_radius, nearest_distance, gap_fraction, memorized: ``(m,)`` means
    over seeds; ``per_seed``: ``(s, m, 5)`` the same five statistics for each seed. meta.
    """

    bandwidths: np.ndarray
    data: np.ndarray
    samples: np.ndarray
    radial_error: np.ndarray
    mean_radius: np.ndarray
    nearest_distance: np.ndarray
    gap_fraction: np.ndarray
    memorized: np.ndarray
    per_seed: np.ndarray
    meta: Meta


def run_circle_sweep(key, cfg: Config) -> CircleSweep:
    """Sample with the smoothed empirical score of the 12-point circle at each bandwidth.

    Within a seed the prior draw, the sampler noise and the kernel draws are shared by all
    bandwidths (common random numbers); ``cfg.n_seeds`` seeds repeat the sweep with new keys.
    """
    start = time.perf_counter()
    process = VE(T=cfg.T)
    data = circle_data(cfg.n_train)
    emp = EmpiricalScore(data, process)
    samples, stats = [], np.zeros((cfg.n_seeds, len(cfg.bandwidths), 5))
    for r in progress(range(cfg.n_seeds), desc="circle sweep"):
        k_prior, k_draws, k_sde = jax.random.split(jax.random.fold_in(key, r), 3)
        x_T = process.prior_sample(k_prior, (cfg.n_samples, 2))
        for j, h in enumerate(cfg.bandwidths):
            x = _sample(k_sde, SmoothedScore(emp, h, cfg.n_draws, k_draws), x_T, cfg)
            if r == 0:
                samples.append(np.asarray(x))
            stats[r, j] = _circle_stats(x, data, cfg.n_train)
    s = stats.mean(axis=0)
    sizes = {"n": cfg.n_train, "b": cfg.n_samples, "M": cfg.n_draws, "steps": cfg.n_steps,
             "t_min": cfg.t_min, "T": cfg.T, "seeds": cfg.n_seeds}
    meta = make_meta("circle bandwidth sweep", sizes, key, start, cfg.scale)
    return CircleSweep(np.asarray(cfg.bandwidths), np.asarray(data), np.stack(samples),
                       s[:, 0], s[:, 1], s[:, 2], s[:, 3], s[:, 4], stats, meta)


def circle_table(res: CircleSweep) -> str:
    """An HTML table of the sweep (means over seeds, gap with its sd) beside the CPU check."""
    ref = REFERENCE["circle"]
    sd = res.per_seed[:, :, 3].std(axis=0)
    head = ["bandwidth", "memorized", "gap-centre (sd)", "gap, check", "mean |r-1|", "check",
            "mean r", "check", "nearest train", "check"]
    rows = []
    for i, h in enumerate(res.bandwidths):
        rv = next((v for k, v in ref.items() if abs(k - h) < 1e-9), None)
        chk = (lambda j, p=3: f"{rv[j]:.{p}f}") if rv else (lambda j, p=3: "&ndash;")
        cells = [f"{h:g}", f"{res.memorized[i]:.2f}", f"{res.gap_fraction[i]:.2f} ({sd[i]:.2f})",
                 chk(3, 2), f"{res.radial_error[i]:.3f}", chk(0), f"{res.mean_radius[i]:.3f}",
                 chk(1), f"{res.nearest_distance[i]:.3f}", chk(2)]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return ("<table><thead><tr>" + "".join(f"<th>{c}</th>" for c in head) + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _circle_axes(ax, data, lim=1.35):
    th = np.linspace(0, 2 * np.pi, 200)
    ax.plot(np.cos(th), np.sin(th), color="0.7", lw=0.8, zorder=0)
    ax.scatter(data[:, 0], data[:, 1], s=22, marker="x", color="C3", zorder=3,
               label="training points")
    ax.set_aspect("equal")
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)


def plot_circle_gallery(res: CircleSweep, bandwidths=None):
    """Small multiples: the samples at each bandwidth of ``bandwidths`` (default: all)."""
    chosen = list(res.bandwidths) if bandwidths is None else list(bandwidths)
    rows = [int(np.argmin(np.abs(res.bandwidths - h))) for h in chosen]
    with plotting.style():
        fig, axes = plotting.figure(len(rows), width=2.3, height=2.5, sharex=True, sharey=True)
        for ax, i in zip(axes[0], rows):
            _circle_axes(ax, res.data)
            ax.scatter(res.samples[i, :, 0], res.samples[i, :, 1], s=3, alpha=0.5, color="C0",
                       rasterized=True, label="samples")
            first = res.per_seed[0, i]
            ax.set_title(f"bandwidth {res.bandwidths[i]:g}\ngap {first[3]:.2f}, "
                         f"mean r {first[1]:.2f}")
        axes[0, 0].legend(loc="center", markerscale=2, fontsize=7)
        return plotting.finish(fig, res.meta, "grey: the unit circle; gap = share of samples in "
                               "the central half of the arcs between training points")


def plot_circle_sweep(res: CircleSweep):
    """Memorized and gap-centre fractions, radial error and novelty against the bandwidth,
    with the CPU-check values of the reference notes (crosses)."""
    ref = REFERENCE["circle"]
    rh = np.asarray(sorted(ref))
    rv = np.asarray([ref[h] for h in rh])
    with plotting.style():
        fig, axes = plotting.figure(3, width=3.0, height=2.8)
        ax = axes[0, 0]
        ax.plot(res.bandwidths, res.memorized, "o-", label="memorized ($d_1/d_2 < 1/3$)")
        sd = res.per_seed[:, :, 3].std(axis=0)
        ax.errorbar(res.bandwidths, res.gap_fraction, yerr=sd, fmt="s-", capsize=2,
                    label="gap-centre fraction (mean, sd over seeds)")
        ax.plot(rh, rv[:, 3], "x", color="C1", ms=7, label="gap, CPU check")
        ax.axhline(0.5, color="0.5", ls=":", lw=1)
        ax.set_xlabel("bandwidth $h$")
        ax.set_ylabel("fraction of samples")
        ax.legend(fontsize=6.5, loc="center right")
        ax = axes[0, 1]
        ax.plot(res.bandwidths, res.radial_error, "o-", label="mean $|r-1|$")
        ax.plot(res.bandwidths, 1 - res.mean_radius, "s-", label="$1 - $ mean $r$ (inward bias)")
        ax.plot(rh, rv[:, 0], "x", color="C0", ms=7, label="$|r-1|$, CPU check")
        ax.set_xlabel("bandwidth $h$")
        ax.set_ylabel("distance to the circle")
        ax.legend(fontsize=7)
        ax = axes[0, 2]
        ax.plot(res.bandwidths, res.nearest_distance, "o-", label="measured")
        ax.plot(rh, rv[:, 2], "x", color="C0", ms=7, label="CPU check")
        ax.axhline(2 * np.sin(np.pi / len(res.data)) / 2, color="0.5", ls=":", lw=1,
                   label="half the chord spacing")
        ax.set_xlabel("bandwidth $h$")
        ax.set_ylabel("mean distance to nearest training point")
        ax.legend(fontsize=7)
        return plotting.finish(fig, res.meta)


# --- log domain against density domain ---------------------------------------------------------

class DomainComparison(NamedTuple):
    """Score smoothing against the KDE on the circle embedded in :math:`\\mathbb R^d`.

    Attributes: dims: ``(q,)``. smooth_bandwidths: ``(m,)``; kde_bandwidths: ``(p,)``.
    smooth_novelty, smooth_off, smooth_gap: ``(q, m)`` mean distance to the nearest training
    point, mean distance to the circle, gap-centre fraction (averaged over seeds); kde_novelty, kde_off, kde_gap:
    ``(q, p)``. target_gap: the gap fraction of the matched comparison. smooth_at_gap,
    kde_at_gap: ``(q,)`` distance to the circle interpolated at ``target_gap`` (NaN outside
    the measured range). target_novelty, smooth_at_novelty, kde_at_novelty: the same at matched
    mean distance to the nearest training point. meta.
    """

    dims: np.ndarray
    smooth_bandwidths: np.ndarray
    kde_bandwidths: np.ndarray
    smooth_novelty: np.ndarray
    smooth_off: np.ndarray
    smooth_gap: np.ndarray
    kde_novelty: np.ndarray
    kde_off: np.ndarray
    kde_gap: np.ndarray
    target_gap: float
    smooth_at_gap: np.ndarray
    kde_at_gap: np.ndarray
    target_novelty: float
    smooth_at_novelty: np.ndarray
    kde_at_novelty: np.ndarray
    meta: Meta


def _at_gap(gap, value, target):
    """``value`` linearly interpolated at ``gap == target`` (NaN outside the range of ``gap``)."""
    order = np.argsort(gap)
    g, v = np.asarray(gap)[order], np.asarray(value)[order]
    if not g[0] <= target <= g[-1]:
        return float("nan")
    return float(np.interp(target, g, v))


def run_domains(key, cfg: Config) -> DomainComparison:
    """Distance to the circle against distance to the data, for score smoothing and the KDE,
    with the 12-point circle isometrically embedded in each of ``cfg.dims`` (random frame)."""
    start = time.perf_counter()
    process = VE(T=cfg.T)
    data2 = circle_data(cfg.n_train)
    q, m, p = len(cfg.dims), len(cfg.compare_bandwidths), len(cfg.kde_bandwidths)
    out = {k: np.zeros((q, m)) for k in ("sn", "so", "sg")}
    out.update({k: np.zeros((q, p)) for k in ("kn", "ko", "kg")})
    for a, d in progress(list(enumerate(cfg.dims)), desc="domains"):
        k_frame, k_dim = jax.random.split(jax.random.fold_in(key, a))
        manifold = embed(Circle(), d, k_frame)
        frame = manifold.frame                                              # (d, 2)
        data = data2 @ frame.T
        emp = EmpiricalScore(data, process)

        def stats(x):
            x2 = np.asarray(x @ frame)
            rep = metrics.memorization_report(x, data)
            off = metrics.distance_to_manifold(manifold, x).mean
            return np.asarray([float(jnp.mean(rep.nearest_distance)), float(off),
                               gap_centre_fraction(np.arctan2(x2[:, 1], x2[:, 0]), cfg.n_train)])

        for r in range(cfg.compare_seeds):
            k_prior, k_draws, k_sde, k_kde = jax.random.split(jax.random.fold_in(k_dim, r), 4)
            x_T = process.prior_sample(k_prior, (cfg.n_samples, d))
            for j, h in enumerate(cfg.compare_bandwidths):
                x = _sample(k_sde, SmoothedScore(emp, h, cfg.compare_draws, k_draws), x_T, cfg)
                out["sn"][a, j], out["so"][a, j], out["sg"][a, j] = (
                    np.asarray([out[k][a, j] for k in ("sn", "so", "sg")]) + stats(x) / cfg.compare_seeds)
            for j, h in enumerate(cfg.kde_bandwidths):
                x = GaussianKDE(data, h).sample(jax.random.fold_in(k_kde, j), cfg.n_samples)
                out["kn"][a, j], out["ko"][a, j], out["kg"][a, j] = (
                    np.asarray([out[k][a, j] for k in ("kn", "ko", "kg")]) + stats(x) / cfg.compare_seeds)
    s_at = np.asarray([_at_gap(out["sg"][a], out["so"][a], cfg.target_gap) for a in range(q)])
    k_at = np.asarray([_at_gap(out["kg"][a], out["ko"][a], cfg.target_gap) for a in range(q)])
    s_nov = np.asarray([_at_gap(out["sn"][a], out["so"][a], cfg.target_novelty) for a in range(q)])
    k_nov = np.asarray([_at_gap(out["kn"][a], out["ko"][a], cfg.target_novelty) for a in range(q)])
    sizes = {"n": cfg.n_train, "b": cfg.n_samples, "M": cfg.compare_draws,
             "d": "/".join(map(str, cfg.dims)), "seeds": cfg.compare_seeds}
    meta = make_meta("log vs density domain", sizes, key, start, cfg.scale)
    return DomainComparison(np.asarray(cfg.dims), np.asarray(cfg.compare_bandwidths),
                            np.asarray(cfg.kde_bandwidths), out["sn"], out["so"], out["sg"],
                            out["kn"], out["ko"], out["kg"], cfg.target_gap, s_at, k_at,
                            cfg.target_novelty, s_nov, k_nov, meta)


def plot_domains(res: DomainComparison):
    """Distance to the circle against distance to the data (left) and against gap filling
    (right), score smoothing (solid) and KDE (dashed), one colour per dimension."""
    with plotting.style():
        fig, axes = plotting.figure(2, width=3.7, height=3.1)
        for a, d in enumerate(res.dims):
            c = f"C{a}"
            axes[0, 0].plot(res.smooth_novelty[a], res.smooth_off[a], "o-", color=c,
                            label=f"score smoothing, d = {d}")
            axes[0, 0].plot(res.kde_novelty[a], res.kde_off[a], "s--", color=c,
                            label=f"KDE, d = {d}")
            axes[0, 1].plot(res.smooth_gap[a], res.smooth_off[a], "o-", color=c)
            axes[0, 1].plot(res.kde_gap[a], res.kde_off[a], "s--", color=c)
        top = max(np.nanmax(res.kde_novelty), np.nanmax(res.smooth_novelty))
        low = min(np.nanmin(res.kde_novelty), np.nanmin(res.smooth_novelty))
        axes[0, 0].plot([low, top], [low, top], color="0.5", lw=0.8, ls=":", label="1 : 1")
        axes[0, 0].axvline(res.target_novelty, color="0.5", lw=0.8, ls="--")
        axes[0, 0].set_xscale("log")
        axes[0, 0].set_yscale("log")
        axes[0, 0].set_xlabel("mean distance to nearest training point")
        axes[0, 0].set_ylabel("mean distance to the circle")
        axes[0, 0].legend(fontsize=6.5, ncol=1)
        axes[0, 1].axvline(res.target_gap, color="0.5", lw=0.8, ls=":")
        axes[0, 1].set_xlabel("gap-centre fraction (novelty)")
        axes[0, 1].set_ylabel("mean distance to the circle")
        axes[0, 1].set_yscale("log")
        axes[0, 1].set_title("solid: score smoothing; dashed: KDE")
        return plotting.finish(fig, res.meta)


# --- Prop 3.1 on a flat manifold -----------------------------------------------------------------

class FlatResult(NamedTuple):
    """Isotropic against tangent-only smoothing on a line segment in :math:`\\mathbb R^d`.

    Attributes: bandwidths: ``(m,)``. p_values, mmd2: ``(m,)`` permutation test of isotropic
    (antithetic) against tangent-only samples (independent runs). normal_none: scalar, mean
    distance to the line without smoothing; normal_iso, normal_tangent, normal_plain: ``(m,)``
    the same with isotropic antithetic, tangent-only and isotropic plain (non-antithetic) draws;
    plain_prediction: ``(m,)`` the plain-draw offset :math:`h\\|(I-P)\\bar z\\|` of the draws used.
    tangent_iso, tangent_tangent: ``(m, b)`` tangential coordinates of the samples. meta.
    """

    bandwidths: np.ndarray
    p_values: np.ndarray
    mmd2: np.ndarray
    normal_none: float
    normal_iso: np.ndarray
    normal_tangent: np.ndarray
    normal_plain: np.ndarray
    plain_prediction: np.ndarray
    tangent_iso: np.ndarray
    tangent_tangent: np.ndarray
    meta: Meta


def run_flat(key, cfg: Config) -> FlatResult:
    """Prop. 3.1: ``cfg.flat_n`` uniform points on a segment of a random line in
    :math:`\\mathbb R^{d}`; sample with isotropic and with tangent-only smoothing (independent
    prior, sampler and kernel keys) and compare."""
    start = time.perf_counter()
    process = VE(T=cfg.T)
    d = cfg.flat_d
    k_line, k_data, k_test, k_runs = jax.random.split(key, 4)
    line = random_subspace(k_line, 1, d, offset_scale=1.0, extent=cfg.flat_length / 2)
    data = line.sample(k_data, cfg.flat_n)
    proj = line.basis @ line.basis.T
    emp = EmpiricalScore(data, process)

    def run(tag, h, **kw):
        ks = jax.random.split(jax.random.fold_in(k_runs, tag), 3)
        x_T = process.prior_sample(ks[0], (cfg.n_samples, d))
        score = emp if h is None else SmoothedScore(emp, h, cfg.flat_draws, ks[1], **kw)
        x = _sample(ks[2], score, x_T, cfg)
        normal = float(metrics.distance_to_manifold(line, x).mean)
        tangent = np.asarray((x - line.offset[None, :]) @ line.basis)[:, 0]
        return x, normal, tangent, score

    _, normal_none, _, _ = run(0, None)
    m = len(cfg.flat_bandwidths)
    p_vals, mmd2, n_iso, n_tan, n_plain, pred = (np.zeros(m) for _ in range(6))
    t_iso, t_tan = np.zeros((m, cfg.n_samples)), np.zeros((m, cfg.n_samples))
    for j, h in enumerate(cfg.flat_bandwidths):
        x_i, n_iso[j], t_iso[j], _ = run(10 * j + 1, h)
        x_t, n_tan[j], t_tan[j], _ = run(10 * j + 2, h, covariance=proj)
        _, n_plain[j], _, plain = run(10 * j + 3, h, antithetic=False)
        zbar = jnp.mean(plain.draws, axis=0)
        pred[j] = float(h * jnp.linalg.norm(zbar - proj @ zbar))
        test = metrics.mmd_test(jax.random.fold_in(k_test, j), x_i, x_t,
                                n_permutations=cfg.n_permutations)
        p_vals[j], mmd2[j] = float(test.p_value), float(test.mmd2)
    sizes = {"n": cfg.flat_n, "d": d, "k": 1, "b": cfg.n_samples, "M": cfg.flat_draws,
             "permutations": cfg.n_permutations}
    meta = make_meta("Prop 3.1, flat line", sizes, key, start, cfg.scale)
    return FlatResult(np.asarray(cfg.flat_bandwidths), p_vals, mmd2, normal_none, n_iso, n_tan,
                      n_plain, pred, t_iso, t_tan, meta)


def plot_flat(res: FlatResult):
    """Tangential-coordinate histograms (isotropic vs tangent-only) and normal spreads."""
    m = len(res.bandwidths)
    with plotting.style():
        fig, axes = plotting.figure(m + 1, width=3.0, height=2.7)
        for j, h in enumerate(res.bandwidths):
            ax = axes[0, j]
            bins = np.linspace(min(res.tangent_iso[j].min(), res.tangent_tangent[j].min()),
                               max(res.tangent_iso[j].max(), res.tangent_tangent[j].max()), 40)
            ax.hist(res.tangent_iso[j], bins=bins, alpha=0.5, label="isotropic kernel")
            ax.hist(res.tangent_tangent[j], bins=bins, alpha=0.5, label="tangent-only kernel")
            ax.set_title(f"bandwidth {h:g}: MMD p = {res.p_values[j]:.2f}")
            ax.set_xlabel("coordinate along the line")
            ax.set_ylabel("samples")
            ax.legend(fontsize=7)
        ax = axes[0, m]
        x = np.arange(m)
        w = 0.2
        floor = 1e-9
        for i, (vals, lab) in enumerate(((res.normal_iso, "isotropic, antithetic"),
                                         (res.normal_tangent, "tangent-only"),
                                         (res.normal_plain, "isotropic, plain draws"))):
            ax.bar(x + (i - 1) * w, np.maximum(vals, floor), w, label=lab)
        ax.plot(x + w, res.plain_prediction, "k_", ms=14, mew=2, label="$h\\|(I-P)\\bar z\\|$")
        ax.axhline(max(res.normal_none, floor), color="0.4", ls=":", label="no smoothing")
        ax.set_yscale("log")
        ax.set_xticks(x, [f"h = {h:g}" for h in res.bandwidths])
        ax.set_ylabel("mean distance to the line")
        ax.legend(fontsize=6.5)
        return plotting.finish(fig, res.meta)


# --- the wavy circle: which manifold? -------------------------------------------------------------

class WavyResult(NamedTuple):
    """Samples of the smoothed score on the wavy circle.

    Attributes: bandwidths: ``(m,)``. data: ``(n, 2)``. samples: ``(m, b, 2)`` of the first
    seed. amplitude, mean_radius: ``(m,)`` means over seeds of the amplitude of the 8th Fourier
    mode of the radius (least squares) and of the mean radius; amplitude_sd, radius_sd: ``(m,)``
    their standard deviations over seeds. curve: ``(g, 2)`` points of the curve. meta.
    """

    bandwidths: np.ndarray
    data: np.ndarray
    samples: np.ndarray
    amplitude: np.ndarray
    mean_radius: np.ndarray
    amplitude_sd: np.ndarray
    radius_sd: np.ndarray
    curve: np.ndarray
    meta: Meta


def fourier_amplitude(samples, frequency: int = 8) -> float:
    r"""Amplitude :math:`\sqrt{a^2+b^2}` of a least-squares fit
    :math:`r \approx c + a\sin(m\theta) + b\cos(m\theta)` of the samples' radius."""
    x = np.asarray(samples, np.float64)
    r, th = np.linalg.norm(x, axis=1), np.arctan2(x[:, 1], x[:, 0])
    design = np.stack([np.ones_like(th), np.sin(frequency * th), np.cos(frequency * th)], 1)
    coef = np.linalg.lstsq(design, r, rcond=None)[0]
    return float(np.hypot(coef[1], coef[2]))


def run_wavy(key, cfg: Config) -> WavyResult:
    """``cfg.wavy_n`` points equally spaced in arc length on :math:`r = 1 + 0.13\\sin 8\\theta`,
    sampled with the smoothed score at each of ``cfg.wavy_bandwidths``, for ``cfg.n_seeds``
    seeds (prior, sampler and kernel keys)."""
    start = time.perf_counter()
    process = VE(T=cfg.T)
    curve = WavyCircle(0.13, 8)
    low, high = curve.coord_low[0], curve.coord_high[0]
    u = low + (high - low) * jnp.arange(cfg.wavy_n, dtype=jnp.result_type(float)) / cfg.wavy_n
    data = curve.embed_coords(u[:, None])
    dense = curve.embed_coords((low + (high - low) * jnp.linspace(0, 1, 400))[:, None])
    emp = EmpiricalScore(data, process)
    samples, stats = [], np.zeros((cfg.n_seeds, len(cfg.wavy_bandwidths), 2))
    for r in progress(range(cfg.n_seeds), desc="wavy circle"):
        k_prior, k_draws, k_sde = jax.random.split(jax.random.fold_in(key, r), 3)
        x_T = process.prior_sample(k_prior, (cfg.wavy_samples, 2))
        for j, h in enumerate(cfg.wavy_bandwidths):
            x = np.asarray(_sample(k_sde, SmoothedScore(emp, h, cfg.wavy_draws, k_draws), x_T, cfg))
            if r == 0:
                samples.append(x)
            stats[r, j] = fourier_amplitude(x), float(np.mean(np.linalg.norm(x, axis=1)))
    mean, sd = stats.mean(axis=0), stats.std(axis=0)
    sizes = {"n": cfg.wavy_n, "b": cfg.wavy_samples, "M": cfg.wavy_draws, "steps": cfg.n_steps,
             "seeds": cfg.n_seeds}
    meta = make_meta("wavy circle", sizes, key, start, cfg.scale)
    return WavyResult(np.asarray(cfg.wavy_bandwidths), np.asarray(data), np.stack(samples),
                      mean[:, 0], mean[:, 1], sd[:, 0], sd[:, 1], np.asarray(dense), meta)


def plot_wavy(res: WavyResult):
    """Small multiples of the samples, and the 8th Fourier amplitude against the bandwidth."""
    m = len(res.bandwidths)
    ref = REFERENCE["wavy_amplitude"]
    with plotting.style():
        fig, axes = plotting.figure(m + 1, width=2.3, height=2.5)
        for j in range(m):
            ax = axes[0, j]
            ax.plot(res.curve[:, 0], res.curve[:, 1], color="0.7", lw=0.8, zorder=0)
            ax.scatter(res.data[:, 0], res.data[:, 1], s=14, marker="x", color="C3", zorder=3)
            ax.scatter(res.samples[j, :, 0], res.samples[j, :, 1], s=2, alpha=0.5, color="C0",
                       rasterized=True)
            ax.set_aspect("equal")
            ax.set_xlim(-1.3, 1.3)
            ax.set_ylim(-1.3, 1.3)
            ax.set_title(f"bandwidth {res.bandwidths[j]:g}")
        ax = axes[0, m]
        ax.errorbar(res.bandwidths, res.amplitude, yerr=res.amplitude_sd, fmt="o-", capsize=2,
                    label="measured (mean, sd over seeds)")
        ax.plot(list(ref), list(ref.values()), "x", ms=7, color="C1", label="CPU check")
        ax.axhline(0.13, color="0.5", ls=":", lw=1, label="the curve's 0.13")
        ax.set_xlabel("bandwidth $h$")
        ax.set_ylabel("8th Fourier amplitude of r")
        ax.legend(fontsize=6.5, loc="upper right")
        return plotting.finish(fig, res.meta, "grey: the wavy circle; crosses: training points")


# --- held-out likelihood ------------------------------------------------------------------------

class NLLResult(NamedTuple):
    """Held-out NLL of fresh circle points under the log-smoothed measure at time ``eps``.

    Attributes: bandwidths: ``(m,)``. nll: ``(m,)`` mean negative log-density (nats, density on
    :math:`\\mathbb R^2`) of ``points`` uniform points of the unit circle. train_nll: ``(m,)``
    the same at the training points. eps: the time. mass_outside: ``(m,)`` an upper estimate
    of the normalised mass beyond the quadrature box (density on its border times its area). meta.
    """

    bandwidths: np.ndarray
    nll: np.ndarray
    train_nll: np.ndarray
    eps: float
    mass_outside: np.ndarray
    meta: Meta


def run_nll(key, cfg: Config) -> NLLResult:
    r"""NLL of fresh circle points under :math:`q_h \propto \exp\big(\tfrac1M\sum_j
    \log\hat p_\epsilon(x + h z_j)\big)` (the paper's eq. 7 with a Gaussian kernel), normalised
    by quadrature on a square grid (exact up to grid error in :math:`d = 2`: the grid step is a
    third of :math:`\sqrt\epsilon` at the defaults).

    This is the law the paper's theorems describe, not the law of the reverse SDE run with the
    smoothed score (the smoothed scores at different times are not one process's scores);
    the paper's own NLL integrates the probability-flow ODE instead.
    """
    start = time.perf_counter()
    process = VE(T=cfg.T)
    data = circle_data(cfg.n_train)
    emp = EmpiricalScore(data, process)
    k_draws, k_points = jax.random.split(key)
    angle = jax.random.uniform(k_points, (cfg.nll_points,), maxval=2 * jnp.pi)
    fresh = jnp.stack([jnp.cos(angle), jnp.sin(angle)], axis=1)
    ax = jnp.linspace(-1.4, 1.4, cfg.nll_grid)
    area = float(ax[1] - ax[0]) ** 2
    xx, yy = jnp.meshgrid(ax, ax)
    grid = jnp.stack([xx.ravel(), yy.ravel()], axis=1)
    border = (jnp.abs(xx.ravel()) == ax[-1]) | (jnp.abs(yy.ravel()) == ax[-1])
    nll, train_nll, outside = [], [], []
    for h in cfg.nll_bandwidths:
        smooth = SmoothedScore(emp, h, cfg.nll_draws, k_draws)
        log_q = smooth.log_prob(grid, cfg.nll_eps)
        top = jnp.max(log_q)
        log_z = top + jnp.log(jnp.sum(jnp.exp(log_q - top)) * area)
        nll.append(float(jnp.mean(log_z - smooth.log_prob(fresh, cfg.nll_eps))))
        train_nll.append(float(jnp.mean(log_z - smooth.log_prob(data, cfg.nll_eps))))
        edge = jnp.max(jnp.where(border, log_q, -jnp.inf))
        outside.append(float(jnp.exp(edge - log_z) * (4 * 2.8 * 2.8)))
    sizes = {"n": cfg.n_train, "fresh points": cfg.nll_points, "M": cfg.nll_draws,
             "grid": f"{cfg.nll_grid}^2", "eps": cfg.nll_eps}
    meta = make_meta("held-out likelihood", sizes, key, start, cfg.scale)
    return NLLResult(np.asarray(cfg.nll_bandwidths), np.asarray(nll), np.asarray(train_nll),
                     cfg.nll_eps, np.asarray(outside), meta)


def plot_nll(res: NLLResult):
    """Held-out and training NLL against the bandwidth."""
    with plotting.style():
        fig, axes = plotting.figure(1, width=4.2, height=3.0)
        ax = axes[0, 0]
        ax.plot(res.bandwidths, res.nll, "o-", label="fresh points of the circle")
        ax.plot(res.bandwidths, res.train_nll, "s--", label="training points")
        best = int(np.argmin(res.nll))
        ax.plot(res.bandwidths[best], res.nll[best], "*", ms=12, color="C3",
                label=f"best held-out: h = {res.bandwidths[best]:g}")
        ax.set_xlabel("bandwidth $h$")
        ax.set_ylabel(f"NLL (nats) at $\\epsilon$ = {res.eps:g}")
        ax.legend(fontsize=7)
        return plotting.finish(fig, res.meta)


# --- anisotropic kernels: the kernel chooses the manifold ---------------------------------------

def lattice_data(n: int, spacing: float):
    """An ``n`` x ``n`` square lattice with the given spacing, centred at 0; ``(n*n, 2)``."""
    axis = spacing * (jnp.arange(n, dtype=jnp.result_type(float)) - (n - 1) / 2)
    xx, yy = jnp.meshgrid(axis, axis)
    return jnp.stack([xx.ravel(), yy.ravel()], axis=1)


def _lattice_offsets(samples, n: int, spacing: float):
    """Fractional position of each coordinate between lattice lines, in ``[0, 1)``; ``(b, 2)``."""
    low = -spacing * (n - 1) / 2
    return np.mod((np.asarray(samples, np.float64) - low) / spacing, 1.0)


class AnisotropicResult(NamedTuple):
    r"""One lattice, three Gaussian kernels: isotropic, elongated along :math:`x`, along :math:`y`.

    Attributes: kernels: names, ``(3,)``. covariances: ``(3, 2, 2)`` kernel covariances (times
    the bandwidth squared). bandwidth: the major-axis bandwidth. data: ``(n*n, 2)``. samples:
    ``(3, b, 2)`` of the first seed. on_rows, on_columns, row_gap, column_gap, cell_centre:
    ``(3,)`` means over seeds of the fractions of samples within a tenth of the spacing of a
    horizontal lattice line (a *row*), of a vertical one (a *column*), on a row and in the
    central half between two columns (new points along a row), the same for columns, and in the
    central quarter of a cell (off every line). per_seed: ``(s, 3, 5)``. spacing, meta.
    """

    kernels: tuple
    covariances: np.ndarray
    bandwidth: float
    data: np.ndarray
    samples: np.ndarray
    on_rows: np.ndarray
    on_columns: np.ndarray
    row_gap: np.ndarray
    column_gap: np.ndarray
    cell_centre: np.ndarray
    per_seed: np.ndarray
    spacing: float
    meta: Meta


def lattice_stats(samples, n: int, spacing: float):
    """(on rows, on columns, row gap, column gap, cell centre) fractions: see
    :class:`AnisotropicResult`."""
    frac = _lattice_offsets(samples, n, spacing)
    dist = np.minimum(frac, 1 - frac)                     # in units of the spacing
    central = (frac >= 0.25) & (frac < 0.75)
    row, col = dist[:, 1] < 0.1, dist[:, 0] < 0.1
    return (float(row.mean()), float(col.mean()), float((row & central[:, 0]).mean()),
            float((col & central[:, 1]).mean()), float((central[:, 0] & central[:, 1]).mean()))


def run_anisotropic(key, cfg: Config) -> AnisotropicResult:
    r"""Sample with the smoothed empirical score of a ``cfg.lattice_n`` x ``cfg.lattice_n``
    lattice (spacing ``cfg.lattice_spacing``) with three kernels of major bandwidth
    ``cfg.aniso_bandwidth``: isotropic, and elongated along :math:`x` or :math:`y` (covariance
    ``diag(1, r^2)`` or ``diag(r^2, 1)`` with ``r = cfg.aniso_ratio``). Prior, sampler and
    standard-normal draws are shared by the three kernels within a seed."""
    start = time.perf_counter()
    process = VE(T=cfg.T)
    data = lattice_data(cfg.lattice_n, cfg.lattice_spacing)
    emp = EmpiricalScore(data, process)
    r2 = cfg.aniso_ratio ** 2
    kernels = ("isotropic", "elongated along x", "elongated along y")
    covs = np.stack([np.eye(2), np.diag([1.0, r2]), np.diag([r2, 1.0])])
    samples, stats = [], np.zeros((cfg.n_seeds, 3, 5))
    for s in progress(range(cfg.n_seeds), desc="lattice"):
        k_prior, k_draws, k_sde = jax.random.split(jax.random.fold_in(key, s), 3)
        x_T = process.prior_sample(k_prior, (cfg.n_samples, 2))
        for j, cov in enumerate(covs):
            score = SmoothedScore(emp, cfg.aniso_bandwidth, cfg.n_draws, k_draws, covariance=cov)
            x = np.asarray(_sample(k_sde, score, x_T, cfg))
            if s == 0:
                samples.append(x)
            stats[s, j] = lattice_stats(x, cfg.lattice_n, cfg.lattice_spacing)
    m = stats.mean(axis=0)
    sizes = {"n": f"{cfg.lattice_n}x{cfg.lattice_n}", "spacing": cfg.lattice_spacing,
             "h": cfg.aniso_bandwidth, "ratio": cfg.aniso_ratio, "b": cfg.n_samples,
             "M": cfg.n_draws, "steps": cfg.n_steps, "seeds": cfg.n_seeds}
    meta = make_meta("anisotropic kernels on a lattice", sizes, key, start, cfg.scale)
    return AnisotropicResult(kernels, covs, cfg.aniso_bandwidth, np.asarray(data),
                             np.stack(samples), m[:, 0], m[:, 1], m[:, 2], m[:, 3], m[:, 4],
                             stats, cfg.lattice_spacing, meta)


def plot_anisotropic(res: AnisotropicResult):
    """The samples of each kernel over the lattice, with the kernel's 2-sd ellipse drawn at a
    cell centre, and the row/column/cell fractions as bars."""
    lim = res.spacing * (np.sqrt(len(res.data)) - 1) / 2 + 0.3 * res.spacing
    with plotting.style():
        fig, axes = plotting.figure(4, width=2.6, height=2.7)
        th = np.linspace(0, 2 * np.pi, 100)
        for j, name in enumerate(res.kernels):
            ax = axes[0, j]
            ax.scatter(res.samples[j, :, 0], res.samples[j, :, 1], s=3, alpha=0.5, color="C0",
                       rasterized=True, label="samples")
            ax.scatter(res.data[:, 0], res.data[:, 1], s=18, marker="x", color="C3", zorder=3,
                       label="training points")
            root = np.sqrt(np.diag(res.covariances[j]))
            c = res.spacing / 2
            ax.plot(c + 2 * res.bandwidth * root[0] * np.cos(th),
                    c + 2 * res.bandwidth * root[1] * np.sin(th), color="C2", lw=1.2,
                    label="kernel (2 sd)")
            ax.set_aspect("equal")
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_xlabel("$x$")
            ax.set_ylabel("$y$")
            ax.set_title(f"{name}\nrows {res.on_rows[j]:.2f}, columns {res.on_columns[j]:.2f}")
        axes[0, 0].legend(fontsize=6.5, loc="upper left", markerscale=2,
                          bbox_to_anchor=(0.0, -0.22), ncol=3)
        ax = axes[0, 3]
        x = np.arange(3)
        w = 0.2
        for i, (vals, lab) in enumerate(((res.on_rows, "on a row"),
                                         (res.on_columns, "on a column"),
                                         (res.row_gap, "row, between columns"),
                                         (res.column_gap, "column, between rows"))):
            ax.bar(x + (i - 1.5) * w, vals, w, label=lab)
        ax.set_xticks(x, ["isotropic", "along $x$", "along $y$"], fontsize=7)
        ax.set_ylabel("fraction of samples")
        ax.set_ylim(0, 1.6)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.legend(fontsize=6.5, ncol=2, loc="upper center")
        return plotting.finish(fig, res.meta, "row/column: within a tenth of the spacing of a "
                               "horizontal/vertical lattice line; between: central half of the "
                               "gap")


# --- interpolation on a segment (Chen 2025) -------------------------------------------------------

class SegmentResult(NamedTuple):
    r"""Smoothed sampling of ``n`` evenly spaced points on a segment of :math:`\mathbb R^2`.

    Attributes: bandwidths: ``(m,)``. data: ``(n, 2)``. direction, normal: unit vectors along
    and across the segment. spacing: distance between neighbours. along: ``(m, b)`` coordinates
    of the first seed's samples along the segment (0 at its centre). gap_fraction: ``(m,)``
    share of samples in the central half between two neighbours. memorized: ``(m,)`` share
    within a tenth of the spacing of a training point. normal_spread: ``(m,)`` mean
    :math:`|`normal coordinate:math:`|`. extent: ``(m,)`` mean over seeds of
    :math:`(\max - \min)` of the along-coordinates over the segment's length. gap_sd: ``(m,)``
    sd over seeds of the gap fraction. per_seed: ``(s, m, 4)``. t_min: last positive time. meta.
    """

    bandwidths: np.ndarray
    data: np.ndarray
    direction: np.ndarray
    normal: np.ndarray
    spacing: float
    along: np.ndarray
    gap_fraction: np.ndarray
    memorized: np.ndarray
    normal_spread: np.ndarray
    extent: np.ndarray
    gap_sd: np.ndarray
    per_seed: np.ndarray
    t_min: float
    meta: Meta


def segment_data(n: int, angle: float = 0.5):
    """``n`` evenly spaced points on the segment from ``-e`` to ``e``, ``e`` the unit vector at
    ``angle``; returns ``(data (n, 2), e, normal)``."""
    e = jnp.array([np.cos(angle), np.sin(angle)])
    normal = jnp.array([-np.sin(angle), np.cos(angle)])
    return jnp.linspace(-1.0, 1.0, n)[:, None] * e[None, :], e, normal


def run_segment(key, cfg: Config) -> SegmentResult:
    """Chen's setting: ``cfg.segment_n`` evenly spaced points on a segment of length 2 (tilted,
    so that the normal direction is no coordinate axis), smoothed-score sampling at each of
    ``cfg.segment_bandwidths`` with ``cfg.segment_draws`` antithetic draws, ``cfg.n_seeds``
    seeds (common random numbers across bandwidths within a seed)."""
    start = time.perf_counter()
    process = VE(T=cfg.T)
    data, e, normal = segment_data(cfg.segment_n)
    spacing = 2.0 / (cfg.segment_n - 1)
    emp = EmpiricalScore(data, process)
    m = len(cfg.segment_bandwidths)
    along_first, stats = np.zeros((m, cfg.n_samples)), np.zeros((cfg.n_seeds, m, 4))
    for s in progress(range(cfg.n_seeds), desc="segment"):
        k_prior, k_draws, k_sde = jax.random.split(jax.random.fold_in(key, s), 3)
        x_T = process.prior_sample(k_prior, (cfg.n_samples, 2))
        for j, h in enumerate(cfg.segment_bandwidths):
            x = np.asarray(_sample(k_sde, SmoothedScore(emp, h, cfg.segment_draws, k_draws),
                                   x_T, cfg), np.float64)
            a, nc = x @ np.asarray(e), x @ np.asarray(normal)
            if s == 0:
                along_first[j] = a
            frac = np.mod((a + 1.0) / spacing, 1.0)
            gap = float(np.mean((frac >= 0.25) & (frac < 0.75)))
            mem = float(np.mean(np.minimum(frac, 1 - frac) < 0.1))
            stats[s, j] = gap, mem, float(np.mean(np.abs(nc))), float(np.ptp(a) / 2.0)
    mean = stats.mean(axis=0)
    sizes = {"n": cfg.segment_n, "b": cfg.n_samples, "M": cfg.segment_draws,
             "steps": cfg.n_steps, "t_min": cfg.t_min, "seeds": cfg.n_seeds}
    meta = make_meta("interpolation on a segment", sizes, key, start, cfg.scale)
    return SegmentResult(np.asarray(cfg.segment_bandwidths), np.asarray(data), np.asarray(e),
                         np.asarray(normal), spacing, along_first, mean[:, 0], mean[:, 1],
                         mean[:, 2], mean[:, 3], stats[:, :, 0].std(axis=0), stats, cfg.t_min, meta)


def plot_segment(res: SegmentResult, bandwidths=None):
    """Histograms of the along-segment coordinate at a few bandwidths, and the gap, memorized
    and extent fractions and the normal spread against the bandwidth."""
    chosen = list(res.bandwidths) if bandwidths is None else list(bandwidths)
    rows = [int(np.argmin(np.abs(res.bandwidths - h))) for h in chosen]
    pos = np.asarray(res.data) @ res.direction
    with plotting.style():
        fig, axes = plotting.figure(3, width=3.3, height=2.8)
        ax = axes[0, 0]
        jitter = np.linspace(-0.3, 0.3, res.along.shape[1])
        for c, i in enumerate(rows):
            ax.scatter(res.along[i], c + jitter, s=3, alpha=0.5, color=f"C{c}", rasterized=True)
        for p in pos:
            ax.axvline(p, color="C3", lw=0.8, ls=":")
        ax.set_yticks(range(len(rows)), [f"h = {res.bandwidths[i]:g}" for i in rows])
        ax.set_xlabel("position along the segment (dotted: training points)")
        ax.set_ylabel("bandwidth (first seed)")
        ax = axes[0, 1]
        ax.errorbar(res.bandwidths, res.gap_fraction, yerr=res.gap_sd, fmt="s-", capsize=2,
                    label="between neighbours (central half)")
        ax.plot(res.bandwidths, res.memorized, "o-", label="at a training point")
        ax.plot(res.bandwidths, res.extent, "^-", label="extent / segment length")
        ax.axhline(0.5, color="0.5", ls=":", lw=1)
        ax.set_xlabel("bandwidth $h$")
        ax.set_ylabel("fraction")
        ax.set_ylim(0, 1.3)
        ax.legend(fontsize=6.5, loc="upper center", ncol=1)
        ax = axes[0, 2]
        ax.plot(res.bandwidths, np.maximum(res.normal_spread, 1e-12), "o-")
        ax.set_yscale("log")
        ax.set_ylim(1e-12, 1)
        ax.axhline(np.sqrt(res.t_min), color="0.5", ls="--", lw=1, label="noise sd at $t_{\\min}$")
        ax.set_xlabel("bandwidth $h$")
        ax.set_ylabel("mean normal distance")
        ax.legend(fontsize=6.5)
        return plotting.finish(fig, res.meta, f"{len(pos)} training points, spacing "
                               f"{res.spacing:.3f}; means over seeds, bars: sd")


# --- closed-form smoothed diffusion (Scarvelis et al.) ------------------------------------------

def cfdm_denoiser(z, t, data):
    r"""Closed-form posterior mean :math:`\mathbb E[x\mid z_t = z]` for
    :math:`z_t = t\,x + (1-t)\,\varepsilon`, :math:`x` uniform on ``data`` ``(n, d)``,
    :math:`\varepsilon\sim N(0, I)`: softmax weights :math:`\propto
    \exp(-\|z - t x_i\|^2 / 2(1-t)^2)`; ``z`` ``(b, d)``, ``0 <= t < 1``."""
    diff = z[:, None, :] - t * data[None, :, :]
    logits = -jnp.sum(diff ** 2, axis=-1) / (2 * (1 - t) ** 2)
    return jax.nn.softmax(logits, axis=-1) @ data


def cfdm_velocity(z, t, data, bandwidth: float = 0.0, draws=None):
    r"""Velocity of :math:`\sigma`-CFDM :cite:`scarvelis2025closedform` at ``(z, t)``.

    The flow-matching velocity :math:`v = \frac1t\big(z + (1-t)\,s(z, t)\big)` with the
    closed-form score :math:`s` of the path :math:`z_t = t\,x + (1-t)\,\varepsilon`, rewritten
    as :math:`v = (\hat x(z,t) - z)/(1-t)` (finite at :math:`t = 0`). With ``bandwidth`` and unit
    ``draws`` ``(M, b, d)`` whose mean over :math:`M` is 0 (antithetic pairs), the score is
    smoothed, :math:`\bar s = \frac1M\sum_j s(z + h u_j, t)`, which makes
    :math:`v = \big(\frac1M\sum_j\hat x(z + h u_j, t) - z\big)/(1-t)`: the posterior means at the
    perturbed points are averaged.
    """
    if draws is None or bandwidth == 0:
        return (cfdm_denoiser(z, t, data) - z) / (1 - t)
    means = jax.vmap(lambda u: cfdm_denoiser(z + bandwidth * u, t, data))(draws)
    return (jnp.mean(means, axis=0) - z) / (1 - t)


@jax.jit
def _cfdm_flow(key, z0, data, bandwidth, n_draws_half):
    n_steps = key.shape[0]
    times = jnp.arange(n_steps, dtype=jnp.result_type(float)) / n_steps

    def step(z, inputs):
        t, k = inputs
        u = jax.random.normal(k, (n_draws_half.shape[0],) + z.shape)
        draws = jnp.concatenate([u, -u], axis=0)
        return z + cfdm_velocity(z, t, data, 1.0, bandwidth * draws) / n_steps, None

    z, _ = jax.lax.scan(step, z0, (times, key))
    return z


def cfdm_sample(key, data, n_samples: int, *, bandwidth: float = 0.0, n_draws: int = 2,
                n_steps: int = 100):
    r""":math:`\sigma`-CFDM samples: Euler steps of :func:`cfdm_velocity` at
    :math:`t_k = k/S` from :math:`z_0\sim N(0, I)` to :math:`t = 1` (the last step lands on the
    smoothed posterior mean), with ``n_draws`` fresh antithetic draws (``n_draws`` even) per step
    and per sample; ``bandwidth`` 0 is the unsmoothed closed-form model. Returns ``(b, d)``."""
    if n_draws < 2 or n_draws % 2:
        raise ValueError(f"n_draws: expected an even number >= 2, got {n_draws!r}")
    if not bandwidth >= 0:
        raise ValueError(f"bandwidth: expected a number >= 0, got {bandwidth!r}")
    data = jnp.asarray(data)
    k_prior, k_steps = jax.random.split(key)
    z0 = jax.random.normal(k_prior, (n_samples, data.shape[1]), data.dtype)
    return _cfdm_flow(jax.random.split(k_steps, n_steps), z0, data,
                      jnp.asarray(bandwidth, data.dtype), jnp.zeros(n_draws // 2))


class CFDMResult(NamedTuple):
    """σ-CFDM on two moons, one row per bandwidth.

    Attributes: bandwidths: ``(m,)``. data: ``(n, 2)``. samples: ``(m, b, 2)``. at_train:
    ``(m,)`` share of outputs within ``tol`` of a training point. at_midpoint: ``(m,)`` share
    within ``tol`` of the midpoint of two *distinct* training points. distinct: ``(m,)`` number of
    distinct outputs (rounded to ``tol``). nearest: ``(m,)`` mean distance to the nearest
    training point. tol, meta.
    """

    bandwidths: np.ndarray
    data: np.ndarray
    samples: np.ndarray
    at_train: np.ndarray
    at_midpoint: np.ndarray
    distinct: np.ndarray
    nearest: np.ndarray
    tol: float
    meta: Meta


def run_cfdm(key, cfg: Config, tol: float = 1e-3) -> CFDMResult:
    """σ-CFDM (``cfg.cfdm_steps`` Euler steps, ``cfg.cfdm_draws`` draws) on ``cfg.moons_n``
    noise-free two-moons points (scikit-learn, ``random_state=0``), ``cfg.cfdm_samples``
    outputs at each of ``cfg.cfdm_bandwidths`` (same prior and step keys for all)."""
    from sklearn.datasets import make_moons

    start = time.perf_counter()
    data = jnp.asarray(make_moons(cfg.moons_n, noise=0.0, random_state=0)[0],
                       jnp.result_type(float))
    d = np.asarray(data, np.float64)
    pairs = np.triu_indices(len(d), k=1)
    mids = 0.5 * (d[pairs[0]] + d[pairs[1]])
    samples, stats = [], []
    for h in cfg.cfdm_bandwidths:
        x = np.asarray(cfdm_sample(key, data, cfg.cfdm_samples, bandwidth=h,
                                   n_draws=cfg.cfdm_draws, n_steps=cfg.cfdm_steps), np.float64)
        samples.append(x)
        near = np.min(np.linalg.norm(x[:, None, :] - d[None, :, :], axis=-1), axis=1)
        near_mid = np.min(np.linalg.norm(x[:, None, :] - mids[None, :, :], axis=-1), axis=1)
        stats.append((np.mean(near < tol), np.mean((near_mid < tol) & (near >= tol)),
                      len(np.unique(np.round(x / tol), axis=0)), np.mean(near)))
    st = np.asarray(stats, np.float64)
    sizes = {"n": cfg.moons_n, "b": cfg.cfdm_samples, "S": cfg.cfdm_steps, "M": cfg.cfdm_draws}
    meta = make_meta("sigma-CFDM, two moons", sizes, key, start, cfg.scale)
    return CFDMResult(np.asarray(cfg.cfdm_bandwidths), d, np.stack(samples), st[:, 0], st[:, 1],
                      st[:, 2], st[:, 3], tol, meta)


def plot_cfdm(res: CFDMResult, bandwidths=None):
    """Outputs of σ-CFDM at a few bandwidths over the training set, and the shares at training
    points and at midpoints against the bandwidth."""
    chosen = list(res.bandwidths) if bandwidths is None else list(bandwidths)
    rows = [int(np.argmin(np.abs(res.bandwidths - h))) for h in chosen]
    with plotting.style():
        fig, axes = plotting.figure(len(rows) + 1, width=2.8, height=2.6)
        for ax, i in zip(axes[0], rows):
            ax.scatter(res.samples[i, :, 0], res.samples[i, :, 1], s=4, alpha=0.5, color="C0",
                       rasterized=True, label="outputs")
            ax.scatter(res.data[:, 0], res.data[:, 1], s=14, marker="x", color="C3", zorder=3,
                       label="training points")
            ax.set_title(f"bandwidth {res.bandwidths[i]:g}\nat training points "
                         f"{res.at_train[i]:.2f}")
            ax.set_aspect("equal")
            ax.set_xlabel("$x_1$")
            ax.set_ylabel("$x_2$")
        axes[0, 0].legend(fontsize=6.5, loc="lower left", markerscale=2)
        ax = axes[0, len(rows)]
        ax.plot(res.bandwidths, res.at_train, "o-", label="at a training point")
        ax.plot(res.bandwidths, res.at_midpoint, "s-", label="at a midpoint of two")
        ax.set_xlabel("bandwidth $h$ (the paper's $\\sigma$)")
        ax.set_ylabel(f"fraction (within {res.tol:g})")
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize=6.5)
        return plotting.finish(fig, res.meta, "σ-CFDM: z_t = t x + (1-t) ε, fresh antithetic "
                               "draws per step")


# --- a bandwidth widget on the circle ------------------------------------------------------------

class CircleFrame(NamedTuple):
    """One frame of :func:`bandwidth_widget`: samples of the 12-point circle at one bandwidth.

    Attributes: bandwidth. data: ``(n, 2)``. samples: ``(b, 2)``. radius: ``(b,)``.
    gap_fraction, memorized, radial_error: scalars (as in :class:`CircleSweep`). meta.
    """

    bandwidth: float
    data: np.ndarray
    samples: np.ndarray
    radius: np.ndarray
    gap_fraction: float
    memorized: float
    radial_error: float
    meta: Meta


def circle_frame(key, cfg: Config, bandwidth: float) -> CircleFrame:
    """Sample ``cfg.widget_samples`` points with ``cfg.widget_draws`` kernel draws at one
    bandwidth (the prior, sampler and kernel keys depend on ``key`` only, so frames at different
    bandwidths share their random numbers)."""
    start = time.perf_counter()
    process = VE(T=cfg.T)
    data = circle_data(cfg.n_train)
    k_prior, k_draws, k_sde = jax.random.split(key, 3)
    x_T = process.prior_sample(k_prior, (cfg.widget_samples, 2))
    score = SmoothedScore(EmpiricalScore(data, process), bandwidth, cfg.widget_draws, k_draws)
    x = np.asarray(_sample(k_sde, score, x_T, cfg))
    rerr, _, _, gap, mem = _circle_stats(x, data, cfg.n_train)
    sizes = {"n": cfg.n_train, "b": cfg.widget_samples, "M": cfg.widget_draws,
             "steps": cfg.n_steps}
    meta = make_meta("circle, one bandwidth", sizes, key, start, cfg.scale)
    return CircleFrame(float(bandwidth), np.asarray(data), x, np.linalg.norm(x, axis=1), gap,
                       mem, rerr, meta)


def plot_circle_frame(frame: CircleFrame):
    """Samples over the circle, and the histogram of their radius."""
    with plotting.style():
        fig, axes = plotting.figure(2, width=3.0, height=2.9)
        ax = axes[0, 0]
        _circle_axes(ax, frame.data)
        ax.scatter(frame.samples[:, 0], frame.samples[:, 1], s=4, alpha=0.5, color="C0",
                   rasterized=True, label="samples")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.set_title(f"bandwidth {frame.bandwidth:.2f}: gap {frame.gap_fraction:.2f}, "
                     f"memorized {frame.memorized:.2f}", fontsize=8)
        ax.legend(fontsize=6.5, loc="center", markerscale=2)
        ax = axes[0, 1]
        ax.hist(frame.radius, bins=np.linspace(0, 1.4, 57), color="C0")
        ax.axvline(1.0, color="0.5", ls=":", lw=1)
        ax.set_xlabel("radius $r$ of the samples")
        ax.set_ylabel("samples")
        ax.set_title(f"mean $|r-1|$ = {frame.radial_error:.3f}", fontsize=8)
        return plotting.finish(fig, frame.meta, "gap = share in the central half of the arcs "
                               "between training points (0.5 if uniform)")


def bandwidth_widget(key, cfg: Config, bandwidths=None, *, value: float = 0.25,
                     draw_now: bool = False):
    """An ``ipywidgets`` slider over ``bandwidths`` (default 0 to 0.5 by 0.025, starting at
    ``value``) that redraws :func:`plot_circle_frame` for the chosen bandwidth (a few hundred
    samples, few draws: about a second per frame on a CPU). Returns ``(widget, update)``:
    ``update(bandwidth)`` computes and draws one frame into the widget's output; the slider calls
    it. Nothing is computed at construction unless ``draw_now``."""
    values = np.round(np.arange(0.0, 0.5001, 0.025), 3) if bandwidths is None else bandwidths
    return widgets.slider([float(v) for v in values],
                          lambda h: circle_frame(key, cfg, float(h)), plot_circle_frame,
                          value=value, description="bandwidth", draw_now=draw_now)
