r"""The ELS machine's patch-size schedule :math:`P(t)`, calibrated to each of chapter 6's trained networks.

For each noise level :math:`\sigma` of ``sigmas`` (time :math:`t = \sigma^2`) the ``n_held_out``
first digits of :math:`S_2` (never seen by the networks) are noised, and the patch size of least
mean squared mismatch between the network's denoiser and the boundary-broken equivariant patch
denoiser of :math:`S_1` is chosen among ``patch_sizes``
(:func:`~manifold_diffusion.scores.calibrate_patch_schedule`, the calibration of Kamb and Ganguli
:cite:`kamb2025analytic`, who choose the locality scale per noise level that best matches the
trained network's outputs). The schedule is then :math:`P(t)` = the chosen size at the nearest
calibrated level in :math:`\log t`.

The calibration sees the networks' *denoisers* on noised held-out digits only, never their
samples: the samples of :mod:`.prediction` are out of sample for it. With the boundary-broken
rule the largest size, 15, covers the image from every pixel and *is* the global empirical score
(:mod:`~manifold_diffusion.scores.patch`), so the calibration can also choose "no locality".
"""

import dataclasses
from typing import NamedTuple

import jax
import numpy as np

from ... import plotting
from ...keys import check_key
from ...scores import PatchSchedule, calibrate_patch_schedule
from ..digits import denoisers
from ..harness import ExperimentConfig, Meta, experiment
from . import _common

__all__ = ["Config", "Result", "calibrate", "run", "plot"]

_QUICK = denoisers.Config.at_scale("quick")
_LARGE = denoisers.Config.at_scale("large")


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Attributes: cnn, mlp: chapter 6's recipes at this scale (the store's key). sigmas: noise
    levels of the calibration, increasing. patch_sizes: candidate odd sizes. n_held_out: noised
    :math:`S_2` digits per level."""

    cnn: denoisers.Recipe = denoisers.Config().cnn
    mlp: denoisers.Recipe = denoisers.Config().mlp
    sigmas: tuple = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4)
    patch_sizes: tuple = (1, 3, 5, 7, 9, 15)
    n_held_out: int = 64
    overrides = {
        "quick": dict(cnn=_QUICK.cnn, mlp=_QUICK.mlp, sigmas=(0.1, 0.4, 1.6, 6.4),
                      patch_sizes=(1, 5, 15), n_held_out=32),
        "large": dict(cnn=_LARGE.cnn, mlp=_LARGE.mlp,
                      sigmas=tuple(float(v) for v in np.round(np.geomspace(0.03, 8.0, 14), 4)),
                      patch_sizes=(1, 3, 5, 7, 9, 11, 13, 15), n_held_out=256),
    }

    def sizes(self):
        return {"levels": len(self.sigmas), "P": "/".join(map(str, self.patch_sizes)),
                "held-out digits": self.n_held_out, "CNN": f"{self.cnn.width}ch x{self.cnn.depth}",
                "MLP": f"{self.mlp.width}x{self.mlp.depth}"}


class Result(NamedTuple):
    """Both networks' calibrations.

    Attributes:
      names: ``("CNN", "MLP")``.
      sigmas: ``(k,)`` noise levels. patch_sizes: ``(p,)`` candidates.
      mismatch: ``(2, k, p)`` mean squared pixel mismatch, network against patch denoiser.
      best: ``(2, k)`` the chosen size per level.
      receptive_field: of the CNN, in pixels.
      cnn_desc: the CNN's size in words (channels, convolutions, training steps).
      meta.
    """

    names: tuple
    sigmas: np.ndarray
    patch_sizes: np.ndarray
    mismatch: np.ndarray
    best: np.ndarray
    receptive_field: int
    cnn_desc: str = ""
    meta: Meta | None = None

    def schedule(self, name: str) -> PatchSchedule:
        """The calibrated :math:`P(t)` of network ``name``."""
        if name not in self.names:
            raise ValueError(f"name: expected one of {self.names}, got {name!r}")
        row = self.best[self.names.index(name)]
        return PatchSchedule.from_table(self.sigmas ** 2, [int(p) for p in row])

    def summary(self) -> dict:
        """Per network (``cnn_``, ``mlp_``): the size at the smallest and largest level, the
        largest size chosen, how many levels chose the whole image (the largest candidate) and
        the smallest level that did (``_global_sigma_min``, nan if none); the CNN's receptive
        field, the levels' range and the candidate sizes (``sizes``, text)."""
        out = {"rf": self.receptive_field, "cnn_desc": self.cnn_desc, "sigma_min": float(self.sigmas[0]),
               "sigma_max": float(self.sigmas[-1]), "p_top": int(self.patch_sizes[-1]),
               "n_levels": len(self.sigmas), "sizes": ", ".join(map(str, self.patch_sizes))}
        for name, row in zip(self.names, self.best):
            tag = name.lower()
            out[f"{tag}_p_first"] = int(row[0])
            out[f"{tag}_p_last"] = int(row[-1])
            out[f"{tag}_p_max"] = int(row.max())
            out[f"{tag}_n_global"] = int(np.sum(row == self.patch_sizes[-1]))
            out[f"{tag}_schedule"] = ", ".join(f"{p}" for p in row)
            top = row == self.patch_sizes[-1]
            out[f"{tag}_global_sigma_min"] = float(self.sigmas[top][0]) if top.any() else float("nan")
        return out


def calibrate(key, config: Config) -> Result:
    """The calibration (without ``meta``), computed once per key and config in this process."""
    key = check_key("key", key)
    _common.check_result(config, Config, "config")

    def make():
        sets = _common.digit_sets(key)
        nets = _common.networks(key, config.cnn, config.mlp)
        times = np.asarray(config.sigmas, np.float64) ** 2
        held = sets.second[:config.n_held_out]
        cals = calibrate_patch_schedule(
            _common.child(key, "locality_calibration"),
            {name: net.denoise for name, net in nets.items()}, sets.first, held, _common.process(),
            _common.SHAPE, times, config.patch_sizes, boundary=_common.BOUNDARY,
            scores=[_common.equivariant(key, p) for p in config.patch_sizes])
        rows = [cals["CNN"], cals["MLP"]]
        return Result(("CNN", "MLP"), np.asarray(config.sigmas, np.float64),
                      np.asarray(rows[0].patch_sizes), np.stack([c.mismatch for c in rows]),
                      np.stack([c.best_patch_size for c in rows]),
                      _common.receptive_field(config.cnn),
                      f"{config.cnn.width} channels, {config.cnn.depth} convolutions, "
                      f"{config.cnn.n_steps} training steps")

    return _common.memo(("calibration", _common.key_id(key), config), make)


@experiment("locality: the ELS machine's P(t) calibrated to the CNN and the MLP")
def run(key, config: Config) -> Result:
    """Calibrate :math:`P(t)` to both networks (module docstring)."""
    return calibrate(key, config)


def plot(result: Result):
    r"""Left and middle: the mismatch of each patch size relative to the best at each noise level,
    :math:`\log_{10}` (mismatch / smallest mismatch), for the CNN and the MLP (the chosen size
    circled). Right: the calibrated :math:`P(\sigma)` of both, with the CNN's receptive field."""
    _common.check_result(result, Result, "result")
    with plotting.style():
        fig, axes = plotting.figure(3, width=2.35, height=2.7)
        for i, (ax, name) in enumerate(zip(axes[0, :2], result.names)):
            rel = np.log10(result.mismatch[i] / result.mismatch[i].min(axis=1, keepdims=True))
            im = ax.imshow(rel, origin="lower", aspect="auto", cmap="magma_r", vmin=0.0,
                           vmax=max(1.0, float(np.max(rel))))
            cols = [list(result.patch_sizes).index(p) for p in result.best[i]]
            ax.plot(cols, np.arange(len(result.sigmas)), "o", mfc="none", mec="C0", ms=7, mew=1.5)
            ax.set_xticks(np.arange(len(result.patch_sizes)))
            ax.set_xticklabels(result.patch_sizes)
            ax.set_yticks(np.arange(len(result.sigmas)))
            ax.set_yticklabels([f"{s:g}" for s in result.sigmas], fontsize=7)
            ax.set_xlabel("patch size P")
            ax.set_title(f"{name}: log10 mismatch / best", fontsize=8.5)
            ax.grid(False)
        axes[0, 0].set_ylabel("noise level σ")
        fig.colorbar(im, ax=axes[0, 1], shrink=0.8)
        ax = axes[0, 2]
        for i, (name, m) in enumerate(zip(result.names, ("o-", "s--"))):
            ax.plot(result.sigmas, result.best[i] + (0.15 if i else -0.15), m, label=name)
        ax.axhline(result.receptive_field, color="0.5", ls=":", lw=1,
                   label=f"CNN receptive field ({result.receptive_field} px)")
        ax.set_xscale("log")
        ax.set_yticks(result.patch_sizes)
        ax.set_xlabel("noise level σ")
        ax.set_ylabel("calibrated patch size P(σ)")
        ax.legend(fontsize=6.5)
        return plotting.finish(fig, result.meta, f"circles: the size of least mismatch; P = "
                               f"{result.patch_sizes[-1]} covers the image from every pixel (the "
                               "global empirical score)")
