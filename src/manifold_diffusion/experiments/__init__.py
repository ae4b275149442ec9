"""One module per book experiment: ``Config.at_scale(scale)``, ``run_*(key, config)``, ``plot_*``.

One module per chapter: :mod:`.diffusion_basics` (1), :mod:`.manifold_hypothesis` (2),
:mod:`.score_smoothing` (3), :mod:`.rates` (4), :mod:`.learned_scores` (5), :mod:`.digits` (6),
:mod:`.locality` (7).
"""

from . import diffusion_basics
from . import digits
from . import learned_scores
from . import locality
from . import manifold_hypothesis
from . import rates
from . import score_smoothing
from . import harness
from ._common import Meta, describe_key, make_meta, progress

__all__ = ["harness", "Meta", "make_meta", "describe_key", "progress", "diffusion_basics", "manifold_hypothesis",
           "score_smoothing", "rates", "learned_scores", "digits", "locality"]
