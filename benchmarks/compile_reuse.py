"""One compiled program per shape: NUTS over 8 data sets of one shape, in one process.

The blog posterior's shape (N = 2 sigmoid units, x² with 500 points, the blog's likelihood
and prior) with 8 data sets (``make_dataset("x2", seed=k)``, k = 0 … 7), each sampled by
NUTS (4 chains × (500 warm-up + 500) draws, chain_method="vectorized", start ``init`` from
prior draws so that the SGD start is not part of the timing). The on-disk compilation
cache is off, so the first call compiles for real. For every call the script records the
wall time, the number of XLA compilations (JAX's ``backend_compile`` events), the seconds
JAX reports for tracing and compiling, and the number of traces of the likelihood (calls
of ``Posterior._pointwise_one``, which happen only while JAX traces). The last line runs
the first data set again: the same program, the same posterior.

    python benchmarks/compile_reuse.py [--out PATH]

Results go to benchmarks/compile_reuse.json (or PATH); benchmarks/run.py renders them into
docs/benchmarks.md. The script imports the ``bayes_uat`` found from the current directory.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRACE_EVENT = "/jax/core/compile/jaxpr_trace_duration"
COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"
SETTINGS = dict(chains=4, warmup=500, draws=500, chain_method="vectorized")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=int, default=8)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "compile_reuse.json"))
    args = ap.parse_args(argv)
    os.environ["BAYES_UAT_JAX_CACHE"] = ""  # no on-disk cache: the first call compiles
    sys.path.insert(0, os.getcwd())
    import jax
    import numpy as np

    import bayes_uat as bu
    from bayes_uat._io import write_json
    from bayes_uat.posterior import Posterior

    bu.enable_x64()
    compiles, traces, compile_s = [0], [0], [0.0]

    def listen(event, secs, **kw):
        if event in (TRACE_EVENT, COMPILE_EVENT):
            compile_s[0] += secs
        if event == COMPILE_EVENT:
            compiles[0] += 1

    jax.monitoring.register_event_duration_secs_listener(listen)
    original = Posterior._pointwise_one

    def counted(self, theta):
        traces[0] += 1
        return original(self, theta)

    Posterior._pointwise_one = counted
    net = bu.MLP(2, "sigmoid")
    rows = []
    for k in list(range(args.datasets)) + [0]:
        post = bu.Posterior(net, bu.make_dataset("x2", seed=k), prior_std=30.0)
        start = np.asarray(post.prior_sample(jax.random.key(100 + k), (SETTINGS["chains"],)))
        c0, t0, s0, w0 = compiles[0], traces[0], compile_s[0], time.perf_counter()
        s = bu.sample(post, "nuts", init=start, seed=k, progress=False, **SETTINGS)
        rows.append(
            dict(
                dataset=k,
                wall_s=time.perf_counter() - w0,
                compiles=compiles[0] - c0,
                trace_and_compile_s=compile_s[0] - s0,
                traces=traces[0] - t0,
                divergences=s.info["divergences"],
            )
        )
        print(json.dumps(rows[-1]), flush=True)
    out = dict(
        settings=SETTINGS,
        rows=rows,
        when=datetime.datetime.now(datetime.UTC).isoformat(timespec="minutes"),
        jax=jax.__version__,
        devices=str(jax.devices()),
    )
    write_json(args.out, out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
