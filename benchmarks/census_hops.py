"""What the census's hops add: the heaviest maxima found by censuses with and without them.

The posterior of docs/studies.md §3 (``sin``, 1000 points, Gaussian likelihood with σ
inferred, N(0, 30²)). Per network, setting and seed, one census
(``evidence.network.census``, 200 Adam steps at lr 0.01): ``restarts`` Adam restarts, then
``hops`` starts in ``rounds`` rounds near the heaviest maxima found so far. Per census: the
log-sum of its maxima's Laplace masses (a Laplace estimate of log Z from that census alone),
the heaviest maximum's Laplace log mass, and the restarts or hops that reached the five
heaviest; per setting, the spread (SD) of both across seeds. Censuses that agree but sit
below another setting's have missed mass.

    python benchmarks/census_hops.py [--models tanh6] [--settings 1024/0/1,1024/512/1,...]
                                     [--seeds 11,12,13,14]

Results go to benchmarks/census_hops.json; benchmarks/run.py renders them into
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = "1024/0/1,1024/512/1,1024/512/2,1024/512/4,512/512/4"


def measure(act: str, units: int, restarts: int, hops: int, rounds: int, seed: int) -> dict:
    from scipy.special import logsumexp

    import bayes_uat as bu
    from bayes_uat.evidence import network as nw

    bu.enable_x64()
    nw.HOP_ROUNDS = rounds
    post = bu.Posterior(
        bu.MLP(units, act), bu.make_dataset("sin"), likelihood="gaussian", prior_std=30.0
    )
    lay = nw.Layout(post)
    log_fold = nw.folded_log_density(post, lay)
    t = time.perf_counter()
    c = nw.census(
        post, lay, log_fold, seed=seed, restarts=restarts, sgd_steps=200,
        learning_rate=0.01, hops=hops,
    )  # fmt: skip
    wall = time.perf_counter() - t
    m = c["maximum"]
    return dict(
        laplace_log_z=float(logsumexp(c["log_mass"][m])),
        heaviest=float(c["log_mass"][m].max()),
        top_hits=[int(v) for v in c["counts"][m][:5]],
        maxima=int(m.sum()),
        wall=wall,
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="tanh6,tanh9,sigmoid8")
    ap.add_argument("--settings", default=SETTINGS, help="restarts/hops/rounds, comma-separated")
    ap.add_argument("--seeds", default="11,12,13,14")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import jax
    import numpy as np

    from bayes_uat.records import write_json

    path = ROOT / "benchmarks" / "census_hops.json"
    out = json.loads(path.read_text())["results"] if path.exists() else {}
    for model in args.models.split(","):
        m = re.fullmatch(r"(tanh|sigmoid)(\d+)", model)
        if m is None:
            raise SystemExit(f"--models: {model!r} is not tanh<N> or sigmoid<N>")
        for setting in args.settings.split(","):
            restarts, hops, rounds = (int(v) for v in setting.split("/"))
            per = {}
            for seed in (int(s) for s in args.seeds.split(",")):
                per[seed] = measure(m.group(1), int(m.group(2)), restarts, hops, rounds, seed)
                print(model, setting, seed, json.dumps(per[seed]), flush=True)
            lz = np.array([r["laplace_log_z"] for r in per.values()])
            top = np.array([r["heaviest"] for r in per.values()])
            out[f"{model}/{setting}"] = dict(
                seeds=per, laplace_log_z_mean=float(lz.mean()),
                laplace_log_z_sd=float(lz.std(ddof=1)), heaviest_sd=float(top.std(ddof=1)),
                wall_median=float(np.median([r["wall"] for r in per.values()])),
            )  # fmt: skip
            res = dict(
                when=datetime.datetime.now(datetime.UTC).isoformat(timespec="minutes"),
                load_average=list(os.getloadavg()),
                jax=jax.__version__,
                results=out,
            )
            write_json(path, res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
