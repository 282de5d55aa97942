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
    "nuts_N512_gpstart": dict(units=512, sampler="nuts", init="gp", **FULL),
    # NUTS on the hidden layer, the output layer integrated out (bayes_uat.wide.sample_collapsed)
    **{f"collapsed_N{N}": dict(units=N, sampler="nuts", collapsed=True, **FULL) for N in (16, 512)},
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
    ap.add_argument("--gif-only", action="store_true", help="only the tempering animation")
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


def importance_runs(quick: bool, out: Path) -> dict:
    """Tempered importance sampling over hidden units (output layer exact) at λ = 1 for
    each width, two seeds: its distance to the GP and the weights' ESS."""
    import numpy as np

    from bayes_uat.records import write_json
    from bayes_uat.studies.wide import feature_importance, wide_data
    from bayes_uat.wide import neal_posterior, nngp_band

    path = out / "importance.json"
    widths, particles = ((5, 16), 100) if quick else ((5, 16, 64, 128, 512), 1000)
    settings = dict(widths=list(widths), particles=particles, seeds=[0, 1], n=120)
    if path.is_file():
        old = json.loads(path.read_text())
        if old.get("settings") == settings:
            return old
    rows, dist = [], {}
    for N in widths:
        post = neal_posterior(wide_data(120), N)
        ds = []
        for seed in settings["seeds"]:
            r = feature_importance(post, [1.0], particles=particles, seed=seed)
            lo, gm, hi = nngp_band(post, np.asarray(r["grid"]))
            band = float(np.mean(hi - lo))
            st = r["steps"][0]
            m = np.asarray(st["mean"])
            row = dict(
                units=N,
                seed=seed,
                ess=st["ess"],
                mean=float(np.mean(np.abs(m - gm)) / band),
                max=float(np.max(np.abs(m - gm)) / band),
                band_ratio=float(np.mean(np.asarray(st["q95"]) - st["q05"]) / band),
            )
            print(f"importance N={N} seed {seed}: {row}")
            rows.append(row)
            ds.append(row["mean"])
        ess = [r["ess"] for r in rows if r["units"] == N]
        dist[N] = dict(mean=float(np.mean(ds)), min_ess=float(min(ess)))
    res = dict(settings=settings, rows=rows, distance={str(k): v for k, v in dist.items()})
    write_json(path, res)
    return res


def animation(path: Path, quick: bool, out: Path) -> dict:
    """Frames of the tempered posteriors: 5 units from tempered SMC's particles
    (:func:`bayes_uat.run_smc`, recorded after every temperature), 500 units from
    importance sampling over hidden units at the same λ, with the GP's tempered band."""
    import numpy as np

    from bayes_uat import SMCSettings, run_smc
    from bayes_uat.studies.plots.wide import tempering_animation
    from bayes_uat.studies.wide import feature_importance, wide_data
    from bayes_uat.wide import neal_posterior, nngp_band

    data = wide_data(120)
    grid = np.linspace(-3.0, 3.0, 100)
    small, big = (5, 16) if quick else (5, 500)
    p5 = neal_posterior(data, small)
    rng = np.random.default_rng(0)
    record = []

    def keep(state):
        lam = float(np.asarray(state.lam)[0])
        w = np.asarray(state.weights)[0]
        idx = rng.choice(len(w), size=24, p=w / w.sum())
        record.append((lam, np.asarray(state.particles)[0, idx]))

    settings = SMCSettings(particles=64 if quick else 256, steps=3 if quick else 5)
    res = run_smc(p5, runs=1, settings=settings, seed=0, callback=keep)
    first = np.asarray(p5.prior_sample(__import__("jax").random.key(0), (24,)))
    record.insert(0, (0.0, first))
    picks = np.unique(np.linspace(0, len(record) - 1, 6 if quick else 24).round().astype(int))
    lams = [record[i][0] for i in picks]
    f5 = [np.asarray(p5.predict(record[i][1], grid)) for i in picks]
    p500 = neal_posterior(data, big)
    imp = feature_importance(p500, lams, particles=100 if quick else 500, grid=grid, curves=24)
    frames5, frames500 = [], []
    for lam, f, st in zip(lams, f5, imp["steps"]):
        label = f"tempered SMC, {settings.particles} particles"
        frames5.append(dict(lam=lam, curves=f, label=label))
        lo, _, hi = nngp_band(p500, grid, lam=lam)
        frames500.append(
            dict(
                lam=lam,
                curves=st["curves"],
                gp_lo=lo,
                gp_hi=hi,
                label=f"importance over units, ESS {st['ess']:.0f} of {imp['particles']}",
            )
        )
    panels = [
        dict(title=f"N = {small}", grid=grid, frames=frames5),
        dict(title=f"N = {big} (grey: GP 90 %)", grid=grid, frames=frames500),
    ]
    tempering_animation(path, panels, data)
    return dict(
        frames=len(lams),
        lams=lams,
        smc_temperatures=len(record) - 1,
        smc_log_evidence=float(res.info["log_evidence"][0]),
        ess_big=[st["ess"] for st in imp["steps"]],
    )


def main(argv=None) -> int:
    args, runs = parse(argv)
    if args.list:
        for k, v in runs.items():
            print(k, v)
        return 0
    from bayes_uat import runtime
    from bayes_uat.records import write_json

    runtime.set_host_device_count(2)
    runtime.enable_compilation_cache()
    runtime.enable_x64()
    t0 = time.perf_counter()
    fig_dir = Path(args.figures)
    out = fig_dir / ("seed000_wide_quick" if args.quick else "seed000_wide")
    out.mkdir(parents=True, exist_ok=True)
    if args.gif_only:
        info = animation(fig_dir / "seed000_posterior.gif", args.quick, out)
        write_json(out / "animation.json", info)
        return 0
    keys = args.run or list(runs)
    results = {k: run_one(k, runs[k], out) for k in keys}
    if args.run:
        return 0
    from bayes_uat import plots
    from bayes_uat.studies.plots.wide import distance_table, wide_figure

    bands = (5, 16) if args.quick else BANDS
    importance = importance_runs(args.quick, out)
    usable = {  # only where the weights are not degenerate
        int(k): v for k, v in importance["distance"].items() if v["min_ess"] >= 30
    }
    fig = wide_figure(results, bands=bands, importance=usable)
    plots.save(fig, fig_dir / "seed000_wide")
    numbers = dict(quick=args.quick, runs=distance_table(results), importance=importance)
    if not args.no_gif:
        numbers["animation"] = animation(fig_dir / "seed000_posterior.gif", args.quick, out)
    elif (out / "animation.json").is_file():  # made by --gif-only
        numbers["animation"] = json.loads((out / "animation.json").read_text())
    numbers["wall_time"] = time.perf_counter() - t0
    sys.path.insert(0, str(ROOT / "scripts"))
    from _study import write_numbers

    write_numbers(fig_dir / "seed000_wide.json", numbers)
    print(f"seed000_wide: {numbers['wall_time']:.0f} s; figures in {fig_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
