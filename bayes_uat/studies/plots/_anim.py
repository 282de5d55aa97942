"""Training as it proceeds (seed 000): an animated GIF of the SGD curve, and a static
figure of a few snapshots."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ...plots import _style


def _histories(history) -> list:
    hs = [history] if hasattr(history, "thetas") else list(history)
    if not hs or not all(hasattr(h, "thetas") and hasattr(h, "steps") for h in hs):
        raise ValueError(
            "history must be a TrainingHistory (bayes_uat.studies.sgd_history) "
            "or a sequence of them"
        )
    k = len(hs[0].steps)
    if any(len(h.steps) != k for h in hs):
        raise ValueError("every history needs the same number of snapshots to share frames")
    return hs


def _frame_setup(hs, data, extrapolate, truth, n_grid):
    grid = data.grid(int(n_grid), extrapolate=float(extrapolate))
    curves = [h.predict(grid) for h in hs]  # (k, n) each
    f_true = None
    if truth and data.target_fn is not None:
        f_true = np.asarray(data.target_fn(grid), dtype=float)
    lo, hi = float(data.y.min()), float(data.y.max())
    span = hi - lo if hi > lo else 1.0
    ylim = (lo - 0.3 * span, hi + 0.3 * span)
    return grid, curves, f_true, ylim


def _draw_panels(fig, hs, data, grid, f_true, ylim):
    axes = np.atleast_1d(fig.subplots(1, len(hs), sharey=True))
    lines = []
    for j, ax in enumerate(axes[: len(hs)]):
        _style.data_dots(ax, data.x, data.y, ms=1.0, alpha=0.5, zorder=5)
        if f_true is not None:  # wide enough to show between the small data dots
            ax.plot(grid, f_true, color=_style.TRUTH, lw=1.3, ls="-.", zorder=4)
        (line,) = ax.plot(grid, np.full_like(grid, np.nan), color=_style.SGD, lw=1.4, zorder=3)
        lines.append(line)
        ax.set_xlim(grid[0], grid[-1])
        ax.set_ylim(*ylim)
        ax.set_xlabel("$x$")
        if j == 0:
            ax.set_ylabel("$y$")
    return axes, lines


def _units_label(h) -> str:
    u = h.net.units
    return rf"$N = {u[0]}$" if len(u) == 1 else "widths " + "×".join(map(str, u))


def training_animation(
    history,
    data,
    path: str | Path,
    *,
    fps: int = 8,
    dpi: int = 100,
    extrapolate: float = 1.0,
    truth: bool = True,
    n_grid: int = 300,
) -> Path:
    """Write an animated GIF of the fitted curve as training proceeds, one frame per
    snapshot: the data, the true curve and the network's f(x) at that snapshot, titled with
    the step and the loss (sum of squares).  Several histories (same number of snapshots)
    become panels side by side, as seed 000's 5, 50 and 500 units.

    Args:
        history: a :class:`bayes_uat.studies.TrainingHistory` (from
            :func:`~bayes_uat.studies.sgd_history`) or a sequence of them.
        data: the :class:`~bayes_uat.Dataset` trained on.
        path: the GIF to write (written atomically; ``.gif`` is appended if missing).
        fps: frames per second.
        dpi: resolution of the frames.
        extrapolate: grid width as a multiple of the data range.
        truth: draw the noise-free target when known.

    Returns:
        the path written.

    Example:
        >>> h = studies.sgd_history(post, steps=2000, snapshots=40)  # doctest: +SKIP
        >>> plots.training_animation(h, post.data, "figures/train.gif")  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    hs = _histories(history)
    if isinstance(fps, bool) or not isinstance(fps, (int, np.integer)) or fps < 1:
        raise ValueError(f"fps must be a positive integer, got {fps!r}")
    path = Path(path)
    if path.suffix.lower() != ".gif":
        path = path.with_name(path.name + ".gif")
    grid, curves, f_true, ylim = _frame_setup(hs, data, extrapolate, truth, n_grid)
    k = len(hs[0].steps)
    with _style.style():
        fig = plt.figure(figsize=(min(_style.PAGE, 2.6 * len(hs) + 0.6), 2.6), layout="constrained")
        axes, lines = _draw_panels(fig, hs, data, grid, f_true, ylim)

        def frame(i):
            for ax, line, h, c in zip(axes, lines, hs, curves):
                line.set_ydata(c[i])
                ax.set_title(
                    f"{_units_label(h)}, step {int(h.steps[i])}\nloss {h.losses[i]:.3g}", fontsize=8
                )
            return lines

        save_gif(fig, frame, k, path, fps=fps, dpi=dpi)
    return path


def save_gif(fig, frame, frames: int, path: Path, *, fps: int, dpi: int) -> None:
    """Animate ``frame(i)`` for i < ``frames`` on ``fig`` into the GIF ``path``, written
    atomically (a temporary file beside it, then renamed); the figure is closed."""
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    anim = FuncAnimation(fig, frame, frames=range(frames), blit=False, repeat=False)
    # Pillow picks the format from the file name: the temporary file ends in .gif
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.gif")
    try:
        anim.save(str(tmp), writer=PillowWriter(fps=fps), dpi=dpi)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        tmp.unlink(missing_ok=True)


def training_snapshots(
    history,
    data,
    *,
    at: tuple[float, ...] = (0.0, 0.05, 0.2, 1.0),
    extrapolate: float = 1.0,
    truth: bool = True,
    n_grid: int = 300,
) -> Figure:
    """A static companion of :func:`training_animation`: the curve at a few snapshots
    (``at``: fractions of training, snapped to the nearest snapshot), later ones darker,
    one panel per history.

    Example:
        >>> fig = plots.training_snapshots([h5, h50, h500], data)  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    hs = _histories(history)
    grid, curves, f_true, ylim = _frame_setup(hs, data, extrapolate, truth, n_grid)
    with _style.style():
        fig = plt.figure(figsize=(_style.PAGE, 2.5), layout="constrained")
        axes, lines = _draw_panels(fig, hs, data, grid, f_true, ylim)
        for line in lines:
            line.remove()
        shades = np.linspace(0.25, 1.0, len(at))
        for ax, h, c in zip(axes, hs, curves):
            steps = np.asarray(h.steps, dtype=float)
            picks = [int(np.argmin(np.abs(steps - frac * steps[-1]))) for frac in at]
            for i, alpha in zip(dict.fromkeys(picks), shades[-len(set(picks)) :]):
                ax.plot(
                    grid,
                    c[i],
                    color=_style.SGD,
                    lw=1.1,
                    alpha=float(alpha),
                    label=f"step {int(steps[i])}",
                )
            mse = h.losses[-1] / data.n
            ax.set_title(f"{_units_label(h)}: MSE vs. data {mse:.3g}", fontsize=9)
            ax.legend(loc="upper center", fontsize=6.5, ncols=2, handlelength=1.5)
        if f_true is not None:
            fig.legend(
                handles=[
                    Line2D([], [], color=_style.TRUTH, lw=1.3, ls="-.", label="truth"),
                    Line2D(
                        [],
                        [],
                        ls="none",
                        marker="o",
                        ms=2.5,
                        color=_style.DATA,
                        mec="none",
                        label="data",
                    ),
                ],
                loc="outside upper center",
                ncols=2,
            )
    return fig
