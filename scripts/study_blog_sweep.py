"""The blog's sweeps (seed 003): x² and sin x fitted with N = 1, 2, 4, 8, 16 units of
sigmoid, softsign and ReLU, SGD against the posterior; plus a close-up of the x² N = 2
sigmoid posterior (units, modes, trace and rank plots; the units of each mode's MAP draw
when there are several modes).

    python scripts/study_blog_sweep.py [--quick] [--figures figures]

Writes figures/blog_sweep_*.png/.pdf and the numbers into figures/blog_sweep.json.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from _study import parse_args, write_numbers

TARGETS = ("x2", "sin")
ACTIVATIONS = ("sigmoid", "softsign", "relu")


def settings(quick: bool) -> dict:
    if quick:
        return dict(
            units=(1, 2),
            sweep=dict(warmup=30, draws=30, sgd_steps=200, sgd_restarts=2),
            close=dict(warmup=30, draws=30, chains=2),
            targets=("x2",),
            activations=("sigmoid", "relu"),
        )
    return dict(
        units=(1, 2, 4, 8, 16),
        sweep=dict(
            warmup=200,
            draws=200,
            max_tree_depth=7,
            sgd_steps=1000,
            sgd_restarts=8,
            learning_rate=0.1,
        ),
        close=dict(warmup=500, draws=500, chains=4),
        targets=TARGETS,
        activations=ACTIVATIONS,
    )


def main(argv=None) -> int:
    args = parse_args(__doc__, argv, host_devices=2)

    from bayes_uat import make_dataset, plots, studies
    from bayes_uat.modes import find_modes
    from bayes_uat.records import versions
    from bayes_uat.studies import plots as study_plots

    t_start = time.perf_counter()
    cfg = settings(args.quick)
    out = Path(args.figures)
    numbers = dict(quick=args.quick, settings={k: v for k, v in cfg.items()}, targets={})
    for target in cfg["targets"]:
        pts = []
        for act in cfg["activations"]:
            pts += studies.unit_sweep(
                target, cfg["units"], activation=act, log=print, **cfg["sweep"]
            )
        by_act = {a: [p for p in pts if p.activation == a] for a in cfg["activations"]}
        plots.save(study_plots.sweep(by_act["sigmoid"]), out / f"blog_sweep_{target}_sigmoid")
        plots.save(study_plots.activations(pts), out / f"blog_sweep_{target}_activations")
        numbers["targets"][target] = dict(
            points=[p.numbers() for p in pts],
            claims={a: studies.sweep_claims(v) for a, v in by_act.items()},
        )

    data = make_dataset("x2")
    numbers["n1_mean_check"] = {
        f"lr={lr}": studies.mean_predictor_check(
            data, learning_rate=lr, restarts=8 if args.quick else 32
        )
        for lr in (0.03, 0.1)
    }

    print("close-up: x² with N = 2 sigmoid units, chains from different SGD restarts")
    run = studies.mode_run("x2", 2, **cfg["close"])
    modes = find_modes(run.posterior, run.samples)
    print(modes)
    plots.save(plots.units(run), out / "blog_sweep_x2_N2_units")
    if len(modes) > 1:  # with one mode its MAP draw's units repeat the posterior's
        for m in modes:
            fig = plots.units(run, mode=m.index, modes=modes)
            plots.save(fig, out / f"blog_sweep_x2_N2_units_mode{m.index}")
    plots.save(plots.mode_map(run, modes), out / "blog_sweep_x2_N2_modes")
    plots.save(plots.trace(run), out / "blog_sweep_x2_N2_trace")
    plots.save(plots.trace(run, canonical=False), out / "blog_sweep_x2_N2_trace_raw")
    plots.save(plots.rank(run), out / "blog_sweep_x2_N2_rank")
    numbers["close_up"] = dict(
        modes=modes.to_dict(run.posterior.names),
        sampler=dict(run.samples.info, wall_time=run.samples.wall_time),
    )
    numbers["wall_time"] = time.perf_counter() - t_start
    numbers["versions"] = versions()
    write_numbers(out / "blog_sweep.json", numbers)
    print(f"blog_sweep: {numbers['wall_time']:.0f} s; figures in {out}/blog_sweep_*")
    return 0


if __name__ == "__main__":
    sys.exit(main())
