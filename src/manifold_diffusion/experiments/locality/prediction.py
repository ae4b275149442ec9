r"""Which account predicts the trained network? Sample by sample, from the same noise, and denoiser by denoiser.

Chapter 6's two trained networks -- the CNN (local, translation equivariant away from the border)
and the MLP (neither) -- are sampled from the same prior draws as four training-free accounts of
what a network learns, all built from the 850 training digits :math:`S_1` (the chapter's ODE
sampler, :mod:`._common`):

- **ELS machine** (locality and equivariance, :cite:`kamb2025analytic`): the boundary-broken
  ELS machine with :math:`P(t)` calibrated to *that* network's denoiser (:mod:`.calibration`),
  and, for the MLP, also the one calibrated to the CNN;
- **smoothed empirical score** (chapter 3's account): the empirical score averaged over a
  Gaussian kernel of bandwidth :math:`h`, with fresh antithetic draws at every call
  (:class:`~manifold_diffusion.scores.ResampledSmoothedScore`, ``n_draws`` draws); :math:`h` from
  ``bandwidths``;
- **geometric coarse score** (the geometry-only account of chapters 2 and 4): the exact
  empirical score above the switching level :math:`\sigma_s`, then the geometric score
  :math:`-(x - \hat P x)/\sigma_t^2` of the digits' estimated manifold
  (:class:`~manifold_diffusion.manifolds.LocalPCAManifold` of :math:`S_1`, dimension
  ``manifold_dim``) -- :class:`~manifold_diffusion.scores.SwitchedScore`; :math:`\sigma_s` from
  ``switch_sigmas``;
- the **empirical score** itself (the memorizer), and **the other network**.

**"Best" for the rivals.** The smoothed and the geometric score each get, per network, the value
of their parameter (:math:`h`, :math:`\sigma_s`) with the highest median sample :math:`r^2`
against *that network's samples*: a choice made on the very samples being predicted, which can
only flatter them. The ELS machine's :math:`P(t)` is fitted to the denoiser on held-out digits
only, never to the samples.

**Read-outs.** Per network and account: the per-sample :math:`r^2` of the network's samples by
the account's (:func:`~manifold_diffusion.metrics.image_r2`), its median, quartiles and a 95 %
bootstrap interval of the median over the samples (:func:`~manifold_diffusion.metrics.summarize_r2`),
and the paired bootstrap interval of the median difference between the ELS machine and the best
other account. The **floor** is the :math:`r^2` of a network's sample by the same network's
sample from another prior draw (an unrelated digit of the same generator); the ceiling is 1.
Denoiser level: at each calibration noise level, the per-image :math:`r^2` of each account's
denoiser against the network's on noised digits of :math:`S_2` *not* used by the calibration
(:func:`~manifold_diffusion.metrics.denoiser_r2`), beside the noisy input itself.
"""

import dataclasses
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from ... import metrics, plotting
from ...book import HTMLTable
from ...manifolds import LocalPCAManifold
from ...samplers import tweedie_denoiser
from ...scores import EmpiricalScore, GeometricScore, ResampledSmoothedScore, SwitchedScore
from ..harness import ExperimentConfig, Meta, experiment
from . import _common
from .calibration import Config as CalibrationConfig, calibrate

__all__ = ["ACCOUNTS", "DENOISER_ACCOUNTS", "PAPER_R2_MNIST", "Config", "Result", "run", "plot", "plot_denoisers", "plot_samples", "table"]

#: The rows of the comparison, in order (``"ELS (CNN-calibrated)"`` is the same as ``"ELS"``
#: for the CNN).
ACCOUNTS = ("ELS", "ELS (CNN-calibrated)", "smoothed", "geometric", "empirical", "other network",
            "floor")
#: The rows of the denoiser-level comparison.
DENOISER_ACCOUNTS = ("ELS", "smoothed", "geometric", "empirical", "other network", "noisy input")
#: Kamb and Ganguli's median r^2 of the ELS machine against trained convolutional networks on MNIST.
PAPER_R2_MNIST = 0.94


@dataclasses.dataclass(frozen=True)
class Config(ExperimentConfig):
    """Attributes: calibration: the ELS calibration (and chapter 6's recipes). n_samples,
    n_ode_steps: the sampler. bandwidths, n_draws: the smoothed score's candidates and draws.
    switch_sigmas, manifold_dim: the geometric score's switching levels and manifold dimension.
    n_boot: bootstrap replicates."""

    calibration: CalibrationConfig = CalibrationConfig()
    n_samples: int = 100
    n_ode_steps: int = 24
    bandwidths: tuple = (0.2, 0.3, 0.4, 0.5)
    n_draws: int = 8
    switch_sigmas: tuple = (0.2, 0.3, 0.5, 1.0)
    manifold_dim: int = 10
    n_boot: int = 2000
    overrides = {"quick": dict(calibration=CalibrationConfig.at_scale("quick"), n_samples=32,
                               n_ode_steps=10, bandwidths=(0.3, 0.5), n_draws=4,
                               switch_sigmas=(0.3, 1.0), n_boot=500),
                 "large": dict(calibration=CalibrationConfig.at_scale("large"), n_samples=400,
                               n_ode_steps=32, bandwidths=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6),
                               n_draws=32, switch_sigmas=(0.1, 0.2, 0.3, 0.5, 0.7, 1.0))}

    def sizes(self):
        return {"N": 850, "b": self.n_samples, "ODE steps": self.n_ode_steps,
                "h": "/".join(map(str, self.bandwidths)), "draws": self.n_draws,
                "sigma_s": "/".join(map(str, self.switch_sigmas)), "k": self.manifold_dim}


class Result(NamedTuple):
    """Attributes:
      networks: ``("CNN", "MLP")``. accounts: :data:`ACCOUNTS`.
      r2: ``(2, A, b)`` per-sample :math:`r^2` of each network's samples by each account.
      summaries: ``(2, A)`` nested tuple of :class:`~manifold_diffusion.metrics.R2Summary`.
      advantage: ``(2,)`` :class:`~manifold_diffusion.metrics.R2Summary` of the paired
        per-sample difference, ELS minus the best other account (``rival``).
      rival: ``(2,)`` that account's name.
      best_bandwidth, best_switch: ``(2,)`` the rivals' chosen parameters per network.
      bandwidth_r2, switch_r2: ``(2, len)`` median :math:`r^2` over their candidates.
      sigmas: ``(k,)`` the denoiser levels. denoiser_accounts: :data:`DENOISER_ACCOUNTS`.
      denoiser_median, denoiser_q1, denoiser_q3: ``(2, D, k)`` per-image denoiser :math:`r^2`.
      samples: ``(7, 12, 64)`` the first samples of CNN, ELS (CNN), smoothed (CNN's best),
        geometric (CNN's best), MLP, ELS (MLP), empirical.
      sample_names: their labels.
      schedules: ``(2, k)`` the calibrated sizes.
      bandwidths, switch_sigmas: the candidates.
      meta.
    """

    networks: tuple
    accounts: tuple
    r2: np.ndarray
    summaries: tuple
    advantage: tuple
    rival: tuple
    best_bandwidth: tuple
    best_switch: tuple
    bandwidth_r2: np.ndarray
    switch_r2: np.ndarray
    sigmas: np.ndarray
    denoiser_accounts: tuple
    denoiser_median: np.ndarray
    denoiser_q1: np.ndarray
    denoiser_q3: np.ndarray
    samples: np.ndarray
    sample_names: tuple
    schedules: np.ndarray
    bandwidths: tuple
    switch_sigmas: tuple
    meta: Meta | None = None

    def summary(self) -> dict:
        """Per network (``cnn_``, ``mlp_``) and account (``els``, ``els_cnn``, ``smoothed``,
        ``geometric``, ``empirical``, ``other``, ``floor``): ``_median``, ``_low``, ``_high``,
        ``_q1``, ``_q3``; the ELS advantage over the rival (``_adv``, ``_adv_low``,
        ``_adv_high``, ``_rival``, ``_rival_name`` as a phrase); the fraction of the gap from the
        empirical score's median to 1 that the ELS machine's median closes (``_els_beyond``);
        the rivals' parameters (``_h``, ``_switch``); the denoiser
        :math:`r^2` of the ELS and the smoothed score at the smallest, middle and largest level
        (``_den_els_lo/mid/hi``, ``_den_smoothed_*``, ``_den_input_*``); the paper's value."""
        tags = ("els", "els_cnn", "smoothed", "geometric", "empirical", "other", "floor")
        out = {"paper": PAPER_R2_MNIST, "n": int(self.r2.shape[2])}
        k = len(self.sigmas)
        levels = {"lo": 0, "mid": k // 2, "hi": k - 1}
        for lv, j in levels.items():
            out[f"sigma_{lv}"] = float(self.sigmas[j])
        for i, net in enumerate(self.networks):
            n = net.lower()
            for tag, s in zip(tags, self.summaries[i]):
                out[f"{n}_{tag}_median"] = s.median
                out[f"{n}_{tag}_low"], out[f"{n}_{tag}_high"] = s.low, s.high
                out[f"{n}_{tag}_q1"], out[f"{n}_{tag}_q3"] = s.lower_quartile, s.upper_quartile
            adv = self.advantage[i]
            out[f"{n}_adv"], out[f"{n}_adv_low"], out[f"{n}_adv_high"] = adv.median, adv.low, adv.high
            out[f"{n}_rival"] = self.rival[i]
            rival = self.summaries[i][self.accounts.index(self.rival[i])]
            out[f"{n}_rival_median"] = rival.median
            out[f"{n}_rival_name"] = _RIVAL_NAMES[self.rival[i]]
            # r^2 from shared noise starts high: the memorizer's median is the scale's baseline,
            # so also read the ELS machine as the fraction of the gap from it to 1 that it closes
            emp = self.summaries[i][self.accounts.index("empirical")].median
            out[f"{n}_els_beyond"] = ((out[f"{n}_els_median"] - emp) / (1.0 - emp) if emp < 1.0
                                      else float("nan"))
            out[f"{n}_h"], out[f"{n}_switch"] = self.best_bandwidth[i], self.best_switch[i]
            for acc, tag in (("ELS", "els"), ("smoothed", "smoothed"), ("geometric", "geometric"),
                             ("noisy input", "input")):
                a = self.denoiser_accounts.index(acc)
                for lv, j in levels.items():
                    out[f"{n}_den_{tag}_{lv}"] = float(self.denoiser_median[i, a, j])
        return out


def _summaries(key, r2, n_boot):
    return metrics.summarize_r2(key, r2, n_boot=n_boot)


@experiment("locality: which account predicts the trained CNN and MLP (sample and denoiser r^2)")
def run(key, config: Config) -> Result:
    """Sample both networks and every account from the same prior draws; r^2 sample by sample
    and denoiser by denoiser (module docstring)."""
    sets = _common.digit_sets(key)
    process = _common.process()
    cal = calibrate(key, config.calibration)
    nets = _common.networks(key, config.calibration.cnn, config.calibration.mlp)
    n, steps = config.n_samples, config.n_ode_steps

    def draw(tag, score):
        return _common.samples(key, tag, score, n, steps)

    net_x = {name: draw(("network", name, repr(getattr(config.calibration, name.lower()))),
                        net.score()) for name, net in nets.items()}
    els = {name: _common.els_machine(key, cal.schedule(name)) for name in nets}
    els_x = {name: draw(("els", m.schedule.patch_sizes, m.schedule.boundaries), m)
             for name, m in els.items()}
    emp = EmpiricalScore(sets.first, process)
    emp_x = draw(("empirical",), emp)
    smoothed = [ResampledSmoothedScore(emp, float(h), config.n_draws,
                                       _common.child(key, f"locality_draws_{i}"))
                for i, h in enumerate(config.bandwidths)]
    smoothed_x = [draw(("smoothed", float(h), config.n_draws), s)
                  for h, s in zip(config.bandwidths, smoothed)]
    manifold = _common.memo(("manifold", _common.key_id(key), config.manifold_dim),
                            lambda: LocalPCAManifold(sets.first, config.manifold_dim))
    geometric = GeometricScore(manifold.project, process)
    switched = [SwitchedScore(emp, geometric, float(s) ** 2) for s in config.switch_sigmas]
    switched_x = [draw(("geometric", float(s), config.manifold_dim), g)
                  for s, g in zip(config.switch_sigmas, switched)]

    boot = _common.child(key, "locality_bootstrap")
    r2_rows, summaries, advantage, rival = [], [], [], []
    best_h, best_s, h_r2, s_r2 = [], [], [], []
    for name in ("CNN", "MLP"):
        target = net_x[name]
        other = "MLP" if name == "CNN" else "CNN"

        def r2(x, target=target):
            return np.asarray(metrics.image_r2(x, target))

        h_med = [float(np.median(r2(x))) for x in smoothed_x]
        s_med = [float(np.median(r2(x))) for x in switched_x]
        ih, js = int(np.argmax(h_med)), int(np.argmax(s_med))
        best_h.append(float(config.bandwidths[ih]))
        best_s.append(float(config.switch_sigmas[js]))
        h_r2.append(h_med)
        s_r2.append(s_med)
        rows = [r2(els_x[name]), r2(els_x["CNN"]), r2(smoothed_x[ih]), r2(switched_x[js]),
                r2(emp_x), r2(net_x[other]), r2(jnp.roll(target, 1, axis=0))]
        r2_rows.append(np.stack(rows))
        summaries.append(tuple(_summaries(boot, r, config.n_boot) for r in rows))
        rivals = {"smoothed": rows[2], "geometric": rows[3], "empirical": rows[4],
                  "other network": rows[5]}
        best = max(rivals, key=lambda a: float(np.median(rivals[a])))
        rival.append(best)
        advantage.append(_summaries(boot, rows[0] - rivals[best], config.n_boot))

    # denoiser level: S2 digits after those the calibration used
    m = config.calibration.n_held_out
    images = sets.second[m:2 * m]
    times = np.asarray(cal.sigmas, np.float64) ** 2
    noise_key = _common.child(key, "locality_denoisers")
    den_med, den_q1, den_q3 = [], [], []
    for i, name in enumerate(("CNN", "MLP")):
        other = nets["MLP" if name == "CNN" else "CNN"]
        ih = config.bandwidths.index(best_h[i])
        js = config.switch_sigmas.index(best_s[i])
        fns = {"ELS": els[name].denoise,
               "smoothed": lambda x, t, s=smoothed[ih]: tweedie_denoiser(s, x, t, process),
               "geometric": lambda x, t, s=switched[js]: tweedie_denoiser(s, x, t, process),
               "empirical": lambda x, t: tweedie_denoiser(emp, x, t, process),
               "other network": other.denoise,
               "noisy input": lambda x, t: x}
        per = [np.asarray(metrics.denoiser_r2(noise_key, fns[a], nets[name].denoise, images, process,
                                              times)) for a in DENOISER_ACCOUNTS]
        den_med.append([np.median(v, axis=1) for v in per])
        den_q1.append([np.percentile(v, 25, axis=1) for v in per])
        den_q3.append([np.percentile(v, 75, axis=1) for v in per])

    shown = [net_x["CNN"], els_x["CNN"], smoothed_x[config.bandwidths.index(best_h[0])],
             switched_x[config.switch_sigmas.index(best_s[0])], net_x["MLP"], els_x["MLP"], emp_x]
    names = ("CNN", "ELS (CNN)", f"smoothed, h = {best_h[0]:g}",
             f"geometric, σ_s = {best_s[0]:g}", "MLP", "ELS (MLP)", "empirical")
    return Result(("CNN", "MLP"), ACCOUNTS, np.stack(r2_rows), tuple(summaries), tuple(advantage),
                  tuple(rival), tuple(best_h), tuple(best_s), np.asarray(h_r2), np.asarray(s_r2),
                  np.asarray(cal.sigmas), DENOISER_ACCOUNTS, np.asarray(den_med),
                  np.asarray(den_q1), np.asarray(den_q3),
                  np.stack([np.asarray(x[:12]) for x in shown]), names, np.asarray(cal.best),
                  tuple(config.bandwidths), tuple(config.switch_sigmas))


_RIVAL_NAMES = {"smoothed": "the smoothed empirical score", "geometric": "the geometric coarse score",
                "empirical": "the empirical score", "other network": "the other trained network"}

_LABELS = {"ELS": "ELS machine, calibrated to this network",
           "ELS (CNN-calibrated)": "ELS machine, calibrated to the CNN",
           "smoothed": "smoothed empirical score, best h",
           "geometric": "geometric coarse score, best σ_s",
           "empirical": "empirical score (memorizes)",
           "other network": "the other trained network",
           "floor": "floor: same network, another draw"}


def plot(result: Result):
    """Median per-sample :math:`r^2` of each network's samples by each account, with its 95 %
    bootstrap interval (thick) and the quartiles (thin)."""
    _common.check_result(result, Result, "result")
    with plotting.style():
        fig, axes = plotting.figure(1, width=6.6, height=3.0)
        ax = axes[0, 0]
        y = np.arange(len(result.accounts))[::-1]
        for i, (net, marker, dy) in enumerate(zip(result.networks, ("o", "s"), (0.15, -0.15))):
            s = result.summaries[i]
            med = np.asarray([v.median for v in s])
            ax.hlines(y + dy, [v.lower_quartile for v in s], [v.upper_quartile for v in s],
                      color=f"C{i}", lw=1, alpha=0.6)
            ax.hlines(y + dy, [v.low for v in s], [v.high for v in s], color=f"C{i}", lw=3.5)
            ax.plot(med, y + dy, marker, color=f"C{i}", label=f"{net}'s samples")
        ax.axvline(PAPER_R2_MNIST, color="0.4", ls=":", lw=1,
                   label=f"paper: ELS vs CNNs on MNIST ({PAPER_R2_MNIST})")
        ax.set_yticks(y)
        ax.set_yticklabels([_LABELS[a] for a in result.accounts], fontsize=7.5)
        ax.set_xlabel("per-sample r² (median; thick: 95 % bootstrap interval; thin: quartiles)")
        # room for every whisker (quartiles and intervals), with a margin
        left = float(np.min([min(v.lower_quartile, v.low) for s in result.summaries for v in s]))
        ax.set_xlim(min(-0.1, left - 0.05), 1.02)
        ax.legend(fontsize=7, loc="upper left")
        return plotting.finish(fig, result.meta, "same prior draws for every row; the smoothed and "
                               "geometric rows use their parameter of best median r² against "
                               "that network's samples")


def plot_denoisers(result: Result):
    """The unexplained fraction :math:`1 - r^2` (median per-image, log scale; bands: quartiles)
    of each account's denoiser against the network's, per noise level, for the CNN and the MLP."""
    _common.check_result(result, Result, "result")
    with plotting.style():
        fig, axes = plotting.figure(2, width=3.3, height=2.8, sharey=True)
        for i, (ax, net) in enumerate(zip(axes[0], result.networks)):
            for a, name in enumerate(result.denoiser_accounts):
                style = dict(color="0.5", ls=":") if name == "noisy input" else dict(color=f"C{a}")
                ax.plot(result.sigmas, 1.0 - result.denoiser_median[i, a], marker=".", label=name,
                        **style)
                if name != "noisy input":
                    ax.fill_between(result.sigmas, 1.0 - result.denoiser_q3[i, a],
                                    1.0 - result.denoiser_q1[i, a], color=f"C{a}", alpha=0.12, lw=0)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_ylim(1e-3, 2.0)
            ax.set_xlabel("noise level σ")
            ax.set_title(f"against the {net}'s denoiser", fontsize=9)
        axes[0, 0].set_ylabel("1 − r² (median over digits)")
        axes[0, 1].legend(fontsize=6.5, loc="upper right")
        return plotting.finish(fig, result.meta, "noised digits of S2 not used by the calibration; "
                               "the noisy input leaves the axis at large noise")


def plot_samples(result: Result):
    """12 prior draws (columns) through each generator (rows)."""
    _common.check_result(result, Result, "result")
    with plotting.style():
        fig, axes = plotting.figure(1, len(result.samples), width=6.0, height=0.72)
        for ax, x, name in zip(axes[:, 0], result.samples, result.sample_names):
            plotting.image_grid(ax, x, ncols=12)
            ax.set_title(name, fontsize=7.5)
        return plotting.finish(fig, result.meta, "each column: one prior draw, the same for every row")


def table(result: Result) -> HTMLTable:
    """The closing table: median :math:`r^2` [95 % interval] of each network's samples by each
    account, with the paper's value: Markdown, which a notebook shows as HTML
    (:class:`~manifold_diffusion.book.HTMLTable`)."""
    _common.check_result(result, Result, "result")
    lines = ["| account | " + " | ".join(f"{n}'s samples" for n in result.networks) + " |",
             "|---|" + "---|" * len(result.networks)]
    for a, name in enumerate(result.accounts):
        cells = []
        for i, net in enumerate(result.networks):
            s = result.summaries[i][a]
            extra = ""
            if name == "smoothed":
                extra = f" (h = {result.best_bandwidth[i]:g})"
            elif name == "geometric":
                extra = f" (σ_s = {result.best_switch[i]:g})"
            cells.append(f"{s.median:.2f} [{s.low:.2f}, {s.high:.2f}]{extra}")
        lines.append(f"| {_LABELS[name]} | " + " | ".join(cells) + " |")
    lines.append(f"| Kamb and Ganguli, ELS vs trained CNNs, MNIST (paper) | {PAPER_R2_MNIST:.2f} | — |")
    return HTMLTable("\n".join(lines))
