"""A run as ArviZ InferenceData, and back: the layout of ``posterior.nc``.

Format 2 (written now) holds these groups, every one with dimensions ``chain`` and ``draw``
first where it has draws:

``posterior``
    θ as named variables (:mod:`bayes_uat.variables`: ``w``, ``b``, ``a`` by ``unit``,
    ``c``, ``log_sigma`` when σ is inferred), so ``az.summary``, ``az.plot_trace``,
    ``az.plot_pair`` and ``az.plot_forest`` show one entry per parameter;
``canonical``
    the same draws and variables in canonical form (:func:`bayes_uat.modes.to_canonical`:
    units flipped and sorted, or aligned to the MAP draw where a network has no
    reference-free form) — ``az.summary(idata.canonical)`` reads it as it is;
``sample_stats``
    ``lp`` (log posterior + const) and the sampler's per-draw statistics;
``log_likelihood``
    ``y``: log p(yᵢ | θ) per draw and observation, for ``az.loo`` / ``az.waic``.  Beyond
    ``max_loglik_values`` values only every ``thin``-th draw is kept: its ``draw``
    coordinates are then the posterior's draw indices it holds (0, thin, 2·thin, …), and the
    thinning is in the group's ``thin`` and the root's ``log_likelihood_thin`` attributes;
``observed_data`` / ``constant_data``
    y and x;
``sgd``
    every SGD restart's θ (``theta``, by restart and ``param``), loss curve and final loss.

Root attributes: ``format_version``, ``config`` (the full configuration as JSON) and the key
settings as plain attributes (``sampler``, ``chains``, ``draws``, ``warmup``, ``seed``,
``units``, ``activation``, ``likelihood``, ``prior_std``, ``n``, ``target``, …, the sampler's
options, and ``chains_are`` / ``draws_are``: what the ``chain`` and ``draw`` dimensions are for
this sampler, e.g. "independent runs" and "particles per independent run" for tempered SMC,
which records neither ``warmup`` nor ``init``).

Format 1 stored θ as one variable ``theta`` (chain, draw, param) and no canonical group;
:func:`read_theta` reads both.

Example
-------
>>> import arviz as az
>>> idata = az.from_netcdf("runs/x2/posterior.nc")  # doctest: +SKIP
>>> az.summary(idata.canonical)  # rows w[1], w[2], b[1], …, c  # doctest: +SKIP
>>> az.plot_trace(idata, compact=False)  # one row per parameter  # doctest: +SKIP
"""

from __future__ import annotations

import json

import numpy as np

from ._io import _jsonable, arviz, versions
from .modes import to_canonical
from .optimize import SGDResult
from .posterior import Posterior
from .samples import Samples
from .variables import coords, join, posterior_variables, split
from .vocabulary import applies, option_names, words

FORMAT_VERSION = 2


def _draw_group(vars_, theta: np.ndarray, draw: np.ndarray, attrs: dict):
    import xarray as xr

    C = theta.shape[0]
    values = split(vars_, theta)
    data = {v.name: (("chain", "draw") + v.dims, values[v.name]) for v in vars_}
    return xr.Dataset(
        data, coords={"chain": np.arange(C), "draw": draw, **coords(vars_)}, attrs=attrs
    )


def canonical_group(posterior: Posterior, samples: Samples, vars_, draw):
    """The draws in canonical form, as the ``canonical`` group."""
    net = posterior.net
    direct = not net.units or (len(net.units) == 1 and net.fan_in == 1)
    theta = to_canonical(posterior, samples.theta, reference=samples.map_theta)
    if not net.units:
        form = "as sampled (a linear model has no symmetries)"
    elif direct:
        form = "canonicalize: each unit flipped to w > 0, units sorted by t = -b/w"
    else:
        c, d = samples.map_index
        form = f"align: units matched to the MAP draw (chain {c}, draw {d}) layer by layer"
    return _draw_group(vars_, theta, draw, {"form": form})


def loglik_group(posterior: Posterior, samples: Samples, max_values: int):
    """Pointwise log-likelihood, thinned evenly over draws beyond ``max_values`` values."""
    import xarray as xr

    C, D, _ = samples.theta.shape
    n = posterior.data.n
    thin = max(1, int(np.ceil(C * D * n / max_values)))
    th = samples.theta[:, ::thin]
    ll = np.concatenate(
        [np.asarray(posterior.pointwise_log_likelihood(th[c : c + 1])) for c in range(C)]
    )
    return xr.Dataset(
        {"y": (("chain", "draw", "obs"), ll)},
        coords={"chain": np.arange(C), "draw": np.arange(D)[::thin], "obs": np.arange(n)},
        attrs={
            "thin": thin,
            "draws": "posterior draw indices kept (every thin-th; all when thin is 1)",
        },
    )


def sgd_group(sgd: SGDResult, names):
    import xarray as xr

    return xr.Dataset(
        {
            "theta": (("restart", "param"), sgd.thetas),
            "loss": (("restart", "step"), sgd.losses),
            "final_loss": (("restart",), sgd.final_loss),
        },
        coords={"param": list(names)},
        attrs={"best_index": sgd.best_index, "settings": json.dumps(_jsonable(sgd.settings))},
    )


def readable_attrs(posterior: Posterior, samples: Samples, sgd, vars_, thin: int) -> dict:
    """The key settings as plain netCDF attributes (None left out, booleans as text)."""
    net, data, st = posterior.net, posterior.data, samples.settings
    out = dict(
        sampler=samples.sampler,
        chains=samples.chains,
        draws=samples.draws,
        warmup=st.get("warmup") if applies(samples.sampler, "warmup") else None,
        seed=samples.seed,
        init=st.get("init") if applies(samples.sampler, "init") else None,
        units=",".join(str(u) for u in net.units) or "linear",
        activation=net.activation,
        in_dim=net.in_dim,
        likelihood=posterior.likelihood,
        prior_std=posterior.prior_std,
        noise_std=posterior.noise_std,
        infers_sigma=posterior.infers_sigma,
        dtype=posterior.dtype,
        n=data.n,
        target=data.target,
        data_source=data.source,
        data_seed=data.seed,
        noise=data.noise,
        noise_scale=data.noise_scale,
        noise_param=posterior.noise_param if posterior.infers_sigma else None,
        df=posterior.df,
        bias=None if all(net.biases) else ",".join(str(b).lower() for b in net.biases),
        prior=_prior_text(posterior),
        variables=" ".join(v.name for v in vars_),
        log_likelihood_thin=thin,
        **{k: st[k] for k in option_names(samples.sampler) if k in st},
    )
    w = words(samples.sampler)
    out.update(chains_are=w.chains, draws_are=f"{w.draws} per {w.chain}")
    if sgd is not None:
        out.update(sgd_restarts=sgd.restarts, sgd_steps=int(sgd.losses.shape[-1]))
        out.update({f"sgd_{k}": sgd.settings.get(k) for k in ("optimizer", "learning_rate")})
    return {
        k: (str(v).lower() if isinstance(v, (bool, np.bool_)) else v)
        for k, v in out.items()
        if v is not None and not isinstance(v, (dict, list, tuple))
    }


def _prior_text(posterior: Posterior) -> str | None:
    """The priors per parameter group as one line, e.g. ``w: 1.0; a: laplace(0, 2)``; None
    for the default N(0, prior_std²) on every weight."""
    prior = posterior.config().get("prior") or {}
    text = "; ".join(f"{k}: {v}" for k, v in prior.items())
    default = all(v == posterior.prior_std for v in prior.values())
    return None if not text or default else text


def to_inference_data(
    posterior: Posterior,
    samples: Samples,
    *,
    sgd: SGDResult | None = None,
    config: dict | None = None,
    max_loglik_values: int = 2_000_000,
    canonical: bool = True,
):
    """The run as an ArviZ InferenceData in the current format (see the module docstring).

    ``canonical=False`` leaves out the canonical group (when only ``az.loo`` is wanted).
    """
    az = arviz()
    C, D, _ = samples.theta.shape
    vars_ = posterior_variables(posterior)
    draw = np.arange(D)
    attrs = {"sampler": samples.sampler, "seed": samples.seed, "wall_time": samples.wall_time}
    groups = dict(posterior=_draw_group(vars_, samples.theta, draw, attrs))
    if canonical:
        groups["canonical"] = canonical_group(posterior, samples, vars_, draw)
    groups.update(_stats_and_data(posterior, samples, max_loglik_values))
    if sgd is not None:
        groups["sgd"] = sgd_group(sgd, samples.names)
    thin = int(groups["log_likelihood"].attrs["thin"])
    attrs = {
        "format_version": FORMAT_VERSION,
        "bayes_uat": versions()["bayes_uat"] or "",
        "config": json.dumps(_jsonable(config or {})),
        **readable_attrs(posterior, samples, sgd, vars_, thin),
    }
    return az.InferenceData(attrs=attrs, **groups)


def _stats_and_data(posterior: Posterior, samples: Samples, max_loglik_values: int) -> dict:
    import xarray as xr

    C, D, _ = samples.theta.shape
    cd = {"chain": np.arange(C), "draw": np.arange(D)}
    stats = {"lp": (("chain", "draw"), samples.log_density)}
    stats.update({k: (("chain", "draw"), v) for k, v in samples.stats.items()})
    x = posterior.data.x
    xdims = ("obs",) if x.ndim == 1 else ("obs", "input")
    return dict(
        sample_stats=xr.Dataset(stats, coords=cd),
        log_likelihood=loglik_group(posterior, samples, max_loglik_values),
        observed_data=xr.Dataset({"y": (("obs",), posterior.data.y)}),
        constant_data=xr.Dataset({"x": (xdims, x)}),
    )


def read_theta(idata, posterior: Posterior, version: int) -> np.ndarray:
    """θ (chain, draw, dim) from the ``posterior`` group of a format-1 or format-2 record.

    Raises:
        ValueError: the group lacks a variable or one has the wrong shape.
    """
    post = idata.posterior
    if version == 1:
        if "theta" not in post:
            raise ValueError("the posterior group has no variable 'theta'")
        names = tuple(str(p) for p in post["param"].values)
        if names != posterior.names:
            raise ValueError(
                f"the posterior's parameters {names} do not match the model's {posterior.names}"
            )
        return np.asarray(post["theta"].transpose("chain", "draw", "param").values)
    vars_ = posterior_variables(posterior)
    values = {
        v.name: post[v.name].transpose("chain", "draw", *v.dims).values
        for v in vars_
        if v.name in post
    }
    try:
        return join(vars_, values, posterior.dim)
    except ValueError as e:
        raise ValueError(f"posterior group: {e}") from None
