"""The results table of a sweep: one row of headline numbers per grid point.

``DIR/sweep.csv`` has one line per run; ``DIR/sweep.nc`` is the same numbers as an xarray
Dataset whose dimensions are the grid's axes (a run that failed or is missing is NaN).
Each run's numbers are read from its record (``summary.json``, and the pointwise
log-likelihood in ``posterior.nc`` for PSIS-LOO):

========================  ============================================================
``sgd_loss``              best final SGD loss over the restarts
``map_log_posterior``     log-posterior of the MAP draw
``log_evidence``          mean log Z over SMC runs, and ``log_evidence_se`` (SMC only)
``elpd_loo``              PSIS-LOO expected log predictive density, and ``elpd_loo_se``
``rhat``                  max split R-hat of canonical θ
``ess``                   min bulk ESS of canonical θ
``divergences``           NUTS divergent transitions
``wall_time``             sampling wall time (s); ``task_time`` the whole task (s)
``warnings``              number of run warnings
========================  ============================================================

Example
-------
>>> from bayes_uat.sweep_table import read_table
>>> rows = read_table("sweeps/x2")  # doctest: +SKIP
>>> rows[0]["elpd_loo"]  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import json
import math
import warnings
from pathlib import Path

import numpy as np

from .records import NETCDF, SUMMARY, arviz, atomic_path

SWEEP_FILE = "sweep.json"

TABLE_CSV = "sweep.csv"
TABLE_NC = "sweep.nc"
NUMBERS = (
    "sgd_loss",
    "map_log_posterior",
    "log_evidence",
    "log_evidence_se",
    "elpd_loo",
    "elpd_loo_se",
    "rhat",
    "ess",
    "divergences",
    "wall_time",
    "task_time",
    "warnings",
)


def _float(v) -> float:
    if isinstance(v, (list, tuple)):
        v = [x for x in v if x is not None]
        return float(np.mean(v)) if v else math.nan
    return math.nan if v is None else float(v)


def _loo(run_dir: Path, summary: dict) -> tuple[float, float]:
    loo = summary.get("loo")
    if isinstance(loo, dict) and "elpd_loo" in loo:
        return _float(loo["elpd_loo"]), _float(loo.get("se", loo.get("elpd_loo_se")))
    az = arviz()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            idata = az.from_netcdf(str(run_dir / NETCDF))
            res = az.loo(idata)
    except Exception:  # a record without a usable pointwise log-likelihood
        return math.nan, math.nan
    return float(res["elpd_loo"]), float(res["se"])


def headline_row(run_dir: str | Path) -> dict:
    """The headline numbers of one finished run directory (see the module docstring)."""
    run_dir = Path(run_dir)
    summary = json.loads((run_dir / SUMMARY).read_text())
    s = summary.get("sampler", {})
    can = summary.get("diagnostics", {}).get("canonical", {})
    sgd = summary.get("sgd", {})
    losses = [v for v in sgd.get("final_losses", []) if v is not None]
    elpd, elpd_se = _loo(run_dir, summary)
    return dict(
        sgd_loss=min(losses) if losses else math.nan,
        map_log_posterior=_float(summary.get("map", {}).get("log_posterior")),
        log_evidence=_float(s.get("log_evidence")),
        log_evidence_se=_float(s.get("log_evidence_se")),
        elpd_loo=elpd,
        elpd_loo_se=elpd_se,
        rhat=_float(can.get("max_rhat")),
        ess=_float(can.get("min_ess_bulk")),
        divergences=_float(s.get("divergences")),
        wall_time=_float(s.get("wall_time")),
        warnings=len(summary.get("warnings", [])),
    )


def write_table(plan, rows: list[dict]) -> tuple[Path, Path]:
    """Write DIR/sweep.csv and DIR/sweep.nc from a plan's rows, atomically."""
    axes = list(plan.grid.axes)
    cols = [*axes, "name", "status", *NUMBERS, "error"]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: _cell(r.get(k, math.nan if k in NUMBERS else "")) for k in cols})
    out_csv, out_nc = plan.out / TABLE_CSV, plan.out / TABLE_NC
    with atomic_path(out_csv) as tmp:
        tmp.write_text(buf.getvalue())
    ds = to_dataset(plan.grid.axes, rows)
    with atomic_path(out_nc) as tmp:
        ds.to_netcdf(str(tmp), engine="h5netcdf")
    return out_csv, out_nc


def _cell(v):
    if isinstance(v, list):
        return json.dumps(v)
    if isinstance(v, float) and not math.isfinite(v):
        return ""
    return v


def _coords(values: list) -> list:
    """Axis coordinates: the values themselves when they are numbers or strings of one
    kind, else their JSON text (lists such as units [8, 8])."""
    kinds = {type(v) for v in values}
    if len(kinds) == 1 and kinds <= {int, float, str}:
        return list(values)
    if kinds <= {int, float}:
        return [float(v) for v in values]
    return [json.dumps(v) for v in values]


def to_dataset(axes: dict, rows: list[dict]):
    """The rows as an xarray Dataset with one dimension per grid axis."""
    import xarray as xr

    names = list(axes)
    shape = tuple(len(v) for v in axes.values())
    index = {k: {json.dumps(v): i for i, v in enumerate(vs)} for k, vs in axes.items()}
    data = {k: np.full(shape, np.nan) for k in NUMBERS}
    status = np.full(shape, "missing", dtype=object)
    for r in rows:
        at = tuple(index[k][json.dumps(r[k])] for k in names)
        for k in NUMBERS:
            data[k][at] = _float(r.get(k))
        status[at] = r.get("status", "missing")
    data_vars = {k: (names, v) for k, v in data.items()}
    data_vars["status"] = (names, status.astype(str))
    coords = {k: _coords(v) for k, v in axes.items()}
    return xr.Dataset(data_vars, coords=coords, attrs={"axes": json.dumps(axes)})


def read_table(out: str | Path) -> list[dict]:
    """The rows of DIR/sweep.csv (numbers as floats, NaN where empty)."""
    path = Path(out) / TABLE_CSV
    if not path.is_file():
        raise FileNotFoundError(
            f"{str(path)!r} does not exist: the sweep has not finished a pass yet; "
            "run bayes-uat sweep again to complete it"
        )
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        for k in NUMBERS:
            if k in r:
                r[k] = float(r[k]) if r[k] != "" else math.nan
    return rows


def read_description(path: str | Path) -> dict:
    """DIR/sweep.json of a sweep directory."""
    meta = Path(path) / SWEEP_FILE
    if not meta.is_file():
        raise FileNotFoundError(f"{str(path)!r} is not a sweep directory: it has no {SWEEP_FILE}")
    try:
        d = json.loads(meta.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(
            f"{str(meta)!r} is not a sweep description (not JSON: {e}); rerun the sweep into "
            "a new --out directory, or restore the file"
        ) from None
    if not (
        isinstance(d, dict) and isinstance(d.get("base"), dict) and isinstance(d.get("grid"), dict)
    ):
        raise ValueError(
            f"{str(meta)!r} is not a sweep description (it needs the objects 'base' and "
            "'grid'); rerun the sweep into a new --out directory, or restore the file"
        )
    return d


def table_text(out: str | Path) -> str:
    """The sweep table as aligned text, failures listed at the end."""
    axes = list(read_description(out)["grid"])
    rows = read_table(out)
    shown = ("sgd_loss", "map_log_posterior", "elpd_loo", "elpd_loo_se", "log_evidence")
    shown += ("rhat", "ess", "divergences", "wall_time", "warnings")
    head = [*axes, "status", *shown]
    body = [[r[a] for a in axes] + [r["status"]] + [_fmt(r[k]) for k in shown] for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    lines = ["  ".join(str(c).rjust(w) for c, w in zip(line, widths)) for line in [head, *body]]
    failed = [r for r in rows if r["status"] == "failed"]
    if failed:
        lines += ["", f"{len(failed)} run(s) failed:"]
        lines += [f"  {r['name']}: {r['error']}" for r in failed]
    return "\n".join(lines)


def _fmt(v: float) -> str:
    if not math.isfinite(v):
        return "–"
    if abs(v) >= 1000 or v == int(v):
        return f"{v:.0f}"
    return f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"
