"""The Laplace approximation: a Gaussian at a mode, and how well it matches the posterior.

At a point θ* (a MAP, or the weights SGD ended at) the Laplace approximation is
N(θ*, Σ) with Σ = −H⁻¹, H the exact Hessian of log p(θ | D) (JAX, no finite differences). It
is a proper approximation only at a strict local maximum (H negative definite); elsewhere
:func:`laplace` still returns the point, with ``cov=None`` and the reason. Its evidence
estimate of the mode is log p(θ*, D) + (d/2) log 2π + ½ log|Σ| (one copy of the mode: a
network with G symmetric copies of it adds log G).

:func:`laplace_check` measures the approximation against posterior draws of the same mode:
the ratio of the Laplace variance to the posterior variance of each parameter, and how much
of the posterior's function-space mass the Laplace 95 % predictive band holds.

Example
-------
>>> import bayes_uat as bu
>>> from bayes_uat.laplace import laplace
>>> _ = bu.enable_x64()
>>> post = bu.Posterior(bu.MLP((), "tanh"), bu.make_dataset("x2", n=50), likelihood="gaussian",
...                     noise_std=1.0, prior_std=10.0)
>>> lap = laplace(post, [0.0, 8.0])  # a linear-Gaussian model: Laplace is exact
>>> lap.is_maximum, lap.cov.shape
(True, (2, 2))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .posterior import Posterior


@dataclass(frozen=True)
class Laplace:
    """The Gaussian N(mean, cov) at ``mean``; ``cov`` is None when ``mean`` is no strict
    maximum (``reason`` says why)."""

    mean: np.ndarray
    cov: np.ndarray | None
    hessian: np.ndarray
    log_density: float
    grad_norm: float
    reason: str = ""

    @property
    def is_maximum(self) -> bool:
        return self.cov is not None

    @property
    def log_evidence(self) -> float | None:
        """log p(θ*, D) + (d/2) log 2π + ½ log|Σ|: the evidence of this one mode."""
        if self.cov is None:
            return None
        _, logdet = np.linalg.slogdet(self.cov)
        return float(self.log_density + 0.5 * len(self.mean) * math.log(2 * math.pi) + 0.5 * logdet)

    def sample(self, n: int, *, seed: int = 0) -> np.ndarray:
        """``n`` draws from N(mean, cov), shape (n, dim)."""
        if self.cov is None:
            raise ValueError(f"no Laplace approximation at this point: {self.reason}")
        rng = np.random.default_rng(seed)
        return rng.multivariate_normal(self.mean, self.cov, size=int(n), method="eigh")


def laplace(posterior: Posterior, theta) -> Laplace:
    """The Laplace approximation of ``posterior`` at ``theta`` (shape (dim,))."""
    theta = np.asarray(theta, dtype=float)
    if theta.shape != (posterior.dim,):
        raise ValueError(
            f"laplace needs one θ of shape ({posterior.dim},) ({', '.join(posterior.names)}), "
            f"got shape {theta.shape}"
        )
    H = np.asarray(posterior.hessian(theta), float)
    lp, g = posterior.value_and_grad(theta)
    lp, gnorm = float(lp), float(np.linalg.norm(np.asarray(g)))
    if not (np.isfinite(H).all() and math.isfinite(lp)):
        return Laplace(theta, None, H, lp, gnorm, "the log-density or its Hessian is not finite")
    H = 0.5 * (H + H.T)
    eig = np.linalg.eigvalsh(H)
    if eig.max() >= 0:
        return Laplace(
            theta,
            None,
            H,
            lp,
            gnorm,
            f"not a strict maximum: the Hessian has {int((eig >= 0).sum())} eigenvalue(s) ≥ 0 "
            f"(largest {eig.max():.3g}); refine the point with find_map first",
        )
    return Laplace(theta, np.linalg.inv(-H), H, lp, gnorm)


def laplace_check(
    posterior: Posterior, lap: Laplace, draws, *, grid=None, n_laplace: int = 2000, seed: int = 0
) -> dict:
    """How well ``lap`` matches posterior ``draws`` of the same mode (shape (n, dim), in the
    same coordinates as ``lap.mean``, e.g. both canonical).

    Returns ``var_ratio`` (per parameter: Laplace variance / posterior variance; 1 is a
    match, below 1 the Gaussian is too narrow), ``names``, and ``band_coverage``: the share
    of posterior function values f(x) on ``grid`` (default: 200 points over the data range)
    inside the Laplace 95 % pointwise predictive band (0.95 for a perfect match).
    """
    draws = np.asarray(draws, dtype=float)
    if draws.ndim != 2 or draws.shape[1] != posterior.dim or len(draws) < 2:
        raise ValueError(f"draws must have shape (n >= 2, {posterior.dim}), got {draws.shape}")
    if not lap.is_maximum:
        raise ValueError(f"no Laplace approximation to check: {lap.reason}")
    grid = posterior.data.grid(200) if grid is None else np.asarray(grid, dtype=float)
    ratio = np.diag(lap.cov) / draws.var(axis=0, ddof=1)
    g = lap.sample(n_laplace, seed=seed)
    f_lap = np.asarray(posterior.predict(g, grid))
    lo, hi = np.percentile(f_lap, [2.5, 97.5], axis=0)
    f_post = np.asarray(posterior.predict(draws, grid))
    cover = float(np.mean((f_post >= lo) & (f_post <= hi)))
    return dict(names=list(posterior.names), var_ratio=ratio, band_coverage=cover)


def fit_summary(posterior: Posterior, point, members, *, grid=None, seed: int = 0) -> dict:
    """The Laplace approximation at ``point`` against the posterior draws ``members`` of its
    mode (same coordinates, e.g. both canonical), in a few numbers for a comparison table:
    ``laplace_var_ratio`` (median), ``laplace_var_ratio_min`` / ``_max`` over the canonical
    parameters, ``laplace_band_coverage`` (share of posterior f(x) values inside the Laplace
    95 % band) and ``laplace_log_evidence``; ``laplace_note`` says why a number is missing
    (not a strict maximum, or too few draws in the mode)."""
    lap = laplace(posterior, point)
    if not lap.is_maximum:
        return dict(laplace_note=lap.reason)
    members = np.asarray(members, dtype=float)
    if len(members) < 2:
        return dict(laplace_note="fewer than 2 posterior draws in this mode")
    chk = laplace_check(posterior, lap, members, grid=grid, seed=seed, n_laplace=1000)
    r = chk["var_ratio"]
    return dict(
        laplace_var_ratio=float(np.median(r)),
        laplace_var_ratio_min=float(r.min()),
        laplace_var_ratio_max=float(r.max()),
        laplace_band_coverage=chk["band_coverage"],
        laplace_log_evidence=lap.log_evidence,
    )
