"""Unit decomposition: which sub-functions a one-hidden-layer network adds up (seed 000's
question), with their posterior uncertainty."""

from __future__ import annotations

import warnings

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from . import _style
from ._fit import _draws

_UNIT_CMAP = "tab10"


def _unit_colors(n: int) -> list:
    import matplotlib as mpl

    if n <= 10:
        return [mpl.colormaps[_UNIT_CMAP](i) for i in range(n)]
    return [mpl.colormaps["viridis"](v) for v in np.linspace(0.0, 0.92, n)]


def _mode_theta(run, mode, modes):
    """(MAP draw of the mode in canonical form, that mode's canonical draws or None).

    ``mode`` is a :class:`~bayes_uat.modes.Mode` or an index into ``modes``; without
    ``modes`` an index refers to :func:`~bayes_uat.modes.find_modes` without refinement (so
    that no optimisation runs here)."""
    if modes is None and not hasattr(mode, "map_canonical"):
        if not isinstance(mode, (int, np.integer)) or isinstance(mode, bool):
            raise ValueError(f"mode must be a Mode from find_modes or a mode index, got {mode!r}")
        from ..modes import find_modes

        modes = find_modes(run.posterior, run.samples, refine=False)
    if hasattr(mode, "map_canonical"):
        m = mode
    else:
        if not isinstance(mode, (int, np.integer)) or isinstance(mode, bool):
            raise ValueError(f"mode must be a Mode from find_modes or a mode index, got {mode!r}")
        if not 0 <= mode < len(modes):
            raise ValueError(f"mode {mode} does not exist: the draws hold {len(modes)} mode(s)")
        m = modes[int(mode)]
    draws = None
    if modes is not None:
        sel = np.asarray(modes.labels) == m.index
        if sel.sum() > 1:
            draws = np.asarray(modes.canonical)[sel]
    return np.asarray(m.map_canonical, dtype=float), draws


def _fmt_t(t: float) -> str:
    return r"\mathrm{const}" if not np.isfinite(t) else f"{t:.2f}".replace("-", "−")


def units(
    run,
    *,
    mode=None,
    modes=None,
    max_draws: int = 500,
    extrapolate: float = 1.0,
    n_grid: int = 300,
    data: bool = True,
    seed: int = 0,
    ax=None,
) -> Figure:
    """Each hidden unit's contribution aᵢ φ(wᵢ x + bᵢ), the constant c and their sum f(x).

    The draws are put in canonical form first (:func:`bayes_uat.modes.to_canonical`: units
    flipped to wᵢ > 0 where the activation allows it, then sorted by their transition
    tᵢ = −bᵢ/wᵢ), so that "unit i" is the same unit in every draw.  Without ``mode``: the
    posterior median of every unit's contribution with its 68 % band (percentiles 16–84 over
    up to ``max_draws`` draws), of c, and of the sum f(x) (the posterior median of f, not the
    sum of the medians).  With ``mode`` (a :class:`~bayes_uat.modes.Mode` from
    :func:`~bayes_uat.modes.find_modes`, or a mode index): the curves of that mode's MAP
    draw, whose unit curves and c add up to f exactly, with the 68 % bands of the draws in
    that mode when they are known (a mode index, or ``modes``: the
    :class:`~bayes_uat.modes.ModeSet` the mode came from).  The legend names units by their
    canonical order and transition location tᵢ (posterior median, or the mode's value).

    The curves are kept on the figure: ``fig.bayes_uat = {"grid", "theta" (the canonical θ
    drawn: the draws, or the mode's MAP as one row), "units" (N, n), "c" (), "sum" (n):
    the curves drawn, and "bands": {"units" (2, N, n), "c" (2,), "sum" (2, n)} or None,
    "t" (N,)}``.

    Args:
        run: a :class:`bayes_uat.records.Run` of a one-hidden-layer network with 1-D input.
        mode: show one mode's MAP draw instead of the posterior.
        modes: the ModeSet ``mode`` belongs to (adds the bands of its draws).
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
    from ..modes import to_canonical
    from ..symmetry import unit_table

    post = run.posterior
    net = post.net
    if len(net.units) != 1 or net.in_dim != 1:
        raise ValueError(
            f"units() needs one hidden layer and 1-D input, got units={net.units}, "
            f"in_dim={net.in_dim}"
        )
    if not (np.isfinite(extrapolate) and extrapolate > 0):
        raise ValueError(f"extrapolate must be a positive number, got {extrapolate!r}")
    grid = post.data.grid(int(n_grid), extrapolate=float(extrapolate))
    band_theta = None
    if mode is None:
        band_theta = _draws(run.samples, max_draws, seed)
        band_theta = to_canonical(post, band_theta, reference=run.samples.map_theta)
    else:
        theta, band_theta = _mode_theta(run, mode, modes)
        theta = theta[None, :]
        if band_theta is not None and band_theta.shape[0] > max_draws:
            pick = np.random.default_rng(seed).choice(band_theta.shape[0], max_draws, False)
            band_theta = band_theta[np.sort(pick)]

    def curves(th):
        w = np.asarray(post.net_params(th), dtype=float)
        return (
            np.moveaxis(np.asarray(net.unit_outputs(w, grid), dtype=float), -1, 1),
            w[:, -1],
            np.asarray(net.apply(w, grid), dtype=float),
        )  # (k, N, n), (k,), (k, n)

    bands = None
    if band_theta is not None:
        parts, c, total = curves(band_theta)
        lv = (16.0, 50.0, 84.0)
        q_u, q_c, q_s = (np.percentile(v, lv, axis=0) for v in (parts, c, total))
        bands = {"units": q_u[[0, 2]], "c": q_c[[0, 2]], "sum": q_s[[0, 2]]}
    if mode is None:
        # the posterior median of each curve (the sum: median of f, not a sum of medians)
        theta = band_theta
        line_u, line_c, line_s = q_u[1], q_c[1], q_s[1]
        with warnings.catch_warnings():  # a unit that is flat in every draw has no t
            warnings.simplefilter("ignore", RuntimeWarning)
            t = np.nanmedian(unit_table(net, np.asarray(post.net_params(theta)))["t"], axis=0)
    else:
        parts, c, total = curves(theta)
        line_u, line_c, line_s = parts[0], c[0], total[0]
        t = unit_table(net, np.asarray(post.net_params(theta))[0])["t"]
    n_units = net.units[0]
    colors = _unit_colors(n_units)

    with _style.style():
        own = ax is None
        if own:
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=(_style.COLUMN * 1.45, 3.0), layout="constrained")
        else:
            fig = ax.figure
        handles = []
        if data:
            ax.plot(
                post.data.x,
                post.data.y,
                ls="none",
                marker="o",
                ms=1.2,
                color="0.55",
                mec="none",
                zorder=1,
            )
            handles.append(
                Line2D(
                    [], [], ls="none", marker="o", ms=2.5, color="0.55", mec="none", label="data"
                )
            )
        for i in range(n_units):
            col = colors[i]
            if bands:
                ax.fill_between(grid, *bands["units"][:, i], color=col, alpha=0.25, lw=0, zorder=2)
            ax.plot(grid, line_u[i], color=col, lw=1.1, zorder=3)
            handles.append(
                Line2D(
                    [],
                    [],
                    color=col,
                    lw=1.1,
                    label=rf"unit ${i + 1}$: $t_{{{i + 1}}} = {_fmt_t(t[i])}$",
                )
            )
        if bands:
            ax.axhspan(*bands["c"], color="0.5", alpha=0.2, lw=0, zorder=2)
        ax.axhline(line_c, color="0.35", ls="--", lw=0.9, zorder=3)
        handles.append(Line2D([], [], color="0.35", ls="--", lw=0.9, label="$c$"))
        if bands:
            ax.fill_between(grid, *bands["sum"], color="k", alpha=0.2, lw=0, zorder=4)
        ax.plot(grid, line_s, color="k", lw=1.4, zorder=5)
        handles.append(
            Line2D(
                [], [], color="k", lw=1.4, label=r"sum $f(x) = c + \sum_i a_i\,\phi(w_i x + b_i)$"
            )
        )
        if bands:
            handles.append(Patch(color="0.6", alpha=0.5, lw=0, label="68% band"))
        lo, hi = post.data.x_range
        if extrapolate > 1:
            for edge in (lo, hi):
                ax.axvline(edge, color="0.3", ls=":", lw=0.7, zorder=0)
        ax.set_xlim(grid[0], grid[-1])
        ax.set_xlabel("$x$")
        ax.set_ylabel(r"$a_i\,\phi(w_i x + b_i)$, $c$, $f(x)$")
        title = (
            "posterior, canonical units"
            if mode is None
            else "MAP draw of a mode" + (" (bands: its draws)" if bands else "")
        )
        ax.set_title(f"{net.activation}, $N = {n_units}$: {title}", fontsize=9)
        if not own:
            ax.legend(handles=handles, loc="best", fontsize=7)
        elif len(handles) <= 7:
            fig.legend(handles=handles, loc="outside right upper", fontsize=7)
        else:  # many units: a wider figure with the legend underneath
            fig.set_size_inches(_style.PAGE * 0.8, 3.6)
            fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=7)
    fig.bayes_uat = {
        "grid": grid,
        "theta": theta,
        "units": line_u,
        "c": float(line_c),
        "sum": line_s,
        "bands": bands,
        "t": np.asarray(t),
    }
    return fig
