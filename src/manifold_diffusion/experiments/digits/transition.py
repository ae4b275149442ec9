r"""From memorization to generalization in :math:`N`: two networks on disjoint training sets,
sampled from the same noise (the experiment of :cite:`kadkhodaie2024generalization`, on digits).

For each :math:`N` and each seed, one denoiser is trained on :math:`N` images drawn at random
from :math:`S_1` and one on :math:`N` images from the disjoint :math:`S_2`; every model of the sweep
(all :math:`N`, both sets, all seeds) is one ``vmap``-ed call of
:func:`~manifold_diffusion.training.fit_seeds`, the training sets padded to 850 rows with
``n_valid`` rows used. All models are then sampled by the probability-flow ODE from the *same*
``n_samples`` prior draws, so sample :math:`a` of the :math:`S_1` model and sample :math:`a` of the
:math:`S_2` model differ only through what the two models learned. Per :math:`N` (each a mean
over samples, then mean and range over seeds):

- **memorized**: the fraction of samples within a third of the distance to their
  second-nearest image of their own training set (:func:`~manifold_diffusion.metrics.fraction_memorized`;
  for :math:`N = 1`, where there is no second image, a sample counts when it is closer to the
  image than a third of the distance between two independent digits);
- **distance to the nearest training image** of their own set;
- **distance between the two models' samples** from the same draw;
- **agreement**: the fraction of draws whose two samples are closer to each other than either is
  to its own training set (:math:`\|x^{(1)} - x^{(2)}\| < \min(d(x^{(1)}, S_1), d(x^{(2)}, S_2))`),
  and the strict version with a factor 1/3, the analogue of the memorization criterion (the two
  samples are the same image).

Memorization: each model copies its own set, so memorized is near 1 and agreement 0;
generalization: both models learned the same law and map a draw to nearly the same image.
:math:`N^*` is where the memorized fraction and the agreement fraction cross (interpolated in
:math:`\log N`, per seed). The empirical score of the same :math:`N` images, sampled the same way,
is the ceiling: it memorizes at every :math:`N`.
"""

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ... import plotting, training
from ...keys import named_keys
from ...metrics import nearest_neighbors
from ...samplers import heun_probability_flow
from ...scores import EmpiricalScore
from ..harness import ExperimentConfig, Meta, experiment
from . import _shared
from .denoisers import SIGMA_DIST

__all__ = ["Config", "Result", "run", "crossing", "plot", "plot_pairs"]


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Sizes of the transition sweep.

    Attributes:
      train_sizes: the training-set sizes :math:`N` (at most 850).
      n_seeds: seeds per :math:`N` and set (network initialisation, training noise, which images).
      width, depth: the MLP of every model.
      n_steps, batch_size: Adam steps (learning rate :math:`2\\cdot10^{-3}`, EMA 0.995) and
        minibatch size, the same for every :math:`N`.
      n_samples: prior draws shared by all models; n_ode_steps: Heun steps.
    """

    train_sizes: tuple = (1, 4, 16, 64, 256, 850)
    n_seeds: int = 2
    width: int = 128
    depth: int = 3
    n_steps: int = 3000
    batch_size: int = 64
    n_samples: int = 200
    n_ode_steps: int = 32
    overrides = {
        "quick": dict(train_sizes=(1, 64), n_seeds=1, width=64, n_steps=300, n_samples=64,
                      n_ode_steps=10),
        "large": dict(train_sizes=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 850), n_seeds=5, width=512,
                      depth=4, n_steps=30_000, batch_size=256, n_samples=1000, n_ode_steps=64),
    }

    def sizes(self):
        return {"N": "/".join(map(str, self.train_sizes)), "seeds": self.n_seeds,
                "MLP": f"{self.width}x{self.depth}", "steps": self.n_steps,
                "batch": self.batch_size, "b": self.n_samples}


class Result(NamedTuple):
    """The sweep, per :math:`N` (axis 0) and seed (axis 1).

    Attributes:
      sizes: ``(p,)``.
      memorized, nearest, between, agreement, agreement_strict: ``(p, s)`` trained models
        (memorized and nearest averaged over the two sets).
      empirical: ``(p, 4)`` the empirical score of the first seed's sets: memorized, nearest,
        between, agreement.
      n_star: ``(s,)`` the crossing of memorized and agreement per seed (NaN if none).
      spacing: mean distance between two independent digits of :math:`S_1` (the scale of
        "different images").
      pairs: ``(p, 2, 8, 64)`` the first 8 samples of the two models of seed 0 at each N.
      meta.
    """

    sizes: np.ndarray
    memorized: np.ndarray
    nearest: np.ndarray
    between: np.ndarray
    agreement: np.ndarray
    agreement_strict: np.ndarray
    empirical: np.ndarray
    n_star: np.ndarray
    spacing: float
    pairs: np.ndarray
    meta: Meta | None = None

    def summary(self) -> dict:
        n_star = self.n_star[np.isfinite(self.n_star)]
        out = {"n_star": float(np.exp(np.mean(np.log(n_star)))) if n_star.size else float("nan"),
               "n_star_low": float(n_star.min()) if n_star.size else float("nan"),
               "n_star_high": float(n_star.max()) if n_star.size else float("nan"),
               "n_star_found": int(n_star.size), "n_seeds": int(self.n_star.shape[0]),
               "n_models": int(2 * self.memorized.size),
               "spacing": self.spacing, "emp_memorized_min": float(self.empirical[:, 0].min())}
        # by position, so that every scale has the same names: the smallest, the second and the
        # largest N
        for tag, i in (("first", 0), ("second", 1), ("last", len(self.sizes) - 1)):
            out[f"{tag}_n"] = int(self.sizes[i])
            for name in ("memorized", "nearest", "between", "agreement", "agreement_strict"):
                out[f"{tag}_{name}"] = float(np.mean(getattr(self, name)[i]))
            out[f"{tag}_emp_memorized"] = float(self.empirical[i, 0])
            out[f"{tag}_emp_between"] = float(self.empirical[i, 2])
        return out


def crossing(sizes, falling, rising) -> float:
    """The :math:`N` where ``falling(N)`` and ``rising(N)`` cross, linear in :math:`\\log N`
    between the two sizes that bracket the first sign change of ``falling - rising`` (NaN if
    there is none)."""
    sizes, falling, rising = (np.asarray(a, np.float64) for a in (sizes, falling, rising))
    if sizes.ndim != 1 or sizes.size < 2 or np.any(sizes <= 0):
        raise ValueError(f"sizes: expected at least two positive sizes, got {sizes.tolist()}")
    if falling.shape != sizes.shape or rising.shape != sizes.shape:
        raise ValueError(f"falling, rising: expected shape {sizes.shape} (from sizes), got "
                         f"{falling.shape} and {rising.shape}")
    diff = falling - rising
    logn = np.log(sizes)
    for i in range(len(diff) - 1):
        if diff[i] > 0 >= diff[i + 1]:
            w = diff[i] / (diff[i] - diff[i + 1])
            return float(np.exp(logn[i] + w * (logn[i + 1] - logn[i])))
    return float("nan")


def _own_set_stats(x, train, n, spacing):
    """Memorized fraction and distance to the nearest of the first ``n`` rows of ``train``."""
    if n >= 2:
        nb = nearest_neighbors(x, train[:n], k=2)
        d1, d2 = nb.distances[:, 0], nb.distances[:, 1]
    else:
        d1 = jnp.linalg.norm(x - train[0][None, :], axis=1)
        d2 = jnp.full_like(d1, spacing)
    return np.asarray(d1 < d2 / 3.0), np.asarray(d1)


def _pair_stats(x1, x2, t1, t2, n, spacing):
    m1, d1 = _own_set_stats(x1, t1, n, spacing)
    m2, d2 = _own_set_stats(x2, t2, n, spacing)
    gap = np.asarray(jnp.linalg.norm(x1 - x2, axis=1))
    near = np.minimum(d1, d2)
    return (0.5 * (m1.mean() + m2.mean()), 0.5 * (d1.mean() + d2.mean()), gap.mean(),
            float(np.mean(gap < near)), float(np.mean(gap < near / 3.0)))


@experiment("digits: memorization to generalization in N, two disjoint training sets")
def run(key, config: Config) -> Result:
    """Train every (N, set, seed) model in one vmapped call, sample all from shared draws, measure."""
    sets = _shared.digit_sets(key)
    keys = named_keys(key, "transition_subset", "transition_fit", "transition_noise")
    sizes = tuple(int(n) for n in config.train_sizes)
    p, s = len(sizes), config.n_seeds
    # per seed and set, a random order of the set; model (i, j, k) trains on its first N_i rows
    perms = jax.random.split(keys.transition_subset, 2 * s)
    ordered = [[np.asarray(pool)[np.asarray(jax.random.permutation(perms[2 * k + j], pool.shape[0]))]
                for j, pool in enumerate((sets.first, sets.second))] for k in range(s)]
    data = np.stack([ordered[k][j] for i in range(p) for j in range(2) for k in range(s)])
    n_valid = np.asarray([sizes[i] for i in range(p) for j in range(2) for k in range(s)])
    net = training.MLPNetwork(d=64, width=config.width, depth=config.depth)
    den = training.Denoiser(net, sigma_data=_shared.SIGMA_DATA)
    fit_keys = jax.random.split(keys.transition_fit, data.shape[0])
    res = training.fit_seeds(fit_keys, den, jnp.asarray(data), n_valid=n_valid,
                             sigma_dist=SIGMA_DIST, n_steps=config.n_steps,
                             batch_size=config.batch_size, learning_rate=2e-3, ema_decay=0.995)
    process = _shared.process()
    grid = _shared.ode_grid(config.n_ode_steps)
    x_T = process.prior_sample(keys.transition_noise, (config.n_samples, 64))

    @jax.jit
    def sample_all(params, x_T, grid):
        """Every model from the same prior draws (one compiled call)."""
        def one(pr):
            return heun_probability_flow(training.denoiser_score(den, pr, process), x_T, grid, process)
        return jax.lax.map(one, params)

    xs = np.asarray(sample_all(res.ema_params, x_T, grid)).reshape(p, 2, s, config.n_samples, 64)
    first = np.asarray(sets.first)
    gaps = np.linalg.norm(first[::2][:200, None, :] - first[1::2][None, :200, :], axis=2)
    spacing = float(np.mean(gaps))
    out = np.zeros((5, p, s))
    empirical = np.zeros((p, 4))
    for i, n in enumerate(sizes):
        for k in range(s):
            out[:, i, k] = _pair_stats(jnp.asarray(xs[i, 0, k]), jnp.asarray(xs[i, 1, k]),
                                       jnp.asarray(ordered[k][0]), jnp.asarray(ordered[k][1]), n,
                                       spacing)
        emp = [heun_probability_flow(EmpiricalScore(jnp.asarray(ordered[0][j][:n]), process), x_T,
                                     grid, process) for j in range(2)]
        empirical[i] = _pair_stats(emp[0], emp[1], jnp.asarray(ordered[0][0]),
                                   jnp.asarray(ordered[0][1]), n, spacing)[:4]
    n_star = np.asarray([crossing(sizes, out[0, :, k], out[3, :, k]) for k in range(s)])
    return Result(np.asarray(sizes), out[0], out[1], out[2], out[3], out[4], empirical, n_star,
                  spacing, xs[:, :, 0, :8], None)


def plot(result: Result):
    """Memorized and agreement fractions, and the two distances, against N (mean and range over
    seeds), with the empirical score's (the memorization ceiling) dashed."""
    _shared.check_result(result, Result, "result")
    n = result.sizes
    with plotting.style():
        fig, axes = plotting.figure(2, width=3.4, height=4.0)
        ax = axes[0, 0]
        for values, label, color in ((result.memorized, "memorized (own set)", "C3"),
                                     (result.agreement, "agreement of the two models", "C0"),
                                     (result.agreement_strict, "agreement, strict (ratio < 1/3)", "C9")):
            _seeds(ax, n, values, color, label)
        ax.plot(n, result.empirical[:, 0], "--", color="C3", lw=1, label="empirical score: memorized")
        ax.plot(n, result.empirical[:, 3], "--", color="C0", lw=1, label="empirical score: agreement")
        found = np.sort(result.n_star[np.isfinite(result.n_star)])
        if found.size:
            # one shaded span over the seeds' N* (a line each would overlap), labelled in the legend
            ax.axvspan(found[0] / 1.04, found[-1] * 1.04, color="0.55", alpha=0.3, lw=0,
                       label=f"N* over {found.size} seed{'s' if found.size > 1 else ''}: "
                             + (f"{found[0]:.0f}" if found[-1] - found[0] < 0.5
                                else f"{found[0]:.0f}–{found[-1]:.0f}"))
        ax.set_xscale("log")
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("training images per model $N$")
        ax.set_ylabel("fraction of samples")
        ax.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1)
        ax = axes[0, 1]
        for values, label, color in ((result.nearest, "to nearest training image", "C3"),
                                     (result.between, "between the two models' samples", "C0")):
            _seeds(ax, n, values, color, label)
        ax.plot(n, result.empirical[:, 1], "--", color="C3", lw=1, label="empirical score, nearest")
        ax.plot(n, result.empirical[:, 2], "--", color="C0", lw=1, label="empirical score, between")
        ax.axhline(result.spacing, color="0.5", ls=":", lw=1, label="two independent digits")
        ax.set_xscale("log")
        ax.set_xlabel("training images per model $N$")
        ax.set_ylabel("mean distance")
        ax.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1)
        return plotting.finish(fig, result.meta, "markers: mean over seeds; thin lines: each seed; "
                               "grey span: N* (memorized = agreement), all seeds")


def _seeds(ax, n, values, color, label):
    """The mean over seeds (markers, labelled) and every seed as a thin line."""
    ax.plot(n, values.mean(1), "o-", color=color, label=label, ms=4)
    if values.shape[1] > 1:
        ax.plot(n, values, "-", color=color, lw=0.7, alpha=0.55)


def plot_pairs(result: Result):
    """For each N, 8 samples of the S1 model above the 8 samples of the S2 model from the same draws."""
    _shared.check_result(result, Result, "result")
    with plotting.style():
        ncols = min(3, len(result.sizes))
        nrows = -(-len(result.sizes) // ncols)
        fig, axes = plotting.figure(ncols, nrows, width=2.2, height=1.35)
        for ax in axes.flat[len(result.sizes):]:
            ax.set_axis_off()
        for i, n in enumerate(result.sizes):
            ax = axes.flat[i]
            pair = result.pairs[i]                                       # (2, 8, 64)
            plotting.image_grid(ax, np.concatenate([pair[0][:4], pair[1][:4]]), ncols=4)
            ax.set_title(f"N = {int(n)}", fontsize=8)
        return plotting.finish(fig, result.meta, "each panel: top row the S1 model, bottom row the "
                               "S2 model, the same four prior draws")
