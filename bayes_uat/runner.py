"""One run end to end: data → posterior → SGD → sampler → record → figures.

This is what ``bayes-uat run`` calls.  Sampling is checkpointed: after every chunk of
draws the draws so far and the sampler's state are written atomically to
``RUN_DIR/checkpoint.npz``; :func:`execute` with ``resume=True`` continues from there to
the configured total, losing at most the chunk in flight.

After sampling the draws are saved first (``posterior.nc``); the comparison, the summary
and the figures then run as separate steps. A step that raises is recorded in summary.json
(``failed_steps``: step → error) and the others go on, so a finished set of draws is never
lost to an analysis failure; ``bayes-uat show`` / ``compare`` retry the summary and the
comparison. The checkpoint is removed last, once every step succeeded: a run killed while
drawing its figures, or one with a failed step, is finished by ``resume=True``.

Example
-------
>>> from bayes_uat.config import RunConfig
>>> from bayes_uat.runner import execute
>>> run = execute(RunConfig(sampler="aies", draws=500), "runs/x2")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from .activations import get_activation
from .compare import compare
from .config import RunConfig
from .data import TARGETS, Dataset, load_dataset, make_dataset
from .modes import ModeWarning
from .nets import MLP
from .optimize import NotStationaryWarning, SGDResult, train_sgd
from .posterior import Posterior, n_classes
from .records import Run, atomic_path, save_run, write_json
from .rundir import _is_run_file, acquire, check_out_dir, release
from .runtime import enable_x64
from .samplers import SAMPLERS, capabilities, sample
from .samplers import check_chains as sampler_chains
from .samples import Samples
from .summary import summarize
from .validate import check_memory, network_dim
from .vocabulary import FLAGGED, header, words

CHECKPOINT = "checkpoint.npz"


def build_dataset(cfg: RunConfig) -> Dataset:
    if cfg.data is not None:
        return load_dataset(cfg.data, target=None, x_cols=cfg.x_col, y_col=cfg.y_col)
    return make_dataset(
        cfg.target,
        n=cfg.n,
        x_range=cfg.x_range,
        noise=cfg.noise,
        noise_scale=cfg.noise_scale,
        seed=cfg.data_seed,
    )


def build_posterior(cfg: RunConfig, data: Dataset | None = None) -> Posterior:
    """The run's posterior. A run computes as the command does: JAX's 64-bit mode is turned
    on (process-wide) unless the configuration asks for float32."""
    if cfg.dtype != "float32":
        enable_x64()
    data = build_dataset(cfg) if data is None else data
    bias = tuple(cfg.bias) if isinstance(cfg.bias, list) else cfg.bias
    k = n_classes(data.y) if cfg.likelihood == "categorical" else 1  # one logit per class
    net = MLP(cfg.units_tuple(), cfg.activation, in_dim=data.in_dim, bias=bias, out_dim=k)
    prior = cfg.prior
    if cfg.prior_scaling == "neal":
        from .wide import neal_scaled

        prior = neal_scaled(net, cfg.prior, cfg.prior_std)
    return Posterior(
        net,
        data,
        prior_std=cfg.prior_std,
        likelihood=cfg.likelihood,
        noise_std=cfg.noise_std,
        dtype=cfg.dtype,
        prior=prior,
        noise_param=cfg.noise_param,
        noise_prior=cfg.noise_prior,
        df=cfg.df,
    )


def run_sgd(cfg: RunConfig, posterior: Posterior) -> SGDResult:
    return train_sgd(
        posterior,
        optimizer=cfg.optimizer,
        learning_rate=cfg.learning_rate,
        steps=cfg.sgd_steps,
        restarts=cfg.sgd_restarts,
        loss=cfg.sgd_loss,
        batch_size=cfg.batch_size,
        seed=cfg.seed,
    )


# -- checkpoints ----------------------------------------------------------------------------
CHECKPOINT_FORMAT = 2  # 2: the sampler state as named arrays (format 1: positional leaves)


def _numpyro_version() -> str:
    import numpyro

    return numpyro.__version__


def write_checkpoint(
    path: Path,
    cfg: RunConfig,
    sgd: SGDResult,
    samples: Samples,
    state: dict,
    *,
    figures: bool = True,
) -> None:
    """Atomically write draws so far, the sampler state (named arrays), SGD result, config,
    whether the run makes figures, the checkpoint format and the numpyro version that wrote
    the state."""
    arrays = {f"state/{k}": np.asarray(v) for k, v in state.items()}
    arrays.update({f"stats/{k}": v for k, v in samples.stats.items()})
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(
                fh,
                format=CHECKPOINT_FORMAT,
                numpyro_version=_numpyro_version(),
                sampler=samples.sampler,
                theta=samples.theta,
                log_density=samples.log_density,
                wall_time=samples.wall_time,
                sgd_thetas=sgd.thetas,
                sgd_losses=sgd.losses,
                sgd_final=sgd.final_loss,
                sgd_best=sgd.best_index,
                sgd_settings=json.dumps(sgd.settings),
                config=json.dumps(cfg.to_dict()),
                figures=figures,
                **arrays,
            )


def _load_checkpoint(path: Path) -> dict:
    """Every array of the checkpoint at ``path``, or a ValueError naming the file and what
    is wrong with it (never numpy's hint to load it with pickle)."""
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as f:
            out = {k: f[k] for k in f.files}
    except (zipfile.BadZipFile, EOFError, KeyError, ValueError, OSError) as e:
        raise ValueError(
            f"{path}: not a readable checkpoint (empty, truncated or not written by "
            f"bayes_uat: {type(e).__name__}); start the run again with --overwrite"
        ) from None
    if "log_prob" in out and "log_density" not in out:  # the key's name in older checkpoints
        out["log_density"] = out.pop("log_prob")
    missing = [k for k in ("format", "config", "theta", "log_density") if k not in out]
    if missing:
        raise ValueError(
            f"{path}: incomplete checkpoint (missing {missing}); start the run again with "
            "--overwrite"
        )
    return out


def checkpoint_config(run_dir: str | Path) -> RunConfig:
    """The configuration an interrupted run in ``run_dir`` was started with."""
    ck = Path(run_dir) / CHECKPOINT
    if not ck.is_file():
        check_out_dir(run_dir, overwrite=False, resume=True)  # says why, naming the case
        raise ValueError(f"cannot resume {str(run_dir)!r}: no {CHECKPOINT} there")
    f = _load_checkpoint(ck)
    return RunConfig.from_dict(json.loads(str(f["config"])), source=str(ck))


def checkpoint_figures(run_dir: str | Path) -> bool:
    """Whether the interrupted run in ``run_dir`` was started to make figures
    (``--no-figures`` is kept on resume like every other setting)."""
    f = _load_checkpoint(Path(run_dir) / CHECKPOINT)
    return bool(f["figures"]) if "figures" in f else True


def _check_versions(path: Path, f: dict, cfg: RunConfig) -> None:
    fmt = int(f["format"])
    if fmt != CHECKPOINT_FORMAT:
        raise ValueError(
            f"{path}: checkpoint format {fmt}, but this bayes_uat reads format "
            f"{CHECKPOINT_FORMAT}; finish the run with the version that started it, or start "
            "again with --overwrite"
        )
    saved = str(f.get("numpyro_version", ""))
    if capabilities(cfg.sampler).library == "numpyro" and saved != _numpyro_version():
        raise ValueError(
            f"{path}: the sampler state was written by numpyro {saved}, this is numpyro "
            f"{_numpyro_version()}; resume with numpyro {saved}, or start again with --overwrite"
        )


def read_checkpoint(path: Path, posterior: Posterior, cfg: RunConfig):
    """(SGD result, draws so far, sampler state arrays) from the checkpoint at ``path``;
    a ValueError naming the file when it is unreadable, from another format or numpyro
    version, or written with a different configuration."""
    f = _load_checkpoint(path)
    _check_versions(path, f, cfg)
    saved = json.loads(json.dumps(RunConfig.from_dict(json.loads(str(f["config"]))).to_dict()))
    if saved != json.loads(json.dumps(cfg.to_dict())):
        diff = sorted(k for k in saved if saved.get(k) != cfg.to_dict().get(k))
        raise ValueError(
            f"{path}: the checkpoint was written with a different "
            f"configuration (differs in {diff}); resume with the same "
            "settings or start a new run"
        )
    state = {k[len("state/") :]: v for k, v in f.items() if k.startswith("state/")}
    if not state:
        raise ValueError(
            f"{path}: the checkpoint holds no sampler state; start again with --overwrite"
        )
    try:
        sgd = SGDResult(
            thetas=f["sgd_thetas"],
            losses=f["sgd_losses"],
            final_loss=f["sgd_final"],
            best_index=int(f["sgd_best"]),
            settings=json.loads(str(f["sgd_settings"])),
        )
        samples = Samples(
            theta=f["theta"],
            log_density=f["log_density"],
            sampler=cfg.sampler,
            names=posterior.names,
            stats={k[len("stats/") :]: v for k, v in f.items() if k.startswith("stats/")},
            wall_time=float(f["wall_time"]),
            seed=cfg.seed,
        )
    except (KeyError, ValueError) as e:
        raise ValueError(
            f"{path}: inconsistent checkpoint ({e}); start again with --overwrite"
        ) from None
    return sgd, samples, state


def remove_stale_temporaries(run_dir: Path) -> None:
    """Delete the temporaries a killed run left behind: the atomic writes' ``.NAME.*.tmp``
    of the checkpoint, the record, the summary and the figures. Called under the run's lock,
    so no live writer owns them."""
    run_dir = Path(run_dir)
    for folder in (run_dir, run_dir / "figures"):
        if folder.is_dir():
            for tmp in folder.glob(".*.tmp"):
                if tmp.is_file() and (folder != run_dir or _is_run_file(tmp.name)):
                    tmp.unlink(missing_ok=True)


def execute(
    cfg: RunConfig,
    out: str | Path,
    *,
    overwrite: bool = False,
    resume: bool = False,
    progress: bool = True,
    figures: bool = True,
    log: Callable[[str], None] = lambda s: None,
) -> Run:
    """Run ``cfg`` and write the record into ``out``; see the module docstring.

    Everything is checked before any work and before ``out`` is created (:func:`check_run`);
    the run holds ``out``'s lock (:mod:`bayes_uat.rundir`) until it returns or fails."""
    out = Path(out)
    posterior = check_run(cfg, out, overwrite=overwrite, resume=resume)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:
        lock = acquire(out)
    except BaseException:
        if created and not any(out.iterdir()):
            out.rmdir()
        raise
    try:
        return _execute(
            cfg, out, posterior, resume=resume, progress=progress, figures=figures, log=log
        )
    except ValueError:
        # refused once work began (e.g. SGD's start points: non-finite log-density) before
        # anything was saved: leave no directory behind that this call created
        release(lock)
        if created and not any(out.iterdir()):
            out.rmdir()
        raise
    finally:
        release(lock)


def _check_sampling(cfg: RunConfig, posterior: Posterior) -> None:
    """The sampler's checks of its settings (e.g. SMC's particles against the posterior's
    size) and, for prior start points, the start points themselves: before any work."""
    from .samplers import initial_points
    from .samplers.api import validate

    chains = cfg.chains_or_default(posterior.dim)
    validate(
        posterior,
        cfg.sampler,
        chains,
        cfg.warmup,
        cfg.draws,
        cfg.seed,
        cfg.chunk_size,
        cfg.init,
        sampler_options(cfg),
    )
    backend = SAMPLERS[cfg.sampler]
    start = backend.caps.start
    if cfg.init == "prior" and start != "prior":
        initial_points(posterior, chains, "prior", seed=cfg.seed, ball=start == "ball")


def check_run(cfg: RunConfig, out: Path, *, overwrite: bool, resume: bool) -> Posterior:
    """Validate a run before it starts: the output directory, the data, the model (network,
    priors, likelihood), the sampler's chains against the posterior's size and the memory
    the draws need. Returns the posterior."""
    if not isinstance(cfg, RunConfig):
        raise ValueError(f"execute needs a RunConfig, got {type(cfg).__name__}")
    if cfg.dtype != "float32":  # before any array exists: the data are made in float64 too
        enable_x64()
    check_out_dir(out, overwrite=overwrite, resume=resume)
    if capabilities(cfg.sampler).gradients and not get_activation(cfg.activation).differentiable:
        free = [name for name in SAMPLERS if not capabilities(name).gradients]
        raise ValueError(
            f"{words(cfg.sampler).gradients}, but the {cfg.activation!r} activation has zero "
            f"gradient almost everywhere; use --sampler {', '.join(free[:-1])} or {free[-1]}, "
            "or a smooth activation"
        )
    if cfg.data is None:  # size the draws before generating the data (biases: upper bound)
        spec = TARGETS.get(cfg.target)
        n = cfg.n or (spec.n if spec else 200)
        inferred = cfg.likelihood in ("gaussian", "student_t") and cfg.noise_std is None
        dim = network_dim(cfg.units_tuple(), 1, inferred_sigma=inferred)
        # memory only: an upper bound of dim must not judge the walker count (--bias false)
        check_memory(chains=cfg.chains_or_default(dim), draws=cfg.draws, dim=dim, n=n)
    posterior = build_posterior(cfg, build_dataset(cfg))
    dim, data = posterior.dim, posterior.data
    chains = sampler_chains(cfg.sampler, cfg.chains_or_default(dim), dim)
    check_memory(chains=chains, draws=cfg.draws, dim=dim, n=data.n, in_dim=data.in_dim)
    with warnings.catch_warnings():  # the run itself repeats any warning
        warnings.simplefilter("ignore")
        _check_sampling(cfg, posterior)
    return posterior


_FIXES = {
    ModeWarning: (
        "modes",
        "load the run and call bayes_uat.find_modes(run.posterior, run.samples, max_modes=K) "
        "with a larger K (or tol) to see every group",
    ),
    NotStationaryWarning: (
        "map_not_stationary",
        "a tighter --prior-std, or more draws so that the best draw starts nearer the maximum",
    ),
}


def _compare_recording_warnings(posterior: Posterior, samples: Samples, sgd: SGDResult):
    """compare(), with its mode and MAP warnings turned into run warnings (summary.json and
    the printed report) instead of Python warnings; other warnings pass through."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        comparison = compare(posterior, samples, sgd)
    found = []
    for w in caught:
        kind = next((k for k in _FIXES if issubclass(w.category, k)), None)
        if kind is None:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        else:
            code, fix = _FIXES[kind]
            found.append({"code": code, "message": str(w.message), "fix": fix})
    return comparison, found


def sampler_options(cfg: RunConfig) -> dict:
    """The options :func:`~bayes_uat.samplers.sample` gets: the sampler's own flags (NUTS:
    dense mass, tree depth, target acceptance; :data:`~bayes_uat.vocabulary.FLAGGED`), then
    ``options``."""
    flags = {key: getattr(cfg, key) for key in FLAGGED.get(cfg.sampler, {})}
    return {**flags, **(cfg.options or {})}


def _execute(
    cfg: RunConfig,
    out: Path,
    posterior: Posterior,
    *,
    resume: bool,
    progress: bool,
    figures: bool,
    log: Callable[[str], None],
) -> Run:
    ckpt = out / CHECKPOINT
    chains = cfg.chains_or_default(posterior.dim)
    options = sampler_options(cfg)
    prior = None
    remove_stale_temporaries(out)  # a killed run's half-written files (under our lock)
    if resume:
        sgd, done, state = read_checkpoint(ckpt, posterior, cfg)
        prior = (done, state)
        w = words(cfg.sampler)
        if w.warmup is None:  # SMC: no draws until its last temperature
            log(f"resuming {out} from the SMC state in its checkpoint")
        else:
            log(f"resuming {out}: {done.draws} of {cfg.draws} {w.draws} per {w.chain} done")
    else:
        log(f"SGD: {cfg.sgd_restarts} restart(s) × {cfg.sgd_steps} steps ({cfg.optimizer})")
        sgd = run_sgd(cfg, posterior)

    def checkpoint(s: Samples, state: dict) -> None:
        write_checkpoint(ckpt, cfg, sgd, s, state, figures=figures)

    log(header(cfg.sampler, chains, cfg.warmup, cfg.draws, cfg.init))
    samples = sample(
        posterior,
        cfg.sampler,
        chains=chains,
        warmup=cfg.warmup,
        draws=cfg.draws,
        seed=cfg.seed,
        init=cfg.init,
        sgd=sgd,
        progress=progress,
        chunk_size=cfg.chunk_size,
        callback=checkpoint,
        resume=prior,
        **options,
    )
    return _finish(cfg, out, posterior, samples, sgd, figures=figures, log=log)


# -- after sampling: the draws first, then each analysis step on its own ----------------------
STEPS = ("comparison", "summary", "figures")
_RETRY = {
    "comparison": "bayes-uat compare {out}",
    "summary": "bayes-uat show {out}",
    "figures": "bayes-uat run --resume {out}",
}


def failed_steps(summary: dict) -> dict:
    """The analysis steps a run recorded as failed: {step: "Error: message"}."""
    f = summary.get("failed_steps") if isinstance(summary, dict) else None
    return f if isinstance(f, dict) else {}


def step_failure_text(out: Path, step: str, error: str) -> str:
    """What the command says of a failed analysis step: an internal failure, not the user's
    input, with where the draws are and how to retry."""
    retry = _RETRY.get(step, "bayes-uat run --resume {out}").format(out=out)
    return (
        f"internal failure in step '{step}' after sampling ({error}); this is not a problem "
        f"with your input. The run's draws are saved in {out / 'posterior.nc'}; retry the "
        f"step with `{retry}` (or every step with `bayes-uat run --resume {out}`)"
    )


def sampler_words(sampler: str) -> dict:
    """What the run's chains and draws are, in the sampler's own words (summary.json)."""
    w = words(sampler)
    return dict(chains_are=w.chains, draws_are=f"{w.draws} per {w.chain}")


def _base_summary(cfg: RunConfig, samples: Samples, pending: list[str]) -> dict:
    """What summary.json holds before the analysis: the sampler's facts, the settings and
    the steps still to do (a kill from here on leaves a readable record)."""
    from ._io import versions

    return dict(
        sampler=dict(
            name=samples.sampler,
            chains=samples.chains,
            draws=samples.draws,
            wall_time=samples.wall_time,
            seed=samples.seed,
            **{
                ("autocorr_time_raw" if k == "autocorr_time" else k): v
                for k, v in samples.info.items()
            },
            **sampler_words(samples.sampler),
        ),
        diagnostics={},
        warnings=[],
        versions=versions(),
        config=cfg.to_dict(),
        pending_steps=list(pending),
    )


def _finish(cfg, out, posterior, samples, sgd, *, figures, log) -> Run:
    """Save the draws, then run the comparison, the summary and the figures one by one.

    A step that raises is recorded in summary.json (``failed_steps``) and logged, and the
    others go on: a finished set of draws never becomes unreachable. The checkpoint is
    removed last, only when every step succeeded, so that a kill at any point, or a failed
    step, is finished by ``--resume``."""
    ckpt = out / CHECKPOINT
    steps = ["comparison", "summary"] + (["figures"] if figures else [])
    summary = _base_summary(cfg, samples, steps)
    config = dict(run=cfg.to_dict(), sampler_info=samples.info)
    run = save_run(out, posterior, samples, sgd=sgd, config=config, summary=summary, overwrite=True)
    failed: dict = {}

    def attempt(step: str, fn):
        try:
            return fn()
        except Exception as e:  # recorded and reported: the draws stay saved
            failed[step] = f"{type(e).__name__}: {e}"
            log(f"step '{step}' failed: {failed[step]}")
            return None

    log("comparing SGD with the posterior (canonical form, modes, function space)")
    compared = attempt("comparison", lambda: _compare_recording_warnings(posterior, samples, sgd))
    comparison, found = compared if compared is not None else (None, [])
    full = attempt("summary", lambda: summarize(posterior, samples, sgd, comparison=comparison))
    if full is not None:
        summary = dict(full, config=cfg.to_dict())
        summary["warnings"] = summary["warnings"] + found
        summary["sampler"].update(sampler_words(samples.sampler))
    elif comparison is not None:
        summary = dict(summary, comparison=comparison.to_dict(), warnings=found)
    summary.pop("pending_steps", None)
    summary["failed_steps"] = dict(failed)
    w = words(cfg.sampler)  # what its chains and draws are, in the sampler's own words
    summary["sampler"].update(chains_are=w.chains, draws_are=f"{w.draws} per {w.chain}")
    if figures:
        summary["pending_steps"] = ["figures"]
    run = replace(run, summary=summary)
    write_json(out / "summary.json", summary)
    if figures:
        from . import plots

        attempt("figures", lambda: plots.run_figures(run, out / "figures"))
        summary.pop("pending_steps", None)
        summary["failed_steps"] = dict(failed)
        write_json(out / "summary.json", summary)
    if not failed:
        ckpt.unlink(missing_ok=True)
    remove_stale_temporaries(out)
    return run
