"""Bad-input rows: the metrics (neighbours, distances, memorization, transport, MMD, 1-D laws,
intrinsic dimension, log-log slopes). ``metrics.coverage`` has its own file (``rows_coverage.py``).

Format and classes as in ``rows_core.py``.
"""

import jax
import jax.numpy as jnp
import numpy as np

from manifold_diffusion import manifolds as mf
from manifold_diffusion import metrics

KEY = jax.random.key(0)
CIRCLE = mf.Circle()
A = jax.random.normal(jax.random.key(1), (12, 2))
B = jax.random.normal(jax.random.key(2), (10, 2))
XS = np.array([10.0, 20.0, 40.0, 80.0])
YS = 1.0 / XS
FIT = metrics.fit_loglog_slope(XS, YS, key=KEY, n_boot=20)

MT = "manifold_diffusion.metrics."

KEYS = [
    (MT + "mmd_test", lambda: metrics.mmd_test(0, A, B, n_permutations=10), TypeError, "key:"),
    (MT + "mmd_test", lambda: metrics.mmd_test("key", A, B, n_permutations=10), TypeError, "key:"),
    (MT + "fit_loglog_slope", lambda: metrics.fit_loglog_slope(XS, YS, key=3), TypeError, "key:"),
    (MT + "fit_loglog_slope", lambda: metrics.fit_loglog_slope(XS, YS, key=jnp.zeros(2)), TypeError, "key:"),
]

OBJECTS = [
    (MT + "distance_to_manifold", lambda: metrics.distance_to_manifold("circle", A), TypeError, "manifold:"),
    (MT + "tangent_normal_split", lambda: metrics.tangent_normal_split(None, A, A), TypeError, "manifold:"),
    (MT + "coordinate_divergence", lambda: metrics.coordinate_divergence(3, A), TypeError, "manifold:"),
    (MT + "coordinate_divergence", lambda: metrics.coordinate_divergence(CIRCLE, A, density="vm"), TypeError,
     "density:"),
    (MT + "histogram_divergence", lambda: metrics.histogram_divergence(jnp.zeros(5), density=1.0), TypeError,
     "density:"),
    (MT + "histogram_divergence", lambda: metrics.histogram_divergence(jnp.zeros((5, 2)), density=mf.VonMises()),
     ValueError, "density:"),
    (MT + "ks_distance", lambda: metrics.ks_distance(jnp.zeros(5), density="uniform"), TypeError, "density:"),
    (MT + "wasserstein", lambda: metrics.wasserstein(A, B, method="greedy"), ValueError, "method:"),
    (MT + "mmd", lambda: metrics.mmd(A, B, bandwidth="silverman"), ValueError, "bandwidth:"),
    (MT + "two_nn", lambda: metrics.two_nn(A, method="ols"), ValueError, "method:"),
    (MT + "nearest_neighbors", lambda: metrics.nearest_neighbors("queries", A), TypeError, "queries:"),
    (MT + "memorization_ratio", lambda: metrics.memorization_ratio(A, "data"), TypeError, "data:"),
    (MT + "summarize_distances", lambda: metrics.summarize_distances(jnp.ones(3), levels=0.5), TypeError,
     "levels:"),
    (MT + "fit_loglog_slope", lambda: metrics.fit_loglog_slope("x", YS, key=KEY), TypeError, "x:"),
    (MT + "SlopeFit", lambda: FIT.format(theory=[1, 2]), TypeError, "theory:"),
    (MT + "SlopeFit", lambda: FIT.format(digits=-1), ValueError, "digits:"),
]

SHAPES = [
    (MT + "nearest_neighbors", lambda: metrics.nearest_neighbors(A, jnp.zeros((5, 3))), ValueError, "points:"),
    (MT + "nearest_neighbors", lambda: metrics.nearest_neighbors(jnp.zeros(4), A), ValueError, "queries:"),
    (MT + "nearest_neighbors", lambda: metrics.nearest_neighbors(A, B, k=11), ValueError, "k:"),
    (MT + "distance_to_manifold", lambda: metrics.distance_to_manifold(CIRCLE, jnp.zeros((3, 3))), ValueError,
     "samples:"),
    (MT + "tangent_normal_split", lambda: metrics.tangent_normal_split(CIRCLE, A, B), ValueError, "displacement:"),
    (MT + "tangent_normal_split", lambda: metrics.tangent_normal_split(CIRCLE, A, jnp.zeros((12, 3))), ValueError,
     "displacement:"),
    (MT + "summarize_distances", lambda: metrics.summarize_distances(jnp.ones((3, 2))), ValueError, "distances:"),
    (MT + "summarize_distances", lambda: metrics.summarize_distances(jnp.ones(0)), ValueError, "distances:"),
    (MT + "memorization_ratio", lambda: metrics.memorization_ratio(A, jnp.zeros((5, 3))), ValueError, "data:"),
    (MT + "memorization_ratio", lambda: metrics.memorization_ratio(A, jnp.zeros((1, 2))), ValueError, "data:"),
    (MT + "fraction_memorized", lambda: metrics.fraction_memorized(jnp.zeros(3), A), ValueError, "samples:"),
    (MT + "training_spacing", lambda: metrics.training_spacing(jnp.zeros((1, 2))), ValueError, "data:"),
    (MT + "memorization_report", lambda: metrics.memorization_report(A, jnp.zeros((4, 5))), ValueError, "data:"),
    (MT + "wasserstein", lambda: metrics.wasserstein(A, jnp.zeros((4, 3))), ValueError, "y:"),
    (MT + "wasserstein", lambda: metrics.wasserstein(A, B, weights_x=jnp.ones(5)), ValueError, "weights_x:"),
    (MT + "mmd", lambda: metrics.mmd(A, jnp.zeros((4, 3))), ValueError, "y:"),
    (MT + "mmd", lambda: metrics.mmd(jnp.zeros((1, 2)), B), ValueError, "x:"),
    (MT + "mmd", lambda: metrics.mmd(A, B, bandwidth=jnp.ones(2)), ValueError, "bandwidth:"),
    (MT + "mmd_test", lambda: metrics.mmd_test(KEY, A, jnp.zeros((4, 5)), n_permutations=10), ValueError, "y:"),
    (MT + "median_bandwidth", lambda: metrics.median_bandwidth(jnp.zeros((1, 2))), ValueError, "z:"),
    (MT + "histogram_divergence", lambda: metrics.histogram_divergence(jnp.zeros((0,))), ValueError, "theta:"),
    (MT + "histogram_divergence", lambda: metrics.histogram_divergence(jnp.zeros((2, 2, 2))), ValueError, "theta:"),
    (MT + "coordinate_divergence", lambda: metrics.coordinate_divergence(CIRCLE, jnp.zeros((4, 3))), ValueError,
     "samples:"),
    (MT + "ks_distance", lambda: metrics.ks_distance(jnp.zeros((4, 2))), ValueError, "theta:"),
    (MT + "two_nn", lambda: metrics.two_nn(jnp.zeros((2, 2))), ValueError, "points:"),
    (MT + "levina_bickel", lambda: metrics.levina_bickel(A, n_neighbors=20), ValueError, "points:"),
    (MT + "fit_loglog_slope", lambda: metrics.fit_loglog_slope(XS, YS[:3], key=KEY), ValueError, "y:"),
    (MT + "fit_loglog_slope", lambda: metrics.fit_loglog_slope(XS[:, None], YS, key=KEY), ValueError, "x:"),
    (MT + "fit_loglog_slope", lambda: metrics.fit_loglog_slope(XS, np.ones((2, 3, 4)), key=KEY), ValueError, "y:"),
    (MT + "fit_loglog_slope", lambda: metrics.fit_loglog_slope(XS[:2], YS[:2], key=KEY), ValueError, "x:"),
]

VALUES = [
    (MT + "nearest_neighbors", lambda: metrics.nearest_neighbors(A, B, k=0), ValueError, "k:"),
    (MT + "nearest_neighbors", lambda: metrics.nearest_neighbors(A, B, chunk_size=-1), ValueError, "chunk_size:"),
    (MT + "nearest_neighbors", lambda: metrics.nearest_neighbors(A, jnp.full((5, 2), jnp.nan)), ValueError,
     "points:"),
    (MT + "summarize_distances", lambda: metrics.summarize_distances(jnp.array([0.1, -0.2])), ValueError,
     "distances:"),
    (MT + "summarize_distances", lambda: metrics.summarize_distances(jnp.array([0.1, jnp.nan])), ValueError,
     "distances:"),
    (MT + "summarize_distances", lambda: metrics.summarize_distances(jnp.ones(3), levels=(0.5, 1.5)), ValueError,
     "levels:"),
    (MT + "distance_to_manifold", lambda: metrics.distance_to_manifold(CIRCLE, A, levels=(-0.1,)), ValueError,
     "levels:"),
    (MT + "fraction_memorized", lambda: metrics.fraction_memorized(A, B, threshold=0.0), ValueError, "threshold:"),
    (MT + "fraction_memorized", lambda: metrics.fraction_memorized(A, B, threshold=2.0), ValueError, "threshold:"),
    (MT + "memorization_report", lambda: metrics.memorization_report(A, B, threshold="third"), TypeError,
     "threshold:"),
    (MT + "wasserstein", lambda: metrics.wasserstein(A, B, p=3), ValueError, "p:"),
    (MT + "wasserstein", lambda: metrics.wasserstein(A, B, epsilon=0.0, method="sinkhorn"), ValueError, "epsilon:"),
    (MT + "wasserstein", lambda: metrics.wasserstein(A, B, weights_y=-jnp.ones(10)), ValueError, "weights_y:"),
    (MT + "wasserstein", lambda: metrics.wasserstein(A, B, max_exact=0), ValueError, "max_exact:"),
    (MT + "mmd", lambda: metrics.mmd(A, B, bandwidth=0.0), ValueError, "bandwidth:"),
    (MT + "mmd", lambda: metrics.mmd(A, B, bandwidth=-1.0), ValueError, "bandwidth:"),
    (MT + "mmd_test", lambda: metrics.mmd_test(KEY, A, B, n_permutations=0), ValueError, "n_permutations:"),
    (MT + "median_bandwidth", lambda: metrics.median_bandwidth(A, max_points=0), ValueError, "max_points:"),
    (MT + "histogram_divergence", lambda: metrics.histogram_divergence(jnp.zeros(5), n_bins=0), ValueError,
     "n_bins:"),
    (MT + "histogram_divergence", lambda: metrics.histogram_divergence(jnp.array([0.1, jnp.inf])), ValueError,
     "theta:"),
    (MT + "ks_distance", lambda: metrics.ks_distance(jnp.array([jnp.nan, 1.0])), ValueError, "theta:"),
    (MT + "two_nn", lambda: metrics.two_nn(A, discard_fraction=1.0), ValueError, "discard_fraction:"),
    (MT + "two_nn", lambda: metrics.two_nn(A, discard_fraction=-0.1), ValueError, "discard_fraction:"),
    (MT + "two_nn", lambda: metrics.two_nn(jnp.zeros((5, 2))), ValueError, "points:"),
    (MT + "levina_bickel", lambda: metrics.levina_bickel(A, n_neighbors=1), ValueError, "n_neighbors:"),
    (MT + "fit_loglog_slope", lambda: metrics.fit_loglog_slope(-XS, YS, key=KEY), ValueError, "x:"),
    (MT + "fit_loglog_slope", lambda: metrics.fit_loglog_slope(XS, -YS, key=KEY), ValueError, "y:"),
    (MT + "fit_loglog_slope", lambda: metrics.fit_loglog_slope(np.ones(4), YS, key=KEY), ValueError, "x:"),
    (MT + "fit_loglog_slope", lambda: metrics.fit_loglog_slope(XS, YS, key=KEY, n_boot=5), ValueError, "n_boot:"),
    (MT + "fit_loglog_slope", lambda: metrics.fit_loglog_slope(XS, YS, key=KEY, level=1.0), ValueError, "level:"),
]

ROWS = KEYS + OBJECTS + SHAPES + VALUES
