"""The close-up posterior (x², two sigmoid units, σ inferred, prior N(0, 30²)) by tempered SMC:
the mass ± SE of each of its 2!·2² raw copies and of each functionally distinct mode, the
permutation pairs' and complement copies' masses against what the symmetries predict, the
canonical means of two independent halves of the runs, and the log evidence, all from the
spread over independent runs.

    python scripts/study_smc_closeup.py [--quick] [--figures figures]
                                        [--runs R --particles P --steps S --mass M]

Writes figures/smc_closeup.json.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
from _study import ROOT, write_numbers


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--figures", default=str(ROOT / "figures"))
    ap.add_argument("--runs", type=int, default=16)
    ap.add_argument("--particles", type=int, default=128)
    ap.add_argument("--steps", type=int, default=30, help="least HMC transitions a temperature")
    ap.add_argument("--mass", default="canonical", choices=("canonical", "dense", "diag"))
    return ap.parse_args(argv)


def symmetry_checks(theta: np.ndarray, prior_std: float) -> dict:
    """Copy masses, the permutation pairs' differences in SE, and the complement classes'
    observed mass ratios against the importance identity, all over runs."""
    from bayes_uat.samplers.smc import run_masses
    from bayes_uat.studies import complement_ratios, copy_index

    runs = theta.shape[0]
    mass, se = run_masses(copy_index(theta), 8)
    perm_z = [
        float((mass[k] - mass[k + 4]) / max(math.hypot(se[k], se[k + 4]), 1e-300)) for k in range(4)
    ]
    comp = {}
    for name, (obs, pred) in complement_ratios(theta, prior_std).items():
        d = obs - pred
        ok = np.isfinite(d)
        n = int(ok.sum())
        comp[name] = dict(
            observed=float(np.nanmean(obs)),
            predicted=float(np.nanmean(pred)),
            z=float(d[ok].mean() / (d[ok].std(ddof=1) / math.sqrt(n))) if n > 1 else None,
            runs_with_unflipped_draws=n,
        )
    return dict(
        copy_mass=mass.tolist(),
        copy_mass_se=se.tolist(),
        permutation_z=perm_z,
        complement=comp,
        runs=runs,
    )


def main(argv=None) -> int:
    args = parse(argv)
    import bayes_uat as bu
    from bayes_uat import runtime
    from bayes_uat.modes import to_canonical
    from bayes_uat.studies import halves_z

    runtime.enable_compilation_cache()
    runtime.enable_x64()
    parts, runs, steps = (32, 4, 2) if args.quick else (args.particles, args.runs, args.steps)
    post = bu.Posterior(bu.MLP(2, "sigmoid"), bu.make_dataset("x2"), likelihood="gaussian")
    t0 = time.perf_counter()
    s = bu.sample(
        post, "smc", chains=runs, draws=parts, seed=0, steps=steps, mass=args.mass, progress=False
    )
    wall = time.perf_counter() - t0
    run_means = to_canonical(post, s.theta).mean(axis=1)
    modes = bu.find_modes(post, s)
    mse = np.asarray(post.mse(s.theta))
    numbers = dict(
        settings=dict(runs=runs, particles=parts, steps=steps, mass=args.mass, quick=args.quick),
        log_evidence=s.info["log_evidence"],
        log_evidence_mean=s.info["log_evidence_mean"],
        log_evidence_se=s.info["log_evidence_se"],
        temperatures=s.info["temperatures"],
        mutation_steps=s.info["mutation_steps"],
        mse_median_per_run=np.median(mse, axis=1).tolist(),
        best_log_density_per_run=s.log_density.max(axis=1).tolist(),
        **symmetry_checks(s.theta, post.prior_std),
        canonical_mean=dict(zip(post.names, run_means.mean(axis=0).tolist())),
        canonical_mean_se=dict(
            zip(post.names, (run_means.std(axis=0, ddof=1) / np.sqrt(runs)).tolist())
        ),
        canonical_halves_z=dict(zip(post.names, halves_z(run_means).tolist())),
        modes=modes.to_dict(post.names),
        wall_time=wall,
    )
    write_numbers(Path(args.figures) / "smc_closeup.json", numbers)
    report(modes, numbers, wall)
    return 0


def report(modes, numbers: dict, wall: float) -> None:
    print(modes)
    for k in range(8):
        print(f"copy {k}: mass {numbers['copy_mass'][k]:.3f} ± {numbers['copy_mass_se'][k]:.3f}")
    print("permutation pairs (SE):", [round(z, 2) for z in numbers["permutation_z"]])
    print("complement:", numbers["complement"])
    print(f"log Z = {numbers['log_evidence_mean']:.2f} ± {numbers['log_evidence_se']:.2f}")
    print(
        "canonical halves (SE):", {k: round(v, 2) for k, v in numbers["canonical_halves_z"].items()}
    )
    print(f"smc_closeup: {wall:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
