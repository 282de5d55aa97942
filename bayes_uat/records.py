"""Run records: everything about one run in a directory, and the only place ArviZ is used.

A run directory holds

``posterior.nc``
    an ArviZ InferenceData (netCDF/HDF5): groups ``posterior`` (θ by chain, draw, param),
    ``sample_stats``, ``log_likelihood`` (pointwise, for LOO/WAIC; thinned if large),
    ``observed_data`` (y), ``constant_data`` (x) and ``sgd`` (every restart's θ and loss
    curve); its attributes carry the full configuration (JSON) and the format version;
``summary.json``
    SGD and MAP θ with equations, log-posterior and MSE, diagnostics, versions, seeds;
``figures/``
    the run's figures.

Every file is written to a temporary name in the same directory and renamed into place,
so an interrupted write never leaves a half-written record.  ArviZ 0.23 (InferenceData)
is used on Python 3.11; :func:`to_inference_data` is the one function to change for
ArviZ 1.x.

Example
-------
>>> from bayes_uat import load_run
>>> run = load_run("runs/x2")  # doctest: +SKIP
>>> run.samples.theta.shape, run.summary["map"]["equation"]  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .data import Dataset
from .optimize import SGDResult
from .posterior import Posterior, posterior_from_config
from .samples import Samples

FORMAT_VERSION = 1
NETCDF = "posterior.nc"
SUMMARY = "summary.json"


def arviz():
    """Import ArviZ without its import-time FutureWarning about the 1.x refactor."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import arviz as az
    return az


# -- atomic files -----------------------------------------------------------------------
@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file normal permissions
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json(path: str | Path, obj) -> None:
    """Write JSON atomically (NaN and inf written as null)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(_jsonable(obj), indent=2, allow_nan=False) + "\n")


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer, int)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return v if np.isfinite(v) else None
    if obj is None or isinstance(obj, str):
        return obj
    if hasattr(obj, "__array__"):
        return _jsonable(np.asarray(obj))
    return str(obj)


def versions() -> dict:
    """Versions of Python and the numerical packages, for the record."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "platform": platform.platform()}
    for pkg in ("bayes_uat", "jax", "jaxlib", "numpyro", "emcee", "arviz", "optax", "numpy"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    try:
        import jax

        out["jax_backend"] = jax.default_backend()
    except Exception:  # pragma: no cover - the record is still useful without it
        out["jax_backend"] = None
    return out


# -- InferenceData ----------------------------------------------------------------------
def to_inference_data(
    posterior: Posterior,
    samples: Samples,
    *,
    sgd: SGDResult | None = None,
    config: dict | None = None,
    max_loglik_values: int = 2_000_000,
):
    """Convert draws to an ArviZ InferenceData with posterior, sample_stats,
    log_likelihood, observed_data, constant_data and (when given) sgd groups.

    The pointwise log-likelihood has chains·draws·n values; beyond ``max_loglik_values``
    the draws are thinned evenly for that group only (its ``thin`` attribute says by how
    much).
    """
    import xarray as xr

    az = arviz()
    C, D, _ = samples.theta.shape
    coords = {"chain": np.arange(C), "draw": np.arange(D), "param": list(samples.names)}
    post = xr.Dataset(
        {"theta": (("chain", "draw", "param"), samples.theta)},
        coords=coords,
        attrs={"method": samples.method, "seed": samples.seed, "wall_time": samples.wall_time},
    )
    stats = {"lp": (("chain", "draw"), samples.log_prob)}
    stats.update({k: (("chain", "draw"), v) for k, v in samples.stats.items()})
    sample_stats = xr.Dataset(stats, coords={"chain": coords["chain"], "draw": coords["draw"]})
    n = posterior.data.n
    thin = max(1, int(np.ceil(C * D * n / max_loglik_values)))
    th = samples.theta[:, ::thin]
    ll = np.concatenate(
        [np.asarray(posterior.pointwise_log_likelihood(th[c : c + 1])) for c in range(C)]
    )
    loglik = xr.Dataset(
        {"y": (("chain", "draw", "obs"), ll)},
        coords={"chain": coords["chain"], "draw": np.arange(D)[::thin], "obs": np.arange(n)},
        attrs={"thin": thin},
    )
    x = posterior.data.x
    xdims = ("obs",) if x.ndim == 1 else ("obs", "input")
    groups = dict(
        posterior=post,
        sample_stats=sample_stats,
        log_likelihood=loglik,
        observed_data=xr.Dataset({"y": (("obs",), posterior.data.y)}),
        constant_data=xr.Dataset({"x": (xdims, x)}),
    )
    if sgd is not None:
        groups["sgd"] = xr.Dataset(
            {
                "theta": (("restart", "param"), sgd.thetas),
                "loss": (("restart", "step"), sgd.losses),
                "final_loss": (("restart",), sgd.final_loss),
            },
            coords={"param": list(samples.names)},
            attrs={"best_index": sgd.best_index, "settings": json.dumps(_jsonable(sgd.settings))},
        )
    attrs = {
        "format_version": FORMAT_VERSION,
        "bayes_uat": versions()["bayes_uat"] or "",
        "config": json.dumps(_jsonable(config or {})),
    }
    return az.InferenceData(attrs=attrs, **groups)


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
    """A directory that is not a readable run record."""


def load_run(path: str | Path) -> Run:
    """Read a run directory written by :func:`save_run` (or ``bayes-uat run``)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"run directory {str(path)!r} does not exist")
    if not path.is_dir():
        raise RunFormatError(f"{str(path)!r} is not a directory; pass a run directory")
    if not is_run_dir(path):
        raise RunFormatError(f"{str(path)!r} is not a run: it has no {NETCDF}")
    az = arviz()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            idata = az.from_netcdf(str(path / NETCDF))
            idata.load()  # read now: a truncated file fails here, not later
    except Exception as e:
        raise RunFormatError(
            f"{str(path / NETCDF)!r} cannot be read ({type(e).__name__}: "
            f"{e}); the file is truncated or corrupt — re-run or --resume"
        ) from None
    attrs = dict(idata.attrs)
    version = int(attrs.get("format_version", -1))
    if version > FORMAT_VERSION:
        raise RunFormatError(
            f"{str(path)!r} was written by a newer bayes_uat (format {version}, this version "
            f"reads up to {FORMAT_VERSION}); upgrade bayes_uat to read it"
        )
    if version < 1 or "posterior" not in idata.groups():
        raise RunFormatError(f"{str(path)!r} is not a bayes_uat run record")
    config = json.loads(attrs.get("config", "{}"))
    model, dcfg = config["model"], config["data"]
    x = np.asarray(idata.constant_data["x"].values)
    y = np.asarray(idata.observed_data["y"].values)
    data = Dataset(
        x=x,
        y=y,
        target=dcfg.get("target"),
        noise=dcfg.get("noise", "none"),
        noise_scale=dcfg.get("noise_scale", 0.0),
        seed=dcfg.get("seed"),
        source=dcfg.get("source", "generated"),
    )
    posterior = posterior_from_config(data, model)
    post = idata.posterior
    stats = {k: np.asarray(v.values) for k, v in idata.sample_stats.data_vars.items()}
    lp = stats.pop("lp")
    samples = Samples(
        theta=np.asarray(post["theta"].values),
        log_prob=lp,
        method=str(post.attrs.get("method")),
        names=tuple(str(p) for p in post["param"].values),
        stats=stats,
        settings=config.get("sampler", {}),
        info=config.get("sampler_info", {}),
        wall_time=float(post.attrs.get("wall_time", 0.0)),
        seed=int(post.attrs.get("seed", 0)),
    )
    sgd = None
    if "sgd" in idata.groups():
        g = idata["sgd"]
        sgd = SGDResult(
            thetas=np.asarray(g["theta"].values),
            losses=np.asarray(g["loss"].values),
            final_loss=np.asarray(g["final_loss"].values),
            best_index=int(g.attrs["best_index"]),
            settings=json.loads(g.attrs.get("settings", "{}")),
        )
    summary = {}
    if (path / SUMMARY).is_file():
        try:
            summary = json.loads((path / SUMMARY).read_text())
        except json.JSONDecodeError as e:
            raise RunFormatError(f"{str(path / SUMMARY)!r} is not valid JSON ({e})") from None
    return Run(posterior, samples, sgd, config, summary, idata, path)
