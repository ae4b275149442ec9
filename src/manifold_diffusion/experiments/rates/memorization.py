r"""Claim 1: memorization covers slowly. The coverage scale of the empirical measure of :math:`N` points.

A model that memorizes reproduces its training points: its law is (at best) the empirical measure
of the :math:`N` points, which is its own sample, so its coverage scale is computed exactly -- no
counting floor. On a curve (:math:`k = 1`, the first curve of the chapter with the smooth law) and
on the surface :class:`~manifold_diffusion.manifolds.RoughSphere` (:math:`k = 2`, uniform law, chord
caps): the coverage scale against :math:`N`, set beside :math:`-1/k` and the local slope of
:math:`(\log N/N)^{1/k}` (a ball inside the largest gap is empty; the largest gap of :math:`N` uniform
points is of order :math:`\log N/N` on a curve, its :math:`k`-dimensional analogue on a surface); and,
for :math:`k = 1`, half the largest gap and :math:`W_1` along the curve (whose rate for :math:`k = 1` is
:math:`N^{-1/2}`, not :math:`N^{-1/k}`).
"""

import dataclasses
import math
from typing import NamedTuple

import jax
import numpy as np

from ... import plotting
from ...keys import named_keys
from ...metrics import coverage as cov
from ..harness import ExperimentConfig, Meta, experiment, progress
from . import _plots, _sweep, settings

__all__ = ["Config", "Result", "run", "plot", "local_slope"]

_DELTAS_CURVE = np.geomspace(1e-4, 1.0, 60)
_DELTAS_SURFACE = np.geomspace(0.01, 1.2, 20)


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Attributes: curve, surface: setting names; ns_curve, ns_surface: sizes; n_seeds: training
    sets per size."""

    curve: str = "rough-2.5"
    surface: str = "rough-sphere-4.5"
    ns_curve: tuple[int, ...] = (256, 512, 1024, 2048, 4096, 8192, 16384)
    ns_surface: tuple[int, ...] = (256, 512, 1024, 2048, 4096)
    n_seeds: int = 3
    overrides = {"quick": dict(ns_curve=(256, 1024, 4096), ns_surface=(256, 1024), n_seeds=3),
                 "large": dict(ns_curve=(256, 1024, 4096, 16384, 65536, 262144),
                               ns_surface=(256, 1024, 4096, 16384, 65536), n_seeds=10)}


def local_slope(ns, power: float) -> float:
    r"""The slope of :math:`(\log N/N)^{p}` at the geometric mean :math:`\bar N` of ``ns``:
    :math:`-p(1 - 1/\log\bar N)`, what a log-log fit over these sizes sees of the gap law."""
    ns = np.asarray(ns, np.float64)
    if ns.ndim != 1 or ns.size == 0 or np.any(ns <= 1):
        raise ValueError(f"ns: expected sizes > 1, got {ns}")
    return -power * (1.0 - 1.0 / float(np.mean(np.log(ns))))


class Result(NamedTuple):
    """Attributes: ns_curve, ns_surface; scale_curve ``(n_seeds, m1)``, half_gap ``(n_seeds, m1)``,
    w1 ``(n_seeds, m1)``; scale_surface ``(n_seeds, m2)``; fits ``{"curve", "gap", "w1",
    "surface"}``; curve, surface: the setting names; meta."""

    ns_curve: np.ndarray
    ns_surface: np.ndarray
    scale_curve: np.ndarray
    half_gap: np.ndarray
    w1: np.ndarray
    scale_surface: np.ndarray
    fits: dict
    curve: str
    surface: str
    meta: Meta | None = None

    def summary(self) -> dict:
        """``{curve, gap, w1, surface}_{slope,low,high}``, the theory's local slopes
        ``local1``/``local2``, ``curve_last``/``surface_last`` (medians at the largest N), and
        ``gap_ratio_{min,max}``: the training set's coverage scale over half its largest gap (medians
        over seeds), smallest and largest over the sizes."""
        out = {}
        for name, fit in self.fits.items():
            out[f"{name}_slope"], out[f"{name}_low"], out[f"{name}_high"] = fit.slope, fit.ci_low, fit.ci_high
        out["local1"] = local_slope(self.ns_curve, 1.0)
        out["local2"] = local_slope(self.ns_surface, 0.5)
        out["curve_last"] = float(np.median(self.scale_curve[:, -1]))
        out["surface_last"] = float(np.median(self.scale_surface[:, -1]))
        out["ncurve_max"], out["nsurface_max"] = int(self.ns_curve[-1]), int(self.ns_surface[-1])
        ratio = np.median(self.scale_curve, axis=0) / np.median(self.half_gap, axis=0)
        out["gap_ratio_min"], out["gap_ratio_max"] = float(np.min(ratio)), float(np.max(ratio))
        return out


@experiment("memorization covers slowly", sizes=lambda c: {
    "N (curve)": f"{c.ns_curve[0]}..{c.ns_curve[-1]}", "N (surface)": f"{c.ns_surface[0]}..{c.ns_surface[-1]}",
    "seeds": c.n_seeds})
def run(key, config: Config) -> Result:
    """Exact coverage scales of empirical measures (module docstring)."""
    keys = named_keys(key, "curve", "surface", "bootstrap")
    curve, dens = settings.curve(config.curve), settings.density("smooth")
    length = curve.volume
    r, m1 = config.n_seeds, len(config.ns_curve)
    scale, gap, w1 = np.empty((r, m1)), np.empty((r, m1)), np.empty((r, m1))
    for j, n in enumerate(progress(list(config.ns_curve), desc="memorization k=1")):
        for i, k in enumerate(jax.random.split(named_keys(keys.curve, f"n{n}")[0], r)):
            u = np.asarray(curve.sample_with_coords(k, int(n), dens)[1], np.float64)[:, 0]
            scale[i, j] = cov.coverage_curve(u, length, _DELTAS_CURVE, density=dens, exact=True).scale
            s = np.sort(u)
            gap[i, j] = 0.5 * float(np.max(np.diff(np.concatenate([s, [s[0] + length]]))))
            w1[i, j] = cov.circular_w1(u, length, dens)
    surface = settings.surface(config.surface)
    m2 = len(config.ns_surface)
    scale2 = np.empty((r, m2))
    for j, n in enumerate(progress(list(config.ns_surface), desc="memorization k=2")):
        for i, k in enumerate(jax.random.split(named_keys(keys.surface, f"n{n}")[0], r)):
            x = np.asarray(surface.sample(k, int(n)), np.float64)
            scale2[i, j] = cov.surface_coverage(surface, x, _DELTAS_SURFACE, exact=True).scale
    boot = jax.random.split(keys.bootstrap, 4)
    fits = {}
    for (name, ns, y), kb in zip((("curve", config.ns_curve, scale), ("gap", config.ns_curve, gap),
                                  ("w1", config.ns_curve, w1), ("surface", config.ns_surface, scale2)), boot):
        fits[name] = _sweep.fit_where(ns, y.T, np.ones(len(ns), bool), kb)[0]
    return Result(np.asarray(config.ns_curve), np.asarray(config.ns_surface), scale, gap, w1, scale2, fits,
                  config.curve, config.surface)


def plot(result: Result):
    """Coverage scale of the empirical measure on the curve and on the surface, with guides."""
    res = _sweep.check_result(result, Result)
    fig, axes = plotting.figure(2, 1, width=3.6, height=3.0)
    with plotting.style():
        ax = axes[0, 0]
        _plots.band(ax, res.ns_curve, res.scale_curve, f"coverage scale, k = 1 ({res.curve})", color="C0")
        _plots.band(ax, res.ns_curve, res.half_gap, "half the largest gap", color="C0", ls="--")
        _plots.band(ax, res.ns_surface, res.scale_surface, f"coverage scale, k = 2 ({res.surface})",
                    color="C1")
        y0 = float(np.exp(np.mean(np.log(res.scale_curve[:, 0]))))
        _plots.guide(ax, res.ns_curve, y0, -1.0, color="0.4", ls=":")
        y0 = float(np.exp(np.mean(np.log(res.scale_surface[:, 0]))))
        _plots.guide(ax, res.ns_surface, y0, -0.5, color="0.4", ls="-.")
        ax.set(xscale="log", yscale="log", xlabel="N", ylabel=r"$\delta_C$ of the training set (exact)",
               title="memorization (dotted: -1, dash-dot: -1/2)")
        ax.legend(fontsize=7)
        ax = axes[0, 1]
        _plots.band(ax, res.ns_curve, res.w1, "W1 along the curve", color="C2")
        y0 = float(np.exp(np.mean(np.log(res.w1[:, 0]))))
        _plots.guide(ax, res.ns_curve, y0, -0.5, color="0.4", ls=":")
        ax.set(xscale="log", yscale="log", xlabel="N", ylabel=r"$W_1$ to the data law",
               title="W1, k = 1 (dotted: -1/2)")
    note = ("exact: the empirical measure is its own law (no counting floor); C = 4; k = 1 smooth law "
            "along the curve, k = 2 uniform law, chord caps; bands: min-max over seeds")
    return plotting.finish(_plots.log_ticks(fig, sorted(set(res.ns_curve) | set(res.ns_surface))), res.meta, note)
