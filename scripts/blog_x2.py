"""Reproduce the blog's x² study (seed 003): N = 2 sigmoid units, its likelihood and prior,
Adam, then the blog's ensemble sampler — emcee's stretch move, 28 walkers × 10 000 steps, run
as one compiled JAX loop (sampler "ensemble") — and NUTS (4 chains), corner and fit figures.

    python scripts/blog_x2.py [--quick] [--out runs/blog_x2] [--figures figures]

Writes run records into runs/blog_x2/{ensemble,nuts}, figures into figures/ (blog_x2_*.png
and .pdf) and the numbers into figures/blog_x2.json.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from _study import write_numbers

ROOT = Path(__file__).resolve().parents[1]

# The blog's numbers, for the side-by-side table.
BLOG = {
    "sgd": ("24 sig(-1.4*x -4.9) + 23 sig(1.5*x -5.0) + 1.0", -0.73),
    "map": ("28 sig(-1.2*x -4.3) + 31 sig(1.0*x -3.9) + -0.2", -0.31),
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short chains (for a smoke test)")
    ap.add_argument("--out", default=str(ROOT / "runs" / "blog_x2"))
    ap.add_argument("--figures", default=str(ROOT / "figures"))
    args = ap.parse_args(argv)

    from bayes_uat.compare import Comparison
    from bayes_uat.config import RunConfig
    from bayes_uat.records import atomic_path
    from bayes_uat.runner import execute
    from bayes_uat.runtime import enable_compilation_cache, enable_x64, set_host_device_count

    # one NUTS chain per host device, the faster choice on CPU (docs/benchmarks.md)
    set_host_device_count(max(os.cpu_count() or 1, 4))
    enable_compilation_cache()
    enable_x64()

    common = dict(
        target="x2",
        units=2,
        activation="sigmoid",
        likelihood="mse",
        prior_std=30.0,
        optimizer="adam",
        learning_rate=0.1,
        sgd_steps=1000,
        sgd_restarts=8,
        seed=0,
    )
    if args.quick:
        runs = {
            "ensemble": RunConfig(sampler="ensemble", chains=28, warmup=200, draws=800, **common),
            "nuts": RunConfig(sampler="nuts", chains=4, warmup=200, draws=200, **common),
        }
    else:
        # 10 000 ensemble steps in all, as the blog: 2 000 burn-in + 8 000 kept.
        runs = {
            "ensemble": RunConfig(sampler="ensemble", chains=28, warmup=2000, draws=8000, **common),
            "nuts": RunConfig(sampler="nuts", chains=4, warmup=1000, draws=1000, **common),
        }

    fig_dir = Path(args.figures)
    results = {}
    for name, cfg in runs.items():
        print(f"\n== {name} ==", flush=True)
        t0 = time.perf_counter()
        run = execute(
            cfg,
            Path(args.out) / name,
            overwrite=True,
            progress=True,
            figures=True,
            log=lambda s: print(s, file=sys.stderr),
        )
        wall = time.perf_counter() - t0
        # the run's own figures: corner (canonical θ), corner_raw (as sampled), fit
        for src in sorted(run.figures_dir.iterdir()):
            with atomic_path(fig_dir / f"blog_x2_{src.stem}_{name}{src.suffix}") as tmp:
                shutil.copyfile(src, tmp)
        s = run.summary
        results[name] = dict(
            wall_time_total=wall,
            sampler=s["sampler"],
            sgd=s["sgd"],
            map=s["map"],
            diagnostics=s["diagnostics"],
        )
        print(f"{name}: {wall:.1f} s in all, sampling {s['sampler']['wall_time']:.1f} s")
        for key in ("raw", "canonical", "function"):
            d = s["diagnostics"][key]
            print(
                f"  {key:>9}: max R-hat {d['max_rhat']:.2f}, min bulk ESS {d['min_ess_bulk']:.0f}"
            )
        print(Comparison.text_from_dict(s["comparison"]))
        results[name]["comparison"] = s["comparison"]
        results[name]["warnings"] = s.get("warnings", [])
        _print_warnings(name, results[name]["warnings"])

    _explain_length_warnings(results, runs, args.quick)
    print("\n== SGD vs MCMC max-probability model (loss = −MSE, the blog's units) ==")
    rows = [("blog SGD", *BLOG["sgd"]), ("blog MCMC", *BLOG["map"])]
    rows.append(
        (
            "SGD (Adam)",
            results["ensemble"]["sgd"]["equation"],
            results["ensemble"]["sgd"]["blog_loss"],
        )
    )
    for name in runs:
        rows.append(
            (f"MAP {name}", results[name]["map"]["equation"], results[name]["map"]["blog_loss"])
        )
    for name in runs:  # the best draw refined by optimisation (the comparison's MAP row)
        best = next(r for r in results[name]["comparison"]["rows"] if r["name"] == "MAP")
        rows.append((f"refined {name}", best["equation"], -best["mse"]))
    w = max(len(r[1]) for r in rows)
    lw = max(len(r[0]) for r in rows)
    for label, eq, loss in rows:
        print(f"{label:<{lw}} {eq:<{w}}  LOSS:{loss:.2f}")
    write_numbers(fig_dir / "blog_x2.json", dict(quick=args.quick, runs=results, blog=BLOG))
    print(f"\nfigures in {fig_dir}/blog_x2_*.png, numbers in {fig_dir}/blog_x2.json")
    return 0


# Warnings that say the chains are short for posterior averages (not for single points).
LENGTH_CODES = ("rhat", "ess", "autocorr")


def _explain_length_warnings(results: dict, runs: dict, quick: bool) -> None:
    """Why the demo's own settings raise R-hat / ESS warnings, and what they do not touch."""
    import textwrap

    hit = {
        name: sorted({w["code"] for w in r["warnings"] if w.get("code") in LENGTH_CODES})
        for name, r in results.items()
    }
    hit = {k: v for k, v in hit.items() if v}
    if not hit:
        return
    sizes = ", ".join(
        f"{name} {runs[name].chains} × ({runs[name].warmup} + {runs[name].draws})" for name in runs
    )
    which = "; ".join(f"{name}: {', '.join(codes)}" for name, codes in hit.items())
    blog = "" if quick else "; the ensemble's is the blog's own run"
    text = (
        f"These warnings ({which}) are expected at the demo's length ({sizes}{blog}): they say "
        "that posterior means and quantiles from these draws carry Monte Carlo error. The "
        "table below compares single points (SGD, the best draw and its optimised maximum), "
        "which they do not concern; for posterior averages run longer, as each fix says."
    )
    print("\n" + "\n".join(textwrap.wrap(text, 96)))


def _print_warnings(name: str, warnings: list) -> None:
    """The run's post-run warnings (summary.json "warnings"), each with its fix."""
    if not warnings:
        print(f"  {name}: no warnings")
        return
    for w in warnings:
        text = w.get("message", str(w)) if isinstance(w, dict) else str(w)
        fix = w.get("fix") if isinstance(w, dict) else None
        print(f"  WARNING ({name}): {text}" + (f"\n    fix: {fix}" if fix else ""))


if __name__ == "__main__":
    sys.exit(main())
