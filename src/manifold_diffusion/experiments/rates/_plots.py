"""Drawing helpers shared by the chapter's figures (they draw, never compute)."""

import numpy as np

__all__ = ["log_ticks", "band", "guide", "floor_line", "sweep_panels", "exponent_guides"]


def log_ticks(fig, ns=None):
    """Plain number labels on log x axes (no minor-tick clutter); the axes labelled ``N`` get a
    tick at every size of ``ns``."""
    import matplotlib.ticker as mticker

    for ax in fig.axes:
        if ax.get_xscale() != "log":
            continue
        if ns is not None and ax.get_xlabel() == "N":
            ax.xaxis.set_major_locator(mticker.FixedLocator([float(n) for n in ns]))
        else:
            ax.xaxis.set_major_locator(mticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_minor_locator(mticker.NullLocator())
        ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
    return fig


def band(ax, x, y, label=None, *, fitted=None, **kw):
    """Geometric mean over seeds (rows of ``y``) with a min-max band; points outside ``fitted``
    (a boolean mask over ``x``) are drawn hollow: excluded from the slope fit."""
    y = np.asarray(y, np.float64)
    x = np.asarray(x, np.float64)
    finite = np.where(np.isfinite(y) & (y > 0), y, np.nan)
    mid = np.exp(np.nanmean(np.log(finite), axis=0))
    line, = ax.plot(x, mid, label=label, **kw)
    color = line.get_color()
    fitted = np.ones(x.shape, bool) if fitted is None else np.asarray(fitted, bool)
    ax.scatter(x[fitted], mid[fitted], s=14, color=color, zorder=3)
    ax.scatter(x[~fitted], mid[~fitted], s=14, facecolor="white", edgecolor=color, zorder=3)
    if y.shape[0] > 1:
        ax.fill_between(x, np.nanmin(finite, axis=0), np.nanmax(finite, axis=0), color=color, alpha=0.15,
                        lw=0)
    return line


def guide(ax, x, y0, slope, **kw):
    """A line of slope ``slope`` (log-log) through ``(x[0], y0)``."""
    x = np.asarray(x, np.float64)
    ax.plot(x, y0 * (x / x[0]) ** slope, lw=0.8, **kw)


def floor_line(ax, value, label="counting floor", *, x=None):
    """The Monte Carlo floor of a counted quantity, drawn and labelled."""
    if not np.isfinite(value) or value <= 0:
        return
    ax.axhline(value, color="0.45", lw=0.9, ls="--")
    xs = ax.get_xlim() if x is None else (x[0], x[-1])
    ax.text(xs[0], value * 1.12, label, fontsize=7, color="0.35", va="bottom")


def sweep_panels(axes, res, *, exponent_k=None, labels=None):
    r"""Two panels of a :class:`._sweep.SweepResult`: the counted coverage scale (with its floor and
    the memorization ceiling) and the fidelity at :math:`\sigma_0^*` (with guides of slope
    :math:`-\beta/4k` (dotted, A) and :math:`-(\beta-1)/4k` (dash-dot, B) when ``exponent_k`` is
    given). ``labels``: display names per setting."""
    import math

    labels = res.labels if labels is None else labels
    ax = axes[0]
    for b, name in enumerate(res.labels):
        band(ax, res.ns, res.delta_c[b].T, labels[b], fitted=res.masks[f"{name}:delta_c"], color=f"C{b}")
        band(ax, res.ns, res.empirical[b].T, None, color=f"C{b}", ls="--", alpha=0.6)
    floors = np.asarray(res.floor, np.float64)
    if np.ptp(np.log(floors)) < 0.05:
        floor_line(ax, float(np.max(floors)), x=res.ns)
    else:                                   # each data law has its own sparsest ball: its own floor
        for b, value in enumerate(floors):
            ax.axhline(value, color=f"C{b}", lw=0.8, ls=(0, (2, 2)))
        ax.text(res.ns[0], float(np.min(floors)) * 0.8, "counting floors (dotted, per setting)",
                fontsize=7, color="0.35", va="top")
    ax.set(xscale="log", yscale="log", xlabel="N", ylabel=r"$\delta_C$ (counted; dashed: training set)",
           title="coverage scale")
    ax.legend(fontsize=6, loc="upper right")
    ax = axes[1]
    for b, name in enumerate(res.labels):
        q99 = res.fidelity[b, :, :, 1]
        band(ax, res.ns, q99.T, labels[b], fitted=res.masks[f"{name}:q99"], color=f"C{b}")
    if exponent_k is not None:
        exponent_guides(ax, res.ns, res.fidelity[..., 1], res.betas, res.ks)
    floor_line(ax, float(np.max(res.floor)), x=res.ns)
    ax.set(xscale="log", yscale="log", xlabel="N", ylabel=r"$q_{0.99}$ of the distance to $M$ at $\sigma_0^*$",
           title="fidelity" + (" (dotted: A, dash-dot: B)" if exponent_k is not None else ""))
    ax.legend(fontsize=6, loc="lower left")


def exponent_guides(ax, ns, values, betas, ks):
    """Guides of slope A (dotted) and B (dash-dot), one pair per distinct finite (beta, k), through
    the geometric mean of the first size's values of the settings with that beta (grey shades)."""
    import math

    pairs = sorted({(float(b), int(k)) for b, k in zip(betas, ks) if math.isfinite(b)})
    for i, (beta, k) in enumerate(pairs):
        rows = [j for j, (b, kk) in enumerate(zip(betas, ks)) if float(b) == beta and int(kk) == k]
        y0 = float(np.exp(np.mean(np.log(np.asarray(values)[rows, 0]))))
        shade = str(0.15 + 0.35 * i / max(1, len(pairs) - 1))
        guide(ax, ns, y0, -beta / (4 * k), color=shade, ls=":", label=f"A: -{beta / (4 * k):.3g} (β = {beta:g})")
        guide(ax, ns, y0, -(beta - 1) / (4 * k), color=shade, ls="-.",
              label=f"B: -{(beta - 1) / (4 * k):.3g} (β = {beta:g})")


SWEEP_NOTE = ("Filled points: used in the slope fits; hollow: excluded (the along-manifold law does not "
              "cover at every seed, or δ_C sits at the counting floor). Bands: min-max over seeds.")
