r"""Data on a manifold: reach and tube of an ellipse, a Swiss roll, and a circle embedded in
:math:`\mathbb R^d`, whose noised points lie at distance :math:`\approx\sigma\sqrt{d-1}` from it
while their foot points move along it by about :math:`\sigma` whatever :math:`d`."""

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ... import metrics, plotting
from ...keys import named_keys
from ...manifolds import Circle, Ellipse, FlatTorus, Sphere, SwissRoll, Torus, embed
from ..harness import ExperimentConfig, Meta, check_result, experiment

__all__ = ["Config", "Result", "run", "plot", "manifold_table"]


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Attributes: dims: ambient dimensions of the embedded circle; n_points: points on it (and on
    the Swiss roll); sigma: the noise level; semi_axes: the ellipse."""

    dims: tuple[int, ...] = (2, 3, 10, 100, 784)
    n_points: int = 1000
    sigma: float = 0.05
    semi_axes: tuple[float, float] = (1.0, 2.0)
    overrides = {"quick": dict(dims=(2, 100, 784), n_points=200), "large": dict(n_points=10_000)}


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


class Result(NamedTuple):
    r"""Geometry of the chapter's manifolds.

    Attributes:
      ellipse_points: ``(m, 2)`` the ellipse; ``ellipse_normals``: ``(m, 2)`` unit normals there.
      reach: the ellipse's reach :math:`\tau`; medial_half_length: :math:`(b^2 - a^2)/b`.
      swiss: ``(b, 3)`` Swiss-roll points; ``swiss_coords``: ``(b, 2)`` their coordinates.
      dims: ``(q,)`` ambient dimensions of the embedded circle.
      normal_distance: ``(q,)`` root mean square distance of noised points :math:`y + \sigma z` to ``M``.
      tangential_shift: ``(q,)`` mean distance between :math:`y` and :math:`\Pi_M(y+\sigma z)`.
      isometry_error: ``(q,)`` largest change of a pairwise distance under the embedding.
      sigma: the noise level; fit: slope of ``normal_distance`` against :math:`d - 1`. meta.
    """

    ellipse_points: np.ndarray
    ellipse_normals: np.ndarray
    reach: float
    medial_half_length: float
    swiss: np.ndarray
    swiss_coords: np.ndarray
    dims: np.ndarray
    normal_distance: np.ndarray
    tangential_shift: np.ndarray
    isometry_error: np.ndarray
    sigma: float
    fit: metrics.SlopeFit
    meta: Meta | None = None

    def summary(self) -> dict:
        r"""The fitted slope in :math:`d-1` (theory 1/2); at the largest :math:`d` the rms distance
        over :math:`\sigma` and :math:`\sqrt{d-1}`; the range of the foot-point shift over
        :math:`\sigma`; the largest isometry error."""
        return {"slope": self.fit.slope, "low": self.fit.ci_low, "high": self.fit.ci_high,
                "sigma": self.sigma, "dmax": int(self.dims.max()),
                "ratio_max": float(self.normal_distance[-1] / self.sigma),
                "pred_max": float(np.sqrt(self.dims[-1] - 1)),
                "shift_min": float(self.tangential_shift.min() / self.sigma),
                "shift_max": float(self.tangential_shift.max() / self.sigma),
                "iso": float(self.isometry_error.max())}


@experiment("manifold geometry", sizes=lambda c: {"b": c.n_points, "sigma": c.sigma,
                                                 "d": f"{min(c.dims)}-{max(c.dims)}"})
def run(key, config: Config) -> Result:
    r"""The ellipse's tube, a Swiss roll, and the circle noised in :math:`\mathbb R^d` for each ``d``.

    For :math:`y` on the circle and :math:`x = y + \sigma z` the normal space has dimension
    :math:`d - 1`, so :math:`\operatorname{dist}(x, M)\approx\sigma\sqrt{d-1}`.
    """
    keys = named_keys(key, "swiss", "circle", "frames", "noise", "fit")
    ell = Ellipse(*config.semi_axes)
    u = jnp.linspace(0.0, ell.volume, 400, endpoint=False)
    pts = ell.embed_coords(u)
    tangent = ell.tangent_basis(pts)[:, :, 0]
    normals = jnp.stack([tangent[:, 1], -tangent[:, 0]], axis=1)
    swiss, swiss_u = SwissRoll().sample_with_coords(keys.swiss, config.n_points)
    circle = Circle(1.0)
    y2 = circle.sample(keys.circle, config.n_points)
    y_few = np.asarray(y2)[:50]
    pair = np.linalg.norm(y_few[:, None] - y_few[None, :], axis=-1)
    dist, shift, iso = [], [], []
    q = len(config.dims)
    for d, k_frame, k_noise in zip(config.dims, jax.random.split(keys.frames, q),
                                   jax.random.split(keys.noise, q)):
        m = circle if d == 2 else embed(circle, d, k_frame)
        y = y2 if d == 2 else y2 @ m.frame.T
        x = y + config.sigma * jax.random.normal(k_noise, y.shape)
        dist.append(float(jnp.sqrt(jnp.mean(m.distance(x) ** 2))))
        shift.append(float(jnp.mean(jnp.linalg.norm(m.project(x) - y, axis=1))))
        yd = np.asarray(y)[:50]
        iso.append(float(np.max(np.abs(np.linalg.norm(yd[:, None] - yd[None, :], axis=-1) - pair))))
    dims = np.asarray(config.dims)
    fit = metrics.fit_loglog_slope(dims - 1, np.asarray(dist), key=keys.fit)
    a, b = sorted(config.semi_axes)
    return Result(np.asarray(pts), np.asarray(normals), ell.reach, (b * b - a * a) / b,
                  np.asarray(swiss), np.asarray(swiss_u), dims, np.asarray(dist), np.asarray(shift),
                  np.asarray(iso), config.sigma, fit)


def plot(result: Result):
    """Ellipse with its tube of radius reach and medial axis; Swiss roll; distance against ``d``."""
    res = check_result(result, Result)
    with plotting.style():
        fig, axes = plotting.figure(3, width=2.27, height=3.6)
        below = dict(loc="upper center", bbox_to_anchor=(0.5, -0.16), handlelength=1.5)
        ax = axes[0, 0]
        p, n, tau = res.ellipse_points, res.ellipse_normals, res.reach
        closed = lambda a: np.vstack([a, a[:1]])                      # noqa: E731
        ax.fill(closed(p + tau * n)[:, 0], closed(p + tau * n)[:, 1], color="C0", alpha=0.12, lw=0)
        ax.fill(closed(p - tau * n)[:, 0], closed(p - tau * n)[:, 1], color="white", lw=0)
        ax.plot(*closed(p).T, color="C0", lw=1.5, label="$M$: ellipse $a=1$, $b=2$")
        ax.plot(*closed(p + tau * n).T, color="C0", lw=0.6, ls="--")
        ax.plot(*closed(p - tau * n).T, color="C0", lw=0.6, ls="--",
                label=f"tube, radius $\\tau$ = {tau:.2f}")
        ax.plot(*closed(p - 1.6 * tau * n).T, color="C3", lw=0.6,
                label=r"$1.6\tau$ inward: folds")
        half = res.medial_half_length
        ax.plot([0, 0], [-half, half], color="k", lw=1.2, label="medial axis")
        ax.set_aspect("equal")
        ax.set_xlim(-1.8, 1.8)
        ax.set_ylim(-2.7, 2.7)
        ax.set_yticks([-2, 0, 2])
        ax.legend(**below)
        ax.set_title("reach and\ntubular neighbourhood")
        ax = axes[0, 1]
        ax.scatter(res.swiss[:, 0], res.swiss[:, 2], c=res.swiss_coords[:, 0], s=3, cmap="viridis",
                   rasterized=True)
        ax.set_aspect("equal")
        ax.set_title("Swiss roll ($k=2$, $d=3$)\nseen along its axis")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_3$")
        ax = axes[0, 2]
        d = res.dims
        ax.loglog(d, res.normal_distance / res.sigma, "o-", label=r"rms dist$(x, M)/\sigma$")
        ax.loglog(d, np.sqrt(d - 1.0), "k:", lw=1, label=r"$\sqrt{d-1}$")
        ax.loglog(d, res.tangential_shift / res.sigma, "s-",
                  label=r"$\|\Pi_M x - y\|/\sigma$ (along M)")
        ax.set_xlabel("ambient dimension $d$")
        ax.set_title("circle in $\\mathbb{R}^d$\n$x = y + \\sigma z$")
        ax.legend(**{**below, "bbox_to_anchor": (0.5, -0.27)})
        return plotting.finish(fig, res.meta, f"right: slope of the distance in d-1: "
                               f"{res.fit.format(theory=0.5)}")
