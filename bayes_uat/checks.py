"""Warnings after a run, each with what it means and what to do.

:func:`run_warnings` reads a run's samples and its symmetry-aware diagnostics (see
:func:`bayes_uat.summary.symmetry_diagnostics`) and returns a list of
``{"code", "message", "fix"}`` dicts; the CLI prints them and summary.json stores them.

============== ==========================================================================
code           raised when
============== ==========================================================================
divergences    NUTS reported divergent transitions
tree_depth     more than 1 % of NUTS draws hit the maximum tree depth
ebfmi          a chain's energy Bayesian fraction of missing information is below 0.3
rhat           split R-hat of canonical θ above 1.05, for every sampler (ensembles:
               each walker's halves as chains — walkers are not independent chains;
               raw θ is not checked: label switching inflates it harmlessly)
ess            bulk ESS of canonical θ below 100 per chain-equivalent (min 400)
autocorr       an ensemble run shorter than 50 integrated autocorrelation times
degenerate_    σ inferred with the default prior but y gives it no scale (one point,
data           constant y): the prior's scale falls back to 1e-3 (:func:`fit_warnings`)
============== ==========================================================================

Example
-------
>>> from bayes_uat.checks import run_warnings
>>> for w in run_warnings(samples, diagnostics):  # doctest: +SKIP
...     print(w["message"], "→", w["fix"])
"""

from __future__ import annotations

import numpy as np

from .samplers import capabilities_of
from .samples import Samples

RHAT_MAX = 1.05
EBFMI_MIN = 0.3
DEPTH_SHARE_MAX = 0.01
ESS_MIN = 400
AUTOCORR_MULTIPLE = 50


def ebfmi(energy: np.ndarray) -> np.ndarray:
    """E-BFMI of each chain: Σ(Eₜ − Eₜ₋₁)² / Σ(Eₜ − Ē)² (Betancourt 2016)."""
    energy = np.asarray(energy, dtype=float)
    num = np.sum(np.diff(energy, axis=1) ** 2, axis=1)
    den = np.sum((energy - energy.mean(axis=1, keepdims=True)) ** 2, axis=1)
    return num / np.where(den > 0, den, np.inf)


def _w(code: str, message: str, fix: str) -> dict:
    return {"code": code, "message": message, "fix": fix}


def _rhat_warning(samples: Samples, can: dict) -> list[dict]:
    """Split R-hat of canonical θ, for every sampler. For ensembles each walker is treated
    as a chain: walkers share one ensemble and are not independent, so this R-hat says
    whether the walkers' halves agree with each other (walkers stuck in different modes,
    or an ensemble still drifting), not that independent chains converged."""
    rhat = can.get("max_rhat")
    if rhat is None or not np.isfinite(rhat) or rhat <= RHAT_MAX:
        return []
    worst = max(can["rhat"], key=lambda k: can["rhat"][k])
    if capabilities_of(samples).independent:  # independent chains or SMC runs
        what = (
            f"split R-hat of canonical θ reaches {rhat:.2f} ({worst}): after removing "
            "symmetric copies the chains still disagree — they sit in different modes or "
            "have not converged"
        )
    else:
        what = (
            f"split R-hat of canonical θ across walkers (each walker's two halves as chains; "
            f"walkers are not independent chains) reaches {rhat:.2f} ({worst}): walkers sit "
            "in different modes or the ensemble is still drifting"
        )
    fix = (
        "run longer (--warmup, --draws), more chains, and look at the modes in "
        "`bayes-uat compare`; shares across non-mixing chains are not masses"
    )
    caps = capabilities_of(samples)
    if caps.independent and not caps.ordered:  # runs of particles: no warm-up, no chain length
        what = what.replace("the chains still", "the independent SMC runs still")
        fix = (
            "more particles per run (--draws) or more mutation steps per temperature "
            "(--option steps=20), and look at the modes in `bayes-uat compare`"
        )
    return [_w("rhat", what, fix)]


def _hamiltonian_warnings(samples: Samples) -> list[dict]:
    """Divergences, tree-depth hits and low E-BFMI, for draws that carry Hamiltonian
    transition statistics (NUTS)."""
    out = []
    stats = samples.stats
    n = samples.chains * samples.draws
    if "diverging" in stats:  # Hamiltonian transitions (NUTS)
        div = int(np.sum(stats.get("diverging", 0)))
        if div:
            out.append(
                _w(
                    "divergences",
                    f"{div} of {n} NUTS transitions diverged: the sampler "
                    "met curvature it could not follow, so parts of the posterior may be "
                    "missed",
                    "raise the target acceptance (--target-accept 0.95; the default is "
                    "0.9), use a tighter prior (--prior-std), or for a few units the "
                    "ensemble sampler (--sampler ensemble)",
                )
            )
        depth = samples.settings.get("max_tree_depth", 10)
        hits = int(np.sum(np.asarray(stats.get("tree_depth", 0)) >= depth))
        if hits > DEPTH_SHARE_MAX * n:
            out.append(
                _w(
                    "tree_depth",
                    f"{hits} of {n} NUTS draws ({hits / n:.0%}) hit the "
                    f"maximum tree depth {depth}: trajectories were cut short, so the "
                    "sampler moves slowly",
                    "raise --max-tree-depth or warm up longer; for a few units the ensemble "
                    "sampler (--sampler ensemble) is faster per effective draw",
                )
            )
        if "energy" in stats:
            e = ebfmi(stats["energy"])
            low = np.flatnonzero(e < EBFMI_MIN)
            if low.size:
                out.append(
                    _w(
                        "ebfmi",
                        f"low E-BFMI ({', '.join(f'{v:.2f}' for v in e[low])}) "
                        f"in chain(s) {low.tolist()}: momentum resampling explores the "
                        "energy levels poorly (heavy tails or funnels)",
                        "reparameterise or tighten the prior; run longer chains",
                    )
                )
    return out


def run_warnings(samples: Samples, diagnostics: dict) -> list[dict]:
    """Warnings for a finished run (see the module docstring for the list)."""
    out = _hamiltonian_warnings(samples)
    can = diagnostics.get("canonical") or diagnostics.get("raw") or {}
    out += _rhat_warning(samples, can)
    ess = can.get("min_ess_bulk")
    caps = capabilities_of(samples)
    need = max(ESS_MIN, 100 * (samples.chains if caps.independent else 1))
    if ess is not None and np.isfinite(ess) and ess < need:
        out.append(
            _w(
                "ess",
                f"bulk ESS of canonical θ is only {ess:.0f} (want ≥ {need}): "
                "posterior means and quantiles carry large Monte Carlo error",
                "more particles per run (--draws)"
                if not caps.ordered
                else "draw more samples (--draws) or thin less; for ensembles run more steps",
            )
        )
    tau, of, key = can.get("autocorr_time"), "canonical θ", "diagnostics.canonical.autocorr_time"
    if not tau:
        tau, of, key = samples.info.get("autocorr_time"), "raw θ", "sampler.autocorr_time_raw"
    known = [v for v in (tau or []) if v is not None]
    if caps.ordered and not caps.independent and known:  # an ensemble's steps in time
        t = max(known)
        raw = [v for v in samples.info.get("autocorr_time") or [] if v is not None]
        also = (
            f"; raw θ's τ, which also counts moves between symmetric copies, reaches "
            f"{max(raw):.0f} steps (summary.json: sampler.autocorr_time_raw)"
            if raw and of == "canonical θ"
            else ""
        )
        if samples.draws < AUTOCORR_MULTIPLE * t:
            out.append(
                _w(
                    "autocorr",
                    f"the ensemble ran {samples.draws} steps, fewer than "
                    f"{AUTOCORR_MULTIPLE} integrated autocorrelation times of {of} (τ = "
                    f"{t:.0f} steps, its slowest parameter; summary.json: {key}{also}): the "
                    "estimate of τ and the draws are unreliable",
                    f"run at least {int(np.ceil(AUTOCORR_MULTIPLE * t))} steps (--draws)",
                )
            )
    return out


# -- fit checks: did SGD fit, and did the data move the posterior? ----------------------------
# :func:`fit_warnings` adds two codes: ``sgd_fit`` (the best SGD restart explains under 1 % of
# var(y)) and ``prior_dominated`` (the posterior median of f explains under 1 % of var(y)).
R2_MIN = 0.01
"""Fits that explain less than this fraction of var(y) count as no better than a constant."""


def _explained(mse: float, y: np.ndarray) -> float:
    """1 − MSE / var(y): the fraction of the data's variance a fit explains (the best
    constant, mean(y), explains 0)."""
    var = float(np.var(y))
    return 1.0 - float(mse) / var if var > 0 else float("nan")


def sgd_fit_warning(posterior, sgd) -> dict | None:
    """A warning when the best SGD restart is no better than the constant predictor mean(y)
    (explains under :data:`R2_MIN` of var(y)), e.g. data of scale 1e6 that Adam's steps
    cannot reach; None otherwise."""
    if sgd is None:
        return None
    y = np.asarray(posterior.data.y, dtype=float)
    mse = float(np.asarray(posterior.mse(sgd.best)))
    if not np.var(y) > 0 or (np.isfinite(mse) and _explained(mse, y) >= R2_MIN):
        return None  # constant data cannot tell a fit from a constant
    return _w(
        "sgd_fit",
        f"the best SGD restart fits no better than the constant mean(y): MSE {mse:.3g} "
        f"against var(y) = {np.var(y):.3g}; its starts and the comparison with it mean "
        "little",
        "rescale x and y to order 1, or raise --lr / --sgd-steps; check the data file",
    )


def prior_dominated_warning(posterior, samples) -> dict | None:
    """A warning when the posterior median prediction f̃(x) = median over draws of f_θ(x)
    is no better than the constant mean(y) (explains under :data:`R2_MIN` of var(y)): the
    likelihood is too weak against the prior to move f to the data (e.g. y of scale 1e-6
    under the 'mse' likelihood, whose σ² = n/2); None otherwise."""
    y = np.asarray(posterior.data.y, dtype=float)
    flat = samples.theta.reshape(-1, samples.dim)
    flat = flat[:: max(1, len(flat) // 1000)]
    f = np.median(np.asarray(posterior.predict(flat)), axis=0)
    mse = float(np.mean((y - f) ** 2))
    if not np.var(y) > 0 or (np.isfinite(mse) and _explained(mse, y) >= R2_MIN):
        return None
    noise = float(np.asarray(posterior.sigma(flat[0])))
    return _w(
        "prior_dominated",
        f"the posterior median of f ignores the data: its MSE {mse:.3g} is no better than "
        f"the constant mean(y) (var(y) = {np.var(y):.3g}); the noise scale σ ≈ {noise:.3g} "
        "swamps the signal, so the prior decides",
        "rescale y to order 1, or use --likelihood gaussian with a noise scale suited to "
        "the data (the 'mse' likelihood fixes σ² = n/2)",
    )


SIGMA_SCALE_FLOOR = 1e-3  # Posterior's σ-prior scale when std(y) is below it


def degenerate_data_warning(posterior) -> dict | None:
    """A warning when σ is inferred with the default prior but y gives it no scale (one
    point, constant y, or std(y) below the floor): the half-normal prior on σ then has the
    absolute scale 1e-3 whatever y's size, which sets the log-posterior."""
    if posterior.likelihood not in ("gaussian", "student_t") or posterior.noise_std is not None:
        return None
    if getattr(posterior, "noise_prior", None) is not None:
        return None
    y = np.asarray(posterior.data.y, dtype=float)
    spread = float(np.std(y))
    if spread >= SIGMA_SCALE_FLOOR or posterior.sigma_scale != SIGMA_SCALE_FLOOR:
        return None  # y gave the scale, or it was set (API: sigma_scale=)
    if y.size == 1:
        what = "the data hold one point"
    elif spread == 0:
        what = f"y is constant ({y[0]:.4g} at all {y.size} points)"
    else:
        what = f"std(y) is only {spread:.2g}"
    return _w(
        "degenerate_data",
        f"{what}, so the half-normal prior on the noise σ takes no scale from y and falls "
        f"back to {SIGMA_SCALE_FLOOR:g}, whatever y's size; that choice sets σ and the "
        "log-posterior",
        "set the noise yourself: --noise-std S (a known σ) or --noise-prior "
        "'half_normal(S)' with S the noise scale you expect (API: noise_std=, "
        "noise_prior=, or sigma_scale=)",
    )


def fit_warnings(posterior, samples: Samples, sgd=None) -> list[dict]:
    """:func:`degenerate_data_warning`, :func:`sgd_fit_warning` and
    :func:`prior_dominated_warning`, those that apply (the last two none for K-class labels,
    where var(y) of the class numbers measures nothing)."""
    if posterior.likelihood == "categorical":
        return []
    found = [
        degenerate_data_warning(posterior),
        sgd_fit_warning(posterior, sgd),
        prior_dominated_warning(posterior, samples),
    ]
    return [w for w in found if w is not None]
