r"""The learned coarse score as a trained network: the training engine's EDM-preconditioned MLP.

The estimator of :mod:`.coverage` replaced by :class:`~manifold_diffusion.training.Denoiser` around an
:class:`~manifold_diffusion.training.MLPNetwork` (Swish, Fourier features of the noise label),
trained by :func:`~manifold_diffusion.training.fit_seeds` (Adam, EMA of the weights, one compiled
``vmap`` over the seeds) with noise levels log-uniform on the same band
:math:`[\sigma_{\rm lo}, \sigma_{\rm hi}]` and the EDM weighting; the score is the EMA weights'
(:func:`~manifold_diffusion.training.denoiser_score`). The sampler and the counting are those of
:mod:`.coverage`.

**Capacity rule**: the same network and the same number of optimiser steps for every :math:`N`
(width 64, depth 3, about :math:`10^4` parameters), i.e. a capacity independent of :math:`N`; the
optimisation budget, not the data, may then set the error, and the result says which.
"""

import dataclasses
from typing import NamedTuple

import numpy as np

from ... import plotting
from ...keys import named_keys
from ...training import Denoiser, MLPNetwork
from ..harness import ExperimentConfig, Meta, experiment
from . import _plots, _sweep, settings
from .coverage import ALPHA, C, DELTAS

__all__ = ["Config", "Result", "run", "plot"]

#: The data's standard deviation per coordinate that the EDM preconditioning assumes (the curves of
#: the chapter have root-mean-square coordinates of about 0.7).
SIGMA_DATA = 0.7
#: Adam's step size.
LEARNING_RATE = 1e-3


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Attributes: setting, ns, n_seeds, n_gen, sigma_band, n_levels: as :class:`.coverage.Config`
    (the candidate stopping levels are the lowest half of the levels, at most 6); width, depth: the
    MLP; n_steps, batch_size: Adam's budget (learning rate :data:`LEARNING_RATE`)."""

    setting: str = "rough-2.5"
    ns: tuple[int, ...] = (256, 1024, 4096)
    n_seeds: int = 3
    n_gen: int = 50_000
    sigma_band: tuple[float, float] = (1e-3, 0.3)
    width: int = 64
    depth: int = 3
    n_steps: int = 2000
    batch_size: int = 512
    n_levels: int = 12
    overrides = {"quick": dict(ns=(128,), n_seeds=2, n_gen=5_000, width=32, n_steps=300, n_levels=8),
                 "large": dict(ns=(256, 1024, 4096, 16384), n_seeds=5, n_gen=2_000_000, width=256,
                               n_steps=40_000, batch_size=2048)}


class Result(NamedTuple):
    """Attributes: sweep (:class:`._sweep.SweepResult`, one setting); width, depth, n_steps; meta."""

    sweep: _sweep.SweepResult
    width: int
    depth: int
    n_steps: int
    meta: Meta | None = None

    def summary(self) -> dict:
        """The sweep's summary, plus ``width``, ``depth``, ``n_steps``, ``parameters``."""
        out = self.sweep.summary()
        out.update(width=self.width, depth=self.depth, n_steps=self.n_steps,
                   parameters=int(self.sweep.features[0, 0]))
        return out


@experiment("coverage of a trained network", sizes=lambda c: {
    "setting": c.setting, "N": f"{c.ns[0]}..{c.ns[-1]}", "seeds": c.n_seeds, "n_gen": c.n_gen,
    "MLP": f"{c.width}x{c.depth}", "steps": c.n_steps})
def run(key, config: Config) -> Result:
    """The sweep of :mod:`.coverage` with the trained network (module docstring)."""
    manifold = settings.curve(config.setting)
    den = Denoiser(MLPNetwork(d=manifold.d, width=config.width, depth=config.depth), sigma_data=SIGMA_DATA)
    estimator = _sweep.network_estimator(den, n_steps=config.n_steps, batch_size=config.batch_size,
                                         learning_rate=LEARNING_RATE)
    lo, hi = config.sigma_band
    text = (f"EDM-preconditioned MLP {config.width}x{config.depth} (engine), {config.n_steps} Adam steps of "
            f"{config.batch_size}, σ log-uniform on [{lo:g}, {hi:g}], EMA weights; capacity independent of N")
    entry = _sweep.Entry(config.setting, manifold, settings.density("smooth"),
                         settings.regularity(config.setting), tuple(config.sigma_band))
    res = _sweep.sweep(named_keys(key, "sweep").sweep, [entry], config.ns, n_seeds=config.n_seeds,
                       n_gen=config.n_gen, n_levels=config.n_levels, n_stops=min(6, config.n_levels // 2),
                       deltas=np.asarray(DELTAS), C=C,
                       alpha=ALPHA, estimator=estimator, estimator_text=text)
    return Result(res, config.width, config.depth, config.n_steps)


def plot(result: Result):
    """Coverage scale and fidelity of the trained network's sampler."""
    res = _sweep.check_result(result, Result)
    fig, axes = plotting.figure(2, 1, width=3.4, height=3.2)
    with plotting.style():
        _plots.sweep_panels(axes[0], res.sweep, exponent_k=True,
                            labels=[f"{name}, trained MLP" for name in res.sweep.labels])
        _plots.legend_above(fig, axes[0], ncol=2)
    note = _plots.sweep_note(res.sweep)
    return plotting.finish(_plots.log_ticks(fig, res.sweep.ns), res.meta, note)
