r"""The exact score of the noised ring on a grid at several times, its size at noised data, and a
slider over the noise level."""

import dataclasses
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ... import plotting, widgets
from ...keys import check_key, named_keys
from ...scores import MixtureScore
from ..harness import Meta, check_config, check_result, experiment
from ._ring import RingConfig, density_grid

__all__ = ["Config", "Result", "run", "plot", "WIDGET_TIMES", "noise_widget"]


@dataclasses.dataclass(frozen=True)
class Config(RingConfig):
    """Attributes: times: the noise levels drawn; grid_size: arrows per axis; n_points: noised
    data points at which the median score norm is measured."""

    times: tuple[float, ...] = (0.02, 0.3, 1.5)
    grid_size: int = 17
    n_points: int = 2000


class Result(NamedTuple):
    r"""The exact score on a grid at several times.

    Attributes: times: ``(m,)``. axis: ``(g,)`` arrow grid. fine_axis: ``(G,)``. log_density:
    ``(m, G, G)`` of :math:`X_t` on the fine grid. scores: ``(m, g, g, 2)``. norms_at_data: ``(m,)``
    median score norm at noised data points. alphas, sigmas: ``(m,)``. mode_std. meta.
    """

    times: tuple
    axis: np.ndarray
    fine_axis: np.ndarray
    log_density: np.ndarray
    scores: np.ndarray
    norms_at_data: np.ndarray
    alphas: np.ndarray
    sigmas: np.ndarray
    mode_std: float
    meta: Meta | None = None

    def summary(self) -> dict:
        r"""At the first time: the median norm at noised data, :math:`\sqrt d/\sigma_t` (the score
        around one noised point) and :math:`\sqrt{2\ln2}/\sqrt c`, the median norm of the score of
        one mode, :math:`N(\alpha\mu, cI)` with :math:`c = \alpha^2\,\mathrm{mode\_std}^2 + \sigma^2`
        (:math:`|C^{-1}(x - \text{mean})| = \chi_2/\sqrt c` and the median of :math:`\chi_2` is
        :math:`\sqrt{2\ln 2}`)."""
        alpha, sigma = float(self.alphas[0]), float(self.sigmas[0])
        c = alpha**2 * self.mode_std**2 + sigma**2
        return {"t0": float(self.times[0]), "norm0": float(self.norms_at_data[0]),
                "sqrtd_over_sigma": math.sqrt(2) / sigma,
                "mode_prediction": math.sqrt(2 * math.log(2)) / math.sqrt(c)}


@experiment("score field", sizes=lambda c: {"grid": f"{c.grid_size}x{c.grid_size}", "d": 2})
def run(key, config: Config) -> Result:
    r"""Evaluate :math:`\nabla\log p_t` on a grid at ``times``, and its median norm at noised data
    (which grows like :math:`1/\sigma_t` as :math:`t\to0` once the noise is below the modes' width)."""
    keys = named_keys(key, "data", "noise")
    process, law = config.process(), config.law()
    score = MixtureScore(law, process)
    ax = jnp.linspace(-3.3, 3.3, config.grid_size)
    xx, yy = jnp.meshgrid(ax, ax)
    pts = jnp.stack([xx.ravel(), yy.ravel()], axis=1)
    x0 = law.sample(keys.data, config.n_points)
    fields, densities, norms = [], [], []
    for t in config.times:
        fields.append(np.asarray(score(pts, t)).reshape(config.grid_size, config.grid_size, 2))
        fine, log_density = density_grid(law, process, t)
        densities.append(log_density)
        x_t = process.perturb(keys.noise, x0, t)
        norms.append(float(jnp.median(jnp.linalg.norm(score(x_t, t), axis=1))))
    alphas, sigmas = (np.asarray(v) for v in process.marginal(jnp.asarray(config.times)))
    return Result(config.times, np.asarray(ax), fine, np.stack(densities), np.stack(fields),
                  np.asarray(norms), alphas, sigmas, config.mode_std)


def plot(result: Result):
    """Arrows of the score (length-normalised; colour = norm) over the density of :math:`X_t`."""
    res = check_result(result, Result)
    with plotting.style():
        fig, axes = plotting.figure(len(res.times), width=2.2, height=2.5, sharex=True,
                                    sharey=True)
        xx, yy = np.meshgrid(res.axis, res.axis)
        for ax, t, logd, s, med in zip(axes[0], res.times, res.log_density, res.scores,
                                       res.norms_at_data):
            ax.contourf(res.fine_axis, res.fine_axis, np.exp(logd - logd.max()),
                        levels=10, cmap="Blues")
            norm = np.linalg.norm(s, axis=-1)
            arrows = ax.quiver(xx, yy, s[..., 0] / (norm + 1e-12), s[..., 1] / (norm + 1e-12),
                               np.log10(norm), cmap="plasma", clim=(-1, 2), scale=22, width=0.006)
            ax.set_title(f"t = {t:g}\nmedian |score| at $X_t$: {med:.1f}")
            ax.set_aspect("equal")
        fig.colorbar(arrows, ax=axes[0, -1], label="log10 |score|", shrink=0.8)
        return plotting.finish(fig, res.meta,
                               "arrows: direction of the score; shading: density of X_t")


WIDGET_TIMES = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 1.5, 2.0, 3.0)


def noise_widget(key, config: Config, times=WIDGET_TIMES, *, value: float = 0.3,
                 draw_now: bool = False):
    """An ``ipywidgets`` slider over the diffusion time ``t`` that redraws the exact score field
    and the density of :math:`X_t` at that time (:func:`run` at one time, about a second per
    frame on a CPU). Returns ``(widget, update)``; ``update(t)`` draws one frame and returns its
    :class:`Result`. The static counterpart is :func:`plot` of ``run(key, config)``."""
    key = check_key("key", key)
    check_config(config, Config)
    if len(times) == 0:
        raise ValueError("times: expected at least one time for the slider")
    return widgets.slider([float(t) for t in times],
                          lambda t: run(key, dataclasses.replace(config, times=(float(t),))),
                          plot, value=value, description="t", draw_now=draw_now)
