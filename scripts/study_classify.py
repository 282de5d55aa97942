"""Classifiers and two inputs: two moons (bernoulli), the 8×8 digits (categorical) and a 2-D
bump (regression), each fitted by SGD and sampled, with the figures that compare them.

    python scripts/study_classify.py [--quick] [--figures figures]

Writes figures/classify_moons.*, classify_digits_reliability.*, classify_laplace_corner.*,
bump2d_regression.* (the regression on two inputs) and the numbers (the digits network's
size and the raw-θ diagnostics of NUTS and of the ensemble sampler on it) into
figures/classify.json; the wall times go to figures/timings/classify.json.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from _study import parse_args, write_numbers


def settings(quick: bool) -> dict:
    if quick:
        return dict(warmup=60, draws=60, chains=2, steps=300, digits_units=2, components=4)
    return dict(warmup=500, draws=500, chains=4, steps=3000, digits_units=4, components=8)


def fit(post, cfg, *, sampler="nuts", seed=0, log=print):
    """SGD restarts, then posterior draws started from them; returns (Run, seconds sampling)."""
    from bayes_uat import Run, sample, train_sgd

    sgd = train_sgd(post, steps=cfg["steps"], restarts=cfg["chains"], learning_rate=0.02, seed=seed)
    kw = dict(chains=cfg["chains"]) if sampler == "nuts" else {}
    t0 = time.perf_counter()
    samples = sample(
        post,
        sampler,
        warmup=cfg["warmup"],
        draws=cfg["draws"],
        sgd=sgd,
        seed=seed,
        progress=False,
        **kw,
    )
    dt = time.perf_counter() - t0
    log(f"  {sampler}: {samples.theta.shape} in {dt:.1f} s")
    return Run(post, samples, sgd, config={}, summary={}, idata=None), dt


def main(argv=None) -> int:
    args = parse_args(__doc__, argv)

    import bayes_uat as bu
    from bayes_uat import plots
    from bayes_uat.modes import find_modes, mode_laplace
    from bayes_uat.records import versions

    bu.enable_x64()
    t_start = time.perf_counter()
    cfg = settings(args.quick)
    out = Path(args.figures)
    numbers: dict = dict(quick=args.quick, settings=cfg)

    print("two moons, bernoulli, 6 tanh units")
    moons = bu.make_moons(200, noise=0.2, seed=0)
    post = bu.Posterior(bu.MLP(6, "tanh", in_dim=2), moons, likelihood="bernoulli", prior_std=3.0)
    run, _ = fit(post, cfg)
    plots.save(plots.decision_boundary(run), out / "classify_moons")
    fit_0 = mode_laplace(run.posterior, find_modes(run.posterior, run.samples), mode=0)
    plots.save(plots.laplace_corner(run, fit_0, max_params=6), out / "classify_laplace_corner")

    k = cfg["components"]
    print(f"digits 0-3, {k} principal components, categorical, {cfg['digits_units']} tanh units")
    digits = bu.load_digits((0, 1, 2, 3), n_components=k)
    # fitted on every other image; calibration judged on the held-out half
    train = bu.Dataset(x=digits.x[::2], y=digits.y[::2], source=digits.source + ", even rows")
    net = bu.MLP(cfg["digits_units"], "tanh", in_dim=k, out_dim=4)
    post = bu.Posterior(net, train, likelihood="categorical", prior_std=3.0)
    numbers["digits"] = dict(n_train=train.n, n_test=digits.n - train.n, dim=post.dim)
    run, t_nuts = fit(post, cfg, sampler="nuts")
    run_e, t_ens = fit(post, cfg, sampler="ensemble")
    for name, r, t in (("nuts", run, t_nuts), ("ensemble", run_e, t_ens)):
        from bayes_uat.diagnostics import diagnostics

        d = diagnostics(r.samples.theta, r.samples.names)
        numbers["digits"][name] = dict(
            wall_time=t,
            draws=int(r.samples.theta.shape[0] * r.samples.theta.shape[1]),
            **{k: v for k, v in d.items() if isinstance(v, float)},
        )
    title = (
        f"digits 0–3, {digits.n - train.n} held-out images; {k} principal components, "
        f"{cfg['digits_units']} tanh units\nNUTS, {cfg['chains']} chains × "
        f"({cfg['warmup']} warm-up + {cfg['draws']} draws)"
    )
    fig = plots.reliability(run, x=digits.x[1::2], y=digits.y[1::2], title=title)
    plots.save(fig, out / "classify_digits_reliability")

    print("bump2d, gaussian, 6 tanh units")
    bump = bu.make_dataset("bump2d", n=225, seed=0)
    post = bu.Posterior(bu.MLP(6, "tanh", in_dim=2), bump, likelihood="gaussian", prior_std=3.0)
    run, _ = fit(post, cfg)
    plots.save(plots.regression2d(run), out / "bump2d_regression")

    numbers.update(wall_time=time.perf_counter() - t_start, versions=versions())
    write_numbers(out / "classify.json", numbers)
    print(f"classify: {numbers['wall_time']:.0f} s; figures in {out}/classify_*")
    return 0


if __name__ == "__main__":
    sys.exit(main())
