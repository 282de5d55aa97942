"""How many units does sin x on [−10, 10] need?  PSIS-LOO of the posterior and SGD's train
and held-out errors for N = 3 … 8 and 10 units of sigmoid, softsign, ReLU and tanh (seed 003's
claim: about 6, one per turn of the curve), and beside it the log evidence log p(D | N,
activation) ± SE across independent runs of :func:`bayes_uat.evidence` (each run its own SGD
census, a reference over the modes found, tempered SMC from it) for N = 1 … 10.

    python scripts/study_how_many.py [--quick] [--figures figures]
                                     [--evidence-only | --cached-evidence | --redraw-loo]

Writes figures/how_many_*.png/.pdf and the numbers into figures/how_many.json. Each
network's evidence is kept, as soon as it is done, in figures/timings/how_many_evidence.json
(ignored by git) under its settings, so an interrupted run loses at most the network it was
on, and a second run with the same settings reuses what is there; ``--evidence-only`` fills
that file and stops (no LOO sweep, no figures); ``--cached-evidence`` draws the figures with
the networks whose evidence is in that file and lists the others in how_many.json as not run;
``--redraw-loo`` redraws only how_many_loo from the LOO and SGD numbers already in
how_many.json (the sweep's fixed seeds give the same numbers on every run) and the evidence in
that file, and updates how_many.json's evidence entries.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from _study import parse_args, write_numbers


def settings(quick: bool) -> dict:
    if quick:
        return dict(
            target="sin",
            units=(2, 3),
            grid_units=(2, 3),
            activations=("sigmoid", "tanh"),
            sweep=dict(warmup=30, draws=30, sgd_steps=200, sgd_restarts=2),
            evidence=dict(
                units=(1, 2), activations=("tanh",), runs=2,
                options=dict(restarts=8, sgd_steps=300, learning_rate=0.05, particles=64,
                             steps=2, max_components=4),
            ),
        )  # fmt: skip
    return dict(
        target="sin",
        units=(3, 4, 5, 6, 7, 8, 10),
        grid_units=(3, 4, 5, 6, 7, 8),
        activations=("sigmoid", "softsign", "relu", "tanh"),
        sweep=dict(
            warmup=200,
            draws=200,
            max_tree_depth=7,
            sgd_steps=1000,
            sgd_restarts=8,
            learning_rate=0.1,
        ),
        # the same model as the sweep (Gaussian likelihood, σ inferred, prior 30), every
        # N from 1 to 10; 4 independent runs, each with its own census of bu.evidence's
        # default 1 024 restarts × 200 Adam steps; census "maxima": the census refines its
        # best quarter to maxima and its reference takes maxima first (rows computed before
        # that are kept in the cache under their own key and not reused)
        evidence=dict(
            units=tuple(range(1, 11)),
            activations=("sigmoid", "tanh"),
            runs=4,
            census="maxima",
            options=dict(restarts=1024, sgd_steps=200, particles=256, steps=5),
        ),  # fmt: skip
    )


def evidence_rows(cfg: dict, cache: Path, log, compute: bool = True) -> tuple[list, list]:
    """Every network's :class:`~bayes_uat.studies.NetworkEvidence` (as a dict), computed or
    read from ``cache`` (written atomically after each network) when its settings match,
    N by N (both activations of one N before the next N); with ``compute`` False only those
    in the cache. Returns the rows and the names of the networks left out."""
    from bayes_uat import MLP, Posterior, make_dataset
    from bayes_uat.records import write_json
    from bayes_uat.runtime import release_compiled
    from bayes_uat.studies import network_evidence

    ev = cfg["evidence"]
    census = {"census": ev["census"]} if "census" in ev else {}
    key = dict(target=cfg["target"], runs=ev["runs"], **census, **ev["options"])
    key = json.dumps(key, sort_keys=True)
    store = json.loads(cache.read_text()) if cache.exists() else {}
    done = store.get(key, {})
    data = make_dataset(cfg["target"])
    rows, missing = [], []
    for n in ev["units"]:
        for a in ev["activations"]:
            name = f"{a}/{n}"
            if name not in done and not compute:
                missing.append(name)
                continue
            if name not in done:
                post = Posterior(MLP(n, a), data, prior_std=30.0, likelihood="gaussian")
                row = network_evidence(post, runs=ev["runs"], seed=0, **ev["options"])
                done[name] = row.numbers()
                store[key] = done
                write_json(cache, store)
                release_compiled()
            r = done[name]
            log(
                f"evidence {a} N={n}: {r['log_evidence_mean']:.2f} ± {r['log_evidence_se']:.2f}"
                f" (run SD {r['log_evidence_sd']:.2f}; max log L {r['max_log_likelihood']:.1f};"
                f" {r['modes_seen']} modes; {r['wall_time']:.0f} s)"
            )
            rows.append(r)
    return rows, missing


MODES_KEPT = 50
"""how_many.json keeps each network's modes that hold particles, at most this many (the
cache keeps every mode seen: thousands per network from N = 4 on)."""


def recorded(ev: list) -> list:
    """The evidence rows as how_many.json keeps them: the modes that hold particles."""
    return [
        dict(r, modes=[m for m in r.get("modes", []) if m["mass"] > 0][:MODES_KEPT]) for r in ev
    ]


def evidence_claims(ev: list, activations) -> dict:
    """Per activation: the N of the highest mean log Z, and the N within 2 combined SE of it."""
    out = {}
    for a in activations:
        sel = [r for r in ev if r["activation"] == a]
        if not sel:
            continue
        best = max(sel, key=lambda r: r["log_evidence_mean"])
        out[a] = dict(
            best_evidence_units=best["units"],
            evidence_within_2se_of_best=[
                r["units"]
                for r in sel
                if best["log_evidence_mean"] - r["log_evidence_mean"]
                <= 2 * (best["log_evidence_se"] ** 2 + r["log_evidence_se"] ** 2) ** 0.5
            ],
        )
    return out


def redraw_loo(cfg: dict, out: Path, cache: Path) -> int:
    """how_many_loo from how_many.json's sweep numbers and the evidence in ``cache``."""
    import numpy as np

    from bayes_uat import plots
    from bayes_uat.studies import SweepPoint
    from bayes_uat.studies import plots as study_plots

    numbers = json.loads((out / "how_many.json").read_text())
    old = numbers["settings"]
    if old["sweep"] != cfg["sweep"] or list(old["units"]) != list(cfg["units"]):
        raise ValueError(f"{out / 'how_many.json'} holds another sweep's numbers: run the study")
    empty = np.zeros(0)
    pts = [
        SweepPoint(
            target=p["target"],
            units=p["units"],
            activation=p["activation"],
            x=empty,
            y=empty,
            grid=empty,
            quantiles=np.zeros((5, 0)),
            sgd_curve=empty,
            sgd_fit=empty,
            median_fit=empty,
            truth=None,
            noise_var=p["noise_var"],
            noise_floor=p["noise_floor"],
            residual_sgd=p["residual_sgd"],
            residual_median=p["residual_median"],
            sgd_restart_residuals=np.asarray(p["sgd_restart_residuals"]),
            errors=p["errors"],
            slopes=p["slopes"],
            loo=p["loo"],
            sampler=p["sampler"],
            equation=p["equation"],
        )  # fmt: skip
        for p in numbers["points"]
    ]
    ev, missing = evidence_rows(cfg, cache, print, compute=False)
    plots.save(study_plots.loo(pts, evidence=ev), out / "how_many_loo")
    numbers["settings"]["evidence"] = cfg["evidence"]
    numbers["evidence"] = recorded(ev)
    numbers["evidence_not_run"] = missing
    for a, c in evidence_claims(ev, cfg["evidence"]["activations"]).items():
        numbers["claims"].setdefault(a, {}).update(c)
    write_numbers(out / "how_many.json", numbers)
    print(f"how_many_loo redrawn with {len(ev)} evidence point(s); not run: {missing}")
    return 0


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    flags = ("--evidence-only", "--cached-evidence", "--redraw-loo")
    only, cached, redraw = (f in argv for f in flags)
    args = parse_args(__doc__, [a for a in argv if a not in flags], host_devices=2)

    from bayes_uat import plots, studies
    from bayes_uat.records import versions
    from bayes_uat.studies import plots as study_plots

    t_start = time.perf_counter()
    cfg = settings(args.quick)
    out = Path(args.figures)
    cache = out / "timings" / "how_many_evidence.json"
    if only:
        evidence_rows(cfg, cache, print)
        return 0
    if redraw:
        return redraw_loo(cfg, out, cache)
    pts = []
    for act in cfg["activations"]:
        pts += studies.unit_sweep(
            cfg["target"], cfg["units"], activation=act, log=print, **cfg["sweep"]
        )
    ev, missing = evidence_rows(cfg, cache, print, compute=not cached)
    plots.save(study_plots.loo(pts, evidence=ev), out / "how_many_loo")
    plots.save(study_plots.activations(pts, units=cfg["grid_units"]), out / "how_many_activations")
    claims = {
        a: studies.sweep_claims([p for p in pts if p.activation == a]) for a in cfg["activations"]
    }
    for a, c in evidence_claims(ev, cfg["evidence"]["activations"]).items():
        claims.setdefault(a, {}).update(c)
    for a, c in claims.items():
        print(
            f"{a}: best elpd_loo at N = {c.get('best_elpd_units')}, smallest N within 2 SE "
            f"{c.get('smallest_units_within_2se')}, SGD reaches the noise floor "
            f"({c['noise_floor']:.3f}) at N = {c['units_to_noise_floor_sgd']}; best evidence "
            f"at N = {c.get('best_evidence_units')}"
        )
    numbers = dict(
        quick=args.quick,
        settings=cfg,
        points=[p.numbers() for p in pts],
        evidence=recorded(ev),
        evidence_not_run=missing,
        claims=claims,
        wall_time=time.perf_counter() - t_start,
        versions=versions(),
    )
    write_numbers(out / "how_many.json", numbers)
    print(f"how_many: {numbers['wall_time']:.0f} s; figures in {out}/how_many_*")
    return 0


if __name__ == "__main__":
    sys.exit(main())
