r"""From the global empirical score to the local, equivariant and ELS scores: memorization and mosaics.

Four scores of the 850 digits of :math:`S_1`, sampled from the same prior draws by the chapter's
ODE sampler (:mod:`._common`):

- the global **empirical** score (:class:`~manifold_diffusion.scores.EmpiricalScore`), the exact
  minimiser of denoising score matching, which memorizes;
- the **local** score (LS, :class:`~manifold_diffusion.scores.LocalScore`) at patch size
  ``patch_size``: each pixel's posterior over the training patches at the same position;
- the boundary-broken **equivariant** score (ES,
  :class:`~manifold_diffusion.scores.EquivariantScore`) at the same size: over the training
  patches at all positions with the same padding pattern;
- the **ELS machine** (:class:`~manifold_diffusion.scores.ELSMachine`) with the patch-size
  schedule calibrated to the CNN (:mod:`.calibration`).

Read-outs per score: the memorized fraction and the mean distance to the nearest training digit
(:mod:`~manifold_diffusion.metrics.memorization`), and the **mosaic check**
(:func:`~manifold_diffusion.metrics.mosaic_report`) at each patch size of ``mosaic_patch_sizes``: the
largest distance of a sample's patch to the nearest training patch (anywhere), and the fraction
of samples that are new as wholes but have every patch within the tolerance -- the median
worst-patch distance of real held-out digits (the 97 digits in neither :math:`S_1` nor
:math:`S_2`), so that the bar is "as patch-consistent as a typical unseen real digit". The two
references are measured the same way: copies of training digits (the memorizer's ceiling: every
patch distance 0, memorized 1) and the held-out digits.
"""

import dataclasses
from typing import NamedTuple

import numpy as np

from ... import metrics, plotting
from ...scores import EmpiricalScore
from ..harness import ExperimentConfig, Meta, experiment
from . import _common
from .calibration import Config as CalibrationConfig, calibrate

__all__ = ["Config", "Result", "run", "plot", "plot_samples"]

_NAMES = ("empirical", "LS", "ES", "ELS")


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Attributes: calibration: the ELS machine's calibration (and chapter 6's recipes).
    patch_size: of the LS and ES. n_samples, n_ode_steps: the sampler. mosaic_patch_sizes: the
    patch sizes of the mosaic check."""

    calibration: CalibrationConfig = CalibrationConfig()
    patch_size: int = 5
    n_samples: int = 100
    n_ode_steps: int = 24
    mosaic_patch_sizes: tuple = (3, 5)
    overrides = {"quick": dict(calibration=CalibrationConfig.at_scale("quick"), n_samples=32,
                               n_ode_steps=10),
                 "large": dict(calibration=CalibrationConfig.at_scale("large"), n_samples=400,
                               n_ode_steps=32)}

    def sizes(self):
        return {"N": 850, "b": self.n_samples, "ODE steps": self.n_ode_steps, "P": self.patch_size,
                "mosaic P": "/".join(map(str, self.mosaic_patch_sizes))}


class Result(NamedTuple):
    """Attributes:
      names: the four scores, then ``"copies"`` and ``"held-out"``.
      memorized, novelty: ``(6,)`` memorized fraction, mean distance to the nearest training digit.
      mosaic_sizes: ``(q,)`` the patch sizes of the mosaic check.
      worst_patch, mosaic: ``(6, q)`` median worst-patch distance and mosaic fraction.
      tolerance: ``(q,)`` the mosaic tolerances (held-out digits' median worst-patch distance).
      samples: ``(4, 12, 64)`` the first samples of each score; neighbours: their nearest
        training digits.
      schedule: the ELS machine's calibrated patch sizes (per calibration level).
      meta.
    """

    names: tuple
    memorized: np.ndarray
    novelty: np.ndarray
    mosaic_sizes: np.ndarray
    worst_patch: np.ndarray
    mosaic: np.ndarray
    tolerance: np.ndarray
    samples: np.ndarray
    neighbours: np.ndarray
    schedule: tuple
    meta: Meta | None = None

    def summary(self) -> dict:
        """``<name>_memorized``, ``_novelty`` for every row (names in lower case, ``held`` for the
        held-out digits), ``<name>_worst<q>`` and ``_mosaic<q>`` per mosaic patch size ``q``, and
        ``tolerance<q>``."""
        out = {"schedule": ", ".join(map(str, self.schedule))}
        for j, q in enumerate(self.mosaic_sizes):
            out[f"tolerance{q}"] = float(self.tolerance[j])
        for i, name in enumerate(self.names):
            tag = {"held-out": "held"}.get(name, name.lower())
            out[f"{tag}_memorized"] = float(self.memorized[i])
            out[f"{tag}_novelty"] = float(self.novelty[i])
            for j, q in enumerate(self.mosaic_sizes):
                out[f"{tag}_worst{q}"] = float(self.worst_patch[i, j])
                out[f"{tag}_mosaic{q}"] = float(self.mosaic[i, j])
        return out


@experiment("locality: empirical, local, equivariant and ELS scores — memorization and mosaics")
def run(key, config: Config) -> Result:
    """Sample the four scores from the same prior draws; memorization and the mosaic check."""
    sets = _common.digit_sets(key)
    cal = calibrate(key, config.calibration)
    schedule = cal.schedule("CNN")
    p = config.patch_size
    scores = {
        "empirical": (("empirical",), EmpiricalScore(sets.first, _common.process())),
        "LS": (("ls", p), _common.local(key, p)),
        "ES": (("es", p), _common.equivariant(key, p)),
        "ELS": (("els", schedule.patch_sizes, schedule.boundaries), _common.els_machine(key, schedule)),
    }
    n = config.n_samples
    held = sets.held_out[:n]
    sizes = tuple(int(q) for q in config.mosaic_patch_sizes)
    tolerance = [float(np.median(np.asarray(
        metrics.patch_distances(held, sets.first, _common.SHAPE, q)).max(axis=1))) for q in sizes]

    def checks(x):
        return [metrics.mosaic_report(x, sets.first, _common.SHAPE, q, tol)
                for q, tol in zip(sizes, tolerance)]

    rows, shown, neighbours = [], [], []
    for name in _NAMES:
        tag, score = scores[name]
        x = _common.samples(key, tag, score, n, config.n_ode_steps)
        rows.append(checks(x))
        idx = np.asarray(metrics.memorization_report(x[:12], sets.first).nearest_index)
        shown.append(np.asarray(x[:12]))
        neighbours.append(np.asarray(sets.first)[idx])
    for images in (sets.first[:n], held):       # copies of training digits: memorized by the criterion
        rows.append(checks(images))
    return Result(_NAMES + ("copies", "held-out"),
                  np.asarray([r[0].fraction_memorized for r in rows]),
                  np.asarray([float(np.mean(np.asarray(r[0].nearest_image))) for r in rows]),
                  np.asarray(sizes), np.asarray([[c.median_worst_patch for c in r] for r in rows]),
                  np.asarray([[c.fraction_mosaic for c in r] for r in rows]), np.asarray(tolerance),
                  np.stack(shown), np.stack(neighbours), tuple(int(v) for v in cal.best[0]))


def plot(result: Result):
    """Memorized fraction and, per mosaic patch size, the mosaic fraction and the median
    worst-patch distance of each score, beside copies (the memorizer) and held-out digits."""
    _common.check_result(result, Result, "result")
    q = len(result.mosaic_sizes)
    with plotting.style():
        fig, axes = plotting.figure(2, width=3.4, height=2.7)
        x = np.arange(len(result.names))
        wide = 0.8 / (q + 1)
        ax = axes[0, 0]
        ax.bar(x - 0.4 + wide / 2, result.memorized, wide, label="memorized", color="C3")
        for j, size in enumerate(result.mosaic_sizes):
            ax.bar(x - 0.4 + (j + 1.5) * wide, result.mosaic[:, j], wide, color=f"C{j}",
                   label=f"mosaic, {size}x{size} patches")
        ax.set_ylabel("fraction of samples")
        ax.set_ylim(0, 1.05)
        ax = axes[0, 1]
        for j, size in enumerate(result.mosaic_sizes):
            ax.bar(x - 0.4 + (j + 0.5) * 0.8 / q, result.worst_patch[:, j], 0.8 / q, color=f"C{j}",
                   label=f"{size}x{size}")
            ax.axhline(result.tolerance[j], color=f"C{j}", ls=":", lw=1)
        ax.set_ylabel("median worst-patch dist.")
        for ax in axes[0]:
            ax.set_xticks(x)
            ax.set_xticklabels(result.names, rotation=30, ha="right")
            ax.legend(fontsize=6.5)
        return plotting.finish(fig, result.meta, "mosaic: not memorized and every patch within the "
                               "held-out digits' median worst-patch distance (dotted) of a training "
                               "patch; copies: the training digits themselves")


def plot_samples(result: Result):
    """12 samples of each score (same prior draws) above their nearest training digits."""
    _common.check_result(result, Result, "result")
    with plotting.style():
        fig, axes = plotting.figure(1, 2 * len(result.samples), width=6.4, height=0.75)
        for i, name in enumerate(result.names[:len(result.samples)]):
            plotting.image_grid(axes[2 * i, 0], result.samples[i], ncols=12)
            axes[2 * i, 0].set_title(f"{name}: memorized {result.memorized[i]:.2f}, mosaic "
                                     f"({result.mosaic_sizes[0]}x{result.mosaic_sizes[0]}) "
                                     f"{result.mosaic[i, 0]:.2f}", fontsize=8)
            plotting.image_grid(axes[2 * i + 1, 0], result.neighbours[i], ncols=12)
            axes[2 * i + 1, 0].set_title("nearest training digits", fontsize=7)
        return plotting.finish(fig, result.meta)
