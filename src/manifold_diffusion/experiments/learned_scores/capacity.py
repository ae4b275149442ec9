r"""Capacity: the KL of Li et al.'s 1-D experiment against the network's width (their Fig. 11).

The U-curve's main set-up (:mod:`.ucurve`: Song VE, :math:`\lambda = \sigma^2`, batch 32, Adam
:math:`10^{-3}`, one hidden Swish layer) at widths :math:`m = 2^2, 2^4, \dots, 2^{10}`, one
``fit_seeds`` call per width. Read-outs at :math:`\sigma_{\rm read} = 0.045` of the EMA
parameters: the grid read-out at every checkpoint (every 25 epochs) and the flow read-out every 100 epochs and at every checkpoint
of epochs 950--1050. Reported: the KL averaged over epochs 950--1050 (the paper reads one
epoch, 1000) and the first epoch at which the seed-mean flow KL is :math:`\le 0.1`.
"""

import dataclasses
from typing import NamedTuple

import jax
import numpy as np

from ... import plotting, training
from ...keys import named_keys
from ..harness import ExperimentConfig, Meta, check_result, experiment, progress
from ._common import (PAPER, flow_ceiling, flow_ceiling_se, flow_kls, grid_ceiling, grid_kls,
                      many_draws_ceiling, mixture, process)
from .ucurve import MU, denoiser, sigma_distributions

__all__ = ["Config", "Result", "run", "plot"]

SIGMA_READ = 0.045
TARGET = 0.1


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Sizes of the width sweep.

    Attributes:
      n_train: training points. widths: hidden widths. epochs: training epochs (a multiple of
      25). n_seeds: seeds per width. flow_draws: fresh draws for the flow read-out.
      ceiling_draws: fresh draws for its memorization ceiling (many more: the integrand is
      heavy-tailed).
    """

    n_train: int = 1000
    widths: tuple = (4, 16, 64, 256, 1024)
    epochs: int = 1050
    n_seeds: int = 2
    flow_draws: int = 400
    ceiling_draws: int = 200_000
    overrides = {"quick": dict(widths=(32,), epochs=100, n_seeds=2, flow_draws=100, ceiling_draws=2000),
                 "large": dict(widths=(2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048),
                               epochs=10_000, n_seeds=8, flow_draws=2000,
                               ceiling_draws=1_000_000)}

    def sizes(self):
        return {"n": self.n_train, "widths": "/".join(map(str, self.widths)),
                "epochs": self.epochs, "seeds": self.n_seeds, "batch": 32}


class Result(NamedTuple):
    r"""Attributes:
      widths: ``(w,)``. epochs: ``(c,)`` checkpoint epochs (every 25).
      kl_grid: ``(w, s, c)`` EMA grid read-out KL at 0.045.
      window_epochs: ``(k,)`` the checkpoints in [950, 1050] (or the last ones of a short run).
      flow_epochs: ``(f,)`` every 100 epochs and the window. kl_flow: ``(w, s, f)`` EMA flow
      read-out KL there.
      ceiling_grid, ceiling_flow: the memorization ceilings at 0.045 (one training draw).
      ceiling_flow_se: the flow ceiling's Monte Carlo standard error over the fresh draws.
      ceiling_flow_many, ceiling_flow_many_se: the same over ``ceiling_draws`` fresh draws. meta.
    """

    widths: np.ndarray
    epochs: np.ndarray
    kl_grid: np.ndarray
    window_epochs: np.ndarray
    flow_epochs: np.ndarray
    kl_flow: np.ndarray
    ceiling_grid: float
    ceiling_flow: float
    ceiling_flow_se: float = float("nan")
    ceiling_flow_many: float = float("nan")
    ceiling_flow_many_se: float = float("nan")
    ceiling_draws: int = 0
    meta: Meta | None = None

    def window(self, readout: str = "flow"):
        """``(w,)`` KL averaged over the window's checkpoints and the seeds, and its sd over seeds."""
        if readout == "flow":
            per_seed = self.kl_flow[:, :, np.isin(self.flow_epochs, self.window_epochs)].mean(axis=2)
        else:
            sel = np.isin(self.epochs, self.window_epochs)
            per_seed = self.kl_grid[:, :, sel].mean(axis=2)
        return per_seed.mean(axis=1), per_seed.std(axis=1)

    def first_epoch_below(self, target: float = TARGET):
        """``(w,)`` first flow read-out epoch with seed-mean KL <= target (NaN: not reached)."""
        mean = self.kl_flow.mean(axis=1)
        return np.array([self.flow_epochs[np.argmax(m <= target)] if np.any(m <= target)
                         else np.nan for m in mean])

    def summary(self) -> dict:
        flow, flow_sd = self.window("flow")
        grid, _ = self.window("grid")
        reach = self.first_epoch_below()
        out = {"ceiling_grid": self.ceiling_grid, "ceiling_flow": self.ceiling_flow,
               "epochs": int(self.epochs[-1]), "window_lo": int(self.window_epochs[0]),
               "window_hi": int(self.window_epochs[-1]),
               "monotone": bool(np.all(np.diff(flow) < 0)),
               "ordering_text": (
                   "is measured at one width only at this scale" if len(flow) < 2 else
                   "falls with the width at every step from one width to the next (seed mean), "
                   "the paper's ordering" if np.all(np.diff(flow) < 0) else
                   "does not fall with the width at every step (seed mean), against the paper's "
                   "ordering"),
               "ceiling_flow_se": self.ceiling_flow_se, "n_seeds": int(self.kl_flow.shape[1]),
               "ceiling_flow_many": self.ceiling_flow_many,
               "ceiling_flow_many_se": self.ceiling_flow_many_se,
               "ceiling_draws": int(self.ceiling_draws)}
        # steps between neighbouring widths whose change is within the seeds' spread (the sum
        # of the two sds): not resolved by these seeds
        unresolved = [f"from width {self.widths[j]} to {self.widths[j + 1]} ({flow[j]:.3f} ± "
                      f"{flow_sd[j]:.3f} against {flow[j + 1]:.3f} ± {flow_sd[j + 1]:.3f})"
                      for j in range(len(flow) - 1)
                      if abs(flow[j + 1] - flow[j]) <= flow_sd[j] + flow_sd[j + 1]]
        out["unresolved_text"] = (
            "there is no step between widths to resolve" if len(flow) < 2 else
            "every step is larger than the spread of the seeds" if not unresolved else
            f"the step {unresolved[0]} is within the spread of the seeds, so not resolved"
            if len(unresolved) == 1 else
            f"the steps {', '.join(unresolved[:-1])} and {unresolved[-1]} are within the spread "
            "of the seeds, so not resolved")
        for j, w in enumerate(self.widths):
            out[f"flow_{w}"] = float(flow[j])
            out[f"flow_sd_{w}"] = float(flow_sd[j])
            out[f"grid_{w}"] = float(grid[j])
            out[f"reach_{w}"] = "not reached" if np.isnan(reach[j]) else int(reach[j])
        out.update(width_narrow=int(self.widths[0]), width_wide=int(self.widths[-1]),
                   flow_narrow=float(flow[0]), flow_wide=float(flow[-1]))
        return out

    def table(self) -> str:
        """An HTML table of the window KLs and first epochs beside the paper's (Fig. 11)."""
        flow, flow_sd = self.window("flow")
        grid, _ = self.window("grid")
        reach = self.first_epoch_below()
        rows = []
        for j, w in enumerate(self.widths):
            paper_kl = PAPER["capacity_kl1000"].get(int(w))
            paper_ep = PAPER["capacity_epochs_to_target"].get(int(w), "")
            rows.append(
                f"<tr><td>{w}</td><td>{'' if paper_kl is None else paper_kl}</td>"
                f"<td>{flow[j]:.3f} ± {flow_sd[j]:.3f}</td><td>{grid[j]:.2f}</td>"
                f"<td>{'never (cap 10 000)' if paper_ep is None else paper_ep}</td>"
                f"<td>{'not within ' + str(int(self.epochs[-1])) if np.isnan(reach[j]) else int(reach[j])}</td></tr>")
        head = ("<tr><th>width m</th><th>paper, KL at epoch 1000</th>"
                f"<th>here, flow (0.045, EMA), epochs {self.window_epochs[0]}–{self.window_epochs[-1]}</th>"
                "<th>here, grid, same epochs</th><th>paper, first epoch with KL ≤ 0.1</th>"
                "<th>here (flow)</th></tr>")
        return f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


@experiment("capacity: KL against the network's width")
def run(key, config: Config) -> Result:
    keys = named_keys(key, "data", "fresh", "widths", "ceiling")
    law = mixture(MU)
    data = law.sample(keys.data, config.n_train)
    x0 = law.sample(keys.fresh, config.flow_draws)
    lx0 = law.log_prob(x0)
    proc = process()
    spe = config.n_train // 32
    n_c = max(1, config.epochs // 25)
    epochs = np.arange(n_c + 1) * (config.epochs // n_c)
    window = np.flatnonzero((epochs >= 950) & (epochs <= 1050))
    if window.size == 0:
        window = np.arange(max(0, n_c - 2), n_c + 1)
    flow_idx = np.union1d(np.arange(0, n_c + 1, 4), window)
    kl_grid, kl_flow = [], []
    for j, w in enumerate(progress(config.widths, desc="capacity: widths")):
        den = denoiser(w)
        res = training.fit_seeds(jax.random.split(jax.random.fold_in(keys.widths, j),
                                                  config.n_seeds), den, data,
                                 sigma_dist=sigma_distributions()["song"], weighting="sigma2",
                                 n_steps=n_c * (config.epochs // n_c) * spe, batch_size=32,
                                 n_checkpoints=n_c)
        kl_grid.append(grid_kls(den, res.ema_checkpoints, proc, law, SIGMA_READ, MU))
        sub = training.select(res.ema_checkpoints, slice(None), flow_idx)
        kl_flow.append(flow_kls(den, sub, proc, x0, lx0, SIGMA_READ, 64))
    many, many_se = many_draws_ceiling(keys.ceiling, data, law, proc, SIGMA_READ, config.ceiling_draws)
    return Result(np.asarray(config.widths), epochs, np.stack(kl_grid), epochs[window],
                  epochs[flow_idx], np.stack(kl_flow),
                  grid_ceiling(data, law, proc, SIGMA_READ, MU),
                  flow_ceiling(data, proc, x0, lx0, SIGMA_READ),
                  ceiling_flow_se=flow_ceiling_se(data, proc, x0, lx0, SIGMA_READ),
                  ceiling_flow_many=many, ceiling_flow_many_se=many_se,
                  ceiling_draws=config.ceiling_draws)


def plot(result: Result):
    """KL against epochs per width (grid read-out, EMA); the window KL against width beside the
    paper's Fig. 11."""
    check_result(result, Result)
    ceiling = result.ceiling_flow_many if np.isfinite(result.ceiling_flow_many) else result.ceiling_flow
    with plotting.style():
        fig, axes = plotting.figure(2, width=3.4, height=3.6)
        ax = axes[0, 0]
        for j, w in enumerate(result.widths):
            ax.plot(result.flow_epochs, result.kl_flow[j].mean(axis=0), "o-", ms=2.5,
                    color=f"C{j}", lw=1, label=f"m = {w}")
            ax.plot(result.epochs, result.kl_grid[j].mean(axis=0), ":", color=f"C{j}", lw=0.8)
        ax.axhline(TARGET, color="0.5", ls=":", lw=1)
        ax.axhline(ceiling, color="k", ls="--", lw=0.8, label="ceiling (flow)")
        ax.axvspan(result.window_epochs[0], result.window_epochs[-1], color="0.85", lw=0)
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("KL (σ_read = 0.045, EMA)")
        ax.legend(fontsize=7, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.2))
        ax = axes[0, 1]
        for readout, marker in (("flow", "o-"), ("grid", "s:")):
            mean, sd = result.window(readout)
            ax.errorbar(result.widths, mean, yerr=sd if readout == "flow" else None, fmt=marker,
                        ms=4, label=f"{readout}, epochs "
                                    f"{result.window_epochs[0]}–{result.window_epochs[-1]}")
        ax.axhline(ceiling, color="k", ls="--", lw=0.8, label="ceiling (flow)")
        paper = PAPER["capacity_kl1000"]
        ax.plot(list(paper), list(paper.values()), "k^--", label="paper, Fig. 11 (epoch 1000)")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("hidden width $m$")
        ax.set_ylabel("KL")
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2))
        return plotting.finish(fig, result.meta, "left: flow read-out (dots), grid read-out "
                               "(dotted), grey: the window; EMA parameters; error bars ± 1 sd "
                               "over seeds")
