"""Checks every figure family shares: a title, legend entries that can be seen, data points
inside the axes, and distinct colours for distinct series."""

from __future__ import annotations

import numpy as np
from matplotlib.collections import Collection
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
        return tuple(fc[0]) if len(fc) else None
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


def check_figure(fig, *, axes: bool = True) -> None:
    """All of the above (``axes=False`` skips the points check, e.g. for ArviZ panels)."""
    fig.canvas.draw()
    check_titles(fig)
    check_legend_visible(fig)
    check_distinct_colours(fig)
    if axes:
        check_points_inside(fig)
