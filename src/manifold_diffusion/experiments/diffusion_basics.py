r"""Chapter 1, "Diffusion models in one chapter": every experiment of the chapter.

The data law is a ring of Gaussians in the plane, whose noised score is known exactly
(:class:`~manifold_diffusion.scores.MixtureScore`), noised by the VP process. The experiments:

- :func:`run_forward` -- snapshots of the forward process;
- :func:`score_field` -- the exact score field at several noise levels; :func:`noise_widget`, a
  slider over the noise level that redraws it;
- :func:`run_sampling` -- reverse SDE and probability-flow ODE trajectories, and the
  Wasserstein-2 distance of the samples to the data law beside its sampling floor;
- :func:`run_order` -- the convergence order of the Heun probability-flow sampler;
- :func:`run_dsm` -- denoising score matching on a finite training set: the empirical score
  beats the true score on the training points and loses on fresh ones;
- :func:`run_memorization` -- sampling with the empirical score returns training points, at a
  distance that shrinks like :math:`\sigma(t_{\min})`.

Each ``run_*`` takes a key first and a :class:`Config`, and returns a ``NamedTuple`` with a
``meta`` field (:class:`~manifold_diffusion.experiments.Meta`); each ``plot_*`` draws it.
"""

import dataclasses
import time
from typing import NamedTuple

import jax
import jax.numpy as jnp
import matplotlib.ticker
import numpy as np
from jaxtyping import Array, Float

from .. import metrics, plotting, widgets
from ..processes import VP, geometric_grid
from ..samplers import euler_maruyama, heun_probability_flow
from ..scale import Scale
from ..scores import EmpiricalScore, GaussianMixture, MixtureScore
from ..training import dsm_loss
from ._common import Meta, make_meta, progress

__all__ = [
    "Config", "ring_mixture",
    "ForwardResult", "run_forward", "plot_forward",
    "ScoreField", "score_field", "plot_score_field", "NOISE_WIDGET_TIMES", "noise_widget",
    "SamplingResult", "run_sampling", "plot_sampling",
    "OrderResult", "run_order", "plot_order",
    "DSMResult", "run_dsm", "plot_dsm",
    "MemorizationResult", "run_memorization", "plot_memorization",
]


@dataclasses.dataclass(frozen=True)
class Config:
    r"""Sizes of the chapter's experiments (frozen and hashable).

    Attributes:
      n_modes, radius, mode_std: the data law, ``n_modes`` Gaussians of std ``mode_std`` evenly
        spaced on a circle of radius ``radius``.
      T: terminal time of the VP process.
      n_samples: samples per sampling run.
      n_steps: steps of the reverse samplers.
      t_min: last time of the sampling grid.
      n_paths: trajectories drawn in the figures.
      forward_times, field_times: times of the forward snapshots and of the score fields.
      order_steps: step counts of the convergence-order study; ``order_reference`` the
        step count of its reference solution; ``order_points`` starting points per seed.
      n_train: training-set size for the DSM and memorization experiments.
      memo_samples: samples per memorization run; ``t_mins`` the early-stopping times;
        ``fit_max_sigma`` the largest noise level in the slope fit: the law
        :math:`d_1 \propto \sigma(t_{\min})` holds once :math:`\sigma` is well below the spacing
        of the training set (about 0.5 for 20 points on this ring).
      dsm_times, dsm_draws: times and noise draws of the DSM-loss comparison.
      n_seeds: independent repetitions behind every error band and confidence interval.
      scale: the scale these sizes belong to (recorded in every figure caption).
    """

    n_modes: int = 6
    radius: float = 2.0
    mode_std: float = 0.3
    T: float = 5.0
    n_samples: int = 2000
    n_steps: int = 200
    t_min: float = 1e-3
    n_paths: int = 12
    forward_times: tuple[float, ...] = (0.0, 0.05, 0.3, 1.0, 5.0)
    field_times: tuple[float, ...] = (0.02, 0.3, 1.5)
    order_steps: tuple[int, ...] = (10, 20, 40, 80, 160)
    order_reference: int = 2560
    order_points: int = 256
    n_train: int = 20
    memo_samples: int = 500
    t_mins: tuple[float, ...] = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5)
    fit_max_sigma: float = 0.05
    dsm_times: tuple[float, ...] = tuple(float(t) for t in np.geomspace(1e-3, 2.0, 10))
    dsm_draws: int = 32
    n_seeds: int = 8
    scale: str = "default"

    @classmethod
    def at_scale(cls, scale: str) -> "Config":
        """The configuration for ``scale`` (``quick``, ``default`` or ``large``)."""
        if scale == "quick":
            return cls(scale="quick", n_samples=300, n_steps=50, order_steps=(8, 16, 32), order_reference=512,
                       order_points=32, memo_samples=100, t_mins=(1e-2, 1e-3, 1e-4),
                       dsm_times=(1e-3, 1e-1, 1.0), dsm_draws=4, n_seeds=3)
        if scale == "default":
            return cls()
        if scale == "large":
            return cls(scale="large", n_samples=20_000, n_steps=400, order_steps=(10, 20, 40, 80, 160, 320, 640),
                       order_reference=10_240, order_points=2048, memo_samples=4000,
                       t_mins=(1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6), dsm_draws=256, n_seeds=32)
        raise ValueError(f"scale: expected 'quick', 'default' or 'large', got {scale!r}")


def ring_mixture(cfg: Config) -> GaussianMixture:
    """The data law: ``cfg.n_modes`` isotropic Gaussians evenly spaced on a circle."""
    angle = 2 * jnp.pi * jnp.arange(cfg.n_modes, dtype=jnp.result_type(float)) / cfg.n_modes
    means = cfg.radius * jnp.stack([jnp.cos(angle), jnp.sin(angle)], axis=1)
    covs = jnp.tile((cfg.mode_std**2) * jnp.eye(2)[None], (cfg.n_modes, 1, 1))
    return GaussianMixture(jnp.full((cfg.n_modes,), 1.0 / cfg.n_modes), means, covs)


def _density_grid(mixture, process, t, extent=3.6, size=90):
    """Log-density of the time-``t`` marginal on a ``size x size`` grid (``t = 0``: the data)."""
    ax = jnp.linspace(-extent, extent, size)
    xx, yy = jnp.meshgrid(ax, ax)
    pts = jnp.stack([xx.ravel(), yy.ravel()], axis=1)
    law = mixture if t == 0 else mixture.noised(process, t)
    return np.asarray(ax), np.asarray(law.log_prob(pts).reshape(size, size))


# --- forward process -------------------------------------------------------------------------

class ForwardResult(NamedTuple):
    """Snapshots of the forward process.

    Attributes: times: ``(m,)``. points: ``(m, b, 2)`` the same ``b`` data points noised to each
    time. meta: how it was made.
    """

    times: tuple[float, ...]
    points: Float[Array, "m b 2"]
    meta: Meta


def run_forward(key, cfg: Config) -> ForwardResult:
    """Noise ``cfg.n_samples`` data points to each of ``cfg.forward_times`` (one noise draw)."""
    start = time.perf_counter()
    process, mixture = VP(T=cfg.T), ring_mixture(cfg)
    k_data, k_noise = jax.random.split(key)
    x0 = mixture.sample(k_data, cfg.n_samples)
    z = jax.random.normal(k_noise, x0.shape)
    snaps = []
    for t in cfg.forward_times:
        alpha, sigma = process.marginal(t)
        snaps.append(alpha * x0 + sigma * z)
    meta = make_meta("forward process", {"b": cfg.n_samples, "d": 2}, key, start, cfg.scale)
    return ForwardResult(cfg.forward_times, jnp.stack(snaps), meta)


def plot_forward(res: ForwardResult):
    """Scatter of each snapshot, titled with :math:`\\alpha_t` and :math:`\\sigma_t`."""
    process = VP()
    with plotting.style():
        fig, axes = plotting.figure(len(res.times), width=2.2, height=2.3, sharex=True, sharey=True)
        for ax, t, pts in zip(axes[0], res.times, res.points):
            alpha, sigma = process.marginal(t)
            ax.scatter(pts[:, 0], pts[:, 1], s=1, alpha=0.4, color="C0", rasterized=True)
            ax.set_title(f"t = {t:g}\n$\\alpha_t$ = {float(alpha):.2f}, $\\sigma_t$ = {float(sigma):.2f}")
            ax.set_aspect("equal")
            ax.set_xlim(-3.6, 3.6)
            ax.set_ylim(-3.6, 3.6)
        return plotting.finish(fig, res.meta)


# --- score field -----------------------------------------------------------------------------

class ScoreField(NamedTuple):
    """The exact score on a grid at several times.

    Attributes: times: ``(m,)``. axis: ``(g,)`` grid coordinates. log_density: ``(m, G, G)`` on a
    fine grid ``fine_axis``. scores: ``(m, g, g, 2)`` on the coarse grid. norms_at_data:
    ``(m,)`` median score norm at noised data points. meta.
    """

    times: tuple[float, ...]
    axis: np.ndarray
    fine_axis: np.ndarray
    log_density: np.ndarray
    scores: np.ndarray
    norms_at_data: np.ndarray
    meta: Meta


def score_field(key, cfg: Config, size: int = 17) -> ScoreField:
    r"""Evaluate :math:`\nabla\log p_t` on a grid at ``cfg.field_times``, and its typical size
    at noised data (which grows like :math:`1/\sigma_t` as :math:`t\to0`)."""
    start = time.perf_counter()
    process, mixture = VP(T=cfg.T), ring_mixture(cfg)
    score = MixtureScore(mixture, process)
    ax = jnp.linspace(-3.3, 3.3, size)
    xx, yy = jnp.meshgrid(ax, ax)
    pts = jnp.stack([xx.ravel(), yy.ravel()], axis=1)
    k_data, k_noise = jax.random.split(key)
    x0 = mixture.sample(k_data, 2000)
    fields, dens, norms = [], [], []
    for t in cfg.field_times:
        fields.append(np.asarray(score(pts, t)).reshape(size, size, 2))
        fine, logd = _density_grid(mixture, process, t)
        dens.append(logd)
        xt = process.perturb(k_noise, x0, t)
        norms.append(float(jnp.median(jnp.linalg.norm(score(xt, t), axis=1))))
    meta = make_meta("score field", {"grid": f"{size}x{size}", "d": 2}, key, start, cfg.scale)
    return ScoreField(cfg.field_times, np.asarray(ax), fine, np.stack(dens), np.stack(fields),
                      np.asarray(norms), meta)


def plot_score_field(field: ScoreField):
    """Arrows of the score (length-normalised; colour = norm) over the log-density."""
    with plotting.style():
        fig, axes = plotting.figure(len(field.times), width=3.0, height=3.0, sharex=True,
                                    sharey=True)
        xx, yy = np.meshgrid(field.axis, field.axis)
        for ax, t, logd, s, med in zip(axes[0], field.times, field.log_density, field.scores,
                                       field.norms_at_data):
            ax.contourf(field.fine_axis, field.fine_axis, np.exp(logd - logd.max()),
                        levels=10, cmap="Blues")
            norm = np.linalg.norm(s, axis=-1)
            arrows = ax.quiver(xx, yy, s[..., 0] / (norm + 1e-12), s[..., 1] / (norm + 1e-12),
                               np.log10(norm), cmap="plasma", clim=(-1, 2), scale=22, width=0.006)
            ax.set_title(f"t = {t:g}: median |score| at $X_t$ = {med:.1f}")
            ax.set_aspect("equal")
        fig.colorbar(arrows, ax=axes[0, -1], label="log10 |score|", shrink=0.8)
        return plotting.finish(fig, field.meta,
                               "arrows: direction of the score; shading: density of X_t")


NOISE_WIDGET_TIMES = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 1.5, 2.0, 3.0)


def noise_widget(key, cfg: Config, times=NOISE_WIDGET_TIMES, *, value: float = 0.3,
                 draw_now: bool = False):
    """An ``ipywidgets`` slider over the diffusion time ``t`` that redraws the exact score field
    and the density of :math:`X_t` at that time (:func:`score_field` at one time, about a second
    per frame on a CPU). Returns ``(widget, update)``; ``update(t)`` draws one frame and returns
    its :class:`ScoreField`. The static counterpart is :func:`plot_score_field` at ``cfg.field_times``."""
    return widgets.slider([float(t) for t in times],
                          lambda t: score_field(key, dataclasses.replace(cfg, field_times=(float(t),))),
                          plot_score_field, value=value, description="t", draw_now=draw_now)


# --- reverse-time sampling -------------------------------------------------------------------

class SamplingResult(NamedTuple):
    """Reverse SDE and probability-flow ODE runs from one prior draw.

    Attributes:
      grid: ``(s,)`` the time grid. paths_sde, paths_ode: ``(s, n_paths, 2)`` the first
      ``n_paths`` trajectories. samples_sde, samples_ode: ``(b, 2)``. reference: ``(b, 2)`` fresh
      data. w2_sde, w2_ode: Wasserstein-2 to ``reference``; w2_floor: Wasserstein-2 between two
      independent data samples of size ``b`` (what a perfect sampler would score). meta.
    """

    grid: np.ndarray
    paths_sde: np.ndarray
    paths_ode: np.ndarray
    samples_sde: np.ndarray
    samples_ode: np.ndarray
    reference: np.ndarray
    w2_sde: float
    w2_ode: float
    w2_floor: float
    meta: Meta


def run_sampling(key, cfg: Config) -> SamplingResult:
    """Sample ``cfg.n_samples`` points with the exact score by both samplers."""
    start = time.perf_counter()
    process, mixture = VP(T=cfg.T), ring_mixture(cfg)
    score = MixtureScore(mixture, process)
    k_prior, k_sde, k_ref1, k_ref2 = jax.random.split(key, 4)
    x_T = process.prior_sample(k_prior, (cfg.n_samples, 2))
    grid = geometric_grid(process.T, cfg.t_min, cfg.n_steps)
    x_sde, path_sde = euler_maruyama(k_sde, score, x_T, grid, process, return_path=True)
    x_ode, path_ode = heun_probability_flow(score, x_T, grid, process, return_path=True)
    ref, ref2 = mixture.sample(k_ref1, cfg.n_samples), mixture.sample(k_ref2, cfg.n_samples)
    w2 = [metrics.wasserstein(x, ref, p=2).distance for x in (x_sde, x_ode, ref2)]
    sizes = {"b": cfg.n_samples, "steps": cfg.n_steps, "t_min": cfg.t_min, "T": cfg.T}
    meta = make_meta("reverse sampling", sizes, key, start, cfg.scale)
    k = cfg.n_paths
    return SamplingResult(np.asarray(grid), np.asarray(path_sde[:, :k]), np.asarray(path_ode[:, :k]),
                          np.asarray(x_sde), np.asarray(x_ode), np.asarray(ref), *w2, meta)


def plot_sampling(res: SamplingResult, cfg: Config):
    """Trajectories of both samplers over the data density, and the samples."""
    process, mixture = VP(T=cfg.T), ring_mixture(cfg)
    fine, logd = _density_grid(mixture, process, 0.0)
    with plotting.style():
        fig, axes = plotting.figure(3, width=3.1, height=3.1, sharex=True, sharey=True)
        for ax, paths, name in ((axes[0, 0], res.paths_sde, "reverse SDE (Euler-Maruyama)"),
                                (axes[0, 1], res.paths_ode, "probability-flow ODE (Heun)")):
            ax.contourf(fine, fine, np.exp(logd - logd.max()), levels=10, cmap="Blues")
            for j in range(paths.shape[1]):
                ax.plot(paths[:, j, 0], paths[:, j, 1], lw=0.7, color=f"C{j % 10}", alpha=0.85)
                ax.plot(*paths[0, j], "o", ms=2.5, color=f"C{j % 10}")
                ax.plot(*paths[-1, j], "*", ms=6, color=f"C{j % 10}", mec="k", mew=0.3)
            ax.set_title(name)
        ax = axes[0, 2]
        ax.scatter(res.reference[:, 0], res.reference[:, 1], s=1, color="0.6", label="data",
                   rasterized=True)
        ax.scatter(res.samples_sde[:, 0], res.samples_sde[:, 1], s=1, color="C0", alpha=0.5,
                   label=f"SDE, $W_2$ = {res.w2_sde:.3f}", rasterized=True)
        ax.scatter(res.samples_ode[:, 0], res.samples_ode[:, 1], s=1, color="C3", alpha=0.5,
                   label=f"ODE, $W_2$ = {res.w2_ode:.3f}", rasterized=True)
        ax.set_title(f"samples (floor $W_2$ = {res.w2_floor:.3f})")
        ax.legend(loc="center", markerscale=5, fontsize=7)
        for a in axes[0]:
            a.set_aspect("equal")
            a.set_xlim(-3.6, 3.6)
            a.set_ylim(-3.6, 3.6)
        return plotting.finish(fig, res.meta, "dots: start at T; stars: end at t_min")


# --- convergence order -----------------------------------------------------------------------

class OrderResult(NamedTuple):
    """Pathwise error of the Heun probability-flow sampler against a fine reference.

    Attributes: steps: ``(m,)``. errors: ``(n_seeds, m)`` mean distance to the reference
    endpoint. fit: the fitted log-log slope with its bootstrap interval. meta.
    """

    steps: np.ndarray
    errors: np.ndarray
    fit: metrics.SlopeFit
    meta: Meta


def run_order(key, cfg: Config) -> OrderResult:
    r"""Error of Heun's method against step count: a second-order method has slope :math:`-2`.

    The ODE is deterministic, so the error of each run is measured pathwise against the same
    starting points integrated with ``cfg.order_reference`` steps, on the same geometric grid
    family from ``T`` to ``t_min = 1e-2``.
    """
    start = time.perf_counter()
    process, mixture = VP(T=cfg.T), ring_mixture(cfg)
    score = MixtureScore(mixture, process)
    t_end = 1e-2
    reference_grid = geometric_grid(process.T, t_end, cfg.order_reference)
    errors = np.zeros((cfg.n_seeds, len(cfg.order_steps)))
    for s in progress(range(cfg.n_seeds), desc="Heun order"):
        x_T = process.prior_sample(jax.random.fold_in(key, s), (cfg.order_points, 2))
        ref = heun_probability_flow(score, x_T, reference_grid, process)
        for j, n in enumerate(cfg.order_steps):
            x = heun_probability_flow(score, x_T, geometric_grid(process.T, t_end, n), process)
            errors[s, j] = float(jnp.mean(jnp.linalg.norm(x - ref, axis=1)))
    fit = metrics.fit_loglog_slope(np.asarray(cfg.order_steps, float), errors,
                                   key=jax.random.fold_in(key, 10_000))
    sizes = {"points": cfg.order_points, "seeds": cfg.n_seeds,
             "reference steps": cfg.order_reference}
    meta = make_meta("Heun order", sizes, key, start, cfg.scale)
    return OrderResult(np.asarray(cfg.order_steps), errors, fit, meta)


def plot_order(res: OrderResult):
    """Error against steps on log-log axes, with the fitted line and its interval."""
    with plotting.style():
        fig, axes = plotting.figure(1, width=4.2, height=3.2)
        ax = axes[0, 0]
        for row in res.errors:
            ax.loglog(res.steps, row, color="C0", alpha=0.3, lw=0.8)
        ax.loglog(res.steps, np.exp(np.mean(np.log(res.errors), 0)), "o-", color="C0",
                  label="Heun, per seed and geometric mean")
        fitted = np.exp(res.fit.intercept) * res.steps.astype(float) ** res.fit.slope
        ax.loglog(res.steps, fitted, "k--", lw=1,
                  label=f"fit: slope {res.fit.slope:.2f} [{res.fit.ci_low:.2f}, {res.fit.ci_high:.2f}]")
        ax.set_xlabel("number of steps")
        ax.set_ylabel("mean |x - x_ref| at t = 0.01")
        ax.set_title("probability-flow ODE: theory slope -2")
        ax.legend()
        return plotting.finish(fig, res.meta)


# --- denoising score matching on a finite training set ---------------------------------------

class DSMResult(NamedTuple):
    """DSM losses of the true and the empirical score on training and on fresh points.

    Attributes: times: ``(m,)``. train_true, train_empirical, test_true, test_empirical:
    ``(n_seeds, m)`` losses. meta.
    """

    times: np.ndarray
    train_true: np.ndarray
    train_empirical: np.ndarray
    test_true: np.ndarray
    test_empirical: np.ndarray
    meta: Meta


def run_dsm(key, cfg: Config) -> DSMResult:
    """Compare DSM losses (paired noise) for ``cfg.n_train`` training points per seed."""
    start = time.perf_counter()
    process, mixture = VP(T=cfg.T), ring_mixture(cfg)
    true_score = MixtureScore(mixture, process)
    shape = (cfg.n_seeds, len(cfg.dsm_times))
    out = {name: np.zeros(shape) for name in ("train_true", "train_emp", "test_true", "test_emp")}
    for s in progress(range(cfg.n_seeds), desc="DSM losses"):
        k_train, k_test, k_noise = jax.random.split(jax.random.fold_in(key, s), 3)
        train, test = mixture.sample(k_train, cfg.n_train), mixture.sample(k_test, cfg.n_train)
        emp = EmpiricalScore(train, process)
        for j, t in enumerate(cfg.dsm_times):
            k = jax.random.fold_in(k_noise, j)
            for split, pts in (("train", train), ("test", test)):
                out[f"{split}_true"][s, j] = dsm_loss(k, true_score, pts, t, process,
                                                      n_draws=cfg.dsm_draws)
                out[f"{split}_emp"][s, j] = dsm_loss(k, emp, pts, t, process, n_draws=cfg.dsm_draws)
    sizes = {"n": cfg.n_train, "draws": cfg.dsm_draws, "seeds": cfg.n_seeds}
    meta = make_meta("DSM losses", sizes, key, start, cfg.scale)
    return DSMResult(np.asarray(cfg.dsm_times), out["train_true"], out["train_emp"],
                     out["test_true"], out["test_emp"], meta)


def plot_dsm(res: DSMResult):
    """DSM loss against t: the empirical score wins on the training set and loses off it."""
    with plotting.style():
        fig, axes = plotting.figure(2, width=3.6, height=3.0, sharey=True)
        for ax, split in zip(axes[0], ("train", "test")):
            for name, color, label in (("true", "C0", "true score"),
                                       ("empirical", "C3", "empirical score (DSM minimiser)")):
                vals = getattr(res, f"{split}_{name}")
                mid = np.median(vals, 0)
                ax.fill_between(res.times, vals.min(0), vals.max(0), color=color, alpha=0.2, lw=0)
                ax.semilogx(res.times, mid, "o-", color=color, ms=3, label=label)
            ax.set_yscale("log")
            ax.set_xlabel("t")
            ax.set_title("on the training points" if split == "train" else "on fresh points")
        axes[0, 0].set_ylabel(r"DSM loss $E\|\sigma_t s + z\|^2$")
        axes[0, 0].legend()
        return plotting.finish(fig, res.meta, "lines: median over seeds; bands: min to max")


# --- memorization by the empirical score -----------------------------------------------------

class MemorizationResult(NamedTuple):
    """Sampling with the empirical score of ``n`` training points down to several ``t_min``.

    Attributes:
      t_mins, sigmas: ``(m,)`` early-stopping times and noise levels.
      mean_distance: ``(n_seeds, m)`` mean distance of a sample to its nearest training point.
      fraction_memorized: ``(n_seeds, m)`` share of samples with :math:`d_1/d_2 < 1/3`.
      fraction_memorized_true: ``(n_seeds,)`` the same share for samples of the true score.
      train, samples_empirical, samples_true: one seed's training set and samples, for plots.
      fit: slope of ``mean_distance`` against ``sigmas`` over ``sigmas <= fit_max_sigma``.
      fit_max_sigma: that cut-off. meta.
    """

    t_mins: np.ndarray
    sigmas: np.ndarray
    mean_distance: np.ndarray
    fraction_memorized: np.ndarray
    fraction_memorized_true: np.ndarray
    train: np.ndarray
    samples_empirical: np.ndarray
    samples_true: np.ndarray
    fit: metrics.SlopeFit
    fit_max_sigma: float
    meta: Meta


def run_memorization(key, cfg: Config) -> MemorizationResult:
    """For each seed: draw a training set, sample with its empirical score to each ``t_min``."""
    start = time.perf_counter()
    process, mixture = VP(T=cfg.T), ring_mixture(cfg)
    true_score = MixtureScore(mixture, process)
    m = len(cfg.t_mins)
    mean_dist, frac = np.zeros((cfg.n_seeds, m)), np.zeros((cfg.n_seeds, m))
    frac_true = np.zeros(cfg.n_seeds)
    for s in progress(range(cfg.n_seeds), desc="memorization"):
        k_train, k_prior, k_run = jax.random.split(jax.random.fold_in(key, s), 3)
        train = mixture.sample(k_train, cfg.n_train)
        emp = EmpiricalScore(train, process)
        x_T = process.prior_sample(k_prior, (cfg.memo_samples, 2))
        for j, t_min in enumerate(cfg.t_mins):
            grid = geometric_grid(process.T, t_min, cfg.n_steps)
            x = euler_maruyama(k_run, emp, x_T, grid, process)
            report = metrics.memorization_report(x, train)
            mean_dist[s, j] = float(jnp.mean(report.nearest_distance))
            frac[s, j] = float(report.fraction_memorized)
        x_true = euler_maruyama(k_run, true_score, x_T, grid, process)
        frac_true[s] = float(metrics.fraction_memorized(x_true, train))
        if s == 0:
            keep = (np.asarray(train), np.asarray(x), np.asarray(x_true))
    sigmas = np.asarray([float(process.marginal(t)[1]) for t in cfg.t_mins])
    in_fit = sigmas <= cfg.fit_max_sigma
    fit = metrics.fit_loglog_slope(sigmas[in_fit], mean_dist[:, in_fit],
                                   key=jax.random.fold_in(key, 10_000))
    sizes = {"n": cfg.n_train, "b": cfg.memo_samples, "steps": cfg.n_steps, "seeds": cfg.n_seeds}
    meta = make_meta("memorization", sizes, key, start, cfg.scale)
    return MemorizationResult(np.asarray(cfg.t_mins), sigmas, mean_dist, frac, frac_true, *keep,
                              fit, cfg.fit_max_sigma, meta)


def plot_memorization(res: MemorizationResult):
    """Samples over the training set; fraction memorized and distance against the noise level."""
    with plotting.style():
        fig, axes = plotting.figure(3, width=3.2, height=3.1)
        ax = axes[0, 0]
        ax.scatter(res.samples_true[:, 0], res.samples_true[:, 1], s=2, color="C0", alpha=0.4,
                   label="true score")
        ax.scatter(res.samples_empirical[:, 0], res.samples_empirical[:, 1], s=14, color="C3",
                   alpha=0.3, label="empirical score")
        ax.scatter(res.train[:, 0], res.train[:, 1], s=30, facecolor="none", edgecolor="k",
                   label=f"{len(res.train)} training points")
        ax.set_aspect("equal")
        ax.set_title(f"samples at t_min = {res.t_mins[-1]:g}")
        ax.legend(loc="center", fontsize=7)
        ax = axes[0, 1]
        ax.semilogx(res.sigmas, res.fraction_memorized.mean(0), "o-", color="C3",
                    label="empirical score")
        ax.axhline(res.fraction_memorized_true.mean(), color="C0", ls="--", label="true score")
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel(r"$\sigma(t_{\min})$")
        ax.set_ylabel(r"fraction memorized ($d_1/d_2 < 1/3$)")
        ax.legend()
        ax = axes[0, 2]
        for row in res.mean_distance:
            ax.loglog(res.sigmas, row, color="C3", alpha=0.3, lw=0.8)
        in_fit = res.sigmas <= res.fit_max_sigma
        fitted = np.exp(res.fit.intercept) * res.sigmas[in_fit] ** res.fit.slope
        ax.axvspan(res.fit_max_sigma, res.sigmas.max() * 1.2, color="0.9", lw=0)
        ax.loglog(res.sigmas[in_fit], fitted, "k--", lw=1,
                  label=f"slope {res.fit.slope:.2f} [{res.fit.ci_low:.2f}, {res.fit.ci_high:.2f}]")
        ax.set_xlabel(r"$\sigma(t_{\min})$")
        ax.set_ylabel("mean distance to nearest training point")
        ax.set_title("theory: slope 1 (fit left of the grey band)")
        ax.legend()
        for a in axes[0, 1:]:
            a.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            a.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        return plotting.finish(fig, res.meta)
