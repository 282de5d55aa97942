"""Sweeps: a grid of ordinary runs, scheduled on dask.distributed.

A grid file holds the base settings of a run (the keys of ``bayes-uat run --config``) and a
``[grid]`` table of lists; every combination of the lists is one grid point, and every grid
point is one ordinary, checkpointed run directory under the sweep directory, named from its
values::

    # grid.toml
    target = "x2"
    sampler = "ensemble"
    draws = 2000

    [grid]
    units = [1, 2, 4]
    activation = ["sigmoid", "tanh"]
    seed = [0, 1]

``bayes-uat sweep grid.toml --out sweeps/x2`` then writes ``sweeps/x2/units=1,activation=
sigmoid,seed=0/`` and eleven more run directories, ``sweep.json`` (the grid) and the results
table ``sweep.csv`` / ``sweep.nc`` (:mod:`bayes_uat.sweep_table`).

The engine only schedules: one Dask task per run (:func:`bayes_uat.runner.execute`), one
JAX process per worker.  Rerunning the same sweep skips finished runs and resumes
interrupted ones from their checkpoints; a task whose worker died is rescheduled by Dask
and resumes from the checkpoint the dead worker left; a run that raises is recorded
(``error.txt`` in its directory, a row in the table) and the others go on.

Example
-------
>>> from bayes_uat.sweeps import load_grid, run_sweep
>>> result = run_sweep(load_grid("grid.toml"), "sweeps/x2", workers=2)  # doctest: +SKIP
>>> result.failed  # doctest: +SKIP
[]
"""

from __future__ import annotations

import itertools
import json
import re
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path

from .config import RunConfig
from .records import write_json
from .rundir import LOCK
from .sweep_table import SWEEP_FILE, headline_row, read_description, write_table

GRID_TABLE = "grid"
ERROR_FILE = "error.txt"
ATTEMPTS_DIR = ".attempts"
FORMAT_VERSION = 1
_UNSAFE = re.compile(r"[^A-Za-z0-9._+=,-]")


@dataclass(frozen=True)
class Grid:
    """Base run settings and the grid's axes (key → list of values, in file order); a grid
    axis overrides a base setting of the same key."""

    base: dict
    axes: dict

    def __post_init__(self):
        known = {f.name for f in fields(RunConfig)}
        unknown = sorted({str(k).replace("-", "_") for k in self.base} - known)
        if unknown:
            raise ValueError(
                f"unknown base setting(s) {unknown}; valid keys are {', '.join(sorted(known))}"
            )
        if not self.axes:
            raise ValueError(
                "the grid is empty: add a [grid] table of lists, e.g. [grid] units = [1, 2]"
            )
        for key, values in self.axes.items():
            if key not in known:
                raise ValueError(
                    f"grid key {key!r} is not a run setting; valid keys are "
                    f"{', '.join(sorted(known))}"
                )
            if not isinstance(values, list):
                raise ValueError(
                    f"grid key {key!r}: expected a list of values, got {values!r}; "
                    f"write {key} = [{json.dumps(values)}]"
                )
            if not values:
                raise ValueError(
                    f"grid key {key!r} has an empty list: give at least one value or remove it"
                )
            if len({json.dumps(v) for v in values}) != len(values):
                raise ValueError(f"grid key {key!r} repeats a value: {values!r}")

    def points(self) -> list[dict]:
        """Every combination of the axes' values, the first axis varying slowest."""
        keys = list(self.axes)
        return [dict(zip(keys, vs)) for vs in itertools.product(*self.axes.values())]

    def config(self, point: dict) -> RunConfig:
        """The run configuration of one grid point."""
        return RunConfig.from_dict({**self.base, **point}, source=f"grid point {point_name(point)}")

    def base_config(self) -> dict:
        """The base settings with every default filled in, less the grid's axes (what
        sweep.json compares)."""
        defaults = {f.name: f.default for f in fields(RunConfig)}
        base = {k: v for k, v in {**defaults, **self.base}.items() if k not in self.axes}
        return json.loads(json.dumps(base))


def load_grid(path: str | Path) -> Grid:
    """Read a grid file: base run settings plus a ``[grid]`` table of lists."""
    path = Path(path)
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise FileNotFoundError(f"grid file {str(path)!r} {what}")
    try:
        d = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: not valid TOML ({e})") from None
    axes = d.pop(GRID_TABLE, None)
    if not isinstance(axes, dict):
        raise ValueError(f"{path}: no [grid] table; add one, e.g. [grid] units = [1, 2, 4]")
    try:
        return Grid(base=d, axes=axes)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None


def _label(value) -> str:
    if isinstance(value, list):
        return "-".join(_label(v) for v in value) or "linear"
    return json.dumps(value) if value is None or isinstance(value, bool) else str(value)


def point_name(point: dict) -> str:
    """The run directory name of a grid point: ``key=value`` pairs joined by commas, with
    characters unsafe in file names replaced by ``_`` (``units=8-8`` for ``[8, 8]``)."""
    return _UNSAFE.sub("_", ",".join(f"{k}={_label(v)}" for k, v in point.items()))


@dataclass(frozen=True)
class Plan:
    """A validated sweep: grid points with their configurations and run directories."""

    grid: Grid
    out: Path
    points: tuple
    configs: tuple
    run_dirs: tuple


def plan_sweep(grid: Grid, out: str | Path) -> Plan:
    """Validate every grid point's configuration and the sweep directory before any work:
    a bad value names its grid point; a directory holding something other than this
    sweep (another base configuration, or files that are not a sweep) is refused."""
    out = Path(out)
    points = grid.points()
    names = [point_name(p) for p in points]
    configs = []
    for p, name in zip(points, names):
        try:
            configs.append(grid.config(p))
        except ValueError as e:  # name the grid point once
            prefix = f"grid point {name}: "
            raise ValueError(str(e) if str(e).startswith(prefix) else prefix + str(e)) from None
        _check_point(configs[-1], name, out / name)
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"grid points {dup} map to the same directory name; change the values")
    _check_directory(grid, out)
    return Plan(grid, out, tuple(points), tuple(configs), tuple(out / n for n in names))


def _check_point(cfg: RunConfig, name: str, run_dir: Path) -> None:
    """The runner's own checks (data, model, walkers against the posterior's size, memory)
    now, rather than in a worker after the others started; nothing is written."""
    from .runner import check_run

    probe = run_dir / ".not-created"  # a path that does not exist: only writability is checked
    try:
        check_run(cfg, probe, overwrite=False, resume=False)
    except (ValueError, TypeError, OSError) as e:
        raise ValueError(f"grid point {name}: {e}") from None


def _check_directory(grid: Grid, out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} exists and is not a directory")
    meta = out / SWEEP_FILE
    if meta.is_file():
        saved = read_description(out)["base"]
        mine = grid.base_config()
        if saved != mine:
            diff = sorted(k for k in set(saved) | set(mine) if saved.get(k) != mine.get(k))
            raise ValueError(
                f"{str(out)!r} holds another sweep's runs, with a different base "
                f"configuration (differs in {diff}); choose another --out directory"
            )
    elif out.is_dir() and any(out.iterdir()):
        raise ValueError(
            f"{str(out)!r} is not empty and is not a sweep directory (no {SWEEP_FILE}); "
            "choose an empty or new --out directory"
        )


def write_description(plan: Plan) -> None:
    """Write DIR/sweep.json: the base configuration and the grid."""
    write_json(
        plan.out / SWEEP_FILE,
        dict(
            format_version=FORMAT_VERSION,
            base=plan.grid.base_config(),
            grid=plan.grid.axes,
            points=[p.name for p in plan.run_dirs],
        ),
    )


def is_sweep_dir(path: str | Path) -> bool:
    return (Path(path) / SWEEP_FILE).is_file()


# -- one run, as a Dask task ------------------------------------------------------------------
def run_point(config: dict, run_dir: str, attempts_dir: str, figures: bool = True) -> dict:
    """Run (or resume, or skip) one grid point in this process and return its table row.

    This is the Dask task.  A finished run is skipped; one with a checkpoint is resumed;
    any exception is written to ``RUN_DIR/error.txt`` and returned as a failed row, so
    that one bad run does not stop the others.  A lock left in the run directory by this
    task's previous attempt (a worker that died) is removed first.
    """
    import time
    import traceback

    from .records import is_run_dir
    from .runner import CHECKPOINT, execute, failed_steps, step_failure_text
    from .runtime import enable_compilation_cache

    t0 = time.perf_counter()
    enable_compilation_cache()
    cfg = RunConfig.from_dict(config)
    out = Path(run_dir)
    error = out / ERROR_FILE
    status = "done"
    try:
        _release_own_stale_lock(out, Path(attempts_dir))
        error.unlink(missing_ok=True)  # a retry starts clean: execute sees only run files
        if is_run_dir(out) and not (out / CHECKPOINT).is_file():
            status = "skipped"
        else:
            resume = (out / CHECKPOINT).is_file()
            status = "resumed" if resume else "done"
            run = execute(cfg, out, resume=resume, progress=False, figures=figures)
            failed = failed_steps(run.summary)
            if failed:  # the draws are saved; the checkpoint stays, so a rerun retries
                step, err = next(iter(failed.items()))
                text = f"step '{step}' failed after sampling ({err}); draws saved"
                error.write_text(step_failure_text(out, step, err) + "\n")
                row = dict(headline_row(out), status="failed", error=text)
                return dict(row, task_time=time.perf_counter() - t0)
        row = headline_row(out)
    except Exception as e:  # recorded, not raised: the other runs go on
        out.mkdir(parents=True, exist_ok=True)
        error.write_text(traceback.format_exc())
        row = {"status": "failed", "error": f"{type(e).__name__}: {e}"}
        return dict(row, task_time=time.perf_counter() - t0)
    return dict(row, status=status, error="", task_time=time.perf_counter() - t0)


def _holder() -> dict:
    import os
    import socket

    return {"host": socket.gethostname(), "pid": os.getpid()}


def _release_own_stale_lock(run_dir: Path, attempts_dir: Path) -> None:
    """Remove a run-directory lock held by this task's previous attempt, then record this
    attempt.  Dask starts an attempt only once the previous one's worker is gone, so such
    a lock is stale even when it names another host (where its pid cannot be checked).
    Locks of any other holder are left to :func:`~bayes_uat.runner.execute`."""
    record = attempts_dir / f"{run_dir.name}.json"
    if record.is_file() and run_dir.is_dir():
        try:
            prev = json.loads(record.read_text())
        except json.JSONDecodeError:
            prev = {}
        lock = run_dir / LOCK
        if lock.is_file() and _lock_holder(lock) == (prev.get("host"), prev.get("pid")):
            lock.unlink(missing_ok=True)
    write_json(record, _holder())


def _lock_holder(lock: Path) -> tuple:
    """(host, pid) named in a lock file, JSON or ``key=value`` lines; (None, None) if none."""
    try:
        text = lock.read_text()[:4096]
    except (OSError, UnicodeDecodeError):
        return None, None
    host = re.search(r'"?host(?:name)?"?\s*[:=]\s*"?([^",\s}]+)', text)
    pid = re.search(r'"?pid"?\s*[:=]\s*"?(\d+)', text)
    return (host.group(1) if host else None), (int(pid.group(1)) if pid else None)


# -- the engine ---------------------------------------------------------------------------------
def worker_env(threads: int = 1) -> dict:
    """Environment of a local worker process: ``threads`` threads for XLA, BLAS and OpenMP,
    so that n workers × threads do not oversubscribe the cores."""
    import os

    flags = [
        f
        for f in os.environ.get("XLA_FLAGS", "").split()
        if not f.startswith(("--xla_cpu_multi_thread_eigen", "--xla_force_host_platform"))
    ]
    if threads == 1:
        flags.append("--xla_cpu_multi_thread_eigen=false")
    flags.append(f"--xla_force_host_platform_device_count={threads}")
    n = str(threads)
    return {
        "XLA_FLAGS": " ".join(flags),
        "OMP_NUM_THREADS": n,
        "MKL_NUM_THREADS": n,
        "OPENBLAS_NUM_THREADS": n,
    }


def connect(
    scheduler: str | None = None,
    workers: int | None = None,
    *,
    timeout: float = 10.0,
    dashboard_address: str | None = ":8787",
):
    """A Dask client: to the scheduler at ``scheduler``, or to a new LocalCluster of
    ``workers`` single-threaded worker processes (default: one per core).  Returns
    ``(client, cluster)``; ``cluster`` is None for an existing scheduler."""
    import os

    from distributed import Client, LocalCluster

    if scheduler is not None:
        if workers is not None:
            raise ValueError(
                "--workers applies to the local cluster only; an existing scheduler "
                f"({scheduler}) has the workers it was started with: drop --workers"
            )
        try:
            return Client(scheduler, timeout=timeout), None
        except (OSError, TimeoutError, ValueError, TypeError) as e:
            raise ValueError(
                f"cannot reach the Dask scheduler at {scheduler!r} within {timeout:g} s "
                f"({type(e).__name__}: {e}); check the address (e.g. tcp://host:8786) and "
                "that `dask scheduler` runs there, or drop --scheduler for a local cluster"
            ) from None
    if workers is None:
        workers = os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"--workers must be a positive integer, got {workers!r}")
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=dashboard_address if _has_dashboard() else None,
        env=worker_env(1),
    )
    return Client(cluster, timeout=timeout), cluster


def _has_dashboard() -> bool:
    from importlib.util import find_spec

    return find_spec("bokeh") is not None


def dashboard_link(client) -> str | None:
    """The Dask dashboard's address, or None when the scheduler serves none. A scheduler
    always runs an HTTP server (listed as "dashboard"), but serves the dashboard only where
    bokeh is installed: that is asked of the scheduler's own process."""
    try:
        if "dashboard" not in client.scheduler_info().get("services", {}):
            return None
        has_bokeh = client.run_on_scheduler(
            lambda: __import__("importlib.util").util.find_spec("bokeh") is not None
        )
        if not has_bokeh:
            return None
        return client.dashboard_link
    except Exception:  # no dashboard is no error
        return None


@dataclass(frozen=True)
class SweepResult:
    """What a sweep did: one row per grid point (its values, status, headline numbers),
    the failed points' names and the wall time."""

    out: Path
    rows: list
    failed: list
    wall_time: float


def run_sweep(
    grid: Grid,
    out: str | Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    figures: bool = True,
    progress: bool = True,
    retries: int = 1,
    timeout: float = 10.0,
    log=lambda s: None,
) -> SweepResult:
    """Run every grid point of ``grid`` as a run directory under ``out`` on Dask and write
    the results table (``sweep.csv``, ``sweep.nc``); see the module docstring."""
    import time
    import uuid

    plan = plan_sweep(grid, out)
    client, cluster = connect(scheduler, workers, timeout=timeout)
    t0 = time.perf_counter()
    try:
        link = dashboard_link(client)
        if link:
            log(f"Dask dashboard: {link}")
        plan.out.mkdir(parents=True, exist_ok=True)
        write_description(plan)
        attempts = str(plan.out / ATTEMPTS_DIR)
        tag = uuid.uuid4().hex[:8]
        futures = [
            client.submit(
                run_point,
                cfg.to_dict(),
                str(d),
                attempts,
                figures,
                key=f"bayes-uat-run-{d.name}-{tag}",
                retries=retries,
            )
            for cfg, d in zip(plan.configs, plan.run_dirs)
        ]
        results = _collect(client, futures, plan, progress)
    finally:
        client.close()
        if cluster is not None:
            with _quiet_worker_exit():
                cluster.close()
    rows = [
        dict(point, name=d.name, **r) for point, d, r in zip(plan.points, plan.run_dirs, results)
    ]
    write_table(plan, rows)
    if figures and any(r["status"] != "failed" for r in rows):
        write_figure(plan.out)
    failed = [r["name"] for r in rows if r["status"] == "failed"]
    return SweepResult(plan.out, rows, failed, time.perf_counter() - t0)


class _SlowExitFilter:
    """Drops the nanny's "Worker process still alive after 4.0 seconds, killing" at the
    local cluster's shutdown: every result is in by then, and a JAX worker process on a
    busy machine can take longer than distributed's 4 s to exit."""

    @staticmethod
    def filter(record) -> bool:
        return "still alive after" not in record.getMessage()


@contextmanager
def _quiet_worker_exit():
    import logging

    log = logging.getLogger("distributed.nanny")
    log.addFilter(_SlowExitFilter)
    try:
        yield
    finally:
        log.removeFilter(_SlowExitFilter)


def write_figure(out: str | Path) -> list[Path]:
    """The sweep's figure (:func:`bayes_uat.plots.sweep_grid`) as ``OUT/sweep.png`` and
    ``OUT/sweep.pdf``, from its results table."""
    from . import plots

    return plots.save(plots.sweep_grid(out), Path(out) / "sweep")


def _collect(client, futures: list, plan: Plan, progress: bool) -> list[dict]:
    """Wait for every task, with a bar over runs (done / running / failed); a task Dask
    gave up on (its workers kept dying) becomes a failed row with the reason."""
    import time

    from tqdm.auto import tqdm

    results: list = [None] * len(futures)
    pending = dict(enumerate(futures))
    failed, shown = 0, None
    with tqdm(total=len(futures), unit="run", desc="sweep", disable=not progress) as bar:
        while pending:
            for i, f in list(pending.items()):
                if not f.done():
                    continue
                del pending[i]
                results[i] = _result(f, plan.run_dirs[i])
                failed += results[i]["status"] == "failed"
                bar.update(1)
            state = (_running(client, pending.values()), failed)
            if state != shown:  # redraw on change only: quiet in log files
                shown = state
                bar.set_postfix(running=state[0], failed=failed)
            if pending:
                time.sleep(0.25)
    return results


def _running(client, futures) -> int:
    """Tasks of ours that a worker is executing now (a worker also holds queued ones)."""
    keys = {f.key for f in futures}
    if not keys:
        return 0
    try:
        threads = client.nthreads()
        return sum(
            min(threads.get(w, 1), len(keys.intersection(ks)))
            for w, ks in client.processing().items()
        )
    except Exception:  # progress is best effort; a scheduler hiccup is not an error
        return 0


def _result(future, run_dir: Path) -> dict:
    try:
        return future.result()
    except Exception as e:  # the task never returned: e.g. KilledWorker
        msg = f"{type(e).__name__}: {e}"
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / ERROR_FILE).write_text(msg + "\n")
        return {"status": "failed", "error": msg}
