"""Where the evidence census's two kinds of start lead: PyTorch-style against spread.

The posterior of docs/studies.md §3 (``sin``, 1000 points, Gaussian likelihood with σ
inferred, N(0, 30²)). Per network and seed, 1 024 Adam restarts (lr 0.01, 200 steps) from
each kind of start — ``train_sgd``'s PyTorch-style initialisation, and
``evidence.network._spread_starts`` (kinks uniform over the data, wide output weights) —
refined by the census's two-stage Newton (``_refine_all``). Per kind: the best log p, and how
many restarts end within 2 nats of the best either kind reached for that seed.

    python benchmarks/census_starts.py [--models tanh5,sigmoid5] [--seeds 1,2]

Results go to benchmarks/census_starts.json; benchmarks/run.py renders them into
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESTARTS = 1024


def measure(act: str, units: int, seed: int) -> dict:
    import numpy as np

    import bayes_uat as bu

    network = importlib.import_module("bayes_uat.evidence.network")
    bu.enable_x64()
    post = bu.Posterior(
        bu.MLP(units, act), bu.make_dataset("sin"), likelihood="gaussian", prior_std=30.0
    )
    lay = network.Layout(post)
    kw = dict(optimizer="adam", learning_rate=0.01, steps=200, loss="sse", seed=seed)
    inits = dict(torch=None, spread=network._spread_starts(post, lay, RESTARTS, seed))
    lps = {}
    for kind, init in inits.items():
        start = bu.train_sgd(post, restarts=RESTARTS, init=init, **kw).thetas
        lp0 = np.asarray(post.log_density(start))
        ok = np.isfinite(lp0)
        theta, _ = network._refine_all(post, start[ok], lp0[ok])
        lp = np.asarray(post.log_density(theta))
        lps[kind] = lp[np.isfinite(lp)]
    best = max(float(v.max()) for v in lps.values())
    return {
        k: dict(best=float(v.max()), near_best=int(np.sum(v > best - 2.0))) for k, v in lps.items()
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="tanh5,sigmoid5")
    ap.add_argument("--seeds", default="1,2")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import jax

    from bayes_uat.records import write_json

    out = {}
    for model in args.models.split(","):
        m = re.fullmatch(r"(tanh|sigmoid)(\d+)", model)
        if m is None:
            raise SystemExit(f"--models: {model!r} is not tanh<N> or sigmoid<N>")
        for seed in (int(s) for s in args.seeds.split(",")):
            out[f"{model}/{seed}"] = measure(m.group(1), int(m.group(2)), seed)
            print(model, seed, json.dumps(out[f"{model}/{seed}"]), flush=True)
    res = dict(
        when=datetime.datetime.now(datetime.UTC).isoformat(timespec="minutes"),
        load_average=list(os.getloadavg()),
        jax=jax.__version__,
        restarts=RESTARTS,
        results=out,
    )
    write_json(ROOT / "benchmarks" / "census_starts.json", res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
