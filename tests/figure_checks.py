"""Checks every figure family shares: a title, legend entries that can be seen, data points
inside the axes, distinct colours for distinct series, no two texts printed over each other
or over the figure's edge, and no legend over the data."""

from __future__ import annotations

import numpy as np
from matplotlib.collections import Collection, PathCollection
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

_MIN_RGB_DISTANCE = 0.25  # two series of one kind must differ by at least this much


def _legends(fig):
    out = list(fig.legends)
    out += [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    return out


def _colour(artist) -> tuple | None:
    if isinstance(artist, Line2D):
        c = artist.get_color() if artist.get_linestyle() != "None" else artist.get_markerfacecolor()
        return to_rgba(c)
    if isinstance(artist, Patch):
        return to_rgba(artist.get_facecolor())
    if isinstance(artist, Collection):
        fc = artist.get_facecolor()
        if len(fc) and fc[0][3] > 0:
            return tuple(fc[0])
        ec = artist.get_edgecolor()  # an outline only, e.g. contour lines
        return tuple(ec[0]) if len(ec) else None
    return None


def _on_white(c, alpha) -> np.ndarray:
    """The colour as seen on white paper, with the artist's alpha."""
    a = (c[3] if len(c) > 3 else 1.0) * (1.0 if alpha is None else alpha)
    return np.asarray(c[:3]) * a + (1.0 - a)


def _same(a, b, tol=0.02) -> bool:
    return a is not None and b is not None and np.allclose(a[:3], b[:3], atol=tol)


def _drawn(fig):
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for art in [*ax.lines, *ax.collections, *ax.patches]:
            if art.get_visible() and (art.get_alpha() is None or art.get_alpha() > 0):
                yield ax, art


def _points_only(line: Line2D) -> bool:
    return line.get_linestyle() == "None" and line.get_marker() not in ("None", None, "")


def check_titles(fig) -> None:
    titles = [fig.get_suptitle()] + [ax.get_title() for ax in fig.axes if ax.get_visible()]
    titles += [lg.get_title().get_text() for lg in _legends(fig)]
    assert any(t.strip() for t in titles), "the figure has no title"


def check_legend_visible(fig) -> None:
    """Every legend entry: its handle is visible, and an artist of that colour is drawn; a
    points-only entry (the data) is drawn above every line of its axes."""
    drawn = list(_drawn(fig))
    for lg in _legends(fig):
        for h, t in zip(lg.legend_handles, lg.get_texts()):
            label = t.get_text()
            if getattr(h, "get_linestyle", lambda: "-")() == "None" and not (
                isinstance(h, Line2D) and _points_only(h)
            ):
                continue  # a text-only entry
            if isinstance(h, Patch) and (h.get_alpha() or 1.0) < 1.0:
                continue  # a generic translucent band standing for bands of many colours
            if h.get_gid() == "style":
                continue  # a line style drawn in many colours (e.g. "dashed: median restart")
            assert h.get_visible() and (h.get_alpha() is None or h.get_alpha() > 0), label
            c = _colour(h)
            match = [(ax, a) for ax, a in drawn if _same(_colour(a), c)]
            if not match and isinstance(h, Line2D) and _points_only(h):
                # a marker-shape entry (e.g. a white star for "MAP of each mode")
                match = [
                    (ax, a)
                    for ax, a in drawn
                    if isinstance(a, Line2D)
                    and _points_only(a)
                    and a.get_marker() == h.get_marker()
                ]
            assert match, f"legend entry {label!r}: nothing of its colour is drawn"
            if isinstance(h, Line2D) and _points_only(h):
                for ax, a in match:
                    if isinstance(a, Line2D) and _points_only(a):
                        top = max(
                            (l.get_zorder() for l in ax.lines if not _points_only(l)), default=0
                        )
                        assert a.get_zorder() > top, f"{label!r} is drawn under a line"


def check_distinct_colours(fig) -> None:
    """Legend entries of one kind (line style, marker) have clearly different colours."""
    for lg in _legends(fig):
        seen = {}
        for h, t in zip(lg.legend_handles, lg.get_texts()):
            if isinstance(h, Line2D):
                kind = (h.get_linestyle(), h.get_marker())
            elif isinstance(h, Patch):
                kind = ("patch", h.get_alpha())
            else:
                continue
            c = _on_white(_colour(h), h.get_alpha())
            for other, oc in seen.get(kind, []):
                d = float(np.linalg.norm(np.subtract(c[:3], oc[:3])))
                assert d >= _MIN_RGB_DISTANCE, f"{t.get_text()!r} and {other!r}: colours alike"
            seen.setdefault(kind, []).append((t.get_text(), c))


def check_points_inside(fig) -> None:
    """Data points (marker-only lines) lie inside their axes' limits."""
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
        for line in ax.lines:
            if not _points_only(line) or line.get_transform() != ax.transData:
                continue
            x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
            ok = np.isfinite(x) & np.isfinite(y)
            assert np.all((x[ok] >= x0) & (x[ok] <= x1) & (y[ok] >= y0) & (y[ok] <= y1)), (
                f"points outside the axes in {ax.get_title()!r}"
            )


_TOUCH_PX = 1.0  # boxes may share this many pixels (antialiased edges) without overlapping


def _shown_ticks(axis):
    """The ticks the axis draws (inside its view interval), major and minor."""
    try:
        return axis._update_ticks()  # what Axis.draw itself draws
    except AttributeError:  # pragma: no cover - older matplotlib
        lo, hi = sorted(axis.get_view_interval())
        ticks = axis.get_major_ticks() + axis.get_minor_ticks()
        return [t for t in ticks if lo <= t.get_loc() <= hi]


def _texts(fig):
    """(description, Text) of every visible, non-empty text outside legends."""
    out = []
    if fig._suptitle is not None:
        out.append(("suptitle", fig._suptitle))
    out += [(f"figure text {t.get_text()!r}", t) for t in fig.texts if t is not fig._suptitle]
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible():
            continue
        name = ax.get_title() or ax.get_ylabel() or f"axes {i}"
        for which in ("title", "_left_title", "_right_title"):
            out.append((f"{which.strip('_')} of {name!r}", getattr(ax, which)))
        if ax.axison:
            for axis in (ax.xaxis, ax.yaxis):
                out.append((f"{axis.axis_name}-label of {name!r}", axis.label))
                for tick in _shown_ticks(axis):
                    for lab in (tick.label1, tick.label2):
                        out.append((f"{axis.axis_name}-tick {lab.get_text()!r} of {name!r}", lab))
        out += [(f"text {t.get_text()!r} in {name!r}", t) for t in ax.texts]
    return [(d, t) for d, t in out if t.get_visible() and t.get_text().strip()]


def _boxes(fig):
    """(description, window extent) of every text (:func:`_texts`) and every legend."""
    r = fig.canvas.get_renderer()
    out = [(d, t.get_window_extent(r)) for d, t in _texts(fig)]
    for lg in _legends(fig):
        title = lg.get_title().get_text() or ", ".join(t.get_text() for t in lg.get_texts()[:2])
        out.append((f"legend {title!r}", lg.get_window_extent(r)))
    return out


def check_text_apart(fig) -> None:
    """No two texts (titles, axis labels, drawn tick labels, annotations, legends as whole
    boxes) overlap, and none reaches over the figure's edge."""
    boxes = _boxes(fig)
    if not boxes:
        return
    xy = np.array([[b.x0, b.y0, b.x1, b.y1] for _, b in boxes])
    w, h = fig.bbox.width, fig.bbox.height
    for (d, _), (x0, y0, x1, y1) in zip(boxes, xy):
        assert x0 >= -_TOUCH_PX and y0 >= -_TOUCH_PX, f"{d} reaches over the figure's edge"
        assert x1 <= w + _TOUCH_PX and y1 <= h + _TOUCH_PX, f"{d} reaches over the figure's edge"
    dx = np.minimum(xy[:, None, 2], xy[None, :, 2]) - np.maximum(xy[:, None, 0], xy[None, :, 0])
    dy = np.minimum(xy[:, None, 3], xy[None, :, 3]) - np.maximum(xy[:, None, 1], xy[None, :, 1])
    clash = (dx > _TOUCH_PX) & (dy > _TOUCH_PX)
    i, j = np.nonzero(np.triu(clash, 1))
    pairs = [f"{boxes[a][0]} / {boxes[b][0]}" for a, b in zip(i, j)]
    assert not pairs, f"{len(pairs)} overlapping text pair(s): " + "; ".join(pairs[:6])


def _densify(xy: np.ndarray, steps: int = 8) -> np.ndarray:
    """Points along a polyline (display coordinates), ``steps`` per segment."""
    if len(xy) < 2:
        return xy
    t = np.linspace(0.0, 1.0, steps, endpoint=False)[None, :, None]
    seg = xy[:-1, None, :] + t * (xy[1:, None, :] - xy[:-1, None, :])
    return np.concatenate([seg.reshape(-1, 2), xy[-1:]])


def _data_points(ax) -> np.ndarray:
    """Display coordinates of the axes' data: vertices (and points along the segments) of
    its data lines, scatter points, and the outlines of bands and contours, inside the axes.
    Reference lines that span the axes (axhline, axvline) are not data."""
    pts = []
    for line in ax.lines:
        if not line.get_visible() or line.get_transform() != ax.transData:
            continue
        xy = line.get_transform().transform(np.asarray(line.get_xydata(), float))
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        pts.append(xy if _points_only(line) else _densify(xy))
    for coll in ax.collections:
        if not coll.get_visible():
            continue
        if isinstance(coll, PathCollection) and len(coll.get_offsets()):
            pts.append(coll.get_offset_transform().transform(np.asarray(coll.get_offsets())))
            continue
        tr = coll.get_transform()
        if tr != ax.transData:
            continue
        for path in coll.get_paths():
            v = np.asarray(path.vertices, float)
            if len(v):
                pts.append(_densify(tr.transform(v), 2))
    if not pts:
        return np.empty((0, 2))
    xy = np.concatenate(pts)
    b = ax.bbox
    inside = (xy[:, 0] >= b.x0) & (xy[:, 0] <= b.x1) & (xy[:, 1] >= b.y0) & (xy[:, 1] <= b.y1)
    return xy[inside & np.all(np.isfinite(xy), axis=1)]


def check_legend_clear(fig) -> None:
    """No legend's content (its box less the border padding) covers a data point of any
    axes."""
    r = fig.canvas.get_renderer()
    for lg in _legends(fig):
        box = lg.get_window_extent(r)
        pad = lg.borderpad * lg.prop.get_size_in_points() * fig.dpi / 72.0
        x0, y0, x1, y1 = box.x0 + pad, box.y0 + pad, box.x1 - pad, box.y1 - pad
        for ax in fig.axes:
            if not ax.get_visible():
                continue
            xy = _data_points(ax)
            hidden = (xy[:, 0] > x0) & (xy[:, 0] < x1) & (xy[:, 1] > y0) & (xy[:, 1] < y1)
            title = lg.get_title().get_text() or ", ".join(t.get_text() for t in lg.get_texts())
            assert not hidden.any(), (
                f"legend {title[:60]!r} covers {int(hidden.sum())} data point(s) of "
                f"{ax.get_title() or ax.get_ylabel()!r}"
            )


def check_figure(fig, *, axes: bool = True) -> None:
    """All of the above (``axes=False`` skips the points check, e.g. for ArviZ panels)."""
    if not hasattr(fig.canvas, "get_renderer"):  # a Figure made without pyplot
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    fig.canvas.draw()
    check_titles(fig)
    check_legend_visible(fig)
    check_distinct_colours(fig)
    check_text_apart(fig)
    check_legend_clear(fig)
    if axes:
        check_points_inside(fig)
