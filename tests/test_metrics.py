"""Metrics: nearest neighbours, distances to manifolds, memorization, transport, MMD, binned
divergences, intrinsic dimension and the log-log slope helper."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg
import scipy.stats

import manifold_diffusion.manifolds as mf
import manifold_diffusion.metrics as mt


def _brute_knn(q, p, k):
    d2 = np.sum((np.asarray(q, np.float64)[:, None, :] - np.asarray(p, np.float64)[None]) ** 2, axis=2)
    idx = np.argsort(d2, axis=1)[:, :k]
    return np.sqrt(np.take_along_axis(d2, idx, axis=1)), idx


# -------------------------------------------------------------------------- nearest neighbours
@pytest.mark.parametrize("k", [1, 2, 5])
def test_nearest_neighbors_matches_brute_force(key, k):
    kq, kp = jax.random.split(key)
    q = jax.random.normal(kq, (203, 17))
    p = 3.0 + jax.random.normal(kp, (1001, 17))                  # offset: cancellation in |q|^2 - 2qp + |p|^2
    nb = mt.nearest_neighbors(q, p, k, chunk_size=300, query_chunk=64)   # ragged chunks on both sides
    ref_d, ref_i = _brute_knn(q, p, k)
    np.testing.assert_allclose(nb.distances, ref_d, rtol=1e-5)
    assert np.mean(np.asarray(nb.indices) == ref_i) > 0.999
    # chunking does not change the result
    same = mt.nearest_neighbors(q, p, k, chunk_size=4096, query_chunk=4096)
    np.testing.assert_array_equal(same.indices, nb.indices)


def test_copies_are_at_distance_exactly_zero(key):
    p = 10.0 + jax.random.normal(key, (500, 784))                # large norms: the matmul form alone loses ~1e-2
    nb = mt.nearest_neighbors(p[:50], p, 2)
    np.testing.assert_array_equal(nb.distances[:, 0], 0.0)
    np.testing.assert_array_equal(nb.indices[:, 0], np.arange(50))


# -------------------------------------------------------------------------------- distances
def test_distance_summary_and_split_on_the_circle(key):
    circle = mf.Circle(1.0)
    angles = jnp.linspace(0.0, 2 * np.pi, 100, endpoint=False)
    radii = 1.0 + jnp.linspace(-0.2, 0.3, 100)
    x = radii[:, None] * jnp.stack([jnp.cos(angles), jnp.sin(angles)], axis=1)
    summary = mt.distance_to_manifold(circle, x, levels=(0.5, 1.0))
    expected = np.abs(np.asarray(radii) - 1.0)
    assert float(summary.mean) == pytest.approx(expected.mean(), abs=1e-6)
    assert float(summary.max) == pytest.approx(0.3, abs=1e-6)                 # one-sided Hausdorff
    assert float(summary.quantiles[1]) == pytest.approx(0.3, abs=1e-6)
    # a displacement a * tangent + b * normal is split into exactly those parts
    tangent = jnp.stack([-jnp.sin(angles), jnp.cos(angles)], axis=1)
    normal = jnp.stack([jnp.cos(angles), jnp.sin(angles)], axis=1)
    split = mt.tangent_normal_split(circle, x, 0.7 * tangent - 0.2 * normal)
    np.testing.assert_allclose(split.tangential_norm, 0.7, atol=1e-5)
    np.testing.assert_allclose(split.normal_norm, 0.2, atol=1e-5)
    np.testing.assert_allclose(split.normal, -0.2 * normal, atol=1e-5)


# ------------------------------------------------------------------------------ memorization
def test_memorization_of_copies_and_of_fresh_samples(key):
    n = 12
    angles = 2 * np.pi * np.arange(n) / n
    data = jnp.stack([jnp.cos(angles), jnp.sin(angles)], axis=1)
    k1, k2 = jax.random.split(key)
    copies = data[jax.random.randint(k1, (300,), 0, n)] + 1e-3 * jax.random.normal(k1, (300, 2))
    fresh = mf.Circle().sample(k2, 300)
    report = mt.memorization_report(copies, data)
    assert float(report.fraction_memorized) == 1.0
    assert float(report.spacing) == pytest.approx(2 * math.sin(math.pi / n), rel=1e-5)   # chord
    assert float(report.novelty) < 0.01
    # fresh uniform points at offset a from the nearest of points spaced D apart have
    # d1/d2 ~ a / (D - a) < 1/3 iff a < D/4: half of all offsets a in [0, D/2]
    # (binomial 4-sigma band for 300 draws, plus 0.01 for chords vs arcs)
    frac = float(mt.fraction_memorized(fresh, data))
    assert abs(frac - 0.5) < 4 * math.sqrt(0.25 / 300) + 0.01
    ratio = np.asarray(mt.memorization_ratio(fresh, data))
    ref_d, _ = _brute_knn(fresh, data, 2)
    np.testing.assert_allclose(ratio, ref_d[:, 0] / ref_d[:, 1], rtol=1e-5)
    # median offset D/4, so the median relative distance is about 1/4
    assert 0.2 < float(mt.memorization_report(fresh, data).novelty) < 0.3


# --------------------------------------------------------------------------------- transport
def test_w2_between_gaussians_matches_closed_form():
    rng = np.random.default_rng(0)
    n = 1500
    m1, m2 = np.array([0.0, 0.0]), np.array([1.0, 0.5])
    s1 = np.array([[1.0, 0.3], [0.3, 0.5]])
    s2 = np.array([[0.6, -0.2], [-0.2, 1.2]])
    x = rng.multivariate_normal(m1, s1, n)
    y = rng.multivariate_normal(m2, s2, n)
    root = scipy.linalg.sqrtm(s2)
    w2 = math.sqrt(np.sum((m1 - m2) ** 2) + np.trace(s1 + s2 - 2 * scipy.linalg.sqrtm(root @ s1 @ root)).real)
    result = mt.wasserstein(x, y)
    assert result.method == "exact" and result.converged
    # two empirical measures in d = 2: E|W2(emp) - W2| = O(sqrt(log n / n)) ~ 0.07 at n = 1500
    assert result.distance == pytest.approx(w2, rel=0.05)


def test_w1_in_one_dimension_and_sinkhorn_agree_with_exact():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=300), rng.gamma(2.0, size=400)
    exact = mt.wasserstein(a[:, None], b[:, None], p=1)
    assert exact.distance == pytest.approx(scipy.stats.wasserstein_distance(a, b), rel=1e-6)
    x, y = rng.normal(size=(300, 3)), rng.normal(size=(300, 3)) * 0.7 + 0.8
    ex = mt.wasserstein(x, y, p=2)
    sk = mt.wasserstein(x, y, p=2, max_exact=100)                 # "auto" switches to Sinkhorn
    assert sk.method == "sinkhorn" and sk.epsilon > 0 and sk.converged
    assert sk.cost == pytest.approx(ex.cost, rel=0.03)            # debiased divergence at eps = 1e-2 mean cost


# ---------------------------------------------------------------------------------------- MMD
def test_mmd_identical_shifted_and_against_a_direct_formula(key):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(400, 3))
    y = rng.normal(size=(400, 3))
    assert float(mt.mmd(x, x, unbiased=False).mmd2) == pytest.approx(0.0, abs=1e-6)
    assert abs(float(mt.mmd(x, y).mmd2)) < 5.0 / 400                 # unbiased: mean 0, sd O(1/n)
    values = [float(mt.mmd(x, y + shift, bandwidth=1.0).mmd2) for shift in (0.0, 0.25, 0.5, 1.0)]
    assert np.all(np.diff(values) > 0)
    # direct O(n^2) formula
    h = 1.0
    k = lambda a, b: np.exp(-np.sum((a[:, None] - b[None]) ** 2, axis=2) / (2 * h * h))  # noqa: E731
    kxx, kyy, kxy = k(x, x), k(y + 0.5, y + 0.5), k(x, y + 0.5)
    n = x.shape[0]
    direct = ((kxx.sum() - n) + (kyy.sum() - n)) / (n * (n - 1)) - 2 * kxy.mean()
    assert values[2] == pytest.approx(direct, rel=1e-3, abs=1e-6)
    test_null = mt.mmd_test(key, x[:200], y[:200], n_permutations=200)
    test_shift = mt.mmd_test(key, x[:200], y[:200] + 0.5, n_permutations=200)
    assert float(test_shift.p_value) < 0.01 < float(test_null.p_value)


# --------------------------------------------------------------------- binned divergences, KS
def test_coordinate_divergence_detects_a_wrong_density(key):
    ellipse = mf.Ellipse(1.0, 2.0)
    density = mf.VonMises(1.0, 2.0)
    x = ellipse.sample(key, 4000, density)
    x = x + 1e-3 * jax.random.normal(key, x.shape)                   # near, not on, the curve
    right = mt.coordinate_divergence(ellipse, x, density)
    wrong = mt.coordinate_divergence(ellipse, x)                     # against uniform
    assert right.tv < 2.5 * right.tv_floor and right.kl < 3 * right.kl_floor
    assert wrong.tv > 5 * wrong.tv_floor
    theta = ellipse.density_coords(ellipse.coords(x))[:, 0]
    assert mt.ks_distance(theta, density).p_value > 1e-3
    assert mt.ks_distance(theta, mf.VonMises(1.3, 2.0)).p_value < 1e-6


# ---------------------------------------------------------------------- intrinsic dimension
@pytest.mark.parametrize("k", [1, 2, 4])
def test_two_nn_and_levina_bickel_recover_sphere_dimension_in_high_d(key, k):
    sphere = mf.embed(mf.Sphere(k), 200, key)
    x = sphere.sample(jax.random.fold_in(key, 1), 2000)
    est = mt.two_nn(x)
    # MLE sd is k / sqrt(n) ~ 0.022 k; allow 4 sd plus 3 % for curvature at the neighbour scale
    assert abs(est.dimension - k) < 4 * est.standard_error + 0.03 * k
    assert abs(mt.two_nn(x, method="fit").dimension - k) < 0.1 * k + 0.1
    assert abs(mt.levina_bickel(x, 10).dimension - k) < 0.1 * k + 0.1


# -------------------------------------------------------------------------------------- rates
def test_slope_recovered_and_interval_covers_at_nominal_rate():
    """Coverage over 200 synthetic fits lies within a binomial 3-sigma band of 95 %."""
    x = np.array([30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0])
    rng = np.random.default_rng(3)
    reps = 200
    keys = jax.random.split(jax.random.key(7), reps)
    band = 3 * math.sqrt(0.95 * 0.05 / reps)
    for seeds in (1, 8):
        covered, widths = 0, []
        for i in range(reps):
            y = 2.0 * x ** -0.5 * np.exp(0.2 * rng.normal(size=(seeds, x.size)))
            fit = mt.fit_loglog_slope(x, y[0] if seeds == 1 else y, key=keys[i])
            covered += fit.covers(-0.5)
            widths.append(fit.ci_high - fit.ci_low)
        assert abs(covered / reps - 0.95) < band, (seeds, covered / reps)
    # with 8 seeds at noise 0.2 the slope is pinned to about +-0.03
    y = 2.0 * x ** -0.5 * np.exp(0.2 * rng.normal(size=(8, x.size)))
    fit = mt.fit_loglog_slope(x, y, key=keys[0])
    assert abs(fit.slope + 0.5) < 0.06 and fit.n_seeds == 8 and fit.method == "seeds"
    assert fit.intercept == pytest.approx(math.log(2.0), abs=0.3)


def test_slope_fit_formatting():
    fit = mt.SlopeFit(-0.513, 0.1, -0.552, -0.471, 0.95, 6, 10, "seeds")
    assert fit.format(theory=-0.5) == "slope -0.51 [95% CI -0.55, -0.47] (theory -1/2)"
    assert str(fit) == "slope -0.51 [95% CI -0.55, -0.47]"
    assert fit.format(theory="-beta/4k") .endswith("(theory -beta/4k)")


# ------------------------------------------------------------------------------------ errors
def test_metric_argument_errors(key):
    data = jnp.zeros((10, 3))
    with pytest.raises(ValueError, match="samples: expected at least 1 point"):
        mt.fraction_memorized(jnp.zeros((0, 3)), data)
    with pytest.raises(ValueError, match=r"data: expected shape \(\*, 3\)"):
        mt.memorization_ratio(jnp.zeros((5, 3)), jnp.zeros((10, 2)))
    with pytest.raises(ValueError, match="samples: expected finite"):
        mt.memorization_report(jnp.full((5, 3), jnp.inf), data)
    with pytest.raises(ValueError, match="k: expected k <= n"):
        mt.nearest_neighbors(data, data[:2], k=3)
    with pytest.raises(ValueError, match="samples"):
        mt.distance_to_manifold(mf.Sphere(2), jnp.zeros((4, 2)))
    with pytest.raises(ValueError, match="y"):
        mt.wasserstein(jnp.zeros((4, 2)), jnp.zeros((4, 3)))
    with pytest.raises(ValueError, match="p"):
        mt.wasserstein(jnp.zeros((4, 2)), jnp.zeros((4, 2)), p=3)
    with pytest.raises(ValueError, match="bandwidth"):
        mt.mmd(jnp.zeros((4, 2)), jnp.ones((4, 2)), bandwidth=-1.0)
    with pytest.raises(ValueError, match="x: expected finite positive"):
        mt.fit_loglog_slope([1.0, -2.0, 3.0], [1.0, 2.0, 3.0], key=key)
    with pytest.raises(ValueError, match="y: expected shape"):
        mt.fit_loglog_slope([1.0, 2.0, 3.0], [1.0, 2.0], key=key)
    with pytest.raises(ValueError, match="y: expected finite positive"):
        mt.fit_loglog_slope([1.0, 2.0, 3.0], [1.0, 0.0, 3.0], key=key)
    with pytest.raises(ValueError, match="theta"):
        mt.histogram_divergence(jnp.zeros((0,)))
    with pytest.raises(ValueError, match="density"):
        mt.histogram_divergence(jnp.zeros((5, 2)), mf.VonMises())
    with pytest.raises(ValueError, match="points"):
        mt.two_nn(jnp.zeros((2, 3)))
