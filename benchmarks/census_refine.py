"""The evidence census's refinement: its damped Newton against the plainer ways to do it.

The posterior of docs/studies.md §3 (``sin``, 1000 points, Gaussian likelihood with σ
inferred, N(0, 30²)). The census's starts: Adam restarts (lr 0.01, 200 steps, seed 0, the
census's setting). They are refined to local maxima of the posterior, all restarts in one
vmapped program, each method once to compile and once timed:

* ``plain``: damped Newton with one damping per step (δ = (|−H| + μI)⁻¹∇ log p, μ ×0.2 on
  a rise and ×10 otherwise) and ``jax.hessian`` (forward over reverse through every data
  point), 200 steps: written out here as the census refined before;
* ``newton``: ``optimize.newton_many``, 200 steps: the Hessian assembled from the network's
  structure, four trial dampings per eigendecomposition;
* ``census``: the census's two-stage refinement (``evidence.network._refine_all``: 100 steps
  for every restart, up to 2 000 more for the quarter highest in log p);
* ``lbfgs`` (with ``--lbfgs``): find_map's optax L-BFGS program vmapped over the restarts
  (at most 1000 iterations, |∇| < 1e-6).

Per method: the timed wall, the best log p reached, how many restarts end within 2 nats of
the best any method reached, the median log p, and how many of the 64 restarts highest in log
p end at a stationary point (|∇ log p| < 0.01).

    python benchmarks/census_refine.py [--units 8] [--restarts 512] [--lbfgs] [--out PATH]

Results go to benchmarks/census_refine.json (or PATH); benchmarks/run.py renders them into
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def plain_newton(post, starts, max_iter: int = 200):
    """The single-damping Newton with ``jax.hessian``, vmapped (no early stop: the census's
    restarts never met |∇| < 1e-6 within 200 steps)."""
    import jax
    import jax.numpy as jnp

    from bayes_uat.posterior import log_density_at

    def f(theta):
        return log_density_at(post, theta)

    vg, hess = jax.value_and_grad(f), jax.hessian(f)

    def one(theta0):
        def step(carry, _):
            theta, v, g, mu = carry
            A = -hess(theta)
            lam, V = jnp.linalg.eigh(0.5 * (A + A.T))
            d = V @ ((V.T @ g) / (jnp.abs(lam) + mu))
            v_new, g_new = vg(theta + d)
            ok = jnp.isfinite(v_new) & (v_new > v) & jnp.all(jnp.isfinite(g_new))
            theta = jnp.where(ok, theta + d, theta)
            v, g = jnp.where(ok, v_new, v), jnp.where(ok, g_new, g)
            return (theta, v, g, jnp.where(ok, mu * 0.2, mu * 10.0)), None

        v0, g0 = vg(theta0)
        (theta, *_), _ = jax.lax.scan(step, (theta0, v0, g0, 1.0), None, length=max_iter)
        return theta

    return jax.jit(jax.vmap(one))(starts)


def measure(units: int, restarts: int, lbfgs: bool) -> dict:
    sys.path.insert(0, str(ROOT))
    import jax
    import jax.numpy as jnp
    import numpy as np

    import bayes_uat as bu
    from bayes_uat.optimize import _lbfgs, newton_many

    network = importlib.import_module("bayes_uat.evidence.network")
    bu.enable_x64()
    post = bu.Posterior(
        bu.MLP(units, "tanh"), bu.make_dataset("sin"), likelihood="gaussian", prior_std=30.0
    )
    sgd = bu.train_sgd(post, learning_rate=0.01, steps=200, restarts=restarts, seed=0)
    starts = jnp.asarray(sgd.thetas)
    lp0 = np.asarray(post.log_density(starts))
    methods = {
        "plain": lambda: plain_newton(post, starts),
        "newton": lambda: newton_many(post, starts, 200, 1e-6)[0],
        "census": lambda: jnp.asarray(network._refine_all(post, np.asarray(starts), lp0)[0]),
    }
    if lbfgs:
        solve = jax.jit(jax.vmap(_lbfgs, in_axes=(None, 0, None, None)))
        methods["lbfgs"] = lambda: solve(post, starts, 1000, 1e-6)[0]
    grad = jax.jit(jax.vmap(jax.grad(post.log_density_fn)))
    out, lps, gnorm = {}, {}, {}
    for name, fn in methods.items():
        fn().block_until_ready()  # compile
        t = time.perf_counter()
        theta = fn().block_until_ready()
        out[name] = dict(wall_s=time.perf_counter() - t)
        lps[name] = np.asarray(post.log_density(theta))
        gnorm[name] = np.linalg.norm(np.asarray(grad(theta)), axis=1)
    best = max(float(np.nanmax(v)) for v in lps.values())
    for name, lp in lps.items():
        ok = np.isfinite(lp)
        out[name].update(
            best_log_density=float(np.max(lp[ok])),
            near_best=int(np.sum(lp[ok] > best - 2.0)),
            median_log_density=float(np.median(lp[ok])),
            top64_stationary=int(
                np.sum(gnorm[name][np.argsort(-np.where(ok, lp, -np.inf))[:64]] < 0.01)
            ),
        )
    return dict(
        when=datetime.datetime.now(datetime.UTC).isoformat(timespec="minutes"),
        load_average=list(os.getloadavg()),
        jax=jax.__version__,
        settings=dict(activation="tanh", units=units, restarts=restarts, sgd_steps=200),
        methods=out,
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=8)
    ap.add_argument("--restarts", type=int, default=512)
    ap.add_argument("--lbfgs", action="store_true", help="also time vmapped optax L-BFGS")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "census_refine.json"))
    args = ap.parse_args(argv)
    res = measure(args.units, args.restarts, args.lbfgs)
    sys.path.insert(0, str(ROOT))
    from bayes_uat.records import write_json

    write_json(Path(args.out), res)
    print(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
