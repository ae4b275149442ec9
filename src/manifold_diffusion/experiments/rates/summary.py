r"""The chapter's opening table, generated from the experiments' results: one row per fitted rate.

Each row: the claim, the counted quantity, the estimator, the theory's exponents, the measured slope
with its 95 % interval (:func:`~manifold_diffusion.metrics.fit_loglog_slope`, bootstrap over seeds),
:math:`\sigma_0^*` per :math:`N` (for the learned samplers), the counting floor, and a verdict.

Verdicts. The paper's coverage rates are upper bounds on a scale (:math:`\delta_N\lesssim N^{-e}`),
so a version is *met* when the interval reaches at least as steep as :math:`-e` (the measured decay
can be that fast) and *missed* when the whole interval is shallower; "steeper" when the whole
interval is steeper. Predicted rates (memorization, :math:`W_1`, the KDE) *agree* when the interval
contains the prediction.
"""

import math
from typing import NamedTuple

import numpy as np

from . import _sweep, settings
from .memorization import local_slope

__all__ = ["Row", "table", "html", "bound_verdict", "rate_verdict"]


class Row(NamedTuple):
    """One line of the table (strings for display, numbers for checks).

    Attributes: key: an identifier; claim; quantity; estimator; theory: the exponents as text;
    slope, low, high: the fit (``nan`` when not fitted); measured: the fit as text, or why there is
    none; sigma0: :math:`\\sigma_0^*` per ``N`` as text; floor: the counting floor as text; verdict.
    """

    key: str
    claim: str
    quantity: str
    estimator: str
    theory: str
    slope: float
    low: float
    high: float
    measured: str
    sigma0: str
    floor: str
    verdict: str


def bound_verdict(fit, exponents) -> str:
    """Verdict of a fit against upper-bound exponents ``{"A": e_A, "B": e_B}`` (scale ~ N^-e)."""
    if not isinstance(exponents, dict):
        raise TypeError(f"exponents: expected a dict {{name: exponent}}, got {type(exponents).__name__}")
    if fit is None:
        return "not fitted"
    parts = [f"{name} {'met' if fit.ci_low <= -e else 'missed'}" for name, e in exponents.items()]
    if all(fit.ci_high < -e for e in exponents.values()):
        parts.append("steeper than all")
    return ", ".join(parts)


def rate_verdict(fit, predictions) -> str:
    """Verdict of a fit against predicted slopes ``{label: slope}``: which the interval contains."""
    if not isinstance(predictions, dict):
        raise TypeError(f"predictions: expected a dict {{label: slope}}, got {type(predictions).__name__}")
    if fit is None:
        return "not fitted"
    inside = [label for label, value in predictions.items() if fit.ci_low <= value <= fit.ci_high]
    return ("agrees with " + " and ".join(inside)) if inside else "disagrees with " + " and ".join(predictions)


def _measured(fit, why="") -> str:
    if fit is None:
        return why or "fewer than two usable sizes"
    return f"{fit.slope:.2f} [{fit.ci_low:.2f}, {fit.ci_high:.2f}]"


def _numbers(fit):
    return (math.nan, math.nan, math.nan) if fit is None else (fit.slope, fit.ci_low, fit.ci_high)


def _sigma0(sweep, b) -> str:
    return ", ".join(f"{float(np.median(sweep.sigma0[b, a])):.1e}" for a in range(len(sweep.ns)))


def _floor_reason(sweep, b, quantity) -> str:
    """Why a counted delta_C was not fitted. A size counts as "at the floor" when some seed sits there
    (the fit rule leaves such sizes out); from when on every seed does is said beside it."""
    mask = sweep.masks[f"{sweep.labels[b]}:{quantity}"]
    at_floor = np.any(sweep.at_floor[b], axis=1)
    if at_floor.any():
        some = _sweep.first_from(sweep.ns, at_floor)
        every = _sweep.first_from(sweep.ns, np.all(sweep.at_floor[b], axis=1))
        if not some:
            return f"at the counting floor at N = {', '.join(str(int(n)) for n, f in zip(sweep.ns, at_floor) if f)}"
        if every == some:
            return f"at the counting floor from N = {some} (every seed)"
        tail = f"every seed from N = {every}" if every else "not every seed"
        return f"at the counting floor from N = {some} (some seed; {tail})"
    if mask.sum() < 2:
        return "along-manifold law covers at fewer than two sizes"
    return ""


def _sweep_rows(claim, sweep, estimator, *, prefix, names=None):
    rows = []
    for b, label in enumerate(sweep.labels):
        name = label if names is None else names[b]
        k = int(sweep.ks[b])
        beta = float(sweep.betas[b])
        if math.isfinite(beta):
            ea, eb = settings.exponents(beta, k)
            exps, theory = {"A": ea, "B": eb}, f"A -{ea:.3g} / B -{eb:.3g}"
        else:
            exps, theory = {}, "any (β = ∞)"
        floor = f"{sweep.floor[b]:.1e}"
        for quantity, what in (("delta_c", "δ_C counted"), ("q99", "fidelity q99 at σ0*")):
            fit = sweep.fits[f"{label}:{quantity}"]
            why = _floor_reason(sweep, b, quantity) if quantity == "delta_c" else ""
            verdict = bound_verdict(fit, exps) if exps else ("decays" if fit is not None and fit.ci_high < 0
                                                           else ("not fitted" if fit is None else "flat"))
            rows.append(Row(f"{prefix}_{_sweep.ident(label)}_{quantity}", claim, f"{what}, {name}", estimator,
                            theory, *_numbers(fit), _measured(fit, why), _sigma0(sweep, b),
                            floor if quantity == "delta_c" else "—", verdict))
    return rows


def table(*, coverage=None, memorization=None, network=None, density=None, dimension=None, surface=None
          ) -> list[Row]:
    """The rows from whichever results are given (each an experiment's ``Result``)."""
    from . import coverage as _cov, density as _den, dimension as _dim, memorization as _mem, network as _net
    expected = {"coverage": (coverage, _cov.Result), "memorization": (memorization, _mem.Result),
                "network": (network, _net.Result), "density": (density, _den.Result),
                "dimension": (dimension, _dim.Result), "surface": (surface, _dim.Result)}
    for name, (value, cls) in expected.items():
        if value is not None and not isinstance(value, cls):
            raise TypeError(f"{name}: expected a {cls.__module__}.Result (what run returns), got "
                            f"{type(value).__name__}")
    rows = []
    if memorization is not None:
        m = memorization
        loc1, loc2 = local_slope(m.ns_curve, 1.0), local_slope(m.ns_surface, 0.5)
        for key, quantity, fit, preds in (
                ("memo_curve", f"δ_C of the training set, k = 1 ({m.curve})", m.fits["curve"],
                 {"-1": -1.0, f"(log N/N) {loc1:.2f}": loc1}),
                ("memo_gap", "half the largest gap, k = 1", m.fits["gap"], {"-1": -1.0, f"(log N/N) {loc1:.2f}": loc1}),
                ("memo_w1", "W1 of the training set to the data law, k = 1", m.fits["w1"], {"-1/2": -0.5}),
                ("memo_surface", f"δ_C of the training set, k = 2 ({m.surface})", m.fits["surface"],
                 {"-1/2": -0.5, f"(log N/N)^1/2 {loc2:.2f}": loc2})):
            rows.append(Row(key, "1 memorization", quantity, "empirical measure (exact)",
                            " / ".join(preds), *_numbers(fit), _measured(fit), "—", "none (exact)",
                            rate_verdict(fit, preds)))
    if coverage is not None:
        rows += _sweep_rows("2 coarse covers fast", coverage.sweep, "ridge (closed form)", prefix="ridge")
        for key, quantity, fit, verdict in (
                ("target_limit", f"W1 to its own limit (N = {coverage.reference_n} run), {coverage.sweep.labels[0]}",
                 coverage.target_fits["w1lim"], None),
                ("target_data", f"W1 to the data law, {coverage.sweep.labels[0]}", coverage.target_fits["w1data"],
                 None)):
            text = (f"plateau at W1(N = {coverage.reference_n} run, data) = {coverage.w1_reference:.1e}"
                    if key == "target_data"
                    else "falls")
            rows.append(Row(key, "3 a different target", quantity, "ridge (closed form)", text,
                            *_numbers(fit), _measured(fit), _sigma0(coverage.sweep, 0),
                            f"{coverage.w1_floor:.1e}", verdict or _target_verdict(coverage, key)))
    if network is not None:
        rows += _sweep_rows("2 coarse covers fast", network.sweep,
                            f"trained MLP {network.width}x{network.depth}", prefix="mlp")
    if density is not None:
        rows += _sweep_rows("4 density regularity", density.sweep, "ridge (closed form)", prefix="density",
                            names=[f"{n} density" for n in density.sweep.labels])
        from .density import KDE_EXPONENTS
        for name, fit in density.kde_fits.items():
            rows.append(Row(f"kde_{name}", "4 density regularity", f"KDE L1 error at the best h, {name} density",
                            "arc-length KDE (oracle h)", f"-{KDE_EXPONENTS[name]:.3g}", *_numbers(fit),
                            _measured(fit), "—", "—", rate_verdict(fit, {f"-{KDE_EXPONENTS[name]:.3g}":
                                                                          -KDE_EXPONENTS[name]})))
    for res, prefix in ((dimension, "dim"), (surface, "surface")):
        if res is not None:
            rows += _sweep_rows("5 dimension", res.sweep, "ridge (closed form)", prefix=prefix,
                                names=[f"{res.setting} in R^{d}" for d in res.sweep.dims])
    return rows


def _target_verdict(coverage, key) -> str:
    fit = coverage.target_fits["w1lim" if key == "target_limit" else "w1data"]
    if fit is None:
        return "not fitted"
    if key == "target_limit":
        return "falls" if fit.ci_high < 0 else "does not fall"
    last = float(np.median(coverage.w1_data[-1]))
    last_lim = float(np.median(coverage.w1_limit[-1]))
    if coverage.w1_reference <= 2 * coverage.w1_floor:
        return "limit within twice the floor of the data law: no plateau resolved"
    # a plateau is resolved only if the outputs are clearly nearer their limit than the data law,
    # and their distance to the data law has come down to the limit's
    if last_lim < 0.5 * last and last < 1.5 * coverage.w1_reference:
        return "plateau resolved"
    n_max = int(coverage.sweep.ns[-1])
    return (f"not resolved: at N = {n_max} the outputs are {last_lim:.3f} from the N = {coverage.reference_n} "
            f"run and {last:.3f} from the data law")


def html(rows) -> str:
    """The rows as an HTML table."""
    import html as _html

    rows = list(rows)
    if not all(isinstance(r, Row) for r in rows):
        raise TypeError("rows: expected the Rows of table()")

    cols = ("claim", "quantity", "estimator", "theory", "measured", "sigma0", "floor", "verdict")
    head = ("claim", "counted quantity", "estimator", "theory exponent", "measured slope [95% CI]",
            "σ0* per N", "counting floor",
            "verdict (met: the interval reaches the exponent)")
    body = "".join("<tr>" + "".join(f"<td>{_html.escape(str(getattr(r, c)))}</td>" for c in cols) + "</tr>"
                   for r in rows)
    return ("<table class='rates-summary'><thead><tr>" + "".join(f"<th>{h}</th>" for h in head)
            + f"</tr></thead><tbody>{body}</tbody></table>")
