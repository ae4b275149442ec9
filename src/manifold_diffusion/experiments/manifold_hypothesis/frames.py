r"""Memorization on a small grid of training-set sizes :math:`N` and early-stopping times
:math:`t_{\min}`: the samples of the empirical score of :math:`N` points on the unit circle, over
the training points; and a widget with one slider for each."""

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ... import metrics, plotting, widgets
from ...keys import check_key, named_keys
from ...manifolds import Circle
from ...processes import VE, geometric_grid
from ...samplers import sample
from ...scores import EmpiricalScore
from ..harness import ExperimentConfig, Meta, check_config, check_result, experiment

__all__ = ["Config", "Result", "run", "plot", "widget"]


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Attributes: ns: training-set sizes (rows); t_mins: early-stopping times (columns);
    n_samples: samples per frame; n_steps: geometric steps from ``T``; T: VE terminal time."""

    ns: tuple[int, ...] = (8, 64)
    t_mins: tuple[float, ...] = (1e-1, 1e-2, 1e-4)
    n_samples: int = 300
    n_steps: int = 100
    T: float = 9.0
    overrides = {"quick": dict(t_mins=(1e-1, 1e-4), n_samples=100, n_steps=50)}


class Result(NamedTuple):
    """Samples of the empirical score for each ``N`` (rows) and ``t_min`` (columns).

    Attributes: ns: ``(a,)``. t_mins: ``(m,)``. data: list of ``a`` arrays ``(N, 2)``. samples:
    ``(a, m, b, 2)``. fraction_memorized, mean_distance: ``(a, m)`` (the distance is to the
    nearest training point). meta.
    """

    ns: np.ndarray
    t_mins: np.ndarray
    data: list
    samples: np.ndarray
    fraction_memorized: np.ndarray
    mean_distance: np.ndarray
    meta: Meta | None = None

    def summary(self) -> dict:
        """The fraction memorized of the first and the last frame."""
        return {"first": float(self.fraction_memorized[0, 0]),
                "last": float(self.fraction_memorized[-1, -1])}


@experiment("memorization frames", sizes=lambda c: {"N": list(c.ns), "t_min": list(c.t_mins),
                                                   "b": c.n_samples})
def run(key, config: Config) -> Result:
    """Sample ``n_samples`` points with the empirical score of ``N`` circle points down to each
    ``t_min``. The training set depends on ``(key, N)`` only (``fold_in`` of the data key with
    ``N``), the sampler's prior draw and noise on ``key`` only: a frame does not depend on the
    other values of the grid."""
    keys = named_keys(key, "data", "sampler")
    process = VE(T=config.T)
    data, samples = [], np.zeros((len(config.ns), len(config.t_mins), config.n_samples, 2))
    fraction, distance = np.zeros(samples.shape[:2]), np.zeros(samples.shape[:2])
    for a, n in enumerate(config.ns):
        train = Circle(1.0).sample(jax.random.fold_in(keys.data, n), n)
        score = EmpiricalScore(train, process)
        data.append(np.asarray(train))
        for j, t_min in enumerate(config.t_mins):
            grid = geometric_grid(process.T, float(t_min), config.n_steps)
            x = sample(keys.sampler, score, process, config.n_samples, grid)
            report = metrics.memorization_report(x, train)
            samples[a, j] = np.asarray(x)
            fraction[a, j] = float(report.fraction_memorized)
            distance[a, j] = float(jnp.mean(report.nearest_distance))
    return Result(np.asarray(config.ns), np.asarray(config.t_mins), data, samples, fraction,
                  distance)


def plot(result: Result):
    """Small multiples over ``ns`` (rows) and ``t_mins`` (columns): the static twin of the widget."""
    res = check_result(result, Result)
    th = np.linspace(0, 2 * np.pi, 200)
    with plotting.style():
        fig, axes = plotting.figure(len(res.t_mins), len(res.ns), width=2.1, height=2.2)
        for a, n in enumerate(res.ns):
            for j, t_min in enumerate(res.t_mins):
                ax = axes[a, j]
                ax.plot(np.cos(th), np.sin(th), color="0.75", lw=0.8, zorder=0)
                ax.scatter(res.samples[a, j, :, 0], res.samples[a, j, :, 1], s=3, alpha=0.5,
                           color="C0", rasterized=True)
                ax.scatter(res.data[a][:, 0], res.data[a][:, 1], s=12, marker="x", color="C3", lw=0.8)
                ax.set_aspect("equal")
                ax.set_xlim(-1.6, 1.6)
                ax.set_ylim(-1.6, 1.6)
                ax.set_xticks([])
                ax.set_yticks([])
                ax.set_title(f"N = {n}, $t_{{\\min}}$ = {t_min:g}\nmemorized "
                             f"{res.fraction_memorized[a, j]:.2f}, $d_1$ = "
                             f"{res.mean_distance[a, j]:.1e}")
        return plotting.finish(fig, res.meta, "crosses: training points; dots: samples")


def widget(key, config: Config, ns=(4, 8, 16, 32, 64, 128, 256),
           t_mins=(1.0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-6), *, n: int = 32, t_min: float = 1e-2,
           draw_now: bool = False):
    """Two ``ipywidgets`` sliders (``N`` and ``t_min``) redrawing one frame: :func:`run` with
    ``ns=(N,)`` and ``t_mins=(t_min,)``, drawn by :func:`plot`.

    Returns ``(widget, update)``; ``update(n, t_min)`` computes and draws one frame (about a
    second on a CPU after compilation) and returns its :class:`Result`. Nothing is computed at
    construction unless ``draw_now``.
    """
    key = check_key("key", key)
    check_config(config, Config)

    def one_frame(N, t_min):
        return run(key, dataclasses.replace(config, ns=(int(N),), t_mins=(float(t_min),)))

    box, show = widgets.sliders({"N": [int(v) for v in ns], "t_min": [float(v) for v in t_mins]},
                                one_frame, plot, values={"N": n, "t_min": t_min}, draw_now=draw_now)
    return box, lambda n_value, t_value: show(N=n_value, t_min=t_value)
