"""Tempered SMC: evidence and mode masses against known answers, and time.

    python benchmarks/smc.py linear [--runs R --particles P --steps S]
    python benchmarks/smc.py blog   [...]      # also NUTS and the ensemble, same process
    python benchmarks/smc.py sin16  [...]
    python benchmarks/smc.py digits [...]      # the digits network of docs/models.md
    python benchmarks/smc.py sin16 --seed 1 --tag seed1   # a second, independent group

Each case prints one JSON object and stores it under its name in
benchmarks/smc_results.json (with the settings, the machine's load average, and the date);
``python benchmarks/run.py --render-only`` puts them into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bayes_uat.runtime import set_host_device_count  # noqa: E402

set_host_device_count(4)  # NUTS's CPU default, one chain per host device, as the command runs it

import bayes_uat as bu  # noqa: E402
from bayes_uat._io import atomic_path  # noqa: E402
from bayes_uat.modes import to_canonical  # noqa: E402
from bayes_uat.samplers.smc import SMCSettings, run_masses, run_smc  # noqa: E402
from bayes_uat.studies import complement_ratios, copy_index, halves_z  # noqa: E402
from bayes_uat.summary import diagnostics  # noqa: E402

bu.enable_x64()

RESULTS = ROOT / "benchmarks" / "smc_results.json"


def settings_of(args) -> SMCSettings:
    """The SMC settings the command line asked for."""
    return SMCSettings(
        particles=args.particles, steps=args.steps, leapfrog=args.leapfrog, mass=args.mass,
        max_steps=args.max_steps, target_ess=args.target_ess,
        symmetry_moves=not args.no_symmetry_moves,
    )  # fmt: skip


def smc(post, args) -> tuple:
    t0 = time.perf_counter()
    res = run_smc(post, runs=args.runs, settings=settings_of(args), seed=args.seed)
    return res, time.perf_counter() - t0


def evidence(info) -> dict:
    keys = ("log_evidence", "log_evidence_mean", "log_evidence_se", "temperatures")
    out = {k: info[k] for k in keys}
    out["mean_acceptance"] = float(np.mean(info["mean_acceptance"]))
    out["final_ess"] = info["final_ess"]
    out["mutation_steps"] = info["mutation_steps"]  # per particle, all temperatures
    return out


def across_run_ess(theta: np.ndarray) -> np.ndarray:
    """ESS of each coordinate's mean from the spread of run means: var / SE²."""
    runs = theta.shape[0]
    se2 = theta.mean(axis=1).var(axis=0, ddof=1) / runs
    return theta.reshape(-1, theta.shape[-1]).var(axis=0) / se2


def case_linear(args) -> dict:
    rng = np.random.default_rng(3)
    x = np.linspace(-1, 1, 20)
    sigma, prior = 0.3, 2.0
    y = 1.5 * x - 0.5 + sigma * rng.standard_normal(20)
    post = bu.Posterior(
        bu.MLP((), "identity"), bu.Dataset(x=x, y=y), prior_std=prior, likelihood="gaussian",
        noise_std=sigma,
    )  # fmt: skip
    X = np.stack([x, np.ones_like(x)], axis=1)
    from scipy import stats

    cov = prior**2 * X @ X.T + sigma**2 * np.eye(len(x))
    exact = float(stats.multivariate_normal(np.zeros(len(x)), cov).logpdf(y))
    res, wall = smc(post, args)
    out = evidence(res.info)
    out.update(exact=exact, error=out["log_evidence_mean"] - exact, wall=wall)
    return out


def complement_check(theta: np.ndarray, s: float = 30.0) -> dict:
    """Masses of the complement classes F ⊆ {early, late} relative to ∅, observed (share
    ratios per run) and predicted by mass(F)/mass(∅) = E_q[π(g_F θ)/π(θ)] from each run's
    particles in the ∅ copies (no unit flipped); z of their difference over runs."""
    runs = theta.shape[0]
    out = {}
    for name, (obs, pred) in complement_ratios(theta, s).items():
        d = obs - pred
        out[name] = dict(
            observed=float(obs.mean()),
            observed_se=float(obs.std(ddof=1) / math.sqrt(runs)),
            predicted=float(pred.mean()),
            predicted_se=float(pred.std(ddof=1) / math.sqrt(runs)),
            z=float(d.mean() / (d.std(ddof=1) / math.sqrt(runs))),
        )
    return out


def ess_per_s(post, theta, wall) -> dict:
    d = diagnostics(to_canonical(post, theta), post.names)
    ess = np.array(list(d["ess_bulk"].values()))
    return dict(wall=wall, min_ess=float(ess.min()), min_ess_per_s=float(ess.min() / wall),
                max_rhat_canonical=d["max_rhat"])  # fmt: skip


def case_blog(args) -> dict:
    post = bu.Posterior(bu.MLP(2, "sigmoid"), bu.make_dataset("x2"), prior_std=30.0)
    res, wall = smc(post, args)
    mass, se = run_masses(copy_index(res.theta), 8)
    pairs = [(k, k + 4) for k in range(4)]  # the same flips, units swapped
    perm_z = [float((mass[i] - mass[j]) / math.hypot(se[i], se[j])) for i, j in pairs]
    can = to_canonical(post, res.theta)
    d = diagnostics(can, post.names)
    ess = across_run_ess(can)
    out = evidence(res.info)
    out.update(
        wall=wall,
        masses=mass.tolist(),
        masses_se=se.tolist(),
        permutation_z=perm_z,
        complement=complement_check(res.theta),
        canonical_rhat_across_runs=d["max_rhat"],
        canonical_halves_z=halves_z(can.mean(axis=1)).tolist(),
        min_ess_across_runs=float(ess.min()),
        min_ess_per_s=float(ess.min() / wall),
    )
    if not args.skip_mcmc:
        t0 = time.perf_counter()
        nuts = bu.sample(post, "nuts", chains=4, warmup=1000, draws=1000, seed=1, progress=False)
        out["nuts"] = ess_per_s(post, nuts.theta, time.perf_counter() - t0)
        t0 = time.perf_counter()
        ens = bu.sample(
            post, "ensemble", chains=28, warmup=2000, draws=8000, seed=1, progress=False
        )
        out["ensemble"] = ess_per_s(post, ens.theta, time.perf_counter() - t0)
    return out


def case_closeup(args) -> dict:
    """The blog close-up (x², N = 2 sigmoid, σ inferred, N(0, 30²)): do the runs agree on
    log Z, and do the particles reach the well-fitting modes (SGD: MSE 0.70; NUTS from the
    best SGD starts: 0.023, docs/studies.md)?"""
    post = bu.Posterior(bu.MLP(2, "sigmoid"), bu.make_dataset("x2"), likelihood="gaussian")
    res, wall = smc(post, args)
    logz = np.array(res.info["log_evidence"])
    mse = np.asarray(post.mse(res.theta))
    out = evidence(res.info)
    out.update(
        wall=wall,
        log_evidence_max_dev_se=float(
            np.max(np.abs(logz - logz.mean())) / res.info["log_evidence_se"]
        ),
        max_log_density=res.log_density.max(axis=1).tolist(),
        mse_median=np.median(mse, axis=1).tolist(),
        mse_min=mse.min(axis=1).tolist(),
    )
    return out


def case_sin16(args) -> dict:
    post = bu.Posterior(bu.MLP(16, "sigmoid"), bu.make_dataset("sin"), prior_std=30.0)
    res, wall = smc(post, args)
    grid = np.linspace(-10, 10, 41)
    f = np.asarray(post.predict(res.theta, grid))  # (R, P, G)
    d = diagnostics(f, [f"x={g:g}" for g in grid])
    logz = np.array(res.info["log_evidence"])
    se = res.info["log_evidence_se"]
    out = evidence(res.info)
    out.update(
        wall=wall,
        wall_per_run=wall,  # the runs advance together in one vectorised computation
        max_rhat_f=d["max_rhat"],
        log_evidence_max_dev_se=float(np.max(np.abs(logz - logz.mean())) / se),
        mse_median=float(np.median(np.asarray(post.mse(res.theta)))),
    )
    return out


def case_seed000(args) -> dict:
    """Seed 000's 5-unit ReLU posterior (docs/studies.md, study 6: 200 points of
    sin 2x + 0.3x² − 0.5|x| + N(0, 0.1²), σ inferred, N(0, 30²)): its modes with their
    masses, the kinks of the canonical mean, the particles' fit, and log Z."""
    from bayes_uat.studies import SEED000_TARGET

    data = bu.make_dataset(SEED000_TARGET, n=200, seed=0)
    post = bu.Posterior(bu.MLP(5, "relu"), data, likelihood="gaussian")
    opts = {k: v for k, v in settings_of(args)._asdict().items() if k != "particles"}
    t0 = time.perf_counter()
    s = bu.sample(post, "smc", chains=args.runs, draws=args.particles, seed=args.seed,
                  progress=False, **opts)  # fmt: skip
    wall = time.perf_counter() - t0
    modes = bu.find_modes(post, s)
    can = to_canonical(post, s.theta).reshape(-1, post.dim)
    out = evidence(s.info)
    out.update(
        wall=wall,
        modes=str(modes).splitlines(),
        kinks_median=np.median(-can[:, 1:15:3] / can[:, 0:15:3], axis=0).tolist(),
        mse_median=np.median(np.asarray(post.mse(s.theta)), axis=1).tolist(),
        best_log_density=s.log_density.max(axis=1).tolist(),
    )
    return out


def case_digits(args) -> dict:
    """The digits network of docs/models.md and scripts/study_classify.py: digits 0–3, 8
    principal components, MLP(4, "tanh", in_dim=8, out_dim=4), categorical, N(0, 3²), fitted
    on the even rows; every temperature's time and λ go to stderr and into ``trace``, so a
    run cut short by ``timeout`` still shows how fast λ rose."""
    digits = bu.load_digits((0, 1, 2, 3), n_components=8)
    train = bu.Dataset(x=digits.x[::2], y=digits.y[::2], source=digits.source + ", even rows")
    net = bu.MLP(4, "tanh", in_dim=8, out_dim=4)
    post = bu.Posterior(net, train, likelihood="categorical", prior_std=3.0)
    trace, t0 = [], time.perf_counter()

    temps = np.zeros(args.runs, dtype=int)

    def report(state, info):
        nonlocal temps
        lam = np.asarray(state.tempered.tempering_param)
        trace.append([round(time.perf_counter() - t0, 1), float(lam.min())])
        temps = temps + (np.asarray(info.active) & ~np.asarray(info.final))
        print(f"{trace[-1][0]:7.1f} s  temperature {temps.max()}  λ = {lam}", file=sys.stderr)

    res = run_smc(post, runs=args.runs, settings=settings_of(args), seed=args.seed, callback=report)
    wall = time.perf_counter() - t0
    # held-out accuracy of each run's predictive (mean class probabilities over its particles)
    p = np.asarray(post.probability(res.theta, digits.x[1::2])).mean(axis=1)  # (R, n, K)
    acc = (p.argmax(-1) == digits.y[1::2]).mean(axis=1)
    out = evidence(res.info)
    out.update(dim=post.dim, wall=wall, trace=trace, held_out_accuracy=acc.tolist())
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=("linear", "blog", "closeup", "sin16", "seed000", "digits"))
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--particles", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--leapfrog", type=int, default=10)
    ap.add_argument("--max-steps", type=int, default=None, help="default: 10·steps")
    ap.add_argument("--mass", default=SMCSettings().mass)
    ap.add_argument("--target-ess", type=float, default=SMCSettings().target_ess)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-mcmc", action="store_true")
    ap.add_argument("--no-symmetry-moves", action="store_true", help="HMC moves only")
    ap.add_argument("--tag", default="", help="store as 'CASE TAG' beside the plain CASE")
    args = ap.parse_args()
    out = globals()[f"case_{args.case}"](args)
    out["settings"] = dict(
        runs=args.runs, particles=args.particles, steps=args.steps, leapfrog=args.leapfrog,
        max_steps=args.max_steps, mass=args.mass, target_ess=args.target_ess, seed=args.seed,
        symmetry_moves=not args.no_symmetry_moves,
    )  # fmt: skip
    out["load_average"] = os.getloadavg()
    out["cpus"] = os.cpu_count()
    out["date"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="minutes")
    print(json.dumps(out, indent=1))
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}  # read late: cases
    results[f"{args.case} {args.tag}".strip()] = out  # may run side by side
    with atomic_path(RESULTS) as tmp:
        tmp.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
