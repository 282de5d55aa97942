"""The fit: data, posterior predictive bands, SGD and MAP curves, and residuals."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..predictive import LEVELS, Bands, predictive_bands
from . import _style

__all__ = ["LEVELS", "fit"]

_Y_CLIP = 1.0  # the view extends at most this many data y-spans beyond the data


def _predict(posterior, theta, x) -> np.ndarray:
    return np.asarray(posterior.predict(np.asarray(theta, dtype=float), x), dtype=float)


def _ylim(data_y: np.ndarray, curves: list[np.ndarray]) -> tuple[float, float]:
    """Everything plotted, clipped to the data's y-range ± ``_Y_CLIP`` spans: curves that
    run away outside the data range should not squash the data."""
    lo, hi = float(data_y.min()), float(data_y.max())
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    vals = np.concatenate([np.ravel(c) for c in curves] + [data_y])
    vals = vals[np.isfinite(vals)]
    lo = max(float(vals.min()), lo - _Y_CLIP * span)
    hi = min(float(vals.max()), hi + _Y_CLIP * span)
    pad = 0.04 * (hi - lo)
    return lo - pad, hi + pad


def _check(run, extrapolate, n_grid, max_draws) -> None:
    data = run.posterior.data
    if data.in_dim != 1:
        raise ValueError(f"fit plots 1-D input only; these data have {data.in_dim}-D x")
    if not (np.isfinite(extrapolate) and extrapolate > 0):
        raise ValueError(f"extrapolate must be a positive number, got {extrapolate!r}")
    for name, v, lo in (("n_grid", n_grid, 2), ("max_draws", max_draws, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")


def _axes(ax, residuals: bool):
    """(figure, fit axes, residual axes or None), new or from ``ax``."""
    import matplotlib.pyplot as plt

    if ax is None:
        if residuals:
            fig, (ax_f, ax_r) = plt.subplots(
                2,
                1,
                sharex=True,
                figsize=(_style.COLUMN * 1.45, 4.8),
                gridspec_kw=dict(height_ratios=(3.2, 1)),
                layout="constrained",
            )
            return fig, ax_f, ax_r
        fig, ax_f = plt.subplots(figsize=(_style.COLUMN * 1.45, 3.8), layout="constrained")
        return fig, ax_f, None
    if isinstance(ax, (tuple, list, np.ndarray)):
        ax_f, ax_r = ax
        return ax_f.figure, ax_f, ax_r if residuals else None
    return ax.figure, ax, None


def _curves(run, grid, sgd: bool, map: bool) -> dict:
    """label -> (curve on the grid, line style) for the SGD and MAP-draw curves."""
    out = {}
    if sgd and run.sgd is not None:
        kw = dict(color=_style.SGD, ls="--", lw=1.3, zorder=4)
        out[_style.sgd_label(run)] = (_predict(run.posterior, run.sgd.best, grid), kw)
    if map:
        kw = dict(color=_style.MAP, ls="-", lw=1.1, zorder=4)
        out["MAP sample"] = (_predict(run.posterior, run.samples.map_theta, grid), kw)
    return out


def _draw_top(ax, data, bands: Bands, lines: dict, f_true) -> None:
    grid, q = bands.grid, bands.quantiles
    ax.fill_between(grid, q[0], q[-1], color=_style.BAND_95, lw=0, zorder=1)
    ax.fill_between(grid, q[1], q[-2], color=_style.BAND_68, lw=0, zorder=2)
    ax.plot(grid, bands.at(50.0), color=_style.POSTERIOR, lw=1.2, zorder=3)
    if f_true is not None:
        ax.plot(grid, f_true, color=_style.TRUTH, lw=0.9, ls="-.", zorder=3.5)
    for y, kw in lines.values():
        ax.plot(grid, y, **kw)
    order = np.argsort(data.x)
    xd, yd = data.x[order], data.y[order]
    ax.plot(xd, yd, ls="none", marker="o", ms=1.8, color=_style.DATA, mec="none", zorder=6)
    for edge in data.x_range:
        ax.axvline(edge, color="0.3", ls=":", lw=0.8, zorder=2.5)
    plotted = [q[0], q[-1], *(y for y, _ in lines.values())]
    if f_true is not None:
        plotted.append(f_true)
    ax.set_ylim(*_ylim(yd, plotted))
    ax.set_xlim(grid[0], grid[-1])
    ax.set_ylabel("$y$")


def _legend_top(ax, lines: dict, truth: bool) -> None:
    handles = [
        Line2D([], [], ls="none", marker="o", ms=3, color=_style.DATA, mec="none", label="data"),
        Line2D([], [], color=_style.POSTERIOR, lw=1.2, label="posterior median"),
        Patch(color=_style.BAND_68, lw=0, label="68% band"),
        Patch(color=_style.BAND_95, lw=0, label="95% band"),
    ]
    handles += [
        Line2D([], [], label=lab, **{k: v for k, v in kw.items() if k != "zorder"})
        for lab, (_, kw) in lines.items()
    ]
    if truth:
        handles.append(Line2D([], [], color=_style.TRUTH, lw=0.9, ls="-.", label="truth"))
    ax.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.01),
        ncols=4,
        columnspacing=1.2,
        handlelength=2.0,
        borderaxespad=0.2,
    )


def _draw_residuals(ax, run, rows: list) -> None:
    """|y − f(x)| at the data for each (label, f at the sorted data x, style) row."""
    data = run.posterior.data
    order = np.argsort(data.x)
    xd, yd = data.x[order], data.y[order]
    top = 0.0
    for lab, f, kw in rows:
        r = np.abs(yd - f)
        top = max(top, float(np.max(r)))
        mean = _style.num(float(np.mean(r)))
        ax.plot(xd, r, label=rf"{lab}: mean $|\Delta y| = {mean}$", **kw)
    # headroom above the curves holds the legend in one row; the floor a little below 0
    # keeps the 0 tick label clear of the x tick labels
    top = top if top > 0 else 1.0
    ax.set_ylim(-0.08 * top, 1.45 * top)
    # one tick format whatever the scale: plain numbers, at most 4 ticks
    ax.yaxis.set_major_locator(MaxNLocator(nbins=3, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.legend(
        loc="upper center",
        ncols=len(rows),
        fontsize=8,
        handlelength=1.8,
        borderaxespad=0.2,
        columnspacing=1.5,
    )
    ax.set_ylabel(r"$|\Delta y|$")
    ax.set_xlabel("$x$")
    for edge in data.x_range:
        ax.axvline(edge, color="0.4", ls=":", lw=0.8, zorder=0)


def fit(
    run,
    *,
    extrapolate: float = 2.0,
    n_grid: int = 400,
    max_draws: int = 2000,
    sgd: bool = True,
    map: bool = True,
    truth: bool = True,
    residuals: bool = True,
    seed: int = 0,
    bands: Bands | None = None,
    ax=None,
) -> Figure:
    """The data with the posterior predictive of f(x), as in the blog's figures.

    Top panel: the data (magenta dots); the posterior median of f(x) and its 68 % and 95 %
    bands (:func:`bayes_uat.predictive.predictive_bands`: percentiles 2.5, 16, 50, 84, 97.5
    of f_θ(x) over up to ``max_draws`` draws, chosen from all chains with a fixed-seed rng)
    on a grid ``extrapolate`` times as wide as the data range; the SGD curve (dashed), the
    MAP draw's curve and, when known, the true curve; dotted lines mark the data range.
    Bottom panel: |y − f(x)| at the data for the posterior median and SGD, with their means.
    The title names the sampler and the likelihood.

    Args:
        run: a :class:`bayes_uat.records.Run` with 1-D input.
        extrapolate: grid width as a multiple of the data range (2.0 = twice as wide).
        n_grid: grid points.
        max_draws: posterior draws used for the bands.
        sgd, map, truth: draw the SGD curve / the MAP draw's curve / the true curve.
        residuals: add the residual panel.
        seed: seed of the draw selection.
        bands: bands computed beforehand (then ``extrapolate``, ``n_grid``, ``max_draws``
            and ``seed`` are not used); they must hold the levels 2.5, 16, 50, 84, 97.5.
        ax: an Axes to draw the top panel into (no residual panel then), or a pair
            (fit axes, residual axes).

    Example:
        >>> from bayes_uat import plots  # doctest: +SKIP
        >>> fig = plots.fit(run, extrapolate=2.0)  # doctest: +SKIP
    """
    _check(run, extrapolate, n_grid, max_draws)
    post = run.posterior
    data = post.data
    if bands is None:
        grid = data.grid(int(n_grid), extrapolate=float(extrapolate))
        bands = predictive_bands(post, run.samples, grid, max_draws=max_draws, seed=seed)
    elif tuple(bands.levels) != LEVELS:
        raise ValueError(f"bands must hold the levels {LEVELS}, got {tuple(bands.levels)}")
    lines = _curves(run, bands.grid, sgd, map)
    f_true = None
    if truth and data.target_fn is not None:
        f_true = np.asarray(data.target_fn(bands.grid), dtype=float)

    with _style.style():
        fig, ax_f, ax_r = _axes(ax, residuals)
        _draw_top(ax_f, data, bands, lines, f_true)
        _legend_top(ax_f, lines, f_true is not None)
        if ax is None:
            fig.suptitle(
                f"{_style.sampler_label(run)}; {_style.likelihood_label(post)}", fontsize=9
            )
        if ax_r is None:
            ax_f.set_xlabel("$x$")
            return fig
        x_sorted = np.sort(data.x)
        med = predictive_bands(
            post, run.samples, x_sorted, levels=(50.0,), max_draws=max_draws, seed=seed
        ).quantiles[0]
        rows = [("median", med, dict(color=_style.POSTERIOR, lw=1.0))]
        if sgd and run.sgd is not None:
            sgd_kw = dict(color=_style.SGD, lw=1.0, ls="--")
            rows.append(("SGD", _predict(post, run.sgd.best, x_sorted), sgd_kw))
        _draw_residuals(ax_r, run, rows)
    return fig
