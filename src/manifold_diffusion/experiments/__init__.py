"""One module per book experiment: ``Config.at_scale(scale)``, ``run_*(key, config)``, ``plot_*``."""

from . import diffusion_basics
from . import manifold_hypothesis
from . import score_smoothing
from ._common import Meta, describe_key, make_meta, progress

__all__ = ["Meta", "make_meta", "describe_key", "progress", "diffusion_basics", "manifold_hypothesis",
           "score_smoothing"]
