"""Does a reference fitted to within-mode NUTS draws remove the SMC's ridge deficit? The
evidence's SMC with its census's reference (Laplace covariances), beside the same censuses
with the covariances (and centres) of each run's heaviest components replaced by the mean
and covariance of NUTS draws inside them (docs/evidence.md, "Per-mode bridge sampling against
the SMC"). An experiment on the library's internals, not an option of ``bu.evidence``.

    python benchmarks/evidence_nuts_reference.py [--model sin-tanh2] [--components 2]

Writes the model's entry of benchmarks/evidence_nuts_reference.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="sin-tanh2")
    ap.add_argument("--components", type=int, default=2, help="components refitted per run")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import jax
    import jax.numpy as jnp

    from bayes_uat._io import write_json
    from bayes_uat.evidence import network as nw
    from bayes_uat.evidence.core import Settings, make_reference
    from benchmarks.evidence import model_posterior

    post = model_posterior(args.model)
    lay = nw.Layout(post)
    log_fold = nw.folded_log_density(post, lay)
    record = dict(restarts=1024, sgd_steps=200, learning_rate=0.01, particles=256, steps=5,
                  leapfrog=10, target_ess=0.5, df=5.0, inflate=2.0, max_components=16,
                  domain="canonical")  # fmt: skip
    settings = Settings(particles=256, steps=5, leapfrog=10, target_ess=0.5)
    t0 = time.perf_counter()
    censuses, refs, _ = nw._censuses(post, lay, log_fold, 0, 4, record)
    out = {}
    target, _ = nw._target(post, lay, log_fold, refs, record, None)
    res = nw._tempered(target, refs, settings, 0, None, None, {}, None)
    out["laplace"] = res.log_evidence.tolist()
    print(f"Laplace reference: {np.round(res.log_evidence, 2)}", flush=True)
    nuts = dict(chains=2, warmup=300, draws=500, max_tree_depth=10, target_accept=0.9)
    refs2 = []
    for r, c in enumerate(censuses):
        k = record["max_components"]
        centres, covs = np.array(c["centres"][:k]), np.array(c["covs"][:k])
        for j in range(min(args.components, len(centres))):
            x = nw.within_mode_draws(post, lay, centres[j], nuts, jax.random.PRNGKey(1000 * r + j))
            prec = np.linalg.inv(covs)
            d2 = np.einsum("nki,kij,nkj->nk", x[:, None] - centres, prec, x[:, None] - centres)
            x = x[d2.argmin(axis=1) == j]
            if len(x) > 4 * post.dim:
                centres[j], covs[j] = x.mean(axis=0), np.cov(x, rowvar=False)
        refs2.append(make_reference(centres, record["inflate"] * covs, c["log_mass"][:k],
                                    df=record["df"], max_components=k))  # fmt: skip
    target, _ = nw._target(post, lay, log_fold, refs2, record, None)
    res = nw._tempered(target, refs2, settings, 0, None, None, {}, None)
    out["nuts"] = res.log_evidence.tolist()
    print(f"NUTS-fitted reference: {np.round(res.log_evidence, 2)}", flush=True)
    out["wall"] = time.perf_counter() - t0
    path = ROOT / "benchmarks" / "evidence_nuts_reference.json"
    store = json.loads(path.read_text()) if path.exists() else {}
    store[args.model] = out
    write_json(path, store)
    del jnp
    return 0


if __name__ == "__main__":
    sys.exit(main())
