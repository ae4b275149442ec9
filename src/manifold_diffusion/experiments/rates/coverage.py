r"""Claims 2 and 3: a coarse score *learned* from :math:`N` points covers a curve; its law is its own.

For each curve of :data:`~.settings.CURVES` (two :math:`C^\beta` families at :math:`\beta` = 2.5 and 4.5,
and the analytic ellipse), the smooth data law, each :math:`N` and seed: the ridge coarse score is
fitted by DSM on the band :math:`[\sigma_{\rm lo}, \sigma_{\rm hi}]` only, the sampler runs the
large-noise stage (noised empirical law of the :math:`N` points at :math:`\sigma_{\rm hi}`), the
reverse SDE down to a grid of stopping levels and one Tweedie step, and the outputs are counted
(:mod:`._sweep`): :math:`\delta_C(N)` at :math:`\sigma_0^*(N)`, fidelity quantiles, the along-curve
coverage, against the memorization ceiling (the training set's own coverage scale).

Beside it, labelled as an **idealised reference** and never in the headline: the exact-projection
sampler of earlier versions of the chapter (:func:`~manifold_diffusion.scores.coarse.hybrid_sample`
on a Fourier fit :math:`\hat M` of the noiseless points), whose fidelity is that of :math:`\hat M` by
construction.

Claim 3 from the same runs (first curve only): :math:`W_1` along the curve from the outputs at
:math:`\sigma_0^*` to the data law, and to the law of the same sampler trained on ``reference_n``
points (the law the sampler converges to), with the Monte Carlo floor of :math:`W_1` at ``n_gen``
samples (an exact sample of the data law scored the same way).

Fixed constants: coverage constant :math:`C = 4`, fidelity allowance :math:`\alpha = 0.01`, 50 expected
samples in the sparsest resolved ball, 34 radii from :math:`5\cdot10^{-4}` to 1.
"""

import dataclasses
import math
from typing import NamedTuple

import jax
import numpy as np

from ... import plotting
from ...keys import named_keys
from ...manifolds.estimate import fit_fourier_curve
from ...metrics import coverage as cov
from ...scores.coarse import hybrid_sample
from ..harness import ExperimentConfig, Meta, experiment
from . import _plots, _sweep, settings

__all__ = ["Config", "Result", "run", "plot", "plot_maps", "plot_target", "DELTAS", "C", "ALPHA"]

#: Radii of the coverage curves.
DELTAS = tuple(float(v) for v in np.geomspace(5e-4, 1.0, 34))
#: Coverage constant and fidelity allowance.
C, ALPHA = 4.0, 0.01
_MAP_DELTAS = np.geomspace(1e-3, 0.5, 24)
_REFERENCE_SAMPLES = 20_000


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    r"""Attributes: settings: curve names (:func:`~.settings.curve`); ns: training sizes; n_seeds:
    training sets per size; n_gen: generated samples per run (sets the counting floor);
    sigma_band: :math:`(\sigma_{\rm lo}, \sigma_{\rm hi})`, the only noise levels the score is fitted on;
    n_levels: levels of the sampler's geometric grid; n_stops: the lowest levels, the candidate
    stopping levels :math:`\sigma_0`; reference_n: size of claim 3's large-:math:`N` run; method:
    ``"sde"`` or ``"ode"``."""

    settings: tuple[str, ...] = settings.CURVES
    ns: tuple[int, ...] = (256, 1024, 4096)
    n_seeds: int = 3
    n_gen: int = 200_000
    sigma_band: tuple[float, float] = (1e-3, 0.3)
    n_levels: int = 12
    n_stops: int = 6
    reference_n: int = 8192
    method: str = "sde"
    overrides = {"quick": dict(ns=(128,), n_seeds=2, n_gen=5_000, n_levels=8, n_stops=4,
                               reference_n=128),
                 "large": dict(ns=(256, 1024, 4096, 16384), n_seeds=5, n_gen=2_000_000,
                               reference_n=65536)}


class Result(NamedTuple):
    r"""Counted coverage of the learned coarse-score sampler on the curves, and claim 3.

    Attributes:
      sweep: the :class:`._sweep.SweepResult` of every curve.
      reference_q99: ``(n_N,)`` 99 % fidelity quantile of the idealised exact-projection sampler
        (first curve, first seed): a reference, not a learned model.
      map_deltas, maps, maps_empirical: ``(g,)``, ``(n_N, g, 200)`` ratio maps of the first curve's
        first seed at :math:`\sigma_0^*` and of its training set.
      w1_data, w1_limit: ``(n_N, n_seeds)`` claim 3 on the first curve: :math:`W_1` along the curve
        from the outputs to the data law and to the ``reference_n`` run's outputs.
      w1_reference: :math:`W_1` of the reference run to the data law (where the distance to the data
        law must stop). w1_floor: :math:`W_1` of an exact sample of ``n_gen`` points to the data law
        (the Monte Carlo floor of these distances). reference_n: that size.
      target_fits: ``{"w1lim", "w1data"}`` slope fits.
    """

    sweep: _sweep.SweepResult
    reference_q99: np.ndarray
    map_deltas: np.ndarray
    maps: np.ndarray
    maps_empirical: np.ndarray
    w1_data: np.ndarray
    w1_limit: np.ndarray
    w1_reference: float
    w1_floor: float
    reference_n: int
    target_fits: dict
    meta: Meta | None = None

    def summary(self) -> dict:
        """The sweep's summary (:meth:`._sweep.SweepResult.summary`), plus ``floor`` (the largest
        counting floor), ``C``, ``alpha``, claim 3's ``w1lim_*``, ``w1data_*``, ``w1data_last``,
        ``w1lim_last``, ``w1_reference``, ``w1_floor``, ``reference_n``, ``reference_q99_last``,
        ``w1lim_over_data_last`` (distance to the limit over distance to the data law at the largest N),
        ``reference_ratio`` (``reference_n`` over the largest N), and from the ratio maps (seed 0)
        ``map_fail_{first,last}`` (share of resolved cells outside ``[1/C, C]`` at the smallest / largest
        N) and ``map_fail_y_{first,last}`` (median centre of the failing columns, ``nan`` if none)."""
        out = self.sweep.summary()
        out.update(floor=float(np.max(self.sweep.floor)), C=C, alpha=ALPHA)
        for name, fit in self.target_fits.items():
            for part, value in (("slope", "slope"), ("low", "ci_low"), ("high", "ci_high")):
                out[f"{name}_{part}"] = math.nan if fit is None else float(getattr(fit, value))
        out["w1data_last"] = float(np.median(self.w1_data[-1]))
        out["w1lim_last"] = float(np.median(self.w1_limit[-1]))
        out["w1_reference"], out["w1_floor"] = self.w1_reference, self.w1_floor
        out["reference_n"] = int(self.reference_n)
        out["reference_q99_last"] = float(self.reference_q99[-1])
        out["w1lim_over_data_last"] = out["w1lim_last"] / out["w1data_last"]
        out["reference_ratio"] = float(self.reference_n / self.sweep.ns[-1])
        resolved = self.map_deltas >= float(self.sweep.floor[0])
        centres = (np.arange(self.maps.shape[-1]) + 0.5) / self.maps.shape[-1]
        for name, a in (("first", 0), ("last", -1)):
            bad = ~((self.maps[a] >= 1 / C) & (self.maps[a] <= C)) & resolved[:, None]
            out[f"map_fail_{name}"] = float(bad.sum() / max(1, resolved.sum() * bad.shape[1]))
            cols = np.any(bad, axis=0)
            out[f"map_fail_y_{name}"] = float(np.median(centres[cols])) if cols.any() else math.nan
        return out


def _estimator_text(config) -> str:
    lo, hi = config.sigma_band
    return (f"ridge on random Fourier features of (x, log σ), m(N) = ⌈16√N⌉, DSM on σ ∈ [{lo:g}, {hi:g}]; "
            f"{config.method.upper()} from σ_hi = {hi:g} (noised empirical law), Tweedie at σ0")


def _idealised_q99(manifold, data, n, sigma_hi, key):
    """99 % fidelity quantile of the idealised exact-projection sampler on a Fourier fit."""
    est = fit_fourier_curve(data)
    out = hybrid_sample(key, data, est, n, t_s=sigma_hi ** 2, closed_form=True)
    _, r = cov.CurveLocator(manifold)(np.asarray(out))
    return float(np.quantile(r, 0.99))


@experiment("coverage of a learned coarse score", sizes=lambda c: {
    "curves": len(c.settings), "N": f"{c.ns[0]}..{c.ns[-1]}", "seeds": c.n_seeds, "n_gen": c.n_gen,
    "band": f"[{c.sigma_band[0]:g}, {c.sigma_band[1]:g}]"})
def run(key, config: Config) -> Result:
    """Every curve of ``config`` (module docstring)."""
    if config.method not in ("sde", "ode"):
        raise ValueError(f"config.method: expected 'sde' or 'ode', got {config.method!r}")
    keys = named_keys(key, "sweep", "reference", "idealised", "floor", "bootstrap")
    dens = settings.density("smooth")
    first = settings.curve(config.settings[0])
    length = first.volume

    def keep(setting, seed, located, data, coords):
        """What claim 3 and the maps need from the first curve's runs."""
        if setting != 0:
            return None
        u, r = located
        out = dict(u=u)
        if seed == 0:
            out.update(map=cov.arc_ratio_map(u, length, _MAP_DELTAS, density=dens, distances=r),
                       map_empirical=cov.arc_ratio_map(coords[:, 0], length, _MAP_DELTAS, density=dens),
                       data=np.asarray(data))
        return out

    entries = [_sweep.Entry(name, settings.curve(name), dens, settings.regularity(name),
                            tuple(config.sigma_band)) for name in config.settings]
    opts = dict(n_seeds=config.n_seeds, n_gen=config.n_gen, n_levels=config.n_levels,
                n_stops=config.n_stops, deltas=np.asarray(DELTAS), C=C, alpha=ALPHA, method=config.method)
    res = _sweep.sweep(keys.sweep, entries, config.ns, estimator_text=_estimator_text(config), keep=keep,
                       **opts)
    kept = res.kept[0]
    # claim 3: the law the sampler converges to, from a large-N run of the first curve
    ref = _sweep.run_setting(keys.reference, first, dens, (config.reference_n,),
                             sigma_band=tuple(config.sigma_band), keep=lambda *a: a[1][0],
                             desc="reference", **(opts | dict(n_seeds=1)))
    u_ref = np.sort(ref.kept[0][0])

    def ref_cdf(s):
        """Empirical CDF of the reference run's arc lengths."""
        return np.searchsorted(u_ref, s, side="right") / u_ref.shape[0]

    w1_data = np.array([[cov.circular_w1(k["u"], length, dens) for k in per_n] for per_n in kept])
    w1_limit = np.array([[cov.circular_w1(k["u"], length, cdf=ref_cdf) for k in per_n] for per_n in kept])
    exact = np.asarray(first.sample_with_coords(keys.floor, config.n_gen, dens)[1])[:, 0]
    boot = jax.random.split(keys.bootstrap, 2)
    every = np.ones(len(config.ns), bool)
    target_fits = {"w1lim": _sweep.fit_where(config.ns, w1_limit, every, boot[0])[0],
                   "w1data": _sweep.fit_where(config.ns, w1_data, every, boot[1])[0]}
    # the idealised reference: exact projection onto a Fourier fit of the first seed's points
    ideal = jax.random.split(keys.idealised, len(config.ns))
    reference_q99 = np.array([_idealised_q99(first, jax.numpy.asarray(per_n[0]["data"]), _REFERENCE_SAMPLES,
                                             config.sigma_band[1], ideal[a]) for a, per_n in enumerate(kept)])
    return Result(res._replace(kept=()), reference_q99, _MAP_DELTAS,
                  np.stack([per_n[0]["map"] for per_n in kept]),
                  np.stack([per_n[0]["map_empirical"] for per_n in kept]), w1_data, w1_limit,
                  float(cov.circular_w1(u_ref, length, dens)), float(cov.circular_w1(exact, length, dens)),
                  int(config.reference_n), target_fits)


def _label(name: str) -> str:
    beta = settings.regularity(name)
    return name if math.isfinite(beta) else "ellipse (analytic)"


def plot(result: Result):
    r"""Three panels and a legend panel: the counted coverage scale (with its floor, the memorization
    ceiling), the fidelity at :math:`\sigma_0^*` against both exponents (with the idealised
    reference), and the fidelity over the stopping levels (first curve)."""
    full = _sweep.check_result(result, Result)
    res = full.sweep
    fig, axes = plotting.figure(2, 2, width=3.4, height=2.6)
    ns = res.ns
    with plotting.style():
        ax = axes[0, 0]
        for b, name in enumerate(res.labels):
            _plots.band(ax, ns, res.delta_c[b].T, _label(name), fitted=res.masks[f"{name}:delta_c"],
                        color=f"C{b}")
        _plots.band(ax, ns, res.empirical[0].T, "training set", color="k", ls="--")
        ax.set(xscale="log", yscale="log", xlabel="N", ylabel=r"$\delta_C$ (counted, $\alpha$ = 0.01)",
               title="coverage scale")
        _plots.floor_line(ax, float(np.max(res.floor)), x=ns, below=True)
        ax.margins(y=0.15)
        ax = axes[0, 1]
        for b, name in enumerate(res.labels):          # colours as in the left panel
            _plots.band(ax, ns, res.fidelity[b, :, :, 1].T, None, fitted=res.masks[f"{name}:q99"],
                        color=f"C{b}")
        _plots.exponent_guides(ax, ns, res.fidelity[..., 1], res.betas, res.ks)
        ax.plot(ns, full.reference_q99, color="0.5", ls=":", marker="x", ms=4,
                label="idealised projection")
        _plots.floor_line(ax, float(np.max(res.floor)), "counting floor of δ_C", x=ns, below=True)
        ax.set(xscale="log", yscale="log", xlabel="N", ylabel=r"$q_{0.99}$ of dist$(\hat x, M)$ at $\sigma_0^*$",
               title="fidelity (dotted: A, dash-dot: B)")
        ax.margins(y=0.15)
        ax = axes[1, 0]
        for a, n in enumerate(ns):
            pil = res.pilot[0, a]                                 # (seeds, stops)
            line = _plots.band(ax, res.stop_sigmas[0], pil, f"N = {n}", color=_color(a))
            best = np.exp(np.mean(np.log(res.sigma0[0, a])))
            ax.axvline(best, color=line.get_color(), lw=0.6, ls=":")
        ax.set(xscale="log", yscale="log", xlabel=r"stopping level $\sigma_0$",
               ylabel=r"$q_{0.99}$ (pilot)", title=f"stopping level (dotted: σ0*), {_label(res.labels[0])}")
        ax = axes[1, 1]                                   # the legend, off the data
        ax.axis("off")
        left, right = ([], []), ([], [])   # first column: curves and references; second: guides, sizes
        for other in (axes[0, 0], axes[0, 1], axes[1, 0]):
            for h, lab in zip(*other.get_legend_handles_labels()):
                column = right if lab.startswith(("A:", "B:", "N =")) else left
                column[0].append(h)
                column[1].append(lab)
        rows = max(len(left[0]), len(right[0]))
        for column in (left, right):              # pad so that the second column starts at the top
            while len(column[0]) < rows:
                column[0].append(_blank())
                column[1].append("")
        handles, labels = left[0] + right[0], left[1] + right[1]
        ax.legend(handles, labels, loc="center", ncol=2, fontsize=8, frameon=False, handlelength=1.5,
                  columnspacing=0.8)
    note = (f"{res.estimator}. Filled points: used in the slope fits; hollow: excluded (along-curve law "
            "not covering at every seed, or δ_C at the counting floor). Bands: min-max over seeds.")
    return plotting.finish(_plots.log_ticks(fig, ns), full.meta, note)


def _blank():
    """An invisible legend handle (pads a legend column)."""
    from matplotlib.lines import Line2D

    return Line2D([], [], alpha=0.0)


def _color(i: int) -> tuple:
    """The i-th colour of a sequential palette (sizes N)."""
    import matplotlib

    return matplotlib.colormaps["viridis"](0.15 + 0.7 * i / max(1, 3))


def plot_maps(result: Result):
    """Ratio maps :math:`\\rho(y, \\delta)` of the first curve: the training set (memorization) and the
    learned sampler's outputs at :math:`\\sigma_0^*`, one row per :math:`N`."""
    import matplotlib.colors as mcolors

    res = _sweep.check_result(result, Result)
    n_n = len(res.sweep.ns)
    fig, axes = plotting.figure(2, n_n, width=3.2, height=2.1)
    centres = (np.arange(res.maps.shape[-1]) + 0.5) / res.maps.shape[-1]
    with plotting.style():
        for a, n in enumerate(res.sweep.ns):
            for c, (ratio, title, floor) in enumerate(((res.maps_empirical[a], "training set", 0.0),
                                                       (res.maps[a], "learned coarse sampler",
                                                        res.sweep.floor[0]))):
                ax = axes[a, c]
                img = np.log10(np.clip(ratio, 1e-3, 1e3))
                img[res.map_deltas < floor] = np.nan
                ax.set_facecolor("0.85")
                mesh = ax.pcolormesh(centres, res.map_deltas, img, cmap="RdBu_r",
                                     norm=mcolors.Normalize(-2, 2), shading="auto")
                ok = ((ratio >= 1 / C) & (ratio <= C)).astype(float)
                ok[res.map_deltas < floor] = 1.0
                if 0 < ok.mean() < 1:
                    ax.contour(centres, res.map_deltas, ok, levels=[0.5], colors="k", linewidths=0.6)
                if floor > 0:
                    ax.axhline(floor, color="k", ls="--", lw=0.8)
                ax.set(yscale="log", title=f"{title}, N = {n}", ylabel=r"$\delta$",
                       xlabel="centre y (fraction of arc length)" if a == n_n - 1 else None)
        fig.colorbar(mesh, ax=axes[:, -1], label=r"$\log_{10}\rho(y,\delta)$", shrink=0.8)
    note = (f"{_label(res.sweep.labels[0])}, seed 0. Red: too much mass, blue: too little; black: boundary "
            f"of [1/C, C], C = {C:g}; grey below the dashed line: unresolved by the generated sample "
            "(counting floor). Ratios count only samples within δ of M.")
    return plotting.finish(fig, res.meta, note)


def plot_target(result: Result):
    """Claim 3: :math:`W_1` along the curve to the data law and to the sampler's own limit."""
    res = _sweep.check_result(result, Result)
    fig, axes = plotting.figure(1, 1, width=4.2, height=3.1)
    with plotting.style():
        ax = axes[0, 0]
        ns = res.sweep.ns
        _plots.band(ax, ns, res.w1_data.T, "to the data law", color="C3")
        _plots.band(ax, ns, res.w1_limit.T, f"to its own limit (N = {res.reference_n} run)", color="C0")
        ax.axhline(res.w1_reference, color="C3", lw=0.8, ls=":")
        ax.text(ns[0], res.w1_reference * 1.08, "its limit to the data law", fontsize=7, color="C3")
        _plots.floor_line(ax, res.w1_floor, "counting floor (exact sample)", x=ns)
        ax.set(xscale="log", yscale="log", xlabel="N", ylabel=r"$W_1$ along the curve",
               title=f"the sampler's law, {_label(res.sweep.labels[0])}")
        ax.legend(fontsize=7)
    note = ("outputs at σ0* of the learned coarse sampler; limit: the same sampler trained on the "
            "reference size; floor: an exact sample of the data law of the same size, scored the same way.")
    return plotting.finish(_plots.log_ticks(fig, res.sweep.ns), res.meta, note)
