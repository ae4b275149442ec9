r"""What the chapter's coverage experiments share: learn a coarse score on N points, sample, count.

For one setting (a manifold, a data law on it) and each training size :math:`N`:

1. draw ``n_seeds`` training sets of :math:`N` points;
2. fit the coarse score by denoising score matching on the band :math:`[\sigma_{\rm lo},\sigma_{\rm hi}]`
   only (:func:`~manifold_diffusion.training.ridge.fit_ridge_seeds`: one compiled ``vmap`` over the
   seeds; the capacity rule of :func:`~manifold_diffusion.training.ridge.feature_count`);
3. sample: the large-noise stage at :math:`\sigma_{\rm hi}`
   (:func:`~manifold_diffusion.scores.coarse.large_noise_draws`, from the noised empirical law of the
   training points or, for the population variant, of fresh data), then the reverse SDE or the
   probability-flow ODE with the learned score down a geometric grid of ``n_levels`` noise
   levels, with one Tweedie step at each of the last ``n_stops`` levels
   (:func:`~manifold_diffusion.scores.coarse.stopped_samples`);
4. count: the fidelity (distance to :math:`M`) of a pilot of ``n_pilot`` outputs at every stopping
   level gives :math:`\sigma_0^*`, the level with the smallest 99 % fidelity quantile; at
   :math:`\sigma_0^*` all outputs are counted: the coverage scale :math:`\delta_C` (fidelity allowance
   ``alpha``), the along-manifold coverage (foot points only, every radius down to the floor), the
   fidelity quantiles (0.5, 0.99, max). Since :math:`\delta_C(\sigma_0)\ge q_{1-\alpha}(\sigma_0)` at every
   level, the :math:`\delta_C` counted at :math:`\sigma_0^*` is the smallest over the grid whenever it
   equals :math:`\max(q_{0.99}, \text{floor})` up to the grid of radii; the runs record whether it does;
5. the memorization ceiling: the coverage scale of the training set itself (exact, no floor).
"""

import math
from typing import NamedTuple

import jax
import numpy as np

from ...keys import named_keys
from ...metrics import coverage as cov
from ...processes import VE
from ...scores.coarse import large_noise_draws, stopped_samples
from ...training import LogUniformSigma, denoiser_score, fit_seeds, select
from ...training.ridge import RidgeScore, feature_count, fit_ridge_seeds
from ..harness import Meta, check_result, progress

__all__ = ["SettingRuns", "levels", "ridge_estimator", "network_estimator",
           "count_parameters", "run_setting", "fit_start", "first_from", "fit_where", "ident", "Entry",
           "SweepResult", "sweep"]


class SettingRuns(NamedTuple):
    """The runs of one setting; arrays over ``(n_N, n_seeds)`` unless stated.

    Attributes:
      ns: ``(n_N,)`` training sizes. stop_sigmas: ``(n_stops,)`` the stopping levels.
      sigma0: :math:`\\sigma_0^*`. delta_c: counted :math:`\\delta_C` at :math:`\\sigma_0^*`.
      at_floor: whether ``delta_c`` is the smallest resolved radius (a floor, not a measurement).
      along_ok: whether the along-manifold law covers at every resolved radius.
      minimal: whether ``delta_c`` equals ``max(q99, floor)`` on the radius grid (then it is the
        smallest over the stopping levels).
      fidelity: ``(n_N, n_seeds, 3)`` quantiles 0.5, 0.99, 1 of the distances at :math:`\\sigma_0^*`.
      pilot: ``(n_N, n_seeds, n_stops)`` 99 % fidelity quantile of the pilot at each level.
      empirical: exact coverage scale of the training set (the memorization ceiling).
      floor: the Monte Carlo floor of the counted scale.
      features: ``(n_N,)`` the estimator's size: random features (ridge) or parameters (network).
      kept: per ``N``, the tuple over seeds of what ``keep`` returned (empty without ``keep``).
    """

    ns: np.ndarray
    stop_sigmas: np.ndarray
    sigma0: np.ndarray
    delta_c: np.ndarray
    at_floor: np.ndarray
    along_ok: np.ndarray
    minimal: np.ndarray
    fidelity: np.ndarray
    pilot: np.ndarray
    empirical: np.ndarray
    floor: float
    features: np.ndarray
    kept: tuple


def levels(sigma_band, n_levels: int) -> tuple[np.ndarray, np.ndarray]:
    r"""The sampler's noise levels ``(n_levels,)`` from :math:`\sigma_{\rm hi}` down to :math:`\sigma_{\rm lo}`
    (geometric), and its time grid :math:`t = \sigma^2` ``(n_levels + 1,)``, which ends one level below
    :math:`\sigma_{\rm lo}` so that every level is a state of the reverse SDE."""
    lo, hi = sigma_band
    sig = np.geomspace(hi, lo, n_levels)
    below = lo * (lo / hi) ** (1.0 / (n_levels - 1))
    return sig, np.concatenate([sig, [below]]) ** 2


def _curve_measure(manifold, density, deltas, C, alpha, n_min, n_pilot):
    locator = cov.CurveLocator(manifold)
    length = locator.length

    def measure(outs):
        pilot = np.array([cov.fidelity_quantiles(locator(np.asarray(o[:n_pilot]))[1], (0.99,))[0]
                          for o in outs])
        j = int(np.argmin(pilot))
        u, r = locator(np.asarray(outs[j]))
        full, along = cov.coverage_curve(u, length, deltas, density=density, distances=r, C=C,
                                         alpha=alpha, n_min=n_min, along=True)
        return j, pilot, full, along, cov.fidelity_quantiles(r), (u, r)

    def empirical(data_coords):
        return cov.coverage_curve(data_coords[:, 0], length, deltas, density=density, C=C,
                                  exact=True).scale

    return measure, empirical


def _surface_measure(manifold, deltas, C, alpha, n_min, n_pilot):
    n_pilot = min(n_pilot, 5_000)       # projections onto a surface cost more; the q99 of 5e3 is enough
    def foot(x):
        x = jax.numpy.asarray(x)
        p = np.asarray(manifold.project(x), np.float64)
        return p, np.linalg.norm(np.asarray(x, np.float64) - p, axis=1)

    def measure(outs):
        pilot = np.array([cov.fidelity_quantiles(foot(o[:n_pilot])[1], (0.99,))[0] for o in outs])
        j = int(np.argmin(pilot))
        p, r = foot(outs[j])
        full, along = cov.surface_coverage(manifold, p, deltas, distances=r, C=C, alpha=alpha,
                                           n_min=n_min, along=True)
        return j, pilot, full, along, cov.fidelity_quantiles(r), (p, r)

    def empirical(data_points):
        return cov.surface_coverage(manifold, np.asarray(data_points, np.float64), deltas, C=C,
                                    exact=True).scale

    return measure, empirical


def _minimal(full, q99):
    """Whether the counted scale is the smallest grid radius above both q99 and the floor."""
    ok = (full.deltas >= q99) & full.resolved
    return bool(ok.any() and math.isclose(full.scale, float(full.deltas[ok][0])))


def ridge_estimator(features_per_root: float = 16.0):
    """The closed-form estimator: ``fit(key, data (s, n, d), sigma_band, process) -> (scores, m)``."""
    def fit(key, data, sigma_band, process):
        n = data.shape[1]
        models = fit_ridge_seeds(jax.random.split(key, data.shape[0]), data, sigma_band=tuple(sigma_band),
                                 n_features=feature_count(int(n), per_root=features_per_root))
        return [RidgeScore(select(models, s), process) for s in range(data.shape[0])], models.n_features

    return fit


def network_estimator(denoiser, *, n_steps, batch_size, learning_rate):
    """The engine's EDM-preconditioned network trained by :func:`~manifold_diffusion.training.fit_seeds`
    with log-uniform noise levels on the band; returns the EMA parameters' scores."""
    def fit(key, data, sigma_band, process):
        res = fit_seeds(jax.random.split(key, data.shape[0]), denoiser, data,
                        sigma_dist=LogUniformSigma(*sigma_band), n_steps=n_steps, batch_size=batch_size,
                        learning_rate=learning_rate)
        return ([denoiser_score(denoiser, select(res.ema_params, s), process)
                 for s in range(data.shape[0])], count_parameters(select(res.ema_params, 0)))

    return fit


def count_parameters(params) -> int:
    """Number of scalars in a parameter pytree."""
    return int(sum(np.size(leaf) for leaf in jax.tree_util.tree_leaves(params)))


def run_setting(key, manifold, density, ns, *, n_seeds, n_gen, sigma_band, n_levels, n_stops,
                deltas, C=4.0, alpha=0.01, n_min=50, n_pilot=20_000, method="sde",
                stage="empirical", estimator=None, keep=None, desc="setting") -> SettingRuns:
    """All runs of one setting (module docstring). ``keep(seed, located, data, coords)`` may return
    something to keep from each run: ``located`` is ``(u, distances)`` (curves) or
    ``(feet, distances)`` (surfaces) of the outputs at :math:`\\sigma_0^*`, ``data`` and ``coords``
    the training set and its coordinates."""
    estimator = ridge_estimator() if estimator is None else estimator
    k = getattr(manifold, "k", 1)
    if k == 1:
        measure, empirical = _curve_measure(manifold, density, deltas, C, alpha, n_min, n_pilot)
    else:
        measure, empirical = _surface_measure(manifold, deltas, C, alpha, n_min, n_pilot)
    sig, grid = levels(sigma_band, n_levels)
    stops = list(range(n_levels - n_stops, n_levels))
    process = VE(T=float(grid[0]))
    shape = (len(ns), n_seeds)
    sigma0, delta_c = np.empty(shape), np.empty(shape)
    at_floor, along_ok, minimal = (np.zeros(shape, bool) for _ in range(3))
    fidelity, pilot = np.empty(shape + (3,)), np.empty(shape + (n_stops,))
    emp, features, kept, floor = np.empty(shape), np.empty(len(ns), int), [], math.nan
    for a, n in enumerate(progress(list(ns), desc=desc)):
        keys = named_keys(named_keys(key, f"n{int(n)}")[0], "data", "fit", "sampler")
        data, coords = [], []
        for s, kd in enumerate(jax.random.split(keys.data, n_seeds)):
            x, u = manifold.sample_with_coords(kd, int(n), density)
            data.append(x)
            coords.append(np.asarray(u, np.float64))
        scores, features[a] = estimator(keys.fit, jax.numpy.stack(data), sigma_band, process)
        seed_keep = []
        for s, ks in enumerate(jax.random.split(keys.sampler, n_seeds)):
            score = scores[s]
            kk = named_keys(ks, "population", "stage", "sampler")
            start = data[s] if stage == "empirical" else manifold.sample(kk.population, n_gen, density)
            x0 = large_noise_draws(kk.stage, start, n_gen, float(sig[0]))
            outs = stopped_samples(kk.sampler, score, x0, grid, process, stops, method=method)
            j, pil, full, along, quant, located = measure(outs)
            sigma0[a, s], delta_c[a, s] = sig[stops[j]], full.scale
            at_floor[a, s], along_ok[a, s] = full.at_floor, along.at_floor
            minimal[a, s] = _minimal(full, quant[1])
            fidelity[a, s], pilot[a, s], floor = quant, pil, full.floor
            emp[a, s] = empirical(coords[s] if k == 1 else data[s])
            if keep is not None:
                seed_keep.append(keep(s, located, data[s], coords[s]))
        kept.append(tuple(seed_keep))
    return SettingRuns(np.asarray(ns), sig[stops], sigma0, delta_c, at_floor, along_ok, minimal,
                       fidelity, pilot, emp, float(floor), features, tuple(kept))


def fit_start(along_ok) -> int:
    """Index of the first ``N`` from which on the along-manifold law covers at every seed
    (``len`` if never): fits start there."""
    good = np.all(along_ok, axis=1)
    start = len(good)
    for a in range(len(good) - 1, -1, -1):
        if not good[a]:
            break
        start = a
    return start


def first_from(ns, flags) -> int:
    """The first size of ``ns`` from which on every ``flags`` ``(n_N,)`` holds (0 if the last does not)."""
    flags = np.asarray(flags, bool)
    if flags.shape != (len(ns),):
        raise ValueError(f"flags: expected shape ({len(ns)},), got {flags.shape}")
    start = len(flags)
    for a in range(len(flags) - 1, -1, -1):
        if not flags[a]:
            break
        start = a
    return int(ns[start]) if start < len(flags) else 0


def fit_where(ns, y, usable, key):
    """:func:`~manifold_diffusion.metrics.fit_loglog_slope` of ``y`` ``(n_N, n_seeds)`` over the sizes
    where ``usable`` ``(n_N,)`` holds and every seed is finite and positive; ``None`` with fewer than
    two such sizes. Returns ``(fit, mask)``."""
    from ...metrics.rates import fit_loglog_slope

    y = np.asarray(y, np.float64)
    mask = np.asarray(usable, bool) & np.all(np.isfinite(y) & (y > 0), axis=1)
    if mask.sum() < 2:
        return None, mask
    return fit_loglog_slope(np.asarray(ns, np.float64)[mask], y[mask].T, key=key), mask


def ident(name: str) -> str:
    """A setting's name as an identifier for glue keys: ``"rough-2.5"`` -> ``"rough_2p5"``."""
    return name.replace("-", "_").replace(".", "p")


class Entry(NamedTuple):
    """One setting of a sweep: a label, the manifold, the data law, its regularity and dimension,
    and the sampler's band and large-noise stage."""

    label: str
    manifold: object
    density: object
    beta: float
    sigma_band: tuple
    stage: str = "empirical"


class SweepResult(NamedTuple):
    r"""Counted coverage of a learned coarse-score sampler over settings; arrays ``(b, n_N, n_seeds)``
    over settings, sizes and seeds unless stated.

    Attributes:
      labels: ``(b,)`` setting labels; betas, ks, dims: ``(b,)`` regularity (``inf``: analytic),
        intrinsic and ambient dimension; bands: ``(b, 2)`` the training bands.
      ns: ``(n_N,)``; stop_sigmas: ``(b, n_stops)``; features: ``(b, n_N)`` the estimator's size.
      sigma0, delta_c, at_floor, along_ok, minimal, fidelity ``(..., 3)``, pilot
      ``(..., n_stops)``, empirical: as :class:`SettingRuns`. floor: ``(b,)``.
      fit_start: ``(b,)`` index of the first fitted :math:`N` (along-manifold law covers at every
        seed from there on).
      fits, masks: ``{"<label>:delta_c" | ":q99" | ":empirical": SlopeFit or None}`` and the sizes
        each used (``delta_c`` also leaves out sizes where a seed sits at the counting floor).
      n_gen: generated samples per run. estimator: what the score is and its capacity rule.
      kept: per setting, what ``keep`` returned (see :func:`run_setting`).
    """

    labels: tuple
    betas: np.ndarray
    ks: np.ndarray
    dims: np.ndarray
    bands: np.ndarray
    ns: np.ndarray
    stop_sigmas: np.ndarray
    features: np.ndarray
    sigma0: np.ndarray
    delta_c: np.ndarray
    at_floor: np.ndarray
    along_ok: np.ndarray
    minimal: np.ndarray
    fidelity: np.ndarray
    pilot: np.ndarray
    empirical: np.ndarray
    floor: np.ndarray
    fit_start: np.ndarray
    fits: dict
    masks: dict
    n_gen: int
    estimator: str
    kept: tuple = ()
    meta: Meta | None = None

    def summary(self) -> dict:
        r"""Per setting ``<id>_{delta_c,q99,empirical}_{slope,low,high}``, ``<id>_q99_{first,last}``,
        ``<id>_dc_last``, ``<id>_emp_last``, ``<id>_max_last``, ``<id>_floor``,
        ``<id>_sigma0_{first,last}``, ``<id>_start``, ``<id>_at_floor`` (share of runs at the floor);
        ``<id>_dc_first``, ``<id>_emp_first``, ``<id>_dc_over_emp_{first,last}`` (counted
        :math:`\delta_C` over the training set's own, medians), ``<id>_floor_over_emp_last`` (the
        counting floor over the training set's scale at the largest N: below 1, the floor can separate
        the sampler from memorization), ``<id>_floor_from`` / ``<id>_floor_all_from`` (first N from
        which on some seed / every seed sits at the floor; 0 if never), ``<id>_sigma0_bottom`` (the
        lowest candidate stopping level) and ``<id>_sigma0_n_bottom`` (sizes whose median
        :math:`\sigma_0^*` is that level: the optimum is not bracketed there); over all settings
        ``floor_from_{min,max}`` (over the settings that reach the floor; 0 if none),
        ``sigma0_bottom``, ``n_sizes`` and ``sigma0_unbracketed`` (text: the settings and sizes whose
        median :math:`\sigma_0^*` is the lowest level, or ``"at no size"``)."""
        out = {"n_gen": int(self.n_gen), "nmin": int(self.ns[0]), "nmax": int(self.ns[-1]),
               "n_sizes": len(self.ns)}
        froms, unbracketed = [], []
        for b, name in enumerate(self.labels):
            key = ident(name)
            for quantity in ("delta_c", "q99", "empirical"):
                fit = self.fits[f"{name}:{quantity}"]
                for part, value in (("slope", "slope"), ("low", "ci_low"), ("high", "ci_high")):
                    out[f"{key}_{quantity}_{part}"] = math.nan if fit is None else float(getattr(fit, value))
            out[f"{key}_dc_last"] = float(np.median(self.delta_c[b, -1]))
            out[f"{key}_q99_last"] = float(np.median(self.fidelity[b, -1, :, 1]))
            out[f"{key}_q99_first"] = float(np.median(self.fidelity[b, 0, :, 1]))
            out[f"{key}_max_last"] = float(np.median(self.fidelity[b, -1, :, 2]))
            out[f"{key}_emp_last"] = float(np.median(self.empirical[b, -1]))
            out[f"{key}_floor"] = float(self.floor[b])
            out[f"{key}_sigma0_first"] = float(np.median(self.sigma0[b, 0]))
            out[f"{key}_sigma0_last"] = float(np.median(self.sigma0[b, -1]))
            out[f"{key}_start"] = int(self.ns[min(int(self.fit_start[b]), len(self.ns) - 1)])
            out[f"{key}_at_floor"] = float(np.mean(self.at_floor[b]))
            dc_first, emp_first = float(np.median(self.delta_c[b, 0])), float(np.median(self.empirical[b, 0]))
            out[f"{key}_dc_first"], out[f"{key}_emp_first"] = dc_first, emp_first
            out[f"{key}_dc_over_emp_first"] = dc_first / emp_first
            out[f"{key}_dc_over_emp_last"] = out[f"{key}_dc_last"] / out[f"{key}_emp_last"]
            out[f"{key}_floor_over_emp_last"] = float(self.floor[b]) / out[f"{key}_emp_last"]
            out[f"{key}_floor_from"] = first_from(self.ns, np.any(self.at_floor[b], axis=1))
            out[f"{key}_floor_all_from"] = first_from(self.ns, np.all(self.at_floor[b], axis=1))
            if out[f"{key}_floor_from"]:
                froms.append(out[f"{key}_floor_from"])
            bottom = float(np.min(self.stop_sigmas[b]))
            out[f"{key}_sigma0_bottom"] = bottom
            low = [int(n) for a, n in enumerate(self.ns) if np.isclose(np.median(self.sigma0[b, a]), bottom,
                                                                       rtol=1e-6)]
            out[f"{key}_sigma0_n_bottom"] = len(low)
            if low:
                where = f"in R^{name[1:]}" if name[:1] == "d" and name[1:].isdigit() else name
                unbracketed.append(f"{where} at N = {', '.join(map(str, low))}")
        out["floor_from_min"] = int(min(froms)) if froms else 0
        out["floor_from_max"] = int(max(froms)) if froms else 0
        out["sigma0_bottom"] = float(np.min(self.stop_sigmas))
        out["sigma0_unbracketed"] = "; ".join(unbracketed) if unbracketed else "at no size"
        return out


def sweep(key, entries, ns, *, n_seeds, n_gen, n_levels, n_stops, deltas, C, alpha, method="sde",
          estimator=None, estimator_text="", keep=None) -> SweepResult:
    """Run :func:`run_setting` for every entry (keys split by label) and fit the slopes: from
    :func:`fit_start` on; the counted :math:`\\delta_C` also without the sizes where a seed sits at
    the counting floor (never fit a value at its floor)."""
    keys = named_keys(key, "runs", "bootstrap")
    runs = []
    for b, e in enumerate(entries):
        runs.append(run_setting(named_keys(keys.runs, ident(e.label))[0], e.manifold, e.density, ns,
                                n_seeds=n_seeds, n_gen=n_gen, sigma_band=e.sigma_band, n_levels=n_levels,
                                n_stops=n_stops, deltas=deltas, C=C, alpha=alpha, method=method,
                                stage=e.stage, estimator=estimator,
                                keep=(lambda *a, _b=b: keep(_b, *a)) if keep is not None else None,
                                desc=f"{e.label}"))
    fits, masks, starts = {}, {}, []
    boot = iter(jax.random.split(keys.bootstrap, 3 * len(entries)))
    every = np.ones(len(ns), bool)
    for e, r in zip(entries, runs):
        start = fit_start(r.along_ok)
        starts.append(start)
        after = np.arange(len(ns)) >= start
        not_floor = ~np.any(r.at_floor, axis=1)
        for quantity, y, usable in (("delta_c", r.delta_c, after & not_floor),
                                    ("q99", r.fidelity[..., 1], after), ("empirical", r.empirical, every)):
            fits[f"{e.label}:{quantity}"], masks[f"{e.label}:{quantity}"] = fit_where(ns, y, usable, next(boot))
    stack = {f: np.stack([getattr(r, f) for r in runs]) for f in
             ("sigma0", "delta_c", "at_floor", "along_ok", "minimal", "fidelity", "pilot", "empirical",
              "stop_sigmas", "features")}
    return SweepResult(tuple(e.label for e in entries), np.asarray([e.beta for e in entries], np.float64),
                       np.asarray([getattr(e.manifold, "k", 1) for e in entries]),
                       np.asarray([e.manifold.d for e in entries]),
                       np.asarray([e.sigma_band for e in entries], np.float64), np.asarray(ns),
                       stack["stop_sigmas"], stack["features"], stack["sigma0"], stack["delta_c"],
                       stack["at_floor"], stack["along_ok"], stack["minimal"], stack["fidelity"],
                       stack["pilot"], stack["empirical"], np.asarray([r.floor for r in runs]),
                       np.asarray(starts), fits, masks, int(n_gen), estimator_text,
                       tuple(r.kept for r in runs))
