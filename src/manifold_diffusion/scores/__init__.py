"""Score functions. Every score is a callable ``score_fn(x, t)`` mapping ``(b, d)`` to ``(b, d)``.

- :class:`GaussianMixture`, :class:`MixtureScore`, :func:`gaussian` -- exact scores of Gaussian
  data, the ground truth of tests and chapters;
- :class:`PointMixtureScore` -- the base of the scores of noised weighted point mixtures, with
  the streaming log-sum-exp :func:`streaming_softmax_stats`; two of them:
- :class:`EmpiricalScore` -- the score of the noised empirical measure, the exact minimiser of
  denoising score matching on a finite training set;
- :class:`PopulationScore` -- the score of a density on a manifold, noised, by quadrature;
  :func:`score_departure` -- where the empirical score parts from it, ``sigma*(n)``;
  :func:`departure_curves` -- the same for many training sets at once;
- :class:`SmoothedScore` -- a kernel (Monte Carlo) average of a score: log-domain smoothing;
- :class:`ResampledSmoothedScore` -- the same with fresh antithetic draws at every call and for
  every row (no fixed set of barycentres);
- :mod:`.coarse` -- coarse scores: the geometric score of a projector, the smoothed empirical
  score with its bandwidth rule, the two-stage coarse sampler;
- :func:`cfdm_sample` (with :func:`cfdm_denoiser`, :func:`cfdm_velocity`) -- smoothed
  closed-form diffusion (sigma-CFDM), a training-free generator of barycentres;
- :class:`LocalScore`, :class:`EquivariantScore`, :class:`ELSMachine` -- patch-wise empirical
  scores of images (local, equivariant, and with a patch-size schedule :class:`PatchSchedule`),
  the optimal scores of convolutional denoisers; :func:`calibrate_patch_schedule` fits the
  schedule to a trained denoiser;
- :class:`SwitchedScore` -- one score above a switching time, another below it (the coarse-score
  generator of :func:`hybrid_sample` as one ``score_fn``).
"""

from . import cfdm, coarse, empirical, exact, patch, point_mixture, population, resampled, smoothed, switched
from .point_mixture import PointMixtureScore, streaming_softmax_stats
from .empirical import EmpiricalScore
from .exact import GaussianMixture, MixtureScore, gaussian
from .smoothed import SmoothedScore
from .resampled import ResampledSmoothedScore
from .population import (DepartureCurves, PopulationScore, ScoreDeparture, departure_curves, departure_level,
                         score_departure)
from .cfdm import cfdm_denoiser, cfdm_sample, cfdm_velocity
from .patch import (ELSMachine, EquivariantScore, LocalScore, PatchCalibration, PatchSchedule,
                    calibrate_patch_schedule, extract_patches)
from .switched import SwitchedScore
from .coarse import GeometricScore, bandwidth_rule, hybrid_sample, smoothed_empirical_score

__all__ = ["cfdm", "coarse", "empirical", "exact", "patch", "point_mixture", "population", "resampled",
           "smoothed", "switched",
           "PointMixtureScore", "streaming_softmax_stats", "EmpiricalScore",
           "GaussianMixture", "MixtureScore", "gaussian", "SmoothedScore", "ResampledSmoothedScore",
           "PopulationScore", "ScoreDeparture", "score_departure", "departure_level", "DepartureCurves",
           "departure_curves", "cfdm_denoiser", "cfdm_velocity", "cfdm_sample",
           "LocalScore", "EquivariantScore", "ELSMachine", "PatchSchedule", "PatchCalibration",
           "calibrate_patch_schedule", "extract_patches", "SwitchedScore",
           "GeometricScore", "bandwidth_rule", "hybrid_sample",
           "smoothed_empirical_score"]
