"""Why the SMC's log Z of tanh N = 2 on ``sin`` lies below the bridge's: the ridge of its
mode, seen by NUTS and by the SMC's particles, and the SMC with more sweeps and on the aligned
domain (docs/evidence.md, "Per-mode bridge sampling against the SMC").

    python benchmarks/evidence_ridge.py

Prints, and writes benchmarks/evidence_ridge.json:
* ``bu.evidence`` (4 runs × 256 particles; the study's census) with 5 and 25 sweeps, and with
  5 sweeps on the aligned domain;
* quantiles of the output weight a₁ and of the kink gap t₂ − t₁ in the heaviest mode, for
  NUTS (4 chains × (1 000 + 2 000), dense mass, from the mode's centre) and for the SMC's
  final particles in that mode;
* importance sampling from a normal fitted to the NUTS draws, inflated 1, 1.5 and 2 times
  (20 000 draws each, kept in the canonical domain and the mode's cell).
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
Q = [0.0, 0.01, 0.1, 0.5, 0.9, 0.99, 1.0]


def main() -> int:
    sys.path.insert(0, str(ROOT))
    import jax
    import jax.numpy as jnp
    from scipy.special import logsumexp

    import bayes_uat as bu
    import bayes_uat.evidence.bridge  # noqa: F401  (the module, not the function)
    from bayes_uat._io import write_json
    from bayes_uat.evidence import network as nw

    B = sys.modules["bayes_uat.evidence.bridge"]
    bu.enable_x64()
    post = bu.Posterior(bu.MLP(2, "tanh"), bu.make_dataset("sin"), likelihood="gaussian",
                        prior_std=30.0, dtype="float64")  # fmt: skip
    rec: dict = {}
    evs = {}
    for name, kw in (("5 sweeps", {}), ("25 sweeps", dict(steps=25)),
                     ("5 sweeps, aligned", dict(domain="aligned"))):  # fmt: skip
        t0 = time.perf_counter()
        ev = bu.evidence(post, runs=4, seed=0, particles=256, **dict(dict(steps=5), **kw))
        evs[name] = ev
        rec[name] = dict(log_evidence=ev.log_evidence.tolist(), mean=ev.log_evidence_mean,
                         se=ev.log_evidence_se, wall=time.perf_counter() - t0)  # fmt: skip
        print(f"SMC, {name}: {ev.log_evidence_mean:.2f} ± {ev.log_evidence_se:.2f}", flush=True)
    ev = evs["5 sweeps"]
    lay, log_fold, chosen, cells = B.mode_cells(post, ev, 0.01, 8)
    fold_many, _ = nw._fold_programs(log_fold)
    centres = cells[0]
    settings = dict(chains=4, warmup=1000, draws=2000, max_tree_depth=10, target_accept=0.9)
    x = nw.within_mode_draws(post, lay, centres[0], settings, jax.random.PRNGKey(1))
    x = x[B._cell_of(x, cells) == 0]
    th = np.asarray(lay.canonical(jnp.asarray(ev.samples.theta.reshape(-1, post.dim))))
    th = th[B._cell_of(th, cells) == 0]
    for name, v in (("NUTS", x), ("SMC particles", th)):
        t = np.asarray(lay.t(jnp.asarray(v)))
        a1 = v[:, lay.ia[0]]
        rec[name] = dict(a1_quantiles=np.quantile(a1, Q).tolist(), a1_sd=float(a1.std()),
                         gap_quantiles=np.quantile(t[:, 1] - t[:, 0], Q).tolist())  # fmt: skip
        print(f"{name}: a1 quantiles {np.round(np.quantile(a1, Q), 2)}, SD {a1.std():.2f}; "
              f"t2 − t1 quantiles {np.round(np.quantile(t[:, 1] - t[:, 0], Q), 4)}")  # fmt: skip
    mean, cov = x.mean(0), np.cov(x, rowvar=False)
    rng = np.random.default_rng(0)
    for s in (1.0, 1.5, 2.0):
        L = np.linalg.cholesky(cov * s * s)
        y = mean + rng.standard_normal((20_000, len(mean))) @ L.T
        ok = np.asarray(jax.vmap(lay.inside)(jnp.asarray(y))) & (B._cell_of(y, cells) == 0)
        r = np.linalg.solve(L, (y - mean).T)
        lq = (
            -0.5 * np.sum(r * r, 0)
            - np.log(np.diag(L)).sum()
            - 0.5 * len(mean) * math.log(2 * math.pi)
        )
        w = np.where(ok, np.asarray(fold_many(post, jnp.asarray(y))) - lq, -np.inf)
        z = float(logsumexp(w) - math.log(len(w)))
        rec[f"IS x{s}"] = dict(
            log_z_mode0=z, largest_weight_share=float(np.exp(w.max() - logsumexp(w)))
        )
        print(f"IS from the NUTS normal ×{s}: log Z of mode 0 = {z:.2f}", flush=True)
    write_json(ROOT / "benchmarks" / "evidence_ridge.json", rec)
    return 0


if __name__ == "__main__":
    sys.exit(main())
