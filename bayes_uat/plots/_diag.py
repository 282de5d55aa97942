"""Chain diagnostics as figures: trace and rank plots through ArviZ, on raw or canonical
draws, and the map of modes in the plane of two units' transition locations."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from . import _style

_MODE_CMAP = "tab10"
_UNLABELLED = "0.75"


def _select(run, params, max_params: int) -> list[int]:
    names = list(run.samples.names)
    if params is None:
        idx = list(range(len(names)))
        if len(idx) > max_params:
            raise ValueError(
                f"{len(idx)} parameters exceed max_params={max_params}: pass params=[...] "
                f"(names such as {names[:3]} or indices) or raise max_params"
            )
        return idx
    out = []
    for p in params:
        if isinstance(p, str):
            if p not in names:
                raise ValueError(f"unknown parameter {p!r}; the run has {names}")
            out.append(names.index(p))
        elif (
            isinstance(p, (int, np.integer))
            and not isinstance(p, bool)
            and -len(names) <= p < len(names)
        ):
            out.append(int(p) % len(names))
        else:
            raise ValueError(f"parameters are names or indices below {len(names)}, got {p!r}")
    return out


def _idata(run, canonical: bool, idx: list[int]):
    """ArviZ InferenceData of the selected parameters (canonical form if asked), one
    variable per parameter, with NUTS divergences where recorded."""
    from ..modes import to_canonical
    from ..records import arviz

    az = arviz()
    theta = run.samples.theta
    if canonical:
        theta = to_canonical(run.posterior, theta, reference=run.samples.map_theta)
    names = [run.samples.names[i] for i in idx]
    post = {n: theta[..., i] for n, i in zip(names, idx)}
    stats = {}
    if "diverging" in run.samples.stats:
        stats["diverging"] = np.asarray(run.samples.stats["diverging"], dtype=bool)
    return az.from_dict(posterior=post, sample_stats=stats or None), names


def _label(run, names) -> dict:
    labels = dict(zip(run.samples.names, run.posterior.labels))
    return {n: labels.get(n, n) for n in names}


def trace(
    run, *, canonical: bool = True, params: Sequence | None = None, max_params: int = 12
) -> Figure:
    """Trace plot (ArviZ ``plot_trace``): per parameter, each chain's density (left) and
    its draws in order (right), after putting every draw in canonical form
    (:func:`bayes_uat.modes.to_canonical`) unless ``canonical=False``.  Chains that switch
    between symmetric copies show jumps in the raw traces and none in the canonical ones.

    Args:
        run: a :class:`bayes_uat.records.Run`.
        canonical: canonical form (default) or the draws as sampled.
        params: names or indices of the parameters (default: all, up to ``max_params``).

    Example:
        >>> fig = plots.trace(run, params=["w1", "b1", "c"])  # doctest: +SKIP
    """
    idx = _select(run, params, max_params)
    idata, names = _idata(run, canonical, idx)
    labels = _label(run, names)
    from ..records import arviz

    az = arviz()
    with _style.style():
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(
            len(names),
            2,
            squeeze=False,
            layout="constrained",
            figsize=(_style.PAGE, 0.35 + 0.95 * len(names)),
        )
        az.plot_trace(idata, var_names=names, axes=axes, compact=False, show=False)
        for row, n in zip(axes, names):
            row[0].set_title("")
            row[1].set_title("")
            row[0].set_ylabel(labels[n])
        axes[-1, 0].set_xlabel("value")
        axes[-1, 1].set_xlabel("draw")
        form = "canonical" if canonical else "raw (as sampled)"
        colors = [line.get_color() for line in axes[0, 1].get_lines()][: run.samples.chains]
        _chain_legend(fig, colors, _diag_title("trace", run, form))
    return fig


def _diag_title(what: str, run, form: str) -> str:
    """``what`` of the draws in canonical or raw form, then the sampler and its settings."""
    return f"{what} of {form} θ\n{_style.run_label(run)}"


def _chain_legend(fig: Figure, colors: list, title: str) -> None:
    """The figure's title, with one legend entry per chain colour under it, above the
    panels (at most 8 entries, then a count)."""
    handles = [
        Line2D([], [], color=c, lw=1.2, label=f"chain {i + 1}") for i, c in enumerate(colors[:8])
    ]
    if len(colors) > 8:
        handles.append(Line2D([], [], ls="none", label=f"… {len(colors)} chains"))
    fig.legend(
        handles=handles,
        loc="outside upper center",
        ncols=len(handles),
        fontsize=7,
        title=title,
        title_fontsize=9,
        handlelength=1.5,
        columnspacing=1.0,
    )


def rank(
    run, *, canonical: bool = True, params: Sequence | None = None, max_params: int = 12
) -> Figure:
    """Rank plots (ArviZ ``plot_rank``): histograms of each chain's ranks among all draws;
    chains that sample the same distribution give flat histograms.

    Args:
        run: a :class:`bayes_uat.records.Run`.
        canonical: canonical form (default) or the draws as sampled.
        params: names or indices of the parameters (default: all, up to ``max_params``).

    Example:
        >>> fig = plots.rank(run, canonical=False)  # doctest: +SKIP
    """
    idx = _select(run, params, max_params)
    idata, names = _idata(run, canonical, idx)
    labels = _label(run, names)
    from ..records import arviz

    az = arviz()
    k = len(names)
    ncols = min(k, 4)
    nrows = -(-k // ncols)
    with _style.style():
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(
            nrows,
            ncols,
            squeeze=False,
            layout="constrained",
            figsize=(_style.PAGE, 0.3 + 1.45 * nrows),
        )
        flat = axes.ravel()
        az.plot_rank(idata, var_names=names, ax=flat[:k], show=False)
        for ax, n in zip(flat, names):
            ax.set_title(labels[n], fontsize=9)
            ax.set_xlabel("rank")
            ax.set_ylabel("chain")
        for ax in flat[k:]:
            ax.set_visible(False)
        form = "canonical" if canonical else "raw (as sampled)"
        colors = [f"C{i % 10}" for i in range(run.samples.chains)]
        _chain_legend(fig, colors, _diag_title("rank plots", run, form))
    return fig


def mode_map(run, modes, *, pair: tuple[int, int] = (1, 2), ax=None) -> Figure:
    """Where the modes sit: transition locations t_i = −b_i/w_i of two canonical units
    (``pair``, numbered from 1 in canonical order) of every analysed draw, one colour per
    mode (draws in no mode light grey), each mode's MAP draw as a star.

    Args:
        run: the :class:`bayes_uat.records.Run` the modes were found in.
        modes: the :class:`bayes_uat.modes.ModeSet` from ``find_modes(run.posterior,
            run.samples)``.
        pair: the two units (1-based canonical order).

    Example:
        >>> modes = find_modes(run.posterior, run.samples)  # doctest: +SKIP
        >>> fig = plots.mode_map(run, modes)  # doctest: +SKIP
    """
    from ..symmetry import unit_table

    net = run.posterior.net
    i, j = _check_mode_map(net, modes, pair)
    tab = unit_table(net, modes.canonical)
    ti, tj = tab["t"][..., i - 1].ravel(), tab["t"][..., j - 1].ravel()
    lab = np.asarray(modes.labels).ravel()
    with _style.style():
        if ax is None:
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=(_style.COLUMN * 1.2, 2.9), layout="constrained")
        else:
            fig = ax.figure
        handles = _mode_points(ax, net, modes, lab, ti, tj, (i, j))
        handles.append(
            Line2D(
                [],
                [],
                ls="none",
                marker="*",
                ms=7,
                color="w",
                mec="k",
                mew=0.6,
                label="MAP draw of a mode",
            )
        )
        ax.set_xlabel(rf"$t_{{{i}}} = -b_{{{i}}}/w_{{{i}}}$")
        ax.set_ylabel(rf"$t_{{{j}}} = -b_{{{j}}}/w_{{{j}}}$")
        ax.legend(handles=handles, loc="best", fontsize=7)
        ax.set_title(f"modes of {len(lab)} canonical draws", fontsize=9)
    return fig


def _check_mode_map(net, modes, pair) -> tuple[int, int]:
    """The pair of 1-based unit numbers, after checking the network, ``pair`` and ``modes``."""
    if len(net.units) != 1 or net.in_dim != 1:
        raise ValueError("mode_map needs one hidden layer and 1-D input")
    n = net.units[0]
    i, j = pair
    if not (1 <= i <= n and 1 <= j <= n and i != j):
        raise ValueError(f"pair must name two different units among 1..{n}, got {pair!r}")
    if not hasattr(modes, "canonical") or not hasattr(modes, "labels"):
        raise ValueError(f"modes must be a ModeSet from find_modes, got {type(modes).__name__}")
    return i, j


def _mode_points(ax, net, modes, lab, ti, tj, pair) -> list:
    """The draws of each mode (and of none) as points and each mode's MAP draw as a star,
    at transition locations ``ti``, ``tj``; returns their legend handles."""
    import matplotlib as mpl

    from ..symmetry import unit_table

    i, j = pair
    handles = []
    none = lab < 0
    if none.any():
        ax.scatter(ti[none], tj[none], s=3, c=_UNLABELLED, lw=0, rasterized=True, zorder=1)
        handles.append(
            Line2D([], [], ls="none", marker="o", ms=3, color=_UNLABELLED, label="in no mode")
        )
    cmap = mpl.colormaps[_MODE_CMAP]
    for m in modes:
        sel = lab == m.index
        col = cmap(m.index % 10)
        ax.scatter(ti[sel], tj[sel], s=4, color=col, lw=0, alpha=0.6, rasterized=True, zorder=2)
        t_map = unit_table(net, m.map_canonical)["t"]
        ax.plot(
            t_map[i - 1],
            t_map[j - 1],
            marker="*",
            ms=9,
            color=col,
            mec="k",
            mew=0.6,
            ls="none",
            zorder=4,
        )
        handles.append(
            Line2D(
                [],
                [],
                ls="none",
                marker="o",
                ms=3.5,
                color=col,
                label=f"mode {m.index} ({100 * m.share:.0f}% of draws)",
            )
        )
    return handles
