"""How the bridge's q_k decides whether the bridge can check a mode: at tanh N = 4 on the
``sin`` model (docs/studies.md §3), the mode that holds the mass has a curved ridge, and the
bridge over it is computed with q_k a normal alone, and with q_k half that normal, half a
kernel density estimate at bandwidths 1, ½ and ¼ of Silverman's factor
(``bayes_uat.evidence.bridge._mode_q``), each on the same NUTS draws, for three independent
sets of draws. The SMC's log Z of the same posterior is printed beside them.

    python benchmarks/bridge_bandwidth.py [--units 4 --activation tanh]

Results go to benchmarks/bridge_bandwidth.json and docs/evidence.md quotes them.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=4)
    ap.add_argument("--activation", default="tanh")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import jax
    import jax.numpy as jnp

    import bayes_uat as bu
    import bayes_uat.evidence.bridge  # noqa: F401  (the module, not the function)
    from bayes_uat.evidence import network as nw

    B = sys.modules["bayes_uat.evidence.bridge"]
    bu.enable_x64()
    post = bu.Posterior(
        bu.MLP(args.units, args.activation), bu.make_dataset("sin"), likelihood="gaussian",
        prior_std=30.0, dtype="float64",
    )  # fmt: skip
    t0 = time.perf_counter()
    ev = bu.evidence(post, runs=4, seed=0, particles=256, steps=5)
    lay, log_fold, chosen, cells = B.mode_cells(post, ev, 0.01, 1)
    fold_many, _ = nw._fold_programs(log_fold)
    centres = cells[0]
    settings = dict(chains=4, warmup=500, draws=1000, max_tree_depth=10, target_accept=0.9)
    variants = {"normal": None, "1": 1.0, "1/2": 0.5, "1/4": 0.25}
    out = {k: [] for k in variants}
    for rep in range(args.repeats):
        x = nw.within_mode_draws(post, lay, centres[0], settings, jax.random.PRNGKey(100 + rep))
        x = x[B._cell_of(x, cells) == 0]
        fit, use = x[: len(x) // 2], x[len(x) // 2 :]
        for name, h in variants.items():
            rng = np.random.default_rng(rep)
            if h is None:  # the normal alone
                mean, L = fit.mean(0), np.linalg.cholesky(np.cov(fit, rowvar=False))
                y = mean + rng.standard_normal((8000, len(mean))) @ L.T

                def log_q(v, mean=mean, L=L):
                    r = np.linalg.solve(L, (v - mean).T)
                    d = len(mean)
                    return (
                        -0.5 * np.sum(r * r, 0)
                        - np.log(np.diag(L)).sum()
                        - 0.5 * d * math.log(2 * math.pi)
                    )
            else:
                sample, log_q = B._mode_q(fit, h)
                y = sample(rng, 8000)
            inside = np.asarray(jax.vmap(lay.inside)(jnp.asarray(y))) & (B._cell_of(y, cells) == 0)
            f, y = float(inside.mean()), y[inside]

            def ratio(v, log_q=log_q):
                return np.asarray(fold_many(post, jnp.asarray(v))) - log_q(v)

            z = B.bridge_log_ratio(ratio(use), ratio(y)) + math.log(f)
            out[name].append(z)
            print(f"draws {rep}, q {name}: log Z_0 = {z:.2f}", flush=True)
    rec = dict(
        network=f"{args.activation} N={args.units}",
        smc_log_evidence=ev.log_evidence.tolist(),
        smc_mode0_mass=chosen[0].mass,
        bridge_mode0=out,
        wall=time.perf_counter() - t0,
    )
    path = ROOT / "benchmarks" / "bridge_bandwidth.json"
    from bayes_uat._io import write_json

    write_json(path, rec)
    print(json.dumps(rec, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
