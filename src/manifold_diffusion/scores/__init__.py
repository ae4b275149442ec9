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
  closed-form diffusion (sigma-CFDM), a training-free generator of barycentres.
"""

from . import cfdm, coarse, empirical, exact, point_mixture, population, resampled, smoothed
from .point_mixture import PointMixtureScore, streaming_softmax_stats
from .empirical import EmpiricalScore
from .exact import GaussianMixture, MixtureScore, gaussian
from .smoothed import SmoothedScore
from .resampled import ResampledSmoothedScore
from .population import (DepartureCurves, PopulationScore, ScoreDeparture, departure_curves, departure_level,
                         score_departure)
from .cfdm import cfdm_denoiser, cfdm_sample, cfdm_velocity
from .coarse import GeometricScore, bandwidth_rule, empirical_score, hybrid_sample, smoothed_empirical_score

__all__ = ["cfdm", "coarse", "empirical", "exact", "point_mixture", "population", "resampled", "smoothed",
           "PointMixtureScore", "streaming_softmax_stats", "EmpiricalScore",
           "GaussianMixture", "MixtureScore", "gaussian", "SmoothedScore", "ResampledSmoothedScore",
           "PopulationScore", "ScoreDeparture", "score_departure", "departure_level", "DepartureCurves",
           "departure_curves", "cfdm_denoiser", "cfdm_velocity", "cfdm_sample",
           "GeometricScore", "bandwidth_rule", "empirical_score", "hybrid_sample",
           "smoothed_empirical_score"]
