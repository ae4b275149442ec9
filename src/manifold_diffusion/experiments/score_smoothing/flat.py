r"""Proposition 3.1 of :cite:`farghly2025logdomain` on a flat manifold: training points on a segment
of a random line in :math:`\mathbb R^d`, sampled with isotropic and with tangent-only smoothing
(independent runs, MMD permutation test), and the normal offset that plain (non-antithetic)
draws leave, against its prediction :math:`h\|(I-P)\bar z\|`."""

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ... import metrics, plotting
from ...keys import named_keys
from ...manifolds import random_subspace
from ...samplers import sample
from ...scores import EmpiricalScore, SmoothedScore
from ..harness import Meta, check_result, experiment
from ._setup import SmoothingConfig

__all__ = ["Config", "Result", "run", "plot"]


@dataclasses.dataclass(frozen=True)
class Config(SmoothingConfig):
    """Attributes: d: ambient dimension; n_train: uniform points on a segment of length
    ``length`` of a random line; bandwidths; n_draws: kernel draws; n_samples: samples per run;
    n_permutations: of the MMD test."""

    d: int = 10
    n_train: int = 20
    length: float = 4.0
    bandwidths: tuple[float, ...] = (0.1, 0.3)
    n_draws: int = 200
    n_samples: int = 400
    n_permutations: int = 200
    overrides = {"quick": dict(n_draws=64, n_samples=100, n_permutations=100),
                 "large": dict(n_draws=2048, n_samples=20_000)}


class Result(NamedTuple):
    r"""Isotropic against tangent-only smoothing on a line segment in :math:`\mathbb R^d`.

    Attributes: bandwidths: ``(m,)``. p_values, mmd2: ``(m,)`` permutation test of isotropic
    (antithetic) against tangent-only samples (independent runs). normal_none: scalar, mean
    distance to the line without smoothing; normal_iso, normal_tangent, normal_plain: ``(m,)``
    the same with isotropic antithetic, tangent-only and isotropic plain (non-antithetic) draws;
    plain_prediction: ``(m,)`` the plain-draw offset :math:`h\|(I-P)\bar z\|` of the draws used.
    tangent_iso, tangent_tangent: ``(m, b)`` tangential coordinates of the samples.
    n_permutations, n_draws. meta.
    """

    bandwidths: np.ndarray
    p_values: np.ndarray
    mmd2: np.ndarray
    normal_none: float
    normal_iso: np.ndarray
    normal_tangent: np.ndarray
    normal_plain: np.ndarray
    plain_prediction: np.ndarray
    tangent_iso: np.ndarray
    tangent_tangent: np.ndarray
    n_permutations: int
    n_draws: int
    meta: Meta | None = None

    def summary(self) -> dict:
        """Per bandwidth ``j``: ``h{j}``, the p-value ``p{j}``, the plain-draw offset ``plain{j}``
        and its prediction ``pred{j}``; the largest normal distance of the antithetic and tangent
        runs, and without smoothing; the sizes."""
        out = {"perm": self.n_permutations, "draws": self.n_draws,
               "normal_max": float(max(self.normal_iso.max(), self.normal_tangent.max())),
               "normal_none": float(self.normal_none)}
        for j, h in enumerate(self.bandwidths):
            out.update({f"h{j}": float(h), f"p{j}": float(self.p_values[j]),
                        f"plain{j}": float(self.normal_plain[j]),
                        f"pred{j}": float(self.plain_prediction[j])})
        return out


@experiment("Prop 3.1, flat line", sizes=lambda c: {
    "n": c.n_train, "d": c.d, "k": 1, "b": c.n_samples, "M": c.n_draws,
    "permutations": c.n_permutations})
def run(key, config: Config) -> Result:
    """``n_train`` uniform points on a segment of a random line in :math:`\\mathbb R^d`; sample
    with isotropic and with tangent-only smoothing (independent sampler and kernel keys, by name)
    and compare."""
    keys = named_keys(key, "line", "data", "test", "unsmoothed", "isotropic", "tangent", "plain")
    process, grid = config.process(), config.grid()
    line = random_subspace(keys.line, 1, config.d, offset_scale=1.0, extent=config.length / 2)
    data = line.sample(keys.data, config.n_train)
    proj = line.basis @ line.basis.T
    empirical = EmpiricalScore(data, process)

    def run_one(k, h, **kernel):
        """Sample once (no smoothing when ``h`` is None); the normal distance and the
        tangential coordinate of the samples, and the score used."""
        ks = named_keys(k, "sampler", "draws")
        score = empirical if h is None else SmoothedScore(empirical, h, config.n_draws, ks.draws,
                                                          **kernel)
        x = sample(ks.sampler, score, process, config.n_samples, grid)
        tangent = np.asarray((x - line.offset[None, :]) @ line.basis)[:, 0]
        return x, float(metrics.distance_to_manifold(line, x).mean), tangent, score

    _, normal_none, _, _ = run_one(keys.unsmoothed, None)
    m = len(config.bandwidths)
    p_vals, mmd2, n_iso, n_tan, n_plain, pred = (np.zeros(m) for _ in range(6))
    t_iso, t_tan = np.zeros((m, config.n_samples)), np.zeros((m, config.n_samples))
    per_h = zip(*(jax.random.split(k, m) for k in (keys.isotropic, keys.tangent, keys.plain,
                                                   keys.test)))
    for j, (h, (k_iso, k_tan, k_plain, k_test)) in enumerate(zip(config.bandwidths, per_h)):
        x_i, n_iso[j], t_iso[j], _ = run_one(k_iso, h)
        x_t, n_tan[j], t_tan[j], _ = run_one(k_tan, h, covariance=proj)
        _, n_plain[j], _, plain = run_one(k_plain, h, antithetic=False)
        zbar = jnp.mean(plain.draws, axis=0)
        pred[j] = float(h * jnp.linalg.norm(zbar - proj @ zbar))
        test = metrics.mmd_test(k_test, x_i, x_t, n_permutations=config.n_permutations)
        p_vals[j], mmd2[j] = float(test.p_value), float(test.mmd2)
    return Result(np.asarray(config.bandwidths), p_vals, mmd2, normal_none, n_iso, n_tan, n_plain,
                  pred, t_iso, t_tan, config.n_permutations, config.n_draws)


def plot(result: Result):
    """Tangential-coordinate histograms (isotropic vs tangent-only) and normal spreads."""
    res = check_result(result, Result)
    m = len(res.bandwidths)
    with plotting.style():
        fig, axes = plotting.figure(m + 1, width=2.27, height=3.1)
        for j, h in enumerate(res.bandwidths):
            ax = axes[0, j]
            bins = np.linspace(min(res.tangent_iso[j].min(), res.tangent_tangent[j].min()),
                               max(res.tangent_iso[j].max(), res.tangent_tangent[j].max()), 40)
            ax.hist(res.tangent_iso[j], bins=bins, alpha=0.5, label="isotropic kernel (left)")
            ax.hist(res.tangent_tangent[j], bins=bins, alpha=0.5, label="tangent-only kernel (left)")
            ax.set_title(f"bandwidth {h:g}\nMMD p = {res.p_values[j]:.2f}")
            ax.set_xlabel("coordinate along the line")
            ax.set_ylabel("samples")
        ax = axes[0, m]
        x = np.arange(m)
        w, floor = 0.2, 1e-9
        for i, (vals, lab) in enumerate(((res.normal_iso, "isotropic, antithetic"),
                                         (res.normal_tangent, "tangent-only"),
                                         (res.normal_plain, "isotropic, plain draws"))):
            ax.bar(x + (i - 1) * w, np.maximum(vals, floor), w, label=lab)
        ax.plot(x + w, res.plain_prediction, "k_", ms=14, mew=2, label="$h\\|(I-P)\\bar z\\|$")
        ax.axhline(max(res.normal_none, floor), color="0.4", ls=":", label="no smoothing")
        ax.set_yscale("log")
        ax.set_xticks(x, [f"h = {h:g}" for h in res.bandwidths])
        ax.set_ylabel("mean distance to the line")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        more, names = ax.get_legend_handles_labels()
        fig.legend(handles + more, labels + names, loc="outside upper center", ncol=3,
                   handlelength=1.5)
        return plotting.finish(fig, res.meta, "right: distances of order 1e-7 are float32 rounding "
                               "(values below 1e-9 are drawn at 1e-9 for the log scale)")
