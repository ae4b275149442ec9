r"""Training dynamics on a curve: what is learned first, and when memorization starts.

Data: :math:`N` draws of a von Mises density (:math:`\kappa = 1`) on an ellipse
(:math:`a = 1, b = 1.5`), in :math:`\mathbb R^2` and isometrically embedded in
:math:`\mathbb R^{10}`. Model: the EDM denoiser around a Swish MLP (depth 2) of each width,
noise levels log-uniform on :math:`[10^{-3}, 10]`, EDM weighting, Adam, batch 64. One
``fit_seeds`` call per (dimension, width) trains every :math:`N` and seed (the training sets
padded to the largest :math:`N`). Two measurements along training, at a geometric subset of the
checkpoints (EMA parameters):

* **geometry before density** (the run with the largest :math:`N`): the error of the learned
  score against the population score (:class:`~manifold_diffusion.scores.PopulationScore`,
  chapter 2's quadrature) on points :math:`x_0 + \sigma z`, split into its normal and
  tangential parts (:func:`~manifold_diffusion.metrics.tangent_normal_split`), relative to the
  same part of the population score, per noise level :math:`\sigma`; and the first step at which
  each falls below ``threshold``;
* **two timescales** (:cite:`bonnaire2025why`): samples (reverse SDE to :math:`\sigma = 10^{-3}`,
  then one Tweedie step) scored by the fraction memorized (nearest/second-nearest ratio < 1/3,
  :func:`~manifold_diffusion.metrics.fraction_memorized`; its floor, the same statistic of exact
  draws of :math:`p_0`, is about 1/3 on a curve: near a new point, iid training points are
  locally a Poisson process on the curve, and with independent exponential gaps
  :math:`P(d_1 < d_2/3) = 2\int_0^\infty \lambda e^{-\lambda l}\,e^{-3\lambda l}\,e^{-2\lambda l}\,dl
  = 1/3`), the mean distance to the curve, and the KS
  distance of their curve coordinate to the density. :math:`\tau_{\rm gen}` = first step with
  mean distance :math:`\le` ``gen_distance``; :math:`\tau_{\rm mem}` = first step with fraction
  memorized :math:`\ge (1 + \text{floor})/2`; fitted log-log slopes against :math:`N` (predicted 0
  and 1), and :math:`N^*` (the largest :math:`N` that memorizes within the run) per width.
"""

import dataclasses
import functools
import warnings
from typing import NamedTuple

import jax
import jax.numpy as jnp
import matplotlib.lines
import numpy as np

from ... import metrics, plotting, training
from ..._checks import check_positive_int
from ...keys import check_key, named_keys
from ...manifolds import Ellipse, VonMises, embed
from ...processes import VE, geometric_grid
from ...samplers import sample
from ...scores import PopulationScore
from ..harness import ExperimentConfig, Meta, check_result, experiment, progress

__all__ = ["Config", "Result", "run", "plot_geometry", "plot_timescales", "plot_random_features",
           "setting"]

def _quiet(fn):
    """Run ``fn`` without NumPy's warnings about all-NaN slices (NaN means "never reached")."""
    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return fn(*args, **kwargs)
    return wrapped


SIGMAS = (0.01, 0.03, 0.1, 0.3, 1.0)
SIGMA_END = 1e-3
FAR = 1e3       # where non-finite samples of a diverged model are put


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Attributes:
      sizes: training-set sizes N (the largest is the geometry run). widths: MLP widths (in
      R^2; the higher dimensions train the widest only). dims: ambient dimensions. n_steps: Adam steps (a multiple of 80). n_seeds.
      n_samples: generated samples per checkpoint. learning_rate. threshold: relative error
      below which a part of the score counts as learned. gen_distance: mean distance to the
      curve below which samples count as good. rf_width: features of the random-feature model
      (exact gradient flow, curve in R^2).
    """

    sizes: tuple = (3, 4, 6, 8, 12, 1024)
    widths: tuple = (32, 128)
    dims: tuple = (2, 10)
    n_steps: int = 4000
    n_seeds: int = 2
    n_samples: int = 160
    learning_rate: float = 3e-3
    threshold: float = 0.2
    gen_distance: float = 0.05
    rf_width: int = 512
    overrides = {"quick": dict(sizes=(4, 16, 256), widths=(32,), dims=(2,), n_steps=400,
                               n_seeds=1, n_samples=64, rf_width=64),
                 "large": dict(sizes=(3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 128, 8192),
                               widths=(32, 128, 512), n_steps=40_000, n_seeds=4,
                               n_samples=1024, rf_width=2048)}

    def sizes_caption(self):
        return {"N": "/".join(map(str, self.sizes)), "widths": "/".join(map(str, self.widths)),
                "d": "/".join(map(str, self.dims)), "steps": self.n_steps, "seeds": self.n_seeds,
                "batch": 64, "rf_m": self.rf_width}


def setting(d: int, key=None):
    """``(manifold, density)``: the ellipse (embedded in R^d, for ``d > 2``, by a frame from
    ``key``, which ``d = 2`` does not use)."""
    d = check_positive_int("d", d, minimum=2)
    if d > 2 or key is not None:
        check_key("key", key)
    base = Ellipse(1.0, 1.5)
    return (base if d == 2 else embed(base, d, key)), VonMises(0.0, 1.0)   # key unused for d = 2


def _checkpoint_subset(n_steps, n_checkpoints):
    """Indices of a roughly geometric subset of the evenly spaced checkpoints (0 excluded)."""
    idx = np.unique(np.round(np.geomspace(1, n_checkpoints, 9)).astype(int))
    return idx


class Result(NamedTuple):
    r"""Attributes:
      sizes ``(k,)``, widths ``(w,)``, dims ``(D,)``, steps ``(c,)`` (the measured checkpoints).
      memorized, distance, ks: ``(D, w, k, s, c)``. floor: ``(D, k, s)`` fraction memorized of
      exact draws. ks_floor: ``(D,)`` KS of exact draws (same sample size).
      sigmas ``(q,)``; normal_error, tangent_error: ``(D, w, s, q, c)`` relative errors of the
      largest-N run. threshold, gen_distance. rf_taus ``(T,)``; rf_memorized, rf_distance
      ``(k, 1, T)``: the random-feature model by exact gradient flow (curve in R^2, one seed per
      N; rf_distance is the *median* distance, as a few samples of an over-fitted flow diverge).
      meta.
    """

    sizes: np.ndarray
    widths: np.ndarray
    dims: np.ndarray
    steps: np.ndarray
    memorized: np.ndarray
    distance: np.ndarray
    ks: np.ndarray
    floor: np.ndarray
    ks_floor: np.ndarray
    sigmas: np.ndarray
    normal_error: np.ndarray
    tangent_error: np.ndarray
    threshold: float
    gen_distance: float
    rf_taus: np.ndarray
    rf_memorized: np.ndarray
    rf_distance: np.ndarray
    meta: Meta | None = None

    def rf_timescales(self):
        """``(tau_gen, tau_mem)`` of the random-feature flow, each ``(k, s)`` (flow time)."""
        def first(values, below, level):
            hit = values <= level if below else values >= level
            return np.where(hit.any(axis=-1), self.rf_taus[np.argmax(hit, axis=-1)], np.nan)
        level = (1.0 + self.floor[0][:, :1, None]) / 2.0
        return (first(self.rf_distance, True, self.gen_distance),
                first(self.rf_memorized - level, False, 0.0))

    def first_step(self, values, below: bool, level):
        """First measured step where ``values`` (..., c) crosses ``level`` (NaN: never)."""
        hit = values <= level if below else values >= level
        first = np.argmax(hit, axis=-1)
        return np.where(hit.any(axis=-1), self.steps[first], np.nan)

    def geometry_steps(self):
        """``(D, w, s, q)`` first steps with normal / tangential relative error <= threshold."""
        return (self.first_step(self.normal_error, True, self.threshold),
                self.first_step(self.tangent_error, True, self.threshold))

    def timescales(self):
        """``(tau_gen, tau_mem)``, each ``(D, w, k, s)``."""
        tau_gen = self.first_step(self.distance, True, self.gen_distance)
        level = (1.0 + self.floor[:, None, :, :, None]) / 2.0
        tau_mem = self.first_step(self.memorized - level, False, 0.0)
        return tau_gen, tau_mem

    def fits(self, d_index=0, w_index=-1):
        """Log-log fits of tau_gen and tau_mem against N (the largest N, the geometry run, left
        out): over the seeds where every seed has a finite time at 3 or more sizes; otherwise of
        the seed mean over the sizes where some seed has one (residual bootstrap); None when
        fewer than 3 sizes have a time."""
        return [_fit_times(self.sizes, tau[d_index, w_index]) for tau in self.timescales()]

    def boundary(self):
        """``(D, w)``: the largest N whose seed-mean fraction memorized reaches the level by the
        end of the run (0 if none)."""
        level = (1.0 + self.floor.mean(axis=2)) / 2.0                  # (D, k)
        final = self.memorized[..., -1].mean(axis=3)                   # (D, w, k)
        reached = final >= level[:, None, :]
        return np.where(reached.any(axis=2),
                        np.max(np.where(reached, self.sizes[None, None], 0), axis=2), 0)

    @_quiet
    def summary(self) -> dict:
        normal, tangent = self.geometry_steps()
        out = {"threshold": self.threshold, "gen_distance": self.gen_distance,
               "n_geometry": int(self.sizes[-1]), "steps": int(self.steps[-1]),
               "d_lo": int(self.dims[0]), "d_hi": int(self.dims[-1]),
               "width_narrow": int(self.widths[0]), "width_wide": int(self.widths[-1])}
        # the prose's numbers, by role: sigma = 0.1 and the smallest sigma, the widest network,
        # the first and the last dimension
        q01 = int(np.argmin(np.abs(self.sigmas - 0.1)))
        for a, role in ((0, "lo"), (len(self.dims) - 1, "hi")):
            out[f"geo_normal_step_{role}"] = float(np.nanmean(normal[a, -1, :, q01]))
            out[f"geo_tangent_step_{role}"] = float(np.nanmean(tangent[a, -1, :, q01]))
            out[f"geo_normal_final_{role}"] = float(self.normal_error[a, -1, :, q01, -1].mean())
            out[f"geo_tangent_final_{role}"] = float(self.tangent_error[a, -1, :, q01, -1].mean())
        out["geo_tangent_final_smallest"] = float(self.tangent_error[0, -1, :, 0, -1].mean())
        out["sigma_smallest"] = float(self.sigmas[0])
        for a, d in enumerate(self.dims):
            for b, w in enumerate(self.widths):
                for q, s in enumerate(self.sigmas):
                    tag = f"d{d}_w{w}_s{str(s).replace('.', '')}"
                    out[f"normal_{tag}"] = float(np.nanmean(normal[a, b, :, q]))
                    out[f"tangent_{tag}"] = float(np.nanmean(tangent[a, b, :, q]))
                    out[f"normal_final_{tag}"] = float(self.normal_error[a, b, :, q, -1].mean())
                    out[f"tangent_final_{tag}"] = float(self.tangent_error[a, b, :, q, -1].mean())
        trained = np.isfinite(self.normal_error[..., -1])           # combinations that ran
        reached = trained & (np.isfinite(normal) | np.isfinite(tangent))
        normal_first = (np.where(np.isnan(normal), np.inf, normal)
                        <= np.where(np.isnan(tangent), np.inf, tangent))
        out["normal_first_share"] = float(normal_first[reached].mean()) if reached.any() else 0.0
        out["reached_cases"] = int(reached.sum())
        out["cases"] = int(trained.sum())
        out["tangent_reached_cases"] = int((trained & np.isfinite(tangent)).sum())
        bound = self.boundary()
        for a, d in enumerate(self.dims):
            for b, w in enumerate(self.widths):
                out[f"boundary_d{d}_w{w}"] = int(bound[a, b])
        b0 = bound[0]
        out["boundary_narrow"], out["boundary_wide"] = int(b0[0]), int(b0[-1])
        # Bonnaire et al. predict that N* grows with the model's capacity (the width)
        out["boundary_verdict"] = (
            "is measured at one width only" if len(b0) < 2 else
            "grows with the width, as Bonnaire et al. predict" if np.all(np.diff(b0) > 0) else
            "is the same at every width: the growth with the width that Bonnaire et al. predict "
            "is not reproduced at these widths" if np.all(np.diff(b0) == 0) else
            "does not fall with the width but does not grow at every step either: Bonnaire et "
            "al.'s growth with the width is reproduced only in part" if np.all(np.diff(b0) >= 0)
            else "is not ordered by the width, against Bonnaire et al.'s prediction that it grows "
            "with the width")
        for a, role in ((0, "lo"), (len(self.dims) - 1, "hi")):
            gen, mem = self.fits(a, -1)
            for name, fit in (("gen", gen), ("mem", mem)):
                out[f"{name}_fit_{role}"] = ("not enough sizes with a finite time" if fit is None
                                             else fit.format(theory=0 if name == "gen" else 1))
                out[f"{name}_slope_{role}"] = float("nan") if fit is None else fit.slope
        rf_gen, rf_mem = self.rf_timescales()
        for name, tau in (("rf_gen", rf_gen), ("rf_mem", rf_mem)):
            fit = _fit_times(self.sizes, tau)
            out[f"{name}_fit"] = ("not enough sizes with a finite time" if fit is None
                                  else fit.format(theory=0 if name == "rf_gen" else 1))
            out[f"{name}_slope"] = float("nan") if fit is None else fit.slope
        # the random-feature flow against the criterion's floor (exact draws on the curve in
        # R^2, every N) and the memorized level; peaks over the memorization sizes (N below the
        # largest, the geometry run)
        rf_peak = self.rf_memorized.mean(axis=1).max(axis=1)[self.sizes < self.sizes[-1]]
        out["rf_floor"] = float(self.floor[0].mean())
        out["rf_level"] = (1.0 + out["rf_floor"]) / 2.0
        out["rf_peak_min"], out["rf_peak_max"] = float(rf_peak.min()), float(rf_peak.max())
        out["rf_final_max"] = float(self.rf_memorized[:, :, -1].mean(axis=1).max())
        out["rf_peak_relation"] = ("around the criterion's floor" if
                                   out["rf_peak_max"] >= out["rf_floor"] - 0.05 else
                                   "below the criterion's floor")
        out["rf_memorized_small_final"] = float(self.rf_memorized[0, :, -1].mean())
        out["rf_memorized_small_max"] = float(self.rf_memorized[0].mean(axis=0).max())
        out["rf_distance_large_best"] = float(self.rf_distance[-1].mean(axis=0).min())
        out["floor_small"] = float(self.floor[:, 0].mean())
        out["floor_large"] = float(self.floor[:, -1].mean())
        out["memorized_small_final"] = float(self.memorized[0, -1, 0, :, -1].mean())
        out["memorized_large_final"] = float(self.memorized[0, -1, -1, :, -1].mean())
        out["distance_large_final"] = float(self.distance[0, -1, -1, :, -1].mean())
        out["ks_large_final"] = float(self.ks[0, -1, -1, :, -1].mean())
        out["ks_floor"] = float(self.ks_floor.mean())
        return out


def _fit_times(sizes, tau):
    """Fitted log-log slope of times ``tau`` ``(k, s)`` against ``sizes`` (module docstring of
    :meth:`Result.fits`), or None."""
    inner = sizes < sizes[-1]
    every = np.all(np.isfinite(tau), axis=1) & inner
    if every.sum() >= 3:
        return metrics.fit_loglog_slope(sizes[every].astype(float), tau[every].T,
                                        key=jax.random.key(int(every.sum())))
    some = np.any(np.isfinite(tau), axis=1) & inner
    if some.sum() >= 3:
        return metrics.fit_loglog_slope(sizes[some].astype(float),
                                        np.nanmean(tau[some], axis=1),
                                        key=jax.random.key(int(some.sum())))
    return None


def _error_probe(manifold, density, population, proc, key, n_points=512):
    """Fixed probe points per sigma, the population score there and the tangent bases:
    ``(x (q, b, d), exact (q, b, d), basis (q, b, d, k))``."""
    xs, exact, basis = [], [], []
    for q, s in enumerate(SIGMAS):
        x0 = manifold.sample(jax.random.fold_in(key, q), n_points, density)
        x = proc.perturb(jax.random.fold_in(key, 100 + q), x0, s * s)
        xs.append(x)
        exact.append(population(x, s * s))
        basis.append(manifold.tangent_basis(x))
    return jnp.stack(xs), jnp.stack(exact), jnp.stack(basis)


def _split_norms(v, basis):
    """Squared norms of the tangential and normal parts of ``v`` (..., b, d), summed over b."""
    coef = jnp.einsum("...bdk,...bd->...bk", basis, v)
    tangential = jnp.einsum("...bdk,...bk->...bd", basis, coef)
    normal = v - tangential
    return jnp.sum(tangential ** 2, axis=(-2, -1)), jnp.sum(normal ** 2, axis=(-2, -1))


def _score_errors(den, tree, proc, probe):
    """``(normal, tangent)`` relative errors ``(..., q)`` for every parameter set in ``tree``
    (leading axes kept), against the population score at the probe points."""
    x, exact, basis = probe
    t = jnp.asarray(SIGMAS, x.dtype) ** 2
    ref_t, ref_n = _split_norms(exact, basis)

    def one(params):
        score = training.denoiser_score(den, params, proc)
        learned = jax.vmap(lambda xq, tq: score(xq, tq))(x, t)
        err_t, err_n = _split_norms(learned - exact, basis)
        return jnp.sqrt(err_n / ref_n), jnp.sqrt(err_t / ref_t)

    return _map_tree(one, tree)


def _map_tree(fn, tree):
    """``fn`` over the leading axes of ``tree`` (lax.map in one compiled call)."""
    leaves = jax.tree_util.tree_leaves(tree)
    n_lead = min(leaf.ndim for leaf in leaves) - 1
    lead = leaves[0].shape[:n_lead]
    flat = jax.tree_util.tree_map(lambda a: a.reshape((-1,) + a.shape[n_lead:]), tree)
    out = jax.jit(lambda f: jax.lax.map(fn, f))(flat)
    return jax.tree_util.tree_map(lambda o: np.asarray(o).reshape(lead + o.shape[1:]), out)


def _samples(den, tree, proc, grid, key, n_samples):
    """Samples ``(..., b, d)`` (reverse SDE, then one Tweedie step) for every parameter set,
    all from the same prior draws and noise (``key``)."""
    leaves = jax.tree_util.tree_leaves(tree)
    n_lead = min(leaf.ndim for leaf in leaves) - 1
    lead = leaves[0].shape[:n_lead]
    flat = jax.tree_util.tree_map(lambda a: a.reshape((-1,) + a.shape[n_lead:]), tree)

    # the key is an argument (traced), not a closure constant: keys.describe_key reads the data
    # of concrete keys, which is not possible inside a trace
    @jax.jit
    def draw(f, k):
        return jax.lax.map(lambda p: sample(k, training.denoiser_score(den, p, proc), proc,
                                            n_samples, grid, denoise=True), f)

    out = np.asarray(draw(flat, key))
    # a diverged model can return non-finite samples: put them far away (not memorized, far
    # from the curve) so that they count against it
    out = np.where(np.all(np.isfinite(out), axis=-1, keepdims=True), out, FAR)
    return out.reshape(lead + out.shape[1:])


@experiment("training dynamics on a curve: geometry, density, memorization",
            sizes=Config.sizes_caption)
def run(key, config: Config) -> Result:
    keys = named_keys(key, "frames", "data", "train", "samples", "errors", "floor")
    proc = VE(T=100.0)
    grid = geometric_grid(proc.T, SIGMA_END ** 2, 64)
    sizes, n_max, S = list(config.sizes), max(config.sizes), config.n_seeds
    n_c = 80
    subset = _checkpoint_subset(config.n_steps, n_c)
    steps = subset * (config.n_steps // n_c)
    shape = (len(config.dims), len(config.widths), len(sizes), S, len(subset))
    memorized, distance, ks = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    floor = np.zeros((len(config.dims), len(sizes), S))
    ks_floor = np.zeros(len(config.dims))
    err_shape = (len(config.dims), len(config.widths), S, len(SIGMAS), len(subset))
    normal_error, tangent_error = np.zeros(err_shape), np.zeros(err_shape)
    for a, d in enumerate(config.dims):
        manifold, density = setting(d, jax.random.fold_in(keys.frames, d))
        population = PopulationScore(manifold, density, proc, n_nodes=2048)
        probe = _error_probe(manifold, density, population, proc, jax.random.fold_in(keys.errors, d))
        # one training set per (N, seed): nested, the first N rows of a draw of n_max points
        full = jnp.stack([manifold.sample(jax.random.fold_in(keys.data, 100 * d + j), n_max,
                                          density) for j in range(S)])
        data = jnp.stack([full[j] for _ in sizes for j in range(S)])           # (k S, n_max, d)
        n_valid = np.array([n for n in sizes for _ in range(S)])
        fresh = manifold.sample(jax.random.fold_in(keys.floor, d), config.n_samples, density)
        for i, n in enumerate(sizes):
            for j in range(S):
                floor[a, i, j] = float(metrics.fraction_memorized(fresh, full[j, :n]))
        ks_floor[a] = float(metrics.ks_distance(
            manifold.density_coords(manifold.coords(fresh))[:, 0], density).statistic)
        sigma_data = float(jnp.sqrt(jnp.mean(full ** 2)))      # per coordinate
        for b, w in enumerate(progress(config.widths, desc=f"dynamics d={d}: widths")):
            if d != config.dims[0] and w != config.widths[-1]:
                memorized[a, b] = distance[a, b] = ks[a, b] = np.nan
                normal_error[a, b] = tangent_error[a, b] = np.nan
                continue
            den = training.Denoiser(training.MLPNetwork(d=d, width=w, depth=2),
                                    sigma_data=sigma_data)
            res = training.fit_seeds(jax.random.split(jax.random.fold_in(keys.train, 10 * d + b),
                                                      len(n_valid)), den, data, n_valid=n_valid,
                                     sigma_dist=training.LogUniformSigma(1e-3, 10.0),
                                     weighting="edm", n_steps=config.n_steps, batch_size=64,
                                     n_checkpoints=n_c, learning_rate=config.learning_rate,
                                     ema_decay=0.99)
            tree = training.select(res.ema_checkpoints, slice(None), subset)   # (k S, c, ...)
            x = _samples(den, tree, proc, grid, keys.samples, config.n_samples)  # (k S, c, b, d)
            dist = np.asarray(manifold.distance(jnp.asarray(x.reshape(-1, d))))
            theta = np.asarray(manifold.density_coords(manifold.coords(jnp.asarray(
                x.reshape(-1, d)))))[:, 0]
            dist = dist.reshape(x.shape[:3])
            theta = theta.reshape(x.shape[:3])
            for i, n in enumerate(sizes):
                for j in range(S):
                    r = i * S + j
                    ratio = np.asarray(metrics.memorization_ratio(
                        jnp.asarray(x[r].reshape(-1, d)), full[j, :n])).reshape(x.shape[1:3])
                    memorized[a, b, i, j] = np.mean(ratio < 1.0 / 3.0, axis=-1)
                    for c in range(len(subset)):
                        ks[a, b, i, j, c] = float(metrics.ks_distance(theta[r, c],
                                                                      density).statistic)
                    distance[a, b, i, j] = dist[r].mean(axis=-1)
            geometry = training.select(tree, slice((len(sizes) - 1) * S, len(sizes) * S))
            nrm, tan = _score_errors(den, geometry, proc, probe)              # (S, c, q)
            normal_error[a, b] = np.swapaxes(nrm, 1, 2)
            tangent_error[a, b] = np.swapaxes(tan, 1, 2)
    rf_taus, rf_mem, rf_dist = _random_features(keys, config, proc, grid)
    return Result(np.asarray(sizes), np.asarray(config.widths), np.asarray(config.dims), steps,
                  memorized, distance, ks, floor, ks_floor, np.asarray(SIGMAS), normal_error,
                  tangent_error, config.threshold, config.gen_distance, rf_taus, rf_mem, rf_dist)


def _random_features(keys, config, proc, grid, n_taus=8):
    """The random-feature denoiser by exact gradient flow on the curve in R^2, for every N and
    seed: fraction memorized and mean distance to the curve of samples at each flow time."""
    manifold, density = setting(2)
    sizes, S, n_max = list(config.sizes), 1, max(config.sizes)      # one seed per N
    full = jnp.stack([manifold.sample(jax.random.fold_in(keys.data, 200 + j), n_max, density)
                      for j in range(S)])
    sigma_data = float(jnp.sqrt(jnp.mean(full ** 2)))
    den = training.Denoiser(training.RandomFeatureNetwork(d=2, width=config.rf_width),
                            sigma_data=sigma_data)
    dist = training.LogUniformSigma(1e-3, 10.0)
    mem = np.zeros((len(sizes), S, n_taus))
    far = np.zeros((len(sizes), S, n_taus))
    taus = None

    @jax.jit
    def flow_of(k_draw, k_feat, data, n_valid):
        """The flow of the first ``n_valid`` rows (padded: one compilation for every N)."""
        draws = training.fixed_draws(k_draw, data, sigma_dist=dist, n_draws=16, n_valid=n_valid)
        return training.random_feature_flow(k_feat, den, draws, weighting="edm")

    for i, n in enumerate(progress(sizes, desc="dynamics: random features, N")):
        for j in range(S):
            flow = flow_of(jax.random.fold_in(keys.train, 1000 * i + j),
                           jax.random.fold_in(keys.frames, j), full[j], jnp.asarray(n))
            if taus is None:
                taus = np.geomspace(1.0, 1e9, n_taus) / float(flow.eigenvalues[-1])
            tree = jax.vmap(flow.params_at)(jnp.asarray(taus, jnp.float32))
            x = _samples(den, tree, proc, grid, keys.samples, config.n_samples)   # (T, b, 2)
            dist_to = np.asarray(manifold.distance(jnp.asarray(x.reshape(-1, 2)))).reshape(x.shape[:2])
            far[i, j] = np.median(dist_to, axis=1)        # median: a few diverged samples are huge
            ratio = np.asarray(metrics.memorization_ratio(jnp.asarray(x.reshape(-1, 2)),
                                                          full[j, :n])).reshape(x.shape[:2])
            mem[i, j] = np.mean(ratio < 1.0 / 3.0, axis=-1)
    return taus, mem, far


@_quiet
def plot_geometry(result: Result):
    """Normal and tangential relative score errors against training steps, per sigma (widest
    network, largest N), in each dimension."""
    check_result(result, Result)
    with plotting.style():
        fig, axes = plotting.figure(len(result.dims), width=3.4, height=3.4, sharey=True)
        for a, d in enumerate(result.dims):
            ax = axes[0, a]
            for q, s in enumerate(result.sigmas):
                ax.plot(result.steps, result.normal_error[a, -1, :, q].mean(axis=0), "-",
                        color=f"C{q}", label=f"σ = {s:g}")
                ax.plot(result.steps, result.tangent_error[a, -1, :, q].mean(axis=0), "--",
                        color=f"C{q}")
            ax.axhline(result.threshold, color="0.4", ls=":", lw=1)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("training step")
            ax.set_title(f"curve in R^{d}, N = {result.sizes[-1]}, width {result.widths[-1]}",
                         fontsize=8)
        axes[0, 0].set_ylabel("relative error (vs population score)")
        # one legend under the panels: colour = noise level, line style = part of the score
        # legends under the panels: colour = noise level (left), line style = part (right)
        handles, labels = axes[0, 0].get_legend_handles_labels()
        styles = [matplotlib.lines.Line2D([], [], color="0.3", ls=ls) for ls in ("-", "--", ":")]
        names = ["normal part", "tangential part", "threshold"]
        if len(result.dims) > 1:
            axes[0, 0].legend(handles, labels, fontsize=8, ncol=3, loc="upper center",
                              bbox_to_anchor=(0.5, -0.3))
            axes[0, -1].legend(styles, names, fontsize=8, ncol=2, loc="upper center",
                               bbox_to_anchor=(0.5, -0.3))
        else:
            axes[0, 0].legend(handles + styles, labels + names, fontsize=8, ncol=3,
                              loc="upper center", bbox_to_anchor=(0.5, -0.3))
        return plotting.finish(fig, result.meta, "solid: normal part, dashed: tangential part; "
                               "dotted: threshold; EMA parameters; seed mean")


@_quiet
def plot_timescales(result: Result):
    """Phase diagrams (fraction memorized over N x steps) per width for d = 2; tau_gen and tau_mem
    against N."""
    check_result(result, Result)
    tau_gen, tau_mem = result.timescales()
    w_n = len(result.widths)
    with plotting.style():
        # two rows: the phase diagrams above, distances and timescales below
        fig, axes = plotting.figure(max(w_n, 2), 2, width=3.4, height=2.6)
        for ax in axes[0, w_n:]:
            ax.axis("off")
        for b, w in enumerate(result.widths):
            ax = axes[0, b]
            im = ax.imshow(result.memorized[0, b].mean(axis=1), aspect="auto", origin="lower",
                           vmin=0, vmax=1, cmap="viridis")
            ax.set_yticks(range(len(result.sizes)), [str(n) for n in result.sizes])
            ticks = list(range(0, len(result.steps), 3))
            ax.set_xticks(ticks, [str(result.steps[i]) for i in ticks], fontsize=6)
            ax.set_xlabel("training step")
            ax.set_ylabel("N")
            ax.set_title(f"memorized, width {w}, R^{result.dims[0]}", fontsize=8)
        fig.colorbar(im, ax=axes[0, w_n - 1], fraction=0.05)
        ax = axes[1, 0]
        for a, d in enumerate(result.dims):
            ax.plot(result.steps, result.distance[a, -1, -1].mean(axis=0), "-", color=f"C{a}",
                    label=f"distance to M, N = {result.sizes[-1]}, R^{d}")
            ax.plot(result.steps, result.distance[a, -1, 0].mean(axis=0), ":", color=f"C{a}",
                    label=f"distance to M, N = {result.sizes[0]}, R^{d}")
        ax.axhline(result.gen_distance, color="0.4", ls=":", lw=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("training step")
        ax.set_ylabel("mean distance to the curve")
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=1)
        ax = axes[1, 1]
        n = result.sizes.astype(float)
        for a, d in enumerate(result.dims):
            for tau, marker, name in ((tau_gen, "o", "τ_gen"), (tau_mem, "s", "τ_mem")):
                y = np.nanmean(tau[a, -1], axis=1)
                ax.plot(n, y, marker + ("-" if a == 0 else "--"), ms=3,
                        label=f"{name}, R^{d}")
        mem0 = np.nanmean(tau_mem[0, -1], axis=1)
        if np.any(np.isfinite(mem0)):
            ax.plot(n, n / n[0] * np.nanmin(mem0), "k:", lw=0.8, label="slope 1")
            ax.set_yscale("log")
        ax.set_xscale("log")
        ax.set_xlabel("N")
        ax.set_ylabel("training step")
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=2)
        floor = result.floor[0].mean()
        return plotting.finish(fig, result.meta, "memorized: nearest/second-nearest < 1/3 (floor "
                               f"{floor:.2f}: exact draws on the curve, R^{result.dims[0]}); "
                               "widest network for the timescales")


@_quiet
def plot_random_features(result: Result):
    """The random-feature flow: fraction memorized and distance to the curve against flow time,
    per N."""
    check_result(result, Result)
    with plotting.style():
        fig, axes = plotting.figure(2, width=3.4, height=3.4)
        for i, n in enumerate(result.sizes):
            axes[0, 0].plot(result.rf_taus, result.rf_memorized[i].mean(axis=0), "o-", ms=2.5,
                            color=f"C{i}", label=f"N = {n}")
            axes[0, 1].plot(result.rf_taus, result.rf_distance[i].mean(axis=0), "o-", ms=2.5,
                            color=f"C{i}", label=f"N = {n}")
        floor = result.floor[0].mean()          # exact draws on the curve in R^2, all N
        axes[0, 0].axhline(floor, color="0.5", ls=":", lw=1)
        axes[0, 0].axhline((1 + floor) / 2, color="0.5", ls="-.", lw=1)
        axes[0, 1].axhline(result.gen_distance, color="0.5", ls=":", lw=1)
        for ax, label in zip(axes[0], ("fraction memorized", "median distance to curve")):
            ax.set_xscale("log")
            ax.set_xlabel(r"flow time $\tau$")
            ax.set_ylabel(label)
        axes[0, 1].set_yscale("log")
        axes[0, 1].set_ylim(top=10.0)
        handles, labels = axes[0, 0].get_legend_handles_labels()
        handles += [matplotlib.lines.Line2D([], [], color="0.5", ls=ls) for ls in (":", "-.")]
        labels += ["floor (new points)", "memorized level"]
        axes[0, 0].legend(handles, labels, fontsize=8, loc="upper center",
                          bbox_to_anchor=(1.1, -0.3), ncol=4)
        return plotting.finish(fig, result.meta, "random features (only the output layer), "
                               "exact gradient flow on a fixed Monte Carlo loss; curve in R^2; "
                               f"left: the floor {floor:.2f} (exact draws) and the memorized level "
                               f"{(1 + floor) / 2:.2f}; right, dotted: the τ_gen level "
                               f"{result.gen_distance:g}")
