"""Run records: everything about one run in a directory, written and read back.

A run directory holds

``posterior.nc``
    an ArviZ InferenceData (netCDF/HDF5) whose layout :mod:`bayes_uat.idata` describes:
    groups ``posterior`` (one variable per kind of parameter: ``w``, ``b``, ``a`` by
    ``unit``, ``c``, ``log_sigma``), ``canonical`` (the same draws with symmetric copies
    removed), ``sample_stats``, ``log_likelihood`` (pointwise, for LOO/WAIC; thinned if
    large, with the posterior's draw indices as coordinates), ``observed_data`` (y),
    ``constant_data`` (x) and ``sgd`` (every restart's θ and loss curve); its attributes
    carry the format version, the full configuration (JSON) and the key settings;
``summary.json``
    SGD and MAP θ with equations, log-posterior and MSE, diagnostics, versions, seeds
    (``{}`` when :func:`save_run` was given no summary);
``figures/``
    the run's figures.

Every file is written to a temporary name in the same directory and renamed into place,
so an interrupted write never leaves a half-written record.  ArviZ 0.23 (InferenceData)
is used on Python 3.11; :mod:`bayes_uat.idata` is the one module to change for ArviZ 1.x.
:func:`load_run` reads the current format and format 1 (θ as one ``theta`` variable), and
refuses anything else with a :class:`RunFormatError` (a ValueError) naming the file.

Example
-------
>>> from bayes_uat import load_run
>>> run = load_run("runs/x2")  # doctest: +SKIP
>>> run.samples.theta.shape, run.summary["map"]["equation"]  # doctest: +SKIP
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._io import arviz, atomic_path, versions, write_json
from .data import Dataset
from .idata import FORMAT_VERSION, read_theta, to_inference_data
from .optimize import SGDResult
from .posterior import Posterior, posterior_from_config
from .runtime import enable_x64
from .samples import Samples
from .summary import summarize

__all__ = [
    "FORMAT_VERSION",
    "NETCDF",
    "SUMMARY",
    "Run",
    "RunFormatError",
    "arviz",
    "atomic_path",
    "load_run",
    "report_summary",
    "save_run",
    "to_inference_data",
    "versions",
    "write_json",
]

NETCDF = "posterior.nc"
SUMMARY = "summary.json"


# -- atomic files -----------------------------------------------------------------------
# -- the run record -------------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    """A loaded (or freshly made) run: posterior, draws, SGD result, configuration and
    summary, plus the InferenceData they came from."""

    posterior: Posterior
    samples: Samples
    sgd: SGDResult | None
    config: dict
    summary: dict
    idata: object
    path: Path | None = None

    @property
    def figures_dir(self) -> Path | None:
        return None if self.path is None else self.path / "figures"


def is_run_dir(path: str | Path) -> bool:
    return (Path(path) / NETCDF).is_file()


def save_run(
    path: str | Path,
    posterior: Posterior,
    samples: Samples,
    *,
    sgd: SGDResult | None = None,
    config: dict | None = None,
    summary: dict | None = None,
    overwrite: bool = False,
) -> Run:
    """Write a run directory; refuse to replace an existing run unless ``overwrite``."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"output path {str(path)!r} exists and is not a directory")
    if is_run_dir(path) and not overwrite:
        raise FileExistsError(
            f"{str(path)!r} already holds a run; pass overwrite=True (CLI: --overwrite) to "
            "replace it, or choose another output directory"
        )
    path.mkdir(parents=True, exist_ok=True)
    config = dict(config or {})
    config.setdefault("model", posterior.config())
    config.setdefault("data", dataset_config(posterior.data))
    config.setdefault("sampler", samples.settings)
    idata = to_inference_data(posterior, samples, sgd=sgd, config=config)
    with atomic_path(path / NETCDF) as tmp:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            idata.to_netcdf(str(tmp))
    summary = summary if summary is not None else {}
    write_json(path / SUMMARY, summary)
    return Run(posterior, samples, sgd, config, summary, idata, path)


def dataset_config(data: Dataset) -> dict:
    return dict(
        target=data.target,
        n=data.n,
        noise=data.noise,
        noise_scale=data.noise_scale,
        seed=data.seed,
        source=data.source,
        x_range=list(data.x_range),
    )


class RunFormatError(ValueError):
    """A directory or file that is not a readable run record."""


_REQUIRED_GROUPS = ("posterior", "sample_stats", "observed_data", "constant_data")


def load_run(path: str | Path) -> Run:
    """Read a run directory written by :func:`save_run` (or ``bayes-uat run``), in the
    current format or format 1.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        RunFormatError: (a ValueError) ``path`` is not a run directory, or one of its files
            is truncated, corrupt, incomplete or from a newer bayes_uat; the message names
            the file and what is wrong with it.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"run directory {str(path)!r} does not exist")
    if not path.is_dir():
        raise RunFormatError(f"{str(path)!r} is not a directory; pass a run directory")
    if not is_run_dir(path):
        raise RunFormatError(f"{str(path)!r} is not a run: it has no {NETCDF}")
    nc = path / NETCDF
    idata = _read_netcdf(nc)
    version, config = _check_record(idata, nc)
    if (config.get("model") or {}).get("dtype") == "float64":
        # the run computed in float64: so does its record (JAX's 64-bit mode, process-wide)
        enable_x64()
    errors = (KeyError, ValueError, TypeError, IndexError, AttributeError)
    try:
        posterior = _posterior(config, idata)
    except errors as e:  # a bad model config
        raise RunFormatError(
            f"{str(nc)!r}: the run's model cannot be rebuilt here ({_what(e)})"
        ) from None
    try:
        samples = _samples(idata, posterior, config, version)
        sgd = _sgd(idata) if "sgd" in idata.groups() else None
    except errors as e:
        what = _what(e)
        raise RunFormatError(
            f"{str(nc)!r} is incomplete or inconsistent ({what}); it was not written by "
            "save_run or was changed since — re-run to write it again"
        ) from None
    summary = _read_summary(path / SUMMARY)
    return Run(posterior, samples, sgd, config, summary, idata, path)


def _what(e: Exception) -> str:
    return f"missing {e}" if isinstance(e, KeyError) else str(e)


def _read_netcdf(nc: Path):
    az = arviz()
    if nc.stat().st_size == 0:
        raise RunFormatError(f"{str(nc)!r} is empty (0 bytes); re-run, or --resume")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            idata = az.from_netcdf(str(nc))
            idata.load()  # read now: a truncated file fails here, not later
    except Exception as e:
        raise RunFormatError(
            f"{str(nc)!r} cannot be read ({type(e).__name__}: "
            f"{e}); the file is truncated or corrupt — re-run or --resume"
        ) from None
    return idata


def _check_record(idata, nc: Path) -> tuple[int, dict]:
    """The format version and configuration of a record, after checking both and the
    groups every record has."""
    attrs = dict(idata.attrs)
    try:
        version = int(attrs.get("format_version", -1))
    except (TypeError, ValueError):
        version = -1
    if version > FORMAT_VERSION:
        raise RunFormatError(
            f"{str(nc)!r} was written by a newer bayes_uat (format {version}, this version "
            f"reads up to {FORMAT_VERSION}); upgrade bayes_uat to read it"
        )
    if version < 1:
        raise RunFormatError(
            f"{str(nc)!r} is not a bayes_uat run record (no format_version attribute)"
        )
    missing = [g for g in _REQUIRED_GROUPS if g not in idata.groups()]
    if missing:
        raise RunFormatError(
            f"{str(nc)!r} lacks the group(s) {', '.join(missing)}; a run record holds "
            f"{', '.join(_REQUIRED_GROUPS)} — re-run to write it again"
        )
    if "config" not in attrs:
        raise RunFormatError(
            f"{str(nc)!r} lacks its configuration (the 'config' attribute), so the model "
            "cannot be rebuilt; re-run to write it again"
        )
    try:
        config = json.loads(str(attrs["config"]))
    except json.JSONDecodeError as e:
        raise RunFormatError(f"{str(nc)!r}: its 'config' attribute is not JSON ({e})") from None
    lacking = [k for k in ("model", "data") if not isinstance(config, dict) or k not in config]
    if lacking:
        raise RunFormatError(
            f"{str(nc)!r}: its configuration lacks {' and '.join(lacking)}, so the model "
            "cannot be rebuilt; re-run to write it again"
        )
    return version, config


def _posterior(config: dict, idata) -> Posterior:
    model, dcfg = config["model"], config["data"]
    data = Dataset(
        x=np.asarray(idata.constant_data["x"].values),
        y=np.asarray(idata.observed_data["y"].values),
        target=dcfg.get("target"),
        noise=dcfg.get("noise", "none"),
        noise_scale=dcfg.get("noise_scale", 0.0),
        seed=dcfg.get("seed"),
        source=dcfg.get("source", "generated"),
    )
    return posterior_from_config(data, model)


def _samples(idata, posterior: Posterior, config: dict, version: int) -> Samples:
    post = idata.posterior
    stats = {k: np.asarray(v.values) for k, v in idata.sample_stats.data_vars.items()}
    if "lp" not in stats:
        raise ValueError("the sample_stats group has no variable 'lp'")
    lp = stats.pop("lp")
    return Samples(
        theta=read_theta(idata, posterior, version),
        log_density=lp,
        sampler=str(post.attrs.get("sampler", post.attrs.get("method"))),
        names=posterior.names,
        stats=stats,
        settings=config.get("sampler", {}),
        info=config.get("sampler_info", {}),
        wall_time=float(post.attrs.get("wall_time", 0.0)),
        seed=int(post.attrs.get("seed", 0)),
    )


def _sgd(idata) -> SGDResult:
    g = idata["sgd"]
    return SGDResult(
        thetas=np.asarray(g["theta"].values),
        losses=np.asarray(g["loss"].values),
        final_loss=np.asarray(g["final_loss"].values),
        best_index=int(g.attrs["best_index"]),
        settings=json.loads(g.attrs.get("settings", "{}")),
    )


def _read_summary(file: Path) -> dict:
    """summary.json as a dict; ``{}`` when it is missing (the record is still usable)."""
    if not file.exists():
        return {}
    try:
        summary = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise RunFormatError(
            f"{str(file)!r} is not valid JSON ({type(e).__name__}: {e}); delete it to "
            "read the run without its summary"
        ) from None
    except OSError as e:
        raise RunFormatError(f"{str(file)!r} cannot be read ({e})") from None
    if not isinstance(summary, dict):
        raise RunFormatError(
            f"{str(file)!r} holds a JSON {type(summary).__name__}, not an object; delete it "
            "to read the run without its summary"
        )
    return summary


def _has(d, keys, numeric=()) -> bool:
    """``d`` is a dict with every key of ``keys``, and those in ``numeric`` are numbers."""
    return (
        isinstance(d, dict)
        and all(k in d for k in (*keys, *numeric))
        and all(isinstance(d[k], (int, float)) for k in numeric)
    )


def _reportable(s: dict) -> bool:
    """Whether a summary holds what a run report prints: sampler facts, diagnostics and,
    where present, complete SGD / MAP rows and warnings."""
    diag = s.get("diagnostics")
    warns = s.get("warnings", [])
    return (
        isinstance(s.get("sampler"), dict)
        and any(k in s["sampler"] for k in ("name", "method"))  # "method": older records
        and _has(s["sampler"], ("chains", "draws"), ("wall_time",))
        and isinstance(diag, dict)
        and all(
            not diag.get(k) or _has(diag[k], (), ("max_rhat", "min_ess_bulk"))
            for k in ("raw", "canonical", "function")
        )
        and all(
            _has(s[k], ("equation",), ("blog_loss", "log_posterior"))
            for k in ("sgd", "map")
            if k in s
        )
        and isinstance(warns, list)
        and all(_has(w, ("message", "fix")) for w in warns)
    )


def report_summary(run: Run) -> tuple[dict, str | None]:
    """The summary a report prints: ``run.summary`` when it holds the sampler facts and
    diagnostics, else one computed now from the draws (with a note saying so).

    A record saved by :func:`save_run` without ``summary=`` has an empty summary.json; its
    diagnostics, SGD and MAP rows are recomputed from ``posterior.nc`` (not saved).
    """
    s = run.summary
    unsummarised = "summary" in (s.get("failed_steps") or {}) or "summary" in (
        s.get("pending_steps") or []
    )
    if _reportable(s) and not unsummarised:
        return s, None
    file = None if run.path is None else run.path / SUMMARY
    if file is not None and not file.exists():
        what = "is missing"
    elif unsummarised:
        what = "lacks the diagnostics (the run's summary step did not finish)"
    else:
        what = "is empty" if not s else "lacks parts of the report"
    name = str(file) if file is not None else SUMMARY
    fresh = summarize(run.posterior, run.samples, run.sgd)
    note = f"note: {name} {what}; diagnostics recomputed from {NETCDF} (not saved)"
    return fresh, note
