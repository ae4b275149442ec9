r"""Metrics of memorization and generalization.

- :mod:`.neighbors` -- exact chunked k-nearest neighbours (:func:`nearest_neighbors`);
- :mod:`.distances` -- distance of samples to a manifold (mean, quantiles, one-sided
  Hausdorff) and the tangential/normal split of displacements;
- :mod:`.memorization` -- nearest/second-nearest ratio, fraction memorized, spacing, novelty;
- :mod:`.transport` -- Wasserstein-1/2 (POT exact, ott-jax Sinkhorn);
- :mod:`.two_sample` -- Gaussian-kernel MMD and its permutation test;
- :mod:`.density1d` -- binned TV/KL/Hellinger and KS between sample coordinates and a density;
- :mod:`.intrinsic_dim` -- TwoNN and Levina--Bickel;
- :mod:`.rates` -- :func:`fit_loglog_slope`, the one way the book reports a rate;
- :mod:`.coverage` -- how much of a manifold's mass the samples cover (delta-coverage);
- :mod:`.lattice` -- offsets between the lines of a lattice of training points, the gap-centre
  fraction, rows and columns of a square lattice;
- :mod:`.shape` -- Fourier amplitude of a planar sample's radius;
- :mod:`.matching` -- :func:`at_novelty`, a value read off a sweep at matched novelty;
- :mod:`.bootstrap` -- bootstrap intervals of intrinsic-dimension estimates;
- :mod:`.fidelity` -- fidelity without blur bias (classifier confidence and class entropy,
  sharpness, Fréchet distance, distinct modes) and the k-nearest-neighbour-average baseline;
- :mod:`.patches` -- per-image :math:`r^2` of one generator against another (samples and
  denoisers) with bootstrap intervals, and the patch-mosaic check of the locality chapter.
"""

from . import bootstrap, lattice, matching, shape
from . import (coverage, density1d, distances, fidelity, intrinsic_dim, memorization, neighbors,
               patches, rates, transport, two_sample)
from .density1d import (HistogramDivergence, KSResult, coordinate_divergence, histogram_divergence,
                        ks_distance)
from .distances import (DistanceSummary, TangentNormalSplit, distance_to_manifold, summarize_distances,
                        tangent_normal_split)
from .fidelity import (ClassifierStats, FidelityReport, LinearClassifier, fidelity_report, classifier_stats, count_modes, fit_classifier,
                       frechet_distance, high_frequency_energy, knn_average_samples, principal_components,
                       total_variation)
from .intrinsic_dim import IntrinsicDimension, levina_bickel, two_nn
from .memorization import (MemorizationReport, fraction_memorized, memorization_ratio,
                           memorization_report, training_spacing)
from .neighbors import Neighbors, nearest_neighbors
from .patches import (MosaicReport, R2Summary, denoiser_r2, image_r2, mosaic_report,
                      patch_distances, summarize_r2)
from .rates import SlopeFit, fit_loglog_slope
from .lattice import LatticeStats, gap_centre_fraction, lattice_offsets, lattice_stats
from .shape import fourier_amplitude
from .matching import at_novelty
from .bootstrap import bootstrap_dimension
from .transport import TransportResult, wasserstein
from .two_sample import MMDResult, MMDTestResult, median_bandwidth, mmd, mmd_test

__all__ = [
    "coverage", "density1d", "distances", "intrinsic_dim", "memorization", "neighbors", "rates", "transport",
    "two_sample",
    "Neighbors", "nearest_neighbors",
    "DistanceSummary", "TangentNormalSplit", "summarize_distances", "distance_to_manifold",
    "tangent_normal_split",
    "MemorizationReport", "memorization_ratio", "fraction_memorized", "training_spacing",
    "memorization_report",
    "TransportResult", "wasserstein",
    "MMDResult", "MMDTestResult", "mmd", "mmd_test", "median_bandwidth",
    "HistogramDivergence", "KSResult", "histogram_divergence", "coordinate_divergence", "ks_distance",
    "IntrinsicDimension", "two_nn", "levina_bickel",
    "SlopeFit", "fit_loglog_slope",
    "lattice", "shape", "matching", "bootstrap",
    "LatticeStats", "lattice_offsets", "gap_centre_fraction", "lattice_stats",
    "fourier_amplitude", "at_novelty", "bootstrap_dimension",
    "fidelity", "LinearClassifier", "fit_classifier", "ClassifierStats", "classifier_stats",
    "total_variation", "high_frequency_energy", "principal_components", "frechet_distance",
    "count_modes", "knn_average_samples", "FidelityReport", "fidelity_report",
    "patches", "image_r2", "R2Summary", "summarize_r2", "denoiser_r2", "patch_distances",
    "MosaicReport", "mosaic_report",
]
