"""What importing bayes_uat and reaching a first posterior load: the heavy optional libraries
stay out until a function that needs them runs (docs/benchmarks.md, time to the first
posterior)."""

import json
import subprocess
import sys

import numpy as np

import bayes_uat
from bayes_uat.diagnostics import autocorr_times

HEAVY = ("matplotlib", "arviz", "xarray", "pandas", "dask", "distributed", "sklearn", "corner")


def _modules_after(code: str, names) -> list[str]:
    """The modules among ``names`` that a fresh interpreter has loaded after ``code``."""
    listed = f"[m for m in {list(names)!r} if m in sys.modules]"
    probe = f"{code}\nimport json, sys; print(json.dumps({listed}))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_loads_no_heavy_optional_library():
    names = HEAVY + ("emcee", "blackjax", "numpyro", "scipy.stats")
    assert _modules_after("import bayes_uat", names) == []


def test_default_posterior_and_autocorr_load_neither_numpyro_nor_emcee():
    code = (
        "import numpy as np, bayes_uat as bu\n"
        "p = bu.Posterior(bu.MLP(2, 'sigmoid'), bu.make_dataset('x2', n=20))\n"
        "p.log_density(np.zeros((2, p.dim)))\n"
        "bu.diagnostics.autocorr_times(np.random.default_rng(0).normal(size=(4, 200, 2)))"
    )
    assert _modules_after(code, ("numpyro", "emcee", "scipy.stats") + HEAVY) == []


def test_every_public_name_resolves():
    missing = [n for n in bayes_uat.__all__ if not hasattr(bayes_uat, n)]
    assert missing == []


def test_autocorr_times_is_emcees_estimate():
    import emcee

    # AR(1) walkers, φ = 0.9: τ = (1 + φ)/(1 − φ) = 19 in the limit; the values must be
    # emcee's own, whichever way its autocorr module was loaded
    rng = np.random.default_rng(3)
    x = np.zeros((8, 4000, 2))
    for t in range(1, x.shape[1]):
        x[:, t] = 0.9 * x[:, t - 1] + rng.normal(size=(8, 2))
    want = emcee.autocorr.integrated_time(np.swapaxes(x, 0, 1), quiet=True)
    assert autocorr_times(x) == [float(v) for v in want]
