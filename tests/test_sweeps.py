"""``bayes-uat sweep``: grid files, bad input, the results table and figure, and a real
Dask cluster with a worker killed mid-run."""

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from bayes_uat.cli import main
from bayes_uat.config import RunConfig
from bayes_uat.records import load_run
from bayes_uat.rundir import LOCK
from bayes_uat.runner import CHECKPOINT
from bayes_uat.sweep_table import NUMBERS, read_table, table_text, write_table
from bayes_uat.sweeps import (
    ERROR_FILE,
    Grid,
    _release_own_stale_lock,
    connect,
    load_grid,
    plan_sweep,
    point_name,
    run_point,
    run_sweep,
    worker_env,
    write_description,
)

# A tiny run: one sigmoid unit (5 parameters with the inferred noise), the JAX ensemble,
# checkpoints every 100 draws.
BASE = dict(
    target="x2",
    n=30,
    units=1,
    sampler="ensemble",
    chains=10,
    warmup=20,
    draws=2000,
    chunk_size=100,
    sgd_steps=30,
    sgd_restarts=1,
)


def _toml(d: dict) -> str:
    return "".join(f"{k} = {json.dumps(v)}\n" for k, v in d.items())


def _grid_file(tmp_path, base=None, grid="seed = [0, 1]\n"):
    path = tmp_path / "grid.toml"
    path.write_text(_toml(BASE if base is None else base) + "\n[grid]\n" + grid)
    return path


# -- grid files and bad input ---------------------------------------------------------------
def test_grid_points_and_names(tmp_path):
    grid = load_grid(
        _grid_file(tmp_path, grid='units = [1, [8, 8]]\ntarget = ["x2", "sin(3*x)"]\n')
    )
    assert grid.base == BASE  # the axes override units and target
    points = grid.points()
    assert points[1] == {"units": 1, "target": "sin(3*x)"}  # first axis varies slowest
    assert [point_name(p) for p in points] == [
        "units=1,target=x2",
        "units=1,target=sin_3_x_",
        "units=8-8,target=x2",
        "units=8-8,target=sin_3_x_",
    ]
    assert grid.config(points[2]).units == [8, 8]


@pytest.mark.parametrize(
    "grid, message",
    [
        ("colour = [1, 2]\n", "grid key 'colour' is not a run setting"),
        ("seed = []\n", "grid key 'seed' has an empty list"),
        ("seed = 3\n", "grid key 'seed': expected a list"),
        ("seed = [1, 1]\n", "repeats a value"),
    ],
)
def test_bad_grid_is_refused_naming_the_key(tmp_path, grid, message):
    with pytest.raises(ValueError, match=message):
        load_grid(_grid_file(tmp_path, grid=grid))


def test_grid_file_without_grid_table(tmp_path):
    path = tmp_path / "g.toml"
    path.write_text(_toml(BASE))
    with pytest.raises(ValueError, match=r"no \[grid\] table"):
        load_grid(path)
    with pytest.raises(FileNotFoundError, match="is a directory"):
        load_grid(tmp_path)


@pytest.mark.parametrize(
    "grid, point, message",
    [
        ('activation = ["tanh", "nope"]\n', "activation=nope", "unknown value 'nope'"),
        ("units = [1, 3]\n", "units=3", "at least 2·dim = 22"),
        ("draws = [10, 0]\n", "draws=0", "draws must be an integer >= 1, got 0"),
    ],
)
def test_a_bad_value_is_reported_before_anything_starts(tmp_path, capsys, grid, point, message):
    base = {k: v for k, v in BASE.items() if k not in grid}
    out = tmp_path / "sweep"
    rc = main(["sweep", str(_grid_file(tmp_path, base=base, grid=grid)), "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    assert f"bayes-uat: error: grid point {point}" in err and message in err
    assert not out.exists()


def test_unreachable_scheduler_is_a_clear_error_not_a_hang(tmp_path, capsys):
    out = tmp_path / "sweep"
    t0 = time.perf_counter()
    rc = main(
        [
            "sweep",
            str(_grid_file(tmp_path)),
            "--out",
            str(out),
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--timeout",
            "2",
        ]
    )
    elapsed = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert rc == 2 and "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'" in err
    assert elapsed < 60, "the CLI hung on an unreachable scheduler"  # guard, not a benchmark
    assert not out.exists()
    with pytest.raises(ValueError, match="--workers applies to the local cluster only"):
        connect("tcp://127.0.0.1:9", workers=2)
    with pytest.raises(ValueError, match="--workers must be a positive integer, got 0"):
        connect(None, workers=0)


def test_a_directory_of_another_sweep_or_of_other_files_is_refused(tmp_path):
    out = tmp_path / "sweep"
    write_description(plan_sweep(load_grid(_grid_file(tmp_path)), out))
    other = load_grid(_grid_file(tmp_path, base={**BASE, "draws": 3000}))
    with pytest.raises(ValueError, match=r"another sweep's runs.*differs in \['draws'\]"):
        plan_sweep(other, out)
    # the same base with a larger grid extends the sweep
    plan_sweep(load_grid(_grid_file(tmp_path, grid="seed = [0, 1, 2]\n")), out)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my own file")
    with pytest.raises(ValueError, match="not empty and is not a sweep directory"):
        plan_sweep(other, mine)


def test_worker_env_pins_threads():
    env = worker_env(1)
    assert env["OMP_NUM_THREADS"] == "1" and env["OPENBLAS_NUM_THREADS"] == "1"
    flags = env["XLA_FLAGS"].split()
    assert "--xla_cpu_multi_thread_eigen=false" in flags
    assert "--xla_force_host_platform_device_count=1" in flags
    assert sum(f.startswith("--xla_force_host_platform") for f in flags) == 1


# -- one task, without Dask -----------------------------------------------------------------
def test_a_failing_run_is_recorded_with_its_error(tmp_path):
    base = {k: v for k, v in BASE.items() if k != "n"}
    cfg = RunConfig(**{**base, "data": str(tmp_path / "gone.csv")})
    row = run_point(cfg.to_dict(), str(tmp_path / "p"), str(tmp_path / ".attempts"), False)
    assert row["status"] == "failed" and "gone.csv" in row["error"]
    text = (tmp_path / "p" / ERROR_FILE).read_text()
    assert "Traceback" in text and "gone.csv" in text


def test_only_a_lock_of_the_previous_attempt_is_taken_over(tmp_path):
    run_dir, attempts = tmp_path / "p", tmp_path / ".attempts"
    run_dir.mkdir()
    attempts.mkdir()
    (attempts / "p.json").write_text(json.dumps({"host": "node7", "pid": 4242}))
    lock = run_dir / LOCK
    lock.write_text(json.dumps({"pid": 4243, "host": "node7", "time": 1.0}))
    _release_own_stale_lock(run_dir, attempts)
    assert lock.exists()  # another holder's lock is left to the runner
    (attempts / "p.json").write_text(json.dumps({"host": "node7", "pid": 4243}))
    _release_own_stale_lock(run_dir, attempts)
    assert not lock.exists()
    assert json.loads((attempts / "p.json").read_text())["pid"] == os.getpid()


# -- the table and the figure ---------------------------------------------------------------
def _fake_sweep(tmp_path):
    base = {k: v for k, v in BASE.items() if k != "chains"}  # default 4·dim walkers
    grid = Grid(base=base, axes={"units": [1, 2, 4], "activation": ["tanh", "relu"]})
    out = tmp_path / "fake"
    plan = plan_sweep(grid, out)
    out.mkdir()
    write_description(plan)
    rows = []
    for i, point in enumerate(plan.points):
        r = dict(point, name=point_name(point), status="done", error="")
        r.update({k: float(i + j) for j, k in enumerate(NUMBERS)})
        r["log_evidence"] = math.nan
        r["sgd_loss"] = 350.0 * 10**i  # losses span decades: a log axis
        rows.append(r)
    rows[-1] = dict(plan.points[-1], name=point_name(plan.points[-1]), status="failed")
    rows[-1]["error"] = "ValueError: boom"
    write_table(plan, rows)
    return out, rows


def test_table_csv_netcdf_and_show(tmp_path, capsys):
    out, rows = _fake_sweep(tmp_path)
    ds = xr.open_dataset(out / "sweep.nc", engine="h5netcdf").load()
    assert dict(ds.sizes) == {"units": 3, "activation": 2}
    assert list(ds.units.values) == [1, 2, 4] and list(ds.activation.values) == ["tanh", "relu"]
    assert ds.elpd_loo.sel(units=2, activation="relu") == rows[3]["elpd_loo"]
    assert np.isnan(ds.elpd_loo.sel(units=4, activation="relu"))
    assert ds.status.sel(units=4, activation="relu") == "failed"
    back = read_table(out)
    assert [r["name"] for r in back] == [r["name"] for r in rows]
    assert back[0]["rhat"] == rows[0]["rhat"] and math.isnan(back[0]["log_evidence"])
    assert main(["show", str(out)]) == 0
    shown = capsys.readouterr().out
    assert shown.splitlines()[0].split()[:3] == ["units", "activation", "status"]
    assert "1 run(s) failed:" in shown and "units=4,activation=relu: ValueError: boom" in shown
    assert shown == table_text(out) + "\n"


def test_sweep_figure_has_a_line_per_other_axis_and_the_numbers(tmp_path):
    from bayes_uat import plots
    from bayes_uat.checks import RHAT_MAX
    from bayes_uat.sweeps import write_figure

    out, rows = _fake_sweep(tmp_path)
    fig = plots.sweep(out)
    axes = fig.axes
    titles = [ax.get_title() for ax in axes]
    # no SMC in this sweep: no log-evidence panel, and no empty one
    assert titles == [
        "best SGD loss (log scale)",
        "MAP log-posterior",
        "elpd$_{\\mathrm{LOO}}$ ± SE",
        "max $\\hat{R}$ (canonical θ)",
        "sampling wall time (s)",
    ]
    assert not any(t.get_text() == "not in this sweep" for ax in axes for t in ax.texts)
    assert axes[0].get_yscale() == "log"
    ax = axes[1]
    assert len(ax.lines) == 2  # one per activation
    x, y = ax.lines[0].get_data()
    assert list(x) == [1, 2, 4]
    assert list(y) == [r["map_log_posterior"] for r in rows if r["activation"] == "tanh"]
    fig.canvas.draw()
    for a in axes:  # a tick at each grid value and nowhere else: no 1.25 units
        assert list(a.get_xticks()) == [1, 2, 4]
        if a.get_xlabel():
            assert [t.get_text() for t in a.get_xticklabels()] == ["1", "2", "4"]
    rhat_lines = [ln for ln in axes[3].lines if len(set(ln.get_ydata())) == 1]
    assert [ln.get_ydata()[0] for ln in rhat_lines] == [RHAT_MAX]  # the warnings' threshold
    assert [a.get_xlabel() for a in axes] == ["", "", "units", "units", "units"]
    assert "(1 failed)" in fig._suptitle.get_text()
    plt_close(fig)
    paths = write_figure(out)  # what `bayes-uat sweep` writes
    assert [p.name for p in paths] == ["sweep.png", "sweep.pdf"]
    assert paths[0].stat().st_size > 10_000
    with pytest.raises(FileNotFoundError, match="pass a sweep directory"):
        plots.sweep_grid(tmp_path)


def plt_close(fig) -> None:
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_no_dashboard_link_without_bokeh_on_the_scheduler(monkeypatch):
    """A scheduler lists its HTTP server as "dashboard" even without bokeh, which serves
    no dashboard: no link is printed then."""
    from bayes_uat.sweeps import dashboard_link

    class Client:
        dashboard_link = "http://127.0.0.1:8787/status"

        def scheduler_info(self):
            return {"services": {"dashboard": 8787}}

        def run_on_scheduler(self, f):
            return f()  # this process stands in for the scheduler's

    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None)
    assert dashboard_link(Client()) is None
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: object())
    assert dashboard_link(Client()) == Client.dashboard_link


def test_worker_slow_exit_at_shutdown_is_not_reported(caplog):
    import logging

    from bayes_uat.sweeps import _quiet_worker_exit

    log = logging.getLogger("distributed.nanny")
    with caplog.at_level(logging.WARNING, logger="distributed.nanny"):
        with _quiet_worker_exit():
            log.warning("Worker process still alive after 4.0 seconds, killing")
            log.warning("something else")
        log.warning("Worker process still alive after 4.0 seconds, killing")
    assert [r.getMessage() for r in caplog.records] == [
        "something else",
        "Worker process still alive after 4.0 seconds, killing",
    ]


# -- a real cluster -------------------------------------------------------------------------
def _kill_worker_of_a_checkpointed_run(client, out, stop):
    """Wait until some run has a checkpoint, then SIGKILL the worker process running it."""
    pids = client.run(os.getpid)
    while not stop.is_set():
        for run_dir in out.glob("seed=*"):
            if (run_dir / CHECKPOINT).is_file():
                for worker, keys in client.processing().items():
                    if any(run_dir.name in str(k) for k in keys):
                        os.kill(pids[worker], signal.SIGKILL)
                        return run_dir
        time.sleep(0.05)
    return None


@pytest.mark.slow
def test_killed_worker_sweep_completes_with_identical_draws(tmp_path, capsys):
    """Two worker processes; one is killed mid-run; every grid point still finishes, with
    the draws a run alone gives; a rerun skips them, and a run that fails there is listed."""
    from distributed import Client, LocalCluster

    short = {**BASE, "draws": 400, "chunk_size": 50}  # fixed costs dominate: keep it short
    grid_file = _grid_file(tmp_path, base=short)
    grid = load_grid(grid_file)
    out = tmp_path / "sweep"
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env=worker_env(1),
        ) as cluster,
        Client(cluster) as client,
    ):
        stop, killed = threading.Event(), []
        killer = threading.Thread(
            target=lambda: killed.append(_kill_worker_of_a_checkpointed_run(client, out, stop))
        )
        killer.start()
        try:
            res = run_sweep(
                grid, out, scheduler=cluster.scheduler_address, figures=False, progress=False
            )
        finally:
            stop.set()
            killer.join()
    assert killed[0] is not None, "no worker was killed: the runs finished too fast"
    assert res.failed == [] and [r["status"] for r in res.rows].count("failed") == 0
    assert {r["name"]: r["status"] for r in res.rows}[killed[0].name] == "resumed"
    # the same runs alone, in one process with a worker's XLA thread settings (XLA's
    # single-threaded and multi-threaded CPU kernels differ in the last digits)
    alone = tmp_path / "alone"
    code = (
        "import json, sys\n"
        "from bayes_uat.config import RunConfig\n"
        "from bayes_uat.runner import execute\n"
        "for name, cfg in json.loads(sys.argv[1]).items():\n"
        f"    execute(RunConfig(**cfg), {str(alone)!r} + '/' + name, progress=False,"
        " figures=False)\n"
    )
    cfgs = {row["name"]: grid.config(p).to_dict() for p, row in zip(grid.points(), res.rows)}
    subprocess.run(
        [sys.executable, "-c", code, json.dumps(cfgs)],
        env={**os.environ, **worker_env(1)},
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    for row in res.rows:
        swept, reference = load_run(out / row["name"]), load_run(alone / row["name"])
        np.testing.assert_array_equal(swept.samples.theta, reference.samples.theta)
        assert not (out / row["name"] / CHECKPOINT).exists()
    # a rerun skips every finished run; a run whose record is broken fails alone, listed
    broken = out / res.rows[1]["name"]
    (broken / "posterior.nc").unlink()
    (broken / CHECKPOINT).write_bytes(b"not a checkpoint")
    rc = main(
        [
            "sweep",
            str(grid_file),
            "--out",
            str(out),
            "--workers",
            "1",
            "--quiet",
        ]
    )
    captured = capsys.readouterr()
    assert rc == 1
    assert (out / "sweep.png").is_file() and (out / "sweep.pdf").is_file()
    assert "distributed.nanny" not in captured.err and "dashboard" not in captured.err
    assert f"1 run(s) failed: {broken.name}" in captured.err
    rows = read_table(out)
    assert [r["status"] for r in rows] == ["skipped", "failed"]
    assert (broken / ERROR_FILE).is_file() and rows[1]["error"]
    assert f"{broken.name}: " in captured.out


def test_make_figures_on_an_unreachable_scheduler_exits_with_the_reason(tmp_path, capsys):
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "make_figures.py"
    spec = importlib.util.spec_from_file_location("make_figures", script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    argv = ["--scheduler", "tcp://127.0.0.1:9", "--timeout", "1", "--only", "bump"]
    with pytest.raises(SystemExit) as exc:
        mod.main([*argv, "--figures", str(tmp_path / "figs")])
    assert exc.value.code == 2
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'" in capsys.readouterr().err
