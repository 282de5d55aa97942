"""Does a reference fitted to within-mode NUTS draws remove the SMC's ridge deficit?
``bu.evidence`` with ``reference="laplace"`` (the census's Laplace covariances) beside
``reference="refit"`` (each run's heaviest components refitted to NUTS draws inside them),
both on the same censuses (same seed: the refit comes after the census); docs/evidence.md,
"The fix".

    python benchmarks/evidence_nuts_reference.py [--model sin-tanh2]

4 runs × 256 particles × 5 sweeps, the default census. Writes the model's entry of
benchmarks/evidence_nuts_reference.json.
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
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import bayes_uat as bu
    from bayes_uat._io import write_json
    from benchmarks.evidence import model_posterior

    post = model_posterior(args.model)
    out: dict = {}
    t0 = time.perf_counter()
    for reference in ("laplace", "refit"):
        ev = bu.evidence(post, runs=4, seed=0, particles=256, steps=5, reference=reference)
        out[reference] = ev.log_evidence.tolist()
        print(f"{reference}: {np.round(ev.log_evidence, 2)}, {ev.log_evidence_mean:.2f} ± "
              f"{ev.log_evidence_se:.2f}", flush=True)  # fmt: skip
    out["wall"] = time.perf_counter() - t0
    path = ROOT / "benchmarks" / "evidence_nuts_reference.json"
    store = json.loads(path.read_text()) if path.exists() else {}
    store[args.model] = out
    write_json(path, store)
    return 0


if __name__ == "__main__":
    sys.exit(main())
