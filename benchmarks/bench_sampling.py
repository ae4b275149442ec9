"""Sampling with the empirical score: JAX against a vectorised NumPy reference, same noise.

Each case runs the reverse SDE (Euler--Maruyama, VP process, geometric grid) with the
empirical score of ``N`` random training points in ``d`` dimensions for a batch of ``b``
samples and ``steps`` steps. The useful work per step is two matrix products of
``b x N x d`` (logits ``x X^T`` and the weighted sum ``W X``), i.e. ``4 b N d`` flops; the
peak fraction divides that rate by the float32 matmul peak measured in the same run.
"""

import numpy as np
import jax
import jax.numpy as jnp

import manifold_diffusion as md

from _common import matmul_peak_gflops, max_difference, timed

CASES = {  # name: (N, d, b, steps)
    "sample_lowdim": (10_000, 3, 2_000, 200),
    "sample_mnist_size": (60_000, 784, 256, 100),
}


def numpy_reference(data, x_T, grid, noise, process):
    """The same Euler--Maruyama recursion in float32 NumPy: full ``(b, N)`` logits per step,
    max-subtracted softmax with logits clamped at -80 (``exp`` of subnormals is slow)."""
    data = data.astype(np.float32)
    sq = np.sum(data * data, axis=1)
    x = x_T.astype(np.float32)
    for i in range(len(grid) - 1):
        t, t_next = float(grid[i]), float(grid[i + 1])
        alpha, sigma2 = np.exp(-t), -np.expm1(-2 * t)
        logit = (alpha / sigma2) * (x @ data.T) - (alpha * alpha / (2 * sigma2)) * sq[None, :]
        logit -= logit.max(axis=1, keepdims=True)
        np.maximum(logit, -80.0, out=logit)
        w = np.exp(logit, dtype=np.float32)
        mean = (w @ data) / w.sum(axis=1, keepdims=True)
        score = (alpha * mean - x) / sigma2
        h = t - t_next
        x = x + h * (2.0 * score + x)                         # g^2 = 2, drift -x
        if i < len(grid) - 2:
            x = x + np.sqrt(2.0 * h) * noise[i]
    return x


def run_case(name, n, d, b, steps, peak):
    key = jax.random.key(0)
    k_data, k_prior, k_run = jax.random.split(key, 3)
    data = jax.random.normal(k_data, (n, d), jnp.float32) / np.sqrt(d)
    process = md.VP(T=5.0)
    grid = md.geometric_grid(process.T, 1e-3, steps)
    x_T = process.prior_sample(k_prior, (b, d), jnp.float32)
    score = md.EmpiricalScore(data, process, chunk_size=4096, devices=jax.devices()[:1])
    jax_s, x_jax = timed(lambda: md.euler_maruyama(k_run, score, x_T, grid, process))
    # the sampler draws step i's noise from fold_in(k_run, i): reproduce it for NumPy
    noise = np.stack([np.asarray(jax.random.normal(jax.random.fold_in(k_run, i), (b, d),
                                                   jnp.float32)) for i in range(steps)])
    import time
    start = time.perf_counter()
    x_np = numpy_reference(np.asarray(data), np.asarray(x_T), np.asarray(grid), noise, process)
    numpy_s = time.perf_counter() - start
    err, agree = max_difference(x_jax, x_np, rtol=1e-3)
    gflops = 4 * b * n * d * steps / jax_s / 1e9
    print(f"bench {name} N={n} d={d} b={b} steps={steps} jax_s={jax_s:.2f} numpy_s={numpy_s:.2f} "
          f"speedup={numpy_s / jax_s:.1f} peak_fraction={gflops / peak:.2f} "
          f"gflops={gflops:.0f} max_abs_diff={err:.1e} agree={agree}", flush=True)
    if not agree:
        raise SystemExit(f"{name}: JAX and NumPy samples differ by {err:.3g}")


def main():
    peak = matmul_peak_gflops()
    print(f"bench matmul_peak float32 gflops={peak:.0f} device={md.scale.device_description()}",
          flush=True)
    for name, (n, d, b, steps) in CASES.items():
        run_case(name, n, d, b, steps, peak)


if __name__ == "__main__":
    main()
