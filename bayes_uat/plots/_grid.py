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
    numeric axis), one line per combination of the other axes: best SGD loss, MAP
    log-posterior, elpd_LOO ± SE, SMC log evidence ± SE (where sampled), canonical max
    R-hat (dotted line at 1.01) and sampling wall time.  Failed or missing runs are gaps.

    Example:
        >>> from bayes_uat import plots  # doctest: +SKIP
        >>> plots.save(plots.sweep("sweeps/x2"), "sweeps/x2/sweep")  # doctest: +SKIP
    """
    import xarray as xr

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
    with _style.style():
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(
            2, 3, figsize=(_style.PAGE, 4.6), sharex=True, layout="constrained"
        )
        for ax, (key, se, title) in zip(axes.flat, PANELS):
            _panel(ax, ds, key, se, xname, pos, others, combos)
            ax.set_title(title)
            if not numeric:
                ax.set_xticks(pos, [str(v) for v in xs])
            elif xs.min() > 0 and xs.max() >= 4 * xs.min():  # 1, 2, 4, 8, 16 units
                ax.set_xscale("log", base=2)
                ax.set_xticks(xs, [f"{v:g}" for v in xs])
        for ax in axes[-1]:
            ax.set_xlabel(xname)
        axes.flat[4].axhline(1.01, color="0.5", ls=":", lw=0.8)
        if others and len(combos) > 1:
            handles, labels = axes.flat[1].get_legend_handles_labels()
            fig.legend(handles[:12], labels[:12], loc="outside lower center", ncols=4)
        fig.suptitle(
            f"sweep over {', '.join(ds.sizes)} ({int((ds.status == 'failed').sum())} failed)"
        )
    return fig


def _panel(ax, ds, key, se, xname, pos, others, combos) -> None:
    if key not in ds or not np.isfinite(ds[key].values).any():
        ax.text(0.5, 0.5, "not in this sweep", ha="center", va="center", transform=ax.transAxes)
        return
    for combo in combos:
        sel = {d: i for d, i in zip(others, combo)}
        y = ds[key].isel(sel).transpose(xname).values
        label = ", ".join(f"{d}={ds[d].values[i]}" for d, i in sel.items()) or key
        if se is not None and se in ds:
            err = ds[se].isel(sel).transpose(xname).values
            ax.errorbar(pos, y, yerr=err, marker="o", ms=3, capsize=2, label=label)
        else:
            ax.plot(pos, y, marker="o", ms=3, label=label)
