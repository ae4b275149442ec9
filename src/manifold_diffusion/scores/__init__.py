"""Score functions. Every score is a callable ``score_fn(x, t)`` mapping ``(b, d)`` to ``(b, d)``.

- :class:`GaussianMixture`, :class:`MixtureScore`, :func:`gaussian` -- exact scores of Gaussian
  data, the ground truth of tests and chapters;
- :class:`EmpiricalScore` -- the score of the noised empirical measure, the exact minimiser of
  denoising score matching on a finite training set;
- :class:`SmoothedScore` -- a kernel (Monte Carlo) average of a score: log-domain smoothing;
- :class:`PopulationScore` -- the score of a density on a manifold, noised, by quadrature;
  :func:`score_departure` -- where the empirical score parts from it, ``sigma*(n)``;
  :func:`departure_curves` -- the same for many training sets at once;
- :func:`cfdm_sample` (with :func:`cfdm_denoiser`, :func:`cfdm_velocity`) -- smoothed
  closed-form diffusion (sigma-CFDM), a training-free generator of barycentres.
"""

from .empirical import EmpiricalScore, streaming_softmax_stats
from .exact import GaussianMixture, MixtureScore, gaussian
from .smoothed import SmoothedScore
from .population import DepartureCurves, PopulationScore, ScoreDeparture, departure_curves, score_departure
from .cfdm import cfdm_denoiser, cfdm_sample, cfdm_velocity
from .coarse import GeometricScore, bandwidth_rule, empirical_score, hybrid_sample, smoothed_empirical_score

__all__ = ["EmpiricalScore", "GaussianMixture", "MixtureScore", "gaussian",
           "streaming_softmax_stats", "SmoothedScore", "PopulationScore",
           "ScoreDeparture", "score_departure", "DepartureCurves", "departure_curves",
           "cfdm_denoiser", "cfdm_velocity", "cfdm_sample"]
