"""Time and memory of ``load_dataset`` on a CSV of x, y rows; results for docs/data_loading.md.

    python benchmarks/load_csv.py [--rows 1000000 3000000] [--reps 3] [--tree DIR]

Each load runs in a fresh process (imports done before the clock starts); wall and CPU time
of the load; the memory is the process's peak resident size during the load minus its size
just before it. ``--tree`` loads
with another checkout's ``bayes_uat`` (e.g. an older version, for comparison).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import json, resource, sys, time
from bayes_uat.data import load_dataset

def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()

before = rss()
t0, c0 = time.perf_counter(), time.process_time()
d = load_dataset(sys.argv[1])
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps(dict(wall=wall, cpu=cpu, peak=peak - before, n=d.n)))
"""


def write_csv(path: Path, rows: int) -> None:
    """x on [−5, 5], y = x² + noise, written as ``x,y`` with full float precision."""
    rng = np.random.default_rng(0)
    x = np.linspace(-5, 5, rows)
    y = x**2 + 0.5 * rng.uniform(size=rows)
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", header="x,y", comments="")


def measure(path: Path, tree: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 3_000_000])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--tree", type=Path, default=ROOT)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            path = Path(tmp) / f"rows{rows}.csv"
            write_csv(path, rows)
            runs = [measure(path, args.tree) for _ in range(args.reps)]
            wall = statistics.median(r["wall"] for r in runs)
            cpu = statistics.median(r["cpu"] for r in runs)
            peak = statistics.median(r["peak"] for r in runs)
            per_m = 1e6 / rows
            print(
                f"{rows:>10,} rows ({path.stat().st_size / 1e6:.0f} MB), median of {args.reps}: "
                f"wall {wall:.2f} s, CPU {cpu:.2f} s, peak +{peak / 1e6:.0f} MB; per million "
                f"rows {wall * per_m:.2f} s wall, {cpu * per_m:.2f} s CPU, "
                f"{peak * per_m / 1e6:.0f} MB"
            )


if __name__ == "__main__":
    main()
