r"""An image manifold with known geometry: a digit turned through a full turn, as the training
spacing crosses the reach; isotropic against manifold-adapted smoothing, the adapted kernel built
from the true curve (an oracle) and from tangents estimated on the training images alone.

The curve :math:`\gamma(\theta)\in\mathbb R^{64}` of one digit of :math:`S_1` rotated by
:math:`\theta` (:class:`~manifold_diffusion.data.RotationCurve`; exact projection and distance),
trained on :math:`N` images equally spaced in angle. Its reach :math:`\tau` is fixed; the
spacing of the training images (:func:`~manifold_diffusion.metrics.training_spacing`) falls like
:math:`L/N`, from five times :math:`\tau` at :math:`N = 8` to below :math:`\tau` at
:math:`N = 128` (for the default digit: :math:`\tau = 0.36`, spacing 1.9 at :math:`N = 8`,
0.52 at 64, 0.26 at 128). Three kernels of the smoothed empirical score (fresh antithetic draws,
:class:`~manifold_diffusion.scores.ResampledSmoothedScore`), each over its own bandwidths:

- **isotropic**: :math:`u = hz`, :math:`z\sim N(0, I_{64})`;
- **adapted, oracle**: along a translated copy of the true curve (its tabulated points and
  tangents, as the smoothing paper's code does) -- an *idealised reference*: it knows the
  manifold;
- **adapted, estimated**: the same construction on the piecewise-affine curve through the
  training images with tangents from local PCA of each image and its two neighbours
  (:class:`~manifold_diffusion.manifolds.LocalPCAManifold`): what a method can do without the
  oracle.

Sampler as in :mod:`.smoothing` (Euler--Maruyama to :math:`t_{\min} = 10^{-3}`, then Tweedie).
Per run: novelty (mean distance to the nearest training image), the exact mean distance to the
curve, and the gap-centre fraction (share of samples whose angle falls in the central half of
the arc between two training angles; 0.5 for angles uniform on the curve). The kernels are
compared at matched novelty, a fixed fraction ``target`` of the spacing, by interpolation along
each kernel's bandwidth sweep.
"""

import dataclasses
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ... import metrics, plotting
from ...data import RotationCurve, rotation_curve_data
from ...keys import named_keys
from ...manifolds import LocalPCAManifold
from ...processes import geometric_grid
from ...samplers import sample
from ...scores import EmpiricalScore, ResampledSmoothedScore
from ..harness import ExperimentConfig, Meta, experiment
from . import _shared

__all__ = ["KERNELS", "Config", "Result", "run", "plot", "plot_samples"]

#: The three kernels, in the order of the result's axis 1.
KERNELS = ("isotropic", "adapted (oracle)", "adapted (estimated)")


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Attributes:
      curve_class: the class of the digit turned (the first such digit of :math:`S_1`).
      train_sizes: numbers :math:`N` of training images on the curve.
      iso_factors, adapted_factors: bandwidths in units of the spacing :math:`s_N`: isotropic
        :math:`h = c\\,s_N/8` (a 64-dimensional displacement has length about :math:`8h`),
        adapted :math:`h = c\\,s_N`.
      target: matched novelty, as a fraction of the spacing.
      n_samples, n_draws, n_steps: the sampler; table: tabulated points of the oracle kernel.
    """

    curve_class: int = 2
    train_sizes: tuple = (8, 16, 32, 64, 128)
    iso_factors: tuple = (1.5, 3.0, 4.5)
    adapted_factors: tuple = (0.25, 0.5, 1.0)
    target: float = 0.2
    n_samples: int = 100
    n_draws: int = 8
    n_steps: int = 40
    table: int = 512
    overrides = {"quick": dict(train_sizes=(8, 32), n_samples=32, n_draws=4, n_steps=12, table=128),
                 "large": dict(train_sizes=(8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256),
                               iso_factors=(1.0, 2.0, 3.0, 4.0, 5.0),
                               adapted_factors=(0.15, 0.25, 0.5, 0.75, 1.0), n_samples=1000,
                               n_draws=32, n_steps=200, table=2048)}


class Result(NamedTuple):
    """The sweep over N (axis 0), kernel (axis 1, :data:`KERNELS`) and bandwidth (axis 2).

    Attributes:
      train_sizes: ``(p,)``. spacing: ``(p,)`` of the training images. reach, length: of the curve.
      bandwidths: ``(p, 3, q)``. novelty, distance, gap: ``(p, 3, q)`` per run.
      matched: ``(p, 3)`` distance to the curve at novelty ``target * spacing`` (NaN if a sweep
        does not reach it).
      tangent_error: ``(p,)`` mean :math:`1 - |\\cos|` between estimated and true tangents at the
        training images.
      samples: ``(3, 12, 64)`` samples of each kernel at the largest bandwidth for the smallest N;
      train: ``(n, 64)`` the training images of the smallest N. target. meta.
    """

    train_sizes: np.ndarray
    spacing: np.ndarray
    reach: float
    length: float
    bandwidths: np.ndarray
    novelty: np.ndarray
    distance: np.ndarray
    gap: np.ndarray
    matched: np.ndarray
    tangent_error: np.ndarray
    samples: np.ndarray
    train: np.ndarray
    target: float
    meta: Meta | None = None

    def summary(self) -> dict:
        out = {"reach": self.reach, "length": self.length, "target": self.target}
        # by position (the same names at every scale): the smallest and the largest N
        for tag, i in (("first", 0), ("last", len(self.train_sizes) - 1)):
            out[f"{tag}_n"] = int(self.train_sizes[i])
            out[f"{tag}_spacing"] = float(self.spacing[i])
            out[f"{tag}_ratio"] = float(self.spacing[i] / self.reach)
            out[f"{tag}_tangent_error"] = float(self.tangent_error[i])
            for k, name in enumerate(("iso", "oracle", "estimated")):
                out[f"{tag}_{name}"] = float(self.matched[i, k])
                out[f"{tag}_{name}_ratio"] = float(self.matched[i, k] / (self.target * self.spacing[i]))
                out[f"{tag}_{name}_gap"] = float(np.nanmax(self.gap[i, k]))
        return out


def _curve_stats(curve, x, n):
    """Mean exact distance to the curve and gap-centre fraction of samples ``x`` (one search)."""
    angle = curve.nearest_parameter(x)
    distance = float(jnp.mean(jnp.linalg.norm(x - curve.point(angle).astype(x.dtype), axis=1)))
    frac = np.mod(np.asarray(angle), 2 * np.pi / n) / (2 * np.pi / n)
    return distance, float(np.mean((frac >= 0.25) & (frac < 0.75)))


def _repeat(a, times):
    """Every row of ``a`` repeated ``times`` times (the same empirical measure, more rows)."""
    return jnp.repeat(a, times, axis=0)


@experiment("digits: rotation curve, isotropic vs oracle- and estimated-tangent smoothing")
def run(key, config: Config) -> Result:
    """Sweep N, kernel and bandwidth on the rotation curve of one digit of S1."""
    sets = _shared.digit_sets(key)
    keys = named_keys(key, "curve_noise", "curve_draws")
    first = int(np.flatnonzero(np.asarray(sets.first_labels) == config.curve_class)[0])
    curve = RotationCurve(sets.first[first])
    table = curve.tabulated(config.table)
    process = _shared.process()
    grid = geometric_grid(process.T, 1e-3, config.n_steps)
    p, q = len(config.train_sizes), len(config.iso_factors)
    if len(config.adapted_factors) != q:
        raise ValueError("adapted_factors: expected as many factors as iso_factors")
    shape = (p, 3, q)
    bandwidths, novelty, distance, gap = (np.zeros(shape) for _ in range(4))
    matched, spacing, tangent_error = np.zeros((p, 3)), np.zeros(p), np.zeros(p)
    shown, first_train = None, None
    # every training set is repeated to the largest size when that is a multiple of it: the
    # same empirical measure (each image the same number of times, so the softmax weights of the
    # empirical score are unchanged) and the same array shapes, so each kernel compiles once
    n_max = max(config.train_sizes)
    for i, n in enumerate(config.train_sizes):
        train = rotation_curve_data(curve, int(n))
        spacing[i] = float(metrics.training_spacing(train))
        estimated = LocalPCAManifold(train, 1)
        true_tangent = curve.tangent_basis(train)[:, :, 0]
        tangent_error[i] = float(jnp.mean(1.0 - jnp.abs(jnp.sum(true_tangent * estimated.tangents[:, :, 0],
                                                                 axis=1))))
        times = n_max // int(n) if n_max % int(n) == 0 else 1
        padded = _repeat(train, times)
        estimated = eqx.tree_at(lambda m: (m.points, m.tangents, m.sq_norms), estimated,
                                (padded, _repeat(estimated.tangents, times), _repeat(estimated.sq_norms, times)))
        emp = EmpiricalScore(padded, process)
        for k, manifold in enumerate((None, table, estimated)):
            factors = config.iso_factors if k == 0 else config.adapted_factors
            runs = []
            for j, c in enumerate(factors):
                h = c * spacing[i] / (8.0 if k == 0 else 1.0)
                score = ResampledSmoothedScore(emp, h, config.n_draws,
                                               _shared.child(keys.curve_draws, f"n{i}_kernel{k}_h{j}"),
                                               manifold=manifold)
                x = sample(keys.curve_noise, score, process, config.n_samples, grid, denoise=True)
                bandwidths[i, k, j] = h
                novelty[i, k, j] = float(jnp.mean(metrics.nearest_neighbors(x, padded, k=1).distances))
                distance[i, k, j], gap[i, k, j] = _curve_stats(curve, x, int(n))
                runs.append(x)
            matched[i, k] = _shared.at_novelty(novelty[i, k], distance[i, k], config.target * spacing[i])
            if i == 0:
                shown = [] if shown is None else shown
                shown.append(np.asarray(runs[-1][:12]))
                first_train = np.asarray(train)
    return Result(np.asarray(config.train_sizes), spacing, float(curve.reach), float(curve.length),
                  bandwidths, novelty, distance, gap, matched, tangent_error, np.stack(shown),
                  first_train, float(config.target))


def plot(result: Result):
    """Distance to the curve at matched novelty against N, per kernel, with the spacing/reach
    ratio; and the estimated tangents' error."""
    _shared.check_result(result, Result, "result")
    n = result.train_sizes
    with plotting.style():
        fig, axes = plotting.figure(2, width=3.3, height=2.9)
        ax = axes[0, 0]
        novelty = result.target * result.spacing
        for k, (name, marker) in enumerate(zip(KERNELS, ("o", "s", "^"))):
            ax.plot(n, result.matched[:, k] / novelty, marker + "-", label=name)
        ax.axhline(1.0, color="0.6", ls=":", lw=1, label="1 : 1")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("training images on the curve $N$")
        ax.set_ylabel("distance to the curve / novelty")
        ax.set_yscale("log")
        ax.legend(fontsize=7)
        top = ax.secondary_xaxis("top", functions=(lambda x: x, lambda x: x))
        top.set_xticks(n, [f"{s / result.reach:.1f}" for s in result.spacing], fontsize=6.5)
        top.set_xlabel("spacing / reach", fontsize=7)
        ax = axes[0, 1]
        ax.plot(n, result.tangent_error, "^-", color="C2")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("training images on the curve $N$")
        ax.set_ylabel(r"tangent error $1 - |\cos|$, local PCA")
        return plotting.finish(fig, result.meta, f"curve length {result.length:.1f}, reach "
                               f"{result.reach:.2f}; at matched novelty {result.target:g} x spacing; "
                               "oracle: the true curve (idealised)")


def plot_samples(result: Result):
    """The training images of the smallest N and 12 samples of each kernel at its largest bandwidth."""
    _shared.check_result(result, Result, "result")
    with plotting.style():
        fig, axes = plotting.figure(1, 4, width=6.0, height=0.95)
        # as many columns as training images (up to 12): no empty cells after the last one
        plotting.image_grid(axes[0, 0], result.train, ncols=min(12, result.train.shape[0]))
        axes[0, 0].set_title(f"the {result.train.shape[0]} training images along the curve", fontsize=7.5)
        for ax, name, x in zip(axes[1:, 0], KERNELS, result.samples):
            plotting.image_grid(ax, x, ncols=12)
            ax.set_title(f"{name}, largest bandwidth", fontsize=7.5)
        return plotting.finish(fig, result.meta)
