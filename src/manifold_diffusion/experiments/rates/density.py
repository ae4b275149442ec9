r"""Claim 4: the regularity of the density does not matter -- for coverage; it does for density estimation.

The learned coarse-score sampler of :mod:`.coverage` on the first curve, with three data laws along
it: smooth (von Mises), piecewise constant (ratio 3) and a cusp :math:`0.3 + |\theta - 1|^{1/2}`,
all bounded above and below. Beside it the contrast: an intrinsic (arc-length) Gaussian kernel
density estimate of each law at its best bandwidth (an oracle choice, the most favourable to the
estimator), whose :math:`L^1` error falls with the classical exponents :math:`2/5` (smooth),
:math:`1/3` (jump: bias :math:`h` over a region of width :math:`h`) and :math:`3/8` (the
:math:`|\theta|^{1/2}` cusp: bias :math:`h^{1/2}` on a region of width :math:`h`, so an :math:`L^1` bias
:math:`h^{3/2}`, balanced against :math:`(Nh)^{-1/2}` at :math:`h\propto N^{-1/4}`).
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
from .coverage import ALPHA, C, DELTAS

__all__ = ["Config", "Result", "run", "plot", "KDE_EXPONENTS"]

#: Classical L1 exponents of a kernel density estimate at its best bandwidth, per density.
KDE_EXPONENTS = {"smooth": 0.4, "piecewise": 1 / 3, "cusp": 0.375}


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Attributes: curve: the setting; densities: names (:func:`~.settings.density`); ns, n_seeds,
    n_gen, sigma_band, n_levels, n_stops: as :class:`.coverage.Config`; kde_ns: sizes of the KDE
    contrast (cheap, so more decades)."""

    curve: str = "rough-2.5"
    densities: tuple[str, ...] = settings.DENSITIES
    ns: tuple[int, ...] = (256, 1024, 4096)
    n_seeds: int = 3
    n_gen: int = 20_000
    sigma_band: tuple[float, float] = (1e-3, 0.3)
    n_levels: int = 12
    n_stops: int = 6
    kde_ns: tuple[int, ...] = (256, 1024, 4096, 16384, 65536)
    overrides = {"quick": dict(ns=(128,), n_seeds=2, n_gen=5_000, n_levels=8, n_stops=4,
                               kde_ns=(256, 1024, 4096)),
                 "large": dict(ns=(256, 1024, 4096, 16384), n_seeds=5, n_gen=2_000_000,
                               kde_ns=(256, 1024, 4096, 16384, 65536, 262144))}


class Result(NamedTuple):
    """Attributes: sweep (:class:`._sweep.SweepResult`, one setting per density); kde_ns;
    kde_l1 ``(n_densities, n_seeds, m)`` L1 error at the best bandwidth, kde_bandwidth the same
    shape; kde_fits ``{density: SlopeFit}``; meta."""

    sweep: _sweep.SweepResult
    kde_ns: np.ndarray
    kde_l1: np.ndarray
    kde_bandwidth: np.ndarray
    kde_fits: dict
    meta: Meta | None = None

    def summary(self) -> dict:
        """The sweep's summary plus ``kde_<density>_{slope,low,high,theory}``."""
        out = self.sweep.summary()
        for name, fit in self.kde_fits.items():
            out.update({f"kde_{name}_slope": fit.slope, f"kde_{name}_low": fit.ci_low,
                        f"kde_{name}_high": fit.ci_high, f"kde_{name}_theory": -KDE_EXPONENTS[name]})
        return out


def _wrapped_gauss_fft(n_grid, length, bandwidth):
    freq = np.fft.rfftfreq(n_grid, d=length / n_grid)
    return np.exp(-2 * (math.pi * freq * bandwidth) ** 2)


def _kde_l1(key, dens, length, ns, n_seeds, n_grid=8192):
    """Best-bandwidth L1 error of an arc-length Gaussian KDE (binned on ``n_grid`` cells, FFT)."""
    h = length / n_grid
    p = cov.density_per_length(dens, length, n_grid)
    bandwidths = np.geomspace(2e-3, 1.0, 40)
    kernels = np.stack([_wrapped_gauss_fft(n_grid, length, b) for b in bandwidths])
    l1, best = np.empty((n_seeds, len(ns))), np.empty((n_seeds, len(ns)))
    for j, n in enumerate(ns):
        for i, k in enumerate(jax.random.split(named_keys(key, f"n{n}")[0], n_seeds)):
            v = np.asarray(dens.sample(k, int(n)), np.float64)
            counts = np.bincount(np.minimum((v / (2 * math.pi) * n_grid).astype(int), n_grid - 1),
                                 minlength=n_grid) / (n * h)
            est = np.fft.irfft(np.fft.rfft(counts)[None, :] * kernels, n_grid, axis=1)
            err = np.sum(np.abs(est - p[None, :]), axis=1) * h
            l1[i, j], best[i, j] = err.min(), bandwidths[np.argmin(err)]
    return l1, best


@experiment("density regularity", sizes=lambda c: {"densities": len(c.densities), "N": f"{c.ns[0]}..{c.ns[-1]}",
                                                   "seeds": c.n_seeds, "n_gen": c.n_gen})
def run(key, config: Config) -> Result:
    """The coverage sweep over densities and the KDE contrast (module docstring)."""
    keys = named_keys(key, "sweep", "kde", "bootstrap")
    curve = settings.curve(config.curve)
    entries = [_sweep.Entry(name, curve, settings.density(name), settings.regularity(config.curve),
                            tuple(config.sigma_band)) for name in config.densities]
    lo, hi = config.sigma_band
    res = _sweep.sweep(keys.sweep, entries, config.ns, n_seeds=config.n_seeds, n_gen=config.n_gen,
                       n_levels=config.n_levels, n_stops=config.n_stops, deltas=np.asarray(DELTAS), C=C,
                       alpha=ALPHA, estimator_text=f"ridge, m(N) = ⌈16√N⌉, DSM on σ ∈ [{lo:g}, {hi:g}]")
    l1, best = [], []
    for name in progress(list(config.densities), desc="KDE"):
        a, b = _kde_l1(named_keys(keys.kde, name)[0], settings.density(name), curve.volume, config.kde_ns,
                       config.n_seeds)
        l1.append(a)
        best.append(b)
    boot = jax.random.split(keys.bootstrap, len(config.densities))
    fits = {name: _sweep.fit_where(config.kde_ns, l1[i].T, np.ones(len(config.kde_ns), bool), boot[i])[0]
            for i, name in enumerate(config.densities)}
    return Result(res, np.asarray(config.kde_ns), np.stack(l1), np.stack(best), fits)


def plot(result: Result):
    """Coverage scale and fidelity per density; KDE error per density with its exponent."""
    res = _sweep.check_result(result, Result)
    fig, axes = plotting.figure(3, 1, width=2.26, height=3.1)
    with plotting.style():
        _plots.sweep_panels(axes[0, :2], res.sweep, labels=[f"{n} density" for n in res.sweep.labels])
        ax = axes[0, 2]
        for i, name in enumerate(res.sweep.labels):
            line = _plots.band(ax, res.kde_ns, res.kde_l1[i], None, color=f"C{i}")
            _plots.guide(ax, res.kde_ns, float(np.exp(np.mean(np.log(res.kde_l1[i, :, 0])))),
                         -KDE_EXPONENTS[name], color=line.get_color(), ls=":")
        ax.plot([], [], color="0.3", ls=":", label="KDE: theory slope")
        ax.set(xscale="log", yscale="log", xlabel="N", ylabel=r"$L^1$ error", title="KDE, best h")
        _plots.legend_above(fig, axes[0], ncol=3)
    note = _plots.sweep_note(res.sweep)
    return plotting.finish(_plots.log_ticks(fig, sorted(set(res.sweep.ns) | set(res.kde_ns)), max_ticks=3),
                           res.meta, note)
