r"""Modes shift: the mixture :math:`\tfrac12N(-\mu,1)+\tfrac12N(\mu,1)` with the modes moved apart.

:cite:`li2023generalization` (Thm 2, Figs. 5, 10) bound the error by terms growing polynomially in
:math:`\mu` and observe at :math:`\mu = 15` a model that puts nearly all its mass on one mode. One
``fit_seeds`` call per :math:`\mu` (the U-curve's main set-up, :math:`\sigma_{\rm data} =
\sqrt{1+\mu^2}`), the same standard-normal draws shifted to :math:`\pm\mu`; every checkpoint is
read out on a grid at :math:`\sigma_{\rm read} = 0.045` (EMA), and the mass of the learned density
on each half-line is measured at the best epoch and at the last -- from the grid density, and by
counting samples of the reverse SDE (down to :math:`\sigma = 0.045`) on each side of 0.
"""

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ... import plotting, training
from ...keys import named_keys
from ..harness import ExperimentConfig, Meta, check_result, experiment, progress
from ...processes import geometric_grid
from ...samplers import sample
from ._common import map_params, mixture, process, readout_grid
from .ucurve import sigma_distributions

__all__ = ["Config", "Result", "run", "plot"]

SIGMA_READ = 0.045


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Attributes: n_train; mus: mode positions; width; epochs (a multiple of 25); n_seeds."""

    n_train: int = 1000
    mus: tuple = (1.0, 2.0, 3.0, 5.0, 10.0, 15.0)
    width: int = 128
    epochs: int = 400
    n_seeds: int = 2
    overrides = {"quick": dict(mus=(3.0,), width=32, epochs=100, n_seeds=2),
                 "large": dict(mus=(1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0), width=256,
                               epochs=2000, n_seeds=8)}

    def sizes(self):
        return {"n": self.n_train, "mus": "/".join(f"{m:g}" for m in self.mus),
                "width": self.width, "epochs": self.epochs, "seeds": self.n_seeds, "batch": 32}


class Result(NamedTuple):
    r"""Attributes:
      mus: ``(M,)``. epochs: ``(c,)``. kl: ``(M, s, c)`` grid read-out KL (EMA, 0.045).
      best_kl, best_epoch: ``(M, s)``. heavy_best, heavy_last: ``(M, s)`` the mass of the heavier
      half-line at the best and the last epoch (0.5 for the target, 1 for a single mode).
      heavy_samples: ``(M, s)`` the share of samples (last epoch) on the more populated side.
      n_samples: samples counted.
      x_grids: list of ``(g,)``; log_p0, log_q_best: lists of ``(g,)`` (seed 0). meta.
    """

    mus: np.ndarray
    epochs: np.ndarray
    kl: np.ndarray
    best_kl: np.ndarray
    best_epoch: np.ndarray
    heavy_best: np.ndarray
    heavy_last: np.ndarray
    heavy_samples: np.ndarray
    n_samples: int
    x_grids: list
    log_p0: list
    log_q_best: list
    meta: Meta | None = None

    def summary(self) -> dict:
        out = {}
        for i, mu in enumerate(self.mus):
            tag = f"{mu:g}".replace(".", "_")
            out.update({f"best_kl_{tag}": float(self.best_kl[i].mean()),
                        f"best_epoch_{tag}": float(self.best_epoch[i].mean()),
                        f"heavy_best_{tag}": float(self.heavy_best[i].mean()),
                        f"heavy_last_{tag}": float(self.heavy_last[i].mean())})
        out.update(mu_first=float(self.mus[0]), mu_last=float(self.mus[-1]),
                   best_kl_first=float(self.best_kl[0].mean()),
                   best_kl_last=float(self.best_kl[-1].mean()),
                   heavy_best_last=float(self.heavy_best[-1].mean()),
                   heavy_last_last=float(self.heavy_last[-1].mean()),
                   heavy_last_max=float(self.heavy_last[-1].max()),
                   heavy_samples_last=float(self.heavy_samples[-1].mean()),
                   heavy_samples_first=float(self.heavy_samples[0].mean()),
                   heavy_samples_sd=float(0.5 / np.sqrt(self.n_samples)),
                   best_epoch_last=float(self.best_epoch[-1].mean()))
        # the density drawn for the largest mu (seed 0, its best epoch): the mass within 3 (three
        # sd of a component) of either mode centre, beside p_0's; where it finds the modes
        near = self.near_modes(-1)
        out.update(best_epochs_last_text=" and ".join(str(int(e)) for e in self.best_epoch[-1]),
                   best_epoch_last_seed0=int(self.best_epoch[-1, 0]),
                   near_modes_best_last=near[1], near_modes_p0_last=near[0])
        # a mode is found where the density at its centre exceeds the density midway (x = 0)
        x, q = np.asarray(self.x_grids[-1]), np.asarray(self.log_q_best[-1])
        at = np.interp([-float(self.mus[-1]), 0.0, float(self.mus[-1])], x, q)
        found = int(at[0] > at[1]) + int(at[2] > at[1])
        out["located_last"] = ("finds both modes" if found == 2 else
                               "finds one mode only" if found == 1 else
                               "finds neither mode: it is one broad hump between them")
        mu_last, seed0 = float(self.mus[-1]), int(self.best_epoch[-1, 0])
        if mu_last < 15:
            compare = f"(The paper's μ = 15 is not run at this scale; the largest here is {mu_last:g}.)"
        elif found < 2:
            compare = ("At μ = 15 this disagrees with the paper, whose density finds the modes "
                       "and gets their weights wrong.")
        else:
            compare = "At μ = 15 the paper's density also finds the modes."
        if seed0 == 0:
            compare += (" A best epoch of 0 means that no trained checkpoint of that seed beats "
                        "the untrained denoiser (the posterior mean of one Gaussian with the "
                        "data's variance) in this read-out.")
        out["paper_compare"] = compare
        return out

    def near_modes(self, i: int):
        r"""``(p_0's, seed 0's best-epoch density's)`` mass within 3 of either mode centre
        :math:`\pm\mu` of the ``i``-th mode position."""
        x, mu = np.asarray(self.x_grids[i], np.float64), float(self.mus[i])
        near = np.abs(np.abs(x) - mu) < 3.0
        out = []
        for log in (self.log_p0[i], self.log_q_best[i]):
            q = np.exp(np.asarray(log, np.float64))
            out.append(float(np.trapezoid(q * near, x) / np.trapezoid(q, x)))
        return tuple(out)


def _heavy(log_q, x_grid):
    """Mass of the heavier half-line of the normalised density ``exp(log_q)`` on ``x_grid``."""
    q = np.exp(np.asarray(log_q, np.float64))
    x = np.asarray(x_grid, np.float64)
    left = np.trapezoid(np.where(x < 0, q, 0.0), x, axis=-1)
    return np.maximum(left, 1.0 - left)


@experiment("modes shift: KL and mass per mode against the mode distance")
def run(key, config: Config) -> Result:
    keys = named_keys(key, "data", "mus", "samples")
    base = jax.random.normal(keys.data, (config.n_train, 1))
    sign = jnp.where(jnp.arange(config.n_train) % 2 == 0, -1.0, 1.0)[:, None]
    proc = process()
    spe = config.n_train // 32
    n_c = max(1, config.epochs // 25)
    epochs = np.arange(n_c + 1) * (config.epochs // n_c)
    kls, best_kl, best_ep, heavy_b, heavy_l, grids, lp0s, lqs, heavy_s = ([] for _ in range(9))
    n_samples = 2000
    grid = geometric_grid(proc.T, SIGMA_READ ** 2, 100)
    for i, mu in enumerate(progress(config.mus, desc="modes shift: mu")):
        law = mixture(mu)
        data = base + mu * sign
        den = training.Denoiser(training.MLPNetwork(d=1, width=config.width, depth=1),
                                sigma_data=float(np.sqrt(1 + mu * mu)))
        res = training.fit_seeds(jax.random.split(jax.random.fold_in(keys.mus, i),
                                                  config.n_seeds), den, data,
                                 sigma_dist=sigma_distributions()["song"], weighting="sigma2",
                                 n_steps=n_c * (config.epochs // n_c) * spe, batch_size=32,
                                 n_checkpoints=n_c)
        xg = readout_grid(mu, SIGMA_READ)
        lp0 = law.log_prob(xg[:, None])
        lq = map_params(lambda p: training.grid_log_density(
            training.denoiser_score(den, p, proc), xg, sigma_read=SIGMA_READ),
            res.ema_checkpoints)                                        # (s, c, g)
        kl = np.asarray(training.kl_on_grid(lp0, jnp.asarray(lq), xg))  # (s, c)
        best = kl.argmin(axis=1)
        rows = np.arange(config.n_seeds)
        kls.append(kl)
        best_kl.append(kl[rows, best])
        best_ep.append(epochs[best])
        heavy_b.append(_heavy(lq[rows, best], xg))
        heavy_l.append(_heavy(lq[:, -1], xg))
        grids.append(np.asarray(xg))
        lp0s.append(np.asarray(lp0))
        lqs.append(lq[0, best[0]])
        counts = []
        for j in range(config.n_seeds):
            score = training.denoiser_score(den, training.select(res.ema_params, j), proc)
            x = sample(keys.samples, score, proc, n_samples, grid)
            right = float(jnp.mean(x[:, 0] > 0))
            counts.append(max(right, 1.0 - right))
        heavy_s.append(counts)
    return Result(np.asarray(config.mus), epochs, np.stack(kls), np.stack(best_kl),
                  np.stack(best_ep), np.stack(heavy_b), np.stack(heavy_l), np.asarray(heavy_s),
                  n_samples, grids, lp0s, lqs)


def plot(result: Result):
    """Best KL against mu; the heavier mode's mass; densities at the best epoch (smallest and
    largest mu)."""
    check_result(result, Result)
    with plotting.style():
        fig, axes = plotting.figure(2, 2, width=3.4, height=2.6)   # two rows of two panels
        ax = axes[0, 0]
        ax.errorbar(result.mus, result.best_kl.mean(axis=1), yerr=result.best_kl.std(axis=1),
                    fmt="o-")
        ax.set_yscale("log")
        ax.set_xlabel(r"mode position $\mu$ (distance $2\mu$)")
        ax.set_ylabel("best KL over epochs")
        ax = axes[0, 1]
        ax.plot(result.mus, result.heavy_best.mean(axis=1), "o-", label="best epoch")
        ax.plot(result.mus, result.heavy_last.mean(axis=1), "s--", label="last epoch")
        ax.plot(result.mus, result.heavy_samples.mean(axis=1), "k^:",
                label="last epoch, counted samples")
        ax.axhline(0.5, color="0.5", ls=":", lw=1)
        ax.set_ylim(0.45, 1.3)                  # room for the legend above the curves
        ax.set_xlabel(r"$\mu$")
        ax.set_ylabel("mass of the heavier side")
        ax.legend(fontsize=8, loc="upper left", ncol=2)
        for ax, i in zip(axes[1], (0, len(result.mus) - 1)):
            ax.plot(result.x_grids[i], np.exp(result.log_p0[i]), "k--", lw=1, label="$p_0$")
            ax.plot(result.x_grids[i], np.exp(result.log_q_best[i]), "C0", lw=1,
                    label=r"$p_\theta$ (best epoch)")
            ax.set_title(rf"$\mu$ = {result.mus[i]:g}, seed 0", fontsize=8)
            ax.set_ylim(top=1.4 * max(np.exp(result.log_p0[i]).max(),
                                      np.exp(result.log_q_best[i]).max()))
            ax.set_xlabel("$x$")
        axes[1, 0].legend(fontsize=8, loc="upper left", ncol=2)
        return plotting.finish(fig, result.meta, "EMA, grid read-out at σ = 0.045; error bars "
                               "± 1 sd over seeds")
