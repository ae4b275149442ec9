"""Drawing helpers shared by the chapter's figures (they draw, never compute)."""

import numpy as np

__all__ = ["log_ticks", "legend_above", "band", "guide", "floor_line", "sweep_panels", "exponent_guides",
           "sweep_note"]


def log_ticks(fig, ns=None, *, max_ticks: int = 5):
    """Plain number labels on log x axes (no minor-tick clutter); the axes labelled ``N`` get a
    tick at the sizes of ``ns`` inside their range, thinned to at most ``max_ticks`` so that the
    labels do not run together. Log y axes get plain labels: at 1, 1.5, 2, 3, 4, 6 times the powers
    of ten below 0.7 decades, at 1, 2, 5 below 1.8 decades, at the powers only beyond; minor ticks
    are never labelled."""
    import matplotlib.ticker as mticker

    for ax in fig.axes:
        if ax.get_yscale() == "log":
            lo, hi = ax.get_ylim()
            decades = np.log10(hi / lo)
            subs = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0) if decades < 0.7 else (
                (1.0, 2.0, 5.0) if decades < 1.8 else (1.0,))
            ax.yaxis.set_major_locator(mticker.LogLocator(base=10, subs=subs))
            ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:.3g}"))
            ax.yaxis.set_minor_formatter(mticker.NullFormatter())
        if ax.get_xscale() != "log":
            continue
        if ns is not None and ax.get_xlabel() == "N":
            lo, hi = ax.get_xlim()
            inside = [float(n) for n in ns if lo <= n <= hi]
            step = -(-len(inside) // max_ticks) if inside else 1
            ax.xaxis.set_major_locator(mticker.FixedLocator(inside[::step]))
        else:
            ax.xaxis.set_major_locator(mticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_minor_locator(mticker.NullLocator())
        ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
    return fig


def legend_above(fig, axes, *, ncol: int = 3):
    """One legend for the figure, outside the panels above them: the entries of every axes in
    ``axes``, each label once (the colours of the settings are shared between panels)."""
    handles, labels = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels and not lab.startswith("_"):
                handles.append(h)
                labels.append(lab)
    if handles:
        fig.legend(handles, labels, loc="outside upper center", ncol=ncol, fontsize=8, frameon=False)


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


def floor_line(ax, value, label="counting floor", *, x=None, below=False):
    """The Monte Carlo floor of a counted quantity, drawn and labelled (above the line, or below it
    with ``below``: where a counted value cannot go, so no curve is hidden)."""
    if not np.isfinite(value) or value <= 0:
        return
    ax.axhline(value, color="0.45", lw=0.9, ls="--")
    xs = ax.get_xlim() if x is None else (x[0], x[-1])
    ax.text(xs[0], value / 1.15 if below else value * 1.12, label, fontsize=8, color="0.35",
            va="top" if below else "bottom", clip_on=True)


def sweep_panels(axes, res, *, exponent_k=None, labels=None):
    r"""Two panels of a :class:`._sweep.SweepResult`: the counted coverage scale (with its floor, below
    which no counted value can go, and the memorization ceiling dashed) and the fidelity at
    :math:`\sigma_0^*` (with guides of slope :math:`-\beta/4k` (dotted, A) and :math:`-(\beta-1)/4k`
    (dash-dot, B) when ``exponent_k`` is given). ``labels``: display names per setting. The entries
    are labelled on the axes; the caller draws one legend off the data (:func:`legend_above`)."""
    labels = res.labels if labels is None else labels
    ax = axes[0]
    for b, name in enumerate(res.labels):
        band(ax, res.ns, res.delta_c[b].T, labels[b], fitted=res.masks[f"{name}:delta_c"], color=f"C{b}")
        band(ax, res.ns, res.empirical[b].T, None, color=f"C{b}", ls="--", alpha=0.6)
    ax.plot([], [], color="0.3", ls="--", label="training set itself (memorization)")
    floors = np.asarray(res.floor, np.float64)
    if np.ptp(np.log(floors)) < 0.05:
        floor_line(ax, float(np.max(floors)), x=res.ns, below=True)
    else:                                   # each data law has its own sparsest ball: its own floor
        for b, value in enumerate(floors):
            ax.axhline(value, color=f"C{b}", lw=0.8, ls=(0, (2, 2)))
        ax.text(res.ns[0], float(np.min(floors)) / 1.15, "counting floors (dotted)",
                fontsize=8, color="0.35", va="top")
    ax.set(xscale="log", yscale="log", xlabel="N", ylabel=r"$\delta_C$ (counted)", title="coverage scale")
    ax.margins(y=0.15)
    ax = axes[1]
    for b, name in enumerate(res.labels):
        q99 = res.fidelity[b, :, :, 1]
        band(ax, res.ns, q99.T, None, fitted=res.masks[f"{name}:q99"], color=f"C{b}")
    if exponent_k is not None:
        exponent_guides(ax, res.ns, res.fidelity[..., 1], res.betas, res.ks)
    floor_line(ax, float(np.max(res.floor)), "counting floor of δ_C", x=res.ns, below=True)
    ax.margins(y=0.15)
    ax.set(xscale="log", yscale="log", xlabel="N", ylabel=r"$q_{0.99}$ of dist$(\hat x, M)$ at $\sigma_0^*$",
           title="fidelity")


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


def sweep_note(sweep) -> str:
    """The caption note of a sweep's figure: its estimator, samples per run and :data:`SWEEP_NOTE`."""
    return f"{sweep.estimator}; {sweep.n_gen} generated samples per run. {SWEEP_NOTE}"
