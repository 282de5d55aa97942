"""Corner plot of the posterior draws, with the SGD solution and the MAP draw marked."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from . import _style

# Where a marker lies beyond an axis range by more than this many ranges, the axis is not
# widened for it: the marker is drawn as an arrow at the edge instead (a far SGD log σ would
# otherwise squash the whole column into a spike).
_WIDEN_MAX = 0.5
_GLOSSARY = (
    r"$f(x) = c + \sum_i a_i\,\phi(w_i x + b_i)$"
    "\n"
    r"$w_i$: slope, $b_i$: offset of unit $i$"
    "\n"
    r"$a_i$: its output weight, $c$: constant"
)

# Layout in inches: corner.py's own (2 in per panel) is too large for a page.
_MARGIN_LB = 0.75  # left and bottom: rotated tick labels plus the axis label
_MARGIN_TR = 0.12
_GAP = 0.05  # between panels, as a fraction of a panel


class _InnerLocator(MaxNLocator):
    """At most 3 round ticks, none within ``EDGE`` of either end of the axis: the tick labels
    of neighbouring panels then cannot run into each other (corner.py's own locator keeps
    ticks at the upper edge, next to the neighbour's first label)."""

    EDGE = 0.12

    def __init__(self):
        super().__init__(nbins=3, steps=[1, 2, 2.5, 5, 10])

    def tick_values(self, vmin, vmax):
        lo, hi = min(vmin, vmax), max(vmin, vmax)
        margin = self.EDGE * (hi - lo)
        inner = []
        for nbins in (3, 4, 6):  # finer steps until two ticks fall inside
            self.set_params(nbins=nbins)
            ticks = super().tick_values(vmin, vmax)
            inner = [t for t in ticks if lo + margin <= t <= hi - margin]
            if len(inner) >= 2:
                break
        self.set_params(nbins=3)
        return np.asarray(inner)


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


def _ranges(
    x: np.ndarray, marks: list[np.ndarray], q: float
) -> tuple[list[tuple[float, float]], bool]:
    """Per column: the central ``q`` interval of the draws with a 5 % margin, widened to
    hold every marker within ``_WIDEN_MAX`` ranges of it; ±0.5 where the draws are
    constant.  Also says whether any marker was left outside (it is drawn as an arrow)."""
    lo_q, hi_q = (1 - q) / 2, (1 + q) / 2
    out, clipped = [], False
    for j in range(x.shape[1]):
        col = x[:, j]
        lo, hi = np.quantile(col, [lo_q, hi_q]) if q < 1 else (col.min(), col.max())
        if np.std(col) == 0 or hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        span = hi - lo
        for p in (m[j] for m in marks if np.isfinite(m[j])):
            if lo - _WIDEN_MAX * span <= p <= hi + _WIDEN_MAX * span:
                lo, hi = min(lo, p), max(hi, p)
            else:
                clipped = True
        pad = 0.05 * (hi - lo)
        out.append((float(lo - pad), float(hi + pad)))
    return out, clipped


def _draws(run, theta, names, labels):
    """(draws (k, dim), their (chains, draws) shape or None, names, labels), checked."""
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
    return x, shape3, names, labels


def _check_size(idx, params, names, dim, max_params) -> None:
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


def _marks(run, theta, shape3, dim, idx, opts) -> list[tuple[str, np.ndarray, dict]]:
    """(legend label, position (dim,), style) of the SGD, MAP and truth markers."""
    samples = run.samples
    suffix = ", canonicalised" if opts["canonical"] else ""
    marks = []
    if opts["sgd"] and (opts["sgd_theta"] is not None or run.sgd is not None):
        fix = "pass sgd_theta=... in the same parameterisation, or sgd=False"
        s = run.sgd.best if opts["sgd_theta"] is None else opts["sgd_theta"]
        s = _point(s, dim, "the SGD θ", fix)
        kw = dict(color=opts["sgd_color"], ls="--", marker="s", ms=4.0)
        marks.append((_style.sgd_label(run) + suffix, s, kw))
    if opts["map"]:
        if opts["map_theta"] is not None:
            m = opts["map_theta"]
        elif theta is not None and shape3 == samples.log_density.shape:
            m = np.asarray(theta, dtype=float)[samples.map_index]
        else:
            m = samples.map_theta
        m = _point(m, dim, "the MAP θ", "pass map_theta=... or map=False")
        kw = dict(color=opts["map_color"], ls="-", marker="o", ms=4.0)
        marks.append(("MAP sample" + suffix, m, kw))
    if opts["truths"] is not None:
        t = np.array([np.nan if v is None else v for v in opts["truths"]], dtype=float)
        if t.shape == (len(idx),) and len(idx) != dim:  # given for the plotted ones only
            t_all = np.full(dim, np.nan)
            t_all[idx] = t
            t = t_all
        t = _point(
            t, dim, "truths", "give one value (or None) per parameter, or per plotted parameter"
        )
        marks.append(("truth", t, dict(color=opts["truth_color"], ls=":", marker="D", ms=3.5)))
    return marks


def _new_figure(k: int) -> Figure:
    import matplotlib.pyplot as plt

    panel = _panel_size(k)
    side = _MARGIN_LB + _MARGIN_TR + panel * (k + (k - 1) * _GAP)
    extra = 0.55 if k == 1 else 0.0  # a single panel has no empty triangle for the title
    return plt.figure(figsize=(max(side, 3.2 if k == 1 else side), side + extra))


def _arrow(ax, x, y, rng_x, rng_y, kw) -> None:
    """A marker at (x, y) (y None: a 1-D panel), or an arrow at the edge it lies beyond."""
    (x0, x1), (y0, y1) = rng_x, (rng_y or (None, None))
    marker, px, py = kw["marker"], x, y
    if x < x0 or x > x1:
        marker, px = ("<" if x < x0 else ">"), (x0 if x < x0 else x1)
    if y is not None and (y < y0 or y > y1):
        marker, py = ("v" if y < y0 else "^"), (y0 if y < y0 else y1)
    style = dict(
        marker=marker, color=kw["color"], mec="white", mew=0.4, ls="none", zorder=6, clip_on=False
    )
    if y is None:
        if marker == kw["marker"]:
            return  # inside: the vertical line marks it
        ax.plot([px], [0.92], transform=ax.get_xaxis_transform(), ms=6, **style)
        return
    ax.plot([px], [py], ms=kw["ms"] + (2 if marker != kw["marker"] else 0), **style)


def _overplot(fig: Figure, k: int, sel, rng) -> None:
    """Marker lines and points, drawn by hand so that markers beyond a range become arrows."""
    axes = np.array(fig.axes).reshape(k, k)
    for _, v, kw in sel:
        line_kw = dict(color=kw["color"], ls=kw["ls"], lw=0.9, zorder=4)
        for i in range(k):
            if not np.isfinite(v[i]):
                continue
            inside = rng[i][0] <= v[i] <= rng[i][1]
            for j in range(k):
                if j == i and inside:
                    axes[i, i].axvline(v[i], **line_kw)
                elif j == i:
                    _arrow(axes[i, i], v[i], None, rng[i], None, kw)
                elif j < i and inside:
                    axes[i, j].axhline(v[i], **line_kw)
                elif j > i and inside:
                    axes[j, i].axvline(v[i], **line_kw)
            for j in range(i):
                if np.isfinite(v[j]):
                    _arrow(axes[i, j], v[j], v[i], rng[j], rng[i], kw)


def _annotate(fig: Figure, k: int, sel, title: str, glossary: bool) -> None:
    """Title and legend in the empty upper-right triangle, the parameter glossary at the
    foot of that triangle (above the panel when there is only one)."""
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
    if k == 1:
        w, h = fig.get_size_inches()
        fig.subplots_adjust(top=1 - (0.75 + 0.17 * len(handles)) / h)
        fig.suptitle(title, fontsize=7, y=1 - 0.04 / h, va="top", linespacing=1.2)
        if handles:
            fig.legend(
                handles=handles, loc="upper center", fontsize=7, bbox_to_anchor=(0.5, 1 - 0.7 / h)
            )
        return
    axes = np.array(fig.axes).reshape(k, k)
    fs = 9 if k >= 4 else 7
    leg = fig.legend(
        handles=handles,
        title=title,
        loc="upper right",
        bbox_to_anchor=(1, 1),
        bbox_transform=axes[0, -1].transAxes,
        fontsize=fs,
        title_fontsize=fs,
        borderaxespad=0.0,
        alignment="right",
    )
    leg.get_title().set_linespacing(1.3)
    if glossary and k >= 4:
        axes[k - 3, -1].text(
            1,
            0.05,
            _GLOSSARY,
            transform=axes[k - 3, -1].transAxes,
            ha="right",
            va="bottom",
            fontsize=fs - 1,
            linespacing=1.5,
            color="0.15",
        )


def _title(run, canonical: bool | None, q: float, clipped: bool, n: int, density: bool) -> str:
    form = {True: "canonical θ (units flipped and sorted)", False: "θ as sampled (raw)", None: "θ"}[
        canonical
    ]
    lo, hi = 100 * (1 - q) / 2, 100 * (1 + q) / 2
    rng = f"axes: {lo:g}–{hi:g} % of the draws" if q < 1 else "axes: all draws"
    if clipped:
        rng += "; arrows: markers beyond"
    what = "density and contours" if density else "points and contours"
    return f"{_style.sampler_label(run)}\n{form}\n{rng}\n{what} of {n:,} draws"


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
    canonical: bool | None = None,
    max_params: int = 16,
    bins: int = 30,
    fig: Figure | None = None,
    color: str = _style.POSTERIOR,
    sgd_color: str = _style.SGD,
    map_color: str = _style.MAP,
    truth_color: str = _style.TRUTH,
    range_quantile: float = 0.99,
    smooth: float | None = 1.0,
    max_points: int = 2000,
    glossary: bool = True,
) -> Figure:
    """Corner plot (``corner.corner``) of a run's posterior draws.

    The SGD solution (``run.sgd.best``) is marked with dashed lines and a square, the
    maximum-probability draw (``run.samples.map_theta``) with solid lines and a dot.  Each
    axis spans the central ``range_quantile`` of the draws (0.5–99.5 % by default), widened
    to hold a marker that lies near it; a marker far beyond is drawn as an arrow at the
    edge.  Runs with more than ``max_points`` draws show the 2-D density and contours only
    (no scatter of every draw).  The title names the sampler, the parameterisation
    (``canonical``) and the range; a glossary of w, b, a, c fills the empty triangle.

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
        canonical: whether the draws and markers are in canonical form (said in the title
            and legend: "canonicalised"); None says neither.
        max_params: refuse to draw more panels than this many parameters per side.
        bins: histogram bins per axis.
        fig: an empty figure (or one with the right number of axes) to draw into.
        color, sgd_color, map_color, truth_color: colours of draws and markers.
        range_quantile: central probability mass of the draws each axis shows.
        smooth: width (in bins) of the Gaussian smoothing of the 2-D histograms behind
            the contours; None for raw histograms.
        max_points: above this many draws, no scatter of points.
        glossary: write what w, b, a and c are (plots of three or more parameters).

    Example:
        >>> from bayes_uat import plots  # doctest: +SKIP
        >>> fig = plots.corner(run, params=["w1", "b1", "a1", "c"])  # doctest: +SKIP
        >>> plots.save(fig, "figures/corner")  # doctest: +SKIP
    """
    x, shape3, dim, idx, labels = _checked_draws(
        run, theta, params, names, labels, range_quantile, max_params
    )
    opts = dict(
        sgd=sgd, map=map, sgd_theta=sgd_theta, map_theta=map_theta, truths=truths,
        canonical=canonical, sgd_color=sgd_color, map_color=map_color, truth_color=truth_color,
    )  # fmt: skip
    marks = _marks(run, theta, shape3, dim, idx, opts)
    look = dict(color=color, bins=bins, smooth=smooth, max_points=max_points, glossary=glossary)
    return _figure(run, fig, x[:, idx], [labels[i] for i in idx], idx, marks, range_quantile,
                   canonical, look)  # fmt: skip


def _figure(run, fig, xs, labels, idx, marks, range_quantile, canonical, look) -> Figure:
    """Draw the plotted columns ``xs`` of the draws and the markers: panels, layout,
    markers, title and glossary."""
    sel = [(lab, v[idx], kw) for lab, v, kw in marks]
    rng, clipped = _ranges(xs, [v for _, v, _ in sel], range_quantile)
    k = len(idx)
    density = xs.shape[0] > look["max_points"]
    with _style.style():
        fig = _new_figure(k) if fig is None else fig
        _draw_panels(fig, xs, rng, labels, look["color"], look["bins"], look["smooth"], density)
        _layout(fig, k)
        _overplot(fig, k, sel, rng)
        _rasterize(fig)
        title = _title(run, canonical, range_quantile, clipped, xs.shape[0], density)
        _annotate(fig, k, sel, title, look["glossary"])
    return fig


def _checked_draws(run, theta, params, names, labels, range_quantile: float, max_params: int):
    """The finite draws to plot, their leading shape, dim, the plotted indices and the labels,
    with every argument checked before any drawing starts."""
    x, shape3, names, labels = _draws(run, theta, names, labels)
    if not 0 < range_quantile <= 1:
        raise ValueError(f"range_quantile must be in (0, 1], got {range_quantile!r}")
    dim = x.shape[1]
    idx = _select(params, names, dim)
    _check_size(idx, params, names, dim, max_params)
    x = x[np.all(np.isfinite(x), axis=1)]
    if x.shape[0] < max(2, len(idx)):
        raise ValueError(
            f"need at least {max(2, len(idx))} finite draws for this corner plot, got {x.shape[0]}"
        )
    return x, shape3, dim, idx, labels


def _draw_panels(fig: Figure, xs, rng, labels, color, bins: int, smooth, density: bool) -> None:
    """The histograms, contours and (unless ``density``) points, drawn by ``corner.corner``."""
    import corner as _corner

    _corner.corner(
        xs,
        bins=bins,
        range=rng,
        smooth=smooth,
        labels=labels,
        color=color,
        fig=fig,
        max_n_ticks=3,
        use_math_text=True,
        plot_datapoints=not density,
        plot_density=True,
        data_kwargs=dict(alpha=0.3, ms=1.5),
        label_kwargs=dict(fontsize=10),
        hist_kwargs=dict(lw=0.9),
        pcolor_kwargs=dict(rasterized=True, antialiased=False, lw=0),
    )
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if isinstance(axis.get_major_locator(), MaxNLocator):
                axis.set_major_locator(_InnerLocator())


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
