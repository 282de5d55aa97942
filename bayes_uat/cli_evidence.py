"""``bayes-uat evidence``: log p(D | network) for a grid of one-hidden-layer networks.

    bayes-uat evidence --units 1,2,4,8 --activation tanh,sigmoid --target sin --out ev/sin

For every (activation, N) it runs :func:`bayes_uat.evidence` (``--runs`` independent runs,
each with its own SGD census) and prints one row: log Z mean ± SE across runs, the run-to-run
SD, the largest log-likelihood found (log Z ≤ sup log L, the prior being normalised), the
best training MSE of the draws, the maxima seen, Chao1's estimate of the maxima not seen, the
share of final particles outside the reference's components, and the warnings. The table is
written to ``OUT/evidence.csv`` and ``OUT/evidence.nc`` (and each network's mode table to
``OUT/modes.csv``), atomically after every network, so an interrupted grid keeps the
networks already done and ``--resume OUT`` computes only the rest.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import sys
from pathlib import Path

TABLE_CSV, TABLE_NC, MODES_CSV, SETTINGS = (
    "evidence.csv",
    "evidence.nc",
    "modes.csv",
    "evidence_settings.json",
)
OUT_FILES = (TABLE_CSV, TABLE_NC, MODES_CSV, SETTINGS)
# the settings of bayes_uat.evidence the command passes on (flags --restarts, --sgd-steps, …)
OPTIONS = (
    "restarts", "hops", "sgd_steps", "learning_rate", "particles", "steps", "leapfrog",
    "target_ess", "df", "inflate", "max_components", "domain", "reference",
)  # fmt: skip
COLUMNS = (
    "activation", "units", "dim", "runs", "log_evidence_mean", "log_evidence_se",
    "log_evidence_sd", "max_log_likelihood", "best_mse", "median_mse", "modes_seen", "chao1_unseen",
    "share_outside", "wall_time", "warnings", "log_evidence_runs", "bridge_log_evidence_mean",
    "bridge_log_evidence_se", "bridge_minus_smc",
)  # fmt: skip


def add_parser(sub) -> None:
    """The ``evidence`` subcommand, on the subparsers of ``bayes-uat``."""
    e = sub.add_parser(
        "evidence",
        help="log evidence and mode census of one-hidden-layer networks on a data set",
        description=__doc__.split("\n\n")[2],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    e.add_argument("--target", default="sin", help="target name or an expression in x")
    e.add_argument("--units", default="1,2,4,8", help="hidden units, comma-separated")
    e.add_argument("--activation", default="tanh,sigmoid", help="activations, comma-separated")
    e.add_argument("--prior-std", type=float, default=30.0, help="std of the N(0, s²) prior")
    e.add_argument("--runs", type=int, default=4, help="independent runs per network")
    e.add_argument("--seed", type=int, default=0, help="seed (run r derives its own from it)")
    e.add_argument("--restarts", type=int, default=1024, help="Adam restarts per run's census")
    e.add_argument(
        "--hops", type=int, default=None,
        help="starts near the census's heaviest maxima with one unit drawn afresh "
        "(default: half of --restarts; 0: none)",
    )  # fmt: skip
    e.add_argument("--sgd-steps", type=int, default=200, help="Adam steps per restart")
    e.add_argument("--learning-rate", type=float, default=0.01, help="Adam's learning rate")
    e.add_argument("--particles", type=int, default=1000, help="SMC particles per run")
    e.add_argument("--steps", type=int, default=10, help="mutation sweeps per temperature")
    e.add_argument("--leapfrog", type=int, default=10, help="leapfrog steps per HMC move")
    e.add_argument(
        "--target-ess", type=float, default=0.5, help="ESS fraction held per temperature"
    )
    e.add_argument("--df", type=float, default=5.0, help="Student-t degrees of freedom of q")
    e.add_argument("--inflate", type=float, default=2.0, help="Laplace covariance factor in q")
    e.add_argument(
        "--max-components", type=int, default=16, help="at most this many modes in q per run"
    )
    e.add_argument(
        "--domain",
        choices=("auto", "canonical", "aligned"),
        default="auto",
        help="the SMC's fundamental domain: units ordered by their kinks (canonical), matched "
        "to each run's reference (aligned), or auto: canonical unless a reference puts under "
        "1%% of its draws there (default: %(default)s)",
    )
    e.add_argument(
        "--reference",
        choices=("laplace", "refit"),
        default="laplace",
        help="each run's reference q: components at the census's maxima with Laplace "
        "covariances, or the two heaviest refitted to short NUTS runs inside them, which "
        "follows curved ridges (default: %(default)s)",
    )
    e.add_argument(
        "--bridge",
        action="store_true",
        help="also estimate log Z by per-mode bridge sampling from NUTS draws inside the modes "
        "(bayes_uat.evidence.bridge: an independent check of the SMC; columns "
        "bridge_log_evidence_mean, bridge_log_evidence_se, bridge_minus_smc)",
    )
    e.add_argument("--out", metavar="DIR", help="new or empty directory for the table")
    e.add_argument("--resume", action="store_true", help="continue an interrupted grid in --out")
    e.add_argument("--quiet", action="store_true", help="no log lines")
    e.set_defaults(func=cmd_evidence)


# -- input -----------------------------------------------------------------------------------
def _items(name: str, text: str) -> list[str]:
    """The comma-separated items of a list flag; an empty one (``1,,2``) is refused."""
    items = [v.strip() for v in text.split(",")]
    if text.strip() and not all(items):
        raise ValueError(f"--{name} {text!r} has an empty item; separate values by single commas")
    return [v for v in items if v]


def _int_list(name: str, text: str) -> list[int]:
    items = _items(name, text)
    try:
        out = [int(v) for v in items]
    except ValueError:
        raise ValueError(f"--{name} takes integers separated by commas, got {text!r}") from None
    if not out or any(v < 1 for v in out):
        raise ValueError(f"--{name} takes positive integers separated by commas, got {text!r}")
    if len(set(out)) != len(out):
        raise ValueError(f"--{name} lists a value twice: {text!r}")
    return out


def _name_list(name: str, text: str, allowed) -> list[str]:
    out = _items(name, text)
    if not out:
        raise ValueError(f"--{name} is empty: give names separated by commas")
    bad = [v for v in out if v not in allowed]
    if bad:
        raise ValueError(f"--{name}: unknown {', '.join(bad)}; choose from {', '.join(allowed)}")
    if len(set(out)) != len(out):
        raise ValueError(f"--{name} lists a name twice: {text!r}")
    return out


def settings_of(args) -> dict:
    """Every input checked (before JAX starts or any file is created) and resolved."""
    from .activations import ACTIVATIONS, get_activation
    from .evidence.network import default_hops
    from .validate import integer, positive_int

    if not args.out:
        raise ValueError("--out is required: a new or empty directory for the table")
    prior = float(args.prior_std)
    if not (math.isfinite(prior) and prior > 0):
        raise ValueError(f"--prior-std must be a positive number, got {args.prior_std}")
    if not 0 <= args.seed < 2**32:
        raise ValueError(f"--seed must be in [0, 2**32 - 1], got {args.seed}")
    runs = positive_int("runs", args.runs, fix="independent runs per network, e.g. --runs 4")
    if runs < 2:
        raise ValueError("--runs must be at least 2: the SE of log Z is the spread across runs")
    units = _int_list("units", args.units)
    options = dict(
        restarts=positive_int("restarts", args.restarts, fix="e.g. --restarts 1024"),
        hops=integer(
            "hops",
            default_hops(args.restarts, args.hops),
            minimum=0,
            fix="e.g. --hops 512, or 0 for none",
        ),  # fmt: skip
        sgd_steps=positive_int("sgd-steps", args.sgd_steps, fix="e.g. --sgd-steps 200"),
        learning_rate=_positive("learning-rate", args.learning_rate),
        particles=positive_int("particles", args.particles, fix="e.g. --particles 1000"),
        steps=positive_int("steps", args.steps, fix="e.g. --steps 10"),
        leapfrog=integer("leapfrog", args.leapfrog, minimum=1, maximum=1024, fix="e.g. 10"),
        target_ess=_positive("target-ess", args.target_ess),
        df=_positive("df", args.df),
        inflate=_positive("inflate", args.inflate),
        max_components=positive_int("max-components", args.max_components, fix="e.g. 16"),
        domain=args.domain,
        reference=args.reference,
    )
    if not options["target_ess"] < 1:
        raise ValueError(f"--target-ess must be in (0, 1), got {args.target_ess}")
    dim = 3 * max(units) + 2  # (w, b, a) per unit, the output bias c and log σ
    if options["particles"] < 2 * dim:
        raise ValueError(
            f"--particles {options['particles']} is too few for N = {max(units)} ({dim} "
            f"parameters): give at least 2·dim = {2 * dim}"
        )
    activations = _name_list("activation", args.activation, tuple(ACTIVATIONS))
    for a in activations:
        if not get_activation(a).differentiable:
            raise ValueError(
                f"--activation {a}: the evidence moves particles by HMC, which needs gradients, "
                f"and {a} has zero gradient almost everywhere; choose a differentiable one"
            )
    need = 16 * 8 * runs * options["particles"] * (dim + 4)  # as bayes_uat.evidence checks
    if need > 8 * 2**30:
        raise ValueError(
            f"--particles {options['particles']} × --runs {runs} for N = {max(units)} need "
            f"about {need / 2**30:.0f} GiB of memory (limit 8 GiB); pass fewer particles"
        )
    return dict(
        target=args.target,
        units=units,
        activations=activations,
        prior_std=prior,
        likelihood="gaussian",
        runs=runs,
        seed=int(args.seed),
        options=options,
        bridge=bool(args.bridge),
    )


def _positive(name: str, v) -> float:
    v = float(v)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"--{name} must be a positive number, got {v}")
    return v


def check_out(out: Path, settings: dict, resume: bool) -> list[dict]:
    """Refuse an --out that holds anything but this command's own files (never write over
    a user's file); with --resume, the rows already done under the same settings."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} exists and is not a directory; choose a directory")
    names = sorted(os.listdir(out)) if out.is_dir() else []
    foreign = [n for n in names if n not in OUT_FILES and not _own_temp(n)]
    if foreign:
        shown = ", ".join(foreign[:5]) + (", …" if len(foreign) > 5 else "")
        raise ValueError(
            f"--out {str(out)!r} holds files that are not this command's ({shown}); choose a "
            "new or empty directory"
        )
    done = [n for n in names if n in OUT_FILES]
    if done and not resume:
        raise ValueError(
            f"--out {str(out)!r} already holds an evidence table; pass --resume to continue "
            "it, or choose a new directory"
        )
    if resume and done:
        saved = json.loads((out / SETTINGS).read_text()) if (out / SETTINGS).is_file() else {}
        mine = {k: v for k, v in settings.items() if k not in ("units", "activations")}
        theirs = {"bridge": False} | {
            k: v for k, v in saved.get("settings", {}).items() if k in mine
        }
        if theirs != mine:
            raise ValueError(
                f"--resume: {str(out)!r} was made with {theirs}, this command asks for {mine}; "
                "use the same settings or a new --out"
            )
        return saved.get("rows", [])
    probe = out.absolute()
    while not probe.exists():
        probe = probe.parent
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write into {str(out)!r}: {str(probe)!r} is not writable")
    return []


def _own_temp(name: str) -> bool:
    """An atomic temporary or a network's checkpoint, both written by this command."""
    if name.lstrip(".").startswith("checkpoint-") and ".npz" in name:
        return True
    return name.endswith(".tmp") and any(name.startswith(f".{f}.") for f in OUT_FILES)


# -- output ----------------------------------------------------------------------------------
def _cell(v):
    if isinstance(v, (list, tuple)):
        return json.dumps([_cell(x) for x in v])
    if hasattr(v, "tolist"):
        return _cell(v.tolist())
    if isinstance(v, float) and not math.isfinite(v):
        return ""
    return v


def _csv_text(rows: list[dict], cols) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(cols), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: _cell(r.get(k, "")) for k in cols})
    return buf.getvalue()


def to_dataset(rows: list[dict]):
    """The table as an xarray Dataset over (network, run)."""
    import numpy as np
    import xarray as xr

    n_runs = max(len(r["log_evidence_runs"]) for r in rows)
    z = np.full((len(rows), n_runs), np.nan)
    for i, r in enumerate(rows):
        z[i, : len(r["log_evidence_runs"])] = r["log_evidence_runs"]
    data = {
        k: ("network", np.array([np.nan if r.get(k) is None else r[k] for r in rows]))
        for k in COLUMNS
        if k not in ("activation", "units", "warnings", "log_evidence_runs")
    }
    data["warnings"] = ("network", np.array(["; ".join(r["warnings"]) for r in rows], dtype=str))
    data["log_evidence"] = (("network", "run"), z)
    coords = dict(
        activation=("network", np.array([r["activation"] for r in rows], dtype=str)),
        units=("network", np.array([r["units"] for r in rows])),
        run=np.arange(n_runs),
    )
    return xr.Dataset(data, coords=coords)


def write_outputs(out: Path, settings: dict, rows: list[dict], modes: list[dict]) -> None:
    """OUT/evidence.csv, evidence.nc, modes.csv and the settings with every row so far,
    each written atomically."""
    from ._io import atomic_path, write_json

    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / TABLE_CSV) as tmp:
        tmp.write_text(_csv_text(rows, COLUMNS))
    ds = to_dataset(rows)
    ds.attrs["settings"] = json.dumps(settings)
    with atomic_path(out / TABLE_NC) as tmp:
        ds.to_netcdf(str(tmp), engine="h5netcdf")
    mode_cols = list(dict.fromkeys(k for m in modes for k in m)) or ["activation", "units"]
    with atomic_path(out / MODES_CSV) as tmp:
        tmp.write_text(_csv_text(modes, mode_cols))
    write_json(out / SETTINGS, dict(settings=settings, rows=rows, modes=modes))


def table_text(rows: list[dict]) -> str:
    """The printed table."""
    head = (
        f"{'network':<14} {'log Z ± SE':>18} {'run SD':>7} {'max log L':>10} {'best MSE':>9} "
        f"{'modes':>5} {'Chao1':>6} {'outside q':>9}  warnings"
    )

    def num(r, k):  # a row read back from JSON holds None for NaN
        v = r.get(k)
        return math.nan if v is None else float(v)

    bridged = any(math.isfinite(num(r, "bridge_log_evidence_mean")) for r in rows)
    if bridged:
        cols = f" {'bridge log Z ± SE':>18} {'bridge − SMC':>12}  warnings"
        head = head.replace("  warnings", cols)
    lines = [head, "-" * len(head)]
    for r in rows:
        z = f"{r['log_evidence_mean']:.2f} ± {r['log_evidence_se']:.2f}"
        b = ""
        if bridged:
            bz = f"{num(r, 'bridge_log_evidence_mean'):.2f} ± "
            bz += f"{num(r, 'bridge_log_evidence_se'):.2f}"
            b = f" {bz:>18} {num(r, 'bridge_minus_smc'):>+12.2f}"
        lines.append(
            f"{r['activation'] + ' N=' + str(r['units']):<14} {z:>18} "
            f"{r['log_evidence_sd']:>7.2f} {r['max_log_likelihood']:>10.1f} "
            f"{r['best_mse']:>9.4f} {r['modes_seen']:>5d} {r['chao1_unseen']:>6.1f} "
            f"{r['share_outside']:>9.3f}{b}  {'; '.join(r['warnings']) or '—'}"
        )
    return "\n".join(lines)


def cmd_evidence(args) -> int:
    from .data import make_dataset
    from .evidence.table import network_evidence
    from .nets import MLP
    from .posterior import Posterior

    settings = settings_of(args)
    out = Path(args.out)
    done = check_out(out, settings, args.resume)
    data = make_dataset(settings["target"])  # checks the target before any file exists
    log = (lambda s: None) if args.quiet else (lambda s: print(s, file=sys.stderr, flush=True))
    posts = [
        (a, n, Posterior(MLP(n, a), data, prior_std=settings["prior_std"], likelihood="gaussian"))
        for a in settings["activations"]
        for n in settings["units"]
    ]  # every network built (and so checked) before the first run
    rows = list(done)
    modes = json.loads((out / SETTINGS).read_text()).get("modes", []) if done else []
    have = {(r["activation"], r["units"]) for r in rows}
    for a, n, post in posts:
        if (a, n) in have:
            log(f"{a} N={n}: done before, kept")
            continue
        log(f"{a} N={n}: {settings['runs']} runs …")
        ckpt = out / f".checkpoint-{a}-{n}.npz"
        out.mkdir(parents=True, exist_ok=True)
        row = network_evidence(
            post, runs=settings["runs"], seed=settings["seed"], checkpoint=ckpt,
            bridge=settings["bridge"], **settings["options"],
        ).numbers()  # fmt: skip
        modes += [dict(activation=a, units=n, **m) for m in row.pop("modes")]
        rows.append(row)
        write_outputs(out, settings, rows, modes)
        ckpt.unlink(missing_ok=True)  # the row is written: the network is done
        r = rows[-1]
        log(f"{a} N={n}: log Z = {r['log_evidence_mean']:.2f} ± {r['log_evidence_se']:.2f}")
    order = {(a, n): i for i, (a, n, _) in enumerate(posts)}
    rows.sort(key=lambda r: order.get((r["activation"], r["units"]), len(order)))
    if rows:
        write_outputs(out, settings, rows, modes)
    print(table_text(rows))
    print(f"\ntable in {out / TABLE_CSV} and {out / TABLE_NC}; modes in {out / MODES_CSV}")
    return 0
