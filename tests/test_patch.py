"""Patch scores (LS, ES, ELS machine) against a brute-force loop and the global empirical score;
the patch schedule; calibration recovering a known schedule."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manifold_diffusion as md
from manifold_diffusion.scores import (ELSMachine, EmpiricalScore, EquivariantScore, LocalScore,
                                       PatchSchedule, calibrate_patch_schedule, extract_patches)

EPS = float(jnp.finfo(jnp.result_type(float)).eps)


def _vp_time(sigma):
    return float(-0.5 * np.log1p(-(sigma**2)))


# ------------------------------------------------------------------ brute-force reference (NumPy)
def _pixel(img, r, c, boundary):
    """Value of pixel (r, c) of an (H, W, C) image under the boundary rule (zero outside)."""
    h, w, _ = img.shape
    if boundary == "periodic":
        return img[r % h, c % w]
    if 0 <= r < h and 0 <= c < w:
        return img[r, c]
    return np.zeros(img.shape[2])


def _patch(img, r, c, size, boundary):
    half = size // 2
    return np.concatenate([_pixel(img, r + i, c + j, boundary)
                           for i in range(-half, half + 1) for j in range(-half, half + 1)])


def _padding_mask(shape, r, c, size):
    """Which offsets of the window at (r, c) fall inside the image."""
    h, w = shape[:2]
    half = size // 2
    return tuple(0 <= r + i < h and 0 <= c + j < w
                 for i in range(-half, half + 1) for j in range(-half, half + 1))


def brute_force_denoiser(x, data, shape, size, boundary, local, alpha, sigma):
    """M_t[x] by explicit loops: each pixel, each training image, each admissible position."""
    h, w, c = shape
    xs = np.asarray(x, np.float64).reshape(-1, h, w, c)
    ds = np.asarray(data, np.float64).reshape(-1, h, w, c)
    positions = list(itertools.product(range(h), range(w)))
    out = np.zeros_like(xs)
    for b, img in enumerate(xs):
        for (r, col) in positions:
            query = _patch(img, r, col, size, boundary)
            logits, values = [], []
            for train in ds:
                for (q_r, q_c) in positions:
                    if local and (q_r, q_c) != (r, col):
                        continue
                    if boundary == "broken" and (_padding_mask(shape, q_r, q_c, size)
                                                 != _padding_mask(shape, r, col, size)):
                        continue
                    z = _patch(train, q_r, q_c, size, boundary)
                    logits.append(-np.sum((query - alpha * z) ** 2) / (2 * sigma**2))
                    values.append(train[q_r, q_c])
            logits = np.asarray(logits)
            weights = np.exp(logits - logits.max())
            out[b, r, col] = weights @ np.asarray(values) / weights.sum()
    return out.reshape(xs.shape[0], -1)


def _images(key, n, shape):
    """Random images in [0, 1] with two blank first columns and a blank bottom row, so that many
    patches repeat (the deduplication path) as on the digits."""
    h, w, c = shape
    img = np.array(jax.random.uniform(key, (n, h, w, c)), np.float64)
    img[:, :, :2] = 0.0
    img[:, -1, :] = 0.0
    return jnp.asarray(img.reshape(n, -1), jnp.result_type(float))


def _rtol(alpha, sigma, x, data, size, c):
    """float32: logits carry ~eps alpha |patch|^2 / sigma^2 nats of rounding (patch norms are at
    most sqrt(P^2 C) for pixels in [0, 1] plus noise); float64: 1e-10."""
    scale = float(alpha * size * size * c * max(1.0, float(jnp.max(jnp.abs(x)))) / sigma**2)
    return 1e-10 + 50 * EPS * (1 + scale)


CASES = [  # kind, boundary, image shape, patch size
    ("local", "zero", (4, 4), 3), ("local", "periodic", (4, 4), 3),
    ("equivariant", "zero", (4, 4), 3), ("equivariant", "periodic", (4, 4), 3),
    ("equivariant", "broken", (4, 4), 3), ("equivariant", "broken", (4, 4), 5),
    ("equivariant", "zero", (3, 5, 2), 3), ("local", "zero", (3, 5, 2), 5),
    # patches covering the image from every pixel: computed as the global empirical score
    ("equivariant", "broken", (3, 4), 7), ("local", "zero", (3, 4), 7),
]


@pytest.mark.parametrize("kind, boundary, shape, size", CASES)
def test_patch_scores_match_brute_force_loop(kind, boundary, shape, size):
    shape3 = shape if len(shape) == 3 else (*shape, 1)
    k_data, k_noise = jax.random.split(jax.random.key(3))
    data = _images(k_data, 3, shape3)
    process = md.VP()
    cls = LocalScore if kind == "local" else EquivariantScore
    # several blocks of candidates and of queries (48 queries in blocks of 7: padding too)
    score = cls(data, process, shape, size, boundary=boundary, chunk_size=5, query_block=7)
    for sigma in (0.5, 0.05):
        t = _vp_time(sigma)
        alpha, sig = process.marginal(jnp.asarray(t, data.dtype))
        # queries: noised training images (the sampler's situation) and a generic image
        noise = jax.random.normal(k_noise, data[:2].shape, data.dtype)
        x = jnp.concatenate([alpha * data[:2] + sig * noise,
                             jax.random.uniform(k_noise, data[:1].shape, data.dtype)])
        want = brute_force_denoiser(x, data, shape3, size, boundary, kind == "local", float(alpha),
                                    float(sig))
        got = np.asarray(score.denoise(x, t), np.float64)
        rtol = _rtol(float(alpha), float(sig), x, data, size, shape3[2])
        assert np.max(np.abs(got - want)) < rtol, (sigma, np.max(np.abs(got - want)), rtol)


def test_score_is_the_denoiser_through_tweedie_and_accepts_one_image():
    data = _images(jax.random.key(3), 3, (4, 4, 1))
    process = md.VP()
    score = EquivariantScore(data, process, (4, 4), 3, boundary="broken")
    x = data + 0.1 * jax.random.normal(jax.random.key(4), data.shape, data.dtype)
    t = 0.2
    alpha, sigma = process.marginal(jnp.asarray(t, data.dtype))
    den = score.denoise(x, t)
    tol = 1e-5 if EPS > 1e-10 else 1e-12
    np.testing.assert_allclose(score(x, t), (alpha * den - x) / sigma**2, rtol=tol, atol=tol)
    # Tweedie's formula on the score gives back the denoiser, up to the rounding of /sigma^2
    np.testing.assert_allclose(md.tweedie_denoiser(score, x, t, process) * alpha, den * alpha,
                               rtol=0, atol=50 * EPS)
    np.testing.assert_allclose(score(x[0], t), score(x, t)[0], rtol=tol, atol=tol)


def test_deduplication_merges_repeated_patches():
    """Repeated patches are merged with their multiplicity, exactly: a training set with one
    image repeated matches the loop, which counts the repeat as separate candidates."""
    data = _images(jax.random.key(0), 3, (4, 4, 1))
    process = md.VP()
    assert EquivariantScore(data, process, (4, 4), 3).n_candidates < 3 * 16   # blank patches
    doubled = jnp.concatenate([data, data[:1]])
    x = data + 0.05
    t = 0.1
    alpha, sig = process.marginal(jnp.asarray(t))
    want = brute_force_denoiser(x, doubled, (4, 4, 1), 3, "zero", False, float(alpha), float(sig))
    got = EquivariantScore(doubled, process, (4, 4), 3).denoise(x, t)
    np.testing.assert_allclose(got, want, rtol=0, atol=_rtol(float(alpha), float(sig), x, data, 3, 1))


@pytest.mark.parametrize("boundary", ["zero", "periodic", "broken"])
def test_extract_patches_matches_loop(boundary):
    shape = (3, 4, 2)
    images = _images(jax.random.key(1), 2, shape)
    got = np.asarray(extract_patches(images, shape, 3, boundary=boundary))
    imgs = np.asarray(images, np.float64).reshape(2, *shape)
    pad = "periodic" if boundary == "periodic" else "zero"
    for b in range(2):
        for p, (r, c) in enumerate(itertools.product(range(3), range(4))):
            np.testing.assert_array_equal(got[b, p], _patch(imgs[b], r, c, 3, pad).astype(got.dtype))


# ------------------------------------------------------------------ exact limits: the global score
@pytest.mark.parametrize("case", ["local_zero", "broken", "local_periodic", "equivariant_periodic"])
def test_full_patch_is_the_global_empirical_score(case):
    """LS (zero padding, P = 2H - 1) and boundary-broken ES (P = 2H - 1) are the empirical score of
    the training images; on the torus (P = H) LS is too, and ES is the empirical score of all
    circular shifts."""
    shape = (4, 4) if case in ("local_zero", "broken") else (5, 5)
    h = shape[0]
    data = _images(jax.random.key(2), 3, (*shape, 1))
    process = md.VP()
    if case == "local_zero":
        score = LocalScore(data, process, shape, 2 * h - 1)
    elif case == "broken":
        score = EquivariantScore(data, process, shape, 2 * h - 1, boundary="broken")
    elif case == "local_periodic":
        score = LocalScore(data, process, shape, h, boundary="periodic")
    else:
        score = EquivariantScore(data, process, shape, h, boundary="periodic")
    points = data
    if case == "equivariant_periodic":
        imgs = np.asarray(data).reshape(3, h, h)
        points = jnp.asarray(np.stack([np.roll(im, (i, j), axis=(0, 1)).reshape(-1) for im in imgs
                                       for i in range(h) for j in range(h)]), data.dtype)
    reference = EmpiricalScore(points, process, devices=jax.devices()[:1])
    for sigma in (0.8, 0.1, 1e-2):
        t = _vp_time(sigma)
        alpha, sig = process.marginal(jnp.asarray(t, data.dtype))
        x = alpha * data + sig * jax.random.normal(jax.random.key(5), data.shape, data.dtype)
        # logits are sums over the whole image: rounding as for the global score
        scale = float(alpha * jnp.max(jnp.linalg.norm(x, axis=1)) *
                      jnp.max(jnp.linalg.norm(points, axis=1)) / sig**2)
        atol = 1e-12 + 50 * EPS * (1 + scale)
        np.testing.assert_allclose(score.denoise(x, t), reference.denoise(x, t), rtol=0, atol=atol)
        np.testing.assert_allclose(score(x, t), reference(x, t), rtol=0, atol=atol / float(sig) ** 2)


# ------------------------------------------------------------------ schedule and ELS machine
def test_schedule_from_table_uses_nearest_time_in_log():
    sched = PatchSchedule.from_table([0.01, 0.1, 1.0, 3.0], [3, 3, 5, 7])
    assert sched.patch_sizes == (3, 5, 7)
    np.testing.assert_allclose(sched.boundaries, [np.sqrt(0.1), np.sqrt(3.0)])
    for t, p in [(1e-4, 3), (0.1, 3), (0.31, 3), (0.32, 5), (1.0, 5), (1.73, 5), (1.74, 7), (5.0, 7)]:
        assert sched(t) == p
        assert int(jax.jit(sched)(jnp.asarray(t, jnp.float32))) == p


def test_schedule_from_callable_reproduces_it_on_the_grid():
    grid = md.geometric_grid(5.0, 1e-3, 40)
    fn = lambda t: 1 if t < 0.02 else (3 if t < 0.5 else 7)   # noqa: E731
    sched = PatchSchedule.from_callable(fn, grid)
    for t in np.asarray(grid):
        assert sched(float(t)) == fn(float(t))
        assert int(jax.jit(sched)(t)) == fn(float(t))


def test_els_machine_dispatches_by_time_eagerly_and_under_jit():
    shape = (4, 4)
    data = _images(jax.random.key(4), 4, (4, 4, 1))
    process = md.VP()
    sched = PatchSchedule((1, 3, 5), (0.05, 0.5))
    els = ELSMachine(data, process, shape, sched)
    x = jax.random.normal(jax.random.key(6), (3, 16), data.dtype)
    jitted = jax.jit(lambda m, x, t: m(x, t))
    for t, p in [(0.01, 1), (0.05, 1), (0.2, 3), (2.0, 5)]:
        ref = EquivariantScore(data, process, shape, p)(x, t)
        np.testing.assert_array_equal(els(x, t), ref)
        np.testing.assert_allclose(jitted(els, x, jnp.asarray(t, data.dtype)), ref,
                                   rtol=1e-5 if EPS > 1e-10 else 1e-12, atol=1e-4 if EPS > 1e-10 else 1e-10)
    assert [lv.patch_size for lv in els.levels] == [1, 3, 5]
    assert els.level(0.2).patch_size == 3


def test_els_machine_in_a_sampler_switches_levels_and_memorizes_at_full_patch(key):
    """Inside the sampler's scan the machine dispatches on a traced time. Its LS levels are a
    single pixel for t > 0.3 and the full image below, where the LS is the empirical score: the
    samples must therefore end on training images, which they do not with the pixel level alone."""
    data = _images(jax.random.key(8), 4, (4, 4, 1))
    process = md.VP()
    grid = md.geometric_grid(process.T, 1e-3, 40)
    els = ELSMachine(data, process, (4, 4), PatchSchedule((7, 1), (0.3,)), equivariant=False)
    out = md.sample(key, els, process, 8, grid, denoise=True)
    dist = jnp.min(jnp.linalg.norm(out[:, None, :] - data[None], axis=2), axis=1)
    assert out.shape == (8, 16) and float(dist.max()) < 0.05
    # control: the pixel-wise level alone makes mosaics, not copies
    mosaic = md.sample(key, LocalScore(data, process, (4, 4), 1), process, 8, grid, denoise=True)
    dist3 = jnp.min(jnp.linalg.norm(mosaic[:, None, :] - data[None], axis=2), axis=1)
    assert float(dist3.max()) > 0.2, np.asarray(dist3)
    ode = md.sample(key, els, process, 8, grid, method="ode")
    assert bool(jnp.all(jnp.isfinite(ode)))


# ------------------------------------------------------------------ calibration
def test_calibration_recovers_a_known_schedule(key):
    shape = (6, 6)
    k_train, k_test = jax.random.split(jax.random.key(9))
    data = _images(k_train, 12, (6, 6, 1))
    held_out = _images(k_test, 6, (6, 6, 1))
    process = md.VP()
    times = [0.02, 0.08, 0.3, 1.0]
    truth = PatchSchedule.from_table(times, [1, 3, 3, 5])
    target = ELSMachine(data, process, shape, truth)
    cal = calibrate_patch_schedule(key, target.denoise, data, held_out, process, shape, times,
                                   [5, 1, 3])
    assert cal.patch_sizes == (1, 3, 5)
    np.testing.assert_array_equal(cal.best_patch_size, [1, 3, 3, 5])
    assert cal.schedule == truth
    best = cal.mismatch[np.arange(4), [0, 1, 1, 2]]
    others = np.where(np.eye(3, dtype=bool)[[0, 1, 1, 2]], np.inf, cal.mismatch)
    assert float(best.max()) < 1e-10                  # the same computation: zero up to rounding
    assert float(others.min()) > 1e3 * max(float(best.max()), 1e-12)


def test_several_targets_and_prebuilt_scores_give_the_separate_results(key):
    """A mapping of targets is calibrated as each target alone; prebuilt scores (shared with an
    ELS machine) give the same mismatch tables and machine as building them again."""
    shape = (5, 5)
    data = _images(jax.random.key(12), 8, (5, 5, 1))
    held_out = _images(jax.random.key(13), 4, (5, 5, 1))
    process = md.VP()
    times = [0.05, 0.4]
    a = ELSMachine(data, process, shape, PatchSchedule.from_table(times, [1, 5]), boundary="broken")
    b = ELSMachine(data, process, shape, PatchSchedule.from_table(times, [3, 3]), boundary="broken")
    sizes = [1, 3, 5]
    both = calibrate_patch_schedule(key, {"a": a.denoise, "b": b.denoise}, data, held_out, process,
                                    shape, times, sizes, boundary="broken")
    levels = {p: EquivariantScore(data, process, shape, p, boundary="broken") for p in sizes}
    for name, target, want in (("a", a, [1, 5]), ("b", b, [3, 3])):
        alone = calibrate_patch_schedule(key, target.denoise, data, held_out, process, shape, times,
                                         sizes, boundary="broken", scores=levels)
        np.testing.assert_array_equal(both[name].best_patch_size, want)
        np.testing.assert_allclose(both[name].mismatch, alone.mismatch, rtol=1e-6, atol=1e-12)
    shared = ELSMachine(data, process, shape, a.schedule, boundary="broken", levels=levels)
    assert shared.levels[0] is levels[1] and shared.levels[1] is levels[5]
    x = held_out + 0.3
    np.testing.assert_allclose(shared.denoise(x, 0.4), a.denoise(x, 0.4), rtol=1e-6)
    with pytest.raises(ValueError, match="levels"):
        ELSMachine(data, process, shape, a.schedule, levels=levels)         # boundary "zero"
    with pytest.raises(TypeError, match="scores"):
        calibrate_patch_schedule(key, a.denoise, data, held_out, process, shape, times, sizes,
                                 boundary="broken", scores=[LocalScore(data, process, shape, 1)])


def test_calibration_against_a_score_through_tweedie(key):
    """The global empirical score, through Tweedie, is matched exactly by the full-image local
    score, and the calibration picks it at every time."""
    data = _images(jax.random.key(10), 8, (4, 4, 1))
    held_out = _images(jax.random.key(11), 4, (4, 4, 1))
    process = md.VP()
    empirical = EmpiricalScore(data, process, devices=jax.devices()[:1])
    cal = calibrate_patch_schedule(
        key, lambda x, t: md.tweedie_denoiser(empirical, x, t, process), data, held_out, process,
        (4, 4), [0.05, 0.5], [3, 7], equivariant=False)
    np.testing.assert_array_equal(cal.best_patch_size, [7, 7])
    assert cal.schedule == PatchSchedule.constant(7)
    assert float(cal.mismatch[:, 1].max()) < 1e-8 and float(cal.mismatch[:, 0].min()) > 1e-6
