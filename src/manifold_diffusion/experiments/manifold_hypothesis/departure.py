r"""When the empirical and the population score part ways: :math:`\sigma^*(N)`, the noise level at
which the relative error of the empirical score of :math:`N` points reaches a threshold, on the
unit circle (:math:`k = 1`, von Mises density) and on the flat torus (:math:`k = 2`, von Mises
:math:`\times` uniform), each embedded in several :math:`\mathbb R^d`; fitted slopes in :math:`N`
against :math:`-1/k`."""

import dataclasses
import math
from typing import NamedTuple

import jax
import matplotlib
import matplotlib.ticker
import numpy as np

from ... import metrics, plotting
from ...keys import named_keys
from ...manifolds import Circle, FlatTorus, ProductDensity, VonMises, embed
from ...processes import VE
from ...scores import PopulationScore, departure_curves
from ..harness import ExperimentConfig, Meta, check_result, experiment, progress

__all__ = ["Sweep", "Config", "Curve", "Result", "run", "plot", "table", "MANIFOLDS"]


def _circle():
    return Circle(1.0), VonMises(0.0, 1.0)


def _torus():
    return FlatTorus(1.0, 1.0), ProductDensity([VonMises(0.0, 1.0), None])


#: The manifolds a :class:`Sweep` may name: ``name -> () -> (manifold, density)``.
MANIFOLDS = {"circle": _circle, "torus": _torus}


@dataclasses.dataclass(frozen=True)
class Sweep:
    """One manifold's part of the sweep.

    Attributes: manifold: a key of :data:`MANIFOLDS`; dims: ambient dimensions (the manifold's
    own, or a random isometric embedding); ns: training-set sizes; sigma_range: ``(low, high)``
    of the geometric grid of noise levels.
    """

    manifold: str
    dims: tuple[int, ...]
    ns: tuple[int, ...]
    sigma_range: tuple[float, float]

    def __post_init__(self):
        if self.manifold not in MANIFOLDS:
            raise ValueError(f"manifold: expected one of {sorted(MANIFOLDS)}, got {self.manifold!r}")


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Attributes: sweeps: the manifolds, dimensions, sizes and noise ranges; n_sigmas: noise
    levels per grid; n_eval: noised population points per level; n_seeds: training sets per
    ``N``; threshold: the relative error defining sigma*; T: VE terminal time."""

    sweeps: tuple[Sweep, ...] = (
        Sweep("circle", (2, 8, 32), (16, 32, 64, 128, 256, 512, 1024), (4e-4, 3.0)),
        Sweep("torus", (4, 16), (32, 64, 128, 256, 512, 1024, 2048), (0.012, 3.0)))
    n_sigmas: int = 25
    n_eval: int = 256
    n_seeds: int = 3
    threshold: float = 0.5
    T: float = 9.0
    overrides = {
        "quick": dict(sweeps=(Sweep("circle", (2,), (16, 64, 256), (3e-3, 3.0)),
                              Sweep("torus", (4,), (32, 128, 512), (0.05, 3.0))),
                      n_sigmas=12, n_eval=64, n_seeds=2),
        "large": dict(sweeps=(Sweep("circle", (2, 8, 32, 128, 784),
                                    (16, 32, 64, 128, 256, 512, 1024, 2048), (1e-4, 3.0)),
                              Sweep("torus", (4, 16, 64),
                                    (32, 64, 128, 256, 512, 1024, 2048, 4096, 8192), (0.006, 3.0))),
                      n_sigmas=33, n_eval=1024, n_seeds=6)}


class Curve(NamedTuple):
    r"""The relative error of the empirical score against the population score, one (k, d).

    Attributes:
      k, d: intrinsic and ambient dimension.
      ns: ``(a,)`` training-set sizes; sigmas: ``(s,)`` noise levels (increasing).
      errors: ``(r, a, s)`` relative :math:`L^2(p_t)` error per seed (training set), size, sigma.
      sigma_star: ``(r, a)`` :math:`\sigma^*`; NaN where the error never crosses the threshold.
      spacing: ``(r, a)`` median nearest-neighbour distance of each training set.
      pinned: ``(r, a)`` True where :math:`\sigma^*` is NaN or within one grid step of an end.
      fit: :class:`~manifold_diffusion.metrics.SlopeFit` of sigma_star against ``ns`` (seeds
        bootstrapped), ``None`` if a value is missing; spacing_fit likewise for ``spacing``.
    """

    k: int
    d: int
    ns: np.ndarray
    sigmas: np.ndarray
    errors: np.ndarray
    sigma_star: np.ndarray
    spacing: np.ndarray
    pinned: np.ndarray
    fit: object
    spacing_fit: object


class Result(NamedTuple):
    r""":math:`\sigma^*(N)` for each (k, d): ``curves`` a list of :class:`Curve`; threshold;
    n_seeds; meta."""

    curves: list
    threshold: float
    n_seeds: int
    meta: Meta | None = None

    def summary(self) -> dict:
        """For each k, the first and last d: the slope with its interval and the ratio of sigma*
        to the spacing; the factor by which that ratio falls from the first d to the last
        (``ratio_drop``) and the factor the scaling argument predicts, ``(d_last/d_first)^(1/k)``
        (``predicted_drop``); the range of N; how many sigma* are pinned to the grid."""
        nan = float("nan")
        out = {"threshold": self.threshold, "seeds": self.n_seeds,
               "pinned": int(sum(int(c.pinned.sum()) for c in self.curves)),
               "total": int(sum(c.pinned.size for c in self.curves))}
        for k in sorted({c.k for c in self.curves}):
            cs = [c for c in self.curves if c.k == k]
            out[f"k{k}_dims"] = ", ".join(str(c.d) for c in cs)
            out[f"k{k}_nmin"], out[f"k{k}_nmax"] = int(cs[0].ns.min()), int(cs[0].ns.max())
            for tag, c in (("first", cs[0]), ("last", cs[-1])):
                out[f"k{k}_{tag}_d"] = int(c.d)
                out[f"k{k}_{tag}_ratio"] = float(np.nanmedian(c.sigma_star / c.spacing))
                for part, name in (("slope", "slope"), ("ci_low", "low"), ("ci_high", "high")):
                    out[f"k{k}_{tag}_{name}"] = getattr(c.fit, part) if c.fit is not None else nan
            # sigma* / spacing from the first to the last d: measured, and the scaling argument's
            # (d_last / d_first)^(1/k)
            out[f"k{k}_ratio_drop"] = out[f"k{k}_first_ratio"] / out[f"k{k}_last_ratio"]
            out[f"k{k}_predicted_drop"] = float((cs[-1].d / cs[0].d) ** (1.0 / k))
        return out


def _sizes(c: Config) -> dict:
    dims = {s.manifold: "/".join(map(str, s.dims)) for s in c.sweeps}
    return {**{f"{name} d": v for name, v in dims.items()}, "eval": c.n_eval, "seeds": c.n_seeds,
            "sigmas": c.n_sigmas, "threshold": c.threshold}


@experiment("sigma*(N)", sizes=_sizes)
def run(key, config: Config) -> Result:
    r""":math:`\sigma^*(N)` for every (manifold, d) of the sweeps, by
    :func:`~manifold_diffusion.scores.departure_curves`: one population score per (k, d), with
    1.05 times the minimal node count at the smallest sigma, for all training sets at once.
    The training sets of one seed are nested: the set of size ``N`` is the first ``N`` points of
    one draw of ``max(ns)`` points (one sampling program per (k, d) instead of one per size)."""
    jobs = [(sweep.manifold, d, sweep.ns, sweep.sigma_range) for sweep in config.sweeps
            for d in sweep.dims]
    keys = named_keys(key, "frames", "evaluation", "data", "fit")
    job_keys = zip(*(jax.random.split(k, len(jobs)) for k in keys))
    process = VE(T=config.T)
    curves = []
    for (name, d, ns, (low, high)), (k_frame, k_eval, k_data, k_fit) in progress(
            list(zip(jobs, job_keys)), desc="sigma*(N)"):
        base, density = MANIFOLDS[name]()
        manifold = base if d == base.d else embed(base, d, k_frame)
        sigmas = np.geomspace(low, high, config.n_sigmas)
        length = float(manifold.coord_high[0] - manifold.coord_low[0])
        population = PopulationScore(manifold, density, process,
                                     n_nodes=math.ceil(1.05 * length / sigmas[0]))
        draws = [np.asarray(manifold.sample(k, max(ns), density))
                 for k in jax.random.split(k_data, config.n_seeds)]
        datasets = [full[:n] for full in draws for n in ns]
        dep = departure_curves(k_eval, datasets, population, sigmas**2, config.threshold,
                               n_eval=config.n_eval)
        shape = (config.n_seeds, len(ns))
        spacing = np.asarray([float(metrics.training_spacing(x)) for x in datasets]).reshape(shape)
        stars = dep.sigma_star.reshape(shape)
        n_float = np.asarray(ns, float)
        fit_star, fit_spacing = jax.random.split(k_fit)
        fit = (metrics.fit_loglog_slope(n_float, stars, key=fit_star)
               if len(ns) >= 3 and np.all(np.isfinite(stars)) else None)
        spacing_fit = metrics.fit_loglog_slope(n_float, spacing, key=fit_spacing) if len(ns) >= 3 else None
        curves.append(Curve(manifold.k, manifold.d, np.asarray(ns), dep.sigmas,
                            dep.errors.reshape(shape + (-1,)), stars, spacing,
                            dep.pinned.reshape(shape), fit, spacing_fit))
    return Result(curves, config.threshold, config.n_seeds)


def table(result: Result) -> str:
    """HTML table: for each (k, d) the fitted slope of sigma* and of the spacing, with intervals."""
    res = check_result(result, Result)
    head = ["k", "d", "N", "slope of σ*(N) [95% CI]", "slope of spacing [95% CI]", "theory",
            "σ*/spacing", "pinned"]
    rows = []
    for c in res.curves:
        fit = c.fit.format() if c.fit is not None else "&ndash;"
        spacing = c.spacing_fit.format() if c.spacing_fit is not None else "&ndash;"
        ratio = np.nanmedian(c.sigma_star / c.spacing)
        rows.append([c.k, c.d, f"{c.ns.min()}&ndash;{c.ns.max()}", fit.replace("slope ", ""),
                     spacing.replace("slope ", ""), f"&minus;1/{c.k}", f"{ratio:.2f}",
                     int(c.pinned.sum())])
    return ("<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join("<tr>" + "".join(f"<td>{v}</td>" for v in r) + "</tr>" for r in rows)
            + "</tbody></table>")


def _color(i: int, n: int):
    """The ``i``-th of ``n`` colours of a sequential map."""
    return matplotlib.colormaps["viridis"](0.1 + 0.8 * i / max(1, n - 1))


def plot(result: Result):
    """Error curves (first (k, d)), sigma*(N) for every (k, d), and the slopes with intervals."""
    res = check_result(result, Result)
    with plotting.style():
        fig, axes = plotting.figure(3, width=2.27, height=3.5)
        below = dict(loc="upper center", bbox_to_anchor=(0.5, -0.2), handlelength=1.5)
        first = res.curves[0]
        ax = axes[0, 0]
        for a, n in enumerate(first.ns):
            ax.loglog(first.sigmas, first.errors[:, a].mean(0), "-", lw=1,
                      color=_color(a, len(first.ns)), label=f"N = {n}")
        ax.axhline(res.threshold, color="k", ls=":", lw=1)
        ax.set_xlabel(r"$\sigma$")
        ax.set_ylabel("relative error of\nthe empirical score")
        ax.set_title(f"k = {first.k}, d = {first.d}", fontsize=8)
        ax.legend(ncol=2, **below)
        ax = axes[0, 1]
        markers = {1: "o", 2: "s"}
        for i, c in enumerate(res.curves):
            mean = np.exp(np.nanmean(np.log(c.sigma_star), axis=0))
            ax.loglog(c.ns, mean, markers[c.k] + "-", ms=3, lw=0.8, color=f"C{i}",
                      label=f"k = {c.k}, d = {c.d}")
        for kk, ls in ((1, "--"), (2, ":")):
            cs = [c for c in res.curves if c.k == kk]
            if cs:
                n0 = cs[0].ns
                ref = np.exp(np.nanmean(np.log(cs[0].sigma_star[:, 0]))) * (n0 / n0[0]) ** (-1 / kk)
                ax.loglog(n0, ref, "k" + ls, lw=1, label="$N^{-1}$" if kk == 1 else "$N^{-1/2}$")
        ax.set_xlabel("training-set size $N$")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_ylabel(r"$\sigma^*(N)$")
        ax.yaxis.set_minor_locator(matplotlib.ticker.LogLocator(subs=(2.0, 5.0)))
        ax.legend(**{**below, "bbox_to_anchor": (0.5, -0.27)})
        ax = axes[0, 2]
        for i, c in enumerate(res.curves):
            if c.fit is None:
                continue
            ax.errorbar([i], [c.fit.slope], yerr=[[c.fit.slope - c.fit.ci_low],
                                                  [c.fit.ci_high - c.fit.slope]],
                        fmt=markers[c.k], color=f"C{i}", capsize=3)
            ax.plot([i - 0.3, i + 0.3], [-1 / c.k] * 2, "k-", lw=1)
        ax.set_xticks(range(len(res.curves)))
        ax.set_xticklabels([f"k={c.k}\nd={c.d}" for c in res.curves])
        ax.set_ylabel("fitted slope of\n" r"$\sigma^*(N)$ (95 % CI)")
        ax.set_title("black: theory $-1/k$", fontsize=8)
        return plotting.finish(fig, res.meta, f"threshold {res.threshold:g} on the relative "
                               "L2 error; slopes bootstrapped over training sets")
