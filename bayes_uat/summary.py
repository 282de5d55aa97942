"""Summaries of a run: SGD vs MAP, diagnostics, versions — what summary.json holds.

Example
-------
>>> from bayes_uat.summary import point_summary
>>> # point_summary(posterior, theta) -> {"theta": ..., "equation": ..., "mse": ...}
"""

from __future__ import annotations

import warnings

import numpy as np

from .optimize import SGDResult
from .posterior import Posterior
from .records import arviz, versions
from .samples import Samples


def point_summary(posterior: Posterior, theta) -> dict:
    """θ, its equation, log-posterior, log-likelihood, MSE and the blog's loss (−MSE)."""
    theta = np.asarray(theta, dtype=float)
    mse = float(posterior.mse(theta))
    return dict(
        theta=dict(zip(posterior.names, theta.tolist())),
        equation=posterior.net.equation(posterior.net_params(theta)),
        log_posterior=float(posterior.log_prob(theta)),
        log_likelihood=float(posterior.log_likelihood(theta)),
        mse=mse,
        blog_loss=-mse,
    )


def diagnostics(samples: Samples, theta: np.ndarray | None = None) -> dict:
    """Split R-hat and bulk/tail ESS of θ (default: the raw draws) per parameter, with the
    worst values first (max R-hat, min ESS)."""
    az = arviz()
    theta = samples.theta if theta is None else theta
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rhat = np.array([float(az.rhat(theta[..., j])) for j in range(theta.shape[-1])])
        ess_bulk = np.array([float(az.ess(theta[..., j], method="bulk"))
                             for j in range(theta.shape[-1])])
        ess_tail = np.array([float(az.ess(theta[..., j], method="tail"))
                             for j in range(theta.shape[-1])])
    return dict(
        max_rhat=float(np.nanmax(rhat)), min_ess_bulk=float(np.nanmin(ess_bulk)),
        min_ess_tail=float(np.nanmin(ess_tail)),
        rhat=dict(zip(samples.names, rhat.tolist())),
        ess_bulk=dict(zip(samples.names, ess_bulk.tolist())),
        ess_tail=dict(zip(samples.names, ess_tail.tolist())),
    )


def summarize(posterior: Posterior, samples: Samples, sgd: SGDResult | None = None) -> dict:
    """The summary.json of a run."""
    out = dict(
        sampler=dict(method=samples.method, chains=samples.chains, draws=samples.draws,
                     wall_time=samples.wall_time, seed=samples.seed, **samples.info),
        map=point_summary(posterior, samples.map_theta),
        diagnostics=dict(raw=diagnostics(samples)),
        versions=versions(),
    )
    if sgd is not None:
        out["sgd"] = dict(point_summary(posterior, sgd.best), restart=sgd.best_index,
                          restarts=sgd.restarts, seed=sgd.settings.get("seed"),
                          final_losses=sgd.final_loss.tolist())
    return out
