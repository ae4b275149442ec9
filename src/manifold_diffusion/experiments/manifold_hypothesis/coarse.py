r"""Coarse scores: Langevin at a fixed small :math:`\sigma` on the von Mises ellipse with the exact
score, with two scores right about the geometry and wrong about the density (the population
score of another law on the same ellipse, and of the uniform law), and tempered-score Langevin
(:cite:`li2026scores`, Thms. 4.1, 5.1, 5.2)."""

import dataclasses
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ... import metrics, plotting
from ...keys import named_keys
from ...manifolds import VonMises
from ...samplers import langevin, tempered_langevin
from ...scores import PopulationScore
from ..harness import Meta, check_result, experiment, progress
from ._ellipse import EllipseConfig

__all__ = ["Config", "Result", "run", "plot"]


@dataclasses.dataclass(frozen=True)
class Config(EllipseConfig):
    r"""Attributes: sigma: the noise level; n_chains: Langevin chains; time: Langevin time of every
    sampler; alpha: the tempering exponent; step_fraction: steps are this fraction of the stiffness
    scale, :math:`\sigma^2` (plain) or :math:`\sigma^{2-\alpha}` (tempered)."""

    sigma: float = 0.08
    n_chains: int = 400
    time: float = 10.0
    alpha: float = 1.0
    step_fraction: float = 0.1
    overrides = {"quick": dict(sigma=0.1, n_chains=100, time=1.0),
                 "large": dict(sigma=0.03, n_chains=2000)}

    def steps(self) -> tuple[int, int]:
        """The numbers of plain and tempered Langevin steps."""
        plain = self.step_fraction * self.sigma**2
        tempered = self.step_fraction * self.sigma ** (2 - self.alpha)
        return (max(1, int(round(self.time / plain))), max(1, int(round(self.time / tempered))))


class Result(NamedTuple):
    r"""Langevin samples at a fixed noise level with four scores.

    Attributes:
      names: the samplers; samples: ``(4, b, 2)``; angles: ``(4, b)`` their arc-length angles;
      start: ``(b, 2)`` the common starting points.
      distance: ``(4,)`` mean distance to ``M``; ks_data, ks_uniform, ks_other: ``(4,)``
        Kolmogorov--Smirnov distance of the angle to the data law, to the uniform law and to the
        other law the second sampler targets; ks_floor: the 95 % KS quantile of an exact sample of
        size ``b`` (:math:`1.358/\sqrt b`).
      expected_distance: ``(4,)`` :math:`\sqrt{2/\pi}` times the normal width.
      sigma, alpha, n_chains, time; n_steps: ``(4,)`` steps per sampler.
      curve: ``(c, 2)`` the ellipse; angle_grid: ``(g,)``; data_density, other_density: ``(g,)``
      the two von Mises densities of the angle. meta.
    """

    names: tuple
    samples: np.ndarray
    angles: np.ndarray
    start: np.ndarray
    distance: np.ndarray
    ks_data: np.ndarray
    ks_uniform: np.ndarray
    ks_other: np.ndarray
    ks_floor: float
    expected_distance: np.ndarray
    sigma: float
    alpha: float
    n_chains: int
    time: float
    n_steps: np.ndarray
    curve: np.ndarray
    angle_grid: np.ndarray
    data_density: np.ndarray
    other_density: np.ndarray
    meta: Meta | None = None

    def summary(self) -> dict:
        """The table of the section: per sampler (a, b, bb for (b'), c) the mean distance to
        ``M``, its prediction and the KS distances; the floor; the sizes."""
        out = {"sigma": self.sigma, "alpha": self.alpha, "b": self.n_chains, "time": self.time,
               "floor": self.ks_floor, "kso_b": float(self.ks_other[1])}
        for i, tag in enumerate(("a", "b", "bb", "c")):
            out.update({f"dist_{tag}": float(self.distance[i]),
                        f"exp_{tag}": float(self.expected_distance[i]),
                        f"ksd_{tag}": float(self.ks_data[i]), f"ksu_{tag}": float(self.ks_uniform[i])})
        return out


@experiment("coarse-score Langevin", sizes=lambda c: {
    "b": c.n_chains, "sigma": c.sigma, "alpha": c.alpha, "time": c.time,
    "steps": "/".join(map(str, c.steps())), "nodes": math.ceil(1.5 * c.ellipse().volume / c.sigma)})
def run(key, config: Config) -> Result:
    r"""Langevin at :math:`\sigma` on the von Mises ellipse with four scores.

    (a) the exact population score; (b) a score right about geometry, wrong at order 1: the
    population score of another density (von Mises centred at :math:`\pi`), which differs from
    the exact one by an :math:`O(1)` tangential field; (b') geometry only: the population score
    of the uniform law; (c) tempered Langevin, the exact score times :math:`\sigma^\alpha`. All
    start from the same points, drawn on ``M`` from a fifth law (von Mises at :math:`\pi/2`), and
    run for the same Langevin time.
    """
    keys = named_keys(key, "start", "chains")
    ell, density = config.ellipse(), config.density()
    other = VonMises(math.pi, config.kappa)
    sigma, alpha = config.sigma, config.alpha
    process = config.process()
    n_nodes = math.ceil(1.5 * ell.volume / sigma)
    scores = [PopulationScore(ell, law, process, n_nodes=n_nodes) for law in (density, other, None)]
    x0 = ell.sample(keys.start, config.n_chains, VonMises(0.5 * math.pi, 2.0 * config.kappa))
    steps_plain, steps_tempered = config.steps()
    names = ("(a) exact score", "(b) geometry + O(1) error", "(b') geometry only",
             f"(c) tempered, alpha = {alpha:g}")
    samples = []
    chain_keys = jax.random.split(keys.chains, 4)
    for i in progress(range(4), desc="coarse-score Langevin"):
        if i < 3:
            x = langevin(chain_keys[i], scores[i], x0, sigma**2, config.step_fraction * sigma**2,
                         steps_plain)
        else:
            x = tempered_langevin(chain_keys[i], scores[0], x0, sigma**2,
                                  config.step_fraction * sigma ** (2 - alpha), steps_tempered, alpha)
        samples.append(np.asarray(x))
    angles = np.stack([np.asarray(ell.density_coords(ell.coords(x))[:, 0]) for x in samples])
    dist = [float(jnp.mean(ell.distance(x))) for x in samples]
    ks = {name: [metrics.ks_distance(theta, law).statistic for theta in angles]
          for name, law in (("data", density), ("uniform", None), ("other", other))}
    c = math.sqrt(2 / math.pi)
    expected = np.asarray([c * sigma] * 3 + [c * sigma ** (1 - alpha / 2)])
    grid = np.linspace(0, 2 * np.pi, 200)
    curve = np.asarray(ell.embed_coords(jnp.linspace(0.0, ell.volume, 300)))
    return Result(names, np.stack(samples), angles, np.asarray(x0), np.asarray(dist),
                  np.asarray(ks["data"]), np.asarray(ks["uniform"]), np.asarray(ks["other"]),
                  1.358 / math.sqrt(config.n_chains), expected, sigma, alpha, config.n_chains,
                  config.time, np.asarray([steps_plain] * 3 + [steps_tempered]), curve, grid,
                  np.asarray(density.prob(jnp.asarray(grid))), np.asarray(other.prob(jnp.asarray(grid))))


def plot(result: Result):
    """Samples of each sampler over the ellipse, and the histograms of their arc-length angle."""
    res = check_result(result, Result)
    with plotting.style():
        fig, axes = plotting.figure(4, 2, width=1.7, height=2.3)
        lim = 1.15 * float(np.max(np.abs(res.curve)))
        for i, name in enumerate(res.names):
            ax = axes[0, i]
            ax.plot(res.curve[:, 0], res.curve[:, 1], color="0.6", lw=0.8)
            ax.scatter(res.samples[i, :, 0], res.samples[i, :, 1], s=2, alpha=0.5, color=f"C{i}",
                       rasterized=True)
            ax.set_aspect("equal")
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_title(f"{name}\nmean dist {res.distance[i]:.3f}", fontsize=8)
            ax = axes[1, i]
            ax.hist(res.angles[i], bins=24, range=(0, 2 * np.pi), density=True, color=f"C{i}",
                    alpha=0.6)
            ax.plot(res.angle_grid, res.data_density, "k-", lw=1, label="data")
            ax.plot(res.angle_grid, np.full_like(res.angle_grid, 1 / (2 * np.pi)), "k:", lw=1,
                    label="uniform")
            if i == 1:
                ax.plot(res.angle_grid, res.other_density, "k--", lw=1, label="other law")
            ax.set_xlabel("arc-length angle")
            ax.set_title(f"KS: data {res.ks_data[i]:.2f}\nuniform {res.ks_uniform[i]:.2f}",
                         fontsize=8)
        handles, labels = axes[1, 1].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside upper center", ncol=3)
        return plotting.finish(fig, res.meta, f"KS floor (95 %, exact sample of this size) "
                               f"{res.ks_floor:.3f}")
