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

from .runtime import enable_compilation_cache, enable_x64, set_host_device_count

# Flags whose CLI name differs from the config key.
_RENAME = {"sgd_steps": "sgd-steps", "sgd_restarts": "sgd-restarts"}
# XLA host devices are threads: 100 000 of them kept JAX from starting for over 2 minutes
# (and crashed it later); NUTS runs its chains vectorised when there are fewer devices.
MAX_HOST_DEVICES = 64

# One line per flag; "(default: …)" and the choices are added from RunConfig and the registries.
_HELP = {
    "target": ("target name (x2, sin, abs, bump, sawtooth, step) or an expression in x", None),
    "data": ("CSV (header x,y) or NPZ (arrays x, y) file, instead of --target", "none"),
    "x_col": ("--data column(s) holding x: names or 0-based positions, e.g. x1,x2", "x"),
    "y_col": ("--data column holding y: a name or 0-based position", "y"),
    "n": ("number of generated data points", "the target's, 200 for an expression"),
    "x_range": ("x range of generated data, as lo,hi (e.g. --x-range=-5,5)", "the target's"),
    "noise": ("noise added to generated data", "the target's"),
    "noise_scale": ("scale of that noise (uniform: width; gaussian: σ)", "the target's"),
    "data_seed": ("seed of the generated data's noise", None),
    "units": ("hidden widths: 2, or 8,8 for two layers, or linear for none", None),
    "activation": ("activation of the hidden units", None),
    "likelihood": (
        "gaussian or student_t (σ inferred unless --noise-std), bernoulli (y in 0/1), "
        "categorical (y in 0…K−1: one output per class) or mse (the blog's)",
        None,
    ),
    "noise_std": ("fixed σ of the gaussian or student_t likelihood", "inferred"),
    "prior_std": ("std of the Gaussian prior on every weight (groups without --prior)", None),
    "dtype": ("floating-point precision", "float64 on CPU, float32 on GPU"),
    "bias": ("biases: true, false, or one per hidden layer then the output (false,true)", "true"),
    "prior": ("prior of one parameter group, GROUP=SPEC", None),
    "prior_scaling": (
        "neal: divide the output weights' normal prior scale by √N (N: last hidden width), "
        "the scaling whose N → ∞ limit is a Gaussian process",
        None,
    ),
    "noise_param": ("the inferred noise entry of θ is the log of this quantity", None),
    "noise_prior": ("prior on that noise quantity, e.g. 'gamma(3, 1)'", "half-normal σ"),
    "df": ("degrees of freedom of --likelihood student_t", "4"),
    "optimizer": ("SGD optimiser", None),
    "learning_rate": ("SGD learning rate", None),
    "sgd_steps": ("SGD steps per restart", None),
    "sgd_restarts": ("independent SGD restarts (the best one is reported)", None),
    "sgd_loss": ("SGD loss: sse (the blog's sum of squares) or map (−log posterior)", None),
    "batch_size": ("SGD minibatch size", "full batch"),
    "sampler": ("nuts, ensemble (JAX-native stretch move), emcee or aies", None),
    "chains": ("NUTS chains or ensemble walkers", "4 for NUTS, 4·dim walkers"),
    "warmup": ("NUTS adaptation steps or ensemble burn-in steps (discarded)", None),
    "draws": ("kept draws per chain (per walker)", None),
    "init": ("chain start points: sgd (the SGD restarts) or prior", None),
    "chunk_size": ("draws per checkpoint", "all draws in one chunk"),
    "dense_mass": ("NUTS: dense mass matrix", None),
    "max_tree_depth": ("NUTS: maximum tree depth (1–25)", None),
    "target_accept": ("NUTS: target acceptance probability, in (0, 1)", None),
    "seed": ("seed of SGD and sampling, in [0, 2**32 - 1]", None),
}


def _choices() -> dict:
    from .config import CHOICES

    return CHOICES


def _add_run_flags(p: argparse.ArgumentParser) -> None:
    from .config import RunConfig

    choices = _choices()
    for f in fields(RunConfig):
        flag = "--" + _RENAME.get(f.name, f.name).replace("_", "-")
        text, default = _HELP[f.name]
        if default is None:
            default = f.default if not isinstance(f.default, bool) else "on" if f.default else "off"
        kw = dict(dest=f.name, default=None, help=f"{text} (default: {default})")
        if f.name in choices:
            kw["metavar"] = "{" + ",".join(choices[f.name]) + "}"
        if f.name == "dense_mass":
            p.add_argument(flag, action=argparse.BooleanOptionalAction, **kw)
        elif f.name == "prior":
            kw["help"] = (
                "prior of one parameter group, GROUP=SPEC, e.g. --prior 'w1=normal(0, 1)' "
                "(groups w1, b1, …, a, c; families: normal, laplace, student_t, cauchy, "
                "logistic); repeatable (default: N(0, prior-std²) for every group)"
            )
            p.add_argument(flag, action="append", **kw)
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


def _parse_priors(items: list[str], base: dict | None) -> dict:
    out = dict(base or {})
    for item in items:
        group, sep, spec = item.partition("=")
        if not sep or not group.strip() or not spec.strip():
            raise ValueError(f"--prior takes GROUP=SPEC such as 'w1=normal(0, 1)', got {item!r}")
        out[group.strip()] = spec.strip()
    return out


def _parse_bias(s: str):
    words = {"true": True, "false": False, "yes": True, "no": False}
    try:
        vals = [words[w.strip().lower()] for w in s.split(",")]
    except KeyError:
        raise ValueError(
            f"--bias takes true, false or one per layer and output such as 'false,true', got {s!r}"
        ) from None
    return vals[0] if len(vals) == 1 else vals


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
        if f.name == "prior":
            v = _parse_priors(v, base.get("prior"))
        base[f.name] = _flag_value(f.name, v)
    return RunConfig.from_dict(base, source=args.config or "command line")


def _flag_value(name: str, v):
    if name == "units":
        return _parse_units(v)
    if name == "x_range":
        return _parse_range(v)
    if name == "x_col":
        return [c.strip() for c in v.split(",") if c.strip()]
    if name == "bias":
        return _parse_bias(v)
    if name == "prior" and isinstance(v, list):
        return _parse_priors(v, None)
    return v


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
        f"{s.get('name', s.get('method'))}: {s['chains']} chain(s) × {s['draws']} draws "
        f"in {s['wall_time']:.1f} s"
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


def _check_resume_flags(args, saved) -> None:
    """--resume continues with the saved settings: refuse flags that would change them."""
    from .config import RunConfig

    if args.config or args.overwrite:
        flag = "--config" if args.config else "--overwrite"
        raise ValueError(
            f"--resume continues a run with the settings it was started with; {flag} does "
            "not apply: drop it, or start a new run with --out NEW_DIR"
        )
    if args.out is not None and Path(args.out).resolve() != Path(args.resume).resolve():
        raise ValueError(
            f"--resume {args.resume} writes into its own directory; drop --out {args.out}"
        )
    have = saved.to_dict()
    differ = []
    for f in fields(RunConfig):
        v = getattr(args, f.name)
        if v is None:
            continue
        v = _flag_value(f.name, v)
        if v != have[f.name]:
            flag = "--" + _RENAME.get(f.name, f.name).replace("_", "-")
            differ.append(f"{flag} {getattr(args, f.name)} (saved: {have[f.name]!r})")
    if differ:
        raise ValueError(
            f"--resume continues a run with the settings it was started with, but "
            f"{', '.join(differ)} differ; drop those flags to finish the run, or start a "
            "new run with them and --out NEW_DIR"
        )


def run_config(args) -> object:
    """The run's configuration: the checkpoint's for --resume (refusing flags that would
    change it), else --config and the flags."""
    from .runner import checkpoint_config

    if args.resume:
        cfg = checkpoint_config(args.resume)
        _check_resume_flags(args, cfg)
        return cfg
    if args.out is None:
        raise ValueError("bayes-uat run needs --out RUN_DIR (or --resume RUN_DIR)")
    return config_from_args(args)


def cmd_run(args) -> int:
    from .runner import execute

    log = (lambda s: None) if args.quiet else (lambda s: print(s, file=sys.stderr))
    run = execute(
        args.cfg,
        args.resume or args.out,
        overwrite=args.overwrite,
        resume=bool(args.resume),
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
    from .records import load_run, report_summary
    from .sweeps import is_sweep_dir

    if is_sweep_dir(args.run_dir):
        from .sweep_table import table_text

        print(table_text(args.run_dir))
        return 0
    run = load_run(args.run_dir)
    summary, note = report_summary(run)
    if note:
        print(note, file=sys.stderr)
    print(_report(summary))
    from .samplers.smc import evidence_text

    if evidence_text(run.samples.info):
        print(evidence_text(run.samples.info))
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
    r = sub.add_parser(
        "run",
        help="train with SGD, sample the posterior, write a run record",
        description="Train with SGD, sample the posterior, write a run record. A value that "
        "starts with '-' may follow its flag (--target -x**2).",
    )
    r.add_argument(
        "--config", help="TOML file of run settings, keys as the flags; flags override it"
    )
    r.add_argument("--out", metavar="RUN_DIR", help="new or empty directory for the run record")
    r.add_argument(
        "--overwrite", action="store_true", help="replace a run already in --out (default: off)"
    )
    r.add_argument(
        "--resume", metavar="RUN_DIR", help="finish an interrupted run with its saved settings"
    )
    r.add_argument("--no-figures", action="store_true", help="skip the figures (default: off)")
    r.add_argument(
        "--quiet", action="store_true", help="no progress bars or log lines (default: off)"
    )
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


def _join_dash_values(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """``--target -x**2`` → ``--target=-x**2``: argparse would take a value that starts with
    '-' for an option; any value that is not itself an option is kept with its flag."""
    takes_value, options = set(), set()
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for sp in [parser, *(c for a in subs for c in a.choices.values())]:
        for a in sp._actions:
            options.update(a.option_strings)
            if a.option_strings and a.nargs is None:
                takes_value.update(a.option_strings)
    out, i = [], 0
    while i < len(argv):
        tok = argv[i]
        if tok == "--":
            return out + argv[i:]
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if tok in takes_value and nxt and nxt.startswith("-") and nxt.split("=")[0] not in options:
            out.append(f"{tok}={nxt}")
            i += 2
            continue
        out.append(tok)
        i += 1
    return out


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(_join_dash_values(argv, parser))
    try:
        if args.func is cmd_run:
            args.cfg = run_config(args)  # every setting checked before JAX starts
        chains = getattr(args, "cfg", None) and args.cfg.chains
        # Host devices let NUTS run one chain per device on CPU ("parallel"; measured faster
        # than vectorised chains, docs/benchmarks.md); set before JAX's first computation.
        set_host_device_count(max(os.cpu_count() or 1, min(chains or 4, MAX_HOST_DEVICES)))
        enable_compilation_cache()
        enable_x64()
        return args.func(args)
    except (ValueError, OSError) as e:
        print(f"bayes-uat: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bayes-uat: interrupted; continue with --resume RUN_DIR", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
