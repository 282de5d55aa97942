"""Seed 001's spectral bias: which frequencies Adam learns first, what the prior over weights
already prefers, and what the posterior does with high-frequency noise, for relu, tanh,
sigmoid, sin and hat units and relu on Fourier features.

    python scripts/study_spectral.py [--quick] [--figures figures]

Writes figures/spectral_{dynamics,prior,posterior,fits}.png/.pdf and figures/spectral.json.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from _study import parse_args, write_numbers


def settings(quick: bool) -> dict:
    if quick:
        return dict(
            width=16,
            restarts=2,
            steps=200,
            every=20,
            prior_draws=20,
            prior_scales=(1.0, 10.0),
            posterior_networks=("tanh",),
            posterior_width=4,
            posterior_steps=100,
            warmup=10,
            draws=10,
            max_tree_depth=3,
        )
    return dict()


def main(argv=None) -> int:
    args = parse_args(__doc__, argv)

    from bayes_uat import studies
    from bayes_uat.records import versions
    from bayes_uat.studies import plots

    t_start = time.perf_counter()
    cfg = settings(args.quick)
    out = Path(args.figures)
    res = studies.spectral_study(log=print, **cfg)
    plots.save(plots.spectral_dynamics(res), out / "spectral_dynamics")
    plots.save(plots.spectral_prior(res), out / "spectral_prior")
    plots.save(plots.spectral_posterior(res), out / "spectral_posterior")
    plots.save(plots.spectral_fits(res), out / "spectral_fits")
    for c in res.claims:
        print(f"{c['verdict']:>6}  {c['claim']} ({c['network']})")
    numbers = dict(
        quick=args.quick,
        **res.numbers,
        wall_time=time.perf_counter() - t_start,
        versions=versions(),
    )
    write_numbers(out / "spectral.json", numbers)
    print(f"spectral: {numbers['wall_time']:.0f} s; figures in {out}/spectral_*")
    return 0


if __name__ == "__main__":
    sys.exit(main())
