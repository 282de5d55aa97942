"""Shared statistical checks: sample moments against known values within Monte Carlo error."""

from __future__ import annotations

import warnings

import numpy as np

from bayes_uat.records import arviz


def ess_per_param(theta: np.ndarray) -> np.ndarray:
    """Bulk ESS of each parameter of θ (chains, draws, dim), treating walkers as chains."""
    az = arviz()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.array(
            [float(az.ess(theta[..., j], method="bulk")) for j in range(theta.shape[-1])]
        )


def check_gaussian_moments(
    theta: np.ndarray, mean: np.ndarray, cov: np.ndarray, *, z: float = 4.5
) -> None:
    """Assert the draws θ (chains, draws, dim) have the given mean and covariance.

    Tolerances come from the Monte Carlo error with the effective sample size n_eff of each
    coordinate: the sample mean has standard error sqrt(Σᵢᵢ / n_eff), the sample variance
    relative standard error sqrt(2 / n_eff) (Gaussian target), and a correlation ρ standard
    error (1 − ρ²)/sqrt(n_eff).  ``z`` = 4.5 standard errors keeps the chance of a false
    failure below 1e-4 per check with a handful of checks per test.
    """
    flat = theta.reshape(-1, theta.shape[-1])
    ess = ess_per_param(theta)
    assert np.all(ess > 100), f"too few effective samples for a moment test: {ess}"
    sd = np.sqrt(np.diag(cov))
    m_hat = flat.mean(0)
    err = np.abs(m_hat - mean) / (sd / np.sqrt(ess))
    assert np.all(err < z), f"mean off by {err} standard errors (mean {m_hat} vs {mean})"
    v_hat = flat.var(0)
    rel = np.abs(v_hat / np.diag(cov) - 1) / np.sqrt(2 / ess)
    assert np.all(rel < z), f"variance off by {rel} standard errors ({v_hat} vs {np.diag(cov)})"
    corr = cov / np.outer(sd, sd)
    c_hat = np.corrcoef(flat.T)
    n = min(ess)
    iu = np.triu_indices(len(mean), 1)
    se = (1 - corr[iu] ** 2) / np.sqrt(n)
    cerr = np.abs(c_hat[iu] - corr[iu]) / se
    assert np.all(cerr < z), f"correlation off by {cerr} standard errors"
