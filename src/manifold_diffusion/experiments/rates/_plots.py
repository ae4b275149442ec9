"""Drawing helpers shared by the chapter's figures (they draw, never compute)."""

import numpy as np

__all__ = []


def log_ticks(fig):
    """Plain number labels on log x axes (no minor-tick clutter)."""
    import matplotlib.ticker as mticker

    for ax in fig.axes:
        if ax.get_xscale() == "log":
            ax.xaxis.set_major_locator(mticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_minor_formatter(mticker.NullFormatter())
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
