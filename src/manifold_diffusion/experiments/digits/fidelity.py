r"""Fidelity without blur bias: the baselines every generator of the chapter is compared with, at
matched novelty.

An average of :math:`k` training digits is new and closer in :math:`L^2` to any held-out digit
than a copy is, so "closer to held-out digits" says nothing. The baselines here make novelty in
the two cheapest ways, and every statistic of a generator is read beside theirs **at the same
novelty** (mean distance of a sample to its nearest training digit):

- **kNN average**, blur: a training digit averaged with its :math:`k - 1` nearest training digits,
  :math:`k = 2, \dots, 8` and on to 256 (:func:`~manifold_diffusion.metrics.knn_average_samples`):
  an average of a few neighbours stays much closer to its nearest training digit than a real new
  digit is (the chapter quotes both novelties), so matching the generators' novelty takes larger
  :math:`k`;
- **KDE**, noise: a training digit plus Gaussian noise of std :math:`h`
  (:class:`~manifold_diffusion.kde.GaussianKDE`), over a range of :math:`h`;
- the two ends: **copies** of ``n_samples`` training digits (a perfect memorizer: novelty 0 and
  the fidelity of real digits on every statistic) and the 97 **held-out** digits (real new digits;
  their Fréchet distances are not comparable, being from 97 images instead of 850).

The statistics (:func:`~manifold_diffusion.metrics.fidelity_report`, judged on :math:`S_2` by a
classifier fitted there): classifier confidence, per-sample entropy and class entropy; total
variation and high-frequency energy (sharpness); Fréchet distances in PCA-16 and logit space.
:func:`matched` interpolates each baseline curve at a generator's novelty; :func:`table`
writes the chapter's table.
"""

import dataclasses
from typing import NamedTuple

import numpy as np

from ... import plotting
from ...book import markdown_table_html
from ...kde import GaussianKDE
from ...keys import named_keys
from ...metrics import FidelityReport, knn_average_samples
from ..harness import ExperimentConfig, Meta, experiment
from . import _shared

__all__ = ["STATISTICS", "Config", "Result", "run", "matched", "table", "Comparison", "compare",
           "plot"]

#: The statistics of the table: (field of FidelityReport, label, better when "higher"/"lower").
STATISTICS = (("memorized", "memorized fraction", "lower"),
              ("confidence", "classifier confidence", "higher"),
              ("entropy", "class-probability entropy", "lower"),
              ("class_entropy", "class entropy (diversity)", "higher"),
              ("total_variation", "total variation", "real"),
              ("high_frequency", "high-frequency energy", "real"),
              ("frechet_pca", "Fréchet distance, PCA-16", "lower"),
              ("frechet_logits", "Fréchet distance, logits", "lower"))


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Attributes: knn_k: neighbours averaged. kde_bandwidths: KDE noise stds. n_samples: per
    baseline (850, as for the generators)."""

    knn_k: tuple = (2, 3, 4, 6, 8, 16, 32, 64, 128, 256)
    kde_bandwidths: tuple = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4)
    n_samples: int = 850
    overrides = {"quick": dict(knn_k=(2, 8, 256), kde_bandwidths=(0.05, 0.3), n_samples=200)}


class Result(NamedTuple):
    """Baseline reports.

    Attributes: knn_k: ``(p,)``; knn: ``(p, 9)`` :class:`FidelityReport` rows. kde_bandwidths:
    ``(q,)``; kde: ``(q, 9)``. copies, held_out: reports of :math:`S_1` itself and of the 97
    held-out digits. accuracy: the classifier's on the held-out digits. samples: ``dict`` of a
    few samples per baseline (for the figure). meta.
    """

    knn_k: np.ndarray
    knn: np.ndarray
    kde_bandwidths: np.ndarray
    kde: np.ndarray
    copies: FidelityReport
    held_out: FidelityReport
    accuracy: float
    samples: dict
    meta: Meta | None = None

    def summary(self) -> dict:
        out = {"accuracy": self.accuracy, "copies_conf": self.copies.confidence,
               "held_novelty": self.held_out.novelty, "held_conf": self.held_out.confidence,
               "copies_tv": self.copies.total_variation, "held_tv": self.held_out.total_variation,
               "copies_hf": self.copies.high_frequency, "copies_fd": self.copies.frechet_pca,
               "knn_novelty_min": float(self.knn[:, 1].min()), "knn_novelty_max": float(self.knn[:, 1].max()),
               "kde_novelty_min": float(self.kde[:, 1].min()), "kde_novelty_max": float(self.kde[:, 1].max())}
        for i, k in enumerate(self.knn_k):
            out[f"knn{int(k)}_novelty"] = float(self.knn[i, 1])
            out[f"knn{int(k)}_conf"] = float(self.knn[i, 2])
            out[f"knn{int(k)}_tv"] = float(self.knn[i, 5])
        return out


@experiment("digits: kNN-average and KDE baselines for fidelity")
def run(key, config: Config) -> Result:
    """Judge the baselines (all built on :math:`S_1`) and the two references."""
    sets = _shared.digit_sets(key)
    judge = _shared.make_judge(sets)
    keys = named_keys(key, "fidelity_knn", "fidelity_kde")
    knn, kde, shown = [], [], {}
    averages = knn_average_samples(keys.fidelity_knn, sets.first, [int(k) for k in config.knn_k],
                                   config.n_samples)                        # same anchors for all k
    for k, x in zip(config.knn_k, averages):
        knn.append(np.asarray(_shared.judge_report(judge, x)))
        shown[f"kNN average, k = {int(k)}"] = np.asarray(x[:12])
    for j, h in enumerate(config.kde_bandwidths):
        x = GaussianKDE(sets.first, float(h)).sample(_shared.child(keys.fidelity_kde, f"h{j}"),
                                                     config.n_samples)
        kde.append(np.asarray(_shared.judge_report(judge, x)))
        shown[f"KDE, h = {h:g}"] = np.asarray(x[:12])
    # copies: as many training digits as there are samples of each baseline (the Fréchet
    # distance depends on the sample size; at the default scale that is all of S1)
    copies = sets.first[:min(config.n_samples, sets.first.shape[0])]
    return Result(np.asarray(config.knn_k), np.stack(knn), np.asarray(config.kde_bandwidths),
                  np.stack(kde), _shared.judge_report(judge, copies),
                  _shared.judge_report(judge, sets.held_out), judge.accuracy, shown)


def matched(result: Result, report: FidelityReport) -> dict:
    """For each statistic, ``(generator, kNN average, KDE)`` with both baselines interpolated at
    the generator's novelty (NaN where a baseline sweep does not reach it)."""
    _shared.check_result(result, Result, "result")
    _shared.check_result(report, FidelityReport, "report")
    fields = FidelityReport._fields
    out = {}
    for name, _, _ in STATISTICS:
        i = fields.index(name)
        out[name] = (float(getattr(report, name)),
                     _shared.at_novelty(result.knn[:, 1], result.knn[:, i], report.novelty),
                     _shared.at_novelty(result.kde[:, 1], result.kde[:, i], report.novelty))
    return out


def table(result: Result, generators: dict) -> str:
    """A Markdown table: one block of rows per generator (``{name: FidelityReport}``), each
    statistic beside the kNN average and the KDE at that generator's novelty, and the copies."""
    _shared.check_result(result, Result, "result")
    if not isinstance(generators, dict) or not generators:
        raise TypeError(f"generators: expected a non-empty dict {{name: FidelityReport}}, got "
                        f"{type(generators).__name__}")
    head = "| statistic | " + " | ".join(
        f"{name} (novelty {rep.novelty:.2f}) | kNN avg. | KDE" for name, rep in generators.items())
    head += " | copies of S₁ |\n"
    head += "|---|" + "---:|---:|---:|" * len(generators) + "---:|\n"
    rows = []
    matches = {name: matched(result, rep) for name, rep in generators.items()}
    for name, label, better in STATISTICS:
        cells = [label + {"higher": " ↑", "lower": " ↓", "real": " (real digits: copies)"}[better]]
        for gen in generators:
            cells += [_fmt(v) for v in matches[gen][name]]
        cells.append(_fmt(getattr(result.copies, name)))
        rows.append("| " + " | ".join(cells) + " |")
    return head + "\n".join(rows) + "\n"


class Comparison(NamedTuple):
    """Generators beside the baselines at their novelty (:func:`compare`); a notebook shows it as
    an HTML table.

    Attributes: names: the generators. matched: ``{name: matched(...)}``. table: Markdown.
    html: the same table in HTML.
    """

    names: tuple
    matched: dict
    table: str
    html: str = ""

    def _repr_html_(self) -> str:
        return self.html

    def summary(self) -> dict:
        """``{tag}_{statistic}`` for the generator, ``{tag}_{statistic}_knn`` and ``_kde`` for the
        baselines, ``tag`` the generator's name lower-cased with non-letters dropped; ``_knn_txt``
        and ``_kde_txt``: the same as text, ``"n/a"`` where the baseline never reaches the
        generator's novelty (its curve is not extrapolated)."""
        out = {}
        for name in self.names:
            tag = "".join(c for c in name.lower() if c.isalnum())
            for stat, (gen, knn, kde) in self.matched[name].items():
                out[f"{tag}_{stat}"] = gen
                out[f"{tag}_{stat}_knn"] = knn
                out[f"{tag}_{stat}_kde"] = kde
                out[f"{tag}_{stat}_knn_txt"] = _fmt(knn)   # "n/a" where the baseline
                out[f"{tag}_{stat}_kde_txt"] = _fmt(kde)   # does not reach the novelty
        return out


def compare(result: Result, generators: dict) -> Comparison:
    """:func:`matched` and :func:`table` for ``{name: FidelityReport}``."""
    text = table(result, generators)
    return Comparison(tuple(generators), {name: matched(result, rep) for name, rep in generators.items()},
                      text, markdown_table_html(text))


def _fmt(value) -> str:
    value = float(value)
    if not np.isfinite(value):
        return "n/a"
    return f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"


def plot(result: Result, generators: dict | None = None):
    """Four statistics against novelty: the kNN-average and KDE curves, copies, held-out digits
    and each generator (``{name: FidelityReport}``) as a point."""
    _shared.check_result(result, Result, "result")
    generators = generators or {}
    for rep in generators.values():
        _shared.check_result(rep, FidelityReport, "generators")
    panels = (("confidence", "classifier confidence"), ("high_frequency", "high-frequency energy"),
              ("total_variation", "total variation"), ("frechet_pca", "Fréchet distance, PCA-16"))
    fields = FidelityReport._fields
    with plotting.style():
        fig, axes = plotting.figure(2, 2, width=2.9, height=2.3)
        for ax, (name, label) in zip(axes.ravel(), panels):
            i = fields.index(name)
            ax.plot(result.knn[:, 1], result.knn[:, i], "s-", ms=4, color="C1", label="kNN average (labels: k)")
            for k, x, y in zip(result.knn_k, result.knn[:, 1], result.knn[:, i]):
                if k in (2, 8, 64, 256):
                    ax.annotate(f"{int(k)}", (x, y), fontsize=6, xytext=(2, 2), textcoords="offset points")
            ax.plot(result.kde[:, 1], result.kde[:, i], "^-", ms=4, color="C2", label="KDE")
            ax.plot([0.0], [getattr(result.copies, name)], "*", ms=9, color="k", label="copies of S₁")
            if name != "frechet_pca":
                ax.plot([result.held_out.novelty], [getattr(result.held_out, name)], "P", ms=7,
                        color="C7", label="held-out digits")
            for j, (gen, rep) in enumerate(generators.items()):
                ax.plot([rep.novelty], [getattr(rep, name)], "o", ms=7, color=f"C{3 + j}", label=gen)
            ax.set_xlabel("novelty")
            ax.set_title(label, fontsize=8.5)
            if name == "frechet_pca":
                ax.set_yscale("log")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside right upper", fontsize=7)
        return plotting.finish(fig, result.meta, "novelty: mean distance to the nearest S₁ digit; each "
                               "statistic of a generator is compared with the baselines at its own "
                               "novelty; judge: classifier and PCA of S₂")
