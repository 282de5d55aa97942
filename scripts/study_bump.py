"""Seed 001's square bump: ReLU networks against polynomial and Fourier least-squares fits
with equal parameter counts, inside and outside the data range.

    python scripts/study_bump.py [--quick] [--figures figures]

Writes figures/bump.png/.pdf and the numbers into figures/bump.json.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from _study import parse_args, write_numbers


def settings(quick: bool) -> dict:
    if quick:
        return dict(units=(2, 4), restarts=2, steps=200, example_units=4)
    return dict(
        units=(2, 4, 6, 8, 12, 16, 24, 32),
        restarts=8,
        steps=3000,
        learning_rate=0.02,
        example_units=4,
    )


def main(argv=None) -> int:
    args = parse_args(__doc__, argv)

    from bayes_uat import plots, studies
    from bayes_uat.records import versions
    from bayes_uat.studies import plots as study_plots

    t_start = time.perf_counter()
    cfg = settings(args.quick)
    out = Path(args.figures)
    res = studies.bump_study(log=print, **cfg)
    plots.save(study_plots.approximation(res), out / "bump")
    for name, p in res.numbers["params_to_threshold"].items():
        print(f"{name}: RMSE < {res.threshold} inside the data range from P = {p}")
    numbers = dict(
        quick=args.quick,
        settings=cfg,
        **res.numbers,
        wall_time=time.perf_counter() - t_start,
        versions=versions(),
    )
    write_numbers(out / "bump.json", numbers)
    print(f"bump: {numbers['wall_time']:.0f} s; figures in {out}/bump.*")
    return 0


if __name__ == "__main__":
    sys.exit(main())
