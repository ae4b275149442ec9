r"""Early stopping: KL against epochs for Li et al.'s 1-D experiment, read out two ways at two
noise levels, beside the memorization ceiling.

The set-up of :cite:`li2023generalization` (Figs. 3, 4, 8): :math:`n = 1000` draws of
:math:`\tfrac12N(-3,1)+\tfrac12N(3,1)`, a one-hidden-layer Swish network, Adam with step
:math:`10^{-3}`, 2000 epochs. What the paper leaves open is fixed as in the known replication
(Song et al.'s VE code): noise levels :class:`~manifold_diffusion.training.SongVESigma` with
:math:`\lambda = \sigma^2` (``weighting="sigma2"``), here on :math:`[0.002, 50]`, inside the
book's EDM-preconditioned denoiser (:math:`\sigma_{\rm data} = \sqrt{10}`, the mixture's standard
deviation). Runs (one ``fit_seeds`` call each): the main set-up with minibatches of 32 (31 steps
per epoch) and with the full batch (one step per epoch), and two full-batch variants (compared
with the full-batch main run): Li et al.'s own weighting :math:`\lambda\propto\sigma` (eq. 6;
``"sigma"``) and EDM's (log-normal noise levels, ``"edm"``).

Every checkpoint is read out, raw and EMA, at :math:`\sigma_{\rm read} = 0.003` and 0.045, by the
score on a grid (:func:`~manifold_diffusion.training.kl_grid_readout`) and by the probability-flow
likelihood of fresh draws (:func:`~manifold_diffusion.training.kl_flow_readout`, every
``flow_every``-th checkpoint), each beside its memorization ceiling (the same read-out of the
empirical score). The training and held-out denoising losses on fixed draws are recorded too.
"""

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import matplotlib.ticker
import numpy as np

from ... import plotting, training
from ..._checks import check_positive_int
from ...keys import named_keys
from ..harness import ExperimentConfig, Meta, check_result, experiment, progress
from ._common import (PAPER, SIGMA_READS, flatten_leading, flow_ceiling, flow_ceiling_se, flow_kls,
                      grid_ceiling, grid_kls, many_draws_ceiling, map_params, mixture, process,
                      readout_grid)

__all__ = ["Config", "Result", "RUNS", "run", "plot", "plot_densities", "denoiser"]
__all__ += ["sigma_distributions"]

MU = 3.0
#: (label, weighting, noise-level distribution name, minibatch size or None) of each run.
RUNS = (("Song VE, λ = σ², batch 32", "sigma2", "song", 32),
        ("Song VE, λ = σ², full batch", "sigma2", "song", None),
        ("Song VE, λ ∝ σ (Li et al. eq. 6), full batch", "sigma", "song", None),
        ("EDM (log-normal σ, EDM weight), full batch", "edm", "edm", None))


#: the epochs of the paper's Fig. 4, at which plot_densities shows the learned density
DENSITY_EPOCHS = (100, 1000, 1900)


def sigma_distributions():
    """The two training noise-level distributions of the runs."""
    return {"song": training.SongVESigma(0.002, 50.0), "edm": training.LogNormalSigma(-1.2, 1.2)}


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Sizes of the U-curve runs.

    Attributes:
      n_train: training points. width: hidden units of the one-layer Swish network.
      epochs: training epochs. n_seeds: seeds of the batch-32 main run. full_seeds: seeds of
      the full-batch runs (main and variants). n_checkpoints: checkpoints (plus the start).
      flow_every: every how many checkpoints the flow read-out runs. flow_draws: fresh draws of
      p0 for it. ceiling_draws: fresh draws for the memorization ceiling of the flow read-out
      (many more: its integrand is heavy-tailed). ema_decay. runs: indices into ``RUNS`` to
      train (the others stay NaN).
    """

    n_train: int = 1000
    width: int = 128
    epochs: int = 2000
    n_seeds: int = 8
    full_seeds: int = 4
    n_checkpoints: int = 40
    flow_every: int = 8
    flow_draws: int = 300
    ceiling_draws: int = 200_000
    ema_decay: float = 0.999
    runs: tuple = (0, 1, 2, 3)
    overrides = {"quick": dict(width=32, epochs=100, n_seeds=2, full_seeds=1, n_checkpoints=4,
                               flow_every=2, flow_draws=100, ceiling_draws=2000, runs=(0,)),
                 "large": dict(width=256, n_seeds=16, full_seeds=8, flow_every=2,
                               flow_draws=4000, ceiling_draws=1_000_000)}


def denoiser(width: int) -> training.Denoiser:
    """The network of the paper's experiments (one hidden Swish layer) in the EDM denoiser."""
    width = check_positive_int("width", width)
    return training.Denoiser(training.MLPNetwork(d=1, width=width, depth=1),
                             sigma_data=float(np.sqrt(1.0 + MU ** 2)))


class Result(NamedTuple):
    r"""KL against epochs of every run, read-out and noise level.

    Attributes:
      runs: the run labels (``RUNS``). epochs: ``(c,)`` checkpoint epochs (0 included).
      kl_grid: ``(r, 2, 2, s, c)`` grid read-out KL: run, raw/EMA, :math:`\sigma_{\rm read}`, seed,
        checkpoint (NaN where a run has fewer seeds).
      flow_epochs: ``(f,)``. kl_flow: ``(r, 2, 2, s, f)`` flow read-out KL.
      ceiling_grid, ceiling_flow: ``(2,)`` the memorization ceilings at each read-out level.
      loss_train, loss_heldout: ``(s, c)`` EMA denoising loss of the main run on fixed draws of the
        training and of held-out points (the same noise for every checkpoint).
      x_grid: ``(g,)``. log_p0: ``(g,)``. log_q: ``(3, g)`` seed 0's EMA density (main run) at
        epochs about 100, 1000 and 1900, read at 0.045. sigma_reads: ``(2,)``.
      steps_per_epoch: of the minibatch runs. ceiling_flow_se: ``(2,)`` the flow ceilings' Monte
      Carlo standard errors over the fresh draws (one training draw).
      ceiling_flow_many, ceiling_flow_many_se: ``(2,)`` the same ceilings and errors over
      ``ceiling_draws`` fresh draws. meta.
    """

    runs: tuple
    epochs: np.ndarray
    kl_grid: np.ndarray
    flow_epochs: np.ndarray
    kl_flow: np.ndarray
    ceiling_grid: np.ndarray
    ceiling_flow: np.ndarray
    loss_train: np.ndarray
    loss_heldout: np.ndarray
    x_grid: np.ndarray
    log_p0: np.ndarray
    log_q: np.ndarray
    sigma_reads: np.ndarray
    steps_per_epoch: int
    ceiling_flow_se: np.ndarray | None = None
    ceiling_flow_many: np.ndarray | None = None
    ceiling_flow_many_se: np.ndarray | None = None
    ceiling_draws: int = 0
    meta: Meta | None = None

    def curve(self, run: int = 0, ema: bool = True, readout: str = "grid", level: int = 0):
        """``(epochs, seed-mean, seed-sd)`` of one curve (NaN for a run not trained)."""
        kl = (self.kl_grid if readout == "grid" else self.kl_flow)[run, int(ema), level]
        epochs = self.epochs if readout == "grid" else self.flow_epochs
        if not np.any(np.isfinite(kl)):
            return epochs, np.full(kl.shape[-1], np.nan), np.full(kl.shape[-1], np.nan)
        return epochs, np.nanmean(kl, axis=0), np.nanstd(kl, axis=0)

    def summary(self) -> dict:
        """Start, minimum (value, epoch, sd), late value (mean, sd) of the seed-mean curves of
        every run x raw/EMA x read-out x sigma_read, keyed ``r{run}_{raw|ema}_{grid|flow}_{003|045}_*``,
        plus the ceilings and the held-out loss's best epoch."""
        out = {}
        for r in range(len(self.runs)):
            for e, tag in ((0, "raw"), (1, "ema")):
                for readout in ("grid", "flow"):
                    for lv, s in enumerate(self.sigma_reads):
                        ep, mean, sd = self.curve(r, bool(e), readout, lv)
                        key = f"r{r}_{tag}_{readout}_{_tag(s)}"
                        if not np.any(np.isfinite(mean)):        # a run this scale skips
                            out.update({f"{key}_{k}": float("nan") for k in (
                                "start", "min", "min_epoch", "min_sd", "late", "late_sd")})
                            continue
                        i = int(np.nanargmin(mean))
                        out.update({f"{key}_start": float(mean[0]), f"{key}_min": float(mean[i]),
                                    f"{key}_min_epoch": int(ep[i]), f"{key}_min_sd": float(sd[i]),
                                    f"{key}_late": float(mean[-1]), f"{key}_late_sd": float(sd[-1])})
        for lv, s in enumerate(self.sigma_reads):
            out[f"ceiling_grid_{_tag(s)}"] = float(self.ceiling_grid[lv])
            out[f"ceiling_flow_{_tag(s)}"] = float(self.ceiling_flow[lv])
            out[f"ceiling_flow_{_tag(s)}_se"] = (float("nan") if self.ceiling_flow_se is None
                                                 else float(self.ceiling_flow_se[lv]))
            for name, arr in (("many", self.ceiling_flow_many), ("many_se", self.ceiling_flow_many_se)):
                out[f"ceiling_flow_{_tag(s)}_{name}"] = float("nan") if arr is None else float(arr[lv])
        out["ceiling_draws"] = int(self.ceiling_draws)
        held = self.loss_heldout.mean(axis=0)
        gap = (self.loss_heldout - self.loss_train).mean(axis=0)
        out.update(heldout_best_epoch=int(self.epochs[int(np.argmin(held))]),
                   gap_start=float(gap[1]), gap_late=float(gap[-1]),
                   n_seeds=int(np.sum(np.isfinite(self.kl_grid[0, 0, 0, :, 0]))),
                   epochs=int(self.epochs[-1]),
                   steps_per_epoch=self.steps_per_epoch)
        # the mass of the left mode (x < 0) of the densities of plot_densities (0.5 for p_0),
        # and the checkpoint epochs they were read at
        q = np.exp(self.log_q - self.log_q.max(axis=1, keepdims=True))
        left = (q * (self.x_grid < 0)).sum(axis=1) / q.sum(axis=1)
        parts = []
        for role, e, m in zip(("early", "mid", "late"), DENSITY_EPOCHS, left):
            out[f"density_left_{role}"] = float(m)
            epoch = int(self.epochs[int(np.argmin(np.abs(self.epochs - e)))])
            out[f"density_epoch_{role}"] = epoch
            part = f"{'about right' if abs(m - 0.5) < 0.1 else 'off'} at epoch {epoch}"
            if part not in parts:                     # a short run reads one checkpoint thrice
                parts.append(part)
        out["density_balance_text"] = ", ".join(parts)
        return out


def _flow_ceiling(result: Result) -> np.ndarray:
    """The flow ceilings drawn: over the many ceiling draws when the result has them."""
    return result.ceiling_flow if result.ceiling_flow_many is None else result.ceiling_flow_many


def _tag(s: float) -> str:
    return f"{s:.3f}".replace("0.", "").replace(".", "")


@experiment("U-curve: KL against epochs, two read-outs at two noise levels")
def run(key, config: Config) -> Result:
    keys = named_keys(key, "data", "heldout", "fresh", "runs", "draws", "ceiling")
    law = mixture(MU)
    data = law.sample(keys.data, config.n_train)
    heldout = law.sample(keys.heldout, config.n_train)
    x0 = law.sample(keys.fresh, config.flow_draws)
    lx0 = law.log_prob(x0)
    proc = process()
    den = denoiser(config.width)
    dists = sigma_distributions()
    spe = config.n_train // 32
    n_c = config.n_checkpoints
    s_max = max(config.n_seeds, config.full_seeds)
    kl_grid = np.full((len(RUNS), 2, 2, s_max, n_c + 1), np.nan)
    f_idx = np.arange(0, n_c + 1, config.flow_every)
    kl_flow = np.full((len(RUNS), 2, 2, s_max, len(f_idx)), np.nan)
    main = None
    for r in progress(config.runs, desc="U-curve runs"):
        label, weighting, dist, batch = RUNS[r]
        seeds = config.n_seeds if batch else config.full_seeds
        n_steps = config.epochs * (spe if batch else 1)
        n_steps -= n_steps % n_c
        res = training.fit_seeds(jax.random.split(jax.random.fold_in(keys.runs, r), seeds), den,
                                 data, sigma_dist=dists[dist], weighting=weighting,
                                 n_steps=n_steps, batch_size=batch, n_checkpoints=n_c,
                                 ema_decay=config.ema_decay)
        for e, ck in enumerate((res.checkpoints, res.ema_checkpoints)):
            sub = training.select(ck, slice(None), f_idx)
            for lv, s in enumerate(SIGMA_READS):
                kl_grid[r, e, lv, :seeds] = grid_kls(den, ck, proc, law, s, MU)
                kl_flow[r, e, lv, :seeds] = flow_kls(den, sub, proc, x0, lx0, s, 64)
        if main is None:
            main = res
    epochs = np.arange(n_c + 1) * (config.epochs // n_c)
    # training and held-out loss of the main run's EMA checkpoints, on fixed draws (one
    # compiled program for both sets)
    @jax.jit
    def losses(tree, draws):
        flat, _ = flatten_leading(tree)
        return jax.lax.map(lambda p: training.fixed_draws_loss(p, den, draws, weighting="sigma2"),
                           flat)

    loss = []
    lead = jax.tree_util.tree_leaves(main.ema_checkpoints)[0].shape[:2]
    for k, pts in enumerate((data, heldout)):
        draws = training.fixed_draws(jax.random.fold_in(keys.draws, k), pts,
                                     sigma_dist=dists["song"], n_draws=4)
        loss.append(np.asarray(losses(main.ema_checkpoints, draws)).reshape(lead))
    xg = readout_grid(MU, 0.045)
    picks = np.array([int(np.argmin(np.abs(epochs - e))) for e in DENSITY_EPOCHS])
    log_q = map_params(lambda p: training.grid_log_density(
        training.denoiser_score(den, p, proc), xg, sigma_read=0.045),
        training.select(main.ema_checkpoints, 0, picks))
    ceil_grid = np.array([grid_ceiling(data, law, proc, s, MU) for s in SIGMA_READS])
    ceil_flow = np.array([flow_ceiling(data, proc, x0, lx0, s) for s in SIGMA_READS])
    many = [many_draws_ceiling(keys.ceiling, data, law, proc, s, config.ceiling_draws)
            for s in SIGMA_READS]
    return Result(tuple(label for label, *_ in RUNS), epochs, kl_grid, epochs[f_idx], kl_flow,
                  ceil_grid, ceil_flow, loss[0], loss[1], np.asarray(xg),
                  np.asarray(law.log_prob(xg[:, None])), log_q, np.asarray(SIGMA_READS), spe,
                  np.array([flow_ceiling_se(data, proc, x0, lx0, s) for s in SIGMA_READS]),
                  *map(np.array, zip(*many)), config.ceiling_draws)


def plot(result: Result):
    """KL against epochs for the main run: grid read-out (left) and flow read-out (middle) at both
    noise levels, raw and EMA, beside the ceilings and the paper's Adam curve; the variants'
    EMA flow read-outs at 0.045 (right)."""
    check_result(result, Result)
    with plotting.style():
        # two rows: the main run's two read-outs above; the variants and the legends below
        fig, axes = plotting.figure(2, 2, width=3.4, height=2.6)
        paper = PAPER["ucurve_adam"]
        for ax, readout in zip(axes[0, :2], ("grid", "flow")):
            ceil = result.ceiling_grid if readout == "grid" else _flow_ceiling(result)
            for lv, s in enumerate(result.sigma_reads):
                for ema, ls in ((False, ":"), (True, "-")):
                    ep, mean, sd = result.curve(0, ema, readout, lv)
                    ax.plot(ep, mean, ls, color=f"C{lv}", lw=1.2,
                            label=f"{s:g}, {'EMA' if ema else 'raw'}")
                    if ema:
                        ax.fill_between(ep, np.maximum(mean - sd, 1e-3), mean + sd,
                                        color=f"C{lv}", alpha=0.2, lw=0)
                ax.axhline(ceil[lv], color=f"C{lv}", lw=0.8, ls="--")
            ax.plot(list(paper), list(paper.values()), "k^-", ms=3, lw=0.8, label="paper, Fig. 8")
            ax.set_yscale("log")
            ax.set_xlabel("epoch")
            ax.set_ylabel(r"KL$(p_0\,\|\,p_\theta)$")
            ax.set_title(f"main run, {readout} read-out", fontsize=8)
        ax = axes[1, 0]
        for r, label in enumerate(result.runs):
            ep, mean, _ = result.curve(r, True, "flow", 1)
            ax.plot(ep, mean, "o-", ms=2.5, color=f"C{r + 2}", label=label)
        ax.axhline(_flow_ceiling(result)[1], color="C1", lw=0.8, ls="--")
        ax.set_yscale("log")
        ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel("epoch")
        ax.set_ylabel(r"KL$(p_0\,\|\,p_\theta)$")
        ax.set_title("every run: EMA, flow read-out at 0.045", fontsize=8)
        key = axes[1, 1]                        # a panel for the two legends
        key.axis("off")
        first = key.legend(*axes[0, 0].get_legend_handles_labels(), fontsize=8, ncol=2,
                           loc="upper left", title="main run (top panels), σ_read", title_fontsize=8)
        key.add_artist(first)
        key.legend(*ax.get_legend_handles_labels(), fontsize=8, loc="lower left",
                   title="every run (left panel)", title_fontsize=8)
        return plotting.finish(fig, result.meta, f"dashed: memorization ceiling; main run: line = "
                               f"seed mean, band = ± 1 sd (EMA); {result.steps_per_epoch} Adam "
                               "steps per epoch at batch 32")


def plot_densities(result: Result):
    """Seed 0's EMA density at epochs about 100, 1000, 1900 (the paper's Fig. 4), read at 0.045."""
    check_result(result, Result)
    with plotting.style():
        fig, axes = plotting.figure(3, width=2.8, height=2.4, sharey=True)
        for ax, lq, e in zip(axes[0], result.log_q, DENSITY_EPOCHS):
            ax.plot(result.x_grid, np.exp(result.log_p0), "k--", lw=1, label="$p_0$")
            ax.plot(result.x_grid, np.exp(lq), "C0", lw=1, label=r"$p_\theta$")
            ax.set_title(f"epoch ≈ {e}", fontsize=8)
            ax.set_xlabel("$x$")
        axes[0, 0].legend(fontsize=7)
        return plotting.finish(fig, result.meta, "grid read-out at σ = 0.045, EMA, seed 0")
