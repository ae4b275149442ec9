"""The book's experiments: one package per chapter, one module per experiment.

Each module ``experiments/<chapter>/<experiment>.py`` has a small ``Config`` (an
:class:`~.harness.ExperimentConfig`, ``Config.at_scale(md.scale.current())``), ``run(key, config)
-> Result`` (wrapped by :func:`~.harness.experiment`, which checks its arguments, times it and
writes its :class:`~.harness.Meta` record), ``plot(result)`` that never computes, and
``Result.summary()`` for the page. Chapters: :mod:`.intro`, :mod:`.diffusion_basics` (1),
:mod:`.manifold_hypothesis` (2), :mod:`.score_smoothing` (3), :mod:`.rates` (4),
:mod:`.learned_scores` (5), :mod:`.digits` (6), :mod:`.locality` (7).
"""

from . import harness
from . import intro
from . import diffusion_basics
from . import manifold_hypothesis
from . import score_smoothing
from . import rates
from . import learned_scores
from . import digits
from . import locality
from .harness import ExperimentConfig, Meta, describe_key, experiment, progress

__all__ = ["harness", "ExperimentConfig", "Meta", "describe_key", "experiment", "progress",
           "intro", "diffusion_basics", "manifold_hypothesis", "score_smoothing", "rates",
           "learned_scores", "digits", "locality"]
