"""Unit decomposition: which sub-functions a one-hidden-layer network adds up (seed 000's
question), with their posterior uncertainty.  The curves come from
:func:`bayes_uat.predictive.unit_decomposition`; this module only draws them."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..predictive import UnitCurves, unit_decomposition
from . import _style

_UNIT_CMAP = "tab10"
_SUM_LW = 3.0
_SUM_LABEL = r"sum $f(x) = c + \sum_i a_i\,\phi(w_i x + b_i)$"


def _unit_colors(n: int) -> list:
    import matplotlib as mpl

    if n <= 10:
        return [mpl.colormaps[_UNIT_CMAP](i) for i in range(n)]
    return [mpl.colormaps["viridis"](v) for v in np.linspace(0.0, 0.92, n)]


def _fmt_t(t: float) -> str:
    return r"\mathrm{const}" if not np.isfinite(t) else f"{t:.2f}".replace("-", "−")


def _draw_units(ax, cu: UnitCurves, colors) -> list:
    handles = []
    for i, col in enumerate(colors):
        if cu.bands:
            ax.fill_between(
                cu.grid, *cu.bands["units"][:, i], color=col, alpha=0.25, lw=0, zorder=2
            )
        ax.plot(cu.grid, cu.units[i], color=col, lw=1.1, zorder=3)
        label = rf"unit ${i + 1}$: $t_{{{i + 1}}} = {_fmt_t(cu.t[i])}$"
        handles.append(Line2D([], [], color=col, lw=1.1, label=label))
    return handles


def _draw_sum(ax, cu: UnitCurves) -> list:
    band = "68% band" if cu.mode is None else "68% band of the mode's draws"
    if cu.bands:
        ax.axhspan(*cu.bands["c"], color="0.5", alpha=0.2, lw=0, zorder=2)
    ax.axhline(cu.c, color="0.35", ls="--", lw=0.9, zorder=3)
    if cu.bands:
        ax.fill_between(cu.grid, *cu.bands["sum"], color="k", alpha=0.2, lw=0, zorder=4)
    # wider than the data dots drawn over it, so that it shows on both sides of them
    ax.plot(cu.grid, cu.sum, color="k", lw=_SUM_LW, zorder=5)
    handles = [
        Line2D([], [], color="0.35", ls="--", lw=0.9, label="$c$"),
        Line2D([], [], color="k", lw=_SUM_LW, label=_SUM_LABEL),
    ]
    if cu.bands:
        handles.append(Patch(color="0.6", alpha=0.5, lw=0, label=band))
    return handles


def _draw_data(ax, data) -> Line2D:
    # on top of the sum curve, which runs through the data, in a colour of its own, and
    # smaller than that curve is wide, so that the curve shows around them
    _style.data_dots(ax, data.x, data.y, ms=1.2, alpha=0.7, zorder=6)
    return Line2D([], [], ls="none", marker="o", ms=3, color=_style.DATA, mec="none", label="data")


def _title(run, cu: UnitCurves, modes) -> str:
    net = run.posterior.net
    head = f"{net.activation}, $N = {net.units[0]}$: "
    if cu.mode is None:
        return head + "posterior median, canonical units"
    share = ""
    if modes is not None and 0 <= cu.mode < len(modes):
        share = f" ({100 * modes[cu.mode].share:.0f}% of draws)"
    return head + f"MAP draw of mode {cu.mode}{share}"


def units(
    run,
    *,
    mode=None,
    modes=None,
    curves: UnitCurves | None = None,
    max_draws: int = 500,
    extrapolate: float = 1.0,
    n_grid: int = 300,
    data: bool = True,
    seed: int = 0,
    ax=None,
) -> Figure:
    """Each hidden unit's contribution aᵢ φ(wᵢ x + bᵢ), the constant c and their sum f(x).

    The curves are :func:`bayes_uat.predictive.unit_decomposition`'s (pass them as
    ``curves``, or they are computed from the run): without ``mode`` the posterior medians
    and 68 % bands of canonical units ("unit i" is the same unit in every draw: flipped to
    wᵢ > 0 where the activation allows, sorted by tᵢ = −bᵢ/wᵢ); with ``mode`` (a
    :class:`~bayes_uat.modes.Mode`, or an index into ``modes``) the curves of that mode's MAP
    draw, with the bands of its draws.  The legend names units by their canonical order and
    transition location tᵢ; the title says which mode is shown.

    Args:
        run: a :class:`bayes_uat.records.Run` of a one-hidden-layer network with 1-D input.
        mode: show one mode's MAP draw instead of the posterior.
        modes: the ModeSet ``mode`` belongs to (adds the bands of its draws, and its share).
        curves: the decomposition computed beforehand (then ``mode``, ``max_draws``,
            ``extrapolate``, ``n_grid`` and ``seed`` are not used).
        max_draws: draws used for the bands (chosen from all chains with a fixed-seed rng).
        extrapolate: grid width as a multiple of the data range.
        data: draw the data.
        ax: an Axes to draw into.

    Example:
        >>> from bayes_uat import plots  # doctest: +SKIP
        >>> fig = plots.units(run)  # doctest: +SKIP
        >>> modes = find_modes(run.posterior, run.samples)  # doctest: +SKIP
        >>> fig = plots.units(run, mode=0, modes=modes)  # doctest: +SKIP
    """
    post = run.posterior
    if curves is None:
        if not (np.isfinite(extrapolate) and extrapolate > 0):
            raise ValueError(f"extrapolate must be a positive number, got {extrapolate!r}")
        grid = post.data.grid(int(n_grid), extrapolate=float(extrapolate))
        curves = unit_decomposition(
            post, run.samples, grid, mode=mode, modes=modes, max_draws=max_draws, seed=seed
        )
    cu = curves
    with _style.style():
        own = ax is None
        if own:
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=(_style.COLUMN * 1.45, 3.0), layout="constrained")
        else:
            fig = ax.figure
        handles = [_draw_data(ax, post.data)] if data else []
        handles += _draw_units(ax, cu, _unit_colors(cu.units.shape[0]))
        handles += _draw_sum(ax, cu)
        lo, hi = post.data.x_range
        if cu.grid[0] < lo or cu.grid[-1] > hi:
            for edge in (lo, hi):
                ax.axvline(edge, color="0.3", ls=":", lw=0.7, zorder=0)
        ax.set_xlim(cu.grid[0], cu.grid[-1])
        ax.set_xlabel("$x$")
        ax.set_ylabel(r"$a_i\,\phi(w_i x + b_i)$, $c$, $f(x)$")
        ax.set_title(_title(run, cu, modes), fontsize=9)
        if not own:
            ax.legend(handles=handles, loc="best", fontsize=7)
        elif len(handles) <= 7:
            fig.legend(handles=handles, loc="outside right upper", fontsize=7)
        else:  # many units: a wider figure with the legend underneath
            fig.set_size_inches(_style.PAGE * 0.8, 3.6)
            fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=7)
    return fig
