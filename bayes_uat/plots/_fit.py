"""The fit: data, posterior predictive bands, SGD and MAP curves, and residuals."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from . import _style

LEVELS = (2.5, 16.0, 50.0, 84.0, 97.5)
_Y_CLIP = 1.0  # the view extends at most this many data y-spans beyond the data


def _predict(posterior, theta, x) -> np.ndarray:
    return np.asarray(posterior.predict(np.asarray(theta, dtype=float), x), dtype=float)


def _draws(samples, max_draws: int, seed: int) -> np.ndarray:
    """Up to ``max_draws`` finite draws from all chains, chosen by a fixed-seed rng."""
    flat = samples.flat()
    flat = flat[np.all(np.isfinite(flat), axis=1)]
    if flat.shape[0] == 0:
        raise ValueError("the run holds no finite draws to plot")
    k = min(int(max_draws), flat.shape[0])
    idx = np.sort(np.random.default_rng(seed).choice(flat.shape[0], k, replace=False))
    return flat[idx]


def _num(v: float) -> str:
    """Two significant digits, as mathtext (``1.2\\times10^{-5}`` for tiny values)."""
    s = f"{v:.2g}"
    if "e" in s:
        m, e = s.split("e")
        return rf"{m}\times10^{{{int(e)}}}"
    return s


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
    ax=None,
) -> Figure:
    """The data with the posterior predictive of f(x), as in the blog's figures.

    Top panel: the data (dots); the posterior median of f(x) and its 68 % and 95 % bands
    (percentiles 2.5, 16, 50, 84, 97.5 of f_θ(x) over up to ``max_draws`` draws, chosen
    from all chains with a fixed-seed rng) on a grid ``extrapolate`` times as wide as the
    data range; the SGD curve (dashed), the MAP draw's curve and, when known, the true
    curve; dotted lines mark the data range.  Bottom panel: |y − f(x)| at the data for the
    posterior median and SGD, with their means ⟨|Δy|⟩.

    The bands are kept on the figure: ``fig.bayes_uat = {"grid", "quantiles" (5, n_grid),
    "levels"}``.

    Args:
        run: a :class:`bayes_uat.records.Run` with 1-D input.
        extrapolate: grid width as a multiple of the data range (2.0 = twice as wide).
        n_grid: grid points.
        max_draws: posterior draws used for the bands.
        sgd, map, truth: draw the SGD curve / the MAP draw's curve / the true curve.
        residuals: add the residual panel.
        seed: seed of the draw selection.
        ax: an Axes to draw the top panel into (no residual panel then), or a pair
            (fit axes, residual axes).

    Example:
        >>> from bayes_uat import plots  # doctest: +SKIP
        >>> fig = plots.fit(run, extrapolate=2.0)  # doctest: +SKIP
        >>> fig.bayes_uat["quantiles"].shape  # doctest: +SKIP
        (5, 400)
    """
    post = run.posterior
    data = post.data
    if data.in_dim != 1:
        raise ValueError(f"fit plots 1-D input only; these data have {data.in_dim}-D x")
    if not (np.isfinite(extrapolate) and extrapolate > 0):
        raise ValueError(f"extrapolate must be a positive number, got {extrapolate!r}")
    for name, v, lo in (("n_grid", n_grid, 2), ("max_draws", max_draws, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")

    grid = data.grid(int(n_grid), extrapolate=float(extrapolate))
    order = np.argsort(data.x)
    xd, yd = data.x[order], data.y[order]
    theta = _draws(run.samples, max_draws, seed)
    pred = _predict(post, theta, np.concatenate([grid, xd]))
    pred = pred[np.all(np.isfinite(pred), axis=1)]
    if pred.shape[0] == 0:
        raise ValueError("every selected draw predicts non-finite values")
    q_all = np.percentile(pred, LEVELS, axis=0)
    q, med_data = q_all[:, : grid.size], q_all[2, grid.size :]

    curves = {}  # label -> (θ, style)
    sgd_lab = _style.sgd_label(run)
    if sgd and run.sgd is not None:
        curves[sgd_lab] = (run.sgd.best, dict(color=_style.SGD, ls="--", lw=1.3, zorder=4))
    if map:
        curves["MAP sample"] = (
            run.samples.map_theta,
            dict(color=_style.MAP, ls="-", lw=1.1, zorder=4),
        )
    lines = {lab: (_predict(post, th, grid), kw) for lab, (th, kw) in curves.items()}
    f_true = None
    if truth and data.target_fn is not None:
        f_true = np.asarray(data.target_fn(grid), dtype=float)

    with _style.style():
        if ax is None:
            import matplotlib.pyplot as plt

            if residuals:
                fig, (ax_f, ax_r) = plt.subplots(
                    2,
                    1,
                    sharex=True,
                    figsize=(_style.COLUMN * 1.45, 4.6),
                    gridspec_kw=dict(height_ratios=(3.2, 1)),
                    layout="constrained",
                )
            else:
                fig, ax_f = plt.subplots(figsize=(_style.COLUMN * 1.45, 3.6), layout="constrained")
                ax_r = None
        elif isinstance(ax, (tuple, list, np.ndarray)):
            ax_f, ax_r = ax
            ax_r = ax_r if residuals else None
            fig = ax_f.figure
        else:
            ax_f, ax_r = ax, None
            fig = ax_f.figure

        ax_f.fill_between(grid, q[0], q[4], color=_style.BAND_95, lw=0, zorder=1)
        ax_f.fill_between(grid, q[1], q[3], color=_style.BAND_68, lw=0, zorder=2)
        ax_f.plot(grid, q[2], color=_style.POSTERIOR, lw=1.2, zorder=3)
        if f_true is not None:
            ax_f.plot(grid, f_true, color=_style.TRUTH, lw=0.8, ls="-.", zorder=3)
        for y, kw in lines.values():
            ax_f.plot(grid, y, **kw)
        ax_f.plot(xd, yd, ls="none", marker="o", ms=1.8, color=_style.DATA, mec="none", zorder=6)
        lo, hi = data.x_range
        for edge in (lo, hi):
            ax_f.axvline(edge, color="0.3", ls=":", lw=0.8, zorder=2.5)
        plotted = [q[0], q[4], *(y for y, _ in lines.values())]
        if f_true is not None:
            plotted.append(f_true)
        ax_f.set_ylim(*_ylim(yd, plotted))
        ax_f.set_xlim(grid[0], grid[-1])
        ax_f.set_ylabel("$y$")

        handles = [
            Line2D(
                [], [], ls="none", marker="o", ms=3, color=_style.DATA, mec="none", label="data"
            ),
            Line2D([], [], color=_style.POSTERIOR, lw=1.2, label="posterior median"),
            Patch(color=_style.BAND_68, lw=0, label="68% band"),
            Patch(color=_style.BAND_95, lw=0, label="95% band"),
        ]
        handles += [
            Line2D([], [], label=lab, **{k: v for k, v in kw.items() if k != "zorder"})
            for lab, (_, kw) in lines.items()
        ]
        if f_true is not None:
            handles.append(Line2D([], [], color=_style.TRUTH, lw=0.8, ls="-.", label="truth"))
        ax_f.legend(
            handles=handles,
            loc="lower center",
            bbox_to_anchor=(0.5, 1.01),
            ncols=4,
            columnspacing=1.2,
            handlelength=2.0,
            borderaxespad=0.2,
        )

        if ax_r is not None:
            rows = [("median", med_data, dict(color=_style.POSTERIOR, lw=1.0))]
            if sgd and run.sgd is not None:
                rows.append(
                    (
                        "SGD",
                        _predict(post, run.sgd.best, xd),
                        dict(color=_style.SGD, lw=1.0, ls="--"),
                    )
                )
            top = 0.0
            for lab, f, kw in rows:
                r = np.abs(yd - f)
                top = max(top, float(np.max(r)))
                mean = _num(float(np.mean(r)))
                ax_r.plot(xd, r, label=rf"{lab}: $\langle|\Delta y|\rangle = {mean}$", **kw)
            # headroom above the curves holds the legend in one row
            ax_r.set_ylim(0, 1.45 * top if top > 0 else 1.0)
            ax_r.legend(
                loc="upper center",
                ncols=len(rows),
                fontsize=8,
                handlelength=1.8,
                borderaxespad=0.2,
                columnspacing=1.5,
            )
            ax_r.set_ylabel(r"$|\Delta y|$")
            ax_r.set_xlabel("$x$")
            for edge in (lo, hi):
                ax_r.axvline(edge, color="0.4", ls=":", lw=0.8, zorder=0)
        else:
            ax_f.set_xlabel("$x$")

    fig.bayes_uat = {"grid": grid, "quantiles": q, "levels": LEVELS, "n_draws": int(pred.shape[0])}
    return fig
