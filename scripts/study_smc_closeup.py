"""The close-up posterior (x², two sigmoid units, σ inferred, prior N(0, 30²)) by tempered SMC:
the mass ± SE of each of its 2!·2² raw copies, of each functionally distinct mode, the canonical
means and the log evidence, all from the spread over independent runs.

    python scripts/study_smc_closeup.py [--quick] [--figures figures] [--runs R --particles P]

Writes figures/smc_closeup.json.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from _study import ROOT, write_numbers


def copies(theta: np.ndarray) -> np.ndarray:
    """Copy index 0..7 of each particle: 4·(unit 0 has the later step t = −b/w) + 2·(the
    earlier unit has w < 0) + (the later unit has w < 0)."""
    w, b = theta[..., [0, 3]], theta[..., [1, 4]]
    later0 = -b[..., 0] / w[..., 0] > -b[..., 1] / w[..., 1]
    flip_early = np.where(later0, w[..., 1] < 0, w[..., 0] < 0)
    flip_late = np.where(later0, w[..., 0] < 0, w[..., 1] < 0)
    return 4 * later0 + 2 * flip_early + flip_late


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--figures", default=str(ROOT / "figures"))
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--particles", type=int, default=256)
    ap.add_argument("--steps", type=int, default=5)
    args = ap.parse_args(argv)
    import bayes_uat as bu
    from bayes_uat import runtime
    from bayes_uat.modes import to_canonical
    from bayes_uat.samplers.smc import run_masses

    runtime.enable_compilation_cache()
    runtime.enable_x64()
    parts, runs = (32, 2) if args.quick else (args.particles, args.runs)
    post = bu.Posterior(bu.MLP(2, "sigmoid"), bu.make_dataset("x2"), likelihood="gaussian")
    t0 = time.perf_counter()
    s = bu.sample(post, "smc", chains=runs, draws=parts, seed=0, steps=args.steps)
    wall = time.perf_counter() - t0
    mass, se = run_masses(copies(s.theta), 8)
    can = to_canonical(post, s.theta)
    run_means = can.mean(axis=1)
    modes = bu.find_modes(post, s)
    numbers = dict(
        settings=dict(runs=runs, particles=parts, steps=args.steps, quick=args.quick),
        log_evidence=s.info["log_evidence"],
        log_evidence_mean=s.info["log_evidence_mean"],
        log_evidence_se=s.info["log_evidence_se"],
        temperatures=s.info["temperatures"],
        copy_mass=mass.tolist(),
        copy_mass_se=se.tolist(),
        canonical_mean=dict(zip(post.names, run_means.mean(axis=0).tolist())),
        canonical_mean_se=dict(
            zip(post.names, (run_means.std(axis=0, ddof=1) / np.sqrt(runs)).tolist())
        ),
        modes=modes.to_dict(post.names),
        wall_time=wall,
    )
    write_numbers(Path(args.figures) / "smc_closeup.json", numbers)
    print(modes)
    for k in range(8):
        print(f"copy {k}: mass {mass[k]:.3f} ± {se[k]:.3f}")
    print(f"log Z = {numbers['log_evidence_mean']:.2f} ± {numbers['log_evidence_se']:.2f}")
    print(
        {
            k: f"{v:.2f} ± {numbers['canonical_mean_se'][k]:.2f}"
            for k, v in numbers["canonical_mean"].items()
        }
    )
    print(f"smc_closeup: {wall:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
