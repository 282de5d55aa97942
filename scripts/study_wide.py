"""Seed 000 at scale: posteriors of 5 to 512 relu units beside their infinite-width GP.

    python scripts/study_wide.py [--quick] [--figures figures]     # every run, then figures
    python scripts/study_wide.py --list                              # the runs and their keys
    python scripts/study_wide.py --run KEY [--run KEY ...]           # some runs only

Each run (one width, data size, sampler and chain setting: :data:`RUNS`) writes its numbers
and curves to figures/seed000_wide/<key>.json and is skipped when that file exists with the
same settings, so an interrupted study loses at most the run in flight. Then
figures/seed000_wide.png (bands at N = 5, 50, 500 beside the GP's; the distance against N)
and figures/seed000_posterior.gif (function draws as the tempering λ goes 0 → 1, 5 and 500
units) are drawn and the table goes to figures/seed000_wide.json. Settings and results:
docs/studies.md §6.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FULL = dict(chains=2, warmup=500, draws=500)

# key: settings of bayes_uat.studies.wide.wide_point
RUNS = {
    **{f"nuts_N{N}": dict(units=N, sampler="nuts", **FULL) for N in (5, 16, 64, 128, 50, 512)},
    "nuts_N16_n30": dict(units=16, n=30, sampler="nuts", **FULL),
    "nuts_N16_seed1": dict(units=16, sampler="nuts", seed=1, chains=2, warmup=1000, draws=1000),
}
QUICK = {
    "nuts_N5": dict(units=5, sampler="nuts", chains=2, warmup=20, draws=20, sgd_steps=100),
    "nuts_N16": dict(units=16, sampler="nuts", chains=2, warmup=20, draws=20, sgd_steps=100),
}
BANDS = (5, 50, 512)  # the panels of the band figure


def parse(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny settings (a smoke test)")
    ap.add_argument("--figures", default=str(ROOT / "figures"))
    ap.add_argument("--run", action="append", default=[], help="run only these keys")
    ap.add_argument("--list", action="store_true", help="print the runs' keys and settings")
    ap.add_argument("--no-gif", action="store_true", help="skip the tempering animation")
    args = ap.parse_args(argv)
    runs = QUICK if args.quick else RUNS
    bad = sorted(set(args.run) - set(runs))
    if bad:
        ap.error(f"unknown run key(s) {bad}; --list shows them")
    return args, runs


def run_one(key: str, settings: dict, out: Path) -> dict:
    from bayes_uat.records import write_json
    from bayes_uat.studies.wide import wide_point

    path = out / f"{key}.json"
    if path.is_file():
        old = json.loads(path.read_text())
        if old.get("settings") == settings:
            print(f"{key}: recorded, skipped")
            return old
    res = wide_point(**settings, log=print)
    res["settings"] = settings
    write_json(path, res)
    return res


def main(argv=None) -> int:
    args, runs = parse(argv)
    if args.list:
        for k, v in runs.items():
            print(k, v)
        return 0
    from bayes_uat import runtime

    runtime.set_host_device_count(2)
    runtime.enable_compilation_cache()
    runtime.enable_x64()
    t0 = time.perf_counter()
    fig_dir = Path(args.figures)
    out = fig_dir / ("seed000_wide_quick" if args.quick else "seed000_wide")
    out.mkdir(parents=True, exist_ok=True)
    keys = args.run or list(runs)
    results = {k: run_one(k, runs[k], out) for k in keys}
    if args.run:
        return 0
    from bayes_uat.studies.plots.wide import distance_table, tempering_animation, wide_figure

    from bayes_uat import plots

    bands = (5, 16) if args.quick else BANDS
    plots.save(wide_figure(results, bands=bands), fig_dir / "seed000_wide")
    numbers = dict(quick=args.quick, runs=distance_table(results))
    if not args.no_gif:
        gif, info = tempering_animation(fig_dir / "seed000_posterior.gif", quick=args.quick)
        numbers["animation"] = info
    numbers["wall_time"] = time.perf_counter() - t0
    sys.path.insert(0, str(ROOT / "scripts"))
    from _study import write_numbers

    write_numbers(fig_dir / "seed000_wide.json", numbers)
    print(f"seed000_wide: {numbers['wall_time']:.0f} s; figures in {fig_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
