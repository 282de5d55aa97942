"""Convergence diagnostics of draws: split R-hat, bulk/tail ESS, integrated autocorrelation
times. Below the samplers and the summaries: it imports neither."""

from __future__ import annotations

import functools
import importlib.util
import logging
import sys
import warnings
from pathlib import Path

import numpy as np

from ._io import arviz


def diagnostics(theta: np.ndarray, names) -> dict:
    """Split R-hat and bulk/tail ESS of each column of ``theta`` (chains, draws, k), named by
    ``names``, with the worst values first (max R-hat, min ESS)."""
    az = arviz()
    theta = np.asarray(theta, dtype=float)
    k = theta.shape[-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rhat = np.array([float(az.rhat(theta[..., j])) for j in range(k)])
        ess_bulk = np.array([float(az.ess(theta[..., j], method="bulk")) for j in range(k)])
        ess_tail = np.array([float(az.ess(theta[..., j], method="tail")) for j in range(k)])
    return dict(
        max_rhat=float(np.nanmax(rhat)),
        min_ess_bulk=float(np.nanmin(ess_bulk)),
        min_ess_tail=float(np.nanmin(ess_tail)),
        rhat=dict(zip(names, rhat.tolist())),
        ess_bulk=dict(zip(names, ess_bulk.tolist())),
        ess_tail=dict(zip(names, ess_tail.tolist())),
    )


@functools.cache
def _emcee_autocorr():
    """emcee's ``autocorr`` module. Importing the emcee package imports scipy.stats (for
    its KDE move), seconds that the first posterior need not wait for: unless emcee is
    already imported, its autocorr module (numpy only) is loaded from its file alone."""
    if "emcee" in sys.modules:
        return sys.modules["emcee"].autocorr
    spec = importlib.util.find_spec("emcee")
    path = Path(spec.submodule_search_locations[0]) / "autocorr.py"
    one = importlib.util.spec_from_file_location("emcee.autocorr", path)
    module = importlib.util.module_from_spec(one)
    one.loader.exec_module(module)  # not entered in sys.modules: `import emcee` stays whole
    return module


def autocorr_times(theta: np.ndarray) -> list[float] | None:
    """Integrated autocorrelation time of each parameter for an ensemble (walkers,
    draws, dim), from emcee's estimator; None when the chain is too short to estimate."""
    autocorr = _emcee_autocorr()
    log = logging.getLogger("emcee.autocorr")
    level = log.level
    log.setLevel(logging.ERROR)  # its "chain too short" note is reported by us instead
    try:
        with np.errstate(all="ignore"):  # a parameter that never moved has acf[0] = 0
            tau = autocorr.integrated_time(np.swapaxes(theta, 0, 1), quiet=True)
    except Exception:
        return None
    finally:
        log.setLevel(level)
    return [float(t) if np.isfinite(t) else None for t in tau]
