"""Fidelity statistics and the blur baseline (metrics.fidelity), each against an independent
reference: scikit-learn's probabilities, closed forms, scipy's matrix square root, brute force."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg

from manifold_diffusion import metrics


@pytest.fixture(scope="module")
def blobs():
    """Three well separated classes in 5 dimensions."""
    rng = np.random.default_rng(0)
    centres = np.array([[3, 0, 0, 0, 0], [0, 3, 0, 0, 0], [0, 0, 3, 0, 0]], float)
    labels = np.repeat(np.arange(3), 60)
    x = centres[labels] + 0.7 * rng.standard_normal((180, 5))
    return x, labels


def test_classifier_matches_sklearn_and_separates(blobs):
    from sklearn.linear_model import LogisticRegression

    x, y = blobs
    clf = metrics.fit_classifier(x, y, regularization=0.5)
    ref = LogisticRegression(C=0.5, max_iter=5000).fit(x, y)
    np.testing.assert_allclose(np.asarray(clf.probabilities(x)), ref.predict_proba(x), atol=1e-5)
    assert clf.accuracy(x, y) > 0.95
    assert np.array_equal(np.asarray(clf.predict(x[:10])), ref.predict(x[:10]))


def test_classifier_stats_confident_hesitant_and_diverse(blobs):
    x, y = blobs
    clf = metrics.fit_classifier(x, y)
    clear = metrics.classifier_stats(clf, x)
    assert clear.confidence > 0.9 and clear.entropy < 0.3
    assert clear.class_entropy == pytest.approx(np.log(3), abs=0.02)     # balanced classes
    # points equidistant from the three centres: the classifier hesitates
    middle = metrics.classifier_stats(clf, np.ones((20, 5)))
    assert middle.confidence < clear.confidence and middle.entropy > clear.entropy
    # one class only: no diversity
    assert metrics.classifier_stats(clf, x[y == 1]).class_entropy < 0.05


def test_total_variation_closed_forms():
    checker = (np.indices((8, 8)).sum(axis=0) % 2).astype(float).reshape(1, 64)
    constant = np.full((1, 64), 0.3)
    step = np.zeros((8, 8))
    step[:, 4:] = 1.0
    tv = np.asarray(metrics.total_variation(np.concatenate([checker, constant, step.reshape(1, 64)])))
    np.testing.assert_allclose(tv, [2 * 8 * 7, 0.0, 8.0], atol=1e-5)
    # averaging two shifted steps halves each jump: TV of the average <= average TV
    shifted = np.zeros((8, 8))
    shifted[:, 5:] = 1.0
    checker_blur = 0.5 * (checker + np.roll(checker.reshape(8, 8), 1, axis=1).reshape(1, 64))
    tv2 = np.asarray(metrics.total_variation(np.concatenate([0.5 * (step + shifted).reshape(1, 64),
                                                             checker_blur])))
    np.testing.assert_allclose(tv2, [8.0, 0.0], atol=1e-5)       # half-jumps; a checker averages away


def test_high_frequency_energy_extremes_and_brute_force():
    u = np.arange(8)
    smooth = np.cos(2 * np.pi * u / 8)[:, None] * np.ones(8)[None, :]        # one cycle: rho = 0.25
    checker = (np.indices((8, 8)).sum(axis=0) % 2).astype(float)             # rho = sqrt 2
    hf = np.asarray(metrics.high_frequency_energy(np.stack([smooth.ravel(), checker.ravel(),
                                                             np.ones(64)])))
    np.testing.assert_allclose(hf, [0.0, 1.0, 0.0], atol=1e-6)
    # brute force: a direct DFT sum for a random image
    rng = np.random.default_rng(1)
    img = rng.random((8, 8))
    f = np.fft.fftfreq(8)
    power = np.zeros((8, 8))
    for a in range(8):
        for b in range(8):
            phase = np.exp(-2j * np.pi * (a * u[:, None] + b * u[None, :]) / 8)
            power[a, b] = abs(np.sum(img * phase)) ** 2
    rho = np.sqrt(f[:, None] ** 2 + f[None, :] ** 2) / 0.5
    want = power[rho > 0.5].sum() / power[rho > 0].sum()
    assert float(metrics.high_frequency_energy(img.reshape(1, 64))[0]) == pytest.approx(want, rel=1e-4)


def test_frechet_distance_closed_form_and_scipy():
    rng = np.random.default_rng(2)
    # diagonal Gaussians: FD = |dmu|^2 + sum (sqrt a - sqrt b)^2, estimated from large samples
    a, b = np.array([1.0, 4.0, 0.25]), np.array([2.0, 1.0, 1.0])
    x = rng.standard_normal((200_000, 3)) * np.sqrt(a)
    y = rng.standard_normal((200_000, 3)) * np.sqrt(b) + np.array([1.0, 0.0, -1.0])
    want = 2.0 + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert metrics.frechet_distance(x, y) == pytest.approx(want, rel=0.02)
    # correlated covariances: against scipy.linalg.sqrtm of the product
    x = rng.standard_normal((400, 4)) @ rng.standard_normal((4, 4))
    y = rng.standard_normal((300, 4)) @ rng.standard_normal((4, 4)) + 0.5
    cx, cy = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    ref = (np.sum((x.mean(0) - y.mean(0)) ** 2) + np.trace(cx) + np.trace(cy)
           - 2 * np.real(np.trace(scipy.linalg.sqrtm(cx @ cy))))
    assert metrics.frechet_distance(x, y) == pytest.approx(ref, rel=1e-6)
    assert metrics.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)


def test_principal_components_recover_a_plane():
    rng = np.random.default_rng(3)
    frame = np.linalg.qr(rng.standard_normal((6, 2)))[0]
    pts = rng.standard_normal((300, 2)) * [3.0, 1.0] @ frame.T + 2.0
    mean, comp = metrics.principal_components(pts, 2)
    np.testing.assert_allclose(np.asarray(mean), pts.mean(0), atol=1e-5)
    # the components span the plane: projecting the frame onto them keeps its norm
    np.testing.assert_allclose(np.linalg.norm(np.asarray(comp) @ frame, axis=0), [1.0, 1.0], atol=1e-5)


def test_count_modes_clusters_and_chains():
    rng = np.random.default_rng(4)
    centres = 10.0 * rng.standard_normal((5, 3))
    pts = np.repeat(centres, 20, axis=0) + 0.01 * rng.standard_normal((100, 3))
    assert metrics.count_modes(pts, 0.5) == 5
    assert metrics.count_modes(pts, 1e-6) == 100
    chain = np.arange(10.0)[:, None] * np.array([[1.0, 0.0]])             # spacing 1
    assert metrics.count_modes(chain, 1.5) == 1 and metrics.count_modes(chain, 0.5) == 10


def test_knn_average_brute_force(key):
    data = jax.random.normal(key, (30, 4))
    out = metrics.knn_average_samples(jax.random.key(5), data, 3, 40)
    anchors = np.asarray(jax.random.randint(jax.random.key(5), (40,), 0, 30))
    d = np.asarray(data)
    dist = np.linalg.norm(d[:, None, :] - d[None, :, :], axis=2)
    want = np.stack([d[np.argsort(dist[i])[:3]].mean(0) for i in anchors])
    np.testing.assert_allclose(np.asarray(out), want, atol=1e-5)
    copies = metrics.knn_average_samples(jax.random.key(5), data, 1, 40)
    np.testing.assert_allclose(np.asarray(copies), d[anchors], atol=1e-6)
    everything = metrics.knn_average_samples(jax.random.key(5), data, 30, 3)
    np.testing.assert_allclose(np.asarray(everything), np.tile(d.mean(0), (3, 1)), atol=1e-5)
    # a sequence of k: the same anchors, one set per k
    several = metrics.knn_average_samples(jax.random.key(5), data, (1, 3), 40)
    assert several.shape == (2, 40, 4)
    np.testing.assert_allclose(np.asarray(several[1]), want, atol=1e-5)
    np.testing.assert_allclose(np.asarray(several[0]), d[anchors], atol=1e-6)


def test_bad_inputs(blobs):
    x, y = blobs
    with pytest.raises(ValueError, match="labels"):
        metrics.fit_classifier(x, y[:-1])
    with pytest.raises(ValueError, match="labels"):
        metrics.fit_classifier(x, np.zeros(180, int))
    clf = metrics.fit_classifier(x, y)
    with pytest.raises(ValueError, match="x"):
        clf.probabilities(np.zeros((3, 4)))
    with pytest.raises(TypeError, match="classifier"):
        metrics.classifier_stats("clf", x)
    with pytest.raises(ValueError, match="images"):
        metrics.total_variation(np.zeros((2, 63)))
    with pytest.raises(ValueError, match="cutoff"):
        metrics.high_frequency_energy(np.zeros((2, 64)), cutoff=2.0)
    with pytest.raises(ValueError, match="y"):
        metrics.frechet_distance(np.zeros((5, 3)), np.zeros((5, 2)))
    with pytest.raises(ValueError, match="radius"):
        metrics.count_modes(x, 0.0)
    with pytest.raises(ValueError, match="k"):
        metrics.knn_average_samples(jax.random.key(0), x, 200, 3)
    with pytest.raises(TypeError, match="key"):
        metrics.knn_average_samples(0, x, 2, 3)
    with pytest.raises(TypeError, match="k"):
        metrics.knn_average_samples(jax.random.key(0), x, [], 3)


def test_fidelity_report_copies_blur_and_noise(key):
    """On the digits: copies are the memorization ceiling (novelty 0, fidelity of real digits);
    kNN averages lose sharpness; KDE noise gains high frequencies and loses confidence."""
    from manifold_diffusion import data
    from manifold_diffusion.kde import GaussianKDE

    sets = data.disjoint_digit_sets(key)
    train, judge = sets.first[:400], sets.second[:400]
    clf = metrics.fit_classifier(judge, sets.second_labels[:400])
    copies = metrics.fidelity_report(train[:300], train, clf, judge)
    assert copies.memorized > 0.99 and copies.novelty < 1e-5
    blur = metrics.fidelity_report(metrics.knn_average_samples(key, train, 8, 300), train, clf, judge)
    assert blur.memorized == 0.0 and blur.novelty > 0.3
    assert blur.total_variation < 0.95 * copies.total_variation
    assert blur.high_frequency < 0.9 * copies.high_frequency
    noise = metrics.fidelity_report(GaussianKDE(train, 0.3).sample(key, 300), train, clf, judge)
    assert noise.high_frequency > copies.high_frequency and noise.confidence < copies.confidence
    assert noise.frechet_pca > copies.frechet_pca
