"""Many short chains for mode discovery on the N = 3 tanh posterior of a sinusoid.

    python benchmarks/discovery.py [--chains 128]

Writes benchmarks/discovery.json; `python benchmarks/run.py --render-only` puts it into
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chains", type=int, default=128)
    ap.add_argument("--warmup", type=int, default=150)
    ap.add_argument("--draws", type=int, default=20)
    args = ap.parse_args(argv)

    import bayes_uat as bu
    from bayes_uat.records import write_json
    from bayes_uat.studies.discovery import discover_modes

    bu.enable_x64()
    data = bu.make_dataset("sin", n=200, x_range=(-4, 4), noise="gaussian", noise_scale=0.1)
    post = bu.Posterior(
        bu.MLP(3, "tanh"), data, prior_std=3.0, likelihood="gaussian", noise_std=0.1
    )
    t0 = time.perf_counter()
    d = discover_modes(post, chains=args.chains, warmup=args.warmup, draws=args.draws, seed=0)
    wall = time.perf_counter() - t0
    ks = [k for k in (1, 2, 4, 8, 16, 32, 64, 128, 256) if k <= args.chains]
    out = dict(
        setting=dict(
            target="sin on [-4, 4], 200 points, noise 0.1",
            net="MLP(3, 'tanh')",
            prior_std=3.0,
            chains=args.chains,
            warmup=args.warmup,
            draws=args.draws,
        ),
        wall_s=wall,
        modes=[
            dict(share=m.share, map_log_posterior=m.map_log_density, equation=m.equation)
            for m in d.modes
        ],
        chains_reaching=d.chains_per_mode.tolist(),
        p_all_found={k: d.p_all_found(k) for k in ks},
        chains_needed_95=d.chains_needed(0.95),
    )
    print(d.modes)
    print(out["chains_reaching"], out["p_all_found"], out["chains_needed_95"])
    write_json(ROOT / "benchmarks" / "discovery.json", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
