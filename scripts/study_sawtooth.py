"""Seed 001's depth separation on a sawtooth: deep-narrow against shallow-wide ReLU
networks with equal parameter counts, trained with Adam, and the exact deep construction.

    python scripts/study_sawtooth.py [--quick] [--figures figures]

Writes figures/sawtooth.png/.pdf and the numbers into figures/sawtooth.json.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from _study import parse_args, write_numbers


def settings(quick: bool) -> dict:
    if quick:
        return dict(pairs=((4, (2, 2)), (6, (2, 2, 2))), restarts=2, steps=200)
    return dict(restarts=32, steps=8000, learning_rate=0.01)


def main(argv=None) -> int:
    args = parse_args(__doc__, argv)

    from bayes_uat import plots, studies
    from bayes_uat.records import versions
    from bayes_uat.studies import plots as study_plots

    t_start = time.perf_counter()
    cfg = settings(args.quick)
    out = Path(args.figures)
    res = studies.sawtooth_study(log=print, **cfg)
    plots.save(study_plots.approximation(res), out / "sawtooth")
    ex = res.numbers["exact_construction"]
    print(f"exact deep (2,2,2), {ex['params']} parameters: RMSE {ex['rmse_in']:.2g}")
    numbers = dict(
        quick=args.quick,
        settings=dict(cfg, pairs=cfg.get("pairs", studies.SAWTOOTH_PAIRS)),
        **res.numbers,
        wall_time=time.perf_counter() - t_start,
        versions=versions(),
    )
    write_numbers(out / "sawtooth.json", numbers)
    print(f"sawtooth: {numbers['wall_time']:.0f} s; figures in {out}/sawtooth.*")
    return 0


if __name__ == "__main__":
    sys.exit(main())
