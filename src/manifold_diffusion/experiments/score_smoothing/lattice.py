r"""Anisotropic kernels choose other manifolds: a square lattice lies on its rows and on its
columns; Gaussian kernels elongated along :math:`x` or :math:`y`, or isotropic, choose the rows,
the columns, or a mixture (the idea of the paper's tailored kernels, :cite:`farghly2025logdomain`,
Fig. 3; the lattice is our example)."""

import dataclasses
from typing import NamedTuple

import jax
import numpy as np

from ... import metrics, plotting
from ...data import square_lattice
from ...keys import named_keys
from ...samplers import sample
from ...scores import EmpiricalScore, SmoothedScore
from ..harness import Meta, check_result, experiment, progress
from ._setup import SmoothingConfig

__all__ = ["Config", "Result", "run", "plot", "KERNELS"]

#: The kernels, in order: isotropic, elongated along x (rows), elongated along y (columns).
KERNELS = ("isotropic", "elongated along x", "elongated along y")


@dataclasses.dataclass(frozen=True)
class Config(SmoothingConfig):
    """Attributes: n: an ``n`` x ``n`` lattice; spacing; bandwidth: the kernels' major-axis
    bandwidth; ratio: minor/major axis ratio of the elongated kernels; n_samples; n_draws;
    n_seeds."""

    n: int = 5
    spacing: float = 0.5
    bandwidth: float = 0.25
    ratio: float = 0.2
    n_samples: int = 400
    n_draws: int = 500
    n_seeds: int = 3
    overrides = {"quick": dict(n_samples=100, n_draws=64, n_seeds=1),
                 "large": dict(n_samples=20_000, n_draws=4096, n_seeds=8)}


class Result(NamedTuple):
    r"""One lattice, three Gaussian kernels (:data:`KERNELS`).

    Attributes: covariances: ``(3, 2, 2)`` kernel covariances (times the bandwidth squared).
    bandwidth. ratio. data: ``(n*n, 2)``. samples: ``(3, b, 2)`` of the first seed. on_rows,
    on_columns, row_gap, column_gap, cell_centre: ``(3,)`` means over seeds of the fields of
    :class:`~manifold_diffusion.metrics.LatticeStats`. per_seed: ``(s, 3, 5)``. spacing. meta.
    """

    covariances: np.ndarray
    bandwidth: float
    ratio: float
    data: np.ndarray
    samples: np.ndarray
    on_rows: np.ndarray
    on_columns: np.ndarray
    row_gap: np.ndarray
    column_gap: np.ndarray
    cell_centre: np.ndarray
    per_seed: np.ndarray
    spacing: float
    meta: Meta | None = None

    def summary(self) -> dict:
        """The five fractions per kernel (``iso``, ``x``, ``y``) and the sd over seeds of the
        row-gap fraction of the x-kernel and the column-gap fraction of the y-kernel."""
        out = {"h": self.bandwidth, "ratio": self.ratio, "seeds": int(self.per_seed.shape[0]),
               "rgap_x_sd": float(self.per_seed[:, 1, 2].std()),
               "cgap_y_sd": float(self.per_seed[:, 2, 3].std())}
        for j, tag in enumerate(("iso", "x", "y")):
            out.update({f"rows_{tag}": float(self.on_rows[j]), f"cols_{tag}": float(self.on_columns[j]),
                        f"rgap_{tag}": float(self.row_gap[j]), f"cgap_{tag}": float(self.column_gap[j]),
                        f"cell_{tag}": float(self.cell_centre[j])})
        return out


@experiment("anisotropic kernels on a lattice", sizes=lambda c: {
    "n": f"{c.n}x{c.n}", "spacing": c.spacing, "h": c.bandwidth, "ratio": c.ratio,
    "b": c.n_samples, "M": c.n_draws, "steps": c.n_steps, "seeds": c.n_seeds})
def run(key, config: Config) -> Result:
    r"""Sample with the smoothed empirical score of the lattice with three kernels of major
    bandwidth ``bandwidth``: isotropic, and elongated along :math:`x` or :math:`y` (covariance
    ``diag(1, r^2)`` or ``diag(r^2, 1)``). The sampler keys and the standard-normal draws are
    shared by the three kernels within a seed."""
    process, grid = config.process(), config.grid()
    data = square_lattice(config.n, config.spacing)
    empirical = EmpiricalScore(data, process)
    r2 = config.ratio ** 2
    covs = np.stack([np.eye(2), np.diag([1.0, r2]), np.diag([r2, 1.0])])
    samples, stats = [], np.zeros((config.n_seeds, 3, 5))
    seeds = list(enumerate(jax.random.split(key, config.n_seeds)))
    for s, k in progress(seeds, desc="lattice"):
        keys = named_keys(k, "sampler", "draws")
        for j, cov in enumerate(covs):
            score = SmoothedScore(empirical, config.bandwidth, config.n_draws, keys.draws,
                                  covariance=cov)
            x = np.asarray(sample(keys.sampler, score, process, config.n_samples, grid))
            if s == 0:
                samples.append(x)
            stats[s, j] = metrics.lattice_stats(x, config.n, config.spacing)
    m = stats.mean(axis=0)
    return Result(covs, config.bandwidth, config.ratio, np.asarray(data), np.stack(samples), *m.T,
                  stats, config.spacing)


def plot(result: Result):
    """The samples of each kernel over the lattice, with the kernel's 2-sd ellipse drawn at a
    cell centre, and the row/column fractions as bars."""
    res = check_result(result, Result)
    lim = res.spacing * (np.sqrt(len(res.data)) - 1) / 2 + 0.3 * res.spacing
    with plotting.style():
        # two rows: the three kernels' samples on top, the bar chart across the full width below
        fig, axes = plotting.figure(3, 2, width=2.25, height=2.45,
                                    gridspec_kw={"height_ratios": [1.25, 1.0]})
        for ax in axes[1]:
            ax.remove()
        bars = fig.add_subplot(axes[0, 0].get_gridspec()[1, :])
        th = np.linspace(0, 2 * np.pi, 100)
        short = ("isotropic", "along $x$", "along $y$")
        for j, name in enumerate(KERNELS):
            ax = axes[0, j]
            ax.scatter(res.samples[j, :, 0], res.samples[j, :, 1], s=3, alpha=0.5, color="C0",
                       rasterized=True, label="samples")
            ax.scatter(res.data[:, 0], res.data[:, 1], s=18, marker="x", color="C3", zorder=3,
                       label="training points")
            root = np.sqrt(np.diag(res.covariances[j]))
            c = res.spacing / 2
            ax.plot(c + 2 * res.bandwidth * root[0] * np.cos(th),
                    c + 2 * res.bandwidth * root[1] * np.sin(th), color="C2", lw=1.2,
                    label="kernel (2 sd)")
            ax.set_aspect("equal")
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_xlabel("$x$")
            if j == 0:
                ax.set_ylabel("$y$")
            ax.set_title(f"kernel {short[j]}\nrows {res.on_rows[j]:.2f}, "
                         f"cols {res.on_columns[j]:.2f}")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside upper center", ncol=3, markerscale=2)
        ax = bars
        x = np.arange(3)
        w = 0.2
        groups = ((res.on_rows, "on a row"), (res.on_columns, "on a column"),
                  (res.row_gap, "row, between columns"), (res.column_gap, "column, between rows"))
        for i, (vals, lab) in enumerate(groups):
            ax.bar(x + (i - 1.5) * w, vals, w, label=lab, color=f"C{i + 4}")
        ax.set_xticks(x, [f"kernel {s}" for s in short])
        ax.set_ylabel("fraction of samples")
        ax.set_ylim(0, 1.05)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return plotting.finish(fig, res.meta, "row/column: within a tenth of the spacing of a "
                               "horizontal/vertical lattice line; between: central half of the "
                               "gap")
