"""Shared benchmark helpers: wall-clock timing after warm-up, and the machine's matmul peak."""

import time

import jax
import jax.numpy as jnp
import numpy as np


def timed(fn, *args, repeats: int = 1):
    """Best wall time in seconds of ``fn(*args)`` over ``repeats`` runs, after one warm-up run
    (which compiles). Returns ``(seconds, result)``; results are blocked on before timing stops."""
    result = jax.block_until_ready(fn(*args))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = jax.block_until_ready(fn(*args))
        best = min(best, time.perf_counter() - start)
    return best, result


def matmul_peak_gflops(sizes=(1024, 2048, 3072), repeats: int = 3) -> float:
    """Measured float32 matmul throughput of JAX's default device, in GFLOP/s (best over sizes).

    A square product of size ``m`` costs ``2 m^3`` floating-point operations.
    """
    best = 0.0
    for m in sizes:
        a = jax.random.normal(jax.random.key(0), (m, m), jnp.float32)
        b = jax.random.normal(jax.random.key(1), (m, m), jnp.float32)
        f = jax.jit(lambda x, y: jnp.matmul(x, y, precision=jax.lax.Precision.HIGHEST))
        seconds, _ = timed(f, a, b, repeats=repeats)
        best = max(best, 2 * m**3 / seconds / 1e9)
    return best


def max_difference(got, want, rtol: float) -> tuple[float, bool]:
    """Largest absolute difference of two results and whether it is within ``rtol`` of the
    reference's scale (at least 1). A benchmark reports its timing only for agreeing results."""
    got, want = np.asarray(got), np.asarray(want)
    err = float(np.max(np.abs(got - want)))
    return err, err <= rtol * max(float(np.max(np.abs(want))), 1.0)
