"""Sweep scaling: the same 8-run grid on 1 and 2 local Dask workers.

    python benchmarks/sweep_scaling.py [--workers 1 2] [--out runs/bench_sweep]

For each worker count: a fresh LocalCluster (start-up timed), the grid through
:func:`bayes_uat.sweeps.run_sweep`, the sweep's wall time, and per run the task time (the
whole run inside its worker: imports on first use, compilation, SGD, sampling, summary,
record) against the sampling time, and the engine overhead (wall time of the sweep minus
the task times, per run and per worker).  Results: benchmarks/sweep_scaling.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BAYES_UAT_JAX_CACHE", "")  # every run compiles: the uncached cost

BASE = dict(
    target="x2",
    n=30,
    units=1,
    sampler="ensemble",
    chains=8,
    warmup=20,
    draws=400,
    sgd_steps=30,
    sgd_restarts=1,
)
SEEDS = list(range(8))


def measure(workers: int, out: Path) -> dict:
    import numpy as np

    from bayes_uat.sweeps import Grid, connect, run_sweep

    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    client, cluster = connect(None, workers, dashboard_address=None)
    client.run(lambda: __import__("bayes_uat"))  # worker start-up and the package import
    startup = time.perf_counter() - t0
    try:
        res = run_sweep(
            Grid(base=BASE, axes={"seed": SEEDS}),
            out,
            scheduler=cluster.scheduler_address,
            figures=False,
            progress=False,
        )
    finally:
        client.close()
        cluster.close()
    task = np.array([r["task_time"] for r in res.rows])
    sampling = np.array([r["wall_time"] for r in res.rows])
    busy = task.sum() / workers
    return dict(
        workers=workers,
        runs=len(res.rows),
        failed=len(res.failed),
        cluster_startup=startup,
        sweep_wall=res.wall_time,
        median_task_time=float(np.median(task)),
        median_sampling_time=float(np.median(sampling)),
        engine_overhead_per_run=(res.wall_time - busy) * workers / len(res.rows),
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--out", default=str(ROOT / "runs" / "bench_sweep"))
    args = ap.parse_args(argv)
    results = [measure(w, Path(args.out) / f"w{w}") for w in args.workers]
    for r in results:
        print(json.dumps(r))
    if len(results) > 1:
        print(f"wall-time ratio {results[0]['sweep_wall'] / results[-1]['sweep_wall']:.2f}")
    record = dict(
        base=BASE,
        seeds=SEEDS,
        cpu_count=os.cpu_count(),
        load_average=os.getloadavg(),
        results=results,
    )
    (ROOT / "benchmarks" / "sweep_scaling.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
