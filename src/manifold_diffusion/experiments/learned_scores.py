r"""Chapter 5, "Learned scores": early stopping, capacity, modes shift, sample size, memorization.

The 1-D experiments follow :cite:`li2023generalization` (their Figs. 3, 4, 5, 8, 10, 11): the
mixture :math:`\tfrac12N(-\mu,1)+\tfrac12N(\mu,1)`, :math:`n = 1000` training points, a
time-conditioned one-hidden-layer Swish network (the paper's experiments) and the ReLU
random-feature model with only its output layer trained (the paper's theorems), trained with Adam
on the weighted denoising score-matching loss with :math:`\lambda(t)\propto\sigma_t` (their
eq. 6). Choices the paper does not state, made here: the VP process with :math:`T = 5`, times
drawn on :math:`[t_{\min}, T]` with :math:`t_{\min} = 10^{-3}`, minibatches of 100 points drawn
with replacement (10 steps per epoch), and the time embedding of
:func:`~manifold_diffusion.training.time_embedding`.

The metric is :math:`\mathrm{KL}(p_0\,\|\,p_\theta)` with :math:`p_\theta` the law of the
probability-flow ODE's output at :math:`t_{\min}` (:func:`~manifold_diffusion.training.flow_log_density`,
Heun, 64 steps), on a grid of :math:`[-\mu-7, \mu+7]`. Its floor, with the exact score, is
recorded in every result (``kl_floor``), as is the KL of the fully memorizing (empirical) score.

- :func:`run_ucurve` -- KL, held-out DSM loss and training loss against epochs, over seeds, for
  both models (one ``vmap``-ed, compiled training run per model);
- :func:`run_capacity` -- KL against epochs for several widths: KL at 1000 epochs and the first
  epoch with KL :math:`\le 0.1`;
- :func:`run_modes` -- the mode separation :math:`\mu` swept in one ``vmap``-ed run: best KL over
  epochs and the mass on each mode;
- :func:`run_sample_size` -- early-stopped KL of the random-feature model with :math:`m = n`
  against :math:`n`, fitted slope beside the bound's :math:`-2/5`;
- :func:`run_memorization` -- an MLP on :math:`N` equally spaced points of the unit circle: the
  fraction of generated samples that are memorized and their distance to the circle over
  training, for several :math:`N` in one run (phase diagram), and the relative error of the
  trained score against the empirical score over time;
- :func:`epoch_widget` -- a slider over epochs showing the learned density.

``REFERENCE`` holds the paper's numbers (read from its figures), drawn beside the curves.
"""

import dataclasses
import time
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from .. import metrics, plotting, training, widgets
from ..processes import VP, geometric_grid
from ..samplers import euler_maruyama
from ..scale import Scale
from ..scores import EmpiricalScore, GaussianMixture, MixtureScore
from ._common import Meta, make_meta, progress

__all__ = [
    "Config", "REFERENCE", "mixture", "circle_points",
    "UCurveResult", "run_ucurve", "plot_ucurve", "plot_densities", "ucurve_summary",
    "best_epoch_from_validation",
    "CapacityResult", "run_capacity", "plot_capacity",
    "ModesResult", "run_modes", "plot_modes",
    "SampleSizeResult", "run_sample_size", "plot_sample_size",
    "MemorizationResult", "run_memorization", "plot_memorization", "plot_score_error",
    "plot_epoch_frames", "plot_epoch", "epoch_widget",
]

#: The paper's numbers (Li et al. 2023, read from figures; approximate).
REFERENCE = {
    # Fig. 8, Adam lr 1e-3: epoch -> KL
    "ucurve_adam": {0: 0.69, 250: 0.23, 500: 0.18, 750: 0.14, 1000: 0.05, 1250: 0.39,
                    1500: 0.25, 1750: 0.33, 2000: 0.85},
    # Fig. 3, SGD lr 0.5: start range, minimum and its epoch, late range
    "ucurve_sgd": {"start": (1.05, 1.35), "min": 0.15, "min_epoch": 800, "late": (0.15, 0.45)},
    # Fig. 11: width -> KL after 1000 epochs, and first epoch with KL <= 0.1 (None: not within 10 000)
    "capacity_kl1000": {4: 1.3, 16: 0.45, 64: 0.3, 256: 0.2, 1024: 0.1},
    "capacity_epochs_to_target": {4: None, 16: 4500, 64: 2500, 256: 1500, 1024: 1000},
    "capacity_target": 0.1,
    # Thm 1 / eq. 16: the early-stopped KL bound ~ n^(-2/5) (upper bound)
    "rate_exponent": -0.4,
    # Figs. 5, 10: mode distance 30 (mu = 15): essentially one mode
    "modes": {"mu": 15.0, "best_epoch": 100, "single_mode": True},
}


@dataclasses.dataclass(frozen=True)
class Config:
    r"""Sizes of the chapter's experiments (frozen and hashable).

    Attributes:
      mu, n_train: the mixture :math:`\tfrac12N(\pm\mu,1)` and the training-set size.
      T, t_min: VP horizon and smallest time (training and density read-out).
      batch_size, learning_rate: Adam's minibatch (drawn with replacement) and step size;
        an epoch is ``n_train / batch_size`` steps.
      width, depth: the Swish network's hidden width and number of hidden layers.
      rf_width, rf_learning_rate, rf_feature_scale: the random-feature model.
      epochs, eval_every, n_seeds: training length, epochs between KL evaluations, seeds.
      n_val: held-out points for the validation DSM loss.
      grid_points, ode_steps: the KL grid and the probability-flow ODE's Heun steps.
      capacity_widths, capacity_epochs, capacity_seeds: the width sweep.
      mus, modes_epochs, modes_seeds: the mode-separation sweep.
      sizes, size_epochs, size_eval_every, size_seeds: the sample-size sweep (random features,
        ``m = n``, full batch).
      circle_sizes, circle_width, circle_depth, circle_learning_rate, circle_steps,
        circle_checkpoints, circle_batch, circle_samples, circle_sampler_steps: the
        memorization experiment (Adam, weighting :math:`\lambda\propto\sigma_t`).
      scale: the scale these sizes belong to.
    """

    mu: float = 3.0
    n_train: int = 1000
    T: float = 5.0
    t_min: float = 1e-3
    batch_size: int = 100
    learning_rate: float = 1e-3
    width: int = 256
    depth: int = 1
    rf_width: int = 1024
    rf_learning_rate: float = 0.1
    rf_feature_scale: float = 3.0
    epochs: int = 2000
    eval_every: int = 50
    n_seeds: int = 4
    n_val: int = 4000
    grid_points: int = 401
    ode_steps: int = 64
    capacity_widths: tuple[int, ...] = (4, 16, 64, 256, 1024)
    capacity_epochs: int = 1000
    capacity_seeds: int = 2
    mus: tuple[float, ...] = (1.0, 2.0, 3.0, 5.0, 10.0, 15.0)
    modes_epochs: int = 1000
    modes_seeds: int = 2
    sizes: tuple[int, ...] = (100, 200, 400, 800, 1600)
    size_epochs: int = 1000
    size_eval_every: int = 100
    size_seeds: int = 2
    circle_sizes: tuple[int, ...] = (4, 8, 16, 64)
    circle_width: int = 128
    circle_depth: int = 2
    circle_learning_rate: float = 3e-3
    circle_steps: int = 10000
    circle_checkpoints: int = 10
    circle_batch: int = 64
    circle_samples: int = 300
    circle_sampler_steps: int = 100
    scale: str = "default"

    @classmethod
    def at_scale(cls, scale: str) -> "Config":
        """The configuration for ``scale`` (``quick``, ``default`` or ``large``)."""
        if scale == "quick":
            return cls(scale="quick", epochs=60, eval_every=20, n_seeds=2, n_val=1000,
                       width=64, rf_width=256, grid_points=101, ode_steps=16,
                       capacity_widths=(16,), capacity_epochs=60, capacity_seeds=1,
                       mus=(3.0, 15.0), modes_epochs=60, modes_seeds=1, sizes=(100, 300),
                       size_epochs=60, size_eval_every=20, size_seeds=2, circle_sizes=(4, 32),
                       circle_width=32,
                       circle_steps=200, circle_checkpoints=2, circle_samples=100,
                       circle_sampler_steps=20)
        if scale == "default":
            return cls()
        if scale == "large":
            return cls(scale="large", n_seeds=16, capacity_widths=(2, 4, 8, 16, 32, 64, 128, 256,
                                                                   512, 1024, 2048),
                       capacity_epochs=10000, capacity_seeds=5, modes_seeds=5,
                       mus=(1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0),
                       sizes=(100, 300, 1000, 3000, 10000), size_epochs=5000,
                       size_eval_every=100, size_seeds=8,
                       circle_sizes=(2, 4, 8, 16, 32, 64, 128, 256), circle_width=256,
                       circle_steps=100000, circle_checkpoints=20, circle_samples=1000)
        raise ValueError(f"scale: expected 'quick', 'default' or 'large', got {scale!r}")

    def process(self) -> VP:
        """The forward process (VP, horizon ``T``)."""
        return VP(T=self.T)

    def steps_per_epoch(self, n: int | None = None) -> int:
        """Optimiser steps per epoch on ``n`` points (default ``n_train``)."""
        return max(1, (n or self.n_train) // self.batch_size)


def mixture(mu: float) -> GaussianMixture:
    r"""The 1-D law :math:`\tfrac12N(-\mu,1)+\tfrac12N(\mu,1)`."""
    return GaussianMixture(jnp.array([0.5, 0.5]), jnp.array([[-mu], [mu]]),
                           jnp.ones((2, 1, 1)))


def circle_points(n: int, d: int = 2):
    """``n`` equally spaced points on the unit circle in the first two of ``d`` coordinates."""
    angle = 2 * jnp.pi * jnp.arange(n, dtype=jnp.result_type(float)) / n
    pts = jnp.stack([jnp.cos(angle), jnp.sin(angle)], axis=1)
    return jnp.concatenate([pts, jnp.zeros((n, d - 2))], axis=1) if d > 2 else pts


def _x_grid(mu, cfg: Config):
    return jnp.linspace(-mu - 7.0, mu + 7.0, cfg.grid_points)


def _mlp(cfg: Config, width=None) -> training.MLP:
    return training.MLP(d=1, width=width or cfg.width, depth=cfg.depth)


def _rf(cfg: Config, width=None) -> training.RandomFeatures:
    return training.RandomFeatures(d=1, width=width or cfg.rf_width, n_frequencies=1,
                                   feature_scale=cfg.rf_feature_scale)


def _log_densities(model, checkpoints, x_grid, cfg: Config):
    """Normalised log-densities of the ODE output law for every checkpoint: leaves
    ``(..., c, ...)`` -> ``(..., c, g)``; ``x_grid`` ``(g,)`` or ``(..., g)`` matching the lead."""
    process = cfg.process()

    def one(params, xg):
        s = training.score_function(model, params, process)
        lq = training.flow_log_density(s, xg[:, None], process, t_min=cfg.t_min,
                                       n_steps=cfg.ode_steps)
        return training.density.normalize_log_density(lq, xg)

    lead = jax.tree_util.tree_leaves(checkpoints)[0].ndim - _leaf_ndim(model)
    fn = one
    grid_axes = []
    for level in range(lead):
        grid_axes.append(None if x_grid.ndim == 1 or level >= x_grid.ndim - 1 else 0)
    for ax in reversed(grid_axes):
        fn = jax.vmap(fn, in_axes=(0, ax))
    return jax.jit(fn)(checkpoints, x_grid)


def _leaf_ndim(model) -> int:
    leaf = jax.tree_util.tree_leaves(model.init(jax.random.key(0)))[0]
    return leaf.ndim


def _kl(log_p0, log_q, x_grid):
    return np.asarray(training.kl_on_grid(log_p0, log_q, x_grid, normalize=True))


@eqx.filter_jit
def _flow_jit(score, x, process, t_min, n_steps):
    return training.flow_log_density(score, x, process, t_min=t_min, n_steps=n_steps)


def _reference_kls(law, data, x_grid, cfg: Config):
    """(floor with the exact score, KL of the empirical = fully memorizing score)."""
    process = cfg.process()
    lp0 = law.log_prob(x_grid[:, None])
    out = []
    for score in (MixtureScore(law, process), EmpiricalScore(data, process)):
        lq = _flow_jit(score, x_grid[:, None], process, cfg.t_min, cfg.ode_steps)
        out.append(float(training.kl_on_grid(lp0, lq, x_grid)))
    return tuple(out)


def _val_losses(model, checkpoints, val, cfg: Config, key):
    """Held-out weighted DSM loss for every checkpoint (same noise for all)."""
    process = cfg.process()

    def one(params):
        s = lambda x, t: model.apply(params, x, t, process)   # noqa: E731
        return training.weighted_dsm_loss(key, s, val, process, t_min=cfg.t_min,
                                          weighting="li2023", per_point_time=True)

    return np.asarray(jax.jit(jax.vmap(jax.vmap(one)))(checkpoints))


# --- 1. the U curve -------------------------------------------------------------------------

class UCurveResult(NamedTuple):
    """KL against epochs for the Swish network and the random-feature model.

    Attributes:
      epochs: ``(c,)`` epochs of the checkpoints (0 included).
      kl_mlp, kl_rf: ``(s, c)`` KL per seed and checkpoint.
      val_mlp, val_rf: ``(s, c)`` held-out weighted DSM loss.
      train_mlp, train_rf: ``(s, c - 1)`` mean training loss over each stretch of epochs.
      x_grid: ``(g,)``. log_p0: ``(g,)``. log_q_mlp, log_q_rf: ``(c, g)`` seed 0's densities.
      kl_floor: KL of the exact score through the same estimator.
      kl_memorize: KL of the empirical score (what a fully memorizing model gives).
      steps_per_epoch: optimiser steps per epoch. meta.
    """

    epochs: np.ndarray
    kl_mlp: np.ndarray
    kl_rf: np.ndarray
    val_mlp: np.ndarray
    val_rf: np.ndarray
    train_mlp: np.ndarray
    train_rf: np.ndarray
    x_grid: np.ndarray
    log_p0: np.ndarray
    log_q_mlp: np.ndarray
    log_q_rf: np.ndarray
    kl_floor: float
    kl_memorize: float
    steps_per_epoch: int
    meta: Meta


def _train_kl(key, model, data, cfg, lr, epochs, n_seeds, x_grid, log_p0, *, n_valid=None,
              batch_size="cfg", eval_every=None):
    """Train ``n_seeds`` seeds in one call; return (result, log-densities (s, c, g), KL (s, c))."""
    bs = cfg.batch_size if batch_size == "cfg" else batch_size
    spe = cfg.steps_per_epoch() if bs is not None else 1
    every = eval_every or cfg.eval_every
    n_ckpt = epochs // every if epochs % every == 0 else 1
    res = training.train_seeds(jax.random.split(key, n_seeds), model, data, cfg.process(),
                               n_steps=epochs * spe, optimizer=optax.adam(lr), batch_size=bs,
                               t_min=cfg.t_min, weighting="li2023", n_checkpoints=n_ckpt,
                               n_valid=n_valid)
    lq = np.asarray(_log_densities(model, res.checkpoints, x_grid, cfg))
    return res, lq, _kl(log_p0, lq, x_grid)


def run_ucurve(key, cfg: Config) -> UCurveResult:
    """Train the Swish network and the random-feature model on the same ``n_train`` points,
    ``cfg.n_seeds`` seeds each (initialisation, minibatches and noise differ per seed)."""
    start = time.perf_counter()
    k_data, k_val, k_mlp, k_rf, k_noise = jax.random.split(key, 5)
    law = mixture(cfg.mu)
    data = law.sample(k_data, cfg.n_train)
    val = law.sample(k_val, cfg.n_val)
    xg = _x_grid(cfg.mu, cfg)
    lp0 = np.asarray(law.log_prob(xg[:, None]))
    out = {}
    for name, model, k, lr in progress([("mlp", _mlp(cfg), k_mlp, cfg.learning_rate),
                                        ("rf", _rf(cfg), k_rf, cfg.rf_learning_rate)],
                                       desc="U curve: models"):
        res, lq, kl = _train_kl(k, model, data, cfg, lr, cfg.epochs, cfg.n_seeds, xg, lp0)
        val_loss = _val_losses(model, res.checkpoints, val, cfg, k_noise)
        n_ckpt = kl.shape[1] - 1
        train_loss = np.asarray(res.loss).reshape(cfg.n_seeds, n_ckpt, -1).mean(axis=2)
        out[name] = (kl, val_loss, train_loss, lq[0])
    floor, memo = _reference_kls(law, data, xg, cfg)
    epochs = np.arange(out["mlp"][0].shape[1]) * (cfg.epochs // (out["mlp"][0].shape[1] - 1))
    sizes = {"n": cfg.n_train, "mu": cfg.mu, "width": cfg.width, "m_rf": cfg.rf_width,
             "batch": cfg.batch_size, "epochs": cfg.epochs, "seeds": cfg.n_seeds}
    meta = make_meta("U curve (KL against epochs)", sizes, key, start, cfg.scale)
    return UCurveResult(epochs, out["mlp"][0], out["rf"][0], out["mlp"][1], out["rf"][1],
                        out["mlp"][2], out["rf"][2], np.asarray(xg), lp0, out["mlp"][3],
                        out["rf"][3], floor, memo, cfg.steps_per_epoch(), meta)


def ucurve_summary(res: UCurveResult, which: str = "mlp") -> dict:
    """Minimum of the seed-mean KL, its epoch, the first and last values, and the late rise."""
    kl = res.kl_mlp if which == "mlp" else res.kl_rf
    mean = kl.mean(axis=0)
    i = int(np.argmin(mean))
    return {"start": float(mean[0]), "min": float(mean[i]), "min_epoch": int(res.epochs[i]),
            "late": float(mean[-1]), "late_sd": float(kl[:, -1].std()),
            "min_sd": float(kl[:, i].std()), "best_per_seed": float(kl.min(axis=1).mean())}


def best_epoch_from_validation(epochs, val_loss) -> int:
    """The early-stopping epoch: the checkpoint with the smallest validation loss."""
    return int(np.asarray(epochs)[int(np.argmin(np.asarray(val_loss)))])


def _band(ax, x, y, color, label):
    """Seed mean as a line, the range over seeds (min to max) as a band."""
    ax.plot(x, y.mean(axis=0), color=color, label=label)
    if y.shape[0] > 1:
        ax.fill_between(x, y.min(axis=0), y.max(axis=0), color=color, alpha=0.25, lw=0)


def plot_ucurve(res: UCurveResult):
    """KL against epochs (mean ± sd over seeds) beside the paper's Adam curve; the held-out
    DSM loss of the same checkpoints."""
    with plotting.style():
        fig, axes = plotting.figure(2, width=4.2, height=3.2)
        ax = axes[0, 0]
        _band(ax, res.epochs, res.kl_mlp, "C0", "Swish network (paper's experiment)")
        _band(ax, res.epochs, res.kl_rf, "C1", "random features (paper's theorems)")
        ref = REFERENCE["ucurve_adam"]
        ax.plot(list(ref), list(ref.values()), "k^--", ms=4, lw=0.8,
                label="paper, Fig. 8 (network, Adam)")
        ax.axhline(res.kl_memorize, color="C3", ls=":", lw=1,
                   label=f"empirical score (memorizes): {res.kl_memorize:.2f}")
        ax.set_yscale("log")
        ax.set_ylim(bottom=0.02)
        ax.set_xlabel("epoch")
        ax.set_ylabel(r"KL$(p_0\,\|\,p_\theta)$")
        ax.legend(fontsize=6.5)
        ax = axes[0, 1]
        _band(ax, res.epochs, res.val_mlp, "C0", "Swish network, held-out")
        _band(ax, res.epochs, res.val_rf, "C1", "random features, held-out")
        ax.plot(res.epochs[1:], res.train_mlp.mean(axis=0), "C0--", lw=0.8,
                label="Swish network, training")
        ax.plot(res.epochs[1:], res.train_rf.mean(axis=0), "C1--", lw=0.8,
                label="random features, training")
        lo = min(res.val_mlp[:, 1:].min(), res.val_rf[:, 1:].min())
        ax.set_ylim(0.95 * lo, 1.6 * lo)
        ax.set_xlabel("epoch")
        ax.set_ylabel("weighted DSM loss")
        ax.legend(fontsize=6.5)
        return plotting.finish(fig, res.meta, f"line: seed mean; band: range over seeds; "
                               f"{res.steps_per_epoch} Adam steps per epoch; KL of the exact "
                               f"score (estimator floor) {res.kl_floor:.1e}")


def plot_densities(res: UCurveResult, epochs=(100, 1000, 1900), which: str = "mlp"):
    """The learned density (seed 0) at a few epochs against :math:`p_0` (the paper's Fig. 4)."""
    lq = res.log_q_mlp if which == "mlp" else res.log_q_rf
    rows = [int(np.argmin(np.abs(res.epochs - e))) for e in epochs]
    kl = res.kl_mlp if which == "mlp" else res.kl_rf
    with plotting.style():
        fig, axes = plotting.figure(len(rows), width=2.8, height=2.4, sharey=True)
        for ax, i in zip(axes[0], rows):
            ax.plot(res.x_grid, np.exp(res.log_p0), "k--", lw=1, label="$p_0$")
            ax.plot(res.x_grid, np.exp(lq[i]), "C0", label=r"$p_\theta$")
            ax.set_title(f"epoch {res.epochs[i]}: KL {kl[0, i]:.2f}", fontsize=8)
            ax.set_xlabel("$x$")
        axes[0, 0].set_ylabel("density")
        axes[0, 0].legend(fontsize=6.5)
        return plotting.finish(fig, res.meta, "seed 0; probability-flow ODE law at t_min")


def plot_epoch_frames(res: UCurveResult, n_frames: int = 6):
    """Static twin of :func:`epoch_widget`: the density at evenly spaced epochs."""
    idx = np.linspace(0, len(res.epochs) - 1, n_frames).round().astype(int)
    return plot_densities(res, epochs=tuple(int(res.epochs[i]) for i in idx))


def plot_epoch(res: UCurveResult, epoch: int, which: str = "mlp"):
    """The learned density at the checkpoint nearest ``epoch`` beside :math:`p_0`, and that epoch
    marked on the seed-mean KL curve (one frame of :func:`epoch_widget`)."""
    lq = res.log_q_mlp if which == "mlp" else res.log_q_rf
    kl = res.kl_mlp if which == "mlp" else res.kl_rf
    i = int(np.argmin(np.abs(res.epochs - epoch)))
    with plotting.style():
        fig, axes = plotting.figure(2, width=3.4, height=2.6)
        axes[0, 0].plot(res.x_grid, np.exp(res.log_p0), "k--", lw=1, label="$p_0$")
        axes[0, 0].plot(res.x_grid, np.exp(lq[i]), "C0", label=rf"$p_\theta$, epoch {int(res.epochs[i])}")
        axes[0, 0].legend(fontsize=7)
        axes[0, 1].plot(res.epochs, kl.mean(axis=0), "C0")
        axes[0, 1].axvline(res.epochs[i], color="C3")
        axes[0, 1].set_yscale("log")
        axes[0, 1].set_xlabel("epoch")
        axes[0, 1].set_ylabel("KL")
        return plotting.finish(fig, res.meta)


def epoch_widget(res: UCurveResult, which: str = "mlp"):
    """An ``ipywidgets`` slider over the checkpoints of ``res`` redrawing :func:`plot_epoch`
    (precomputed: no training). Returns ``(widget, update)``; ``update(epoch)`` draws one frame."""
    epochs = [int(e) for e in res.epochs]
    return widgets.slider(epochs, lambda epoch: plot_epoch(res, epoch, which),
                          value=epochs[len(epochs) // 2], description="epoch")


# --- 2. capacity --------------------------------------------------------------------------------

class CapacityResult(NamedTuple):
    """KL against epochs for several widths of the Swish network.

    Attributes: widths ``(w,)``; epochs ``(c,)``; kl ``(w, s, c)``; kl_at_1000 ``(w,)`` (seed
    mean at the checkpoint nearest epoch 1000); epochs_to_target ``(w,)`` first epoch with seed-mean
    KL ``<= target`` (NaN if not reached within ``epochs[-1]``); target; meta.
    """

    widths: np.ndarray
    epochs: np.ndarray
    kl: np.ndarray
    kl_at_1000: np.ndarray
    epochs_to_target: np.ndarray
    target: float
    meta: Meta


def run_capacity(key, cfg: Config) -> CapacityResult:
    """Train the Swish network at each width of ``cfg.capacity_widths`` (one compiled,
    seed-vmapped run per width) on the U curve's mixture."""
    start = time.perf_counter()
    k_data, k_train = jax.random.split(key)
    law = mixture(cfg.mu)
    data = law.sample(k_data, cfg.n_train)
    xg = _x_grid(cfg.mu, cfg)
    lp0 = np.asarray(law.log_prob(xg[:, None]))
    kls = []
    for i, w in enumerate(progress(cfg.capacity_widths, desc="capacity: widths")):
        _, _, kl = _train_kl(jax.random.fold_in(k_train, i), _mlp(cfg, w), data, cfg,
                             cfg.learning_rate, cfg.capacity_epochs, cfg.capacity_seeds, xg, lp0)
        kls.append(kl)
    kl = np.stack(kls)
    epochs = np.arange(kl.shape[2]) * (cfg.capacity_epochs // (kl.shape[2] - 1))
    mean = kl.mean(axis=1)
    at = mean[:, int(np.argmin(np.abs(epochs - 1000)))]
    target = REFERENCE["capacity_target"]
    reach = np.array([epochs[np.argmax(m <= target)] if np.any(m <= target) else np.nan
                      for m in mean], np.float64)
    sizes = {"n": cfg.n_train, "widths": "/".join(map(str, cfg.capacity_widths)),
             "epochs": cfg.capacity_epochs, "batch": cfg.batch_size, "seeds": cfg.capacity_seeds}
    meta = make_meta("capacity (KL against width)", sizes, key, start, cfg.scale)
    return CapacityResult(np.asarray(cfg.capacity_widths), epochs, kl, at, reach, target, meta)


def plot_capacity(res: CapacityResult):
    """KL against epochs per width; KL at epoch 1000 against width beside the paper's Fig. 11."""
    with plotting.style():
        fig, axes = plotting.figure(2, width=4.0, height=3.1)
        ax = axes[0, 0]
        for j, w in enumerate(res.widths):
            _band(ax, res.epochs, res.kl[j], f"C{j}", f"width {w}")
        ax.axhline(res.target, color="0.5", ls=":", lw=1)
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel(r"KL$(p_0\,\|\,p_\theta)$")
        ax.legend(fontsize=6.5)
        ax = axes[0, 1]
        ax.plot(res.widths, res.kl_at_1000, "o-", label="measured, epoch 1000 (seed mean)")
        ax.plot(res.widths, res.kl.min(axis=2).mean(axis=1), "s:", label="measured, best epoch")
        ref = REFERENCE["capacity_kl1000"]
        ax.plot(list(ref), list(ref.values()), "k^--", label="paper, Fig. 11")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("hidden width $m$")
        ax.set_ylabel("KL")
        ax.legend(fontsize=6.5)
        return plotting.finish(fig, res.meta, "line: seed mean; band: range over seeds")


# --- 3. modes shift -------------------------------------------------------------------------------

class ModesResult(NamedTuple):
    """The mode-separation sweep.

    Attributes: mus ``(M,)``; epochs ``(c,)``; kl ``(M, s, c)``; best_kl, best_epoch ``(M, s)``;
    masses_best, masses_last ``(M, s, 2)`` mass of :math:`p_\\theta` on ``x < 0`` and ``x >= 0``
    at the best and the last checkpoint; x_grid ``(M, g)``; log_p0 ``(M, g)``; log_q_best
    ``(M, g)`` seed 0's density at its best checkpoint; meta.
    """

    mus: np.ndarray
    epochs: np.ndarray
    kl: np.ndarray
    best_kl: np.ndarray
    best_epoch: np.ndarray
    masses_best: np.ndarray
    masses_last: np.ndarray
    x_grid: np.ndarray
    log_p0: np.ndarray
    log_q_best: np.ndarray
    meta: Meta


def run_modes(key, cfg: Config) -> ModesResult:
    r"""Train the Swish network on :math:`\tfrac12N(\pm\mu,1)` for every :math:`\mu` of
    ``cfg.mus`` and ``cfg.modes_seeds`` seeds: all in one ``vmap``-ed run (per-run data)."""
    start = time.perf_counter()
    k_data, k_train = jax.random.split(key)
    mus, s = list(cfg.mus), cfg.modes_seeds
    base = jax.random.normal(k_data, (cfg.n_train, 1))          # shared standard draws
    sign = jnp.where(jnp.arange(cfg.n_train) % 2 == 0, -1.0, 1.0)[:, None]
    data = jnp.stack([base + mu * sign for mu in mus for _ in range(s)])      # (M s, n, 1)
    grids = jnp.stack([_x_grid(mu, cfg) for mu in mus])
    lp0 = np.stack([np.asarray(mixture(mu).log_prob(g[:, None])) for mu, g in zip(mus, grids)])
    model = _mlp(cfg)
    n_ckpt = cfg.modes_epochs // cfg.eval_every
    for _ in progress([0], desc="modes shift: one vmapped run"):
        res = training.train_seeds(jax.random.split(k_train, len(mus) * s), model, data,
                                   cfg.process(), n_steps=cfg.modes_epochs * cfg.steps_per_epoch(),
                                   optimizer=optax.adam(cfg.learning_rate),
                                   batch_size=cfg.batch_size, t_min=cfg.t_min,
                                   weighting="li2023", n_checkpoints=n_ckpt)
    grid_rep = jnp.repeat(grids, s, axis=0)                              # (M s, g)
    lq = np.asarray(_log_densities(model, res.checkpoints, grid_rep, cfg))   # (M s, c, g)
    lq = lq.reshape(len(mus), s, lq.shape[1], -1)
    kl = np.stack([_kl(lp0[i], lq[i], grids[i]) for i in range(len(mus))])   # (M, s, c)
    best = kl.argmin(axis=2)
    epochs = np.arange(kl.shape[2]) * cfg.eval_every
    masses = np.stack([training.mode_masses(lq[i], np.asarray(grids[i])) for i in range(len(mus))])
    pick = lambda a, idx: np.take_along_axis(a, idx[:, :, None, None], axis=2)[:, :, 0]  # noqa
    sizes = {"n": cfg.n_train, "mus": "/".join(f"{m:g}" for m in mus), "width": cfg.width,
             "epochs": cfg.modes_epochs, "seeds": s}
    meta = make_meta("modes shift (KL against mu)", sizes, key, start, cfg.scale)
    return ModesResult(np.asarray(mus), epochs, kl, kl.min(axis=2), epochs[best],
                       pick(masses, best), masses[:, :, -1], np.asarray(grids), lp0,
                       np.stack([lq[i, 0, best[i, 0]] for i in range(len(mus))]), meta)


def plot_modes(res: ModesResult):
    """Best-over-epochs KL against :math:`\\mu`; the mass on the heavier mode; the learned
    densities at the best epoch for the smallest and the largest separations."""
    with plotting.style():
        fig, axes = plotting.figure(4, width=2.8, height=2.6)
        ax = axes[0, 0]
        ax.errorbar(res.mus, res.best_kl.mean(axis=1), yerr=res.best_kl.std(axis=1), fmt="o-")
        ax.set_yscale("log")
        ax.set_xlabel(r"mode position $\mu$ (distance $2\mu$)")
        ax.set_ylabel("best KL over epochs")
        ax = axes[0, 1]
        heavy = np.maximum(res.masses_best[..., 0], res.masses_best[..., 1])
        heavy_last = np.maximum(res.masses_last[..., 0], res.masses_last[..., 1])
        ax.plot(res.mus, heavy.mean(axis=1), "o-", label="best epoch")
        ax.plot(res.mus, heavy_last.mean(axis=1), "s--", label="last epoch")
        ax.axhline(0.5, color="0.5", ls=":", lw=1)
        ax.set_ylim(0.45, 1.02)
        ax.set_xlabel(r"$\mu$")
        ax.set_ylabel("mass on the heavier mode")
        ax.legend(fontsize=6.5)
        for ax, i in zip(axes[0, 2:], (0, len(res.mus) - 1)):
            ax.plot(res.x_grid[i], np.exp(res.log_p0[i]), "k--", lw=1, label="$p_0$")
            ax.plot(res.x_grid[i], np.exp(res.log_q_best[i]), "C0", label=r"$p_\theta$ (best)")
            ax.set_title(rf"$\mu$ = {res.mus[i]:g}", fontsize=8)
            ax.set_xlabel("$x$")
        axes[0, 2].legend(fontsize=6.5)
        return plotting.finish(fig, res.meta, "error bars: ± 1 sd over seeds")


# --- 4. sample size -----------------------------------------------------------------------------

class SampleSizeResult(NamedTuple):
    """Early-stopped KL of the random-feature model (``m = n``) against ``n``.

    Attributes: sizes ``(k,)``; epochs ``(c,)``; kl ``(s, k, c)``; best_kl ``(s, k)``;
    best_epoch ``(s, k)``; fit (:class:`~manifold_diffusion.metrics.SlopeFit` of best KL on n);
    epoch_fit (best epoch on n); kl_floor; meta.
    """

    sizes: np.ndarray
    epochs: np.ndarray
    kl: np.ndarray
    best_kl: np.ndarray
    best_epoch: np.ndarray
    fit: metrics.SlopeFit
    epoch_fit: metrics.SlopeFit | None
    kl_floor: float
    meta: Meta


def run_sample_size(key, cfg: Config) -> SampleSizeResult:
    """For each ``n``: random features with ``m = n`` trained full-batch (gradient-flow-like,
    one step per epoch); the best KL over ``cfg.size_epochs`` epochs (the oracle early stop)."""
    start = time.perf_counter()
    k_data, k_train, k_fit = jax.random.split(key, 3)
    law = mixture(cfg.mu)
    xg = _x_grid(cfg.mu, cfg)
    lp0 = np.asarray(law.log_prob(xg[:, None]))
    kls = []
    for i, n in enumerate(progress(cfg.sizes, desc="sample size: n")):
        data = law.sample(jax.random.fold_in(k_data, i), n)
        _, _, kl = _train_kl(jax.random.fold_in(k_train, i), _rf(cfg, n), data, cfg,
                             cfg.rf_learning_rate, cfg.size_epochs, cfg.size_seeds, xg, lp0,
                             batch_size=None, eval_every=cfg.size_eval_every)
        kls.append(kl)
    kl = np.stack(kls, axis=1)                                        # (s, k, c)
    epochs = np.arange(kl.shape[2]) * (cfg.size_epochs // (kl.shape[2] - 1))
    best = kl.min(axis=2)
    best_epoch = epochs[kl.argmin(axis=2)]
    floor, _ = _reference_kls(law, law.sample(k_data, 10), xg, cfg)
    k1, k2 = jax.random.split(k_fit)
    fit = metrics.fit_loglog_slope(np.asarray(cfg.sizes, float), best, key=k1)
    be = np.maximum(best_epoch, cfg.size_eval_every).astype(float)
    try:
        epoch_fit = metrics.fit_loglog_slope(np.asarray(cfg.sizes, float), be, key=k2)
    except ValueError:
        epoch_fit = None
    sizes = {"n": "/".join(map(str, cfg.sizes)), "m": "n", "epochs": cfg.size_epochs,
             "seeds": cfg.size_seeds, "lr": cfg.rf_learning_rate}
    meta = make_meta("sample size (early-stopped KL against n)", sizes, key, start, cfg.scale)
    return SampleSizeResult(np.asarray(cfg.sizes), epochs, kl, best, best_epoch, fit, epoch_fit,
                            floor, meta)


def plot_sample_size(res: SampleSizeResult):
    """Early-stopped KL against ``n`` (log-log) with the fitted line and the bound's slope."""
    with plotting.style():
        fig, axes = plotting.figure(2, width=3.6, height=3.0)
        ax = axes[0, 0]
        n = res.sizes.astype(float)
        ax.errorbar(n, res.best_kl.mean(axis=0), yerr=res.best_kl.std(axis=0), fmt="o",
                    label="measured (best epoch)")
        ax.plot(n, np.exp(res.fit.intercept) * n ** res.fit.slope, "C0-",
                label=f"fit: slope {res.fit.slope:.2f} [{res.fit.ci_low:.2f}, {res.fit.ci_high:.2f}]")
        g = np.exp(np.mean(np.log(res.best_kl.mean(axis=0))))
        nm = np.exp(np.mean(np.log(n)))
        ax.plot(n, g * (n / nm) ** REFERENCE["rate_exponent"], "k--", label="bound: $n^{-2/5}$")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("training points $n$ (= features $m$)")
        ax.set_ylabel("early-stopped KL")
        ax.legend(fontsize=6.5)
        ax = axes[0, 1]
        ax.errorbar(n, res.best_epoch.mean(axis=0), yerr=res.best_epoch.std(axis=0), fmt="s-")
        ax.set_xscale("log")
        ax.set_xlabel("$n$")
        ax.set_ylabel("best epoch")
        ax.set_title(r"theory: $\tau_{es}\propto n^{2/5}$", fontsize=8)
        return plotting.finish(fig, res.meta, "random features, full batch; error bars: sd")


# --- 5. memorization on the circle -------------------------------------------------------------------

class MemorizationResult(NamedTuple):
    r"""A Swish MLP trained on ``N`` circle points, sampled along training.

    Attributes:
      sizes: ``(k,)`` values of ``N``. steps: ``(c,)`` training steps of the checkpoints.
      memorized: ``(k, c)`` fraction of samples memorized (nearest/second-nearest ratio < 1/3).
      distance: ``(k, c)`` mean distance of samples to the circle, :math:`|r - 1|`.
      nearest: ``(k, c)`` mean distance to the nearest training point.
      spacing: ``(k,)`` chord between neighbouring training points.
      samples: ``(k, c, b, 2)`` the samples. data: ``(k, n_max, 2)`` padded training sets.
      times: ``(r,)`` times of the score comparison; score_error ``(k, r)`` relative error
      :math:`\|s_\theta - \hat s\|/\|\hat s\|` of the final model against the empirical score at
      noised training points; meta.
    """

    sizes: np.ndarray
    steps: np.ndarray
    memorized: np.ndarray
    distance: np.ndarray
    nearest: np.ndarray
    spacing: np.ndarray
    samples: np.ndarray
    data: np.ndarray
    times: np.ndarray
    score_error: np.ndarray
    meta: Meta


def run_memorization(key, cfg: Config) -> MemorizationResult:
    """Train one MLP per ``N`` of ``cfg.circle_sizes`` (one ``vmap``-ed run; per-run ``N`` via
    padding) and sample ``cfg.circle_samples`` points with Euler--Maruyama at every checkpoint."""
    start = time.perf_counter()
    k_train, k_prior, k_sde, k_cmp = jax.random.split(key, 4)
    process = cfg.process()
    sizes = list(cfg.circle_sizes)
    nmax = max(sizes)
    data = jnp.stack([jnp.concatenate([circle_points(n), jnp.zeros((nmax - n, 2))])
                      for n in sizes])
    model = training.MLP(d=2, width=cfg.circle_width, depth=cfg.circle_depth)
    for _ in progress([0], desc="memorization: one vmapped run"):
        res = training.train_seeds(jax.random.split(k_train, len(sizes)), model, data, process,
                                   n_steps=cfg.circle_steps,
                                   optimizer=optax.adam(cfg.circle_learning_rate),
                                   batch_size=cfg.circle_batch, t_min=cfg.t_min,
                                   weighting="li2023", n_checkpoints=cfg.circle_checkpoints,
                                   n_valid=jnp.asarray(sizes))
    grid = geometric_grid(process.T, cfg.t_min, cfg.circle_sampler_steps)
    x_T = process.prior_sample(k_prior, (cfg.circle_samples, 2))

    def sample(params):
        return euler_maruyama(k_sde, training.score_function(model, params, process), x_T, grid,
                              process)

    n_c = cfg.circle_checkpoints + 1
    samples = np.stack([np.stack([np.asarray(sample(training.select(res.checkpoints, i, c)))
                                  for c in range(n_c)]) for i in range(len(sizes))])
    mem, dist, near = (np.zeros((len(sizes), n_c)) for _ in range(3))
    for i, n in enumerate(sizes):
        for c in range(n_c):
            rep = metrics.memorization_report(samples[i, c], data[i, :n])
            mem[i, c] = float(rep.fraction_memorized)
            near[i, c] = float(jnp.mean(rep.nearest_distance))
            dist[i, c] = float(np.mean(np.abs(np.linalg.norm(samples[i, c], axis=1) - 1)))
    times = np.geomspace(cfg.t_min, 1.0, 7)
    err = np.zeros((len(sizes), len(times)))
    for i, n in enumerate(sizes):
        emp = EmpiricalScore(data[i, :n], process)
        trained = training.score_function(model, training.select(res.params, i), process)
        x0 = data[i, :n][jax.random.randint(jax.random.fold_in(k_cmp, i), (256,), 0, n)]
        for j, t in enumerate(times):
            x = process.perturb(jax.random.fold_in(k_cmp, 1000 * i + j), x0, float(t))
            a, b = trained(x, float(t)), emp(x, float(t))
            err[i, j] = float(jnp.linalg.norm(a - b) / jnp.linalg.norm(b))
    spacing = 2 * np.sin(np.pi / np.asarray(sizes))
    meta = make_meta("memorization on the circle (MLP)", {
        "N": "/".join(map(str, sizes)), "width": cfg.circle_width, "depth": cfg.circle_depth,
        "steps": cfg.circle_steps, "batch": cfg.circle_batch, "b": cfg.circle_samples},
        key, start, cfg.scale)
    return MemorizationResult(np.asarray(sizes), np.asarray(res.checkpoint_steps), mem, dist,
                              near, spacing, samples, np.asarray(data), times, err, meta)


def plot_memorization(res: MemorizationResult):
    """Phase diagram of the memorized fraction in (N, steps); distance to the circle against
    steps; samples early and late for the smallest and a larger N."""
    with plotting.style():
        fig, axes = plotting.figure(4, width=2.9, height=2.7)
        ax = axes[0, 0]
        im = ax.imshow(res.memorized, aspect="auto", origin="lower", vmin=0, vmax=1,
                       cmap="viridis", extent=(-0.5, len(res.steps) - 0.5, -0.5,
                                               len(res.sizes) - 0.5))
        ax.set_yticks(range(len(res.sizes)), [str(n) for n in res.sizes])
        ticks = range(0, len(res.steps), max(1, len(res.steps) // 5))
        ax.set_xticks(list(ticks), [f"{res.steps[i] // 1000}k" if res.steps[i] >= 1000 else
                                    str(res.steps[i]) for i in ticks])
        ax.set_xlabel("training steps")
        ax.set_ylabel("training points $N$")
        ax.set_title("fraction memorized", fontsize=8)
        fig.colorbar(im, ax=ax, fraction=0.05)
        ax = axes[0, 1]
        for i, n in enumerate(res.sizes):
            ax.plot(res.steps[1:], res.distance[i, 1:], "o-", ms=3, label=f"N = {n}")
        ax.set_yscale("log")
        ax.set_xlabel("training steps")
        ax.set_ylabel("mean distance to the circle")
        ax.legend(fontsize=6)
        th = np.linspace(0, 2 * np.pi, 200)
        last = len(res.steps) - 1
        for ax, (i, c) in zip(axes[0, 2:], ((0, last), (len(res.sizes) - 1, last))):
            n = res.sizes[i]
            ax.plot(np.cos(th), np.sin(th), color="0.7", lw=0.8)
            ax.scatter(res.samples[i, c, :, 0], res.samples[i, c, :, 1], s=3, alpha=0.5)
            ax.scatter(res.data[i, :n, 0], res.data[i, :n, 1], marker="x", color="C3", s=25)
            ax.set_title(f"N = {n}, step {res.steps[c]}: memorized {res.memorized[i, c]:.2f}",
                         fontsize=7.5)
            ax.set_aspect("equal")
            ax.set_xlim(-1.5, 1.5)
            ax.set_ylim(-1.5, 1.5)
        return plotting.finish(fig, res.meta, "memorized: nearest/second-nearest training "
                               "distance < 1/3")


def plot_score_error(res: MemorizationResult):
    """Relative error of the trained score against the empirical score, against time."""
    with plotting.style():
        fig, axes = plotting.figure(1, width=3.8, height=3.0)
        ax = axes[0, 0]
        for i, n in enumerate(res.sizes):
            ax.plot(res.times, res.score_error[i], "o-", ms=3, label=f"N = {n}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("time $t$")
        ax.set_ylabel(r"$\|s_\theta - \hat s\| / \|\hat s\|$")
        ax.legend(fontsize=6.5)
        return plotting.finish(fig, res.meta, "final model, 256 noised training points per t")
