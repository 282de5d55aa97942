"""Time to the first posterior: `python script.py` from process start to the blog
workload's ensemble draws, with an empty compilation cache (cold) and again with the cache
the cold run filled (warm).

The script is the README's Python example cut to its sampling path: enable float64, the
blog's data (x², 500 points), N = 2 sigmoid units, the blog's likelihood and prior, 8 Adam
restarts × 1000 steps, the ensemble sampler with 28 walkers × (2000 + 8000) steps. Each
measurement is a fresh process; the wall time includes Python's start and every import.

    python benchmarks/first_draw.py [--reps 3] [--out PATH]

Each repetition also times a fresh `python -c "import jax"`. The ratio reported per cache
state is (process start → first draws) / (fresh `import jax` + the same SGD and sampling
again in the warm process, `sgd_again_s` + `sample_again_s`): what the first posterior costs
over the floor that nothing in bayes_uat can remove (JAX's import and the computation itself).
Each run also records JAX's own seconds up to the first draws (jax.monitoring): tracing,
lowering to StableHLO, compiling or loading from the cache, and reading the cache.
Results go to benchmarks/first_draw.json (or PATH); benchmarks/run.py
renders them into docs/benchmarks.md. The script imports the `bayes_uat` found from the
current directory, so running it from another checkout measures that checkout's code.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPILE_LINE = re.compile(r"Finished XLA compilation of jit\((\w+)\) in ([0-9.e-]+) sec")

SCRIPT = """
import time, json
t = {"start": time.perf_counter()}
import bayes_uat as bu
import jax
import jax.monitoring
jax.config.update("jax_log_compiles", True)  # each compilation's time, on stderr
jit_s = {}  # JAX's own seconds per stage of its programs: tracing, lowering, compiling, cache
jax.monitoring.register_event_duration_secs_listener(
    lambda event, secs, **kw: jit_s.__setitem__(event, jit_s.get(event, 0.0) + secs)
)
bu.enable_x64()
t["import"] = time.perf_counter()
data = bu.make_dataset("x2")
post = bu.Posterior(bu.MLP(2, "sigmoid"), data, prior_std=30.0, likelihood="mse")
sgd = bu.train_sgd(post, restarts=8, learning_rate=0.1, steps=1000)
t["sgd"] = time.perf_counter()
s = bu.sample(post, "ensemble", chains=28, warmup=2000, draws=8000, sgd=sgd, progress=False)
t["sample"] = time.perf_counter()
jit_first = dict(jit_s)
s2 = bu.sample(post, "ensemble", chains=28, warmup=2000, draws=8000, sgd=sgd, progress=False,
               seed=1)
t["sample_again"] = time.perf_counter()
sgd2 = bu.train_sgd(post, restarts=8, learning_rate=0.1, steps=1000, seed=1)
t["sgd_again"] = time.perf_counter()
print(json.dumps({**{k: v - t["start"] for k, v in t.items()}, "jit_first": jit_first}))
"""


def one(cache: str) -> dict:
    env = dict(os.environ, BAYES_UAT_JAX_CACHE=cache)
    t0 = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - t0
    phases = json.loads(r.stdout.strip().splitlines()[-1])
    # JAX's seconds up to the first draws: tracing, lowering to StableHLO, compiling or
    # loading from the cache (jax.monitoring's duration events, by their last path part)
    jit = {k.rsplit("/", 1)[-1]: v for k, v in phases.pop("jit_first").items()}
    compiled = {}  # program name -> XLA compile seconds, up to the first draws and after
    for m in COMPILE_LINE.finditer(r.stderr):
        compiled[m.group(1)] = compiled.get(m.group(1), 0.0) + float(m.group(2))
    # wall from process start to the first draws: the process's own start-up plus the
    # script's time to the end of the first sample() call
    startup = wall - phases["sgd_again"]
    return dict(
        wall_to_first=startup + phases["sample"],
        import_s=startup + phases["import"],
        sgd_s=phases["sgd"] - phases["import"],
        sample_s=phases["sample"] - phases["sgd"],
        sample_again_s=phases["sample_again"] - phases["sample"],
        sgd_again_s=phases["sgd_again"] - phases["sample_again"],
        compile_s=sum(compiled.values()),
        compiled=compiled,
        trace_s=jit.get("jaxpr_trace_duration", 0.0),
        lower_s=jit.get("jaxpr_to_mlir_module_duration", 0.0),
        backend_compile_s=jit.get("backend_compile_duration", 0.0),
        cache_read_s=jit.get("cache_retrieval_time_sec", 0.0),
    )


def import_jax() -> float:
    """Wall time of a fresh `python -c "import jax"`: start-up plus JAX's own import."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import jax"], check=True)
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "first_draw.json"))
    args = ap.parse_args(argv)
    runs = {"cold": [], "warm": []}
    jax_import = []
    load_start = round(os.getloadavg()[0], 2)
    for _ in range(args.reps):
        with tempfile.TemporaryDirectory(prefix="bu-first-draw-") as cache:
            runs["cold"].append(one(cache))
            runs["warm"].append(one(cache))
        jax_import.append(import_jax())
    # the floor: a fresh `import jax`, then the same SGD and sampling in a warm process
    for v in runs.values():
        for r, jax_s in zip(v, jax_import):
            r["floor"] = jax_s + r["sgd_again_s"] + r["sample_again_s"]
            r["ratio"] = r["wall_to_first"] / r["floor"]
    med = {
        k: {f: statistics.median(r[f] for r in v) for f in v[0] if f != "compiled"}
        for k, v in runs.items()
    }
    for k, v in runs.items():  # median compile seconds per program (0 where not compiled)
        names = sorted({n for r in v for n in r["compiled"]})
        med[k]["compiled"] = {
            n: statistics.median(r["compiled"].get(n, 0.0) for r in v) for n in names
        }
    out = dict(
        reps=args.reps,
        median=med,
        runs=runs,
        jax_import_s=statistics.median(jax_import),
        cpus=os.cpu_count(),
        load_avg_1min_at_start=load_start,
        load_avg_1min_at_end=round(os.getloadavg()[0], 2),
        date=time.strftime("%Y-%m-%dT%H:%M+00:00", time.gmtime()),
    )
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    for k, m in med.items():
        print(k, {f: (round(v, 2) if isinstance(v, float) else v) for f, v in m.items()})
    print(
        "import jax", round(out["jax_import_s"], 2), "load", load_start, out["load_avg_1min_at_end"]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
