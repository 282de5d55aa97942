"""How often one census restart reaches the modes that carry the evidence's mass.

The posterior of docs/studies.md §3 (``sin``, 1000 points, Gaussian likelihood with σ
inferred, N(0, 30²)), sigmoid, N = 5 by default. For each seed and each number of Adam steps
(lr 0.01, the census's SSE loss), ``restarts`` restarts are trained and then refined by
``optimize.newton_many`` (at most 200 steps, |∇| < 1e-6: the census's setting). Per
(seed, steps): the wall times of Adam and of the refinement, the best log p reached, and how
many restarts end above each of the thresholds (log p; for sigmoid N = 5 the rare modes that
decide a run's log Z lie above 1367, the common ridge at 1361.3).

    python benchmarks/census_hits.py [--units 5] [--activation sigmoid] [--restarts 512]
        [--steps 200 2000] [--seeds 7 8] [--above 1361 1364 1367] [--out PATH]

Results go to benchmarks/census_hits.json (or PATH); benchmarks/run.py renders them into
docs/benchmarks.md.
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


def measure(units, activation, restarts, steps_list, seeds, above) -> dict:
    sys.path.insert(0, str(ROOT))
    import jax
    import jax.numpy as jnp
    import numpy as np

    import bayes_uat as bu
    from bayes_uat.optimize import newton_many

    bu.enable_x64()
    post = bu.Posterior(
        bu.MLP(units, activation), bu.make_dataset("sin"), likelihood="gaussian", prior_std=30.0
    )
    rows = []
    for seed in seeds:
        for steps in steps_list:
            t = time.perf_counter()
            sgd = bu.train_sgd(post, learning_rate=0.01, steps=steps, restarts=restarts, seed=seed)
            t_adam = time.perf_counter() - t
            t = time.perf_counter()
            theta, _ = newton_many(post, jnp.asarray(sgd.thetas), 200, 1e-6)
            theta = jax.block_until_ready(theta)
            t_newton = time.perf_counter() - t
            lp = np.asarray(post.log_density(theta))
            lp = np.where(np.isfinite(lp), lp, -np.inf)
            rows.append(
                dict(
                    seed=seed, sgd_steps=steps, adam_s=t_adam, newton_s=t_newton,
                    best_log_density=float(lp.max()),
                    above={str(a): int(np.sum(lp > a)) for a in above},
                )
            )  # fmt: skip
            print(json.dumps(rows[-1]), flush=True)
    return dict(
        when=datetime.datetime.now(datetime.UTC).isoformat(timespec="minutes"),
        load_average=list(os.getloadavg()),
        jax=jax.__version__,
        settings=dict(activation=activation, units=units, restarts=restarts, above=above),
        rows=rows,
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=5)
    ap.add_argument("--activation", default="sigmoid")
    ap.add_argument("--restarts", type=int, default=512)
    ap.add_argument("--steps", type=int, nargs="+", default=[200, 2000])
    ap.add_argument("--seeds", type=int, nargs="+", default=[7, 8])
    ap.add_argument("--above", type=float, nargs="+", default=[1361.0, 1364.0, 1367.0])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "census_hits.json"))
    args = ap.parse_args(argv)
    if args.units < 1 or args.restarts < 1 or min(args.steps) < 1:
        ap.error("--units, --restarts and every --steps must be positive integers")
    res = measure(args.units, args.activation, args.restarts, args.steps, args.seeds, args.above)
    sys.path.insert(0, str(ROOT))
    from bayes_uat.records import write_json

    write_json(Path(args.out), res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
