r"""The exact minimiser memorizes: sampling with the empirical score of ``n`` training points down
to :math:`t_{\min}` returns the training points, at a distance that shrinks like
:math:`\sigma(t_{\min})`; samples of the true score judged by the same criterion are the baseline."""

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import matplotlib.ticker
import numpy as np

from ... import metrics, plotting
from ...keys import named_keys
from ...processes import geometric_grid
from ...samplers import sample
from ...scores import EmpiricalScore, MixtureScore
from ..harness import Meta, check_result, experiment, progress
from ._ring import RingConfig

__all__ = ["Config", "Result", "run", "plot"]


@dataclasses.dataclass(frozen=True)
class Config(RingConfig):
    r"""Attributes: n_train: training points; n_samples: samples per run; n_steps: steps of each
    geometric grid; t_mins: the early-stopping times; fit_max_sigma: the largest noise level in the
    slope fit (:math:`d_1\propto\sigma(t_{\min})` holds once :math:`\sigma` is well below the
    spacing of the training set, about 0.5 for 20 points on this ring); n_seeds: training sets."""

    n_train: int = 20
    n_samples: int = 500
    n_steps: int = 200
    t_mins: tuple[float, ...] = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5)
    fit_max_sigma: float = 0.05
    n_seeds: int = 8
    overrides = {"quick": dict(n_samples=100, n_steps=50, t_mins=(1e-2, 1e-3, 1e-4), n_seeds=3),
                 "large": dict(n_samples=4000, n_steps=400,
                               t_mins=(1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6), n_seeds=32)}


class Result(NamedTuple):
    r"""Sampling with the empirical score of ``n`` training points down to several ``t_min``.

    Attributes:
      t_mins, sigmas: ``(m,)`` early-stopping times and noise levels.
      mean_distance: ``(n_seeds, m)`` mean distance of a sample to its nearest training point.
      fraction_memorized: ``(n_seeds, m)`` share of samples with :math:`d_1/d_2 < 1/3`.
      fraction_memorized_true: ``(n_seeds,)`` the same share for samples of the true score at the
        smallest ``t_min`` (the baseline: a fresh point sometimes falls near a training point).
      train, samples_empirical, samples_true: the first training set and its samples, for plots.
      fit: slope of ``mean_distance`` against ``sigmas`` over ``sigmas <= fit_max_sigma``.
      fit_max_sigma: that cut-off. meta.
    """

    t_mins: np.ndarray
    sigmas: np.ndarray
    mean_distance: np.ndarray
    fraction_memorized: np.ndarray
    fraction_memorized_true: np.ndarray
    train: np.ndarray
    samples_empirical: np.ndarray
    samples_true: np.ndarray
    fit: metrics.SlopeFit
    fit_max_sigma: float
    meta: Meta | None = None

    def summary(self) -> dict:
        """At the smallest ``t_min``: the fractions memorized (empirical and true score); the
        fitted slope of the distance in :math:`\\sigma(t_{\\min})` (theory 1) and its fit range;
        ``verdict``: whether the slope's interval ``"contains"`` or ``"excludes"`` 1;
        ``deviation_pct``: ``|slope - 1|`` in percent."""
        return {"tmin": float(self.t_mins[-1]), "frac": float(self.fraction_memorized[:, -1].mean()),
                "frac_true": float(self.fraction_memorized_true.mean()), "slope": self.fit.slope,
                "low": self.fit.ci_low, "high": self.fit.ci_high, "fit_max": self.fit_max_sigma,
                "verdict": ("contains" if self.fit.ci_low <= 1.0 <= self.fit.ci_high
                            else "excludes"),
                "deviation_pct": 100 * abs(self.fit.slope - 1.0)}


@experiment("memorization", sizes=lambda c: {"n": c.n_train, "b": c.n_samples, "steps": c.n_steps,
                                            "seeds": c.n_seeds})
def run(key, config: Config) -> Result:
    """For each training set: sample with its empirical score to each ``t_min`` (the same prior
    draw and sampler noise at every ``t_min``), and with the true score to the smallest."""
    process, law = config.process(), config.law()
    true_score = MixtureScore(law, process)
    m = len(config.t_mins)
    mean_dist, frac = np.zeros((config.n_seeds, m)), np.zeros((config.n_seeds, m))
    frac_true = np.zeros(config.n_seeds)
    seeds = list(enumerate(jax.random.split(key, config.n_seeds)))
    for s, k in progress(seeds, desc="memorization"):
        keys = named_keys(k, "train", "sampler")
        train = law.sample(keys.train, config.n_train)
        empirical = EmpiricalScore(train, process)
        for j, t_min in enumerate(config.t_mins):
            grid = geometric_grid(process.T, t_min, config.n_steps)
            x = sample(keys.sampler, empirical, process, config.n_samples, grid)
            report = metrics.memorization_report(x, train)
            mean_dist[s, j] = float(jnp.mean(report.nearest_distance))
            frac[s, j] = float(report.fraction_memorized)
        x_true = sample(keys.sampler, true_score, process, config.n_samples, grid)
        frac_true[s] = float(metrics.fraction_memorized(x_true, train))
        if s == 0:
            keep = (np.asarray(train), np.asarray(x), np.asarray(x_true))
    sigmas = np.asarray(process.marginal(jnp.asarray(config.t_mins))[1], np.float64)
    in_fit = sigmas <= config.fit_max_sigma
    fit = metrics.fit_loglog_slope(sigmas[in_fit], mean_dist[:, in_fit],
                                   key=named_keys(key, "fit").fit)
    return Result(np.asarray(config.t_mins), sigmas, mean_dist, frac, frac_true, *keep, fit,
                  config.fit_max_sigma)


def plot(result: Result):
    """Samples over the training set; fraction memorized and distance against the noise level."""
    res = check_result(result, Result)
    with plotting.style():
        fig, axes = plotting.figure(3, width=2.27, height=3.3)
        below = dict(loc="upper center", bbox_to_anchor=(0.5, -0.2), handlelength=1.5)
        ax = axes[0, 0]
        ax.scatter(res.samples_true[:, 0], res.samples_true[:, 1], s=2, color="C0", alpha=0.4,
                   label="true score")
        ax.scatter(res.samples_empirical[:, 0], res.samples_empirical[:, 1], s=14, color="C3",
                   alpha=0.3, label="empirical score")
        ax.scatter(res.train[:, 0], res.train[:, 1], s=30, facecolor="none", edgecolor="k",
                   label=f"{len(res.train)} training points")
        ax.set_aspect("equal")
        ax.set_title(f"samples at t_min = {res.t_mins[-1]:g}")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), handlelength=1.5)
        ax = axes[0, 1]
        ax.semilogx(res.sigmas, res.fraction_memorized.mean(0), "o-", color="C3",
                    label="empirical score")
        ax.axhline(res.fraction_memorized_true.mean(), color="C0", ls="--",
                   label="true score (baseline)")
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel(r"$\sigma(t_{\min})$")
        ax.set_ylabel("fraction memorized\n" r"($d_1/d_2 < 1/3$)")
        ax.legend(**below)
        ax = axes[0, 2]
        for row in res.mean_distance:
            ax.loglog(res.sigmas, row, color="C3", alpha=0.3, lw=0.8)
        in_fit = res.sigmas <= res.fit_max_sigma
        fitted = np.exp(res.fit.intercept) * res.sigmas[in_fit] ** res.fit.slope
        ax.axvspan(res.fit_max_sigma, res.sigmas.max() * 1.2, color="0.9", lw=0)
        ax.loglog(res.sigmas[in_fit], fitted, "k--", lw=1,
                  label=f"slope {res.fit.slope:.2f} [{res.fit.ci_low:.2f}, {res.fit.ci_high:.2f}]")
        ax.set_xlabel(r"$\sigma(t_{\min})$")
        ax.set_ylabel("mean distance to\nnearest training point")
        ax.set_title("theory: slope 1\n(fit left of the grey band)")
        ax.legend(**below)
        for a in axes[0, 1:]:
            a.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            a.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        return plotting.finish(fig, res.meta)
