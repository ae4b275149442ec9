"""Score functions. Every score is a callable ``score_fn(x, t)`` mapping ``(b, d)`` to ``(b, d)``.

- :class:`GaussianMixture`, :class:`MixtureScore`, :func:`gaussian` -- exact scores of Gaussian
  data, the ground truth of tests and chapters;
- :class:`EmpiricalScore` -- the score of the noised empirical measure, the exact minimiser of
  denoising score matching on a finite training set;
- :class:`SmoothedScore` -- a kernel (Monte Carlo) average of a score: log-domain smoothing;
- :class:`ResampledSmoothedScore` -- the same with fresh antithetic draws at every call and for
  every row (no fixed set of barycentres);
- :class:`PopulationScore` -- the score of a density on a manifold, noised, by quadrature;
  :func:`score_departure` -- where the empirical score parts from it, ``sigma*(n)``;
- :class:`LocalScore`, :class:`EquivariantScore`, :class:`ELSMachine` -- patch-wise empirical
  scores of images (local, equivariant, and with a patch-size schedule :class:`PatchSchedule`),
  the optimal scores of convolutional denoisers; :func:`calibrate_patch_schedule` fits the
  schedule to a trained denoiser;
- :class:`SwitchedScore` -- one score above a switching time, another below it (the coarse-score
  generator of :func:`hybrid_sample` as one ``score_fn``).
"""

from .empirical import EmpiricalScore, streaming_softmax_stats
from .exact import GaussianMixture, MixtureScore, gaussian
from .smoothed import SmoothedScore
from .resampled import ResampledSmoothedScore
from .population import PopulationScore, ScoreDeparture, score_departure
from .patch import (ELSMachine, EquivariantScore, LocalScore, PatchCalibration, PatchSchedule,
                    calibrate_patch_schedule, extract_patches)
from .switched import SwitchedScore
from .coarse import GeometricScore, bandwidth_rule, empirical_score, hybrid_sample, smoothed_empirical_score

__all__ = ["EmpiricalScore", "GaussianMixture", "MixtureScore", "gaussian",
           "streaming_softmax_stats", "SmoothedScore", "ResampledSmoothedScore", "PopulationScore",
           "ScoreDeparture", "score_departure",
           "LocalScore", "EquivariantScore", "ELSMachine", "PatchSchedule", "PatchCalibration",
           "calibrate_patch_schedule", "extract_patches", "SwitchedScore"]
