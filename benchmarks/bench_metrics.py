"""Benchmark of the metrics' hot paths against NumPy / SciPy references, measured in the same run.

Cases (10^4 samples against 10^4 training points):

- ``knn_d784``: :func:`manifold_diffusion.metrics.nearest_neighbors` (k = 2, chunked matrix
  products, jit) against a vectorised NumPy float32 reference (chunked matrix products and
  ``argpartition``), d = 784;
- ``memorization_d784``: :func:`~manifold_diffusion.metrics.memorization_report` (two neighbour
  searches: samples vs data and data vs data) against the same NumPy reference;
- ``knn_d3_vs_kdtree``: nearest neighbours in d = 3 against ``scipy.spatial.cKDTree`` (tree build
  plus query). In low dimension a KD-tree's :math:`O(b\log n)` beats the :math:`O(bn)` exact
  search, and the ratio says so; the matrix form is for high d, where trees degrade;
- ``manifold_distance_d784``: distance of 10^4 points to a wavy circle embedded in d = 784 (dense
  search + Newton) against a NumPy dense search on a 2^14-point grid.

Every timing is the best of a few calls after a warm-up call (compilation excluded), with
``block_until_ready``. The results are checked to agree before timing is reported. Output, one
line per case::

    bench <name> N=<N> d=<d> jax_s=<s> numpy_s=<s> speedup=<x>

Run with ``python benchmarks/bench_metrics.py`` (about 30-60 s on 2 CPU cores).
"""

import jax
import jax.numpy as jnp
import numpy as np
import scipy.spatial

import manifold_diffusion.manifolds as mf
import manifold_diffusion.metrics as mt

from _common import timed

N = 10_000


def _best_time(fn, repeat):
    """Best wall time of ``repeat`` calls after one warm-up call; returns (seconds, result)."""
    return timed(fn, repeats=repeat)


def numpy_knn2(queries, points, chunk=1024):
    """Two nearest neighbours in float32 NumPy: chunked |q|^2 - 2 q.p + |p|^2, argpartition, exact re-rank."""
    sq = np.einsum("nd,nd->n", points, points)
    idx = np.empty((queries.shape[0], 2), np.int64)
    for i in range(0, queries.shape[0], chunk):
        q = queries[i:i + chunk]
        d2 = sq[None, :] - 2.0 * (q @ points.T)                 # |q|^2 is constant per row
        idx[i:i + chunk] = np.argpartition(d2, 1, axis=1)[:, :2]
    dist = np.linalg.norm(queries[:, None, :] - points[idx], axis=2)
    order = np.argsort(dist, axis=1)
    return np.take_along_axis(dist, order, axis=1), np.take_along_axis(idx, order, axis=1)


def numpy_memorization(samples, data):
    """Ratio d1/d2 and the training spacing (median nearest-other distance), NumPy reference."""
    dist, _ = numpy_knn2(samples, data)
    ratio = np.where(dist[:, 1] > 0, dist[:, 0] / np.maximum(dist[:, 1], 1e-30), 0.0)
    self_dist, _ = numpy_knn2(data, data)
    return ratio, np.median(self_dist[:, 1])


def numpy_curve_distance(x, frame, curve_points, chunk=1024):
    """Distance to an embedded planar curve: in-plane dense-grid search plus the normal residual."""
    y = x @ frame                                                # (b, 2) in-plane coordinates
    normal2 = np.sum(x * x, axis=1) - np.sum(y * y, axis=1)
    sq = np.sum(curve_points ** 2, axis=1)
    best = np.empty(x.shape[0])
    for i in range(0, x.shape[0], chunk):
        yy = y[i:i + chunk]
        best[i:i + chunk] = np.min(sq[None, :] - 2.0 * yy @ curve_points.T, axis=1) + np.sum(yy * yy, axis=1)
    return np.sqrt(np.maximum(best + normal2, 0.0))


def _line(name, n, d, jax_s, numpy_s):
    print(f"bench {name} N={n} d={d} jax_s={jax_s:.3f} numpy_s={numpy_s:.3f} speedup={numpy_s / jax_s:.2f}",
          flush=True)


def main():
    rng = np.random.default_rng(0)

    # -------------------------------------------------------------- nearest neighbours, d = 784
    d = 784
    data = rng.normal(size=(N, d)).astype(np.float32)
    samples = (data[rng.integers(0, N, N)] + 0.5 * rng.normal(size=(N, d))).astype(np.float32)
    data_j, samples_j = jnp.asarray(data), jnp.asarray(samples)
    jax_s, nb = _best_time(lambda: mt.nearest_neighbors(samples_j, data_j, 2), repeat=2)
    numpy_s, (ref_d, ref_i) = _best_time(lambda: numpy_knn2(samples, data), repeat=1)
    assert np.mean(np.asarray(nb.indices) == ref_i) > 0.999, "nearest neighbours disagree"
    np.testing.assert_allclose(np.asarray(nb.distances), ref_d, rtol=1e-4)
    _line("knn_d784", N, d, jax_s, numpy_s)

    # --------------------------------------------------------------------- memorization, d = 784
    jax_s, report = _best_time(lambda: mt.memorization_report(samples_j, data_j), repeat=1)
    numpy_s, (ratio, spacing) = _best_time(lambda: numpy_memorization(samples, data), repeat=1)
    np.testing.assert_allclose(np.asarray(report.ratio), ratio, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(float(report.spacing), spacing, rtol=1e-4)
    _line("memorization_d784", N, d, jax_s, numpy_s)

    # ------------------------------------------------------------ nearest neighbours, d = 3, KD-tree
    d = 3
    data3 = rng.normal(size=(N, d)).astype(np.float32)
    samples3 = rng.normal(size=(N, d)).astype(np.float32)
    d3j, s3j = jnp.asarray(data3), jnp.asarray(samples3)
    jax_s, nb3 = _best_time(lambda: mt.nearest_neighbors(s3j, d3j, 2), repeat=3)

    def kdtree():
        return scipy.spatial.cKDTree(data3).query(samples3, k=2)

    numpy_s, (kd_d, kd_i) = _best_time(kdtree, repeat=3)
    assert np.mean(np.asarray(nb3.indices) == kd_i) > 0.999, "KD-tree disagrees"
    np.testing.assert_allclose(np.asarray(nb3.distances), kd_d, rtol=1e-4, atol=1e-6)
    _line("knn_d3_vs_kdtree", N, d, jax_s, numpy_s)

    # ------------------------------------------------------- distance to an embedded curve, d = 784
    d = 784
    curve = mf.WavyCircle()
    manifold = mf.embed(curve, d, jax.random.key(0))
    x = manifold.sample(jax.random.key(1), N) + 0.05 * jax.random.normal(jax.random.key(2), (N, d))
    x = jax.block_until_ready(x)
    jax_s, dist = _best_time(lambda: manifold.distance(x), repeat=3)
    frame = np.asarray(manifold.frame)
    grid = np.asarray(curve.point(jnp.linspace(0.0, 2 * np.pi, 2 ** 14, endpoint=False)))
    xn = np.asarray(x)
    numpy_s, ref = _best_time(lambda: numpy_curve_distance(xn, frame, grid), repeat=1)
    # the grid's distance is an upper bound, too large by at most half the grid spacing (2.5e-4)
    assert np.all(np.asarray(dist) <= ref + 1e-4) and np.all(ref - np.asarray(dist) < 5e-4)
    _line("manifold_distance_d784", N, d, jax_s, numpy_s)


if __name__ == "__main__":
    main()
