r"""Reverse-time sampling with the exact score: the reverse SDE (Euler--Maruyama) and the
probability-flow ODE (Heun) from one prior draw, and their Wasserstein-2 distance to the data
law beside the distance between two samples of the data law itself (the floor)."""

import dataclasses
from typing import NamedTuple

import jax
import numpy as np

from ... import metrics, plotting
from ...keys import named_keys
from ...processes import geometric_grid
from ...samplers import sample
from ...scores import MixtureScore
from ..harness import Meta, check_result, experiment
from ._ring import RingConfig, density_grid

__all__ = ["Config", "Result", "run", "plot"]


@dataclasses.dataclass(frozen=True)
class Config(RingConfig):
    """Attributes: n_samples: samples per sampler; n_steps: steps of the geometric grid; t_min:
    its last time; n_paths: trajectories drawn; n_floor: independent data samples whose distance
    to the reference is the floor (its spread is that of a single comparison)."""

    n_samples: int = 2000
    n_steps: int = 200
    t_min: float = 1e-3
    n_paths: int = 12
    n_floor: int = 5
    overrides = {"quick": dict(n_samples=300, n_steps=50),
                 "large": dict(n_samples=20_000, n_steps=400)}


class Result(NamedTuple):
    """Reverse SDE and probability-flow ODE runs from one prior draw.

    Attributes:
      grid: ``(s,)`` the time grid. paths_sde, paths_ode: ``(s, n_paths, 2)`` the first
      ``n_paths`` trajectories. samples_sde, samples_ode: ``(b, 2)``. reference: ``(b, 2)`` fresh
      data. w2_sde, w2_ode: Wasserstein-2 to ``reference``; w2_floor: ``(n_floor,)``
      Wasserstein-2 from independent data samples of size ``b`` to ``reference`` (what a perfect
      sampler scores, and how much one such comparison varies). axis, log_density:
      ``(g,)`` and ``(g, g)``, the data law's log-density for the background. meta.
    """

    grid: np.ndarray
    paths_sde: np.ndarray
    paths_ode: np.ndarray
    samples_sde: np.ndarray
    samples_ode: np.ndarray
    reference: np.ndarray
    w2_sde: float
    w2_ode: float
    w2_floor: np.ndarray
    axis: np.ndarray
    log_density: np.ndarray
    meta: Meta | None = None

    def summary(self) -> dict:
        """The two samplers' Wasserstein-2 distances, the floor's mean and range, the sizes."""
        return {"sde": self.w2_sde, "ode": self.w2_ode, "floor": float(np.mean(self.w2_floor)),
                "floor_low": float(np.min(self.w2_floor)), "floor_high": float(np.max(self.w2_floor)),
                "n_floor": int(self.w2_floor.shape[0]), "n_samples": int(self.samples_sde.shape[0])}


@experiment("reverse sampling", sizes=lambda c: {"b": c.n_samples, "steps": c.n_steps,
                                                "t_min": c.t_min, "T": c.T})
def run(key, config: Config) -> Result:
    """Sample ``n_samples`` points with the exact score by both samplers (same prior draw)."""
    keys = named_keys(key, "sampler", "reference", "floor")
    process, law = config.process(), config.law()
    score = MixtureScore(law, process)
    grid = geometric_grid(process.T, config.t_min, config.n_steps)
    x_sde, path_sde = sample(keys.sampler, score, process, config.n_samples, grid, return_path=True)
    x_ode, path_ode = sample(keys.sampler, score, process, config.n_samples, grid, method="ode",
                             return_path=True)
    ref = law.sample(keys.reference, config.n_samples)
    w2 = [float(metrics.wasserstein(x, ref, p=2).distance) for x in (x_sde, x_ode)]
    floor = np.asarray([metrics.wasserstein(law.sample(k, config.n_samples), ref, p=2).distance
                        for k in jax.random.split(keys.floor, config.n_floor)])
    axis, log_density = density_grid(law, process, 0.0)
    k = config.n_paths
    return Result(np.asarray(grid), np.asarray(path_sde[:, :k]), np.asarray(path_ode[:, :k]),
                  np.asarray(x_sde), np.asarray(x_ode), np.asarray(ref), *w2, floor, axis,
                  log_density)


def plot(result: Result):
    """Trajectories of both samplers over the data density, and the samples."""
    res = check_result(result, Result)
    shade = np.exp(res.log_density - res.log_density.max())
    with plotting.style():
        fig, axes = plotting.figure(3, width=2.25, height=2.5, sharex=True, sharey=True)
        for ax, paths, name in ((axes[0, 0], res.paths_sde, "reverse SDE\n(Euler-Maruyama)"),
                                (axes[0, 1], res.paths_ode, "probability-flow\nODE (Heun)")):
            ax.contourf(res.axis, res.axis, shade, levels=10, cmap="Blues")
            for j in range(paths.shape[1]):
                ax.plot(paths[:, j, 0], paths[:, j, 1], lw=0.7, color=f"C{j % 10}", alpha=0.85)
                ax.plot(*paths[0, j], "o", ms=2.5, color=f"C{j % 10}")
                ax.plot(*paths[-1, j], "*", ms=6, color=f"C{j % 10}", mec="k", mew=0.3)
            ax.set_title(name)
        ax = axes[0, 2]
        ax.scatter(res.reference[:, 0], res.reference[:, 1], s=1, color="0.6", label="data",
                   rasterized=True)
        ax.scatter(res.samples_sde[:, 0], res.samples_sde[:, 1], s=1, color="C0", alpha=0.5,
                   label=f"SDE samples, $W_2$ = {res.w2_sde:.3f}", rasterized=True)
        ax.scatter(res.samples_ode[:, 0], res.samples_ode[:, 1], s=1, color="C3", alpha=0.5,
                   label=f"ODE samples, $W_2$ = {res.w2_ode:.3f}", rasterized=True)
        ax.set_title(f"samples\n(floor $W_2$ {res.w2_floor.min():.3f}-{res.w2_floor.max():.3f})")
        fig.legend(*ax.get_legend_handles_labels(), loc="outside upper center", ncol=3,
                   markerscale=5)
        for a in axes[0]:
            a.set_aspect("equal")
            a.set_xlim(-3.6, 3.6)
            a.set_ylim(-3.6, 3.6)
        return plotting.finish(fig, res.meta, "dots: start at T; stars: end at t_min")
