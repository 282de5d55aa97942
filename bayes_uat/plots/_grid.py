"""The standard figure of a ``bayes-uat sweep`` directory, drawn from its results table."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from . import _style

# (table column, its standard error column or None, panel title)
PANELS = (
    ("sgd_loss", None, "best SGD loss"),
    ("map_log_posterior", None, "MAP log-posterior"),
    ("elpd_loo", "elpd_loo_se", "elpd$_{\\mathrm{LOO}}$ ± SE"),
    ("log_evidence", "log_evidence_se", "log evidence (SMC) ± SE"),
    ("rhat", None, "max $\\hat{R}$ (canonical θ)"),
    ("wall_time", None, "sampling wall time (s)"),
)


def _x_axis(ds, x: str | None) -> str:
    dims = list(ds.sizes)
    if x is not None:
        if x not in dims:
            raise ValueError(f"x={x!r} is not an axis of this sweep; choose one of {dims}")
        return x
    if "units" in dims:
        return "units"
    numeric = [d for d in dims if np.issubdtype(ds[d].dtype, np.number) and d != "seed"]
    return numeric[0] if numeric else dims[0]


def sweep_grid(out: str | Path, *, x: str | None = None) -> Figure:
    """Headline numbers of a sweep against one grid axis (default ``units``, else the first
    numeric axis), one line per combination of the other axes: best SGD loss (log axis),
    MAP log-posterior, elpd_LOO ± SE, SMC log evidence ± SE, canonical max R-hat (dotted
    line at the threshold of the run warnings, :data:`bayes_uat.checks.RHAT_MAX`) and
    sampling wall time; a quantity no run of the sweep has (e.g. the log evidence without
    SMC) gets no panel. Failed or missing runs are gaps.

    Example:
        >>> from bayes_uat import plots  # doctest: +SKIP
        >>> plots.save(plots.sweep("sweeps/x2"), "sweeps/x2/sweep")  # doctest: +SKIP
    """
    import xarray as xr

    from ..checks import RHAT_MAX
    from ..sweep_table import TABLE_NC

    path = Path(out) / TABLE_NC
    if not path.is_file():
        raise FileNotFoundError(
            f"{str(path)!r} does not exist: pass a sweep directory written by bayes-uat sweep"
        )
    with xr.open_dataset(path, engine="h5netcdf") as f:
        ds = f.load()
    xname = _x_axis(ds, x)
    others = [d for d in ds.sizes if d != xname]
    xs = ds[xname].values
    numeric = np.issubdtype(xs.dtype, np.number)
    pos = xs if numeric else np.arange(len(xs))
    combos = list(itertools.product(*(range(ds.sizes[d]) for d in others)))
    panels = [p for p in PANELS if p[0] in ds and np.isfinite(ds[p[0]].values).any()]
    if not panels:
        raise ValueError(f"{str(path)!r} holds no finished run: nothing to draw")
    ncols = min(3, len(panels))
    nrows = -(-len(panels) // ncols)
    with _style.style():
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(_style.PAGE, 0.6 + 2.0 * nrows),
            sharex=True,
            squeeze=False,
            layout="constrained",
        )
        for ax in axes.flat[len(panels) :]:
            ax.remove()
        for ax, (key, se, title) in zip(axes.flat, panels):
            _panel(ax, ds, key, se, xname, pos, others, combos)
            ax.set_title(title)
            y = ds[key].values
            if key == "sgd_loss" and np.all(y[np.isfinite(y)] > 0):
                ax.set_yscale("log")
                ax.set_title(title + " (log scale)")
            if key == "rhat":
                ax.axhline(RHAT_MAX, color="0.5", ls=":", lw=0.8)
                ax.text(
                    1.0, RHAT_MAX, f"warning above {RHAT_MAX:g} ", color="0.4", fontsize=7,
                    ha="right", va="bottom", transform=ax.get_yaxis_transform(),
                )  # fmt: skip
            _x_ticks(ax, xs, pos, numeric)
        for j, ax in enumerate(axes.flat[: len(panels)]):
            if j + ncols >= len(panels):  # the lowest panel of its column
                ax.set_xlabel(xname)
                ax.xaxis.set_tick_params(labelbottom=True)
        if others and len(combos) > 1:
            handles, labels = axes.flat[0].get_legend_handles_labels()
            fig.legend(handles[:12], labels[:12], loc="outside lower center", ncols=4)
        fig.suptitle(
            f"sweep over {', '.join(ds.sizes)} ({int((ds.status == 'failed').sum())} failed)"
        )
    return fig


def _x_ticks(ax, xs, pos, numeric: bool) -> None:
    """A tick at every grid value (the axis takes no values between them): 1, 2, 4, 8 units
    on a base-2 log axis, never 1.25."""
    if not numeric:
        ax.set_xticks(pos, [str(v) for v in xs])
        return
    if xs.min() > 0 and xs.max() >= 4 * xs.min():  # 1, 2, 4, 8, 16 units
        ax.set_xscale("log", base=2)
        ax.minorticks_off()
    if len(xs) <= 12:
        ax.set_xticks(xs, [f"{v:g}" for v in xs])
    elif np.issubdtype(xs.dtype, np.integer):
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _panel(ax, ds, key, se, xname, pos, others, combos) -> None:
    for combo in combos:
        sel = {d: i for d, i in zip(others, combo)}
        y = ds[key].isel(sel).transpose(xname).values
        label = ", ".join(f"{d}={ds[d].values[i]}" for d, i in sel.items()) or key
        if se is not None and se in ds:
            err = ds[se].isel(sel).transpose(xname).values
            ax.errorbar(pos, y, yerr=err, marker="o", ms=3, capsize=2, label=label)
        else:
            ax.plot(pos, y, marker="o", ms=3, label=label)
