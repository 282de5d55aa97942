"""Regenerate every figure in figures/: run each study script (and the blog's x² study),
several at a time, each in its own process.

    python scripts/make_figures.py [--quick] [--jobs 2] [--skip blog_x2] [--only bump ...]
    python scripts/make_figures.py --scheduler tcp://host:8786   # each study a Dask task

Each script writes its figures and its numbers (figures/<study>.json); the wall time of
each script and of the whole run go to figures/timings/make_figures.json (not committed: it
changes on every run, as do the studies' own wall times in figures/timings/<study>.json).
The studies and their settings are described in docs/studies.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# longest first, so that the last ones to start are the short ones
STUDIES = {
    "blog_sweep": "study_blog_sweep.py",
    "how_many": "study_how_many.py",
    "spectral": "study_spectral.py",
    "blog_x2": "blog_x2.py",
    "seed000": "study_seed000.py",
    "seed000_wide": "study_wide.py",
    "sawtooth": "study_sawtooth.py",
    "bump": "study_bump.py",
    "numpyro_bnn": "numpyro_bnn.py",
    "classify": "study_classify.py",
}
_print_lock = threading.Lock()


def run_one(name: str, quick: bool, figures: Path) -> tuple[str, int, float]:
    cmd = [sys.executable, str(ROOT / "scripts" / STUDIES[name]), "--figures", str(figures)]
    if quick:
        cmd.append("--quick")
    t0 = time.perf_counter()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    ) as proc:
        for line in proc.stdout:
            with _print_lock:
                print(f"[{name}] {line}", end="", flush=True)
        rc = proc.wait()
    return name, rc, time.perf_counter() - t0


def run_remote(name: str, quick: bool, figures: str, root: str) -> tuple[str, int, float, str]:
    """One study as a Dask task: the script runs in a subprocess on the worker (which must
    see this checkout and the figures directory, e.g. on a shared file system)."""
    cmd = [sys.executable, str(Path(root) / "scripts" / STUDIES[name]), "--figures", figures]
    t0 = time.perf_counter()
    proc = subprocess.run(
        cmd + (["--quick"] if quick else []),
        cwd=root,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    return name, proc.returncode, time.perf_counter() - t0, proc.stdout + proc.stderr


def run_on_dask(
    names: list[str], quick: bool, figures: Path, scheduler: str, timeout: float = 10.0
) -> list:
    """Submit every study to the Dask scheduler at ``scheduler``; print each one's output
    as it finishes."""
    from distributed import as_completed

    sys.path.insert(0, str(ROOT))
    from bayes_uat.sweeps import connect

    client, _ = connect(scheduler, timeout=timeout)
    try:
        futures = [
            client.submit(run_remote, n, quick, str(figures.resolve()), str(ROOT), pure=False)
            for n in names
        ]
        done = {}
        for f in as_completed(futures):
            name, rc, wall, text = f.result()
            print("".join(f"[{name}] {line}\n" for line in text.splitlines()), end="", flush=True)
            done[name] = (name, rc, wall)
    finally:
        client.close()
    return [done[n] for n in names]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="every study with tiny settings")
    ap.add_argument("--jobs", type=int, default=2, help="studies run at once (default 2)")
    ap.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=list(STUDIES),
        help="leave a study out (repeatable)",
    )
    ap.add_argument(
        "--only",
        action="append",
        default=[],
        choices=list(STUDIES),
        help="run only these studies (repeatable)",
    )
    ap.add_argument("--figures", default=str(ROOT / "figures"))
    ap.add_argument(
        "--scheduler",
        help="run each study as a task on this Dask scheduler (tcp://host:8786) instead of "
        "--jobs local processes",
    )
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds to reach --scheduler")
    args = ap.parse_args(argv)
    if args.jobs < 1:
        ap.error("--jobs must be at least 1")
    names = [n for n in STUDIES if (not args.only or n in args.only) and n not in args.skip]
    figures = Path(args.figures)
    figures.mkdir(parents=True, exist_ok=True)
    where = f"on {args.scheduler}" if args.scheduler else f"{args.jobs} at a time"
    print(f"running {', '.join(names)} ({where})", flush=True)
    t0 = time.perf_counter()
    if args.scheduler:
        try:
            results = run_on_dask(names, args.quick, figures, args.scheduler, args.timeout)
        except ValueError as e:
            ap.error(str(e))
    else:
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(lambda n: run_one(n, args.quick, figures), names))
    total = time.perf_counter() - t0
    print("\nstudy        status  wall time")
    for name, rc, wall in results:
        print(f"{name:<12} {'ok' if rc == 0 else f'rc={rc}':<7} {wall:7.1f} s")
    print(f"{'all':<12} {'':<7} {total:7.1f} s")

    sys.path.insert(0, str(ROOT))
    from bayes_uat.records import versions, write_json

    # wall times change on every run: kept out of git (figures/timings/ is ignored)
    write_json(
        figures / "timings" / "make_figures.json",
        dict(
            quick=args.quick,
            jobs=args.jobs,
            scheduler=args.scheduler,
            cpu_count=os.cpu_count(),
            total_wall_time=total,
            studies={n: dict(rc=rc, wall_time=w) for n, rc, w in results},
            versions=versions(),
        ),
    )
    return 0 if all(rc == 0 for _, rc, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
