"""Run every benchmark case in its own process, then write docs/benchmarks.md.

    python benchmarks/run.py [--quick] [--only CASE ...]

Results (raw JSON) go to benchmarks/results.json; docs/benchmarks.md is rendered from it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

# (case, reps, steps): the blog workload is 28 walkers × 10 000 steps.
PLAN = [
    ("logprob_floor64", 5, 10_000),
    ("logprob_floor32", 5, 10_000),
    ("blog_reference", 3, 2_000),
    ("emcee", 3, 10_000),
    ("aies64", 3, 10_000),
    ("aies32", 3, 10_000),
    ("aies_de", 3, 10_000),
    ("nuts_diag", 2, 0),
    ("nuts_dense", 2, 0),
    ("nuts_diag32", 2, 0),
    ("nuts_vectorized4", 2, 0),
    ("nuts_vectorized2", 2, 0),
    ("nuts_parallel2", 2, 0),
    ("grad4_blog", 5, 0),
] + [(f"grad_{c}", 5, 0) for c in (1, 4, 16, 64, 256, 1024)]


def run_case(case: str, reps: int, steps: int) -> dict:
    cmd = [
        PY,
        str(ROOT / "benchmarks" / "cases.py"),
        case,
        "--reps",
        str(reps),
        "--steps",
        str(steps),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cli_cache() -> dict:
    """Two identical `bayes-uat run` calls with an empty persistent compilation cache: the
    second skips XLA compilation."""
    cache = tempfile.mkdtemp(prefix="bu-cache-")
    out = tempfile.mkdtemp(prefix="bu-run-")
    env = {**os.environ, "BAYES_UAT_JAX_CACHE": cache}
    args = [
        PY,
        "-m",
        "bayes_uat.cli",
        "run",
        "--target",
        "x2",
        "--units",
        "2",
        "--sampler",
        "nuts",
        "--warmup",
        "500",
        "--draws",
        "500",
        "--quiet",
        "--no-figures",
        "--overwrite",
        "--out",
        out,
    ]
    walls = []
    for _ in range(2):
        t0 = time.perf_counter()
        subprocess.run(args, env=env, check=True, capture_output=True, cwd=ROOT)
        walls.append(time.perf_counter() - t0)
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    return dict(case="cli_cache", walls=walls, median_wall=walls[1])


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import jax

    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"jax {jax.__version__} ({jax.default_backend()})"
    )


def render(res: dict, meta: dict) -> str:
    r = {k: v for k, v in res.items()}
    floor = r["logprob_floor64"]["median_wall"]
    ref = r["blog_reference"]
    ref_10k = ref["median_wall"] * 10_000 / ref["steps"]  # the reference ran fewer steps

    def row(name, key, note=""):
        d = r[key]
        wall = d["median_wall"]
        ess = f"{d['min_ess']:.0f} / {d['median_ess']:.0f}" if "min_ess" in d else "–"
        esss = (
            f"{d['min_ess_per_s']:.1f} / {d['median_ess_per_s']:.1f}"
            if "min_ess_per_s" in d
            else "–"
        )
        speed = ref_10k / wall if key != "blog_reference" else 1.0
        return (
            f"| {name} | {wall:.2f} | {wall / floor:.1f}× | {speed:.1f}× | {ess} | {esss} | "
            f"{d['peak_rss_mb']:.0f} | {note} |"
        )

    lines = [
        "# Benchmarks",
        "",
        f"Measured {meta['date']} on {meta['machine']}, all cases in one run of "
        f"`{meta['command']}` ({meta['total_min']:.1f} min). Each case runs in its own process; "
        "wall times are medians of the repetitions after the first call has compiled "
        "(the first repetition includes XLA compilation: compare `walls` in "
        "benchmarks/results.json). These machines are shared and noisy: compare ratios "
        "within one run, not across runs.",
        "",
        "## The blog workload: N = 2 sigmoid units on x², 28 walkers × 10 000 steps",
        "",
        f"Log-prob floor (two half-ensemble evaluations per step, 10 000 steps): float64 "
        f"{floor:.2f} s ({r['logprob_floor64']['per_call_us']:.0f} µs per call), float32 "
        f"{r['logprob_floor32']['median_wall']:.2f} s. The blog-style reference ran "
        f"{ref['steps']} steps ({ref['median_wall']:.1f} s) and is scaled to 10 000 "
        f"({ref_10k:.1f} s); its ESS is from those {ref['steps']} steps.",
        "",
        "| path | wall (s) | × floor | speed-up vs blog-style | min / median bulk ESS "
        "(canonical) | min / median ESS per s | peak RSS (MB) | note |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        row(
            "(a) blog-style emcee, Python log-prob per walker",
            "blog_reference",
            f"{ref['steps']} steps, scaled",
        ),
        row("(b) emcee, jitted vmapped log-prob, vectorize=True", "emcee"),
        row("(c) AIES (numpyro), stretch move, float64", "aies64"),
        row("(c) AIES, stretch move, float32", "aies32"),
        row("(c) AIES, DE move, float64", "aies_de"),
        row(
            "(d) NUTS 4 chains × (1000 + 1000), defaults: diagonal mass, one chain per host device",
            "nuts_diag",
            f"{r['nuts_diag']['mean_leapfrog']:.0f} leapfrog/draw, "
            f"{r['nuts_diag']['divergences']} div., {r['nuts_diag']['depth_hits']} depth hits",
        ),
        row(
            "(d) NUTS, dense mass",
            "nuts_dense",
            f"{r['nuts_dense']['mean_leapfrog']:.0f} leapfrog/draw, "
            f"{r['nuts_dense']['divergences']} div., {r['nuts_dense']['depth_hits']} depth hits",
        ),
        row(
            "(d) NUTS, diagonal mass, float32",
            "nuts_diag32",
            f"{r['nuts_diag32']['mean_leapfrog']:.0f} leapfrog/draw",
        ),
        row(
            "(d) NUTS, diagonal mass, 4 vectorised chains",
            "nuts_vectorized4",
            f"{r['nuts_vectorized4']['mean_leapfrog']:.0f} leapfrog/draw",
        ),
        "",
        "ESS is bulk ESS (ArviZ) of the canonical parameters (units flipped and sorted), the "
        "ensemble's walkers counted as chains; per second of the whole sampling call.",
        "",
        "## NUTS: leapfrog steps against raw gradient throughput",
        "",
        f"NUTS (defaults: diagonal, float64, 4 chains on 4 host devices) ran "
        f"{r['nuts_diag']['leapfrog_per_s']:.0f} leapfrog steps (one gradient each) per second "
        f"in all; 4 vectorised chains ran {r['nuts_vectorized4']['leapfrog_per_s']:.0f}. "
        f"The raw batched value_and_grad of this posterior (500 points, 4 chains in one call) "
        f"runs {r['grad4_blog']['grads_per_s']:.0f} gradients per second: NUTS reaches "
        f"{r['nuts_diag']['leapfrog_per_s'] / r['grad4_blog']['grads_per_s']:.0%} of it.",
        "",
        "## Chain-count scaling: batched value_and_grad, 49-parameter posterior",
        "",
        "N = 16 sigmoid units, sin on [−10, 10], 1 000 points, float64, one jitted vmapped "
        "`value_and_grad` call over all chains.",
        "",
        "| chains | s per call | gradients per s | compile (s) | peak RSS (MB) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in (1, 4, 16, 64, 256, 1024):
        d = r[f"grad_{c}"]
        lines.append(
            f"| {c} | {d['s_per_call'] * 1e3:.2f} ms | {d['grads_per_s']:.0f} | "
            f"{d['compile_s']:.2f} | {d['peak_rss_mb']:.0f} |"
        )
    v, p = r["nuts_vectorized2"], r["nuts_parallel2"]
    c = r["cli_cache"]
    lines += [
        "",
        "## Chain method on CPU",
        "",
        f"2 NUTS chains × (500 + 500) on the blog posterior with {p['devices']} host devices: "
        f"vectorized {v['median_wall']:.1f} s, parallel (one chain per device) "
        f"{p['median_wall']:.1f} s.",
        "",
        "## Persistent compilation cache",
        "",
        f"`bayes-uat run --target x2 --units 2 --sampler nuts --warmup 500 --draws 500` twice "
        f"with an empty cache: first {c['walls'][0]:.1f} s, second {c['walls'][1]:.1f} s.",
        "",
        *discovery_section(),
        "## GPU",
        "",
        "No GPU figure has been measured: no GPU machine was available to these runs.",
        "",
    ]
    return "\n".join(lines)


def discovery_section() -> list[str]:
    """Mode discovery (benchmarks/discovery.py), when its results file exists."""
    path = ROOT / "benchmarks" / "discovery.json"
    if not path.exists():
        return []
    d = json.loads(path.read_text())
    st = d["setting"]
    modes = "; ".join(
        f"share {m['share']:.2f}, log p(MAP) {m['map_log_posterior']:.1f}" for m in d["modes"]
    )
    p = ", ".join(f"{k}: {v:.2f}" for k, v in d["p_all_found"].items())
    return [
        "## Many short chains for mode discovery",
        "",
        f"`python benchmarks/discovery.py` — {st['net']} on {st['target']}, prior std "
        f"{st['prior_std']}: {st['chains']} NUTS chains, each from its own short SGD run, "
        f"{st['warmup']} warm-up, {st['draws']} kept draws; {d['wall_s']:.0f} s in all.",
        f"Modes found (function space, twice the data range): {modes}. Chains reaching each "
        f"mode (≥ 25 % of their kept draws in it): {d['chains_reaching']}.",
        f"Probability that k random chains reach every mode: {p}; "
        f"{d['chains_needed_95']} chains are needed for 95 %. The second group is 5 log-units "
        "below the first and holds 2 % of the draws: rare and worse, the kind of mode a "
        "handful of long chains never sees.",
        "",
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--only", nargs="*", help="run only these cases (others read from benchmarks/results.json)"
    )
    ap.add_argument("--render-only", action="store_true")
    args = ap.parse_args(argv)
    res_path = ROOT / "benchmarks" / "results.json"
    old = json.loads(res_path.read_text()) if res_path.exists() else {"results": {}}
    results = dict(old["results"]) if args.only or args.render_only else {}
    t0 = time.perf_counter()
    if not args.render_only:
        for case, reps, steps in PLAN:
            if args.only and case not in args.only:
                continue
            print(f"{case} …", flush=True)
            results[case] = run_case(case, reps, steps)
            print(f"  median {results[case]['median_wall']:.3f} s", flush=True)
        if not args.only or "cli_cache" in args.only:
            results["cli_cache"] = cli_cache()
    meta = dict(
        date=time.strftime("%Y-%m-%d"),
        machine=machine(),
        command="make bench" if not args.only else "python benchmarks/run.py --only …",
        total_min=(time.perf_counter() - t0) / 60
        if not args.render_only
        else old.get("meta", {}).get("total_min", 0.0),
    )
    from bayes_uat.records import write_json

    write_json(res_path, dict(meta=meta, results=results))
    with open(ROOT / "docs" / "benchmarks.md", "w") as fh:
        fh.write(render(results, meta))
    print(f"wrote {res_path} and docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
