r"""Chapter "Does it hold on real images?": memorization, smoothing and intrinsic dimension on the
handwritten digits bundled with scikit-learn (:func:`manifold_diffusion.data.load_digits`,
:math:`8\times8` images, :math:`d = 64`, pixel values in :math:`[0, 1]`).

Set-up, as in the score-smoothing chapter (:mod:`.score_smoothing`): the VE process with
variance :math:`t`, a geometric grid of ``n_steps - 1`` Euler--Maruyama steps from ``T`` down to
``t_min`` followed by one noise-free (Tweedie) step to 0, the closed-form empirical score, and
Gaussian score smoothing with a bandwidth constant in time, estimated with antithetic draws
fixed per score. Only ``T`` changes: :math:`\sigma_{\max} = \sqrt T = 10`, about twice the
largest distance between two digits (4.8), where the circle of that chapter used 3.

- :func:`run_intrinsic_dimension` -- TwoNN and Levina--Bickel on all digits and per class, with
  bootstrap intervals;
- :func:`run_memorization` -- the empirical score of ``N`` training digits: fraction memorized
  against ``t_min`` and ``N``;
- :func:`run_smoothing` -- smoothed empirical score against the Gaussian KDE over their
  bandwidths: memorized fraction, distance to the nearest training and held-out digits,
  intrinsic dimension of the samples;
- :func:`run_curve` -- a closed curve of rotated copies of one digit
  (:class:`~manifold_diffusion.data.RotationCurve`), isotropic against manifold-adapted
  smoothing: exact distance of the samples to the curve against distance to the training images;
- :func:`run_trained` -- a small trained score network: memorization along training;
- :func:`bandwidth_widget` -- a slider over the bandwidth showing generated digits.
"""

import dataclasses
import time
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .. import metrics, plotting, widgets
from ..data import RotationCurve, load_digits, rotation_curve_data
from ..kde import GaussianKDE
from ..processes import VE, VP, geometric_grid
from ..samplers import euler_maruyama
from ..scale import Scale
from ..scores import EmpiricalScore, SmoothedScore
from ._common import Meta, make_meta, progress

__all__ = [
    "Config", "sample_empirical", "bootstrap_dimension",
    "IDResult", "run_intrinsic_dimension", "plot_intrinsic_dimension",
    "MemorizationResult", "run_memorization", "plot_memorization", "plot_memorized_pairs",
    "SampleStats", "sample_stats", "SmoothingResult", "run_smoothing", "plot_smoothing",
    "plot_smoothing_grids", "plot_domains", "at_novelty",
    "CurveResult", "run_curve", "curve_at_novelty", "plot_curve", "plot_curve_grids",
    "TrainedResult", "run_trained", "plot_trained", "plot_trained_samples",
    "DigitsFrame", "digits_frame", "plot_digits_frame", "bandwidth_widget",
]


@dataclasses.dataclass(frozen=True)
class Config:
    r"""Sizes of the chapter's experiments (frozen and hashable).

    Attributes:
      test_fraction: share of the 1,797 digits held out.
      T, n_steps, t_min: VE terminal time, sampler steps, last positive time (see the module
        docstring).
      id_bootstrap, id_neighbors: bootstrap resamples of the intrinsic-dimension estimates and
        the neighbours :math:`K` of Levina--Bickel.
      mem_sizes, mem_t_mins, mem_samples: training-set sizes ``N``, last times and samples of the
        memorization experiment.
      n_train, n_samples, n_draws, bandwidths, kde_bandwidths, k_test: the smoothing sweep: its
        training-set size, samples, Monte Carlo draws (antithetic), score-smoothing and KDE
        bandwidths, and the neighbours averaged in the distance to the held-out digits.
      target_novelty: mean distance to the nearest training digit at which smoothing and the KDE
        are compared.
      curve_class, curve_n, curve_samples, curve_draws, curve_table: the rotation curve: the
        class of the digit turned (the first training digit of that class), the number of
        training images along it, samples, draws and the tabulated points of the adapted kernel.
      curve_reach: compute the reach of the curve (a few seconds) for the caption.
      iso_bandwidths, adapted_bandwidths: bandwidths of isotropic and manifold-adapted smoothing.
      widget_samples, widget_draws: one frame of the bandwidth widget.
      train_n, train_steps, train_checkpoints, train_samples: the trained score (part 6).
      scale: the scale these sizes belong to.
    """

    test_fraction: float = 0.25
    T: float = 100.0
    n_steps: int = 100
    t_min: float = 1e-6
    id_bootstrap: int = 500
    id_neighbors: int = 10
    mem_sizes: tuple[int, ...] = (100, 300, 1000)
    mem_t_mins: tuple[float, ...] = (1e-6, 1e-4, 1e-3, 1e-2, 3e-2, 1e-1, 3e-1)
    mem_samples: int = 200
    n_train: int = 1000
    n_samples: int = 200
    n_draws: int = 32
    bandwidths: tuple[float, ...] = (0.0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
    kde_bandwidths: tuple[float, ...] = (0.02, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3)
    k_test: int = 5
    target_novelty: float = 0.6
    curve_class: int = 2
    curve_n: int = 16
    curve_samples: int = 100
    curve_draws: int = 32
    curve_table: int = 512
    curve_reach: bool = True
    iso_bandwidths: tuple[float, ...] = (0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)
    adapted_bandwidths: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)
    widget_samples: int = 36
    widget_draws: int = 16
    train_n: int = 300
    train_steps: int = 6000
    train_checkpoints: int = 3
    train_samples: int = 200
    scale: str = "default"

    @classmethod
    def at_scale(cls, scale: str) -> "Config":
        """The configuration for ``scale`` (``quick``, ``default`` or ``large``)."""
        if scale == "quick":
            return cls(scale="quick", id_bootstrap=50, mem_sizes=(50, 200),
                       mem_t_mins=(1e-6, 1e-2, 1e-1), mem_samples=48, n_train=300, n_samples=48,
                       n_draws=8, bandwidths=(0.0, 0.3, 0.5), kde_bandwidths=(0.05, 0.2),
                       curve_samples=32, curve_draws=8, curve_table=256, curve_reach=False,
                       iso_bandwidths=(0.0, 0.6, 1.0), adapted_bandwidths=(0.0, 1.0, 2.0),
                       widget_samples=16, widget_draws=8, train_n=100, train_steps=100,
                       train_checkpoints=2, train_samples=48)
        if scale == "default":
            return cls()
        if scale == "large":
            return cls(scale="large", id_bootstrap=2000, mem_sizes=(30, 100, 300, 1000, 1348),
                       mem_samples=2000, n_train=1348, n_samples=2000, n_draws=512,
                       curve_samples=2000, curve_draws=256, curve_table=2048,
                       train_n=1000, train_steps=60000, train_checkpoints=10, train_samples=2000)
        raise ValueError(f"scale: expected 'quick', 'default' or 'large', got {scale!r}")

    def grid(self, t_min: float | None = None):
        """``n_steps - 1`` geometric steps from ``T`` to ``t_min`` (default ``self.t_min``), then
        a noise-free step to 0."""
        return geometric_grid(self.T, self.t_min if t_min is None else t_min, self.n_steps - 1,
                              include_zero=True)

    def process(self) -> VE:
        """The VE process with terminal time ``T``."""
        return VE(T=self.T)


def sample_empirical(key, score_fn, n: int, cfg: Config, t_min: float | None = None,
                     process=None):
    """``n`` samples of the reverse SDE of ``process`` (default the VE process of ``cfg``) with
    ``score_fn``: ``cfg.n_steps - 1`` geometric steps from ``process.T`` to ``t_min`` (default
    ``cfg.t_min``), then a noise-free step to 0; ``(n, 64)``."""
    k_prior, k_sde = jax.random.split(key)
    process = cfg.process() if process is None else process
    grid = geometric_grid(process.T, cfg.t_min if t_min is None else t_min, cfg.n_steps - 1,
                          include_zero=True)
    x_T = process.prior_sample(k_prior, (n, 64))
    return euler_maruyama(k_sde, score_fn, x_T, grid, process)


# --- 1. intrinsic dimension ----------------------------------------------------------------------

def bootstrap_dimension(key, estimate: metrics.IntrinsicDimension, n_resamples: int):
    r"""Percentile 95 % interval of an intrinsic-dimension estimate, by resampling its per-point
    terms (TwoNN: :math:`\log\mu_i`, :math:`\hat k = (n-1)/\sum\log\mu_i`; Levina--Bickel:
    the local inverse estimates, :math:`\hat k = 1/\operatorname{mean}(1/\hat k_i)`). The
    neighbours are found once; resampling points themselves would create duplicates, which
    the estimators must discard. Returns ``(low, high)``."""
    local = np.asarray(estimate.local, np.float64)
    n = local.shape[0]
    idx = np.asarray(jax.random.randint(key, (n_resamples, n), 0, n))
    if estimate.method == "two_nn_mle":
        values = (n - 1) / np.sum(local[idx], axis=1)
    elif estimate.method == "levina_bickel":
        values = 1.0 / np.mean(1.0 / local[idx], axis=1)
    else:
        raise ValueError(f"estimate: expected a two_nn (mle) or levina_bickel estimate, got "
                         f"{estimate.method!r}")
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


class IDResult(NamedTuple):
    """Intrinsic dimension of the digits, overall (row 0) and per class (rows 1..10).

    Attributes: groups: ``(11,)`` names ("all", "0", ..., "9"). sizes: ``(11,)`` images.
    two_nn, two_nn_ci: ``(11,)`` and ``(11, 2)``. levina_bickel, levina_bickel_ci: likewise.
    meta.
    """

    groups: tuple
    sizes: np.ndarray
    two_nn: np.ndarray
    two_nn_ci: np.ndarray
    levina_bickel: np.ndarray
    levina_bickel_ci: np.ndarray
    meta: Meta


def run_intrinsic_dimension(key, cfg: Config) -> IDResult:
    """TwoNN (MLE) and Levina--Bickel (``cfg.id_neighbors``) on all 1,797 digits and on each class."""
    start = time.perf_counter()
    k_split, k_boot = jax.random.split(key)
    split = load_digits(k_split, test_fraction=cfg.test_fraction)
    images = np.concatenate([np.asarray(split.train), np.asarray(split.test)])
    labels = np.concatenate([np.asarray(split.train_labels), np.asarray(split.test_labels)])
    groups = ("all",) + tuple(str(c) for c in range(10))
    # every class is cut to the size of the smallest, so that the per-class estimates (which
    # depend on the number of points through the neighbour distances) are comparable
    per_class = int(min(np.sum(labels == c) for c in range(10)))
    rows = {"sizes": [], "tn": [], "tn_ci": [], "lb": [], "lb_ci": []}
    for g, name in enumerate(groups):
        pts = images if name == "all" else images[labels == int(name)][:per_class]
        tn = metrics.two_nn(pts)
        lb = metrics.levina_bickel(pts, cfg.id_neighbors)
        kt, kl = jax.random.split(jax.random.fold_in(k_boot, g))
        rows["sizes"].append(pts.shape[0])
        rows["tn"].append(tn.dimension)
        rows["tn_ci"].append(bootstrap_dimension(kt, tn, cfg.id_bootstrap))
        rows["lb"].append(lb.dimension)
        rows["lb_ci"].append(bootstrap_dimension(kl, lb, cfg.id_bootstrap))
    sizes = {"images": images.shape[0], "d": 64, "K": cfg.id_neighbors, "bootstrap": cfg.id_bootstrap}
    meta = make_meta("digits intrinsic dimension", sizes, key, start, cfg.scale)
    return IDResult(groups, np.asarray(rows["sizes"]), np.asarray(rows["tn"]),
                    np.asarray(rows["tn_ci"]), np.asarray(rows["lb"]), np.asarray(rows["lb_ci"]),
                    meta)


def plot_intrinsic_dimension(res: IDResult):
    """Both estimates with their bootstrap intervals, overall and per class."""
    with plotting.style():
        fig, axes = plotting.figure(1, width=6.4, height=2.8)
        ax = axes[0, 0]
        pos = np.arange(len(res.groups))
        for off, val, ci, lab in ((-0.12, res.two_nn, res.two_nn_ci, "TwoNN (MLE)"),
                                  (0.12, res.levina_bickel, res.levina_bickel_ci,
                                   "Levina–Bickel")):
            ax.errorbar(pos + off, val, yerr=np.abs(ci.T - val[None, :]), fmt="o", capsize=2,
                        label=lab)
        ax.set_xticks(pos, [f"{g}\n(n={n})" for g, n in zip(res.groups, res.sizes)], fontsize=7)
        ax.set_ylabel("intrinsic dimension")
        ax.set_ylim(0, None)
        ax.set_title("ambient dimension 64")
        ax.legend()
        return plotting.finish(fig, res.meta, "bars: 95 % bootstrap intervals (per-point terms "
                               "resampled)")


# --- 2. the empirical score memorizes ------------------------------------------------------------

class MemorizationResult(NamedTuple):
    """Empirical-score samples of ``N`` training digits.

    Attributes: sizes: ``(p,)`` values of ``N``. t_mins: ``(q,)``. memorized: ``(p, q)``
    fraction with :math:`d_1/d_2 < 1/3`. nearest: ``(p, q)`` mean distance to the nearest
    training digit. test_nearest: ``(p, q)`` mean distance to the nearest held-out digit.
    samples: ``(q, 12, 64)`` the first 12 samples for the largest ``N`` at each ``t_min``;
    neighbours: ``(q, 12, 64)`` their nearest training digits. meta.
    """

    sizes: np.ndarray
    t_mins: np.ndarray
    memorized: np.ndarray
    nearest: np.ndarray
    test_nearest: np.ndarray
    samples: np.ndarray
    neighbours: np.ndarray
    meta: Meta


def run_memorization(key, cfg: Config) -> MemorizationResult:
    """Sample ``cfg.mem_samples`` digits with the empirical score of the first ``N`` training
    digits, for each ``N`` in ``cfg.mem_sizes`` and last time in ``cfg.mem_t_mins`` (common
    random numbers across both; the training sets are nested)."""
    start = time.perf_counter()
    k_split, k_sample = jax.random.split(key)
    split = load_digits(k_split, test_fraction=cfg.test_fraction)
    p, q = len(cfg.mem_sizes), len(cfg.mem_t_mins)
    mem, near, test_near = np.zeros((p, q)), np.zeros((p, q)), np.zeros((p, q))
    shown, neigh = [], []
    for a, n in enumerate(progress(cfg.mem_sizes, desc="memorization: N")):
        data = split.train[:n]
        emp = EmpiricalScore(data, cfg.process())
        for b, t_min in enumerate(cfg.mem_t_mins):
            x = sample_empirical(k_sample, emp, cfg.mem_samples, cfg, t_min)
            rep = metrics.memorization_report(x, data)
            mem[a, b] = float(rep.fraction_memorized)
            near[a, b] = float(jnp.mean(rep.nearest_distance))
            test_near[a, b] = float(jnp.mean(metrics.nearest_neighbors(x, split.test, k=1).distances))
            if a == p - 1:
                shown.append(np.asarray(x[:12]))
                neigh.append(np.asarray(data[rep.nearest_index[:12]]))
    sizes = {"N": "/".join(map(str, cfg.mem_sizes)), "b": cfg.mem_samples, "steps": cfg.n_steps,
             "T": cfg.T}
    meta = make_meta("digits: empirical score memorizes", sizes, key, start, cfg.scale)
    return MemorizationResult(np.asarray(cfg.mem_sizes), np.asarray(cfg.mem_t_mins), mem, near,
                              test_near, np.stack(shown), np.stack(neigh), meta)


def plot_memorization(res: MemorizationResult, spacing: float | None = None):
    """Fraction memorized and mean distance to the nearest training digit against ``t_min``."""
    with plotting.style():
        fig, axes = plotting.figure(2, width=3.2, height=2.8)
        for a, n in enumerate(res.sizes):
            axes[0, 0].plot(res.t_mins, res.memorized[a], "o-", label=f"N = {n}")
            axes[0, 1].plot(res.t_mins, res.nearest[a], "o-", label=f"N = {n}")
        axes[0, 0].set_ylabel("fraction memorized ($d_1/d_2 < 1/3$)")
        axes[0, 1].set_ylabel("mean distance to nearest training digit")
        if spacing is not None:
            axes[0, 1].axhline(spacing, color="0.5", ls=":", lw=1,
                               label="held-out digit to nearest training digit")
        for ax in axes[0]:
            ax.set_xscale("log")
            ax.set_xlabel(r"last time $t_{\min}$ (noise std $\sqrt{t_{\min}}$)")
            ax.legend(fontsize=7)
        return plotting.finish(fig, res.meta, "last step noise-free (Tweedie denoiser at t_min)")


def plot_memorized_pairs(res: MemorizationResult, index: int = 0):
    """Generated digits (top) above their nearest training digits (bottom), at ``t_mins[index]``."""
    with plotting.style():
        fig, axes = plotting.figure(1, 2, width=6.0, height=1.1)
        plotting.image_grid(axes[0, 0], res.samples[index], ncols=12,
                            title=f"generated (N = {res.sizes[-1]}, t_min = {res.t_mins[index]:g})")
        plotting.image_grid(axes[1, 0], res.neighbours[index], ncols=12,
                            title="nearest training digit")
        return plotting.finish(fig, res.meta)


# --- 3 and 4. smoothing against the KDE --------------------------------------------------------

class SampleStats(NamedTuple):
    """Statistics of ``b`` generated digits (all scalars).

    Attributes: memorized: fraction with :math:`d_1/d_2<1/3`. train: mean distance to the nearest
    training digit. test: mean distance to the nearest held-out digit. test_k: mean distance to
    the ``k`` nearest held-out digits (a distance to the data manifold). two_nn, levina_bickel:
    intrinsic dimension of the samples. two_nn_fit: TwoNN by Facco et al.'s regression, which
    leaves out the largest 10 % of the ratios :math:`r_2/r_1` (robust to near-duplicates).
    """

    memorized: float
    train: float
    test: float
    test_k: float
    two_nn: float
    levina_bickel: float
    two_nn_fit: float


def sample_stats(x, train, test, k: int = 5, n_neighbors: int = 10) -> SampleStats:
    """:class:`SampleStats` of samples ``x`` (``(b, 64)``) against ``train`` and ``test``."""
    rep = metrics.memorization_report(x, train)
    nb = metrics.nearest_neighbors(x, test, k=k)
    try:
        tn = metrics.two_nn(x).dimension
        fit = metrics.two_nn(x, method="fit").dimension
    except ValueError:                      # all samples identical
        tn = fit = float("nan")
    try:
        lb = metrics.levina_bickel(x, n_neighbors).dimension
    except ValueError:
        lb = float("nan")
    return SampleStats(float(rep.fraction_memorized), float(jnp.mean(rep.nearest_distance)),
                       float(jnp.mean(nb.distances[:, 0])), float(jnp.mean(nb.distances)), tn, lb,
                       fit)


class SmoothingResult(NamedTuple):
    """Score smoothing and the KDE on ``n`` training digits.

    Attributes: bandwidths: ``(m,)``; smooth: ``(m, 7)`` :class:`SampleStats` rows.
    kde_bandwidths: ``(p,)``; kde: ``(p, 7)``. reference: ``(2, 7)`` the same statistics for
    ``b`` held-out digits (row 0) and for ``b`` training digits, i.e. perfect copies (row 1).
    samples: ``(m, 12, 64)`` the first 12 smoothed samples per bandwidth; kde_samples:
    ``(p, 12, 64)``. meta.
    """

    bandwidths: np.ndarray
    smooth: np.ndarray
    kde_bandwidths: np.ndarray
    kde: np.ndarray
    reference: np.ndarray
    samples: np.ndarray
    kde_samples: np.ndarray
    meta: Meta


def run_smoothing(key, cfg: Config) -> SmoothingResult:
    """Smoothed empirical score of ``cfg.n_train`` digits at each of ``cfg.bandwidths`` (prior,
    sampler noise and kernel draws shared across bandwidths) and the Gaussian KDE at each of
    ``cfg.kde_bandwidths``, with the same ``cfg.n_samples``."""
    start = time.perf_counter()
    k_split, k_draws, k_sample, k_kde, k_ref = jax.random.split(key, 5)
    split = load_digits(k_split, test_fraction=cfg.test_fraction, n_train=cfg.n_train)
    emp = EmpiricalScore(split.train, cfg.process())
    b = cfg.n_samples

    def stats(x):
        return np.asarray(sample_stats(x, split.train, split.test, cfg.k_test, cfg.id_neighbors))

    smooth, shown = [], []
    for h in progress(cfg.bandwidths, desc="smoothing: bandwidth"):
        x = sample_empirical(k_sample, SmoothedScore(emp, h, cfg.n_draws, k_draws), b, cfg)
        smooth.append(stats(x))
        shown.append(np.asarray(x[:12]))
    kde, kde_shown = [], []
    for j, h in enumerate(cfg.kde_bandwidths):
        x = GaussianKDE(split.train, h).sample(jax.random.fold_in(k_kde, j), b)
        kde.append(stats(x))
        kde_shown.append(np.asarray(x[:12]))
    # references: held-out digits (a sample as good as new data), and exact copies
    k_held, k_copy = jax.random.split(k_ref)
    n_test = split.test.shape[0]
    n_held = min(b, n_test // 2)
    perm = np.asarray(jax.random.permutation(k_held, n_test))
    held, others = split.test[perm[:n_held]], split.test[perm[n_held:]]
    ref_held = sample_stats(held, split.train, others, cfg.k_test, cfg.id_neighbors)
    copies = split.train[jax.random.permutation(k_copy, split.train.shape[0])[:b]]
    ref_copy = sample_stats(copies, split.train, split.test, cfg.k_test, cfg.id_neighbors)
    sizes = {"N": cfg.n_train, "b": b, "M": cfg.n_draws, "steps": cfg.n_steps, "T": cfg.T,
             "t_min": cfg.t_min, "test": split.test.shape[0]}
    meta = make_meta("digits: smoothing vs KDE", sizes, key, start, cfg.scale)
    return SmoothingResult(np.asarray(cfg.bandwidths), np.stack(smooth),
                           np.asarray(cfg.kde_bandwidths), np.stack(kde),
                           np.stack([np.asarray(ref_held), np.asarray(ref_copy)]),
                           np.stack(shown), np.stack(kde_shown), meta)


def at_novelty(novelty, value, target: float) -> float:
    """``value`` linearly interpolated where ``novelty == target`` (NaN outside its range)."""
    order = np.argsort(novelty)
    g, v = np.asarray(novelty)[order], np.asarray(value)[order]
    if not g[0] <= target <= g[-1]:
        return float("nan")
    return float(np.interp(target, g, v))


def plot_smoothing(res: SmoothingResult):
    """Against the bandwidth: memorized fraction; distances to training and held-out digits;
    intrinsic dimension of the samples, with the KDE beside (its own bandwidth axis)."""
    held, copy = res.reference
    with plotting.style():
        fig, axes = plotting.figure(3, width=2.9, height=2.8)
        ax = axes[0, 0]
        ax.plot(res.bandwidths, res.smooth[:, 0], "o-", label="score smoothing")
        ax.plot(res.kde_bandwidths, res.kde[:, 0], "s--", label="KDE")
        ax.set_ylabel("fraction memorized")
        ax.legend(fontsize=7)
        ax = axes[0, 1]
        ax.plot(res.bandwidths, res.smooth[:, 1], "o-", color="C0", label="to nearest training")
        ax.plot(res.bandwidths, res.smooth[:, 2], "o:", color="C2", label="to nearest held-out")
        ax.axhline(copy[2], color="C3", ls="--", lw=1, label="a copy to nearest held-out")
        ax.axhline(held[1], color="0.5", ls=":", lw=1, label="held-out to nearest training")
        ax.set_ylabel("mean distance (score smoothing)")
        ax.legend(fontsize=6.5)
        ax = axes[0, 2]
        ax.plot(res.bandwidths, res.smooth[:, 4], "o-", color="C0", label="smoothing, TwoNN")
        ax.plot(res.bandwidths, res.smooth[:, 5], "o:", color="C0", label="smoothing, L–B")
        ax.plot(res.kde_bandwidths, res.kde[:, 4], "s-", color="C1", label="KDE, TwoNN")
        ax.plot(res.kde_bandwidths, res.kde[:, 5], "s:", color="C1", label="KDE, L–B")
        ax.axhline(held[4], color="0.5", ls="--", lw=1, label="held-out digits, TwoNN")
        ax.set_ylabel("intrinsic dimension of samples")
        ax.legend(fontsize=6.5, loc="upper left")
        for ax in axes[0]:
            ax.set_xlabel("bandwidth $h$")
        return plotting.finish(fig, res.meta, f"same number of points in every estimate (b); "
                               "KDE bandwidths on the same axis")


def plot_smoothing_grids(res: SmoothingResult, bandwidths=None, kde_bandwidths=None):
    """Small multiples: 12 generated digits per bandwidth (score smoothing, then the KDE)."""
    hs = list(res.bandwidths) if bandwidths is None else list(bandwidths)
    ks = list(res.kde_bandwidths) if kde_bandwidths is None else list(kde_bandwidths)
    rows = [("smoothing", int(np.argmin(np.abs(res.bandwidths - h))), res.samples, res.smooth,
             res.bandwidths) for h in hs]
    rows += [("KDE", int(np.argmin(np.abs(res.kde_bandwidths - h))), res.kde_samples, res.kde,
              res.kde_bandwidths) for h in ks]
    with plotting.style():
        fig, axes = plotting.figure(1, len(rows), width=6.0, height=0.95)
        for ax, (name, i, samples, st, bw) in zip(axes[:, 0], rows):
            plotting.image_grid(ax, samples[i], ncols=12, value_range=(0.0, 1.0))
            ax.set_title(f"{name}, h = {bw[i]:g}: memorized {st[i, 0]:.2f}, to train "
                         f"{st[i, 1]:.2f}, to held-out {st[i, 2]:.2f}", fontsize=7.5)
        return plotting.finish(fig, res.meta)


def plot_domains(res: SmoothingResult, target: float | None = None):
    """Distance to the data manifold (mean distance to the ``k`` nearest held-out digits) against
    novelty (mean distance to the nearest training digit), for both kinds of smoothing."""
    held, copy = res.reference
    with plotting.style():
        fig, axes = plotting.figure(1, width=4.2, height=3.2)
        ax = axes[0, 0]
        ax.plot(res.smooth[:, 1], res.smooth[:, 3], "o-", label="score smoothing (log domain)")
        for h, x, y in zip(res.bandwidths, res.smooth[:, 1], res.smooth[:, 3]):
            ax.annotate(f"{h:g}", (x, y), fontsize=6, xytext=(3, -8), textcoords="offset points")
        ax.plot(res.kde[:, 1], res.kde[:, 3], "s--", label="KDE (density domain)")
        for h, x, y in zip(res.kde_bandwidths, res.kde[:, 1], res.kde[:, 3]):
            ax.annotate(f"{h:g}", (x, y), fontsize=6, xytext=(3, 3), textcoords="offset points")
        ax.plot([held[1]], [held[3]], "*", ms=11, color="C2", label="held-out digits")
        if target is not None:
            ax.axvline(target, color="0.6", ls=":", lw=1, label="matched novelty")
        ax.set_xlabel("mean distance to nearest training digit (novelty)")
        ax.set_ylabel("mean distance to 5 nearest held-out digits")
        ax.legend(fontsize=7)
        return plotting.finish(fig, res.meta, "labels: bandwidths")


# --- 5. a digit turned through a full turn ---------------------------------------------------

class CurveResult(NamedTuple):
    """Isotropic against manifold-adapted smoothing on the rotation curve of one digit.

    Attributes: train: ``(n, 64)`` training images on the curve. curve_length, reach: of the
    curve (reach NaN when not computed). iso_bandwidths: ``(m,)``; iso: ``(m, 4)`` rows (fraction memorized, mean distance to
    the nearest training image, mean exact distance to the curve, gap-centre fraction: share of
    samples whose angle lies in the central half of the arcs between training angles).
    adapted_bandwidths: ``(p,)``; adapted: ``(p, 4)``. iso_samples: ``(m, 12, 64)``;
    adapted_samples: ``(p, 12, 64)``. meta.
    """

    train: np.ndarray
    curve_length: float
    reach: float
    iso_bandwidths: np.ndarray
    iso: np.ndarray
    adapted_bandwidths: np.ndarray
    adapted: np.ndarray
    iso_samples: np.ndarray
    adapted_samples: np.ndarray
    meta: Meta


def _curve_stats(curve, x, train, n):
    rep = metrics.memorization_report(x, train)
    angle = np.asarray(curve.nearest_parameter(x))
    frac = np.mod(angle, 2 * np.pi / n) / (2 * np.pi / n)
    return (float(rep.fraction_memorized), float(jnp.mean(rep.nearest_distance)),
            float(jnp.mean(curve.distance(x))), float(np.mean((frac >= 0.25) & (frac < 0.75))))


def run_curve(key, cfg: Config) -> CurveResult:
    """Train on ``cfg.curve_n`` images equally spaced in angle on the rotation curve of the first
    training digit of class ``cfg.curve_class``; sample with isotropic and with manifold-adapted
    smoothing (re-projection onto ``cfg.curve_table`` tabulated curve points, as in the paper's
    code); measure the exact distance of the samples to the curve."""
    start = time.perf_counter()
    k_split, k_draws, k_sample = jax.random.split(key, 3)
    split = load_digits(k_split, test_fraction=cfg.test_fraction)
    first = int(np.flatnonzero(np.asarray(split.train_labels) == cfg.curve_class)[0])
    curve = RotationCurve(split.train[first])
    table = curve.tabulated(cfg.curve_table)
    train = rotation_curve_data(curve, cfg.curve_n)
    emp = EmpiricalScore(train, cfg.process())
    out = {}
    for tag, hs, kw in (("iso", cfg.iso_bandwidths, {}),
                        ("adapted", cfg.adapted_bandwidths, {"manifold": table})):
        rows, shown = [], []
        for h in progress(hs, desc=f"rotation curve: {tag}"):
            x = sample_empirical(k_sample, SmoothedScore(emp, h, cfg.curve_draws, k_draws, **kw),
                                 cfg.curve_samples, cfg)
            rows.append(_curve_stats(curve, x, train, cfg.curve_n))
            shown.append(np.asarray(x[:12]))
        out[tag] = (np.asarray(rows), np.stack(shown))
    sizes = {"n": cfg.curve_n, "b": cfg.curve_samples, "M": cfg.curve_draws,
             "table": cfg.curve_table, "steps": cfg.n_steps, "T": cfg.T}
    meta = make_meta("digits: rotation curve", sizes, key, start, cfg.scale)
    reach = curve.reach if cfg.curve_reach else float("nan")
    return CurveResult(np.asarray(train), curve.length, reach, np.asarray(cfg.iso_bandwidths),
                       out["iso"][0], np.asarray(cfg.adapted_bandwidths), out["adapted"][0],
                       out["iso"][1], out["adapted"][1], meta)


def curve_at_novelty(res: CurveResult, target: float | None = None):
    """Mean distance to the curve of both kernels interpolated at one mean distance to the
    training images (default: the largest that both reach). Returns
    ``(target, isotropic, adapted)``."""
    if target is None:
        target = float(min(res.iso[:, 1].max(), res.adapted[:, 1].max()))
    return (target, at_novelty(res.iso[:, 1], res.iso[:, 2], target),
            at_novelty(res.adapted[:, 1], res.adapted[:, 2], target))


def plot_curve(res: CurveResult):
    """Distance to the curve against distance to the nearest training image, and the memorized
    and gap-centre fractions against the bandwidth, for both kernels."""
    with plotting.style():
        fig, axes = plotting.figure(2, width=3.3, height=2.9)
        ax = axes[0, 0]
        for tag, hs, st, mk in (("isotropic", res.iso_bandwidths, res.iso, "o-"),
                                ("manifold-adapted", res.adapted_bandwidths, res.adapted, "s-")):
            ax.plot(st[:, 1], st[:, 2], mk, label=tag)
            for h, x, y in zip(hs, st[:, 1], st[:, 2]):
                ax.annotate(f"{h:g}", (x, y), fontsize=6, xytext=(3, 3), textcoords="offset points")
        lim = max(res.iso[:, 1].max(), res.adapted[:, 1].max())
        ax.plot([0, lim], [0, lim], color="0.6", ls=":", lw=1, label="1 : 1")
        ax.set_xlabel("mean distance to nearest training image")
        ax.set_ylabel("mean distance to the curve (exact)")
        ax.legend(fontsize=7)
        ax = axes[0, 1]
        ax.plot(res.iso_bandwidths, res.iso[:, 0], "o-", color="C0", label="memorized, isotropic")
        ax.plot(res.iso_bandwidths, res.iso[:, 3], "o:", color="C0", label="gap-centre, isotropic")
        ax.plot(res.adapted_bandwidths, res.adapted[:, 0], "s-", color="C1",
                label="memorized, adapted")
        ax.plot(res.adapted_bandwidths, res.adapted[:, 3], "s:", color="C1",
                label="gap-centre, adapted")
        ax.axhline(0.5, color="0.6", ls=":", lw=1)
        ax.set_xlabel("bandwidth $h$")
        ax.set_ylabel("fraction of samples")
        ax.legend(fontsize=6.5)
        return plotting.finish(fig, res.meta, f"curve length {res.curve_length:.1f}, reach "
                               f"{res.reach:.2f}; labels: bandwidths")


def plot_curve_grids(res: CurveResult, iso=None, adapted=None):
    """The training images, then 12 samples per chosen bandwidth of each kernel."""
    iso = list(res.iso_bandwidths) if iso is None else list(iso)
    adapted = list(res.adapted_bandwidths) if adapted is None else list(adapted)
    rows = [("isotropic", res.iso_bandwidths, res.iso, res.iso_samples, h) for h in iso]
    rows += [("adapted", res.adapted_bandwidths, res.adapted, res.adapted_samples, h)
             for h in adapted]
    with plotting.style():
        fig, axes = plotting.figure(1, len(rows) + 1, width=6.0, height=0.95)
        plotting.image_grid(axes[0, 0], res.train, ncols=max(12, res.train.shape[0]))
        axes[0, 0].set_title(f"the {res.train.shape[0]} training images along the curve",
                             fontsize=7.5)
        for ax, (name, hs, st, samples, h) in zip(axes[1:, 0], rows):
            i = int(np.argmin(np.abs(hs - h)))
            plotting.image_grid(ax, samples[i], ncols=12)
            ax.set_title(f"{name}, h = {hs[i]:g}: memorized {st[i, 0]:.2f}, to train "
                         f"{st[i, 1]:.2f}, to curve {st[i, 2]:.2f}", fontsize=7.5)
        return plotting.finish(fig, res.meta)


# --- 6. a trained score ------------------------------------------------------------------------

class TrainedResult(NamedTuple):
    """A small score network trained on ``n`` digits, sampled at checkpoints.

    Attributes: steps: ``(c,)`` training steps of the checkpoints (0 excluded). stats: ``(c, 7)``
    :class:`SampleStats` rows. empirical: ``(7,)`` the same for the empirical score of the same
    digits at the same ``t_min``. loss: ``(n_steps,)`` training loss. samples: ``(c, 12, 64)``.
    t_min: last positive time of training and sampling. meta.
    """

    steps: np.ndarray
    stats: np.ndarray
    empirical: np.ndarray
    loss: np.ndarray
    samples: np.ndarray
    t_min: float
    meta: Meta


def run_trained(key, cfg: Config, *, t_min: float = 1e-3, width: int = 256, depth: int = 2,
                learning_rate: float = 2e-3, batch_size: int = 128, vp_T: float = 2.5) -> TrainedResult:
    r"""Train the training chapter's noise-prediction MLP (:func:`manifold_diffusion.training.train_mlp`)
    on ``cfg.train_n`` digits for ``cfg.train_steps`` Adam steps under the VP (Ornstein--Uhlenbeck)
    process with ``T = vp_T`` (the network takes unnormalised inputs, which the VE process at
    :math:`\sigma_{\max} = 10` would make a hundred times larger than the data; training times are
    uniform on :math:`(t_{\min}, T)`, so a smaller ``T`` spends more of the budget where the
    digits take shape, while :math:`\alpha_T = e^{-2.5} = 0.08` still makes the prior
    :math:`N(0, I)` close to the noised data), and sample
    ``cfg.train_samples`` digits at each of ``cfg.train_checkpoints`` checkpoints (grid to
    ``t_min``, the smallest training time, then a noise-free step)."""
    from .. import training

    start = time.perf_counter()
    k_split, k_train, k_sample = jax.random.split(key, 3)
    split = load_digits(k_split, test_fraction=cfg.test_fraction, n_train=cfg.train_n)
    process = VP(T=vp_T)
    score_fn, result = training.train_mlp(k_train, split.train, process, n_steps=cfg.train_steps,
                                          width=width, depth=depth, learning_rate=learning_rate,
                                          batch_size=batch_size, t_min=t_min,
                                          n_checkpoints=cfg.train_checkpoints)

    def stats(x):
        return np.asarray(sample_stats(x, split.train, split.test, cfg.k_test, cfg.id_neighbors))

    rows, shown = [], []
    steps = np.asarray(result.checkpoint_steps)[1:]
    for c in progress(range(1, len(steps) + 1), desc="trained score: checkpoint"):
        fn = training.score_function(score_fn.model, training.select(result.checkpoints, c), process)
        x = sample_empirical(k_sample, fn, cfg.train_samples, cfg, t_min, process)
        rows.append(stats(x))
        shown.append(np.asarray(x[:12]))
    x = sample_empirical(k_sample, EmpiricalScore(split.train, process), cfg.train_samples, cfg,
                         t_min, process)
    sizes = {"N": cfg.train_n, "steps": cfg.train_steps, "width": width, "depth": depth,
             "batch": batch_size, "b": cfg.train_samples, "t_min": t_min, "VP T": vp_T}
    meta = make_meta("digits: trained score", sizes, key, start, cfg.scale)
    return TrainedResult(steps, np.stack(rows), stats(x), np.asarray(result.loss), np.stack(shown),
                         float(t_min), meta)


def plot_trained(res: TrainedResult):
    """Memorized fraction and distances to training and held-out digits along training, with the
    empirical score of the same digits (dashed)."""
    with plotting.style():
        fig, axes = plotting.figure(3, width=2.9, height=2.7)
        ax = axes[0, 0]
        ax.plot(np.arange(1, res.loss.shape[0] + 1), res.loss, color="C0", lw=0.5, alpha=0.6)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("training step")
        ax.set_ylabel("minibatch DSM loss")
        ax = axes[0, 1]
        ax.plot(res.steps, res.stats[:, 0], "o-", label="trained MLP")
        ax.axhline(res.empirical[0], color="C3", ls="--", lw=1, label="empirical score")
        ax.set_xlabel("training step")
        ax.set_ylabel("fraction memorized")
        ax.set_ylim(-0.03, 1.03)
        ax.legend(fontsize=7)
        ax = axes[0, 2]
        ax.plot(res.steps, res.stats[:, 1], "o-", color="C0", label="to nearest training")
        ax.plot(res.steps, res.stats[:, 2], "s:", color="C2", label="to nearest held-out")
        ax.axhline(res.empirical[2], color="C3", ls="--", lw=1,
                   label="empirical score, to held-out")
        ax.set_xlabel("training step")
        ax.set_ylabel("mean distance")
        ax.legend(fontsize=6.5)
        return plotting.finish(fig, res.meta)


def plot_trained_samples(res: TrainedResult):
    """12 samples of the trained score at each checkpoint."""
    with plotting.style():
        fig, axes = plotting.figure(1, len(res.steps), width=6.0, height=0.95)
        for ax, step, samples, st in zip(axes[:, 0], res.steps, res.samples, res.stats):
            plotting.image_grid(ax, samples, ncols=12)
            ax.set_title(f"step {step}: memorized {st[0]:.2f}, to train {st[1]:.2f}, to held-out "
                         f"{st[2]:.2f}", fontsize=7.5)
        return plotting.finish(fig, res.meta)


# --- the bandwidth widget ----------------------------------------------------------------------

class DigitsFrame(NamedTuple):
    """One frame of :func:`bandwidth_widget`: generated digits at one bandwidth.

    Attributes: bandwidth. samples: ``(b, 64)``. neighbours: ``(b, 64)`` their nearest training
    digits. memorized, train, test: as in :class:`SampleStats`. meta.
    """

    bandwidth: float
    samples: np.ndarray
    neighbours: np.ndarray
    memorized: float
    train: float
    test: float
    meta: Meta


def digits_frame(key, cfg: Config, bandwidth: float) -> DigitsFrame:
    """``cfg.widget_samples`` digits from the smoothed score of ``cfg.n_train`` training digits
    with ``cfg.widget_draws`` draws (the keys depend on ``key`` only: frames share their noise)."""
    start = time.perf_counter()
    k_split, k_draws, k_sample = jax.random.split(key, 3)
    split = load_digits(k_split, test_fraction=cfg.test_fraction, n_train=cfg.n_train)
    score = SmoothedScore(EmpiricalScore(split.train, cfg.process()), bandwidth, cfg.widget_draws,
                          k_draws)
    x = sample_empirical(k_sample, score, cfg.widget_samples, cfg)
    rep = metrics.memorization_report(x, split.train)
    test = metrics.nearest_neighbors(x, split.test, k=1).distances[:, 0]
    sizes = {"N": cfg.n_train, "b": cfg.widget_samples, "M": cfg.widget_draws}
    meta = make_meta("digits, one bandwidth", sizes, key, start, cfg.scale)
    return DigitsFrame(float(bandwidth), np.asarray(x), np.asarray(split.train[rep.nearest_index]),
                       float(rep.fraction_memorized), float(jnp.mean(rep.nearest_distance)),
                       float(jnp.mean(test)), meta)


def plot_digits_frame(frame: DigitsFrame):
    """The generated digits beside their nearest training digits."""
    with plotting.style():
        fig, axes = plotting.figure(2, width=3.0, height=3.2)
        plotting.image_grid(axes[0, 0], frame.samples, title=f"generated, h = {frame.bandwidth:g}")
        plotting.image_grid(axes[0, 1], frame.neighbours, title="nearest training digits")
        return plotting.finish(fig, frame.meta, f"memorized {frame.memorized:.2f}; mean distance "
                               f"to training {frame.train:.2f}, to held-out {frame.test:.2f}")


def bandwidth_widget(key, cfg: Config, bandwidths=None, *, value: float = 0.3,
                     draw_now: bool = False):
    """An ``ipywidgets`` slider over ``bandwidths`` (default 0 to 0.6 by 0.05) that draws
    :func:`plot_digits_frame`; returns ``(widget, update)`` like the smoothing chapter's widget:
    ``update(bandwidth)`` draws one frame and returns it."""
    values = np.round(np.arange(0.0, 0.6001, 0.05), 3) if bandwidths is None else bandwidths
    return widgets.slider([float(v) for v in values],
                          lambda h: digits_frame(key, cfg, float(h)), plot_digits_frame,
                          value=value, description="bandwidth", draw_now=draw_now)
