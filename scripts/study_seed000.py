"""Seed 000's notebook: one hidden layer of 5, 50 and 500 ReLU units fitted to a wiggly
curve, animated while training; and which sub-functions the 5-unit network adds up, with
their posterior uncertainty.

    python scripts/study_seed000.py [--quick] [--figures figures]

Writes figures/seed000_training.gif, figures/seed000_snapshots.png/.pdf,
figures/seed000_units.png/.pdf and the numbers into figures/seed000.json.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from _study import parse_args, write_numbers


def settings(quick: bool) -> dict:
    if quick:
        return dict(
            study=dict(units=(5, 50), steps=60, snapshots=6),
            posterior=dict(warmup=30, draws=30, sgd_steps=200, sgd_restarts=2),
        )
    return dict(
        study=dict(units=(5, 50, 500), steps=3000, snapshots=30, learning_rate=0.01),
        posterior=dict(
            warmup=300,
            draws=300,
            max_tree_depth=8,
            sgd_steps=3000,
            sgd_restarts=8,
            learning_rate=0.01,
        ),
    )


def main(argv=None) -> int:
    args = parse_args(__doc__, argv, host_devices=2)

    from bayes_uat import plots, studies
    from bayes_uat.records import versions
    from bayes_uat.studies import plots as study_plots

    t_start = time.perf_counter()
    cfg = settings(args.quick)
    out = Path(args.figures)
    res = studies.seed000_study(log=print, **cfg["study"])
    gif = study_plots.training_animation(
        res.histories, res.data, out / "seed000_training.gif", fps=6, dpi=140
    )
    plots.save(study_plots.training_snapshots(res.histories, res.data), out / "seed000_snapshots")
    # which sub-functions build the 5-unit fit: its posterior, units in canonical order
    (pt,) = studies.unit_sweep(
        data=res.data,
        units=(5,),
        activation="relu",
        extrapolate=1.0,
        keep_runs=True,
        loo=False,
        log=print,
        **cfg["posterior"],
    )
    plots.save(plots.units(pt.run), out / "seed000_units")
    from bayes_uat import to_canonical
    from bayes_uat.symmetry import unit_table

    can = to_canonical(pt.run.posterior, pt.run.samples.flat())
    tab = unit_table(pt.run.posterior.net, can)
    net_eq = pt.run.posterior.net.equation(
        pt.run.posterior.net_params(to_canonical(pt.run.posterior, pt.run.samples.map_theta)),
        digits=2,
    )
    numbers = dict(
        quick=args.quick,
        settings=cfg,
        **res.numbers,
        gif=gif.name,
        units_posterior=dict(
            sgd_equation=pt.equation,
            map_equation_canonical=net_eq,
            kinks_median=[float(v) for v in _nanmedian(tab["t"])],
            slopes_median=[float(v) for v in _nanmedian(tab["slope"])],
            residual_sgd=pt.residual_sgd,
            residual_median=pt.residual_median,
            sampler=pt.sampler,
        ),
        wall_time=time.perf_counter() - t_start,
        versions=versions(),
    )
    write_numbers(out / "seed000.json", numbers)
    print(f"seed000: {numbers['wall_time']:.0f} s; figures in {out}/seed000_*")
    return 0


def _nanmedian(a):
    import warnings

    import numpy as np

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(a, axis=0)


if __name__ == "__main__":
    sys.exit(main())
