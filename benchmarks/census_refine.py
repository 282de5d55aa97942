"""The evidence census's refinement: vmapped damped Newton against vmapped L-BFGS.

The posterior of docs/studies.md §3 (``sin``, 1000 points, Gaussian likelihood with σ
inferred, N(0, 30²)), tanh, N = 4 (13 parameters). 256 Adam restarts (lr 0.01, 3000 steps,
seed 0) are refined to local maxima of the posterior twice, each once to compile and once
timed: by ``optimize.newton_many`` (at most 200 steps, |∇| < 1e-6: the census's setting) and
by find_map's optax L-BFGS program vmapped over the restarts (at most 1000 iterations,
|∇| < 1e-6). Per method: the timed wall, the best log p reached, how many restarts end within
0.01 of it, and the share with |∇ log p| < 1e-3.

    python benchmarks/census_refine.py [--out PATH]

Results go to benchmarks/census_refine.json (or PATH); benchmarks/run.py renders them into
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


def measure(restarts: int = 256, steps: int = 3000) -> dict:
    sys.path.insert(0, str(ROOT))
    import jax
    import jax.numpy as jnp
    import numpy as np

    import bayes_uat as bu
    from bayes_uat.optimize import _lbfgs, newton_many

    bu.enable_x64()
    post = bu.Posterior(
        bu.MLP(4, "tanh"), bu.make_dataset("sin"), likelihood="gaussian", prior_std=30.0
    )
    sgd = bu.train_sgd(post, learning_rate=0.01, steps=steps, restarts=restarts, seed=0)
    starts = jnp.asarray(sgd.thetas)
    lbfgs = jax.jit(jax.vmap(_lbfgs, in_axes=(None, 0, None, None)))
    grad = jax.jit(jax.vmap(jax.grad(post.log_density_fn)))
    methods = {
        "newton": lambda: newton_many(post, starts, 200, 1e-6)[0],
        "lbfgs": lambda: lbfgs(post, starts, 1000, 1e-6)[0],
    }
    out = {}
    for name, fn in methods.items():
        fn().block_until_ready()  # compile
        t = time.perf_counter()
        theta = fn().block_until_ready()
        wall = time.perf_counter() - t
        lp = np.asarray(post.log_density(theta))
        gn = np.linalg.norm(np.asarray(grad(theta)), axis=1)
        out[name] = dict(
            wall_s=wall,
            best_log_density=float(np.nanmax(lp)),
            near_best=int(np.sum(lp > np.nanmax(lp) - 0.01)),
            stationary_share=float(np.mean(gn < 1e-3)),
        )
    return dict(
        when=datetime.datetime.now(datetime.UTC).isoformat(timespec="minutes"),
        load_average=list(os.getloadavg()),
        jax=jax.__version__,
        settings=dict(activation="tanh", units=4, restarts=restarts, sgd_steps=steps),
        methods=out,
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "census_refine.json"))
    args = ap.parse_args(argv)
    res = measure()
    sys.path.insert(0, str(ROOT))
    from bayes_uat.records import write_json

    write_json(Path(args.out), res)
    print(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
