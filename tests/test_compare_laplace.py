"""compare() reports the Laplace approximation's fit per mode and per SGD solution."""

import math

import numpy as np
import pytest

import bayes_uat as bu


def test_compare_reports_an_exact_laplace_fit_on_a_linear_gaussian_model():
    """Linear-Gaussian: the posterior is Gaussian, so with exact posterior draws the variance
    ratios are 1 within the sample variance's error (relative sd √(2/(n−1)), 4 of them) and
    the Laplace 95 % band holds 95 % of posterior f(x) (its quantiles from 1 000 Laplace draws:
    sd ≈ 0.007; 4 of them)."""
    sigma, s, n = 0.5, 3.0, 40
    data = bu.make_dataset("0.7*x - 0.3", n=n, noise="gaussian", noise_scale=sigma, seed=3)
    post = bu.Posterior(
        bu.MLP((), "tanh"), data, likelihood="gaussian", noise_std=sigma, prior_std=s
    )
    X = np.stack([data.x, np.ones(n)], 1)
    cov = np.linalg.inv(X.T @ X / sigma**2 + np.eye(2) / s**2)
    mean = cov @ X.T @ data.y / sigma**2
    draws = np.random.default_rng(1).multivariate_normal(mean, cov, 8000).reshape(4, 2000, 2)
    samples = bu.Samples(
        theta=draws,
        log_density=np.asarray(post.log_density(draws)),
        sampler="nuts",
        names=post.names,
    )
    sgd = bu.train_sgd(post, steps=300, restarts=2, learning_rate=0.05)
    # one mode holding every draw (find_modes' default tolerance would leave the outermost
    # draws out of the mode and so shrink its variance)
    modes = bu.find_modes(post, samples, tol=1e3)
    assert modes[0].share == 1.0
    table = bu.compare(post, samples, sgd, modes=modes)
    tol = 4 * math.sqrt(2 / (len(table.modes.canonical.reshape(-1, 2)) - 1))
    mode = table.row("mode 0")
    assert mode["laplace_var_ratio_min"] == pytest.approx(1.0, abs=tol)
    assert mode["laplace_var_ratio_max"] == pytest.approx(1.0, abs=tol)
    assert mode["laplace_band_coverage"] == pytest.approx(0.95, abs=0.03)
    for r in range(2):  # refined SGD: the same maximum, the same Gaussian
        row = table.row(f"SGD {r}")
        assert row["refined_laplace_var_ratio"] == pytest.approx(1.0, abs=tol)
        # a linear model's Hessian is the same everywhere: SGD as it ended fits as well
        assert row["laplace_var_ratio"] == pytest.approx(row["refined_laplace_var_ratio"])
    assert "Lap. var" in str(table)
    assert "laplace_var_ratio" not in bu.compare(
        post, samples, sgd, modes=modes, laplace=False
    ).row("mode 0")
