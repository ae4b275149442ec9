r"""The chapter's trained denoisers: an MLP and a small CNN on the 850 digits of :math:`S_1`.

**Training** (:func:`fit`): the EDM-preconditioned denoiser
(:class:`~manifold_diffusion.training.Denoiser`, :math:`\sigma_{\rm data} = 0.38`) around
either network, trained by :func:`~manifold_diffusion.training.fit` with EDM's loss weight and
noise levels :math:`\ln\sigma\sim N(-1.2, 1.2^2)`, Adam, minibatches drawn with replacement, and
an exponential moving average of the weights, which is what is sampled.

- MLP: :class:`~manifold_diffusion.training.MLPNetwork` (Swish, Fourier features of the noise
  label), ``width`` units in ``depth`` hidden layers;
- CNN: :class:`~manifold_diffusion.training.ConvNetwork`, a plain stack of ``depth`` 3x3
  convolutions with ``width`` channels (no down-sampling, so local and translation equivariant
  away from the border; receptive field :math:`1 + 2\,\text{depth}` pixels).

**Sharing** (:func:`trained`): the parameters go through the trained-parameter store
(:func:`~manifold_diffusion.training.store.load_or_fit`) under the name ``"digits-mlp"`` or
``"digits-cnn"`` and the config ``(key data, recipe)``, so the locality chapter loads *these*
networks without training again::

    from manifold_diffusion.experiments.digits import denoisers
    cfg = denoisers.Config.at_scale(md.scale.current())
    fitted = denoisers.trained(jax.random.key(6), cfg.cnn)   # chapter 6's key: seed 6
    den, params = cfg.cnn.denoiser(), fitted["params"]       # also fitted["loss"]

The key is the digits chapter's (its ``"split"`` child makes :math:`S_1, S_2` and the held-out
set, :mod:`._shared`; the fit keys are its children ``"mlp_fit"`` and ``"cnn_fit"``).

**Sampling** (:func:`run`): the probability-flow ODE of the VE process (Heun, ``n_ode_steps``
geometric steps from :math:`\sigma = 10` to :math:`2\cdot10^{-3}`, then Euler to 0), from
``n_samples`` prior draws shared by both networks; the samples are judged by
:func:`~manifold_diffusion.metrics.fidelity_report` against :math:`S_1` and the judge set
:math:`S_2` (:mod:`._shared`).
"""

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ... import plotting, training
from ...keys import check_key
from ...metrics import FidelityReport, memorization_report
from ...samplers import sample
from ..harness import ExperimentConfig, Meta, experiment
from . import _shared

__all__ = ["Recipe", "SIGMA_DIST", "fit", "trained", "Config", "Result", "run", "plot",
           "plot_samples"]

#: EDM's training noise levels, :math:`\ln\sigma\sim N(-1.2, 1.2^2)`.
SIGMA_DIST = training.LogNormalSigma(p_mean=-1.2, p_std=1.2)


@dataclasses.dataclass(frozen=True)
class Recipe:
    """Everything that determines one trained network (and the store's key, with the data key).

    Attributes:
      network: ``"mlp"`` or ``"cnn"``.
      width: hidden units per layer (MLP) or channels (CNN).
      depth: hidden layers (MLP) or convolutions (CNN).
      n_train: trained on the first ``n_train`` images of :math:`S_1` (at most 850).
      n_steps, batch_size, learning_rate, ema_decay: the optimisation (Adam).
    """

    network: str = "mlp"
    width: int = 256
    depth: int = 3
    n_train: int = 850
    n_steps: int = 6000
    batch_size: int = 256
    learning_rate: float = 2e-3
    ema_decay: float = 0.995

    def __post_init__(self):
        if self.network not in ("mlp", "cnn"):
            raise ValueError(f"network: expected 'mlp' or 'cnn', got {self.network!r}")
        if not 2 <= self.n_train <= 850:
            raise ValueError(f"n_train: expected 2 <= n_train <= 850 (the size of S1), got {self.n_train}")

    def denoiser(self) -> training.Denoiser:
        """The untrained denoiser: EDM preconditioning around the network."""
        if self.network == "mlp":
            net = training.MLPNetwork(d=64, width=self.width, depth=self.depth)
        else:
            net = training.ConvNetwork(shape=(8, 8, 1), channels=self.width, depth=self.depth)
        return training.Denoiser(net, sigma_data=_shared.SIGMA_DATA)


def fit(key, recipe: Recipe) -> training.FitResult:
    """Train ``recipe``'s denoiser on the first ``recipe.n_train`` images of :math:`S_1` (the
    chapter ``key``'s ``"split"``), with the key's ``"<network>_fit"`` child."""
    key = check_key("key", key)
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe: expected a denoisers.Recipe, got {type(recipe).__name__}")
    sets = _shared.digit_sets(key)
    fit_key = _shared.child(key, f"{recipe.network}_fit")
    return training.fit(fit_key, recipe.denoiser(), sets.first[:recipe.n_train],
                        sigma_dist=SIGMA_DIST, n_steps=recipe.n_steps,
                        batch_size=recipe.batch_size, learning_rate=recipe.learning_rate,
                        ema_decay=recipe.ema_decay)


def _key_id(key) -> tuple:
    return tuple(int(v) for v in np.asarray(jax.random.key_data(key)).ravel())


#: Networks already trained or loaded in this process, by (key data, recipe).
_TRAINED: dict = {}


def trained(key, recipe: Recipe) -> dict:
    """``{"params": EMA parameters, "loss": (n_steps,) training loss}`` of :func:`fit`, from the
    trained-parameter store when it holds them (name ``"digits-<network>"``, config
    ``(key data, recipe)``), else fitted and stored; kept in memory for the rest of the process
    (so the chapter's cells and :func:`run` share one fit even without a store)."""
    key = check_key("key", key)
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe: expected a denoisers.Recipe, got {type(recipe).__name__}")
    config = (_key_id(key), recipe)

    def fit_fn():
        res = fit(key, recipe)
        return {"params": res.ema_params, "loss": res.loss}

    if config not in _TRAINED:
        _TRAINED[config] = training.store.load_or_fit(f"digits-{recipe.network}", config, fit_fn)
    return _TRAINED[config]


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """The two trained networks and how many samples judge them.

    Attributes: mlp, cnn: their :class:`Recipe`. n_samples: ODE samples per network (850, the
    size of the judge set, so that Fréchet distances compare equal sizes). n_ode_steps: Heun
    steps.
    """

    mlp: Recipe = Recipe("mlp", width=256, depth=3, n_steps=5000, batch_size=256)
    cnn: Recipe = Recipe("cnn", width=32, depth=4, n_steps=4000, batch_size=64)
    n_samples: int = 850
    n_ode_steps: int = 32
    overrides = {
        "quick": dict(mlp=Recipe("mlp", width=128, depth=3, n_steps=400, batch_size=128),
                      cnn=Recipe("cnn", width=16, depth=3, n_steps=100, batch_size=64),
                      n_samples=200, n_ode_steps=16),
        "large": dict(mlp=Recipe("mlp", width=1024, depth=4, n_steps=100_000, batch_size=512,
                                 learning_rate=1e-3, ema_decay=0.9995),
                      cnn=Recipe("cnn", width=64, depth=6, n_steps=40_000, batch_size=256,
                                 learning_rate=1e-3, ema_decay=0.9995),
                      n_ode_steps=64),
    }

    def sizes(self):
        return {"N": self.mlp.n_train, "MLP": f"{self.mlp.width}x{self.mlp.depth}, "
                f"{self.mlp.n_steps} steps", "CNN": f"{self.cnn.width}ch x{self.cnn.depth}, "
                f"{self.cnn.n_steps} steps", "b": self.n_samples, "ODE steps": self.n_ode_steps}


class Result(NamedTuple):
    """Both trained networks, sampled and judged.

    Attributes:
      names: ``("MLP", "CNN")``.
      reports: their :class:`~manifold_diffusion.metrics.FidelityReport`\\ s.
      copies: the same report for the 850 images of :math:`S_1` themselves (a perfect memorizer).
      samples: ``(2, 24, 64)`` the first samples of each network (same prior draws);
      neighbours: ``(2, 24, 64)`` their nearest training images.
      losses: ``(2, n_steps)``-like list of the training losses.
      n_parameters: ``(2,)`` trained scalars per network.
      receptive_field: of the CNN, in pixels.
      accuracy: the judge's classifier on the 97 held-out images.
      meta.
    """

    names: tuple
    reports: tuple
    copies: FidelityReport
    samples: np.ndarray
    neighbours: np.ndarray
    losses: tuple
    n_parameters: tuple
    receptive_field: int
    accuracy: float
    meta: Meta | None = None

    def summary(self) -> dict:
        out = {"accuracy": self.accuracy, "rf": self.receptive_field,
               "copies_tv": self.copies.total_variation, "copies_hf": self.copies.high_frequency,
               "copies_conf": self.copies.confidence}
        for name, rep, count in zip(self.names, self.reports, self.n_parameters):
            tag = name.lower()
            out.update({f"{tag}_{field}": float(value) for field, value in rep._asdict().items()})
            out[f"{tag}_params"] = int(count)
        return out


@experiment("digits: trained MLP and CNN denoisers")
def run(key, config: Config) -> Result:
    """Train (or load) both networks, sample ``n_samples`` digits from shared prior draws, judge."""
    sets = _shared.digit_sets(key)
    judge = _shared.make_judge(sets)
    process = _shared.process()
    grid = _shared.ode_grid(config.n_ode_steps)
    noise = _shared.child(key, "denoisers_noise")
    reports, shown, neighbours, losses, counts = [], [], [], [], []
    for recipe in (config.mlp, config.cnn):
        fitted = trained(key, recipe)
        score = training.denoiser_score(recipe.denoiser(), fitted["params"], process)
        x = sample(noise, score, process, config.n_samples, grid, method="ode")
        train = sets.first[:recipe.n_train]
        reports.append(_shared.judge_report(judge, x, train))
        idx = memorization_report(x[:24], train).nearest_index
        shown.append(np.asarray(x[:24]))
        neighbours.append(np.asarray(train[idx]))
        losses.append(np.asarray(fitted["loss"]))
        counts.append(sum(int(leaf.size) for leaf in jax.tree_util.tree_leaves(fitted["params"])))
    copies = _shared.judge_report(judge, sets.first)
    return Result(("MLP", "CNN"), tuple(reports), copies, np.stack(shown), np.stack(neighbours),
                  tuple(losses), tuple(counts), config.cnn.denoiser().network.receptive_field,
                  judge.accuracy)


def plot(result: Result):
    """Training losses (smoothed over 100 steps) of both networks."""
    _shared.check_result(result, Result, "result")
    with plotting.style():
        fig, axes = plotting.figure(1, width=4.2, height=2.8)
        ax = axes[0, 0]
        for name, loss in zip(result.names, result.losses):
            w = min(100, max(1, loss.shape[0] // 10))
            smooth = np.convolve(loss, np.ones(w) / w, mode="valid")
            ax.plot(np.arange(w, loss.shape[0] + 1), smooth, label=name)
        ax.set_xscale("log")
        ax.set_xlabel("training step")
        ax.set_ylabel("EDM-weighted denoising loss")
        ax.legend()
        return plotting.finish(fig, result.meta, "loss: running mean over 100 minibatches")


def plot_samples(result: Result):
    """24 samples of each network (same prior draws) above their nearest training digits."""
    _shared.check_result(result, Result, "result")
    with plotting.style():
        fig, axes = plotting.figure(1, 4, width=6.0, height=1.25)
        for i, name in enumerate(result.names):
            rep = result.reports[i]
            plotting.image_grid(axes[2 * i, 0], result.samples[i], ncols=12)
            axes[2 * i, 0].set_title(f"{name}: memorized {rep.memorized:.2f}, mean distance to the "
                                     f"nearest training digit {rep.novelty:.2f}", fontsize=8)
            plotting.image_grid(axes[2 * i + 1, 0], result.neighbours[i], ncols=12)
            axes[2 * i + 1, 0].set_title("their nearest training digits", fontsize=8)
        return plotting.finish(fig, result.meta)
