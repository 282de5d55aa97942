"""Corner plot of the posterior draws, with the SGD solution and the MAP draw marked."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from . import _style

# Layout in inches: corner.py's own (2 in per panel) is too large for a page.
_MARGIN_LB = 0.75  # left and bottom: rotated tick labels plus the axis label
_MARGIN_TR = 0.12
_GAP = 0.05  # between panels, as a fraction of a panel


def _panel_size(k: int) -> float:
    return float(np.clip(_style.PAGE / k, 0.9, 1.7))


def _select(params, names: Sequence[str], dim: int) -> list[int]:
    """Indices of the parameters to plot, from indices or names."""
    if params is None:
        return list(range(dim))
    if isinstance(params, (str, int, np.integer)):
        params = [params]
    out = []
    for p in params:
        if isinstance(p, str):
            if p not in names:
                raise ValueError(f"unknown parameter {p!r}; the parameters are {', '.join(names)}")
            i = list(names).index(p)
        elif isinstance(p, (int, np.integer)) and not isinstance(p, bool):
            i = int(p)
            if not -dim <= i < dim:
                raise ValueError(f"parameter index {i} out of range for {dim} parameters")
            i %= dim
        else:
            raise ValueError(f"params must hold parameter indices or names, got {p!r}")
        if i in out:
            raise ValueError(f"parameter {names[i]!r} is selected twice in params")
        out.append(i)
    if not out:
        raise ValueError("params is empty: select at least one parameter")
    return out


def _point(value, dim: int, what: str, fix: str) -> np.ndarray:
    v = np.asarray(value, dtype=float)
    if v.shape != (dim,):
        raise ValueError(
            f"{what} must have shape ({dim},) like the plotted draws, got {v.shape}; {fix}"
        )
    return v


def _ranges(x: np.ndarray, marks: list[np.ndarray], q: float) -> list[tuple[float, float]]:
    """Per column: the central ``q`` interval of the draws, widened to hold every marker
    (with a 5 % margin so markers sit inside the frame); ±0.5 where the draws are constant."""
    lo_q, hi_q = (1 - q) / 2, (1 + q) / 2
    out = []
    for j in range(x.shape[1]):
        col = x[:, j]
        lo, hi = np.quantile(col, [lo_q, hi_q]) if q < 1 else (col.min(), col.max())
        pts = [m[j] for m in marks if np.isfinite(m[j])]
        lo, hi = min([lo, *pts]), max([hi, *pts])
        if np.std(col) == 0 or hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        else:
            pad = 0.05 * (hi - lo)
            lo, hi = lo - pad, hi + pad
        out.append((float(lo), float(hi)))
    return out


def corner(
    run,
    *,
    theta=None,
    params=None,
    names=None,
    labels=None,
    sgd: bool = True,
    map: bool = True,
    sgd_theta=None,
    map_theta=None,
    truths=None,
    max_params: int = 16,
    bins: int = 30,
    fig: Figure | None = None,
    color: str = _style.POSTERIOR,
    sgd_color: str = _style.SGD,
    map_color: str = _style.MAP,
    truth_color: str = _style.TRUTH,
    range_quantile: float = 0.999,
    smooth: float | None = 1.0,
) -> Figure:
    """Corner plot (``corner.corner``) of a run's posterior draws.

    The SGD solution (``run.sgd.best``) is marked with dashed lines and a square, the
    maximum-probability draw (``run.samples.map_theta``) with solid lines and a dot.  Each
    axis spans the central ``range_quantile`` interval of the draws, widened so that both
    markers are always visible.

    Args:
        run: a :class:`bayes_uat.records.Run`.
        theta: draws to plot instead of ``run.samples``, shape (chains, draws, dim) or
            (k, dim) — e.g. symmetry-canonicalised draws.  When its leading shape matches
            the run's (chains, draws), the MAP marker is the same draw taken from ``theta``.
        params: parameters to plot, as indices or names (e.g. ``["w1", "a1"]``).
        names: parameter names of ``theta``'s columns (default ``run.samples.names``).
        labels: axis labels (default the posterior's LaTeX labels).
        sgd, map: mark the SGD solution / the MAP draw.
        sgd_theta, map_theta: marker positions overriding the run's (e.g. aligned to the
            same symmetry copy as ``theta``), shape (dim,).
        truths: optional reference values, one per parameter or one per plotted
            parameter (``None`` entries are skipped).
        max_params: refuse to draw more panels than this many parameters per side.
        bins: histogram bins per axis.
        fig: an empty figure (or one with the right number of axes) to draw into.
        color, sgd_color, map_color, truth_color: colours of draws and markers.
        range_quantile: central probability mass of the draws each axis shows.
        smooth: width (in bins) of the Gaussian smoothing of the 2-D histograms behind
            the contours; None for raw histograms.

    Returns:
        The figure; its legend reads "SGD (Adam)" and "MAP sample".

    Example:
        >>> from bayes_uat import plots  # doctest: +SKIP
        >>> fig = plots.corner(run, params=["w1", "b1", "a1", "c"])  # doctest: +SKIP
        >>> plots.save(fig, "figures/corner")  # doctest: +SKIP
    """
    import corner as _corner

    samples = run.samples
    x = samples.theta if theta is None else np.asarray(theta, dtype=float)
    if x.ndim == 3:
        shape3 = x.shape[:2]
        x = x.reshape(-1, x.shape[-1])
    elif x.ndim == 2:
        shape3 = None
    else:
        raise ValueError(f"theta must have shape (chains, draws, dim) or (k, dim), got {x.shape}")
    dim = x.shape[1]
    names = tuple(samples.names if names is None else names)
    if len(names) != dim:
        raise ValueError(
            f"{len(names)} names for {dim} parameters; pass names=[...] with one "
            "name per column of theta"
        )
    if labels is None:
        post_labels = tuple(run.posterior.labels)
        labels = post_labels if len(post_labels) == dim else names
    labels = tuple(labels)
    if len(labels) != dim:
        raise ValueError(f"{len(labels)} labels for {dim} parameters")
    if not 0 < range_quantile <= 1:
        raise ValueError(f"range_quantile must be in (0, 1], got {range_quantile!r}")

    idx = _select(params, names, dim)
    if len(idx) > max_params:
        what = (
            f"the posterior has {dim} parameters"
            if params is None
            else f"params selects {len(idx)} parameters"
        )
        raise ValueError(
            f"{what}, more than max_params={max_params}: a corner plot that large cannot be "
            f"read. Pass params=[...] (indices or names, e.g. params={list(names[:4])!r}) to "
            "plot a subset, or raise max_params"
        )

    finite = np.all(np.isfinite(x), axis=1)
    if not finite.all():
        x = x[finite]
    if x.shape[0] < max(2, len(idx)):
        raise ValueError(
            f"need at least {max(2, len(idx))} finite draws for this corner plot, got {x.shape[0]}"
        )

    marks: list[tuple[str, np.ndarray, dict]] = []
    if sgd and (sgd_theta is not None or run.sgd is not None):
        fix = "pass sgd_theta=... in the same parameterisation, or sgd=False"
        s = _point(run.sgd.best if sgd_theta is None else sgd_theta, dim, "the SGD θ", fix)
        marks.append((_style.sgd_label(run), s, dict(color=sgd_color, ls="--", marker="s", ms=4.0)))
    if map:
        if map_theta is not None:
            m = map_theta
        elif theta is not None and shape3 == samples.log_prob.shape:
            m = np.asarray(theta, dtype=float)[samples.map_index]
        else:
            m = samples.map_theta
        m = _point(m, dim, "the MAP θ", "pass map_theta=... or map=False")
        marks.append(("MAP sample", m, dict(color=map_color, ls="-", marker="o", ms=4.0)))
    if truths is not None:
        t = np.array([np.nan if v is None else v for v in truths], dtype=float)
        if t.shape == (len(idx),) and len(idx) != dim:  # given for the plotted ones only
            t_all = np.full(dim, np.nan)
            t_all[idx] = t
            t = t_all
        t = _point(
            t, dim, "truths", "give one value (or None) per parameter, or per plotted parameter"
        )
        marks.append(("truth", t, dict(color=truth_color, ls=":", marker="D", ms=3.5)))

    xs = x[:, idx]
    sel = [(lab, v[idx], kw) for lab, v, kw in marks]
    rng = _ranges(xs, [v for _, v, _ in sel], range_quantile)
    k = len(idx)
    with _style.style():
        if fig is None:
            import matplotlib.pyplot as plt

            panel = _panel_size(k)
            side = _MARGIN_LB + _MARGIN_TR + panel * (k + (k - 1) * _GAP)
            fig = plt.figure(figsize=(side, side))
        _corner.corner(
            xs,
            bins=bins,
            range=rng,
            smooth=smooth,
            labels=[labels[i] for i in idx],
            color=color,
            fig=fig,
            max_n_ticks=3,
            use_math_text=True,
            plot_datapoints=True,
            label_kwargs=dict(fontsize=10),
            hist_kwargs=dict(lw=0.9),
            pcolor_kwargs=dict(rasterized=True, antialiased=False, lw=0),
        )
        _layout(fig, k)
        for _, v, kw in sel:
            line_kw = dict(color=kw["color"], ls=kw["ls"], lw=0.9)
            if k == 1:  # corner.overplot_* index a K×K grid, which one panel is not
                if np.isfinite(v[0]):
                    fig.axes[0].axvline(v[0], **line_kw)
                continue
            _corner.overplot_lines(fig, [val if np.isfinite(val) else None for val in v], **line_kw)
            _corner.overplot_points(
                fig,
                v[None, :],
                color=kw["color"],
                marker=kw["marker"],
                ms=kw["ms"],
                mec="white",
                mew=0.4,
                zorder=5,
            )
        _rasterize(fig)
        if sel:
            handles = [
                Line2D(
                    [],
                    [],
                    color=kw["color"],
                    ls=kw["ls"],
                    lw=0.9,
                    marker=kw["marker"],
                    ms=kw["ms"],
                    label=lab,
                )
                for lab, _, kw in sel
            ]
            _legend(fig, handles, k)
    return fig


def _layout(fig: Figure, k: int) -> None:
    """Margins in inches (corner sizes them for 2 in panels) and axis-label offsets."""
    w, h = fig.get_size_inches()
    fig.subplots_adjust(
        left=_MARGIN_LB / w,
        bottom=_MARGIN_LB / h,
        right=1 - _MARGIN_TR / w,
        top=1 - _MARGIN_TR / h,
        wspace=_GAP,
        hspace=_GAP,
    )
    axes = np.array(fig.axes).reshape(k, k)
    panel = (w - _MARGIN_LB - _MARGIN_TR) / (k + (k - 1) * _GAP)
    off = 0.38 / panel  # label 0.38 in from the frame, clear of rotated tick labels
    for ax in axes[-1]:
        ax.xaxis.set_label_coords(0.5, -off)
    for ax in axes[1:, 0]:
        ax.yaxis.set_label_coords(-off, 0.5)


def _rasterize(fig: Figure) -> None:
    """Rasterise the density fills (thousands of points, filled contours) so vector files
    stay small; contour lines, histograms and markers stay vector."""
    for ax in fig.axes:
        for coll in ax.collections:
            if getattr(coll, "filled", True):
                coll.set_rasterized(True)


def _legend(fig: Figure, handles: list[Line2D], k: int) -> None:
    if k >= 2:
        # the empty upper-right triangle of the grid
        ax = np.array(fig.axes).reshape(k, k)[0, -1]
        fig.legend(
            handles=handles,
            loc="upper right",
            bbox_to_anchor=(1, 1),
            bbox_transform=ax.transAxes,
            fontsize=9,
            borderaxespad=0.0,
        )
    else:  # one panel: no empty triangle, so the legend goes above it
        w, h = fig.get_size_inches()
        fig.subplots_adjust(top=1 - (_MARGIN_TR + 0.2 * len(handles)) / h)
        fig.legend(
            handles=handles,
            loc="upper center",
            fontsize=8,
            bbox_to_anchor=(0.5 * (1 + _MARGIN_LB / w - _MARGIN_TR / w), 1.0),
        )
