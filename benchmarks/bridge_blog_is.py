"""A third estimate of the blog posterior's log Z, to decide between the bridge and tempered
SMC where they disagree (docs/evidence.md): importance sampling on the canonical domain from a
multivariate Student-t (ν = 4) with the mean and 1.2² × the covariance of long NUTS runs on
the folded density, whose draws are independent of those runs' own errors. Importance
sampling from a fixed proposal is unbiased for Z whatever the proposal (given that it covers
the posterior, which its heavier tails do), so its log Z can be low by chance but not high by
a systematic error; the largest weight's share says whether a few draws dominate.

    python benchmarks/bridge_blog_is.py [--draws 400000] [--repeats 4]

The blog posterior: x², N = 2 sigmoid, the −MSE likelihood, prior N(0, 30²), float64.
Writes benchmarks/bridge_blog_is.json.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=400_000)
    ap.add_argument("--repeats", type=int, default=4)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import jax
    import jax.numpy as jnp
    from scipy import stats
    from scipy.special import logsumexp

    import bayes_uat as bu
    import bayes_uat.evidence.bridge  # noqa: F401  (the module, not the function)
    from bayes_uat._io import write_json
    from bayes_uat.evidence import network as nw

    B = sys.modules["bayes_uat.evidence.bridge"]
    bu.enable_x64()
    post = bu.Posterior(bu.MLP(2, "sigmoid"), bu.make_dataset("x2"), prior_std=30.0,
                        dtype="float64")  # fmt: skip
    t0 = time.perf_counter()
    ev = bu.evidence(post, runs=4, seed=0, restarts=64, sgd_steps=2000, learning_rate=0.05,
                     particles=400, steps=5)  # fmt: skip
    b = B.bridge(post, ev, repeats=4, seed=0)
    print(b, flush=True)
    lay = nw.Layout(post)
    fold_many, _ = nw._fold_programs(nw.folded_log_density(post, lay))
    settings = dict(chains=4, warmup=2000, draws=5000, max_tree_depth=10, target_accept=0.9)
    x = nw.within_mode_draws(post, lay, ev.modes[0].centre, settings, jax.random.PRNGKey(7))
    d = x.shape[1]
    mean, cov = x.mean(0), np.cov(x, rowvar=False) * 1.2**2
    t = stats.multivariate_t(loc=mean, shape=cov, df=4, seed=0)
    out = []
    for r in range(args.repeats):
        y = t.rvs(size=args.draws, random_state=np.random.default_rng(r)).reshape(-1, d)
        inside = np.asarray(jax.vmap(lay.inside)(jnp.asarray(y)))
        lp = np.full(len(y), -np.inf)
        lp[inside] = np.asarray(fold_many(post, jnp.asarray(y[inside])))
        w = lp - t.logpdf(y)
        z = float(logsumexp(w) - math.log(len(w)))
        top = float(np.exp(np.max(w) - logsumexp(w)))
        out.append(dict(log_z=z, largest_weight_share=top, inside=float(inside.mean())))
        print(f"IS repeat {r}: log Z = {z:.3f}, largest weight {top:.2e}", flush=True)
    z = np.array([o["log_z"] for o in out])
    rec = dict(
        smc_log_evidence=ev.log_evidence.tolist(),
        bridge=b.to_dict(),
        importance=out,
        importance_mean=float(z.mean()),
        importance_se=float(z.std(ddof=1) / math.sqrt(len(z))),
        wall=time.perf_counter() - t0,
    )
    print(f"IS: {z.mean():.3f} ± {rec['importance_se']:.3f}; bridge {b.log_evidence_mean:.3f} ± "
          f"{b.log_evidence_se:.3f}; SMC from q {ev.log_evidence_mean:.3f} ± "
          f"{ev.log_evidence_se:.3f}")  # fmt: skip
    write_json(ROOT / "benchmarks" / "bridge_blog_is.json", rec)
    return 0


if __name__ == "__main__":
    sys.exit(main())
