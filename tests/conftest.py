"""Test configuration: render figures off-screen; keep the CLI's compilation cache off so
tests write nothing outside their temporary directories."""

import os

import numpy as np
import pytest

os.environ.setdefault("BAYES_UAT_JAX_CACHE", "")

try:
    import matplotlib
except ImportError:  # pragma: no cover - matplotlib is a dependency, but stay harmless
    pass
else:
    matplotlib.use("Agg")

# The package leaves JAX's 64-bit mode to its user; the tests compute in float64 on CPU, as
# the command and the scripts do.
from bayes_uat import enable_x64  # noqa: E402
from bayes_uat.runtime import release_compiled  # noqa: E402

enable_x64()


@pytest.fixture(scope="module", autouse=True)
def _release_compiled_programs():
    """Drop each test module's compiled programs when it ends: a test process compiles
    thousands, and XLA's CPU compiler crashes once the process's memory mappings reach
    Linux's vm.max_map_count (seen in the slow suite)."""
    yield
    release_compiled()


@pytest.fixture(autouse=True)
def _release_after_slow_tests(request):
    """A slow test may compile tens of thousands of mappings' worth of programs by itself
    (NUTS's simulation-based calibration: about 37 000): release after each one."""
    yield
    if request.node.get_closest_marker("slow") is not None:
        release_compiled()


# -- posteriors shared by several test modules (built and compiled once per session) ----------
LINEAR_SIGMA, LINEAR_PRIOR = 0.3, 2.0


@pytest.fixture(scope="session")
def linear_gaussian():
    """y = 1.5 x − 0.5 + N(0, 0.3²), 20 points, θ = [w, c] ~ N(0, 2² I): a conjugate
    linear-Gaussian posterior.  Returns the Posterior, the exact posterior mean and
    covariance, and the exact log evidence log p(D), from y ~ N(0, s² X Xᵀ + σ² I)."""
    from scipy import stats

    from bayes_uat import MLP, Dataset, Posterior

    sigma, prior = LINEAR_SIGMA, LINEAR_PRIOR
    rng = np.random.default_rng(3)
    x = np.linspace(-1, 1, 20)
    y = 1.5 * x - 0.5 + sigma * rng.standard_normal(20)
    post = Posterior(
        MLP((), "identity"), Dataset(x=x, y=y), prior_std=prior, likelihood="gaussian",
        noise_std=sigma,
    )  # fmt: skip
    X = np.stack([x, np.ones_like(x)], axis=1)
    cov = np.linalg.inv(X.T @ X / sigma**2 + np.eye(2) / prior**2)
    mean = cov @ X.T @ y / sigma**2
    marginal = prior**2 * X @ X.T + sigma**2 * np.eye(len(x))
    log_z = stats.multivariate_normal(np.zeros(len(x)), marginal).logpdf(y)
    return post, mean, cov, float(log_z)


@pytest.fixture(scope="session")
def sin_tanh2():
    """N = 2 tanh units on 60 points of sin, Gaussian noise σ = 0.3: the posterior in which
    the mode tests plant draws."""
    from bayes_uat import MLP, Posterior, make_dataset

    return Posterior(
        MLP(2, "tanh"), make_dataset("sin", n=60, seed=0), likelihood="gaussian", noise_std=0.3
    )
