r"""Claim 5, :math:`k = 2`: the learned coarse score on a :math:`C^\beta` surface in :math:`\mathbb R^3` and
embedded in :math:`\mathbb R^{10}` (:math:`\mathbb R^{100}` at the large scale).

The surface :math:`\{(1 + 0.15|\omega_3|^\beta)\,\omega\}` (:class:`~manifold_diffusion.manifolds.RoughSphere`)
with its uniform law; chord caps counted with a KD-tree and true cap masses by quadrature
(:func:`~manifold_diffusion.metrics.coverage.surface_coverage`). The sampler and the scaling of the
large-noise level with the codimension are those of :mod:`.dimension`. The exponents to set the
slopes against: :math:`\beta/8` (A), :math:`(\beta-1)/8` (B); memorization :math:`1/2`.

The sizes start at :math:`N = 1024`: the spacing of :math:`N` points on a surface of area 14 is
:math:`(14/N)^{1/2}`, so 1024 points on the surface are as sparse as 32 on a curve of length 6.6; at
:math:`N = 256` the learned sampler's law does not cover (a pilot at the default sizes).
"""

import dataclasses

from ..harness import ExperimentConfig, experiment
from . import dimension
from .dimension import Result, plot

__all__ = ["Config", "Result", "run", "plot"]


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Attributes: as :class:`.dimension.Config` (setting: a surface name; dims: its own
    dimension 3 first)."""

    setting: str = "rough-sphere-4.5"
    dims: tuple[int, ...] = (3, 10)
    ns: tuple[int, ...] = (1024, 4096)
    n_seeds: int = 3
    n_gen: int = 20_000
    sigma_band: tuple[float, float] = (1e-3, 0.3)
    n_levels: int = 12
    n_stops: int = 6
    overrides = {"quick": dict(dims=(3,), ns=(256,), n_seeds=2, n_gen=5_000, n_levels=8, n_stops=4),
                 "large": dict(dims=(3, 10, 100), ns=(1024, 4096, 16384, 65536), n_seeds=5,
                               n_gen=500_000)}


@experiment("a surface, k = 2", sizes=lambda c: {"setting": c.setting, "d": c.dims,
                                                 "N": f"{c.ns[0]}..{c.ns[-1]}", "seeds": c.n_seeds,
                                                 "n_gen": c.n_gen})
def run(key, config: Config) -> Result:
    """The sweep of :func:`.dimension.sweep_dimensions` on the surface."""
    return dimension.sweep_dimensions(key, config)
