"""Sweeps over network size and activation (seed 003), LOO against N, and approximation
efficiency against parameter count (seed 001): figures from :mod:`bayes_uat.studies`."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from ...plots import _style
from ...plots._style import num as _num

# Colours of activations and model families (SGD red and MAP blue keep their meaning).
ACTIVATION_COLORS = {
    "sigmoid": "tab:purple",
    "softsign": "tab:orange",
    "relu": "tab:green",
    "tanh": "tab:brown",
}
FAMILY_COLORS = {
    "ReLU network": "tab:green",
    "ReLU network, spread init": "tab:cyan",
    "polynomial": "tab:purple",
    "Fourier": "tab:orange",
    "shallow": "tab:purple",
    "shallow, spread init": "tab:pink",
    "deep": "tab:green",
}
_Y_CLIP = 0.6  # sweep panels show at most this many data y-spans beyond the data


def _points(results) -> list:
    pts = list(results)
    if not pts:
        raise ValueError("no sweep results to plot: pass the records unit_sweep returned")
    for p in pts:
        for attr in ("units", "grid", "quantiles", "sgd_curve", "x", "y"):
            if not hasattr(p, attr):
                raise ValueError(
                    f"results must be bayes_uat.studies.SweepPoint records, got {type(p).__name__}"
                )
    return pts


def _ylim(pts) -> tuple[float, float]:
    """The data with margins, the bands clipped to ``_Y_CLIP`` spans beyond them, and every
    posterior median in full (a median leaving the axes would be misread)."""
    y = np.concatenate([p.y for p in pts])
    lo, hi = float(y.min()), float(y.max())
    span = hi - lo if hi > lo else 1.0
    curves = np.concatenate([np.r_[p.quantiles[0], p.quantiles[-1], p.sgd_curve] for p in pts])
    curves = curves[np.isfinite(curves)]
    med = np.concatenate([p.quantiles[2] for p in pts])
    med = med[np.isfinite(med)]
    top = min(max(hi, float(curves.max())), hi + _Y_CLIP * span)
    bottom = max(min(lo, float(curves.min())), lo - _Y_CLIP * span)
    top, bottom = max(top, float(med.max())), min(bottom, float(med.min()))
    return bottom - 0.04 * span, top + 0.04 * span


def _panel(ax, p, *, truth: bool, annotate: bool) -> None:
    """One network size: band, median, SGD, data, data range; mean |Δy| of SGD (red, left)
    and of the median (black, right) above the panel, where no curve runs."""
    g, q = p.grid, p.quantiles
    ax.fill_between(g, q[0], q[-1], color=_style.BAND_95, lw=0, zorder=1)
    ax.plot(g, q[2], color=_style.POSTERIOR, lw=1.0, zorder=3)
    if truth and p.truth is not None:
        ax.plot(g, p.truth, color=_style.TRUTH, lw=0.8, ls="-.", zorder=4.5)
    ax.plot(g, p.sgd_curve, color=_style.SGD, ls="--", lw=1.0, zorder=4)
    ax.plot(
        p.x, p.y, ls="none", marker="o", ms=0.9, color=_style.DATA, mec="none", alpha=0.7, zorder=5
    )
    for edge in p.x_range:
        ax.axvline(edge, color="0.3", ls=":", lw=0.7, zorder=2.5)
    ax.set_xlim(g[0], g[-1])
    if annotate:
        ax.set_title(f"${_num(p.residual_sgd)}$", loc="left", fontsize=6.5, color=_style.SGD)
        ax.set_title(
            f"${_num(p.residual_median)}$", loc="right", fontsize=6.5, color=_style.POSTERIOR
        )


def _likelihood(pts) -> str:
    """The likelihood the sweep's posteriors used, in words ("" when not recorded)."""
    run = getattr(pts[0], "run", None)
    if run is not None:
        return _style.likelihood_label(run.posterior)
    name = (getattr(pts[0], "sampler", None) or {}).get("likelihood")
    if name == "gaussian":
        return "Gaussian likelihood, $\\sigma$ inferred"
    return _style.LIKELIHOOD_NAMES.get(name, "") if name else ""


TARGET_NAMES = {"x2": "$y = x^2$", "sin": r"$y = \sin x$"}


def _suptitle(fig, pts, annotate: bool, what: str) -> None:
    """The figure's title: what is shown and the likelihood; then what the numbers above
    the panels are."""
    parts = [what]
    lik = _likelihood(pts)
    if lik:
        parts.append(lik)
    text = "; ".join(parts)
    if annotate:
        text += (
            "\nnumbers above each panel: mean $|\\Delta y|$, the mean of $|y - f(x)|$ over the"
            " data, of SGD (red, left) and of the posterior median (black, right)"
        )
    fig.suptitle(text, fontsize=8, linespacing=1.4)


def _target(pts) -> str:
    t = pts[0].target
    return f"target {TARGET_NAMES.get(t, t)}"


def _legend(fig, truth: bool) -> None:
    """The sweep figures' shared legend, in one row under the panels (the title is above)."""
    fig.legend(
        handles=_handles(truth),
        loc="outside lower center",
        ncols=6,
        handlelength=1.8,
        columnspacing=1.2,
    )


def _handles(truth: bool) -> list:
    h = [
        Line2D([], [], ls="none", marker="o", ms=2.5, color=_style.DATA, mec="none", label="data"),
        Line2D([], [], color=_style.SGD, ls="--", lw=1.0, label="SGD (Adam)"),
        Line2D([], [], color=_style.POSTERIOR, lw=1.0, label="posterior median"),
        Patch(color=_style.BAND_95, lw=0, label="95% band"),
        Line2D([], [], color="0.3", ls=":", lw=0.7, label="data range"),
    ]
    if truth:
        h.append(Line2D([], [], color=_style.TRUTH, lw=0.7, ls="-.", label="truth"))
    return h


def sweep(results, *, residuals: bool = True, truth: bool = False, annotate: bool = True) -> Figure:
    """The blog's sweep over the number of hidden units: one column per N.

    Each panel shows the data, the best SGD restart's curve (dashed), the posterior median
    of f(x) and its 95 % band over the extrapolation grid (dotted lines: the data range),
    the column title "N = k" and the mean residual ⟨|Δy|⟩ = mean |y − f(x)| of SGD (red)
    and of the posterior median (black), explained in the title.  ``residuals`` adds a row
    of |Δy| at each data point, on one logarithmic scale for every N.

    Args:
        results: :class:`bayes_uat.studies.SweepPoint` records (one target and activation),
            as :func:`bayes_uat.studies.unit_sweep` returns them; or a ``bayes-uat sweep``
            directory, drawn by :func:`sweep_grid`.
        residuals: add the residual row.
        truth: draw the noise-free target.
        annotate: write ⟨|Δy|⟩ in each panel.

    Example:
        >>> from bayes_uat import plots, studies  # doctest: +SKIP
        >>> fig = plots.sweep(studies.unit_sweep("x2"))  # doctest: +SKIP
        >>> plots.save(fig, "figures/sweep_x2")  # doctest: +SKIP
    """
    if isinstance(results, (str, os.PathLike)):  # a bayes-uat sweep directory
        from ...plots._grid import sweep_grid

        return sweep_grid(results)
    pts = sorted(_points(results), key=lambda p: p.units)
    k = len(pts)
    with _style.style():
        import matplotlib.pyplot as plt

        rows = 2 if residuals else 1
        fig, axes = plt.subplots(
            rows,
            k,
            figsize=(_style.PAGE, 2.1 + (0.85 if residuals else 0.0)),
            sharex="col",
            squeeze=False,
            layout="constrained",
            gridspec_kw=dict(height_ratios=(2.4, 1) if residuals else (1,)),
        )
        ylim = _ylim(pts)
        for j, p in enumerate(pts):
            ax = axes[0, j]
            _panel(ax, p, truth=truth, annotate=annotate)
            ax.set_ylim(*ylim)
            ax.set_title(rf"$N = {p.units}$", fontsize=9)
            if j:
                ax.tick_params(labelleft=False)
        axes[0, 0].set_ylabel("$y$")
        if residuals:
            _residual_row(axes[1], pts)
        else:
            for ax in axes[0]:
                ax.set_xlabel("$x$")
        _suptitle(fig, pts, annotate, f"{pts[0].activation} units, {_target(pts)}")
        _legend(fig, truth)
    return fig


def _residual_row(axes, pts) -> None:
    """|Δy| = |y − f(x)| at each data point, SGD red and posterior median black, as dots on
    one logarithmic scale shared by every N (the residuals shrink by orders of magnitude
    with N); values below the axis floor sit on it."""
    res = [(np.abs(p.y - p.sgd_fit), np.abs(p.y - p.median_fit)) for p in pts]
    every = np.concatenate([np.r_[a, b] for a, b in res])
    every = every[np.isfinite(every) & (every > 0)]
    top = float(every.max()) if every.size else 1.0
    # the floor: the 2nd percentile, rounded down to a decade, then a little lower so that
    # the decade's tick label clears the x tick labels
    lo = 10.0 ** np.floor(np.log10(np.percentile(every, 2))) if every.size else 1e-3 * top
    floor = 0.5 * lo
    for ax, p, (r_sgd, r_med) in zip(axes, pts, res):
        kw = dict(ls="none", marker="o", ms=0.9, mec="none", alpha=0.6)
        ax.plot(p.x, np.maximum(r_sgd, floor), color=_style.SGD, zorder=2, **kw)
        ax.plot(p.x, np.maximum(r_med, floor), color=_style.POSTERIOR, zorder=3, **kw)
        ax.set_yscale("log")
        ax.set_ylim(floor, 2.0 * top)
        ax.yaxis.set_major_locator(LogLocator(numticks=4))
        ax.yaxis.set_major_formatter(FuncFormatter(_tick))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("$x$")
    for ax in axes[1:]:
        ax.sharey(axes[0])
        ax.tick_params(labelleft=False)
    axes[0].set_ylabel(r"$|\Delta y|$ at the data")


def activations(
    results,
    *,
    units: Sequence[int] | None = None,
    activations: Sequence[str] | None = None,
    truth: bool = False,
    annotate: bool = True,
) -> Figure:
    """The sweep for several activations: one row per activation, one column per N.

    Panels as in :func:`sweep` (no residual row).  Rows follow ``activations`` (default:
    sigmoid, softsign, relu, tanh, then any other, among those present); columns follow
    ``units`` (default: every N present).

    Args:
        results: :class:`bayes_uat.studies.SweepPoint` records of one target, any mix of
            activations and N (e.g. several :func:`~bayes_uat.studies.unit_sweep` results
            concatenated).
        units: the N to show (columns).
        activations: the activations to show (rows).

    Example:
        >>> pts = [p for a in ("sigmoid", "relu")  # doctest: +SKIP
        ...        for p in studies.unit_sweep("sin", activation=a)]
        >>> fig = plots.activations(pts)  # doctest: +SKIP
    """
    pts = _points(results)
    present = list(dict.fromkeys(p.activation for p in pts))
    default = [a for a in ACTIVATION_COLORS if a in present] + [
        a for a in present if a not in ACTIVATION_COLORS
    ]
    rows = list(activations) if activations is not None else default
    cols = sorted({p.units for p in pts}) if units is None else list(units)
    table = {(p.activation, p.units): p for p in pts}
    missing = [(a, n) for a in rows for n in cols if (a, n) not in table]
    if missing:
        raise ValueError(
            f"no result for (activation, N) = {missing[:3]}; results hold {sorted(table)}"
        )
    shown = [table[(a, n)] for a in rows for n in cols]
    with _style.style():
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(
            len(rows),
            len(cols),
            squeeze=False,
            sharex=True,
            figsize=(_style.PAGE, 0.45 + 1.4 * len(rows)),
            layout="constrained",
        )
        ylim = _ylim(shown)
        for i, a in enumerate(rows):
            for j, n in enumerate(cols):
                ax = axes[i, j]
                _panel(ax, table[(a, n)], truth=truth, annotate=annotate)
                ax.set_ylim(*ylim)
                if i == 0:
                    ax.set_title(rf"$N = {n}$", fontsize=9)
                if j:
                    ax.tick_params(labelleft=False)
                if i < len(rows) - 1:
                    ax.tick_params(labelbottom=False)
                else:
                    ax.set_xlabel("$x$")
            axes[i, 0].set_ylabel(f"{a}: $y$")
        _suptitle(fig, shown, annotate, _target(shown))
        _legend(fig, truth)
    return fig


def loo(results, *, heldout: bool = True, evidence=None) -> Figure:
    """How many units: PSIS-LOO and SGD errors against N, one line per activation.

    Left: elpd_loo (expected log predictive density, higher is better) ± its standard error,
    open markers where more than 10 % of points have Pareto k > 0.7 (LOO unreliable there).
    Right (``heldout``): SGD's mean squared error on the training data (solid) and on fresh
    data (dashed), with the noise variance (dotted) as the floor of the held-out error.

    Args:
        results: :class:`bayes_uat.studies.SweepPoint` records with ``loo`` computed.
        evidence: optional :class:`bayes_uat.studies.EvidencePoint` records; a second row
            shows log p(D | N, activation) ± SE (tempered SMC) against N.

    Example:
        >>> fig = plots.loo(points, evidence=evidence_sweep(...))  # doctest: +SKIP
    """
    pts = _points(results)
    if any(p.loo is None for p in pts):
        raise ValueError("some results have no LOO: run unit_sweep with loo=True")
    acts = list(dict.fromkeys(p.activation for p in pts))
    with _style.style():
        import matplotlib.pyplot as plt

        ev = [_evidence_record(p) for p in (evidence or [])]
        top = ["loo", "heldout"] if heldout else ["loo"]
        runs = bool(ev) and all(p.get("log_evidence_runs") for p in ev)
        bottom = ["evidence", "near_best"] if runs and heldout else ["evidence"] * len(top)
        mosaic = [top, bottom] if ev else [top]
        fig, axd = plt.subplot_mosaic(
            mosaic,
            layout="constrained",
            figsize=(_style.PAGE if heldout else _style.COLUMN * 1.3, 5.4 if ev else 2.6),
        )
        ax = axd["loo"]
        # the poor small-N fits are far below: show the range where the models compete
        best = max(p.loo["elpd"] for p in pts)
        spread = [best - p.loo["elpd"] for p in pts]
        span = max(np.percentile(spread, 60), 10.0)
        lo = best - 1.6 * span
        ax.set_ylim(lo, best + 0.15 * span)
        handles = []
        for a in acts:
            sel = sorted((p for p in pts if p.activation == a), key=lambda p: p.units)
            n = np.array([p.units for p in sel])
            e = np.array([p.loo["elpd"] for p in sel])
            se = np.array([p.loo["se"] for p in sel])
            bad = np.array([p.loo["k_high"] > 0.1 for p in sel])
            c = ACTIVATION_COLORS.get(a, "0.3")
            ax.plot(n, e, color=c, lw=1.0)  # the line runs on to points below the axis
            vis = e >= lo  # points inside; the rest get a ▼ (error bars cut at the axis)
            err = np.vstack([np.minimum(se, e - lo), se])[:, vis]
            ax.errorbar(n[vis], e[vis], yerr=err, color=c, ls="none", ms=3.5, marker="o", capsize=2)
            ok = bad & vis  # open markers: LOO unreliable there
            ax.plot(n[ok], e[ok], ls="none", marker="o", ms=3.5, mfc="white", mec=c)
            handles.append(Line2D([], [], color=c, lw=1.0, marker="o", ms=3.5, label=a))
        ax.set_xlabel("hidden units $N$")
        ax.set_ylabel(r"$\mathrm{elpd}_{\mathrm{LOO}}$")
        ax.set_title("PSIS-LOO (higher is better)", fontsize=9)
        below = _mark_below(ax, pts, acts)
        if below:
            handles.append(
                Line2D([], [], ls="none", marker="v", ms=4, color="0.3", label="below the axis")
            )
        ax.legend(handles=handles, loc="lower right", fontsize=7)
        if heldout:
            _heldout_panel(axd["heldout"], pts, acts)
        if ev:
            _evidence_panel(axd["evidence"], ev)
            # one N axis for every panel, so that the evidence sits beside LOO
            ns = [p.units for p in pts] + [p["units"] for p in ev]
            for a in axd.values():
                a.set_xlim(min(ns) - 0.5, max(ns) + 0.5)
                a.set_xticks(range(min(ns), max(ns) + 1))
            if "near_best" in axd:
                _near_best_panel(axd["near_best"], ev)
    return fig


def _evidence_record(p) -> dict:
    """An evidence point as a dict: a :class:`~bayes_uat.studies.NetworkEvidence` (or its
    ``numbers()``), or an :class:`~bayes_uat.studies.EvidencePoint` of tempered SMC from
    the prior (no likelihood bound)."""
    d = p if isinstance(p, dict) else p.numbers()
    if "log_evidence_mean" not in d:  # EvidencePoint: log_evidence is the mean
        d = dict(d, log_evidence_mean=d["log_evidence"])
    return d


def _evidence_panel(ax, ev) -> None:
    """log p(D | N, activation) ± SE across independent runs against N, with the largest
    log-likelihood found (dashed) where known: log Z can never exceed sup log L."""
    bound = False
    for a in dict.fromkeys(p["activation"] for p in ev):
        sel = sorted((p for p in ev if p["activation"] == a), key=lambda p: p["units"])
        c = ACTIVATION_COLORS.get(a, None)
        n = [p["units"] for p in sel]
        ax.errorbar(
            n,
            [p["log_evidence_mean"] for p in sel],
            yerr=[p["log_evidence_se"] for p in sel],
            color=c,
            lw=1.0,
            ms=3.5,
            marker="o",
            capsize=2,
            label=a,
        )
        if all("max_log_likelihood" in p for p in sel):
            bound = True
            ax.plot(
                n, [p["max_log_likelihood"] for p in sel], color=c, lw=0.8, ls="--", marker="_",
                ms=9,
            )  # fmt: skip
    handles, _ = ax.get_legend_handles_labels()
    if bound:
        handles.append(
            Line2D(
                [],
                [],
                color="0.3",
                lw=0.8,
                ls="--",
                marker="_",
                ms=9,
                label="largest log-likelihood found",
            )  # fmt: skip
        )
    ax.set_xlabel("hidden units $N$")
    ax.set_ylabel(r"$\log p(D \mid N)$")
    ax.set_title("log evidence (± SE over independent runs; higher is better)", fontsize=9)
    ax.legend(handles=handles, loc="best", fontsize=7)


NEAR_BEST = 40.0
"""The close-up of the evidence starts at the smallest N with a run within this many nats
of the best run."""


def _near_best_panel(ax, ev) -> None:
    """The evidence near its best: every independent run's log Z (small dots, spread
    sideways per activation) and their mean ± SE, from the smallest N at which some run
    comes within :data:`NEAR_BEST` nats of the highest run."""
    acts = list(dict.fromkeys(p["activation"] for p in ev))
    top = max(max(p["log_evidence_runs"]) for p in ev)
    near = [p for p in ev if max(p["log_evidence_runs"]) >= top - NEAR_BEST]
    n_min = min(p["units"] for p in near)
    for k, a in enumerate(acts):
        sel = sorted(
            (p for p in ev if p["activation"] == a and p["units"] >= n_min),
            key=lambda p: p["units"],
        )
        c = ACTIVATION_COLORS.get(a, None)
        dx = 0.12 * (k - (len(acts) - 1) / 2)
        n = np.array([p["units"] for p in sel], dtype=float) + dx
        ax.errorbar(
            n, [p["log_evidence_mean"] for p in sel], yerr=[p["log_evidence_se"] for p in sel],
            color=c, lw=1.0, ms=3.5, marker="o", capsize=2,
        )  # fmt: skip
        xs = [x for x, p in zip(n, sel) for _ in p["log_evidence_runs"]]
        ys = [v for p in sel for v in p["log_evidence_runs"]]
        ax.plot(xs, ys, ls="none", marker=".", ms=3, color=c, alpha=0.6)
    shown = [v for p in ev if p["units"] >= n_min for v in p["log_evidence_runs"]]
    span = top - min(shown)
    ax.set_ylim(min(shown) - 0.05 * span, top + 0.3 * span)  # headroom for the legend
    ax.set_xlim(n_min - 0.5, max(p["units"] for p in ev) + 0.5)
    ax.set_xticks(range(n_min, max(p["units"] for p in ev) + 1))
    ax.set_xlabel("hidden units $N$")
    ax.set_ylabel(r"$\log p(D \mid N)$")
    ax.set_title(f"close-up: $N \\geq {n_min}$, every run", fontsize=9)
    handles = [
        Line2D([], [], color="0.3", lw=1.0, marker="o", ms=3.5, label="mean ± SE"),
        Line2D([], [], color="0.3", ls="none", marker=".", ms=3, alpha=0.6, label="each run"),
    ]  # colours: the activations, as in the panel beside
    ax.legend(handles=handles, loc="upper center", fontsize=7, ncols=2)


def _heldout_panel(ax, pts, acts) -> None:
    """SGD's MSE on the training data (solid) and fresh data (dashed) against N, with the
    noise variance (dotted) as the floor of the held-out error."""
    for a in acts:
        sel = sorted((p for p in pts if p.activation == a), key=lambda p: p.units)
        n = [p.units for p in sel]
        c = ACTIVATION_COLORS.get(a, None)
        ax.plot(
            n,
            [p.errors["sgd_train"] for p in sel],
            color=c,
            marker="o",
            ms=3,
            lw=1.0,
            label=f"{a}",
        )
        if all("sgd_heldout" in p.errors for p in sel):
            ax.plot(
                n,
                [p.errors["sgd_heldout"] for p in sel],
                color=c,
                marker="s",
                ms=2.5,
                lw=0.9,
                ls="--",
                mfc="white",
            )
    nv = pts[0].noise_var
    if nv:
        ax.axhline(nv, color="0.3", ls=":", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("hidden units $N$")
    ax.set_ylabel("MSE of SGD")
    ax.set_title("SGD error on training and fresh data", fontsize=9)
    extra = [
        Line2D([], [], color="0.3", marker="o", ms=3, lw=1.0, label="train"),
        Line2D(
            [],
            [],
            color="0.3",
            marker="s",
            ms=2.5,
            ls="--",
            mfc="white",
            lw=0.9,
            label="held out",
        ),
    ]
    if nv:
        extra.append(Line2D([], [], color="0.3", ls=":", lw=0.8, label="noise variance"))
    ax.legend(handles=extra, loc="lower left")


def _mark_below(ax, pts, acts) -> bool:
    """Points under the lower y-limit: a ▼ on the bottom edge, with the value above it;
    several at one N sit side by side (one per activation), their values at alternating
    heights, so that none hides another."""
    lo = ax.get_ylim()[0]
    below = [p for a in acts for p in pts if p.activation == a and p.loo["elpd"] < lo]
    for n in sorted({p.units for p in below}):
        here = [p for p in below if p.units == n]
        for k, p in enumerate(here):
            x = n + 0.3 * (k - (len(here) - 1) / 2)
            c = ACTIVATION_COLORS.get(p.activation, "0.3")
            face = "white" if p.loo["k_high"] > 0.1 else c  # open: LOO unreliable there
            ax.plot(
                [x], [lo], marker="v", ms=5, color=c, mfc=face, ls="none", clip_on=False, zorder=5
            )
            ax.annotate(
                f"{p.loo['elpd']:.0f}",
                (x, lo),
                xytext=(0, 4 + 16 * (k % 2)),
                textcoords="offset points",
                fontsize=5.5,
                color=c,
                rotation=90,
                ha="center",
                va="bottom",
            )
    return bool(below)


def _tick(v, _pos) -> str:
    """Log-axis tick labels: plain numbers between 10⁻³ and 10³, powers of ten beyond."""
    if v <= 0:
        return ""
    e = int(np.floor(np.log10(v) + 1e-9))
    if -3 <= e <= 3:
        return f"{v:g}"
    m = v / 10.0**e
    return rf"$10^{{{e}}}$" if abs(m - 1) < 1e-6 else rf"${m:g}\times10^{{{e}}}$"


def _family_of(label: str) -> str | None:
    """The longest family name that ``label`` starts with."""
    names = [k for k in FAMILY_COLORS if label.startswith(k)]
    return max(names, key=len) if names else None


_OFF_SCALE = 10.0  # a family whose errors exceed this many times the median is cut off


def _error_panel(ax, result, key: str, *, median: bool) -> None:
    """Error against P on log–log axes, one line per family.  A family whose errors run
    orders of magnitude above the others' (a polynomial far outside its data) would flatten
    them: its points above the axis become ▲ at the top edge, with their range written
    under the top edge."""
    fams = {}
    for name, fam in result.families.items():
        vals = np.asarray(fam.get(key, []), dtype=float)
        if np.isfinite(vals).any():
            fams[name] = (np.asarray(fam["params"], dtype=float), vals, fam)
    every = np.concatenate([v[np.isfinite(v) & (v > 0)] for _, v, _ in fams.values()])
    if not every.size:
        every = np.array([1.0])
    kept = every[every <= _OFF_SCALE * float(np.median(every))]
    top = float(kept.max()) * 4.0 if 0 < kept.size < every.size else None
    off = []
    for name, (P, vals, fam) in fams.items():
        c = FAMILY_COLORS.get(name)
        above = vals > top if top is not None else np.zeros(vals.shape, bool)
        ax.plot(P, np.where(above, np.nan, vals), color=c, marker="o", ms=3.2, lw=1.1, label=name)
        if above.any():
            ax.plot(
                P[above],
                np.full(int(above.sum()), top),
                ls="none",
                marker="^",
                ms=4.5,
                color=c,
                clip_on=False,
                zorder=5,
            )
            off.append((name, P[above], vals[above]))
        if median and "rmse_in_median" in fam:
            ax.plot(P, fam["rmse_in_median"], color=c, lw=0.7, ls="--", alpha=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    decades = np.log10(kept.max() / kept.min()) if kept.size else 0.0
    if top is not None:
        ax.set_ylim(float(kept.min()) / 1.4, top)
    # 1-2-5 ticks over a few decades; LogLocator gives none of them over many
    ax.yaxis.set_major_locator(
        LogLocator(subs=(1.0, 2.0, 5.0)) if decades < 4 else LogLocator(numticks=6)
    )
    ax.yaxis.set_major_formatter(FuncFormatter(_tick))
    ax.yaxis.set_minor_formatter(NullFormatter())
    params = sorted({int(p) for f in result.families.values() for p in f["params"]})
    ax.set_xticks(params, [str(p) for p in params], minor=False)
    ax.set_xticks([], minor=True)
    ax.set_xlabel("parameters $P$")
    for i, (name, P, vals) in enumerate(off):
        ax.text(
            0.97,
            0.95 - 0.12 * i,
            f"▲ {name}, above the axis:\n"
            f"${_num(vals[0])}$ at $P = {P[0]:g}$ … ${_num(vals[-1])}$ at $P = {P[-1]:g}$",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=6.5,
            color=FAMILY_COLORS.get(name, "0.3"),
            linespacing=1.3,
        )


def approximation(result, *, ylim: tuple[float, float] | None = None) -> Figure:
    """Error against number of parameters for several model families, and example fits.

    Panels: the RMSE against the noise-free target inside the data range (for trained
    networks, dashed: the median restart; dotted: ``result.threshold``); when measured, the
    RMSE outside the data range; and the fits at ``result.example_params`` parameters on
    ``result.grid`` with the truth and the data (dotted lines: the data range).

    Args:
        result: a :class:`bayes_uat.studies.ApproxResult` (:func:`~bayes_uat.studies.bump_study`
            or :func:`~bayes_uat.studies.sawtooth_study`).
        ylim: y range of the example panel (default: the data's, with margins).

    Example:
        >>> fig = plots.approximation(studies.bump_study())  # doctest: +SKIP
    """
    if not hasattr(result, "families"):
        raise ValueError(f"approximation plots an ApproxResult, got {type(result).__name__}")
    has_out = any(
        np.isfinite(np.asarray(f.get("rmse_out", []), dtype=float)).any()
        for f in result.families.values()
    )
    with _style.style():
        import matplotlib.pyplot as plt

        n = 3 if has_out else 2
        fig, axes = plt.subplots(
            1,
            n,
            figsize=(_style.PAGE, 2.75),
            layout="constrained",
            gridspec_kw=dict(width_ratios=(1,) * (n - 1) + (1.35,)),
        )
        ax = axes[0]
        _error_panel(ax, result, "rmse_in", median=True)
        ax.axhline(result.threshold, color="0.5", lw=0.6, ls=":")
        ax.set_ylabel("RMSE vs. truth")
        ax.set_title("inside the data range", fontsize=9)
        handles, _ = ax.get_legend_handles_labels()
        if any("rmse_in_median" in f for f in result.families.values()):
            # a line style drawn in every family's colour: marked as such for the checks
            handles.append(
                Line2D([], [], color="0.3", lw=0.7, ls="--", label="median restart", gid="style")
            )
        handles.append(
            Line2D([], [], color="0.5", lw=0.6, ls=":", label=f"RMSE = {result.threshold:g}")
        )
        if has_out:
            _error_panel(axes[1], result, "rmse_out", median=False)
            axes[1].set_title("outside the data range", fontsize=9)
            axes[1].set_ylabel("RMSE vs. truth")
        handles += _example_panel(axes[-1], result, ylim)
        fig.legend(
            handles=handles,
            loc="outside upper center",
            ncols=min(len(handles), 5),
            fontsize=7,
            handlelength=1.8,
            columnspacing=1.0,
        )
    return fig


def _example_panel(ax_f, result, ylim) -> list:
    """The fits at ``result.example_params`` parameters over the data, with the truth
    and (when the grid extends beyond it) the data range; returns the legend handles of
    what the family legend does not name (truth, hand-made fits, data, data range)."""
    d = result.data
    # the truth wide and pale underneath, so that a fit lying on it (a hand-made exact
    # network) shows on top of it and both can be seen
    truth_kw = dict(color=_style.TRUTH, lw=3.2, alpha=0.35, solid_capstyle="butt")
    ax_f.plot(result.grid, result.truth, zorder=1.5, **truth_kw)
    handles = [Line2D([], [], label="truth", **truth_kw)]
    for label, f in result.examples.items():
        fam = _family_of(label)
        if fam:  # named by the family legend
            # a network and its spread-init twin often find the same curve: the first
            # wide underneath, the twin narrow on top, so that both show
            net = "ReLU" in fam or fam in ("deep", "shallow") or "spread" in fam
            twin = "spread" in fam
            z, lw = (5, 1.1) if twin else ((4, 2.4) if net else (3, 1.3))
            ax_f.plot(result.grid, f, color=FAMILY_COLORS[fam], lw=lw, zorder=z)
        else:
            kw = dict(color="k", ls=":", lw=1.4)
            ax_f.plot(result.grid, f, zorder=5.5, **kw)
            handles.append(Line2D([], [], label=label, **kw))
    _style.data_dots(ax_f, d.x, d.y, ms=1.0, alpha=0.45, zorder=6)
    handles.append(
        Line2D([], [], ls="none", marker="o", ms=2.5, color=_style.DATA, mec="none", label="data")
    )
    lo, hi = d.x_range
    if result.grid[0] < lo or result.grid[-1] > hi:
        for edge in (lo, hi):
            ax_f.axvline(edge, color="0.3", ls=":", lw=0.7)
        handles.append(Line2D([], [], color="0.3", ls=":", lw=0.7, label="data range"))
    span = float(d.y.max() - d.y.min())
    ax_f.set_ylim(*(ylim or (d.y.min() - 0.35 * span, d.y.max() + 0.6 * span)))
    ax_f.set_xlim(result.grid[0], result.grid[-1])
    ax_f.set_xlabel("$x$")
    ax_f.set_ylabel("$y$")
    ax_f.set_title(rf"fits with $P = {result.example_params}$ parameters", fontsize=9)
    return handles
