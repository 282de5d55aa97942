"""The ``bayes-uat`` command: parses arguments and calls the library, nothing more.

bayes-uat run --target x2 --units 2 --sampler emcee --draws 10000 --out runs/x2
bayes-uat run --config run.toml --out runs/x2
bayes-uat run --resume runs/x2
bayes-uat show runs/x2
bayes-uat evidence --units 1,2,4,8 --activation tanh,sigmoid --target sin --out ev/sin
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import fields
from pathlib import Path

from .cli_evidence import add_parser as add_evidence_parser
from .runtime import enable_compilation_cache, enable_x64, set_host_device_count

# Flags whose CLI name differs from the config key.
_RENAME = {"sgd_steps": "sgd-steps", "sgd_restarts": "sgd-restarts", "options": "option"}
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
    "sampler": (
        "nuts; ensemble (emcee's stretch move as one compiled JAX loop), emcee or aies "
        "(walkers of an affine-invariant ensemble); smc (tempered sequential Monte Carlo from "
        "the prior: independent runs of particles, the log evidence, mode masses)",
        None,
    ),
    "chains": (
        "NUTS: chains; ensemble, emcee, aies: walkers; smc: independent runs",
        "4 chains for NUTS, 4 runs for SMC, 4·dim walkers for ensembles",
    ),
    "warmup": (
        "NUTS: warm-up (adaptation) steps; ensembles: burn-in steps (both discarded); "
        "smc: not used",
        None,
    ),
    "draws": (
        "NUTS: kept draws per chain; ensembles: kept draws per walker; smc: particles per run",
        None,
    ),
    "init": (
        "start points of NUTS chains and ensembles: sgd (the SGD restarts) or prior; "
        "smc starts from the prior",
        None,
    ),
    "chunk_size": ("draws per checkpoint", "all draws in one chunk"),
    "dense_mass": ("NUTS: dense mass matrix", None),
    "max_tree_depth": ("NUTS: maximum tree depth (1–25)", None),
    "target_accept": ("NUTS: target acceptance probability, in (0, 1)", None),
    "options": ("", None),
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
        elif f.name == "options":
            kw["metavar"] = "KEY=VALUE"
            kw["help"] = (
                "a sampler option beyond the flags, repeatable; TOML: an [options] table. "
                "VALUE is a TOML value (20, 0.5, true, dense, '{stretch = 0.8, de = 0.2}'); "
                "each sampler's options and their defaults are listed at the end "
                "(default: none set)"
            )
            p.add_argument(flag, action="append", **kw)
        elif f.type in ("int", "int | None"):
            p.add_argument(flag, type=int, **kw)
        elif f.type in ("float", "float | None"):
            p.add_argument(flag, type=float, **kw)
        else:
            p.add_argument(flag, type=str, **kw)


def _items(flag: str, s: str) -> list[str]:
    """The comma-separated items of a list flag, refusing empty ones (``2,,2``, ``2,``)."""
    parts = [p.strip() for p in s.split(",")]
    if not all(parts):
        raise ValueError(
            f"{flag} {s!r} has an empty item; separate the values by single commas, e.g. 8,8"
        )
    return parts


def _parse_units(s: str):
    if s.strip().lower() in ("linear", "none", "()"):
        return []
    try:
        parts = [int(u) for u in _items("--units", s)]
    except ValueError as e:
        if "empty item" in str(e):
            raise

        raise ValueError(
            f"--units must be an integer or comma-separated integers, got {s!r}"
        ) from None
    return parts[0] if len(parts) == 1 else parts


def _parse_priors(items: list[str], base: dict | None) -> dict:
    """--prior GROUP=SPEC flags over the config file's priors (a flag overrides the file's
    entry for its group); one group given twice on the command line is refused."""
    out, given = dict(base or {}), {}
    for item in items:
        group, sep, spec = item.partition("=")
        if not sep or not group.strip() or not spec.strip():
            raise ValueError(f"--prior takes GROUP=SPEC such as 'w1=normal(0, 1)', got {item!r}")
        group, spec = group.strip(), spec.strip()
        if group in given:
            raise ValueError(
                f"--prior gives group {group!r} twice ({given[group]!r} and {spec!r}); keep one"
            )
        given[group] = out[group] = spec
    return out


def _parse_bias(s: str):
    words = {"true": True, "false": False, "yes": True, "no": False}
    try:
        vals = [words[w.lower()] for w in _items("--bias", s)]
    except KeyError:
        raise ValueError(
            f"--bias takes true, false or one per layer and output such as 'false,true', got {s!r}"
        ) from None
    return vals[0] if len(vals) == 1 else vals


def _parse_range(s: str):
    try:
        lo, hi = (float(v) for v in _items("--x-range", s))
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
        if f.name == "options":
            v = {**(base.get("options") or {}), **_parse_options(v)}
        base[f.name] = _flag_value(f.name, v)
    cfg = RunConfig.from_dict(base, source=args.config or "command line")
    _check_flags_apply(args, cfg)
    return cfg


def _check_flags_apply(args, cfg) -> None:
    """Flags the chosen sampler would ignore: NUTS's own flags with another sampler are
    refused (a setting the user meant to change); --warmup and --init with SMC, which
    starts from the prior, get a note that they are ignored."""
    from .config import RunConfig
    from .vocabulary import inapplicable

    given = [f.name for f in fields(RunConfig) if getattr(args, f.name, None) is not None]
    found = inapplicable(cfg.sampler, given)
    for key in ("warmup", "init"):
        if key in found:
            print(f"bayes-uat: note: {found.pop(key)}: ignored", file=sys.stderr)
    if found:
        them = "it" if len(found) == 1 else "them"
        raise ValueError(f"{'; '.join(found.values())}: drop {them} for --sampler {cfg.sampler}")


def _flag_value(name: str, v):
    if name == "units":
        return _parse_units(v)
    if name == "x_range":
        return _parse_range(v)
    if name == "x_col":
        return _items("--x-col", v)
    if name == "bias":
        return _parse_bias(v)
    if name == "prior" and isinstance(v, list):
        return _parse_priors(v, None)
    if name == "options" and isinstance(v, list):
        return _parse_options(v)
    return v


def _parse_options(items: list[str]) -> dict:
    from .vocabulary import parse_option

    out: dict = {}
    for item in items:
        key, value = parse_option(item)
        if key in out:  # as for --prior: a repeated key is a slip, not an override
            raise ValueError(f"--option gives {key!r} twice ({out[key]!r} and {value!r}); keep one")
        out[key] = value
    return out


def _table(summary: dict) -> str:
    rows = [("", "equation", "loss (−MSE)", "log posterior")]
    for key, name in (("sgd", "SGD (Adam)"), ("map", "MAP sample")):
        if key in summary:
            s = summary[key]
            rows.append((name, s["equation"], f"{s['blog_loss']:.2f}", f"{s['log_posterior']:.2f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def _report(summary: dict) -> str:
    from .samplers.smc import evidence_text
    from .vocabulary import size_text, words

    s = summary["sampler"]
    kind = s.get("name", s.get("method"))
    lines = [
        f"{words(kind).title}: {size_text(kind, s['chains'], s['draws'])} in {s['wall_time']:.1f} s"
    ]
    if evidence_text(s):
        lines.append(evidence_text(s))
    for key, what in (("raw", "raw θ"), ("canonical", "canonical θ"), ("function", "f(x)")):
        d = summary["diagnostics"].get(key)
        if d:
            lines.append(
                f"{what:>12}: max R-hat {d['max_rhat']:.2f}, min bulk ESS {d['min_ess_bulk']:.0f}"
            )
    tau = _tau_line(summary)
    if tau:
        lines.append(tau)
    lines += ["", _table(summary)]
    for w in summary.get("warnings", []):
        lines += ["", f"warning: {w['message']}", f"  what to do: {w['fix']}"]
    return "\n".join(lines)


def _tau_line(summary: dict) -> str | None:
    """The ensembles' integrated autocorrelation times, saying which θ each is of."""
    parts = []
    for what, values in (
        ("canonical θ", (summary["diagnostics"].get("canonical") or {}).get("autocorr_time")),
        ("raw θ", summary["sampler"].get("autocorr_time_raw")),
    ):
        known = [v for v in values or [] if v is not None]
        if known:
            parts.append(f"{what} up to {max(known):.0f} steps")
    return f"{'τ':>12}: integrated autocorrelation time, {', '.join(parts)}" if parts else None


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
    figures = not args.no_figures
    if args.resume:  # the run keeps its own --no-figures
        from .runner import checkpoint_figures

        figures = figures and checkpoint_figures(args.resume)
    run = execute(
        args.cfg,
        args.resume or args.out,
        overwrite=args.overwrite,
        resume=bool(args.resume),
        progress=not args.quiet,
        figures=figures,
        log=log,
    )
    print(_report(run.summary))
    print()
    print(compare_text(run))
    print(f"\nrecord written to {run.path}")
    return _step_failures(run.path, run.summary)


def _step_failures(path, summary: dict) -> int:
    """Print each analysis step the run recorded as failed (an internal failure, with where
    the draws are and how to retry); 1 when there was one, else 0."""
    from .runner import failed_steps, step_failure_text

    failed = failed_steps(summary)
    for step, error in failed.items():
        print(f"bayes-uat: {step_failure_text(Path(path), step, error)}", file=sys.stderr)
    return 1 if failed else 0


def _unfinished_note(path, summary: dict) -> str | None:
    from .runner import failed_steps

    pending = summary.get("pending_steps") or []
    failed = failed_steps(summary)
    if not pending and not failed:
        return None
    parts = [f"'{s}' failed ({e})" for s, e in failed.items()]
    parts += [f"'{s}' was not done (interrupted)" for s in pending if s not in failed]
    return (
        f"note: this run is unfinished: step {', step '.join(parts)}; the draws are "
        f"complete. Finish it with `bayes-uat run --resume {path}`"
    )


def cmd_show(args) -> int:
    from .records import load_run, report_summary
    from .sweeps import is_sweep_dir

    if is_sweep_dir(args.run_dir):
        from .sweep_table import table_text

        print(table_text(args.run_dir))
        return 0
    run = load_run(args.run_dir)
    unfinished = _unfinished_note(run.path, run.summary)
    if unfinished:
        print(unfinished, file=sys.stderr)
    summary, note = report_summary(run)
    if note:
        print(note, file=sys.stderr)
    print(_report(summary))
    return 0


def cmd_compare(args) -> int:
    from .compare import compare
    from .records import load_run, write_json

    run = load_run(args.run_dir)
    table = compare(run.posterior, run.samples, run.sgd, extrapolate=args.extrapolate)
    print(table)
    if not args.no_save:
        summary = dict(run.summary, comparison=table.to_dict())
        failed = {k: v for k, v in (summary.get("failed_steps") or {}).items()}
        if failed.pop("comparison", None) is not None:  # retried here, and it worked
            summary["failed_steps"] = failed
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
    if (res.out / "sweep.png").is_file() and not args.no_figures:
        print(f"figure in {res.out / 'sweep.png'} (and .pdf)")
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
    w.add_argument(
        "--no-figures",
        action="store_true",
        help="skip the figures: each run's, and the sweep's (OUT/sweep.png, .pdf)",
    )
    w.add_argument("--quiet", action="store_true", help="no progress bar or log lines")
    w.set_defaults(func=cmd_sweep)


def build_parser() -> argparse.ArgumentParser:
    from .vocabulary import options_help

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
        epilog=options_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    add_evidence_parser(sub)
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


def _is_numerical(e: BaseException) -> bool:
    """numpy's LinAlgError (a ValueError) and the like: a failure of the computation, not
    of the user's input."""
    import numpy as np

    return isinstance(e, (np.linalg.LinAlgError, FloatingPointError))


def _internal_failure(e: BaseException, args) -> int:
    """Exit 1 with a message that calls a numerical failure what it is (exit 2 is for
    refused input)."""
    text = (
        f"bayes-uat: internal numerical failure ({type(e).__name__}: {e}); this is not a "
        "problem with your input"
    )
    run_dir = getattr(args, "resume", None) or getattr(args, "out", None)
    if args.func is cmd_run and run_dir:
        text += f". Checkpoints written so far are kept: `bayes-uat run --resume {run_dir}`"
    print(text, file=sys.stderr)
    return 1


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
    except ArithmeticError as e:
        return _internal_failure(e, args)
    except (ValueError, OSError) as e:
        if _is_numerical(e):
            return _internal_failure(e, args)
        print(f"bayes-uat: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bayes-uat: interrupted; continue with --resume RUN_DIR", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
