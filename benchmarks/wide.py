"""NUTS on a wide posterior: 500 relu units (1 501 parameters), 200 points of seed 000's
curve, Neal prior (a ~ N(0, 4/N)), noise σ = 0.1 known; 4 chains × (warm-up + draws).

    python benchmarks/wide.py [--units 500] [--n 200] [--chains 4] [--warmup 500]
                              [--draws 500] [--max-tree-depth 10] [--dense-mass]
                              [--out benchmarks/wide.json]
    python benchmarks/wide.py --gradient-only     # benchmarks/wide_gradient.json
    python benchmarks/wide.py --collapsed         # benchmarks/wide_collapsed.json
    python benchmarks/wide.py --collapsed --gradient-only   # wide_collapsed_gradient.json

``--collapsed`` runs NUTS on the hidden layer alone with the output layer integrated out
(:func:`bayes_uat.wide.sample_collapsed`, started from prior draws), the gradient timed being
that of the collapsed log-density.

Reports the wall time (compilation included; one gradient is compiled and timed alone), the
time of one log-density gradient, mean tree depth, leapfrog steps per
draw, median step size, divergences, the bulk ESS of f at five x inside the data (arviz) and
that ESS per second of sampling. Time per draw ≈ leapfrog steps per draw × gradient time, so
the two numbers say which one dominates.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=500)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--warmup", type=int, default=500)
    ap.add_argument("--draws", type=int, default=500)
    ap.add_argument("--max-tree-depth", type=int, default=10)
    ap.add_argument("--chain-method", default="auto")
    ap.add_argument("--dense-mass", action="store_true", help="NUTS with a dense mass matrix")
    ap.add_argument("--out", default=None, help="default benchmarks/wide.json")
    ap.add_argument(
        "--gradient-only",
        action="store_true",
        help="time the gradient only (5 × 100 calls; benchmarks/wide_gradient.json)",
    )
    ap.add_argument(
        "--collapsed",
        action="store_true",
        help="the collapsed sampler (output layer integrated out; benchmarks/wide_collapsed.json)",
    )
    args = ap.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from bayes_uat import runtime

    runtime.set_host_device_count(args.chains)
    runtime.enable_x64()
    import arviz as az
    import jax
    import jax.numpy as jnp
    import numpy as np

    import bayes_uat as bu
    from bayes_uat.records import write_json
    from bayes_uat.studies.wide import wide_data
    from bayes_uat.wide import neal_posterior, sample_collapsed

    post = neal_posterior(wide_data(args.n), args.units, "relu", noise_std=0.1)
    vg = jax.jit(jax.value_and_grad(post.log_density_fn))
    th = post.prior_sample(jax.random.key(0))
    if args.collapsed:
        from bayes_uat.samplers import collapsed

        target = collapsed.make_target(post)
        vg = jax.jit(jax.value_and_grad(partial(collapsed.log_density, target)))
        th = th[np.asarray(target.layout.hidden)]
    vg(th)[0].block_until_ready()
    t0 = time.perf_counter()
    for _ in range(200):
        vg(th)[0].block_until_ready()
    grad_s = (time.perf_counter() - t0) / 200
    if args.gradient_only:
        reps = []
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(100):
                vg(th)[0].block_until_ready()
            reps.append((time.perf_counter() - t0) / 100)
        res = dict(
            units=args.units,
            dim=post.dim,
            sampled_dim=int(th.shape[-1]),
            n=args.n,
            collapsed=args.collapsed,
            gradient_s=sorted(reps),
        )
        name = "wide_collapsed_gradient.json" if args.collapsed else "wide_gradient.json"
        write_json(Path(args.out or ROOT / "benchmarks" / name), res)
        print(json.dumps(res))
        return 0
    t0 = time.perf_counter()
    if args.collapsed:
        s = sample_collapsed(
            post,
            chains=args.chains,
            warmup=args.warmup,
            draws=args.draws,
            max_tree_depth=args.max_tree_depth,
            chain_method=args.chain_method,
        )
    else:
        sgd = bu.train_sgd(post, steps=3000, learning_rate=0.01, restarts=args.chains, seed=0)
        t0 = time.perf_counter()
        s = bu.sample(
            post,
            "nuts",
            chains=args.chains,
            warmup=args.warmup,
            draws=args.draws,
            sgd=sgd,
            progress=False,
            max_tree_depth=args.max_tree_depth,
            chain_method=args.chain_method,
            dense_mass=args.dense_mass,
        )
    wall = time.perf_counter() - t0
    xs = jnp.linspace(-2.5, 2.5, 5)
    f = np.asarray(post.predict(s.theta, xs))  # (chains, draws, 5)
    ess = [float(az.ess(f[..., j], method="bulk")) for j in range(f.shape[-1])]
    steps = s.stats["num_steps"]
    res = dict(
        sampler="nuts, output layer integrated out" if args.collapsed else "nuts",
        units=args.units,
        dim=post.dim,
        sampled_dim=int(th.shape[-1]),
        n=args.n,
        chains=args.chains,
        warmup=args.warmup,
        draws=args.draws,
        max_tree_depth=args.max_tree_depth,
        dense_mass=args.dense_mass,
        chain_method=s.info.get("chain_method"),
        wall_time_s=wall,
        gradient_s=grad_s,
        mean_tree_depth=float(s.stats["tree_depth"].mean()),
        mean_leapfrog_per_draw=float(steps.mean()),
        depth_hits=int((s.stats["tree_depth"] >= args.max_tree_depth).sum()),
        median_step_size=float(np.median(s.stats["step_size"])),
        divergences=int(s.stats["diverging"].sum()),
        ess_f=ess,
        min_ess_f=min(ess),
        min_ess_f_per_s=min(ess) / wall,
        leapfrog_time_share=float(steps.sum() * grad_s / args.chains / wall),
    )
    print(json.dumps(res, indent=1))
    name = "wide_collapsed.json" if args.collapsed else "wide.json"
    write_json(Path(args.out or ROOT / "benchmarks" / name), res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
