"""Training steps of the engine: the jitted ``lax.scan`` against references, same random numbers.

Cases, each timed after a warm-up (compilation excluded) and checked for agreement:

* ``train_mlp_seeds``: the engine's EDM-preconditioned MLP denoiser (width 512, depth 3,
  batch 512) trained by :func:`manifold_diffusion.training.fit_seeds` over 8 seeds in one
  ``vmap``-ed ``lax.scan``; useful work = 3x the forward matmul flops (forward and the two
  backward products) per point, step and seed; reported as a fraction of the float32 matmul
  peak measured in the same run (target >= 0.5). Checked against ``fit`` of seed 0.
* ``train_scan``: the engine's whole run as one ``lax.scan`` over
  :func:`~manifold_diffusion.training.make_fit_step` against a plain Python loop calling the
  same jitted step (target: the scan at least as fast).

Peak fraction = measured flop rate / the float32 matmul peak measured in the same run.
"""

import jax
import jax.numpy as jnp
import numpy as np

import manifold_diffusion as md
from manifold_diffusion import training

from _common import matmul_peak_gflops, max_difference, timed

ENGINE_SEEDS = dict(n=10_000, d=2, width=512, depth=3, batch=512, seeds=8, steps=30)
ENGINE_SCAN = dict(n=10_000, d=2, width=128, depth=2, batch=128, steps=400)


def _engine(width, depth, d):
    return training.Denoiser(training.MLPNetwork(d=d, width=width, depth=depth), sigma_data=1.0)


def run_engine_seeds(peak, n, d, width, depth, batch, seeds, steps):
    data = jax.random.normal(jax.random.key(0), (n, d), jnp.float32)
    den = _engine(width, depth, d)
    keys = jax.random.split(jax.random.key(1), seeds)
    kw = dict(sigma_dist=training.LogNormalSigma(), n_steps=steps, batch_size=batch)
    jax_s, res = timed(lambda: training.fit_seeds(keys, den, data, **kw).params, repeats=3)
    one = training.fit(keys[0], den, data, **kw).params
    a = np.concatenate([np.ravel(x[0]) for x in jax.tree_util.tree_leaves(res)])
    b = np.concatenate([np.ravel(x) for x in jax.tree_util.tree_leaves(one)])
    err, agree = max_difference(a, b, rtol=1e-3)
    flops = steps * seeds * batch * 3 * den.network.flops_per_point()
    gflops = flops / jax_s / 1e9
    print(f"bench train_mlp_seeds n={n} d={d} width={width} depth={depth} batch={batch} "
          f"seeds={seeds} steps={steps} jax_s={jax_s:.3f} steps_per_s={steps / jax_s:.1f} "
          f"gflops={gflops:.1f} peak_fraction={gflops / peak:.3f} target_peak_fraction=0.5 "
          f"max_abs_diff={err:.1e} agree={agree}", flush=True)
    if not agree:
        raise SystemExit(f"train_mlp_seeds: fit_seeds and fit differ by {err:.3g}")


def run_engine_scan(peak, n, d, width, depth, batch, steps):
    data = jax.random.normal(jax.random.key(0), (n, d), jnp.float32)
    den = _engine(width, depth, d)
    carry0, step = training.make_fit_step(jax.random.key(1), den, data,
                                          sigma_dist=training.LogNormalSigma(), batch_size=batch)

    @jax.jit
    def scanned(carry):
        return jax.lax.scan(step, carry, jnp.arange(steps))[0][0]

    step_jit = jax.jit(step)

    def loop(carry):
        for i in range(steps):
            carry, _ = step_jit(carry, jnp.asarray(i))
        return carry[0]

    jax_s, p_scan = timed(scanned, carry0, repeats=5)
    ref_s, p_loop = timed(loop, carry0, repeats=5)
    a = np.concatenate([np.ravel(x) for x in jax.tree_util.tree_leaves(p_scan)])
    b = np.concatenate([np.ravel(x) for x in jax.tree_util.tree_leaves(p_loop)])
    err, agree = max_difference(a, b, rtol=1e-3)
    gflops = steps * batch * 3 * den.network.flops_per_point() / jax_s / 1e9
    print(f"bench train_scan n={n} d={d} width={width} depth={depth} batch={batch} "
          f"steps={steps} jax_s={jax_s:.3f} python_loop_s={ref_s:.3f} "
          f"speedup={ref_s / jax_s:.2f} target_speedup=1.0 peak_fraction={gflops / peak:.3f} "
          f"max_abs_diff={err:.1e} agree={agree}", flush=True)
    if not agree:
        raise SystemExit(f"train_scan: scan and Python loop differ by {err:.3g}")


def main():
    peak = matmul_peak_gflops()
    print(f"bench matmul_peak float32 gflops={peak:.0f} device={md.scale.device_description()}",
          flush=True)
    run_engine_seeds(peak, **ENGINE_SEEDS)
    run_engine_scan(peak, **ENGINE_SCAN)


if __name__ == "__main__":
    main()
