r"""Closed-form smoothed diffusion on two moons: :math:`\sigma`-CFDM
(:func:`manifold_diffusion.scores.cfdm_sample`, :cite:`scarvelis2025closedform`) at a sweep of
bandwidths -- the share of outputs at training points and at midpoints of two training points,
the number of distinct outputs."""

import dataclasses
from typing import NamedTuple

import numpy as np

from ... import plotting
from ...data import two_moons
from ...scores import cfdm_sample
from ..harness import ExperimentConfig, Meta, check_result, experiment
from ._setup import bandwidth_tag

__all__ = ["Config", "Result", "run", "plot"]


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Attributes: n_train: noise-free two-moons points; n_samples: outputs per bandwidth;
    n_steps: Euler steps; n_draws: perturbations per step (the paper's M = 2); bandwidths (the
    paper's sigma; its default 0.4); tol: the distance counting as "at" a point; shown: the
    bandwidths drawn."""

    n_train: int = 50
    n_samples: int = 500
    n_steps: int = 100
    n_draws: int = 2
    bandwidths: tuple[float, ...] = (0.0, 0.1, 0.2, 0.4, 0.8)
    tol: float = 1e-3
    shown: tuple[float, ...] = (0.0, 0.4)
    overrides = {"large": dict(n_samples=5000)}


class Result(NamedTuple):
    """σ-CFDM on two moons, one row per bandwidth.

    Attributes: bandwidths: ``(m,)``. data: ``(n, 2)``. samples: ``(m, b, 2)``. at_train:
    ``(m,)`` share of outputs within ``tol`` of a training point. at_midpoint: ``(m,)`` share
    within ``tol`` of the midpoint of two *distinct* training points (and not at a training
    point). distinct: ``(m,)`` number of distinct outputs (rounded to ``tol``). nearest: ``(m,)``
    mean distance to the nearest training point. tol, shown, n_steps. meta.
    """

    bandwidths: np.ndarray
    data: np.ndarray
    samples: np.ndarray
    at_train: np.ndarray
    at_midpoint: np.ndarray
    distinct: np.ndarray
    nearest: np.ndarray
    tol: float
    shown: tuple
    n_steps: int
    meta: Meta | None = None

    def summary(self) -> dict:
        """Per bandwidth ``h`` (tag as in the circle's summary): ``train_h``, ``mid_h``,
        ``distinct_h``, ``near_h``; the sizes."""
        out = {"n": int(self.data.shape[0]), "b": int(self.samples.shape[1]), "steps": self.n_steps}
        for i, h in enumerate(self.bandwidths):
            tag = bandwidth_tag(float(h))
            out.update({f"train_{tag}": float(self.at_train[i]), f"mid_{tag}": float(self.at_midpoint[i]),
                        f"distinct_{tag}": int(self.distinct[i]), f"near_{tag}": float(self.nearest[i])})
        return out


@experiment("sigma-CFDM, two moons", sizes=lambda c: {"n": c.n_train, "b": c.n_samples,
                                                     "S": c.n_steps, "M": c.n_draws})
def run(key, config: Config) -> Result:
    """σ-CFDM outputs at each bandwidth (the same key, so the same prior draw and step keys)."""
    data = two_moons(config.n_train)
    d = np.asarray(data, np.float64)
    pairs = np.triu_indices(len(d), k=1)
    mids = 0.5 * (d[pairs[0]] + d[pairs[1]])
    samples, stats = [], []
    for h in config.bandwidths:
        x = np.asarray(cfdm_sample(key, data, config.n_samples, bandwidth=h,
                                   n_draws=config.n_draws, n_steps=config.n_steps), np.float64)
        samples.append(x)
        near = np.min(np.linalg.norm(x[:, None, :] - d[None, :, :], axis=-1), axis=1)
        near_mid = np.min(np.linalg.norm(x[:, None, :] - mids[None, :, :], axis=-1), axis=1)
        stats.append((np.mean(near < config.tol), np.mean((near_mid < config.tol) & (near >= config.tol)),
                      len(np.unique(np.round(x / config.tol), axis=0)), np.mean(near)))
    st = np.asarray(stats, np.float64)
    return Result(np.asarray(config.bandwidths), d, np.stack(samples), *st.T, config.tol,
                  tuple(config.shown), config.n_steps)


def plot(result: Result):
    """Outputs of σ-CFDM at the ``shown`` bandwidths over the training set, and the shares at
    training points and at midpoints against the bandwidth."""
    res = check_result(result, Result)
    rows = [int(np.argmin(np.abs(res.bandwidths - h))) for h in res.shown]
    with plotting.style():
        fig, axes = plotting.figure(len(rows) + 1, width=2.27, height=2.6)
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
        fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside upper left", ncol=2,
                   markerscale=2)
        ax = axes[0, len(rows)]
        ax.plot(res.bandwidths, res.at_train, "o-", label="at a training point")
        ax.plot(res.bandwidths, res.at_midpoint, "s-", label="at a midpoint of two")
        ax.set_xlabel("bandwidth $h$ (the paper's $\\sigma$)")
        ax.set_ylabel(f"fraction (within {res.tol:g})")
        ax.set_ylim(0, 1.05)
        ax.legend()
        return plotting.finish(fig, res.meta, "σ-CFDM: z_t = t x + (1-t) ε, fresh antithetic "
                               "draws per step")
