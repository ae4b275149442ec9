r"""The intrinsic dimension of the digits: TwoNN and Levina--Bickel, on all 1,797 digits and per
class (each class cut to the size of the smallest, since the estimates depend on the number of
points), with 95 % bootstrap intervals over the estimators' per-point terms."""

import dataclasses
from typing import NamedTuple

import numpy as np

from ... import metrics, plotting
from ...keys import named_keys
from ..harness import ExperimentConfig, Meta, experiment
from . import _shared

__all__ = ["Config", "Result", "run", "plot"]


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Attributes: n_bootstrap: resamples of each interval. n_neighbors: :math:`K` of Levina--Bickel."""

    n_bootstrap: int = 500
    n_neighbors: int = 10
    overrides = {"quick": dict(n_bootstrap=50), "large": dict(n_bootstrap=2000)}


class Result(NamedTuple):
    """Rows: all digits (0), then classes 0..9.

    Attributes: groups: ``(11,)`` names. sizes: ``(11,)``. two_nn, levina_bickel: ``(11,)``;
    two_nn_ci, levina_bickel_ci: ``(11, 2)``. meta.
    """

    groups: tuple
    sizes: np.ndarray
    two_nn: np.ndarray
    two_nn_ci: np.ndarray
    levina_bickel: np.ndarray
    levina_bickel_ci: np.ndarray
    meta: Meta | None = None

    def summary(self) -> dict:
        return {"tn": float(self.two_nn[0]), "tn_lo": float(self.two_nn_ci[0, 0]),
                "tn_hi": float(self.two_nn_ci[0, 1]), "lb": float(self.levina_bickel[0]),
                "lb_lo": float(self.levina_bickel_ci[0, 0]), "lb_hi": float(self.levina_bickel_ci[0, 1]),
                "cls_tn_min": float(self.two_nn[1:].min()), "cls_tn_max": float(self.two_nn[1:].max()),
                "cls_lb_min": float(self.levina_bickel[1:].min()),
                "cls_lb_max": float(self.levina_bickel[1:].max()), "per_class": int(self.sizes[1])}


@experiment("digits: intrinsic dimension")
def run(key, config: Config) -> Result:
    """Both estimators on all digits and on each class."""
    sets = _shared.digit_sets(key)
    images = np.concatenate([np.asarray(sets.first), np.asarray(sets.second), np.asarray(sets.held_out)])
    labels = np.concatenate([np.asarray(sets.first_labels), np.asarray(sets.second_labels),
                             np.asarray(sets.held_out_labels)])
    keys = named_keys(key, "dimension_bootstrap")
    groups = ("all",) + tuple(str(c) for c in range(10))
    per_class = int(min(np.sum(labels == c) for c in range(10)))
    rows = {"sizes": [], "tn": [], "tn_ci": [], "lb": [], "lb_ci": []}
    boot = named_keys(keys.dimension_bootstrap, *(f"g{g}" for g in range(len(groups))))
    for g, name in enumerate(groups):
        pts = images if name == "all" else images[labels == int(name)][:per_class]
        tn = metrics.two_nn(pts)
        lb = metrics.levina_bickel(pts, config.n_neighbors)
        kt, kl = named_keys(boot[g], "two_nn", "levina_bickel")
        rows["sizes"].append(pts.shape[0])
        rows["tn"].append(tn.dimension)
        rows["tn_ci"].append(_shared.bootstrap_dimension(kt, tn, config.n_bootstrap))
        rows["lb"].append(lb.dimension)
        rows["lb_ci"].append(_shared.bootstrap_dimension(kl, lb, config.n_bootstrap))
    return Result(groups, np.asarray(rows["sizes"]), np.asarray(rows["tn"]), np.asarray(rows["tn_ci"]),
                  np.asarray(rows["lb"]), np.asarray(rows["lb_ci"]))


def plot(result: Result):
    """Both estimates with their bootstrap intervals, overall and per class."""
    _shared.check_result(result, Result, "result")
    with plotting.style():
        fig, axes = plotting.figure(1, width=6.4, height=2.8)
        ax = axes[0, 0]
        pos = np.arange(len(result.groups))
        for off, val, ci, lab in ((-0.12, result.two_nn, result.two_nn_ci, "TwoNN (MLE)"),
                                  (0.12, result.levina_bickel, result.levina_bickel_ci, "Levina–Bickel")):
            ax.errorbar(pos + off, val, yerr=np.abs(ci.T - val[None, :]), fmt="o", capsize=2, label=lab)
        ax.set_xticks(pos, [f"{g}\n(n={n})" for g, n in zip(result.groups, result.sizes)], fontsize=7)
        ax.set_ylabel("intrinsic dimension")
        ax.set_ylim(0, None)
        ax.set_title("ambient dimension 64")
        ax.legend()
        return plotting.finish(fig, result.meta, "bars: 95 % bootstrap intervals (per-point terms resampled)")
