r"""The empirical score memorizes: the reverse SDE with the empirical score of :math:`N` uniform
points on the unit circle down to :math:`t_{\min}`; the fraction memorized and the distance to
the nearest training point against :math:`t_{\min}`, against :math:`N` (at :math:`d = 2`) and
against :math:`d` (the circle embedded by a random frame)."""

import dataclasses
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ... import metrics, plotting
from ...keys import named_keys
from ...manifolds import Circle, embed
from ...processes import VE, geometric_grid
from ...samplers import sample
from ...scores import EmpiricalScore
from ..harness import ExperimentConfig, Meta, check_result, experiment, progress

__all__ = ["Config", "Result", "run", "plot", "predicted_fraction"]


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    r"""Attributes: ns: training-set sizes at :math:`d = 2`; n: the size of the dimension sweep;
    dims: its dimensions; t_mins: early-stopping times; n_samples: samples per run; n_steps:
    geometric steps from ``T`` to ``t_min``; n_seeds: training sets per setting; fit_fraction: the
    slope is fitted where :math:`\sigma(t_{\min}) \le` fit_fraction :math:`\times 2\pi/N`; T: the
    VE terminal time."""

    ns: tuple[int, ...] = (16, 64, 256)
    n: int = 64
    dims: tuple[int, ...] = (2, 16, 128, 784)
    t_mins: tuple[float, ...] = tuple(float(t) for t in np.geomspace(1.0, 1e-7, 8))
    n_samples: int = 400
    n_steps: int = 100
    n_seeds: int = 2
    fit_fraction: float = 0.2
    T: float = 9.0
    overrides = {"quick": dict(ns=(16, 64), n=16, dims=(2, 32),
                               t_mins=tuple(float(t) for t in np.geomspace(1e-1, 1e-6, 4)),
                               n_samples=100, n_steps=50),
                 "large": dict(ns=(16, 64, 256, 1024), dims=(2, 16, 128, 784, 3072),
                               n_samples=4000, n_seeds=8)}


def predicted_fraction(distance, n: int, length: float = 2 * np.pi):
    r"""Fraction memorized predicted from the mean distance :math:`d_1` to the nearest training point.

    A sample at distance :math:`d_1` from :math:`x_i`, its offset roughly orthogonal to the
    chord to the next point, has :math:`d_2^2\approx g^2 + d_1^2` with :math:`g` the distance from
    :math:`x_i` to its nearest other training point; :math:`d_1/d_2 < 1/3` iff :math:`g > \sqrt8\,d_1`.
    For ``n`` uniform points on a curve of length ``length``, :math:`g` is exponential with
    mean :math:`L/2n`, so the fraction is :math:`\exp(-2\sqrt8\,n d_1/L)` (valid for
    :math:`d_1` well below the spacing).

    Args: distance: mean distance(s) :math:`d_1 \ge 0` (any shape). n: training points, :math:`\ge 1`.
    length: the curve's length, :math:`> 0`. Returns: an array of the shape of ``distance``.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n: expected an integer >= 1, got {n!r}")
    if not (np.isfinite(length) and length > 0):
        raise ValueError(f"length: expected a number > 0, got {length!r}")
    if np.any(np.asarray(distance) < 0):
        raise ValueError("distance: expected distances >= 0")
    return np.exp(-2.0 * math.sqrt(8.0) * n * np.asarray(distance) / length)


class Result(NamedTuple):
    r"""Reverse SDE with the empirical score on the unit circle down to each ``t_min``.

    Attributes:
      t_mins, sigmas: ``(m,)`` early-stopping times and :math:`\sigma(t_{\min})`.
      ns: ``(a,)`` training-set sizes at :math:`d = 2`; dims: ``(c,)`` dimensions at ``n``.
      n: the training-set size of the dimension sweep.
      fraction_n, distance_n: ``(r, a, m)`` fraction memorized and mean nearest-training distance.
      fraction_d, distance_d: ``(r, c, m)`` the same for the dimension sweep.
      spacing_n: ``(a,)`` mean spacing of the training sets (median nearest-neighbour distance).
      fits_n: one :class:`~manifold_diffusion.metrics.SlopeFit` of distance against sigma per
        ``N``, over :math:`\sigma\le` ``fit_fraction`` :math:`\cdot 2\pi/N` (``None`` with fewer
        than 3 usable points); fits_d: the same per ``d``; fit_dim: slope of the distance at the
        smallest ``t_min`` against ``d``; sigma_theory: the grid-corrected exponent
        :math:`1 + 1/n_{\rm steps}`.
      samples, train: one run's samples and training set (``N`` = ``ns[0]``, smallest ``t_min``).
      n_steps. meta.
    """

    t_mins: np.ndarray
    sigmas: np.ndarray
    ns: np.ndarray
    dims: np.ndarray
    n: int
    fraction_n: np.ndarray
    distance_n: np.ndarray
    fraction_d: np.ndarray
    distance_d: np.ndarray
    spacing_n: np.ndarray
    fits_n: list
    fits_d: list
    fit_dim: metrics.SlopeFit
    fit_fraction: float
    sigma_theory: float
    samples: np.ndarray
    train: np.ndarray
    n_steps: int
    meta: Meta | None = None

    def summary(self) -> dict:
        """The numbers of the section's three measurements (NaN for a fit that could not run)."""
        nan = float("nan")
        fit = lambda f, part: getattr(f, part) if f is not None else nan         # noqa: E731
        out = {"steps": self.n_steps, "n": self.n, "theory": self.sigma_theory,
               "fitfrac": self.fit_fraction, "n0": int(self.ns[0]), "nlast": int(self.ns[-1]),
               "dlast": int(self.dims[-1]), "sigma_min": float(self.sigmas[-1]),
               "frac_n0": float(self.fraction_n[:, 0, -1].mean()),
               "frac_nlast": float(self.fraction_n[:, -1, -1].mean()),
               "pred_nlast": float(predicted_fraction(self.distance_n[:, -1, -1].mean(),
                                                      int(self.ns[-1]))),
               "frac_dlast": float(self.fraction_d[:, -1, -1].mean())}
        for tag, f in (("fitn0", self.fits_n[0]), ("fitdlast", self.fits_d[-1]),
                       ("fitdim", self.fit_dim)):
            out.update({f"{tag}_slope": fit(f, "slope"), f"{tag}_low": fit(f, "ci_low"),
                        f"{tag}_high": fit(f, "ci_high")})
        slopes = [f.slope for f in list(self.fits_n) + list(self.fits_d) if f is not None]
        out.update(slope_min=float(min(slopes, default=nan)), slope_max=float(max(slopes, default=nan)))
        return out


def _fit(x, y, key):
    """Slope fit, or ``None`` when there are fewer than 3 usable (finite, positive) points."""
    y = np.asarray(y, np.float64)
    ok = np.all(np.isfinite(y) & (y > 0), axis=0) if y.ndim == 2 else np.isfinite(y) & (y > 0)
    x = np.asarray(x, np.float64)[ok]
    if x.shape[0] < 3:
        return None
    return metrics.fit_loglog_slope(x, y[..., ok], key=key)


@experiment("memorization sweeps", sizes=lambda c: {
    "N": "/".join(map(str, c.ns)), "d": "/".join(map(str, c.dims)), "b": c.n_samples,
    "steps": c.n_steps, "seeds": c.n_seeds, "T": c.T})
def run(key, config: Config) -> Result:
    r"""Fraction memorized and nearest-training distance over ``t_min``, for each ``N`` and ``d``.

    Training set ``s`` of size ``N`` is drawn with ``fold_in(data key of seed s, N)``, so the
    same ``N`` gets the same points in both sweeps; the frame embedding it in ``d`` dimensions
    likewise depends on ``d``. The sampler's key depends on the seed and the ``t_min`` only. The
    last, noise-free step maps :math:`x_i + \sigma_{t'}z` to :math:`x_i + (t_{\min}/t')\sigma_{t'}
    z`, so the distance is :math:`\sigma(t_{\min})\sqrt{t_{\min}/t'}\,\|z\|\propto
    \sigma(t_{\min})^{1 + 1/n}\sqrt d` on a geometric grid.
    """
    keys = named_keys(key, "data", "frames", "sampler", "fit")
    process, circle = VE(T=config.T), Circle(1.0)
    t_mins = np.asarray(config.t_mins)
    sigmas = np.sqrt(t_mins)
    r, m = config.n_seeds, len(t_mins)
    frac_n = np.zeros((r, len(config.ns), m))
    dist_n = np.zeros_like(frac_n)
    frac_d = np.zeros((r, len(config.dims), m))
    dist_d = np.zeros_like(frac_d)
    spacing = np.zeros((r, len(config.ns)))
    jobs = [("n", a, n, 2) for a, n in enumerate(config.ns)]
    jobs += [("d", c, config.n, d) for c, d in enumerate(config.dims)]
    seed_keys = zip(jax.random.split(keys.data, r), jax.random.split(keys.frames, r),
                    jax.random.split(keys.sampler, r))
    keep = None
    for s, (k_data, k_frame, k_sampler) in progress(list(enumerate(seed_keys)), desc="memorization seeds"):
        sampler_keys = jax.random.split(k_sampler, m)
        for kind, idx, n, d in jobs:
            data = circle.sample(jax.random.fold_in(k_data, n), n)
            if d > 2:
                data = data @ embed(circle, d, jax.random.fold_in(k_frame, d)).frame.T
            if kind == "n":
                spacing[s, idx] = float(metrics.training_spacing(data))
            fraction, distance = (frac_n, dist_n) if kind == "n" else (frac_d, dist_d)
            score = EmpiricalScore(data, process)
            for j, t_min in enumerate(t_mins):
                grid = geometric_grid(process.T, float(t_min), config.n_steps)
                x = sample(sampler_keys[j], score, process, config.n_samples, grid)
                report = metrics.memorization_report(x, data)
                fraction[s, idx, j] = float(report.fraction_memorized)
                distance[s, idx, j] = float(jnp.mean(report.nearest_distance))
                if keep is None and kind == "n" and j == m - 1:
                    keep = (np.asarray(x), np.asarray(data))
    fit_keys = named_keys(keys.fit, "n", "d", "dim")
    fits_n = []
    for a, (n, k) in enumerate(zip(config.ns, jax.random.split(fit_keys.n, len(config.ns)))):
        mask = sigmas <= config.fit_fraction * 2 * np.pi / n
        fits_n.append(_fit(sigmas[mask], dist_n[:, a, mask], k))
    mask = sigmas <= config.fit_fraction * 2 * np.pi / config.n
    fits_d = [_fit(sigmas[mask], dist_d[:, c, mask], k)
              for c, k in enumerate(jax.random.split(fit_keys.d, len(config.dims)))]
    fit_dim = metrics.fit_loglog_slope(np.asarray(config.dims, float), dist_d[:, :, -1],
                                       key=fit_keys.dim)
    return Result(t_mins, sigmas, np.asarray(config.ns), np.asarray(config.dims), config.n, frac_n,
                  dist_n, frac_d, dist_d, spacing.mean(0), fits_n, fits_d, fit_dim,
                  config.fit_fraction, 1.0 + 1.0 / config.n_steps, *keep, config.n_steps)


def plot(result: Result):
    """Fraction memorized and distance to the nearest training point against sigma(t_min)."""
    res = check_result(result, Result)
    with plotting.style():
        # two rows of two: d = 2 at several N on top, several d at one N below
        fig, axes2 = plotting.figure(2, 2, width=3.35, height=2.35)
        axes = axes2.reshape(1, 4)
        for a, n in enumerate(res.ns):
            axes[0, 0].semilogx(res.sigmas, res.fraction_n[:, a].mean(0), "o-", ms=3,
                                label=f"N = {n}")
            axes[0, 0].semilogx(res.sigmas, predicted_fraction(res.distance_n[:, a].mean(0), n),
                                "--", lw=0.8, color=f"C{a}")
            axes[0, 0].axvline(2 * np.pi / n, color=f"C{a}", ls=":", lw=0.8)
            axes[0, 1].loglog(res.sigmas, res.distance_n[:, a].mean(0), "o-", ms=3,
                              label=f"N = {n}")
        axes[0, 1].loglog(res.sigmas, res.sigmas, "k:", lw=1, label=r"$\sigma(t_{\min})$")
        axes[0, 0].set_ylabel("fraction memorized")
        axes[0, 0].set_title("$d = 2$ (dotted: spacing $2\\pi/N$)", fontsize=8)
        axes[0, 1].set_ylabel("mean $d_1$ (nearest\ntraining point)")
        axes[0, 1].set_title("$d = 2$", fontsize=8)
        for c, d in enumerate(res.dims):
            axes[0, 2].semilogx(res.sigmas, res.fraction_d[:, c].mean(0), "o-", ms=3,
                                label=f"d = {d}")
            axes[0, 2].semilogx(res.sigmas, predicted_fraction(res.distance_d[:, c].mean(0), res.n),
                                "--", lw=0.8, color=f"C{c}")
            axes[0, 3].loglog(res.sigmas, res.distance_d[:, c].mean(0) / np.sqrt(d), "o-", ms=3,
                              label=f"d = {d}")
        axes[0, 3].loglog(res.sigmas, res.sigmas, "k:", lw=1, label=r"$\sigma(t_{\min})$")
        axes[0, 2].set_title(f"N = {res.n}", fontsize=8)
        axes[0, 3].set_title(f"N = {res.n}: distance$/\\sqrt{{d}}$", fontsize=8)
        axes[0, 3].set_ylabel("mean $d_1/\\sqrt{d}$")
        for j, ax in enumerate(axes[0]):
            ax.set_xlabel(r"$\sigma(t_{\min})$")
            ax.legend(loc="lower left" if j in (0, 2) else "upper left")
        axes[0, 2].set_ylabel("fraction memorized")
        for ax in (axes[0, 0], axes[0, 2]):
            ax.set_ylim(-0.03, 1.03)
        return plotting.finish(fig, res.meta, "memorized: nearest/second-nearest distance < 1/3; "
                               "dashed: exp(-2 sqrt(8) N d_1 / 2 pi), the chance that no other "
                               "training point is within sqrt(8) d_1")
