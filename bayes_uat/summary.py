"""Summaries of a run: SGD vs MAP, diagnostics (from :mod:`bayes_uat.diagnostics`), versions —
what summary.json holds.

Example
-------
>>> from bayes_uat.summary import point_summary
>>> # point_summary(posterior, theta) -> {"theta": ..., "equation": ..., "mse": ...}
"""

from __future__ import annotations

import numpy as np

from ._io import versions
from .checks import fit_warnings, run_warnings
from .diagnostics import autocorr_times, diagnostics
from .modes import to_canonical
from .optimize import SGDResult
from .posterior import Posterior
from .samplers import capabilities_of
from .samples import Samples


def point_summary(posterior: Posterior, theta) -> dict:
    """θ, its equation, log-posterior, log-likelihood, MSE and the blog's loss (−MSE)."""
    theta = np.asarray(theta, dtype=float)
    mse = float(posterior.mse(theta))
    return dict(
        theta=dict(zip(posterior.names, theta.tolist())),
        equation=posterior.net.equation(posterior.net_params(theta)),
        log_posterior=float(posterior.log_density(theta)),
        log_likelihood=float(posterior.log_likelihood(theta)),
        mse=mse,
        blog_loss=-mse,
    )


def symmetry_diagnostics(
    posterior: Posterior, samples: Samples, *, n_points: int = 5, max_draws: int = 20000
) -> dict:
    """R-hat and ESS side by side on raw θ, on canonical θ, and on f(x) at a few grid
    points — label switching shows as bad raw numbers with good canonical and f(x) ones.
    Ensembles add the integrated autocorrelation time of canonical θ."""
    step = max(1, int(np.ceil(samples.chains * samples.draws / max_draws)))
    theta = samples.theta[:, ::step]
    can = to_canonical(posterior, theta, reference=samples.map_theta)
    xs = posterior.data.grid(n_points + 2)[1:-1]
    fx = np.asarray(posterior.predict(theta.reshape(-1, samples.dim), xs))
    fx = fx.reshape(theta.shape[0], theta.shape[1], -1)  # points × outputs for K > 1
    if xs.ndim == 1 and fx.shape[-1] == len(xs):
        fnames = tuple(f"f({x:.2g})" for x in xs)
    else:  # d-dimensional inputs or K outputs: f[point, output]
        fnames = tuple(
            f"f[{i // posterior.net.out_dim},{i % posterior.net.out_dim}]"
            for i in range(fx.shape[-1])
        )
    out = dict(
        raw=diagnostics(theta, samples.names),
        canonical=diagnostics(can, samples.names),
        function=diagnostics(fx, fnames),
        thin=step,
    )
    caps = capabilities_of(samples)
    if caps.ordered and not caps.independent:  # an ensemble's steps (SMC: no time order)
        out["canonical"]["autocorr_time"] = autocorr_times(can)
    return out


def summarize(
    posterior: Posterior, samples: Samples, sgd: SGDResult | None = None, *, comparison=None
) -> dict:
    """The summary.json of a run; ``comparison`` (a :class:`~bayes_uat.compare.Comparison`)
    adds the symmetry-aware SGD-vs-posterior table."""
    info = dict(samples.info)
    if "autocorr_time" in info:  # the ensembles' τ of raw θ; canonical θ's is in diagnostics
        info["autocorr_time_raw"] = info.pop("autocorr_time")
    out = dict(
        sampler=dict(
            name=samples.sampler,
            chains=samples.chains,
            draws=samples.draws,
            wall_time=samples.wall_time,
            seed=samples.seed,
            **info,
        ),
        map=point_summary(posterior, samples.map_theta),
        diagnostics=symmetry_diagnostics(posterior, samples),
        versions=versions(),
    )
    out["warnings"] = run_warnings(samples, out["diagnostics"])
    out["warnings"] += fit_warnings(posterior, samples, sgd)
    if comparison is not None:
        out["comparison"] = comparison.to_dict()
    if sgd is not None:
        out["sgd"] = dict(
            point_summary(posterior, sgd.best),
            restart=sgd.best_index,
            restarts=sgd.restarts,
            seed=sgd.settings.get("seed"),
            final_losses=sgd.final_loss.tolist(),
        )
    return out
