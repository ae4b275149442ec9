"""Smoothed sampling: cost per step against M x one empirical-score evaluation, and against NumPy.

Each case runs the reverse SDE (Euler--Maruyama, VE process, geometric grid to t = 0) with the
score of ``N`` training points smoothed over ``M`` antithetic Gaussian draws, for ``b`` samples
in ``d`` dimensions. Printed per case:

- ``jax_s``: the smoothed sampler (one batched call of the empirical score on ``b * M`` points
  per step);
- ``empirical_xM_s``: ``M`` times the wall time of the same sampler with the unsmoothed score
  on ``b`` points (what ``M`` separate evaluations would cost); ``overhead`` = ``jax_s`` over it;
- ``numpy_s``: the same recursion in vectorised float32 NumPy with the same noise and draws.
"""

import time

import jax
import jax.numpy as jnp
import numpy as np

import manifold_diffusion as md
from manifold_diffusion.scores import SmoothedScore

from _common import max_difference, timed

CASES = {  # name: (N, d, b, M, steps)
    "smoothed_circle": (12, 2, 400, 500, 100),
    "smoothed_d50": (200, 50, 200, 200, 50),
}


def numpy_reference(data, x_T, grid, noise, draws):
    """Smoothed-score Euler--Maruyama (VE, g = 1) in float32 NumPy: full ``(b M, N)`` logits."""
    data = data.astype(np.float32)
    sq = np.sum(data * data, axis=1)
    x = x_T.astype(np.float32)
    b, d = x.shape
    m = draws.shape[0]
    for i in range(len(grid) - 1):
        t, t_next = float(grid[i]), float(grid[i + 1])
        pts = (x[:, None, :] + draws[None, :, :]).reshape(b * m, d)
        logit = (pts @ data.T) / t - (0.5 / t) * sq[None, :]
        logit -= logit.max(axis=1, keepdims=True)
        np.maximum(logit, -80.0, out=logit)
        w = np.exp(logit, dtype=np.float32)
        mean = (w @ data) / w.sum(axis=1, keepdims=True)
        score = ((mean - pts) / t).reshape(b, m, d).mean(axis=1)
        h = t - t_next
        x = x + h * score
        if i < len(grid) - 2:
            x = x + np.sqrt(h) * noise[i]
    return x


def run_case(name, n, d, b, m, steps):
    key = jax.random.key(0)
    k_data, k_prior, k_run, k_draws = jax.random.split(key, 4)
    data = jax.random.normal(k_data, (n, d), jnp.float32) / np.sqrt(d)
    process = md.VE(T=9.0)
    grid = md.geometric_grid(process.T, 1e-4, steps - 1, include_zero=True)
    x_T = process.prior_sample(k_prior, (b, d), jnp.float32)
    emp = md.EmpiricalScore(data, process, devices=jax.devices()[:1])
    smooth = SmoothedScore(emp, 0.2, m, k_draws)
    jax_s, x_jax = timed(lambda: md.euler_maruyama(k_run, smooth, x_T, grid, process))
    emp_s, _ = timed(lambda: md.euler_maruyama(k_run, emp, x_T, grid, process), repeats=3)
    noise = np.stack([np.asarray(jax.random.normal(jax.random.fold_in(k_run, i), (b, d),
                                                   jnp.float32)) for i in range(steps)])
    draws = np.asarray(smooth.bandwidth * smooth.draws)
    start = time.perf_counter()
    x_np = numpy_reference(np.asarray(data), np.asarray(x_T), np.asarray(grid), noise, draws)
    numpy_s = time.perf_counter() - start
    err, agree = max_difference(x_jax, x_np, rtol=1e-2)
    print(f"bench {name} N={n} d={d} b={b} M={m} steps={steps} jax_s={jax_s:.2f} "
          f"per_step_ms={1e3 * jax_s / steps:.1f} empirical_xM_s={m * emp_s:.2f} "
          f"overhead={jax_s / (m * emp_s):.2f} numpy_s={numpy_s:.2f} "
          f"speedup={numpy_s / jax_s:.1f} max_abs_diff={err:.1e} agree={agree}", flush=True)
    if not agree:
        raise SystemExit(f"{name}: JAX and NumPy samples differ by {err:.3g}")


def main():
    print(f"bench smoothing device={md.scale.device_description()}", flush=True)
    for name, (n, d, b, m, steps) in CASES.items():
        run_case(name, n, d, b, m, steps)


if __name__ == "__main__":
    main()
