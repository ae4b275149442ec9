r"""Denoising score matching on a finite training set: the DSM losses of the true score and of the
empirical score (the loss's exact minimiser), on the training points and on fresh points of the
same law, with paired noise."""

import dataclasses
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ... import plotting
from ...keys import named_keys
from ...scores import EmpiricalScore, MixtureScore
from ...training import dsm_loss
from ..harness import Meta, check_result, experiment, progress
from ._ring import RingConfig

__all__ = ["Config", "Result", "run", "plot"]


@dataclasses.dataclass(frozen=True)
class Config(RingConfig):
    """Attributes: n_train: training points (and as many fresh points); times: the times of the
    loss; n_draws: noise draws per point; n_seeds: training sets."""

    n_train: int = 20
    times: tuple[float, ...] = tuple(float(t) for t in np.geomspace(1e-3, 2.0, 10))
    n_draws: int = 32
    n_seeds: int = 8
    overrides = {"quick": dict(times=(1e-3, 1e-1, 1.0), n_draws=4, n_seeds=3),
                 "large": dict(n_draws=256, n_seeds=32)}


class Result(NamedTuple):
    """DSM losses of the true and the empirical score on training and on fresh points.

    Attributes: times: ``(m,)``. train_true, train_empirical, test_true, test_empirical:
    ``(n_seeds, m)`` losses. n_train. meta.
    """

    times: np.ndarray
    train_true: np.ndarray
    train_empirical: np.ndarray
    test_true: np.ndarray
    test_empirical: np.ndarray
    n_train: int
    meta: Meta | None = None

    def summary(self) -> dict:
        """Median losses over training sets at the smallest time, the number of training sets,
        and the range of the empirical score's fresh-point loss over them."""
        med = lambda a: float(np.median(a[:, 0]))                        # noqa: E731
        return {"t0": float(self.times[0]), "n_train": self.n_train,
                "train_true": med(self.train_true), "train_emp": med(self.train_empirical),
                "test_true": med(self.test_true), "test_emp": med(self.test_empirical),
                "n_sets": len(self.train_true),
                "test_emp_min": float(np.min(self.test_empirical[:, 0])),
                "test_emp_max": float(np.max(self.test_empirical[:, 0]))}


@eqx.filter_jit
def _losses(keys, true_score, empirical, train, test, times, process, n_draws):
    """The four DSM losses (train/true, train/empirical, test/true, test/empirical) at every time,
    ``(4, m)``: :func:`~manifold_diffusion.training.dsm_loss` mapped over ``(keys, times)`` in one
    compiled program (the key of a time is shared by the four losses: paired noise)."""
    def at(k, t):
        return jnp.stack([dsm_loss(k, score, points, t, process, n_draws=n_draws)
                          for points in (train, test) for score in (true_score, empirical)])

    return jax.vmap(at, out_axes=1)(keys, times)


@experiment("DSM losses", sizes=lambda c: {"n": c.n_train, "draws": c.n_draws, "seeds": c.n_seeds})
def run(key, config: Config) -> Result:
    """For each training set: the four losses at every time, the same noise for both scores."""
    process, law = config.process(), config.law()
    true_score = MixtureScore(law, process)
    times = jnp.asarray(config.times)
    losses = np.zeros((config.n_seeds, 4, len(config.times)))
    for s, k in progress(list(enumerate(jax.random.split(key, config.n_seeds))), desc="DSM losses"):
        keys = named_keys(k, "train", "test", "noise")
        train, test = law.sample(keys.train, config.n_train), law.sample(keys.test, config.n_train)
        losses[s] = np.asarray(_losses(jax.random.split(keys.noise, len(config.times)), true_score,
                                       EmpiricalScore(train, process), train, test, times, process,
                                       config.n_draws))
    return Result(np.asarray(config.times), *(losses[:, i] for i in range(4)), config.n_train)


def plot(result: Result):
    """DSM loss against t: the empirical score wins on the training set and loses off it."""
    res = check_result(result, Result)
    with plotting.style():
        fig, axes = plotting.figure(2, width=3.6, height=3.0, sharey=True)
        for ax, split in zip(axes[0], ("train", "test")):
            for name, color, label in (("true", "C0", "true score"),
                                       ("empirical", "C3", "empirical score (DSM minimiser)")):
                vals = getattr(res, f"{split}_{name}")
                ax.fill_between(res.times, vals.min(0), vals.max(0), color=color, alpha=0.2, lw=0)
                ax.semilogx(res.times, np.median(vals, 0), "o-", color=color, ms=3, label=label)
            ax.set_yscale("log")
            ax.set_xlabel("t")
            ax.set_title("on the training points" if split == "train" else "on fresh points")
        axes[0, 0].set_ylabel(r"DSM loss $E\|\sigma_t s + z\|^2$")
        axes[0, 0].legend()
        return plotting.finish(fig, res.meta, "lines: median over training sets; bands: min to max")
