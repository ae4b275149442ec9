r"""Chapter 2, "The manifold hypothesis, and why the exact score memorizes": its experiments.

Data on a :math:`k`-dimensional manifold :math:`M\subset\mathbb R^d`; the variance-exploding process
(:math:`\sigma_t = \sqrt t`). The chapter's argument, one function per step:

- :func:`run_geometry` -- reach and tubular neighbourhood of an ellipse, a Swiss roll, and the
  same circle isometrically embedded in :math:`\mathbb R^d`: the distance of noised points to
  ``M`` grows like :math:`\sigma\sqrt{d-k}` (:func:`manifold_table` lists reach and volume);
- :func:`run_score_split` -- the population score of a von Mises law on an ellipse (quadrature,
  :class:`~manifold_diffusion.scores.PopulationScore`) split into normal and tangential parts
  at fixed points of the tube: :math:`\|\sigma^2 s + (x - \Pi_M x)\|`, the normal and the
  tangential part, as log-log slopes in :math:`\sigma` against the expansion of
  :cite:`li2026scores` (Thm. 3.1);
- :func:`run_coarse` -- Langevin at a fixed small :math:`\sigma` with the exact score, with a score
  that is right about geometry and wrong at order 1, and tempered-score Langevin: distance to
  ``M`` and Kolmogorov--Smirnov distance of the arc-length angle to the data and to the uniform law;
- :func:`run_memorization` -- the reverse SDE with the empirical score down to :math:`t_{\min}`:
  fraction memorized and distance to the nearest training point against :math:`t_{\min}`,
  :math:`N` and :math:`d`; :func:`memorization_frame`, :func:`memorization_widget` and
  :func:`plot_memorization_frames` (its static twin);
- :func:`run_departure` -- :math:`\sigma^*(N)`, the noise level below which the empirical score
  leaves the population score, for :math:`k = 1` (a circle) and :math:`k = 2` (a flat torus) at
  several :math:`d`, with fitted slopes against :math:`-1/k`.
"""

import dataclasses
import math
import time
from typing import NamedTuple

import jax
import jax.numpy as jnp
import matplotlib.ticker
import numpy as np

from .. import metrics, plotting, widgets
from ..manifolds import (Circle, Ellipse, FlatTorus, ProductDensity, Sphere, SwissRoll, Torus,
                         VonMises, embed)
from ..processes import VE, geometric_grid
from ..samplers import euler_maruyama, langevin, tempered_langevin
from ..scale import Scale
from ..scores import EmpiricalScore, PopulationScore
from ..scores.population import departure_level
from ._common import Meta, make_meta, progress

__all__ = [
    "Config", "manifold_table",
    "GeometryResult", "run_geometry", "plot_geometry",
    "ScoreSplitResult", "run_score_split", "plot_score_split",
    "CoarseResult", "run_coarse", "plot_coarse",
    "MemorizationSweep", "run_memorization", "plot_memorization", "predicted_fraction",
    "MemorizationFrame", "memorization_frame", "plot_memorization_frame", "plot_memorization_frames",
    "memorization_widget",
    "DepartureCurves", "DepartureResult", "departure_curves", "run_departure", "plot_departure",
    "departure_table",
]


@dataclasses.dataclass(frozen=True)
class Config:
    r"""Sizes of the chapter's experiments (frozen and hashable).

    Attributes:
      T: terminal time of the VE process (:math:`\sigma_{\max} = \sqrt T`).
      ellipse_a, ellipse_b: semi-axes of the ellipse (reach :math:`a^2/b`); ``kappa`` the
        concentration of the von Mises density on its arc-length angle.
      embed_dims, geometry_points, geometry_sigma: the circle embedded in each :math:`\mathbb R^d`,
        noised at :math:`\sigma` = ``geometry_sigma``.
      split_sigmas: noise levels of the score split; ``split_points`` fixed query points in each
        of ``split_groups`` groups, at normal offsets up to ``split_offset`` times the reach.
      coarse_sigma, coarse_chains, coarse_time, coarse_alpha: Langevin at :math:`\sigma`, number
        of chains, Langevin time (steps = time / step), tempering exponent; steps are
        ``step_fraction`` times the stiffness scale (:math:`\sigma^2`, or :math:`\sigma^{2-\alpha}`).
      memo_ns, memo_n, memo_dims, memo_t_mins, memo_samples, memo_steps, memo_seeds: memorization
        sweeps on the unit circle: :math:`N` at :math:`d = 2`, :math:`d` at :math:`N` = ``memo_n``,
        each over the early-stopping times; ``memo_fit_fraction`` the fit range
        :math:`\sigma(t_{\min}) \le` fraction :math:`\times 2\pi/N`.
      frame_ns, frame_t_mins, frame_samples: the widget and its static small multiples.
      k1_dims, k1_ns, k1_sigma_range, k2_dims, k2_ns, k2_sigma_range, n_sigmas: the
        :math:`\sigma^*(N)` sweep (circle, flat torus); ``departure_eval`` noised points per
        time, ``departure_seeds`` training sets per :math:`N`, ``threshold`` the relative error.
      scale: the scale these sizes belong to.
    """

    T: float = 9.0
    ellipse_a: float = 1.0
    ellipse_b: float = 2.0
    kappa: float = 1.0
    embed_dims: tuple[int, ...] = (2, 3, 10, 100, 784)
    geometry_points: int = 1000
    geometry_sigma: float = 0.05
    split_sigmas: tuple[float, ...] = tuple(float(s) for s in np.geomspace(0.01, 0.1, 7))
    split_points: int = 64
    split_groups: int = 8
    split_offset: float = 0.2
    coarse_sigma: float = 0.08
    coarse_chains: int = 400
    coarse_time: float = 10.0
    coarse_alpha: float = 1.0
    step_fraction: float = 0.1
    memo_ns: tuple[int, ...] = (16, 64, 256)
    memo_n: int = 64
    memo_dims: tuple[int, ...] = (2, 16, 128, 784)
    memo_t_mins: tuple[float, ...] = tuple(float(t) for t in np.geomspace(1.0, 1e-7, 8))
    memo_samples: int = 400
    memo_steps: int = 100
    memo_seeds: int = 2
    memo_fit_fraction: float = 0.2
    frame_ns: tuple[int, ...] = (8, 64)
    frame_t_mins: tuple[float, ...] = (1e-1, 1e-2, 1e-4)
    frame_samples: int = 300
    k1_dims: tuple[int, ...] = (2, 8, 32)
    k1_ns: tuple[int, ...] = (16, 32, 64, 128, 256, 512, 1024)
    k1_sigma_range: tuple[float, float] = (4e-4, 3.0)
    k2_dims: tuple[int, ...] = (4, 16)
    k2_ns: tuple[int, ...] = (32, 64, 128, 256, 512, 1024, 2048)
    k2_sigma_range: tuple[float, float] = (0.012, 3.0)
    n_sigmas: int = 25
    departure_eval: int = 256
    departure_seeds: int = 3
    threshold: float = 0.5
    scale: str = "default"

    @classmethod
    def at_scale(cls, scale: str) -> "Config":
        """The configuration for ``scale`` (``quick``, ``default`` or ``large``)."""
        if scale == "quick":
            return cls(scale="quick", embed_dims=(2, 100, 784), geometry_points=200,
                       split_sigmas=tuple(float(s) for s in np.geomspace(0.02, 0.1, 4)),
                       split_points=16, split_groups=4,
                       coarse_sigma=0.1, coarse_chains=100, coarse_time=1.0,
                       memo_ns=(16, 64), memo_n=16, memo_dims=(2, 32),
                       memo_t_mins=tuple(float(t) for t in np.geomspace(1e-1, 1e-6, 4)),
                       memo_samples=100, memo_steps=50, memo_seeds=2,
                       frame_ns=(8, 64), frame_t_mins=(1e-1, 1e-4), frame_samples=100,
                       k1_dims=(2,), k1_ns=(16, 64, 256), k1_sigma_range=(3e-3, 3.0),
                       k2_dims=(4,), k2_ns=(32, 128, 512), k2_sigma_range=(0.05, 3.0),
                       n_sigmas=12, departure_eval=64, departure_seeds=2)
        if scale == "default":
            return cls()
        if scale == "large":
            return cls(scale="large", geometry_points=10_000,
                       split_sigmas=tuple(float(s) for s in np.geomspace(0.005, 0.1, 9)),
                       split_points=256, split_groups=16,
                       coarse_sigma=0.03, coarse_chains=2000, coarse_time=10.0,
                       memo_ns=(16, 64, 256, 1024), memo_dims=(2, 16, 128, 784, 3072),
                       memo_samples=4000, memo_seeds=8,
                       k1_dims=(2, 8, 32, 128, 784), k1_ns=(16, 32, 64, 128, 256, 512, 1024, 2048),
                       k1_sigma_range=(1e-4, 3.0),
                       k2_dims=(4, 16, 64), k2_ns=(32, 64, 128, 256, 512, 1024, 2048, 4096, 8192),
                       k2_sigma_range=(0.006, 3.0), n_sigmas=33,
                       departure_eval=1024, departure_seeds=6)
        raise ValueError(f"scale: expected 'quick', 'default' or 'large', got {scale!r}")

    def ellipse(self) -> Ellipse:
        """The ellipse of the score split and of the coarse-score samplers."""
        return Ellipse(self.ellipse_a, self.ellipse_b)

    def density(self) -> VonMises:
        """The von Mises law on the ellipse's arc-length angle, mode at angle 0."""
        return VonMises(0.0, self.kappa)


def _fit(x, y, key):
    """Slope fit, or ``None`` when there are too few usable points."""
    y = np.asarray(y, np.float64)
    ok = np.all(np.isfinite(y) & (y > 0), axis=0) if y.ndim == 2 else np.isfinite(y) & (y > 0)
    x = np.asarray(x, np.float64)[ok]
    y = y[..., ok]
    if x.shape[0] < 3:
        return None
    return metrics.fit_loglog_slope(x, y, key=key)


def manifold_table() -> str:
    """An HTML table of the chapter's manifolds: intrinsic and ambient dimension, reach, volume."""
    rows = [("circle, radius 1", Circle(1.0)), ("ellipse, a = 1, b = 2", Ellipse(1.0, 2.0)),
            ("2-sphere, radius 1", Sphere(2, 1.0)), ("flat torus, radii 1, 1", FlatTorus(1.0, 1.0)),
            ("torus, R = 1, r = 0.4", Torus(1.0, 0.4)), ("Swiss roll (defaults)", SwissRoll())]
    head = ["manifold", "k", "d", "reach τ", "volume"]
    body = "".join(f"<tr><td>{name}</td><td>{m.k}</td><td>{m.d}</td><td>{m.reach:.3f}</td>"
                   f"<td>{m.volume:.3f}</td></tr>" for name, m in rows)
    return ("<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"
            + body + "</tbody></table>")


# --- 1. data on a manifold -------------------------------------------------------------------

class GeometryResult(NamedTuple):
    """Geometry of the chapter's manifolds.

    Attributes:
      ellipse_points: ``(m, 2)`` the ellipse; ``ellipse_normals``: ``(m, 2)`` unit normals there.
      reach: the ellipse's reach :math:`\\tau`.
      swiss: ``(b, 3)`` Swiss-roll points; ``swiss_coords``: ``(b, 2)`` their coordinates.
      dims: ``(q,)`` ambient dimensions of the embedded circle.
      normal_distance: ``(q,)`` root mean square distance of noised points :math:`y + \\sigma z` to ``M``.
      tangential_shift: ``(q,)`` mean distance between :math:`y` and :math:`\\Pi_M(y+\\sigma z)`.
      isometry_error: ``(q,)`` largest change of a pairwise distance under the embedding.
      sigma: the noise level; fit: slope of ``normal_distance`` against :math:`d - 1`. meta.
    """

    ellipse_points: np.ndarray
    ellipse_normals: np.ndarray
    reach: float
    swiss: np.ndarray
    swiss_coords: np.ndarray
    dims: np.ndarray
    normal_distance: np.ndarray
    tangential_shift: np.ndarray
    isometry_error: np.ndarray
    sigma: float
    fit: metrics.SlopeFit
    meta: Meta


def run_geometry(key, cfg: Config) -> GeometryResult:
    r"""The ellipse's tube, a Swiss roll, and a circle noised in :math:`\mathbb R^d` for each ``d``.

    For :math:`y` on the circle and :math:`x = y + \sigma z`, the normal space has dimension
    :math:`d - 1`, so :math:`\operatorname{dist}(x, M)\approx\sigma\sqrt{d-1}` while the foot point
    moves along ``M`` by only about :math:`\sigma` whatever :math:`d`.
    """
    start = time.perf_counter()
    k_swiss, k_circle, k_noise, k_frames, k_fit = jax.random.split(key, 5)
    ell = cfg.ellipse()
    u = jnp.linspace(0.0, ell.volume, 400, endpoint=False)
    pts = ell.embed_coords(u)
    tangent = ell.tangent_basis(pts)[:, :, 0]
    normals = jnp.stack([tangent[:, 1], -tangent[:, 0]], axis=1)
    swiss_roll = SwissRoll()
    swiss, swiss_u = swiss_roll.sample_with_coords(k_swiss, cfg.geometry_points)
    circle = Circle(1.0)
    y2 = circle.sample(k_circle, cfg.geometry_points)
    pair = jnp.asarray(np.linalg.norm(np.asarray(y2)[:50, None] - np.asarray(y2)[None, :50], axis=-1))
    dist, shift, iso = [], [], []
    for i, d in enumerate(cfg.embed_dims):
        m = circle if d == 2 else embed(circle, d, jax.random.fold_in(k_frames, i))
        y = y2 if d == 2 else y2 @ m.frame.T
        x = y + cfg.geometry_sigma * jax.random.normal(jax.random.fold_in(k_noise, i), y.shape)
        dist.append(float(jnp.sqrt(jnp.mean(m.distance(x) ** 2))))
        shift.append(float(jnp.mean(jnp.linalg.norm(m.project(x) - y, axis=1))))
        yd = np.asarray(y)[:50]
        iso.append(float(np.max(np.abs(np.linalg.norm(yd[:, None] - yd[None, :], axis=-1) - pair))))
    dims = np.asarray(cfg.embed_dims)
    fit = metrics.fit_loglog_slope(dims - 1, np.asarray(dist), key=k_fit)
    sizes = {"b": cfg.geometry_points, "sigma": cfg.geometry_sigma, "d": f"{dims.min()}-{dims.max()}"}
    meta = make_meta("manifold geometry", sizes, key, start, cfg.scale)
    return GeometryResult(np.asarray(pts), np.asarray(normals), ell.reach, np.asarray(swiss),
                          np.asarray(swiss_u), dims, np.asarray(dist), np.asarray(shift),
                          np.asarray(iso), cfg.geometry_sigma, fit, meta)


def plot_geometry(res: GeometryResult):
    """Ellipse with its tube of radius reach and medial axis; Swiss roll; distance against ``d``."""
    with plotting.style():
        fig, axes = plotting.figure(3, width=3.1, height=3.0)
        ax = axes[0, 0]
        p, n, tau = res.ellipse_points, res.ellipse_normals, res.reach
        closed = lambda a: np.vstack([a, a[:1]])                      # noqa: E731
        ax.fill(closed(p + tau * n)[:, 0], closed(p + tau * n)[:, 1], color="C0", alpha=0.12, lw=0)
        ax.fill(closed(p - tau * n)[:, 0], closed(p - tau * n)[:, 1], color="white", lw=0)
        ax.plot(*closed(p).T, color="C0", lw=1.5, label="$M$ (ellipse $a=1$, $b=2$)")
        ax.plot(*closed(p + tau * n).T, color="C0", lw=0.6, ls="--")
        ax.plot(*closed(p - tau * n).T, color="C0", lw=0.6, ls="--",
                label=f"tube of radius $\\tau$ = {tau:.2f}")
        inner = closed(p - 1.6 * tau * n)
        ax.plot(*inner.T, color="C3", lw=0.6, label=r"offset $1.6\tau$ inward: folds")
        half = 1.5                                                     # (b^2 - a^2) / b
        ax.plot([0, 0], [-half, half], color="k", lw=1.2, label="medial axis")
        ax.set_aspect("equal")
        ax.set_xlim(-1.8, 1.8)
        ax.set_ylim(-2.7, 5.4)
        ax.set_yticks([-2, 0, 2])
        ax.legend(fontsize=5.5, loc="upper center", ncol=1)
        ax.set_title("reach and tubular neighbourhood")
        ax = axes[0, 1]
        ax.scatter(res.swiss[:, 0], res.swiss[:, 2], c=res.swiss_coords[:, 0], s=3, cmap="viridis",
                   rasterized=True)
        ax.set_aspect("equal")
        ax.set_title("Swiss roll ($k=2$, $d=3$), along its axis")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_3$")
        ax = axes[0, 2]
        d = res.dims
        ax.loglog(d, res.normal_distance / res.sigma, "o-", label=r"rms dist$(x, M)/\sigma$")
        ax.loglog(d, np.sqrt(d - 1.0), "k:", lw=1, label=r"$\sqrt{d-1}$")
        ax.loglog(d, res.tangential_shift / res.sigma, "s-",
                  label=r"$\|\Pi_M x - y\|/\sigma$ (along $M$)")
        ax.set_xlabel("ambient dimension $d$")
        ax.set_title("circle in $\\mathbb{R}^d$, $x = y + \\sigma z$")
        ax.legend(fontsize=6.5)
        return plotting.finish(fig, res.meta, f"right: slope of the distance in d-1: "
                               f"{res.fit.format(theory=0.5)}")


# --- 2. the score sees geometry first --------------------------------------------------------

class ScoreSplitResult(NamedTuple):
    """The population score at fixed points of the tube, split at their projections.

    Attributes:
      sigmas: ``(m,)`` noise levels.
      points: ``(g, p, 2)`` query points (``g`` groups of ``p``); ``offsets``: ``(g, p)`` their
        signed normal offsets; ``feet``: ``(g, p, 2)`` their projections.
      residual: ``(g, m)`` per-group median of :math:`\\|\\sigma^2 s + (x - \\Pi_M x)\\|`.
      normal: ``(g, m)`` median normal part :math:`\\|s_\\perp\\|`.
      tangential: ``(g, m)`` median tangential part :math:`|s_\\parallel|`.
      curve_u: ``(c,)`` arc length of points on ``M``; ``curve_tangential``: ``(m, c)`` the
        tangential score there; ``curve_limit``: ``(c,)`` :math:`\\partial_u\\log p(u)`, its limit.
      limit_error: ``(m,)`` largest :math:`|s_\\parallel - \\partial_u\\log p|` on ``M`` at each sigma
        (it grows again at the smallest sigma in float32: logits of size :math:`|x|/\\sigma^2`
        carry rounding :math:`\\epsilon|x|/\\sigma^2`).
      fits: dict ``residual``, ``normal``, ``tangential`` -> :class:`~manifold_diffusion.metrics.SlopeFit`.
      theory: dict of the expansion's exponents. meta.
    """

    sigmas: np.ndarray
    points: np.ndarray
    offsets: np.ndarray
    feet: np.ndarray
    residual: np.ndarray
    normal: np.ndarray
    tangential: np.ndarray
    curve_u: np.ndarray
    curve_tangential: np.ndarray
    curve_limit: np.ndarray
    limit_error: np.ndarray
    fits: dict
    theory: dict
    meta: Meta


def run_score_split(key, cfg: Config) -> ScoreSplitResult:
    r"""Split the population score of the von Mises ellipse at fixed points, for each sigma.

    The query points :math:`x = \gamma(u) + r\,\nu(u)` (``u`` uniform in arc length, :math:`\nu` the
    unit normal, :math:`|r|\le` ``split_offset`` :math:`\cdot\tau`) do not move with
    :math:`\sigma`, as in the expansion, which holds uniformly on a fixed tube. The score is
    computed by quadrature with twice the minimal node count (error :math:`\lesssim e^{-8\pi^2}`).
    """
    start = time.perf_counter()
    ell, density = cfg.ellipse(), cfg.density()
    sigmas = np.asarray(cfg.split_sigmas, np.float64)
    n_nodes = math.ceil(2.0 * ell.volume / sigmas.min())
    score = PopulationScore(ell, density, VE(T=cfg.T), n_nodes=n_nodes)
    k_u, k_r, k_fit = jax.random.split(key, 3)
    g, p = cfg.split_groups, cfg.split_points
    u = jax.random.uniform(k_u, (g * p,), minval=0.0, maxval=ell.volume)
    r = cfg.split_offset * ell.reach * jax.random.uniform(k_r, (g * p,), minval=-1.0, maxval=1.0)
    on = ell.embed_coords(u)
    tangent = ell.tangent_basis(on)[:, :, 0]
    normal = jnp.stack([tangent[:, 1], -tangent[:, 0]], axis=1)
    x = on + r[:, None] * normal
    feet = ell.project(x)
    curve_u = jnp.linspace(0.0, ell.volume, 200, endpoint=False)
    curve = ell.embed_coords(curve_u)
    curve_t = ell.tangent_basis(curve)[:, :, 0]
    residual, norm_n, norm_t, curve_tan = [], [], [], []
    for sigma in sigmas:
        t = float(sigma) ** 2
        s = score(x, t)
        split = metrics.tangent_normal_split(ell, x, s)
        res = jnp.linalg.norm(sigma**2 * s + (x - feet), axis=1)
        residual.append(np.median(np.asarray(res).reshape(g, p), axis=1))
        norm_n.append(np.median(np.asarray(split.normal_norm).reshape(g, p), axis=1))
        norm_t.append(np.median(np.asarray(split.tangential_norm).reshape(g, p), axis=1))
        curve_tan.append(np.asarray(jnp.sum(score(curve, t) * curve_t, axis=1)))
    residual, norm_n, norm_t = (np.stack(a, axis=1) for a in (residual, norm_n, norm_t))
    # limit of the tangential part on M: d/du log p(u), p the density w.r.t. arc length
    limit = np.asarray(jax.vmap(jax.grad(lambda v: ell.log_prob(v[None], density)[0]))(curve_u))
    # the sign of the tangent basis: compare along the basis vector's direction of increasing u
    direction = np.sign(np.sum(np.asarray(curve_t) * np.asarray(
        ell.embed_coords(curve_u + 1e-3) - curve), axis=1))
    limit = limit * direction
    curve_tan = np.stack(curve_tan)
    keys = jax.random.split(k_fit, 3)
    fits = {name: metrics.fit_loglog_slope(sigmas, val, key=k)
            for (name, val), k in zip((("residual", residual), ("normal", norm_n),
                                       ("tangential", norm_t)), keys)}
    theory = {"residual": 2.0, "normal": -2.0, "tangential": 0.0}
    sizes = {"points": g * p, "groups": g, "nodes": n_nodes,
             "sigma": f"{sigmas.min():.3g}-{sigmas.max():.3g}"}
    meta = make_meta("score split on the ellipse", sizes, key, start, cfg.scale)
    return ScoreSplitResult(sigmas, np.asarray(x).reshape(g, p, 2), np.asarray(r).reshape(g, p),
                            np.asarray(feet).reshape(g, p, 2), residual, norm_n, norm_t,
                            np.asarray(curve_u), curve_tan, limit,
                            np.max(np.abs(curve_tan - limit[None, :]), axis=1), fits, theory, meta)


def plot_score_split(res: ScoreSplitResult):
    """The three parts against sigma (log-log, fitted lines), and the tangential part on ``M``."""
    labels = {"residual": r"$\|\sigma^2 s + (x - \Pi_M x)\|$", "normal": r"$\|s_\perp\|$",
              "tangential": r"$|s_\parallel|$"}
    with plotting.style():
        fig, axes = plotting.figure(2, width=3.6, height=3.0)
        ax = axes[0, 0]
        for i, name in enumerate(("normal", "tangential", "residual")):
            val = getattr(res, name)
            fit = res.fits[name]
            ax.loglog(res.sigmas, np.exp(np.log(val).mean(0)), "o", color=f"C{i}",
                      label=f"{labels[name]}: {fit.slope:.2f} (theory {res.theory[name]:g})")
            ax.loglog(res.sigmas, np.exp(fit.intercept) * res.sigmas ** fit.slope, "-",
                      color=f"C{i}", lw=0.8)
        ax.set_xlabel(r"noise level $\sigma$")
        ax.set_ylabel("median over fixed points of the tube")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xticks([0.01, 0.02, 0.05, 0.1], ["0.01", "0.02", "0.05", "0.1"])
        ax.legend(fontsize=6.5, loc="center", bbox_to_anchor=(0.5, 0.42))
        ax.set_title("geometry at $\\sigma^{-2}$, density at $O(1)$")
        ax = axes[0, 1]
        for j in (0, len(res.sigmas) // 2, len(res.sigmas) - 1):
            ax.plot(res.curve_u, res.curve_tangential[j], lw=1,
                    label=f"$s_\\parallel$ on $M$, $\\sigma$ = {res.sigmas[j]:.3f}")
        ax.plot(res.curve_u, res.curve_limit, "k--", lw=1, label=r"$\partial_u \log p(u)$")
        ax.set_xlabel("arc length $u$ along the ellipse")
        ax.set_ylabel("tangential score")
        ax.legend(fontsize=6.5)
        return plotting.finish(fig, res.meta, "slopes fitted over groups of query points "
                               "(bootstrap over groups)")


# --- 3. coarse scores ------------------------------------------------------------------------

class CoarseResult(NamedTuple):
    """Langevin samples at a fixed noise level with four scores.

    Attributes:
      names: the samplers; samples: ``(4, b, 2)``; start: ``(b, 2)`` the common starting points.
      distance: ``(4,)`` mean distance to ``M``; ks_data, ks_uniform, ks_other: ``(4,)``
        Kolmogorov--Smirnov distance of the arc-length angle to the data law, to the uniform law
        and to the other law the second sampler targets; ks_floor: the 95 % KS quantile of an
        exact sample of size ``b`` (:math:`1.358/\\sqrt b`).
      sigma, alpha: noise level and tempering exponent; n_steps: steps per sampler.
      expected_distance: ``(4,)`` :math:`\\sqrt{2/\\pi}` times the normal width. meta.
    """

    names: tuple
    samples: np.ndarray
    start: np.ndarray
    distance: np.ndarray
    ks_data: np.ndarray
    ks_uniform: np.ndarray
    ks_other: np.ndarray
    ks_floor: float
    sigma: float
    alpha: float
    n_steps: np.ndarray
    expected_distance: np.ndarray
    meta: Meta


def run_coarse(key, cfg: Config) -> CoarseResult:
    r"""Langevin at :math:`\sigma` = ``coarse_sigma`` on the von Mises ellipse with four scores.

    (a) the exact population score; (b) a score right about geometry, wrong at order 1: the
    population score of another density (von Mises centred at :math:`\pi`), which differs from
    the exact one by an :math:`O(1)` tangential field; (b') geometry only: the population score
    of the uniform law; (c) tempered Langevin, the exact score times :math:`\sigma^\alpha`. All
    start from the same points, drawn on ``M`` from a fourth law (von Mises at :math:`\pi/2`),
    and run for the same Langevin time.
    """
    start = time.perf_counter()
    ell, density = cfg.ellipse(), cfg.density()
    other = VonMises(math.pi, cfg.kappa)
    sigma, alpha = cfg.coarse_sigma, cfg.coarse_alpha
    process = VE(T=cfg.T)
    n_nodes = math.ceil(1.5 * ell.volume / sigma)
    scores = [PopulationScore(ell, dens, process, n_nodes=n_nodes) for dens in (density, other, None)]
    k_start, k_run = jax.random.split(key)
    x0 = ell.sample(k_start, cfg.coarse_chains, VonMises(0.5 * math.pi, 2.0 * cfg.kappa))
    h_plain = cfg.step_fraction * sigma**2
    h_temp = cfg.step_fraction * sigma ** (2 - alpha)
    steps_plain = max(1, int(round(cfg.coarse_time / h_plain)))
    steps_temp = max(1, int(round(cfg.coarse_time / h_temp)))
    names = ("(a) exact score", "(b) geometry + O(1) error", "(b') geometry only",
             f"(c) tempered, alpha = {alpha:g}")
    samples = []
    for i in progress(range(4), desc="coarse-score Langevin"):
        k = jax.random.fold_in(k_run, i)
        if i < 3:
            x = langevin(k, scores[i], x0, sigma**2, h_plain, steps_plain)
        else:
            x = tempered_langevin(k, scores[0], x0, sigma**2, h_temp, steps_temp, alpha)
        samples.append(np.asarray(x))
    dist, ks_d, ks_u, ks_o = [], [], [], []
    for x in samples:
        theta = ell.density_coords(ell.coords(x))[:, 0]
        dist.append(float(jnp.mean(ell.distance(x))))
        ks_d.append(metrics.ks_distance(theta, density).statistic)
        ks_u.append(metrics.ks_distance(theta, None).statistic)
        ks_o.append(metrics.ks_distance(theta, other).statistic)
    c = math.sqrt(2 / math.pi)
    expected = np.asarray([c * sigma] * 3 + [c * sigma ** (1 - alpha / 2)])
    sizes = {"b": cfg.coarse_chains, "sigma": sigma, "alpha": alpha, "time": cfg.coarse_time,
             "steps": f"{steps_plain}/{steps_temp}", "nodes": n_nodes}
    meta = make_meta("coarse-score Langevin", sizes, key, start, cfg.scale)
    return CoarseResult(names, np.stack(samples), np.asarray(x0), np.asarray(dist), np.asarray(ks_d),
                        np.asarray(ks_u), np.asarray(ks_o), 1.358 / math.sqrt(cfg.coarse_chains),
                        sigma, alpha, np.asarray([steps_plain] * 3 + [steps_temp]), expected, meta)


def plot_coarse(res: CoarseResult, cfg: Config):
    """Samples of each sampler over the ellipse, and the histograms of their arc-length angle."""
    ell, density = cfg.ellipse(), cfg.density()
    other = VonMises(math.pi, cfg.kappa)
    u = jnp.linspace(0.0, ell.volume, 300)
    curve = np.asarray(ell.embed_coords(u))
    grid = np.linspace(0, 2 * np.pi, 200)
    with plotting.style():
        fig, axes = plotting.figure(4, 2, width=2.4, height=2.5)
        for i, name in enumerate(res.names):
            ax = axes[0, i]
            ax.plot(curve[:, 0], curve[:, 1], color="0.6", lw=0.8)
            ax.scatter(res.samples[i, :, 0], res.samples[i, :, 1], s=2, alpha=0.5, color=f"C{i}",
                       rasterized=True)
            ax.set_aspect("equal")
            ax.set_title(f"{name}\nmean dist {res.distance[i]:.3f}", fontsize=8)
            ax = axes[1, i]
            theta = np.asarray(ell.density_coords(ell.coords(res.samples[i]))[:, 0])
            ax.hist(theta, bins=24, range=(0, 2 * np.pi), density=True, color=f"C{i}", alpha=0.6)
            ax.plot(grid, np.asarray(density.prob(jnp.asarray(grid))), "k-", lw=1, label="data")
            ax.plot(grid, np.full_like(grid, 1 / (2 * np.pi)), "k:", lw=1, label="uniform")
            if i == 1:
                ax.plot(grid, np.asarray(other.prob(jnp.asarray(grid))), "k--", lw=1,
                        label="other law")
            ax.set_xlabel("arc-length angle")
            ax.set_title(f"KS data {res.ks_data[i]:.2f}, uniform {res.ks_uniform[i]:.2f}",
                         fontsize=8)
            ax.legend(fontsize=6)
        return plotting.finish(fig, res.meta, f"KS floor (95 %, exact sample of this size) "
                               f"{res.ks_floor:.3f}")


# --- 4. the empirical score memorizes --------------------------------------------------------

class MemorizationSweep(NamedTuple):
    """Reverse SDE with the empirical score on the unit circle down to each ``t_min``.

    Attributes:
      t_mins, sigmas: ``(m,)`` early-stopping times and :math:`\\sigma(t_{\\min})`.
      ns: ``(a,)`` training-set sizes at :math:`d = 2`; dims: ``(c,)`` dimensions at ``n``.
      n: the training-set size of the dimension sweep.
      fraction_n, distance_n: ``(r, a, m)`` fraction memorized and mean nearest-training distance.
      fraction_d, distance_d: ``(r, c, m)`` the same for the dimension sweep.
      spacing_n: ``(a,)`` mean spacing of the training sets (median nearest-neighbour distance).
      fits_n: list of :class:`~manifold_diffusion.metrics.SlopeFit` of distance against sigma,
        one per ``N``, over :math:`\\sigma\\le` ``fit_fraction`` :math:`\\cdot 2\\pi/N`.
      fits_d: the same per ``d``; fit_dim: slope of the distance at the smallest ``t_min``
        against ``d``; sigma_theory: the grid-corrected exponent :math:`1 + 1/n_{\\rm steps}`.
      samples, train: one run's samples and training set (``N`` = ``ns[0]``, smallest ``t_min``). meta.
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
    meta: Meta


def predicted_fraction(distance, n: int, length: float = 2 * np.pi):
    r"""Fraction memorized predicted from the mean distance :math:`d_1` to the nearest training point.

    A sample at distance :math:`d_1` from :math:`x_i`, its offset roughly orthogonal to the
    chord to the next point, has :math:`d_2^2\approx g^2 + d_1^2` with :math:`g` the distance from
    :math:`x_i` to its nearest other training point; :math:`d_1/d_2 < 1/3` iff :math:`g > \sqrt8\,d_1`.
    For ``n`` uniform points on a curve of length ``length``, :math:`g` is exponential with
    mean :math:`L/2n`, so the fraction is :math:`\exp(-2\sqrt8\,n d_1/L)` (valid for
    :math:`d_1` well below the spacing).
    """
    return np.exp(-2.0 * math.sqrt(8.0) * n * np.asarray(distance) / length)


def _memorize(key, data, process, t_min, n_samples, n_steps):
    """Reverse SDE with the empirical score of ``data`` from ``T`` to ``t_min``; the report."""
    k_prior, k_sde = jax.random.split(key)
    x_T = process.prior_sample(k_prior, (n_samples, data.shape[1]))
    grid = geometric_grid(process.T, t_min, n_steps)
    x = euler_maruyama(k_sde, EmpiricalScore(data, process), x_T, grid, process)
    return x, metrics.memorization_report(x, data)


def run_memorization(key, cfg: Config) -> MemorizationSweep:
    r"""Fraction memorized and nearest-training distance over ``t_min``, for each ``N`` and ``d``.

    The training set is ``N`` uniform points on the unit circle (embedded by a random frame for
    :math:`d > 2`); the grid has ``memo_steps`` geometric steps from ``T`` to ``t_min``, the last
    without noise. That last step maps :math:`x_i + \sigma_{t'}z` to
    :math:`x_i + (t_{\min}/t')\sigma_{t'} z`, so the distance is
    :math:`\sigma(t_{\min})\sqrt{t_{\min}/t'}\,\|z\|\propto\sigma(t_{\min})^{1 + 1/n}\sqrt d`.
    """
    start = time.perf_counter()
    process = VE(T=cfg.T)
    circle = Circle(1.0)
    t_mins = np.asarray(cfg.memo_t_mins)
    sigmas = np.sqrt(t_mins)
    r, m = cfg.memo_seeds, len(t_mins)
    frac_n = np.zeros((r, len(cfg.memo_ns), m))
    dist_n = np.zeros_like(frac_n)
    frac_d = np.zeros((r, len(cfg.memo_dims), m))
    dist_d = np.zeros_like(frac_d)
    spacing = np.zeros((r, len(cfg.memo_ns)))
    k_data, k_frame, k_run, fk = jax.random.split(key, 4)
    keep = None
    jobs = [("n", a, n, 2) for a, n in enumerate(cfg.memo_ns)]
    jobs += [("d", c, cfg.memo_n, d) for c, d in enumerate(cfg.memo_dims)]
    for s in progress(range(r), desc="memorization seeds"):
        for kind, idx, n, d in jobs:
            data = circle.sample(jax.random.fold_in(jax.random.fold_in(k_data, s), n), n)
            if d > 2:
                frame = embed(circle, d, jax.random.fold_in(jax.random.fold_in(k_frame, s), d)).frame
                data = data @ frame.T
            if kind == "n":
                spacing[s, idx] = float(metrics.training_spacing(data))
            for j, t_min in enumerate(t_mins):
                k = jax.random.fold_in(jax.random.fold_in(k_run, s), j)
                x, rep = _memorize(k, data, process, float(t_min), cfg.memo_samples, cfg.memo_steps)
                target = (frac_n, dist_n) if kind == "n" else (frac_d, dist_d)
                target[0][s, idx, j] = float(rep.fraction_memorized)
                target[1][s, idx, j] = float(jnp.mean(rep.nearest_distance))
                if s == 0 and kind == "n" and idx == 0 and j == m - 1:
                    keep = (np.asarray(x), np.asarray(data))
    fits_n = []
    for a, n in enumerate(cfg.memo_ns):
        mask = sigmas <= cfg.memo_fit_fraction * 2 * np.pi / n
        fits_n.append(_fit(sigmas[mask], dist_n[:, a, mask], jax.random.fold_in(fk, a)))
    mask = sigmas <= cfg.memo_fit_fraction * 2 * np.pi / cfg.memo_n
    fits_d = [_fit(sigmas[mask], dist_d[:, c, mask], jax.random.fold_in(fk, 100 + c))
              for c in range(len(cfg.memo_dims))]
    fit_dim = metrics.fit_loglog_slope(np.asarray(cfg.memo_dims, float), dist_d[:, :, -1],
                                       key=jax.random.fold_in(fk, 999))
    sizes = {"N": "/".join(map(str, cfg.memo_ns)), "d": "/".join(map(str, cfg.memo_dims)),
             "b": cfg.memo_samples, "steps": cfg.memo_steps, "seeds": r, "T": cfg.T}
    meta = make_meta("memorization sweeps", sizes, key, start, cfg.scale)
    return MemorizationSweep(t_mins, sigmas, np.asarray(cfg.memo_ns), np.asarray(cfg.memo_dims),
                             cfg.memo_n, frac_n, dist_n, frac_d, dist_d, spacing.mean(0), fits_n,
                             fits_d, fit_dim, cfg.memo_fit_fraction, 1.0 + 1.0 / cfg.memo_steps,
                             *keep, meta)


def plot_memorization(res: MemorizationSweep):
    """Fraction memorized and distance to the nearest training point against sigma(t_min)."""
    with plotting.style():
        fig, axes = plotting.figure(4, width=2.6, height=2.7)
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
        axes[0, 1].set_ylabel("mean $d_1$ (nearest training point)")
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
        for ax in axes[0]:
            ax.set_xlabel(r"$\sigma(t_{\min})$")
            ax.legend(fontsize=6)
        for ax in (axes[0, 0], axes[0, 2]):
            ax.set_ylim(-0.03, 1.03)
        return plotting.finish(fig, res.meta, "memorized: nearest/second-nearest distance < 1/3; "
                               "dashed: exp(-2 sqrt(8) N d_1 / 2 pi), the chance that no other "
                               "training point is within sqrt(8) d_1")


class MemorizationFrame(NamedTuple):
    """One frame of the memorization widget: ``n`` training points, samples at ``t_min``.

    Attributes: n, t_min; data ``(n, 2)``; samples ``(b, 2)``; fraction_memorized;
    mean_distance (to the nearest training point); spacing; meta.
    """

    n: int
    t_min: float
    data: np.ndarray
    samples: np.ndarray
    fraction_memorized: float
    mean_distance: float
    spacing: float
    meta: Meta


def memorization_frame(key, cfg: Config, n: int, t_min: float) -> MemorizationFrame:
    """Sample ``cfg.frame_samples`` points with the empirical score of ``n`` circle points down to
    ``t_min`` (the training set depends on ``(key, n)``, the sampler's noise on ``key`` only)."""
    start = time.perf_counter()
    k_data, k_run = jax.random.split(key)
    data = Circle(1.0).sample(jax.random.fold_in(k_data, n), n)
    x, rep = _memorize(k_run, data, VE(T=cfg.T), float(t_min), cfg.frame_samples, cfg.memo_steps)
    meta = make_meta("memorization frame", {"N": n, "t_min": t_min, "b": cfg.frame_samples},
                     key, start, cfg.scale)
    return MemorizationFrame(int(n), float(t_min), np.asarray(data), np.asarray(x),
                             float(rep.fraction_memorized), float(jnp.mean(rep.nearest_distance)),
                             float(rep.spacing), meta)


def _frame_axes(ax, frame: MemorizationFrame):
    th = np.linspace(0, 2 * np.pi, 200)
    ax.plot(np.cos(th), np.sin(th), color="0.75", lw=0.8, zorder=0)
    ax.scatter(frame.samples[:, 0], frame.samples[:, 1], s=3, alpha=0.5, color="C0",
               rasterized=True)
    ax.scatter(frame.data[:, 0], frame.data[:, 1], s=12, marker="x", color="C3", lw=0.8)
    ax.set_aspect("equal")
    ax.set_xlim(-1.6, 1.6)
    ax.set_ylim(-1.6, 1.6)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"N = {frame.n}, $t_{{\\min}}$ = {frame.t_min:g}\nmemorized "
                 f"{frame.fraction_memorized:.2f}, $d_1$ = {frame.mean_distance:.1e}", fontsize=7)


def plot_memorization_frames(key, cfg: Config, ns=None, t_mins=None):
    """Small multiples over ``ns`` (rows) and ``t_mins`` (columns): the static twin of the widget."""
    ns = cfg.frame_ns if ns is None else ns
    t_mins = cfg.frame_t_mins if t_mins is None else t_mins
    frames = [[memorization_frame(key, cfg, n, t) for t in t_mins] for n in ns]
    with plotting.style():
        fig, axes = plotting.figure(len(t_mins), len(ns), width=2.1, height=2.2)
        for i, row in enumerate(frames):
            for j, frame in enumerate(row):
                _frame_axes(axes[i, j], frame)
        total = sum(f.meta.seconds for row in frames for f in row)
        meta = frames[0][0].meta._replace(sizes=f"N = {list(ns)}, t_min = {list(t_mins)}, "
                                                f"b = {cfg.frame_samples}", seconds=total)
        return plotting.finish(fig, meta, "crosses: training points; dots: samples")


def memorization_widget(key, cfg: Config, ns=(4, 8, 16, 32, 64, 128, 256),
                        t_mins=(1.0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-6), *, n: int = 32,
                        t_min: float = 1e-2, draw_now: bool = False):
    """Two ``ipywidgets`` sliders (``N`` and ``t_min``) redrawing :func:`memorization_frame`.

    Returns ``(widget, update)``; ``update(n, t_min)`` computes and draws one frame (about a
    second on a CPU after compilation). Nothing is computed at construction unless ``draw_now``.
    """
    widget, show = widgets.sliders(
        {"N": [int(v) for v in ns], "t_min": [float(v) for v in t_mins]},
        lambda N, t_min: memorization_frame(key, cfg, int(N), float(t_min)), plot_memorization_frame,
        values={"N": n, "t_min": t_min}, draw_now=draw_now)
    return widget, lambda n_value, t_value: show(N=n_value, t_min=t_value)


def plot_memorization_frame(frame: MemorizationFrame):
    """One frame of :func:`memorization_widget`: the samples over the training points."""
    with plotting.style():
        fig, axes = plotting.figure(1, width=3.2, height=3.3)
        _frame_axes(axes[0, 0], frame)
        return plotting.finish(fig, frame.meta)


# --- 5. when the empirical and the population score part ways --------------------------------

class DepartureCurves(NamedTuple):
    """Relative error of the empirical score against the population score, one manifold.

    Attributes:
      k, d: intrinsic and ambient dimension.
      ns: ``(a,)`` training-set sizes; sigmas: ``(s,)`` noise levels (increasing).
      errors: ``(r, a, s)`` relative :math:`L^2(p_t)` error per seed (training set), size, sigma.
      sigma_star: ``(r, a)`` :math:`\\sigma^*`; NaN where the error never crosses the threshold.
      spacing: ``(r, a)`` median nearest-neighbour distance of each training set.
      pinned: ``(r, a)`` True where :math:`\\sigma^*` is NaN or within one grid step of an end.
      fit: :class:`~manifold_diffusion.metrics.SlopeFit` of sigma_star against ``ns`` (seeds
        bootstrapped), ``None`` if a value is missing; spacing_fit likewise for ``spacing``.
    """

    k: int
    d: int
    ns: np.ndarray
    sigmas: np.ndarray
    errors: np.ndarray
    sigma_star: np.ndarray
    spacing: np.ndarray
    pinned: np.ndarray
    fit: object
    spacing_fit: object


def departure_curves(key, manifold, density, ns, sigmas, threshold: float, *, n_eval: int,
                     n_seeds: int, T: float = 9.0) -> DepartureCurves:
    r"""The relative error of :func:`~manifold_diffusion.scores.score_departure` for many training sets.

    The same computation, with the population score evaluated once per noise level for all
    training sets (sizes ``ns``, ``n_seeds`` each): :math:`n_{\rm eval}` points
    :math:`x = y + \sigma z` with :math:`y` from the population law, the same :math:`(y, z)` at every
    :math:`\sigma`, and :math:`e(\sigma) = (\sum\|\hat s - s\|^2/\sum\|s\|^2)^{1/2}`.
    :math:`\sigma^*` is the largest-sigma crossing of ``threshold``, log-log interpolated.
    The quadrature uses 1.05 times the minimal node count at the smallest sigma.
    """
    sigmas = np.sort(np.asarray(sigmas, np.float64))
    process = VE(T=T)
    length = (manifold.coord_high[0] - manifold.coord_low[0])
    n_nodes = math.ceil(1.05 * length / sigmas[0])
    population = PopulationScore(manifold, density, process, n_nodes=n_nodes)
    k_eval, k_data, k_fit = jax.random.split(key, 3)
    k_points, k_noise = jax.random.split(k_eval)             # as score_departure(k_eval, ...)
    y = manifold.sample(k_points, n_eval, density)
    z = jax.random.normal(k_noise, y.shape, y.dtype)
    ns = np.asarray(ns)
    datasets, spacing = {}, np.zeros((n_seeds, len(ns)))
    for s in range(n_seeds):
        for a, n in enumerate(ns):
            data = manifold.sample(jax.random.fold_in(jax.random.fold_in(k_data, s), int(n)),
                                   int(n), density)
            datasets[s, a] = EmpiricalScore(data, process)
            spacing[s, a] = float(metrics.training_spacing(data))
    num = np.zeros((n_seeds, len(ns), len(sigmas)))
    den = np.zeros(len(sigmas))
    for j, sigma in enumerate(sigmas):
        t = float(sigma) ** 2
        x = y + jnp.asarray(sigma, y.dtype) * z
        exact = population(x, t)
        den[j] = float(jnp.sum(exact * exact))
        for (s, a), emp in datasets.items():
            diff = emp(x, t) - exact
            num[s, a, j] = float(jnp.sum(diff * diff))
    errors = np.sqrt(num / den)
    stars = np.asarray([[departure_level(sigmas, errors[s, a], threshold) for a in range(len(ns))]
                        for s in range(n_seeds)])
    low, high = sigmas[1], sigmas[-2]
    pinned = ~np.isfinite(stars) | (stars <= low) | (stars >= high)
    fit = (metrics.fit_loglog_slope(ns.astype(float), stars, key=k_fit)
           if len(ns) >= 3 and np.all(np.isfinite(stars)) else None)
    spacing_fit = (metrics.fit_loglog_slope(ns.astype(float), spacing, key=jax.random.fold_in(k_fit, 1))
                   if len(ns) >= 3 else None)
    return DepartureCurves(manifold.k, manifold.d, ns, sigmas, errors, stars, spacing, pinned,
                           fit, spacing_fit)


class DepartureResult(NamedTuple):
    """:math:`\\sigma^*(N)` for each (k, d): ``curves`` a list of :class:`DepartureCurves`;
    ``threshold``; meta."""

    curves: list
    threshold: float
    meta: Meta


def run_departure(key, cfg: Config) -> DepartureResult:
    r""":math:`\sigma^*(N)` on the unit circle (:math:`k=1`, von Mises) embedded in each of
    ``k1_dims``, and on the flat torus (:math:`k=2`, von Mises :math:`\times` uniform) in each of
    ``k2_dims``, by :func:`departure_curves`."""
    start = time.perf_counter()
    circle, torus = Circle(1.0), FlatTorus(1.0, 1.0)
    vm = VonMises(0.0, 1.0)
    jobs = [(circle, vm, d, cfg.k1_ns, cfg.k1_sigma_range) for d in cfg.k1_dims]
    jobs += [(torus, ProductDensity([vm, None]), d, cfg.k2_ns, cfg.k2_sigma_range)
             for d in cfg.k2_dims]
    curves = []
    for i, (base, dens, d, ns, (lo, hi)) in enumerate(progress(jobs, desc="sigma*(N)")):
        m = base if d == base.d else embed(base, d, jax.random.fold_in(key, 1000 + i))
        sigmas = np.geomspace(lo, hi, cfg.n_sigmas)
        curves.append(departure_curves(jax.random.fold_in(key, i), m, dens, ns, sigmas,
                                       cfg.threshold, n_eval=cfg.departure_eval,
                                       n_seeds=cfg.departure_seeds, T=cfg.T))
    sizes = {"k1 d": "/".join(map(str, cfg.k1_dims)), "k2 d": "/".join(map(str, cfg.k2_dims)),
             "eval": cfg.departure_eval, "seeds": cfg.departure_seeds, "sigmas": cfg.n_sigmas,
             "threshold": cfg.threshold}
    meta = make_meta("sigma*(N)", sizes, key, start, cfg.scale)
    return DepartureResult(curves, cfg.threshold, meta)


def departure_table(res: DepartureResult) -> str:
    """HTML table: for each (k, d) the fitted slope of sigma* and of the spacing, with intervals."""
    head = ["k", "d", "N", "slope of σ*(N) [95% CI]", "slope of spacing [95% CI]", "theory",
            "σ*/spacing", "pinned"]
    rows = []
    for c in res.curves:
        fit = c.fit.format() if c.fit is not None else "&ndash;"
        ratio = np.nanmedian(c.sigma_star / c.spacing)
        rows.append([c.k, c.d, f"{c.ns.min()}&ndash;{c.ns.max()}", fit.replace("slope ", ""),
                     c.spacing_fit.format().replace("slope ", ""), f"&minus;1/{c.k}",
                     f"{ratio:.2f}", int(c.pinned.sum())])
    return ("<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join("<tr>" + "".join(f"<td>{v}</td>" for v in r) + "</tr>" for r in rows)
            + "</tbody></table>")


def plot_departure(res: DepartureResult):
    """Error curves (k = 1, first d), sigma*(N) for every (k, d), and the slopes with intervals."""
    with plotting.style():
        fig, axes = plotting.figure(3, width=3.2, height=3.0)
        first = res.curves[0]
        ax = axes[0, 0]
        for a, n in enumerate(first.ns):
            ax.loglog(first.sigmas, first.errors[:, a].mean(0), "-", lw=1,
                      color=_color(a, len(first.ns)), label=f"N = {n}")
        ax.axhline(res.threshold, color="k", ls=":", lw=1)
        ax.set_xlabel(r"$\sigma$")
        ax.set_ylabel("relative error of the empirical score")
        ax.set_title(f"k = {first.k}, d = {first.d}", fontsize=8)
        ax.legend(fontsize=6, ncol=2)
        ax = axes[0, 1]
        markers = {1: "o", 2: "s"}
        for i, c in enumerate(res.curves):
            mean = np.exp(np.nanmean(np.log(c.sigma_star), axis=0))
            ax.loglog(c.ns, mean, markers[c.k] + "-", ms=3, lw=0.8, color=f"C{i}",
                      label=f"k = {c.k}, d = {c.d}")
        for kk, ls in ((1, "--"), (2, ":")):
            cs = [c for c in res.curves if c.k == kk]
            if cs:
                n0 = cs[0].ns
                ref = np.exp(np.nanmean(np.log(cs[0].sigma_star[:, 0]))) * (n0 / n0[0]) ** (-1 / kk)
                ax.loglog(n0, ref, "k" + ls, lw=1, label="$N^{-1}$" if kk == 1 else "$N^{-1/2}$")
        ax.set_xlabel("training-set size $N$")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_ylabel(r"$\sigma^*(N)$")
        ax.legend(fontsize=6)
        ax = axes[0, 2]
        for i, c in enumerate(res.curves):
            if c.fit is None:
                continue
            ax.errorbar([i], [c.fit.slope], yerr=[[c.fit.slope - c.fit.ci_low],
                                                  [c.fit.ci_high - c.fit.slope]],
                        fmt=markers[c.k], color=f"C{i}", capsize=3)
            ax.plot([i - 0.3, i + 0.3], [-1 / c.k] * 2, "k-", lw=1)
        ax.set_xticks(range(len(res.curves)))
        ax.set_xticklabels([f"k{c.k}\nd{c.d}" for c in res.curves], fontsize=7)
        ax.set_ylabel(r"fitted slope of $\sigma^*(N)$ (95 % CI)")
        ax.set_title("black: theory $-1/k$", fontsize=8)
        return plotting.finish(fig, res.meta, f"threshold {res.threshold:g} on the relative "
                               "L2 error; slopes bootstrapped over training sets")


def _color(i: int, n: int):
    """The ``i``-th of ``n`` colours of a sequential map."""
    import matplotlib

    return matplotlib.colormaps["viridis"](0.1 + 0.8 * i / max(1, n - 1))
