"""The locality chapter's read-outs (metrics.patches) and the switched score, against independent
references: scikit-learn's r2_score, a brute-force patch search, the law of the sample median, and
a reference lax.cond score."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.metrics import r2_score

import manifold_diffusion as md
from manifold_diffusion import metrics
from manifold_diffusion.scores import EmpiricalScore, GeometricScore, SwitchedScore


def _images(key, n, d):
    return jax.random.uniform(key, (n, d))


# ------------------------------------------------------------------ image_r2, summarize_r2
def test_image_r2_is_sklearns_r2_per_row(key):
    k1, k2 = jax.random.split(key)
    target = _images(k1, 7, 20)
    predicted = target + 0.3 * jax.random.normal(k2, target.shape)
    got = np.asarray(metrics.image_r2(predicted, target))
    want = [r2_score(np.asarray(target[a]), np.asarray(predicted[a])) for a in range(7)]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(metrics.image_r2(target, target), 1.0, atol=1e-7)
    # predicting each pixel by the image's own mean gives exactly 0
    means = jnp.broadcast_to(jnp.mean(target, axis=1, keepdims=True), target.shape)
    np.testing.assert_allclose(metrics.image_r2(means, target), 0.0, atol=1e-5)


def test_image_r2_rejects_constant_targets():
    with pytest.raises(ValueError, match="target"):
        metrics.image_r2(jnp.ones((2, 4)), jnp.ones((2, 4)))


def test_summarize_r2_median_quartiles_and_interval_width(key):
    k1, k2 = jax.random.split(key)
    values = np.asarray(jax.random.normal(k1, (400,)), np.float64)
    s = metrics.summarize_r2(k2, values, n_boot=2000)
    assert s.median == pytest.approx(float(np.median(values)))
    assert s.lower_quartile == pytest.approx(float(np.percentile(values, 25)))
    assert s.upper_quartile == pytest.approx(float(np.percentile(values, 75)))
    assert s.low <= s.median <= s.high and s.n == 400
    # the median of 400 standard normal values has standard error sqrt(pi/2)/20 = 0.0627, so a
    # 95 % interval has half-width about 1.96 * 0.0627 = 0.123. One set's bootstrap half-width
    # scatters by about 15 % (measured: 0.08 to 0.15 over 20 sets); the mean over 10 sets is
    # within 0.003 of its expectation, so [0.10, 0.145] leaves room for the asymptotic formula
    widths = []
    for i in range(10):
        k1, k2 = jax.random.split(jax.random.fold_in(key, i))
        s = metrics.summarize_r2(k2, jax.random.normal(k1, (400,)), n_boot=1000)
        widths.append((s.high - s.low) / 2)
    assert 0.10 < np.mean(widths) < 0.145


def test_summarize_r2_interval_covers_the_true_median(key):
    # 40 independent sets of 101 uniform values, true median 0.5: a 90 % interval misses it in
    # about 4 of 40; 12 or more misses has probability below 1e-3 (binomial(40, 0.1))
    misses = 0
    for i in range(40):
        k1, k2 = jax.random.split(jax.random.fold_in(key, i))
        s = metrics.summarize_r2(k2, jax.random.uniform(k1, (101,)), n_boot=500, level=0.9)
        misses += not (s.low <= 0.5 <= s.high)
    assert misses < 12


# ------------------------------------------------------------------ denoiser_r2
def test_denoiser_r2_matches_the_documented_noise(key):
    process = md.VE(T=4.0)
    images = _images(jax.random.fold_in(key, 1), 5, 12)
    times = [0.01, 0.5, 2.0]
    got = metrics.denoiser_r2(key, lambda x, t: x, lambda x, t: 0.5 * x + 0.1, images, process, times)
    noise = jax.random.normal(key, (3, 5, 12), images.dtype)
    for j, t in enumerate(times):
        x = images + np.sqrt(t) * noise[j]
        np.testing.assert_allclose(got[j], metrics.image_r2(x, 0.5 * x + 0.1), rtol=1e-5)
    same = metrics.denoiser_r2(key, lambda x, t: x / 2, lambda x, t: x / 2, images, process, times)
    np.testing.assert_allclose(same, 1.0, atol=1e-6)


# ------------------------------------------------------------------ patch distances, mosaics
def _brute_patch_distances(samples, train, shape, size):
    h, w = shape
    r = size // 2

    def patches(img):
        padded = np.pad(img.reshape(h, w), r)
        return np.stack([padded[i:i + size, j:j + size].ravel() for i in range(h) for j in range(w)])

    bank = np.concatenate([patches(t) for t in np.asarray(train, np.float64)])
    out = np.zeros((samples.shape[0], h * w))
    for a, img in enumerate(np.asarray(samples, np.float64)):
        for p, q in enumerate(patches(img)):
            out[a, p] = np.sqrt(np.min(np.sum((bank - q) ** 2, axis=1)))
    return out


@pytest.mark.parametrize("size", [1, 3, 5])
def test_patch_distances_against_a_brute_force_search(key, size):
    k1, k2 = jax.random.split(key)
    train = _images(k1, 6, 20)                                 # 4x5 images
    samples = _images(k2, 3, 20)
    got = metrics.patch_distances(samples, train, (4, 5), size)
    np.testing.assert_allclose(got, _brute_patch_distances(samples, train, (4, 5), size),
                               rtol=1e-4, atol=2e-3)        # distances from squared-norm expansions


def test_mosaic_report_copies_are_memorized_and_patch_exact(key):
    digits = md.data.load_digits(key, n_train=80)
    train = digits.train
    copies = mos = metrics.mosaic_report(train[:10], train, (8, 8), 3, tolerance=0.5)
    assert copies.fraction_memorized == 1.0 and copies.fraction_mosaic == 0.0
    np.testing.assert_allclose(copies.worst_patch, 0.0, atol=2e-3)
    # a half-and-half splice of two training digits: new as a whole (not memorized), and every
    # 3x3 patch away from the seam is a training patch
    top = jnp.concatenate([train[0, :32], train[1, 32:]])[None, :]
    spliced = metrics.patch_distances(top, train, (8, 8), 3).reshape(8, 8)
    assert float(jnp.max(spliced[:3])) < 2e-3 and float(jnp.max(spliced[5:])) < 2e-3
    # shuffled pixels are far from every training patch
    perm = jax.random.permutation(jax.random.fold_in(key, 2), 64)
    shuffled = metrics.mosaic_report(digits.test[:10][:, perm], train, (8, 8), 3, tolerance=0.5)
    assert shuffled.median_worst_patch > 0.5 and shuffled.fraction_mosaic < 0.2
    assert mos.patch_size == 3 and mos.tolerance == 0.5


# ------------------------------------------------------------------ SwitchedScore
def _parts(key):
    data = _images(key, 10, 4)
    process = md.VE(T=4.0)
    large = EmpiricalScore(data, process)
    small = GeometricScore(lambda x: jnp.clip(x, 0.2, 0.8), process)
    return data, process, large, small


def test_switched_score_takes_each_side_eagerly_and_under_jit(key):
    data, process, large, small = _parts(key)
    score = SwitchedScore(large, small, 0.3)
    x = _images(jax.random.fold_in(key, 1), 6, 4)
    jitted = eqx.filter_jit(lambda s, x, t: s(x, t))
    for t, part in ((1.0, large), (0.3, small), (0.05, small)):
        np.testing.assert_allclose(score(x, t), part(x, t), rtol=1e-6)
        np.testing.assert_allclose(jitted(score, x, jnp.asarray(t)), part(x, t), rtol=1e-5)
    assert score.d == 4 and score.process == process


def test_switched_score_samples_like_a_reference_cond(key):
    data, process, large, small = _parts(key)
    score = SwitchedScore(large, small, 0.3)

    def reference(x, t):
        return jax.lax.cond(t > 0.3, lambda: large(x, t), lambda: small(x, t))

    grid = md.geometric_grid(4.0, 1e-3, 20)
    for method in ("ode", "sde"):
        got = md.sample(key, score, process, 16, grid, method=method)
        want = md.sample(key, reference, process, 16, grid, d=4, method=method)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)

