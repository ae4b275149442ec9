"""Training steps: the jitted ``lax.scan`` loop against references, same random numbers.

Cases, each timed after a warm-up (compilation excluded) and checked for agreement:

* ``train_mlp_seeds``: the engine's EDM-preconditioned MLP denoiser (width 512, depth 3,
  batch 512) trained by :func:`manifold_diffusion.training.fit_seeds` over 8 seeds in one
  ``vmap``-ed ``lax.scan``; useful work = 3x the forward matmul flops (forward and the two
  backward products) per point, step and seed; reported as a fraction of the float32 matmul
  peak measured in the same run (target >= 0.5). Checked against ``fit`` of seed 0.
* ``train_scan``: the engine's whole run as one ``lax.scan`` over
  :func:`~manifold_diffusion.training.make_fit_step` against a plain Python loop calling the
  same jitted step (target: the scan at least as fast).

* ``train_rf``: the random-feature model (only the output layer trained; Adam; weighting
  ``li2023``) against a vectorised float32 NumPy implementation of the same steps (closed-form
  gradient, hand-written Adam), fed the minibatch indices, times and noise that JAX draws. Useful
  work per step: the features (``2 b m (d + e)`` flops), the output layer forward and backward
  (``4 b m d``).
* ``train_mlp``: the Swish MLP, the whole run as one ``lax.scan`` against a plain Python loop
  calling the same jitted step (:func:`manifold_diffusion.training.make_step`); the flop count
  is 3x the forward matmuls (forward + backward).

Peak fraction = measured flop rate / the float32 matmul peak measured in the same run.
"""

import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

import manifold_diffusion as md
from manifold_diffusion import training

from _common import matmul_peak_gflops, max_difference, timed

CASES = {  # the older loop (training.train / make_step): name: (model kind, n, d, width, batch, steps)
    "train_rf": ("rf", 10_000, 2, 2048, 512, 300),
    "train_mlp": ("mlp", 10_000, 2, 256, 512, 300),
}
T_MIN = 1e-3


def _draws(k_train, n, d, batch, steps, process):
    """The indices, times and noise that step ``i`` of :func:`training.make_step` draws."""
    idx, ts, zs = [], [], []
    for i in range(steps):
        k_idx, k_loss = jax.random.split(jax.random.fold_in(k_train, i))
        k_t, k_z = jax.random.split(k_loss)
        idx.append(np.asarray(jax.random.randint(k_idx, (batch,), 0, n)))
        ts.append(np.asarray(jax.random.uniform(k_t, (batch,), jnp.float32, minval=T_MIN,
                                                maxval=process.T)))
        zs.append(np.asarray(jax.random.normal(k_z, (batch, d), jnp.float32)))
    return np.stack(idx), np.stack(ts), np.stack(zs)


def numpy_rf(params, data, idx, ts, zs, model, lr, process):
    """Adam on the random-feature output layer in float32 NumPy (same math as the library)."""
    W = np.asarray(params["features"]["W"], np.float32)
    U = np.asarray(params["features"]["U"], np.float32)
    A = np.asarray(params["output"], np.float32).copy()
    m1, m2 = np.zeros_like(A), np.zeros_like(A)
    b1, b2, eps = 0.9, 0.999, 1e-8
    J = model.n_frequencies
    j = np.arange(1, J + 1, dtype=np.float32)
    for i in range(len(ts)):
        t, z, x0 = ts[i], zs[i], data[idx[i]]
        alpha, sigma = np.exp(-t), np.sqrt(-np.expm1(-2.0 * t))
        xt = alpha[:, None] * x0 + sigma[:, None] * z
        u = np.log(sigma)[:, None]
        emb = np.concatenate([np.ones_like(u), u, np.sin(j * u), np.cos(j * u)], axis=1)
        phi = np.maximum(xt @ W.T + emb @ U.T, 0.0)                         # (b, m)
        r = -(phi @ A) / model.width + z                                    # sigma s + z
        w = 1.0 / sigma                                                     # li2023 weighting
        g = -(2.0 / (len(t) * model.width)) * phi.T @ (w[:, None] * r)
        m1 = b1 * m1 + (1 - b1) * g
        m2 = b2 * m2 + (1 - b2) * g * g
        mh, vh = m1 / (1 - b1 ** (i + 1)), m2 / (1 - b2 ** (i + 1))
        A = A - lr * mh / (np.sqrt(vh) + eps)
    return A


def run_case(name, kind, n, d, width, batch, steps, peak):
    key = jax.random.key(0)
    k_data, k_init, k_train = jax.random.split(key, 3)
    data = jax.random.normal(k_data, (n, d), jnp.float32)
    process = md.VP(T=5.0)
    if kind == "rf":
        model, lr = training.RandomFeatures(d=d, width=width, n_frequencies=3), 0.05
    else:
        model, lr = training.MLP(d=d, width=width, depth=2), 1e-3
    params0 = model.init(k_init, jnp.float32)
    optimizer = optax.adam(lr)
    init, step = training.make_step(model, data, process, optimizer, batch_size=batch,
                                    t_min=T_MIN, weighting="li2023")
    n_valid = jnp.asarray(n)

    @jax.jit
    def scanned(p):
        carry = (p, init(p), k_train, n_valid)
        return jax.lax.scan(step, carry, jnp.arange(steps))[0][0]

    jax_s, p_jax = timed(scanned, params0)
    e = 2 + 2 * model.n_frequencies
    if kind == "rf":
        idx, ts, zs = _draws(k_train, n, d, batch, steps, process)
        start = time.perf_counter()
        A_np = numpy_rf(params0, np.asarray(data), idx, ts, zs, model, lr, process)
        ref_s = time.perf_counter() - start
        a, b = np.asarray(p_jax["output"]), A_np
        flops = steps * (2 * batch * width * (d + e) + 4 * batch * width * d)
        ref_name = "numpy_s"
    else:
        step_jit = jax.jit(step)

        def loop(p):
            carry = (p, init(p), k_train, n_valid)
            for i in range(steps):
                carry, _ = step_jit(carry, jnp.asarray(i))
            return carry[0]

        ref_s, p_loop = timed(loop, params0)
        a = np.concatenate([np.ravel(x) for x in jax.tree_util.tree_leaves(p_jax)])
        b = np.concatenate([np.ravel(x) for x in jax.tree_util.tree_leaves(p_loop)])
        fwd = 2 * batch * ((d + e) * width + width * width + width * d)
        flops = steps * 3 * fwd
        ref_name = "python_loop_s"
    err, agree = max_difference(a, b, rtol=1e-3)
    gflops = flops / jax_s / 1e9
    print(f"bench {name} n={n} d={d} width={width} batch={batch} steps={steps} "
          f"jax_s={jax_s:.3f} {ref_name}={ref_s:.3f} steps_per_s={steps / jax_s:.0f} "
          f"ref_steps_per_s={steps / ref_s:.0f} speedup={ref_s / jax_s:.1f} "
          f"peak_fraction={gflops / peak:.3f} gflops={gflops:.1f} max_abs_diff={err:.1e} "
          f"agree={agree}", flush=True)
    if not agree:
        raise SystemExit(f"{name}: JAX and reference parameters differ by {err:.3g}")


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
    for name, case in CASES.items():
        run_case(name, *case, peak)


if __name__ == "__main__":
    main()
