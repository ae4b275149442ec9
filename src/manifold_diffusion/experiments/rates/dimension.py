r"""Claim 5: the rate depends on :math:`k` and :math:`\beta`, not on :math:`d` -- tested on a curve in
:math:`\mathbb R^2, \mathbb R^{10}, \mathbb R^{100}` and a surface in :math:`\mathbb R^3, \mathbb R^{10}`.

The same manifold, isometrically embedded by a random orthonormal frame
(:func:`~manifold_diffusion.manifolds.embed`), and the same learned coarse-score sampler as in
:mod:`.coverage`, with two changes that the ambient dimension forces: the large-noise stage draws
from the noised *population* law (the idealised large-noise stage), and its level shrinks with the
codimension, :math:`\sigma_{\rm hi}(d) = \sigma_{\rm hi}\sqrt{(d_0 - k)/(d - k)}` (:math:`d_0` the
dimension of the first setting), so that the normal offsets :math:`\sigma_{\rm hi}\sqrt{d-k}` of the
stage stay inside the reach. The score is trained on :math:`[\sigma_{\rm lo}, \sigma_{\rm hi}(d)]`.

For :math:`k = 2` (:class:`~manifold_diffusion.manifolds.RoughSphere`, uniform law, chord caps) the
exponents to compare with are :math:`\beta/8` (A) and :math:`(\beta - 1)/8` (B), and the
memorization ceiling's is :math:`1/2`.
"""

import dataclasses
import math
from typing import NamedTuple

import numpy as np

from ... import plotting
from ...keys import named_keys
from ...manifolds import embed
from ..harness import ExperimentConfig, Meta, experiment
from . import _plots, _sweep, settings
from .coverage import ALPHA, C, DELTAS

__all__ = ["Config", "Result", "run", "plot", "SURFACE_DELTAS"]
__all__ += ["sweep_dimensions"]

#: Radii of the surface coverage curves.
SURFACE_DELTAS = tuple(float(v) for v in np.geomspace(0.01, 1.2, 20))


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Attributes: setting: a curve or surface name (:mod:`.settings`); dims: ambient dimensions
    (the first is the manifold's own); ns, n_seeds, n_gen, sigma_band (for the first dimension),
    n_levels, n_stops: as :class:`.coverage.Config`."""

    setting: str = "rough-2.5"
    dims: tuple[int, ...] = (2, 10, 100)
    ns: tuple[int, ...] = (256, 1024, 4096)
    n_seeds: int = 3
    n_gen: int = 10_000
    sigma_band: tuple[float, float] = (1e-3, 0.3)
    n_levels: int = 12
    n_stops: int = 6
    overrides = {"quick": dict(dims=(2, 100), ns=(128,), n_seeds=2, n_gen=5_000, n_levels=8, n_stops=4),
                 "large": dict(dims=(2, 10, 100, 1000), ns=(256, 1024, 4096, 16384), n_seeds=5,
                               n_gen=200_000)}


class Result(NamedTuple):
    """Attributes: sweep (:class:`._sweep.SweepResult`, one setting per ambient dimension); setting;
    meta."""

    sweep: _sweep.SweepResult
    setting: str
    meta: Meta | None = None

    def summary(self) -> dict:
        """The sweep's summary (settings labelled ``d<dim>``)."""
        return self.sweep.summary()


def _manifold(name):
    return settings.surface(name) if name in settings.SURFACES or name.startswith("rough-sphere") \
        else settings.curve(name)


def _sizes(c):
    return {"setting": c.setting, "d": c.dims, "N": f"{c.ns[0]}..{c.ns[-1]}", "seeds": c.n_seeds,
            "n_gen": c.n_gen}


@experiment("ambient dimension", sizes=_sizes)
def run(key, config: Config) -> Result:
    """The sweep over ambient dimensions (module docstring)."""
    return sweep_dimensions(key, config)


def sweep_dimensions(key, config) -> Result:
    """The sweep of ``run`` for any config with the fields of :class:`Config` (also
    :class:`.surface.Config`); not recorded (``run`` is)."""
    keys = named_keys(key, "frames", "sweep")
    base = _manifold(config.setting)
    k, d0 = base.k, base.d
    if config.dims[0] != d0 or any(d < d0 for d in config.dims):
        raise ValueError(f"config.dims: expected the manifold's own dimension {d0} first and no smaller "
                         f"one, got {config.dims}")
    dens = settings.density("smooth") if k == 1 else None
    lo, hi = config.sigma_band
    entries = []
    for d in config.dims:
        manifold = base if d == d0 else embed(base, d, named_keys(keys.frames, f"d{d}")[0])
        band = (lo, hi * math.sqrt((d0 - k) / (d - k)))
        entries.append(_sweep.Entry(f"d{d}", manifold, dens, settings.regularity(config.setting), band,
                                    stage="population"))
    deltas = np.asarray(DELTAS if k == 1 else SURFACE_DELTAS)
    res = _sweep.sweep(keys.sweep, entries, config.ns, n_seeds=config.n_seeds, n_gen=config.n_gen,
                       n_levels=config.n_levels, n_stops=config.n_stops, deltas=deltas, C=C, alpha=ALPHA,
                       estimator_text=(f"ridge, m(N) = ⌈16√N⌉, DSM on σ ∈ [{lo:g}, σ_hi(d)], σ_hi(d) = "
                                       f"{hi:g}·√({d0 - k}/(d − {k})); population large-noise stage"))
    return Result(res, config.setting)


def plot(result: Result):
    """Coverage scale and fidelity against N, one curve per ambient dimension."""
    res = _sweep.check_result(result, Result)
    fig, axes = plotting.figure(2, 1, width=3.4, height=3.2)
    with plotting.style():
        _plots.sweep_panels(axes[0], res.sweep, exponent_k=True,
                            labels=[f"{res.setting} in R^{d}" for d in res.sweep.dims])
        _plots.legend_above(fig, axes[0], ncol=3)
    note = _plots.sweep_note(res.sweep)
    return plotting.finish(_plots.log_ticks(fig, res.sweep.ns), res.meta, note)
