r"""What the locality chapter's experiments share: chapter 6's data and networks, the sampler, and
in-process memos so that a score built or sampled by one experiment is not built or sampled again.

**Chapter 6's key.** This chapter analyses the digits chapter's trained networks on the digits
chapter's data, so its experiments take *that chapter's* key (seed 6): its ``"split"`` child
makes the digit sets :math:`S_1` (850 training digits), :math:`S_2` (850 digits no generator has
seen: the judge's set, also the calibration and evaluation images here) and 97 held-out digits
(:func:`~manifold_diffusion.data.disjoint_digit_sets`), and
:func:`~manifold_diffusion.experiments.digits.denoisers.trained` loads the networks from the
trained-parameter store. Every random number of *this* chapter comes from a child of that key
whose name starts with ``"locality_"``, unique to this chapter. In particular every sample of
every account is drawn with the one key ``"locality_noise"``: the same prior draw and (for the
SDE) the same sampler noise for all of them, which is what a sample-by-sample comparison needs.

**The sampler.** The probability-flow ODE (Heun) of the variance-exploding process
:math:`\sigma_t^2 = t` with :math:`\sigma_{\max} = 10` (the prior hides the data; the networks
were trained at these noise levels), ``n_ode_steps`` geometric steps down to
:math:`\sigma = 2\cdot10^{-3}`, then an Euler step to :math:`t = 0`: the sampler of chapter 6. A
deterministic sampler makes each sample a function of its prior draw alone (Kamb and Ganguli
compare their machine with networks the same way, with a deterministic DDIM sampler in their
public code).

**Memos.** A locality chapter build runs several experiments over the same scores (the ELS
machine calibrated to the CNN appears in three sections). Built patch scores, calibrations and
sample sets are kept in process-wide dictionaries keyed by everything that determines them (the
key's data, the sizes, the schedule), as chapter 6 keeps its trained networks
(:func:`~manifold_diffusion.experiments.digits.denoisers.trained`); a repeated request returns
the same arrays.
"""

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ... import metrics, training
from ...data import DisjointDigits, disjoint_digit_sets
from ...keys import named_keys
from ...processes import VE, geometric_grid
from ...samplers import sample
from ...scores import ELSMachine, EquivariantScore, LocalScore, PatchSchedule
from ..digits import denoisers
from ..harness import check_result

__all__ = ["key_id", "child", "memo", "clear_memos", "digit_sets", "process", "ode_grid", "Network",
           "networks", "receptive_field", "judge", "equivariant", "local", "els_machine", "samples"]

#: One digit, ``(H, W, C)``.
SHAPE = (8, 8, 1)
#: Largest and smallest noise level of the sampler (those of chapter 6).
SIGMA_MAX, SIGMA_MIN = 10.0, 2e-3
#: The boundary rule of every equivariant patch score here: the CNN pads each of its
#: convolutions with zeros, so the optimal equivariant local score is boundary-broken
#: (:mod:`~manifold_diffusion.scores.patch`).
BOUNDARY = "broken"

_MEMO: dict = {}


def key_id(key) -> tuple:
    """The key's raw data as a tuple (a dictionary key)."""
    return tuple(int(v) for v in np.asarray(jax.random.key_data(key)).ravel())


def child(key, name: str):
    """The key ``named_keys(key, name)`` gives ``name``."""
    return named_keys(key, name)[0]


def memo(tag: tuple, make):
    """``make()``, computed once per ``tag`` in this process."""
    if tag not in _MEMO:
        _MEMO[tag] = make()
    return _MEMO[tag]


def clear_memos() -> None:
    """Forget every memoized score, calibration and sample set (tests)."""
    _MEMO.clear()


def digit_sets(key) -> DisjointDigits:
    """Chapter 6's digit sets, from its key's ``"split"`` child."""
    return memo(("sets", key_id(key)), lambda: disjoint_digit_sets(child(key, "split")))


def process() -> VE:
    r"""The VE process :math:`\sigma_t^2 = t`, :math:`T = \sigma_{\max}^2 = 100`."""
    return VE(T=SIGMA_MAX ** 2)


def ode_grid(n_steps: int):
    """``n_steps`` geometric steps in :math:`t = \\sigma^2` from 100 to :math:`4\\cdot10^{-6}`, then 0."""
    return geometric_grid(SIGMA_MAX ** 2, SIGMA_MIN ** 2, n_steps, include_zero=True)


class Network(NamedTuple):
    """A trained network of chapter 6: its name, EDM denoiser and (EMA) parameters."""

    name: str
    denoiser: training.Denoiser
    params: dict

    def denoise(self, x, t):
        r""":math:`D(x, \sigma_t)` for the VE process (:math:`\alpha = 1`, :math:`\sigma = \sqrt t`)."""
        sigma = jnp.sqrt(jnp.asarray(t, x.dtype))
        return self.denoiser.apply(self.params, x, sigma)

    def score(self):
        """The network's ``score_fn`` under :func:`process`."""
        return training.denoiser_score(self.denoiser, self.params, process())


def networks(key, cnn: denoisers.Recipe, mlp: denoisers.Recipe) -> dict[str, Network]:
    """``{"CNN": ..., "MLP": ...}``: chapter 6's networks, through its trained-parameter store."""
    return {name: Network(name, recipe.denoiser(), denoisers.trained(key, recipe)["params"])
            for name, recipe in (("CNN", cnn), ("MLP", mlp))}


def receptive_field(cnn: denoisers.Recipe) -> int:
    """Width in pixels of the CNN's receptive field."""
    return int(cnn.denoiser().network.receptive_field)


def judge(key) -> metrics.LinearClassifier:
    """Chapter 6's judge: a logistic regression fitted on :math:`S_2`."""
    sets = digit_sets(key)
    return memo(("judge", key_id(key)),
                lambda: metrics.fit_classifier(sets.second, sets.second_labels))


def equivariant(key, patch_size: int) -> EquivariantScore:
    """The boundary-broken equivariant score of :math:`S_1` at a constant patch size (built once:
    the calibration and every ELS machine share it; at :math:`P = 15` it is the global empirical
    score and computed as such)."""
    return memo(("es", key_id(key), int(patch_size)),
                lambda: EquivariantScore(digit_sets(key).first, process(), SHAPE, int(patch_size),
                                         boundary=BOUNDARY))


def local(key, patch_size: int) -> LocalScore:
    """The (zero-padded) local score of :math:`S_1`."""
    return memo(("ls", key_id(key), int(patch_size)),
                lambda: LocalScore(digit_sets(key).first, process(), SHAPE, int(patch_size)))


def els_machine(key, schedule: PatchSchedule) -> ELSMachine:
    """The boundary-broken ELS machine of :math:`S_1` with ``schedule``."""
    return memo(("els", key_id(key), schedule.patch_sizes, schedule.boundaries),
                lambda: ELSMachine(digit_sets(key).first, process(), SHAPE, schedule,
                                   boundary=BOUNDARY,
                                   levels=[equivariant(key, p) for p in set(schedule.patch_sizes)]))


def samples(key, tag: tuple, score_fn, n: int, n_steps: int):
    """``(n, 64)`` samples of ``score_fn`` (described by the hashable ``tag``) by the chapter's
    sampler from the chapter's one noise key, ``"locality_noise"``."""
    def make():
        x = sample(child(key, "locality_noise"), score_fn, process(), n, ode_grid(n_steps),
                   d=math.prod(SHAPE), method="ode")
        return jax.block_until_ready(x)

    return memo(("samples", key_id(key), tag, int(n), int(n_steps)), make)


