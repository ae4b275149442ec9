r"""What the digits chapter's experiments share: the data sets, the sampler grid, the judge.

**One key for the chapter.** Every experiment of the package takes the chapter's key and splits
it by name (:func:`~manifold_diffusion.keys.named_keys`). The child ``"split"`` makes the digit
sets (:func:`~manifold_diffusion.data.disjoint_digit_sets`: two disjoint training sets
:math:`S_1, S_2` of 850 images and 97 held-out images) and is the same in every experiment, so all
of them train on the same :math:`S_1` and are judged on the same :math:`S_2`; every other child
name is unique to one experiment (``"transition_fit"``, ``"smoothing_noise"``, ...), so no
random numbers are shared by accident.

**The judge.** Every generator of the chapter is trained on (a subset of) :math:`S_1`; the
disjoint :math:`S_2` is held out from all of them. It trains the classifier
(:func:`~manifold_diffusion.metrics.fit_classifier`) and is the reference set of the Fréchet
distances (:func:`~manifold_diffusion.metrics.fidelity_report`); the 97 images in neither set
measure the classifier's accuracy.
"""

from typing import NamedTuple

import jax
import numpy as np

from ... import metrics
from ...data import DisjointDigits, disjoint_digit_sets
from ...keys import named_keys
from ...metrics import at_novelty, bootstrap_dimension
from ...processes import VE, geometric_grid
from ..harness import check_result

__all__ = ["child", "digit_sets", "process", "ode_grid", "Judge", "make_judge", "judge_report"]

#: Standard deviation of a pixel of the digits in [0, 1] (0.376 over :math:`S_1`), the
#: :math:`\sigma_{\rm data}` of the EDM preconditioning.
SIGMA_DATA = 0.38
#: Largest and smallest noise level of the samplers: :math:`\sigma_{\max} = 10` is twice the
#: largest distance between two digits (4.8), so the prior :math:`N(0, \sigma_{\max}^2 I)`
#: hides the data; :math:`\sigma_{\min} = 2\cdot10^{-3}` is EDM's.
SIGMA_MAX, SIGMA_MIN = 10.0, 2e-3


def child(key, name: str):
    """The key ``named_keys(key, name)`` gives ``name`` (one child, by name)."""
    return named_keys(key, name)[0]


def digit_sets(key) -> DisjointDigits:
    """The chapter's digit sets, from its key's ``"split"`` child (module docstring)."""
    return disjoint_digit_sets(child(key, "split"))


def process() -> VE:
    r"""The VE process :math:`\sigma_t^2 = t` with :math:`T = \sigma_{\max}^2 = 100`."""
    return VE(T=SIGMA_MAX ** 2)


def ode_grid(n_steps: int):
    r"""``n_steps`` steps of the probability-flow sampler, geometric in :math:`t = \sigma^2` from
    :math:`\sigma_{\max}` to :math:`\sigma_{\min}`, then an Euler step to 0."""
    return geometric_grid(SIGMA_MAX ** 2, SIGMA_MIN ** 2, n_steps, include_zero=True)


class Judge(NamedTuple):
    """The classifier and reference set every generator is judged by (module docstring).

    Attributes: classifier: fitted on :math:`S_2`. train: :math:`S_1`. reference: :math:`S_2`.
    accuracy: the classifier's accuracy on the 97 images in neither set.
    """

    classifier: metrics.LinearClassifier
    train: jax.Array
    reference: jax.Array
    accuracy: float


def make_judge(sets: DisjointDigits) -> Judge:
    """The judge of :math:`S_1`-trained generators: a logistic regression on :math:`S_2`."""
    clf = metrics.fit_classifier(sets.second, sets.second_labels)
    return Judge(clf, sets.first, sets.second, clf.accuracy(sets.held_out, sets.held_out_labels))


def judge_report(judge: Judge, samples, train=None) -> metrics.FidelityReport:
    """:func:`~manifold_diffusion.metrics.fidelity_report` of ``samples`` against ``train``
    (default :math:`S_1`) and the judge's reference set."""
    return metrics.fidelity_report(samples, judge.train if train is None else train,
                                   judge.classifier, judge.reference)
