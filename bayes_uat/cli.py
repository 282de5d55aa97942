"""The ``bayes-uat`` command: parses arguments and calls the library, nothing more.

bayes-uat run --target x2 --units 2 --sampler emcee --draws 10000 --out runs/x2
bayes-uat run --config run.toml --out runs/x2
bayes-uat run --resume runs/x2
bayes-uat show runs/x2
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import fields
from pathlib import Path

from .runtime import enable_compilation_cache, set_host_device_count

# Flags whose CLI name differs from the config key.
_RENAME = {"sgd_steps": "sgd-steps", "sgd_restarts": "sgd-restarts"}


def _add_run_flags(p: argparse.ArgumentParser) -> None:
    from .config import RunConfig

    helps = {
        "target": "target name (x2, sin, abs, bump, sawtooth, step) or an expression in x",
        "data": "CSV or NPZ file with columns/arrays x and y (instead of --target)",
        "units": "hidden units: 2, or 8,8 for two layers, or 'linear' for none",
        "sampler": "nuts, ensemble (JAX-native stretch move), emcee or aies",
        "chains": "NUTS chains or ensemble walkers (default 4 / 4·dim)",
        "likelihood": "mse (the blog's) or gaussian",
        "prior_std": "std of the Gaussian prior on every weight",
    }
    for f in fields(RunConfig):
        flag = "--" + _RENAME.get(f.name, f.name).replace("_", "-")
        kw = dict(dest=f.name, default=None, help=helps.get(f.name))
        if f.name == "dense_mass":
            p.add_argument(flag, action=argparse.BooleanOptionalAction, **kw)
        elif f.name in ("units", "x_range"):
            p.add_argument(flag, type=str, **kw)
        elif f.type in ("int", "int | None"):
            p.add_argument(flag, type=int, **kw)
        elif f.type in ("float", "float | None"):
            p.add_argument(flag, type=float, **kw)
        else:
            p.add_argument(flag, type=str, **kw)


def _parse_units(s: str):
    if s.strip().lower() in ("linear", "none", "()"):
        return []
    try:
        parts = [int(u) for u in s.replace(" ", "").split(",") if u]
    except ValueError:
        raise ValueError(
            f"--units must be an integer or comma-separated integers, got {s!r}"
        ) from None
    return parts[0] if len(parts) == 1 else parts


def _parse_range(s: str):
    try:
        lo, hi = (float(v) for v in s.split(","))
    except ValueError:
        raise ValueError(f"--x-range must be two numbers 'lo,hi', got {s!r}") from None
    return [lo, hi]


def config_from_args(args) -> object:
    from .config import RunConfig

    base = RunConfig.from_toml(args.config).to_dict() if args.config else {}
    for f in fields(RunConfig):
        v = getattr(args, f.name)
        if v is None:
            continue
        if f.name == "units":
            v = _parse_units(v)
        elif f.name == "x_range":
            v = _parse_range(v)
        base[f.name] = v
    return RunConfig.from_dict(base, source=args.config or "command line")


def _table(summary: dict) -> str:
    rows = [("", "equation", "loss (−MSE)", "log posterior")]
    for key, name in (("sgd", "SGD (Adam)"), ("map", "MAP sample")):
        if key in summary:
            s = summary[key]
            rows.append((name, s["equation"], f"{s['blog_loss']:.2f}", f"{s['log_posterior']:.2f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def _report(summary: dict) -> str:
    s = summary["sampler"]
    lines = [
        f"{s['method']}: {s['chains']} chain(s) × {s['draws']} draws in {s['wall_time']:.1f} s"
    ]
    for key, what in (("raw", "raw θ"), ("canonical", "canonical θ"), ("function", "f(x)")):
        d = summary["diagnostics"].get(key)
        if d:
            lines.append(
                f"{what:>12}: max R-hat {d['max_rhat']:.2f}, min bulk ESS {d['min_ess_bulk']:.0f}"
            )
    lines += ["", _table(summary)]
    for w in summary.get("warnings", []):
        lines += ["", f"warning: {w['message']}", f"  what to do: {w['fix']}"]
    return "\n".join(lines)


def compare_text(run) -> str:
    from .compare import Comparison

    c = run.summary.get("comparison")
    return "" if c is None else Comparison.text_from_dict(c)


def cmd_run(args) -> int:
    from .runner import checkpoint_config, execute

    log = (lambda s: None) if args.quiet else (lambda s: print(s, file=sys.stderr))
    if args.resume:
        out = Path(args.resume)
        run = execute(
            checkpoint_config(out),
            out,
            resume=True,
            progress=not args.quiet,
            figures=not args.no_figures,
            log=log,
        )
    else:
        if args.out is None:
            raise ValueError("bayes-uat run needs --out RUN_DIR (or --resume RUN_DIR)")
        cfg = config_from_args(args)
        run = execute(
            cfg,
            args.out,
            overwrite=args.overwrite,
            progress=not args.quiet,
            figures=not args.no_figures,
            log=log,
        )
    print(_report(run.summary))
    print()
    print(compare_text(run))
    print(f"\nrecord written to {run.path}")
    return 0


def cmd_show(args) -> int:
    from .records import load_run
    from .sweeps import is_sweep_dir

    if is_sweep_dir(args.run_dir):
        from .sweep_table import table_text

        print(table_text(args.run_dir))
        return 0
    run = load_run(args.run_dir)
    print(_report(run.summary))
    return 0


def cmd_compare(args) -> int:
    from .compare import compare
    from .records import load_run, write_json

    run = load_run(args.run_dir)
    table = compare(run.posterior, run.samples, run.sgd, extrapolate=args.extrapolate)
    print(table)
    if not args.no_save:
        summary = dict(run.summary, comparison=table.to_dict())
        write_json(run.path / "summary.json", summary)
    return 0


def cmd_sweep(args) -> int:
    from .sweep_table import table_text
    from .sweeps import load_grid, run_sweep

    log = (lambda s: None) if args.quiet else (lambda s: print(s, file=sys.stderr))
    res = run_sweep(
        load_grid(args.grid),
        args.out,
        scheduler=args.scheduler,
        workers=args.workers,
        figures=not args.no_figures,
        progress=not args.quiet,
        retries=args.retries,
        timeout=args.timeout,
        log=log,
    )
    print(table_text(res.out))
    print(f"\n{len(res.rows)} run(s) in {res.wall_time:.1f} s; table in {res.out / 'sweep.csv'}")
    if res.failed:
        print(
            f"bayes-uat: {len(res.failed)} run(s) failed: {', '.join(res.failed)}", file=sys.stderr
        )
        return 1
    return 0


def _sweep_parser(sub) -> None:
    w = sub.add_parser(
        "sweep",
        help="run a grid of runs on Dask (a local cluster, or --scheduler ADDRESS)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    w.add_argument("grid", help="TOML file: base run settings and a [grid] table of lists")
    w.add_argument("--out", required=True, help="sweep directory (one run directory per point)")
    w.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786)")
    w.add_argument("--workers", type=int, help="local worker processes (default: one per core)")
    w.add_argument("--retries", type=int, default=1, help="Dask retries of a failed task")
    w.add_argument("--timeout", type=float, default=10.0, help="seconds to reach the scheduler")
    w.add_argument("--no-figures", action="store_true", help="skip each run's figures")
    w.add_argument("--quiet", action="store_true", help="no progress bar or log lines")
    w.set_defaults(func=cmd_sweep)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bayes-uat",
        description=(
            "Sample the Bayesian posterior of a small neural network and compare it with SGD."
        ),
    )
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="train with SGD, sample the posterior, write a run record")
    r.add_argument("--config", help="TOML file with run settings (flags override it)")
    r.add_argument("--out", help="run directory to write")
    r.add_argument("--overwrite", action="store_true", help="replace an existing run in --out")
    r.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run")
    r.add_argument("--no-figures", action="store_true", help="skip the figures")
    r.add_argument("--quiet", action="store_true", help="no progress bars or log lines")
    _add_run_flags(r)
    r.set_defaults(func=cmd_run)
    s = sub.add_parser("show", help="print a run's SGD vs MAP table and diagnostics")
    s.add_argument("run_dir")
    s.set_defaults(func=cmd_show)
    c = sub.add_parser("compare", help="symmetry-aware comparison of SGD with the posterior")
    c.add_argument("run_dir")
    c.add_argument(
        "--extrapolate",
        type=float,
        default=2.0,
        help="width of the extrapolation grid, in data ranges (default 2)",
    )
    c.add_argument("--no-save", action="store_true", help="do not update summary.json")
    c.set_defaults(func=cmd_compare)
    _sweep_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Host devices let NUTS run one chain per device on CPU ("parallel"; measured faster
    # than vectorised chains, docs/benchmarks.md); set before JAX's first computation.
    set_host_device_count(max(os.cpu_count() or 1, getattr(args, "chains", None) or 4))
    enable_compilation_cache()
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, FileExistsError) as e:
        print(f"bayes-uat: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bayes-uat: interrupted; continue with --resume RUN_DIR", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
