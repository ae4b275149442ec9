"""Patch scores (LS, ES, ELS machine) on the 8x8 digits: JAX against a vectorised NumPy reference.

``els_score_*`` lines time one score evaluation for ``b`` noised images against ``N`` training
digits; the NumPy reference builds every training patch at every position (no deduplication), takes
the logits of blocks of queries by one BLAS product, a max-subtracted softmax with logits clamped
at -80 (``exp`` of subnormals is slow) and the weighted mean of the centre pixels. The useful work is
the logit product plus the weighted sum of centre pixels, ``2 Q M (D + C)`` flops for ``Q`` queries
(``b H W``), ``M`` admissible candidates per query and ``D = P^2 C`` (the kernel does
``4 Q M' D`` with ``M'`` the deduplicated candidates, since it reuses the streaming log-sum-exp of the
empirical score, which accumulates whole patches); the peak fraction divides the useful rate by the
float32 matmul peak measured in the same run.

``els_sample`` times one reverse-SDE run of the ELS machine (``b`` samples, ``steps`` steps,
compile included) with an illustrative schedule (3x3 patches below t = 0.1, 5x5 up to t = 0.5,
7x7 above; of 100 geometric steps from T = 5 to 1e-3, 54, 18 and 28 fall in the three):
the cost the locality chapter pays per sampling run.
"""

import time

import jax
import jax.numpy as jnp
import numpy as np

import manifold_diffusion as md
from manifold_diffusion.scores import ELSMachine, EquivariantScore, LocalScore, PatchSchedule

from _common import matmul_peak_gflops, max_difference, timed

N_TRAIN, BATCH, SHAPE = 900, 100, (8, 8, 1)
SCORE_CASES = {  # name: (kind, patch size, boundary)
    "els_score_P3_zero": ("equivariant", 3, "zero"),
    "els_score_P7_zero": ("equivariant", 7, "zero"),
    "els_score_P5_broken": ("equivariant", 5, "broken"),
    "els_local_P5": ("local", 5, "zero"),
}
SAMPLE_CASES = {  # name: (boundary, schedule, steps)
    "els_sample_zero": ("zero", PatchSchedule((3, 5, 7), (0.1, 0.5)), 100),
    "els_sample_broken": ("broken", PatchSchedule((3, 5, 7), (0.1, 0.5)), 100),
}


def _padding_masks(h, w, size):
    """``(H*W, P*P)`` booleans: which window offsets of each position fall inside the image."""
    r = size // 2
    rows = np.arange(h)[:, None, None, None] + np.arange(-r, r + 1)[None, None, :, None]
    cols = np.arange(w)[None, :, None, None] + np.arange(-r, r + 1)[None, None, None, :]
    inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    return inside.reshape(h * w, size * size)


def numpy_patches(images, size):
    """``(m, H, W)`` -> ``(m, H*W, P*P)`` zero-padded patches, by slicing a padded array."""
    r = size // 2
    m, h, w = images.shape
    padded = np.pad(images, ((0, 0), (r, r), (r, r)))
    return np.stack([padded[:, i:i + h, j:j + w] for i in range(size) for j in range(size)],
                    axis=-1).reshape(m, h * w, size * size)


def numpy_reference(x, data, size, kind, boundary, alpha, sigma2, block=256):
    """The patch denoiser in float32 NumPy; returns ``(b, H*W)`` and the candidate count."""
    h, w = SHAPE[:2]
    qp = numpy_patches(x.reshape(-1, h, w), size)                 # (b, HW, D)
    tp = numpy_patches(data.reshape(-1, h, w), size)              # (n, HW, D)
    centre = data.reshape(-1, h * w)                               # (n, HW)
    if kind == "local":
        classes = [np.array([p]) for p in range(h * w)]
    elif boundary == "broken":
        masks = _padding_masks(h, w, size)
        _, label = np.unique(masks, axis=0, return_inverse=True)
        classes = [np.flatnonzero(label == c) for c in np.unique(label)]
    else:
        classes = [np.arange(h * w)]
    out = np.zeros((x.shape[0], h * w), np.float32)
    n_pairs = 0
    for cls in classes:
        cand = tp[:, cls].reshape(-1, tp.shape[2])                 # (n * s, D)
        vals = centre[:, cls].reshape(-1)
        sq = np.sum(cand * cand, axis=1)
        q = qp[:, cls].reshape(-1, qp.shape[2])                    # (b * s, D)
        res = np.empty(q.shape[0], np.float32)
        for start in range(0, q.shape[0], block):
            logit = (alpha / sigma2) * (q[start:start + block] @ cand.T) - (
                alpha * alpha / (2 * sigma2)) * sq[None, :]
            logit -= logit.max(axis=1, keepdims=True)
            np.maximum(logit, -80.0, out=logit)
            wts = np.exp(logit, dtype=np.float32)
            res[start:start + block] = (wts @ vals) / wts.sum(axis=1)
        out[:, cls] = res.reshape(x.shape[0], len(cls))
        n_pairs += q.shape[0] * cand.shape[0]
    return out, n_pairs


def run_score_case(name, kind, size, boundary, data, x, t, process, peak):
    cls = LocalScore if kind == "local" else EquivariantScore
    score = cls(data, process, SHAPE, size, boundary=boundary)
    jax_s, got = timed(score.denoise, x, t, repeats=3)
    alpha, sigma = (float(v) for v in process.marginal(t))
    start = time.perf_counter()
    want, n_pairs = numpy_reference(np.asarray(x), np.asarray(data), size, kind, boundary, alpha,
                                    sigma * sigma)
    numpy_s = time.perf_counter() - start
    err, agree = max_difference(got, want, rtol=1e-3)
    gflops = 2 * n_pairs * (size * size * SHAPE[2] + SHAPE[2]) / jax_s / 1e9
    print(f"bench {name} N={data.shape[0]} b={x.shape[0]} P={size} boundary={boundary} "
          f"candidates={score.n_candidates} jax_s={jax_s:.3f} numpy_s={numpy_s:.2f} "
          f"speedup={numpy_s / jax_s:.1f} peak_fraction={gflops / peak:.2f} gflops={gflops:.0f} "
          f"max_abs_diff={err:.1e} agree={agree}", flush=True)
    if not agree:
        raise SystemExit(f"{name}: JAX and NumPy denoisers differ by {err:.3g}")


def run_sample_case(name, boundary, schedule, steps, data, process):
    machine = ELSMachine(data, process, SHAPE, schedule, boundary=boundary)
    grid = md.geometric_grid(process.T, 1e-3, steps)
    start = time.perf_counter()
    out = jax.block_until_ready(md.sample(jax.random.key(2), machine, process, BATCH, grid,
                                          denoise=True))
    wall = time.perf_counter() - start
    finite = bool(jnp.all(jnp.isfinite(out)))
    print(f"bench {name} N={data.shape[0]} b={BATCH} steps={steps} "
          f"schedule={schedule.patch_sizes}@{schedule.boundaries} boundary={boundary} "
          f"wall_s_with_compile={wall:.1f} per_step_s={wall / steps:.3f} finite={finite}", flush=True)
    if not finite:
        raise SystemExit(f"{name}: non-finite samples")


def main():
    peak = matmul_peak_gflops()
    print(f"bench matmul_peak float32 gflops={peak:.0f} device={md.scale.device_description()}",
          flush=True)
    split = md.data.load_digits(jax.random.key(0), n_train=N_TRAIN)
    data = split.train.astype(jnp.float32)
    process = md.VP()
    t = 0.1
    alpha, sigma = process.marginal(jnp.asarray(t, jnp.float32))
    clean = split.test[:BATCH].astype(jnp.float32)
    x = alpha * clean + sigma * jax.random.normal(jax.random.key(1), clean.shape, jnp.float32)
    for name, (kind, size, boundary) in SCORE_CASES.items():
        run_score_case(name, kind, size, boundary, data, x, t, process, peak)
    for name, (boundary, schedule, steps) in SAMPLE_CASES.items():
        run_sample_case(name, boundary, schedule, steps, data, process)


if __name__ == "__main__":
    main()
