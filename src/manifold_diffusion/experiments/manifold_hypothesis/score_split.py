r"""The score sees geometry first: the population score of a von Mises law on an ellipse, split at
fixed points of the tube into its normal part (order :math:`\sigma^{-2}`), its tangential part
(order 1) and the residual :math:`\|\sigma^2 s + (x - \Pi_M x)\|` (order :math:`\sigma^2`), as
log-log slopes in :math:`\sigma` against the expansion of :cite:`li2026scores` (Thm. 3.1)."""

import dataclasses
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import matplotlib.ticker
import numpy as np

from ... import metrics, plotting
from ...keys import named_keys
from ...scores import PopulationScore
from ..harness import Meta, check_result, experiment
from ._ellipse import EllipseConfig

__all__ = ["Config", "Result", "run", "plot", "THEORY"]

#: The exponents of the expansion, :math:`\sigma^{-2}`, :math:`\sigma^0`, :math:`\sigma^2`.
THEORY = {"normal": -2.0, "tangential": 0.0, "residual": 2.0}


@dataclasses.dataclass(frozen=True)
class Config(EllipseConfig):
    """Attributes: sigmas: the noise levels; n_points: query points per group; n_groups: groups
    (the slopes are bootstrapped over groups); offset: the largest normal offset of a query
    point, as a fraction of the reach."""

    sigmas: tuple[float, ...] = tuple(float(s) for s in np.geomspace(0.01, 0.1, 7))
    n_points: int = 64
    n_groups: int = 8
    offset: float = 0.2
    overrides = {"quick": dict(sigmas=tuple(float(s) for s in np.geomspace(0.02, 0.1, 4)),
                               n_points=16, n_groups=4),
                 "large": dict(sigmas=tuple(float(s) for s in np.geomspace(0.005, 0.1, 9)),
                               n_points=256, n_groups=16)}


class Result(NamedTuple):
    r"""The population score at fixed points of the tube, split at their projections.

    Attributes:
      sigmas: ``(m,)`` noise levels.
      points: ``(g, p, 2)`` query points (``g`` groups of ``p``); ``offsets``: ``(g, p)`` their
        signed normal offsets; ``feet``: ``(g, p, 2)`` their projections.
      residual: ``(g, m)`` per-group median of :math:`\|\sigma^2 s + (x - \Pi_M x)\|`.
      normal: ``(g, m)`` median normal part :math:`\|s_\perp\|`.
      tangential: ``(g, m)`` median tangential part :math:`|s_\parallel|`.
      curve_u: ``(c,)`` arc length of points on ``M``; ``curve_tangential``: ``(m, c)`` the
        tangential score there; ``curve_limit``: ``(c,)`` :math:`\partial_u\log p(u)`, its limit.
      limit_error: ``(m,)`` largest :math:`|s_\parallel - \partial_u\log p|` on ``M`` at each sigma
        (it grows again at the smallest sigma in float32: logits of size :math:`|x|/\sigma^2`
        carry rounding :math:`\epsilon|x|/\sigma^2`).
      fits: dict ``residual``, ``normal``, ``tangential`` -> :class:`~manifold_diffusion.metrics.SlopeFit`.
      offset: the largest normal offset (absolute); kappa. meta.
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
    offset: float
    kappa: float
    meta: Meta | None = None

    def summary(self) -> dict:
        """The three slopes with their intervals; the smallest gap to the limit on ``M``, where it
        is reached, the gap at the smallest sigma and the size of the limit."""
        out = {"kappa": self.kappa, "offset": self.offset, "sigma_min": float(self.sigmas.min())}
        for name, fit in self.fits.items():
            out.update({f"{name}_slope": fit.slope, f"{name}_low": fit.ci_low,
                        f"{name}_high": fit.ci_high})
        best = int(np.argmin(self.limit_error))
        out.update(limit_error=float(self.limit_error[best]), limit_sigma=float(self.sigmas[best]),
                   limit_error0=float(self.limit_error[0]),
                   limit_scale=float(np.abs(self.curve_limit).max()))
        return out


@experiment("score split on the ellipse", sizes=lambda c: {
    "points": c.n_groups * c.n_points, "groups": c.n_groups,
    "nodes": math.ceil(2.0 * c.ellipse().volume / min(c.sigmas)),
    "sigma": f"{min(c.sigmas):.3g}-{max(c.sigmas):.3g}"})
def run(key, config: Config) -> Result:
    r"""Split the population score of the von Mises ellipse at fixed points, for each sigma.

    The query points :math:`x = \gamma(u) + r\,\nu(u)` (``u`` uniform in arc length, :math:`\nu` the
    unit normal, :math:`|r|\le` ``offset`` :math:`\cdot\tau`) do not move with :math:`\sigma`, as in
    the expansion, which holds uniformly on a fixed tube. The score is computed by quadrature with
    twice the minimal node count (error :math:`\lesssim e^{-8\pi^2}`).
    """
    keys = named_keys(key, "positions", "offsets", "fit")
    ell, density = config.ellipse(), config.density()
    sigmas = np.asarray(config.sigmas, np.float64)
    n_nodes = math.ceil(2.0 * ell.volume / sigmas.min())
    score = PopulationScore(ell, density, config.process(), n_nodes=n_nodes)
    g, p = config.n_groups, config.n_points
    u = jax.random.uniform(keys.positions, (g * p,), minval=0.0, maxval=ell.volume)
    r = config.offset * ell.reach * jax.random.uniform(keys.offsets, (g * p,), minval=-1.0,
                                                       maxval=1.0)
    on = ell.embed_coords(u)
    tangent = ell.tangent_basis(on)[:, :, 0]
    normal = jnp.stack([tangent[:, 1], -tangent[:, 0]], axis=1)
    x = on + r[:, None] * normal
    feet = ell.project(x)
    curve_u = jnp.linspace(0.0, ell.volume, 200, endpoint=False)
    curve = ell.embed_coords(curve_u)
    curve_t = ell.tangent_basis(curve)[:, :, 0]
    residual, norm_n, norm_t, curve_tan = [], [], [], []
    median = lambda a: np.median(np.asarray(a).reshape(g, p), axis=1)            # noqa: E731
    for sigma in sigmas:
        t = float(sigma) ** 2
        s = score(x, t)
        split = metrics.tangent_normal_split(ell, x, s)
        residual.append(median(jnp.linalg.norm(sigma**2 * s + (x - feet), axis=1)))
        norm_n.append(median(split.normal_norm))
        norm_t.append(median(split.tangential_norm))
        curve_tan.append(np.asarray(jnp.sum(score(curve, t) * curve_t, axis=1)))
    residual, norm_n, norm_t = (np.stack(a, axis=1) for a in (residual, norm_n, norm_t))
    # limit of the tangential part on M: d/du log p(u), p the density w.r.t. arc length, signed
    # along the tangent basis vector (compared with the direction of increasing u)
    limit = np.asarray(jax.vmap(jax.grad(lambda v: ell.log_prob(v[None], density)[0]))(curve_u))
    direction = np.sign(np.sum(np.asarray(curve_t) * np.asarray(
        ell.embed_coords(curve_u + 1e-3) - curve), axis=1))
    limit = limit * direction
    curve_tan = np.stack(curve_tan)
    fits = {name: metrics.fit_loglog_slope(sigmas, val, key=k)
            for (name, val), k in zip((("residual", residual), ("normal", norm_n),
                                       ("tangential", norm_t)), jax.random.split(keys.fit, 3))}
    return Result(sigmas, np.asarray(x).reshape(g, p, 2), np.asarray(r).reshape(g, p),
                  np.asarray(feet).reshape(g, p, 2), residual, norm_n, norm_t, np.asarray(curve_u),
                  curve_tan, limit, np.max(np.abs(curve_tan - limit[None, :]), axis=1), fits,
                  config.offset * ell.reach, config.kappa)


def plot(result: Result):
    """The three parts against sigma (log-log, fitted lines), and the tangential part on ``M``."""
    res = check_result(result, Result)
    labels = {"residual": r"$\|\sigma^2 s + (x - \Pi_M x)\|$", "normal": r"$\|s_\perp\|$",
              "tangential": r"$|s_\parallel|$"}
    with plotting.style():
        fig, axes = plotting.figure(2, width=3.4, height=3.0)
        ax = axes[0, 0]
        for i, name in enumerate(("normal", "tangential", "residual")):
            val, fit = getattr(res, name), res.fits[name]
            ax.loglog(res.sigmas, np.exp(np.log(val).mean(0)), "o", color=f"C{i}",
                      label=f"{labels[name]}: {fit.slope:.2f} (theory {THEORY[name]:g})")
            ax.loglog(res.sigmas, np.exp(fit.intercept) * res.sigmas ** fit.slope, "-",
                      color=f"C{i}", lw=0.8)
        ax.set_xlabel(r"noise level $\sigma$")
        ax.set_ylabel("median over fixed\npoints of the tube")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xticks([0.01, 0.02, 0.05, 0.1], ["0.01", "0.02", "0.05", "0.1"])
        ax.legend(loc="center", bbox_to_anchor=(0.5, 0.42))
        ax.set_title("geometry at $\\sigma^{-2}$, density at $O(1)$")
        ax = axes[0, 1]
        for j in (0, len(res.sigmas) // 2, len(res.sigmas) - 1):
            ax.plot(res.curve_u, res.curve_tangential[j], lw=1,
                    label=f"$s_\\parallel$ on $M$, $\\sigma$ = {res.sigmas[j]:.3f}")
        ax.plot(res.curve_u, res.curve_limit, "k--", lw=1, label=r"$\partial_u \log p(u)$")
        ax.set_xlabel("arc length $u$ along the ellipse")
        ax.set_ylabel("tangential score")
        ax.legend()
        return plotting.finish(fig, res.meta, "slopes fitted over groups of query points "
                               "(bootstrap over groups)")
