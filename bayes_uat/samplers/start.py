"""Where chains start: SGD restarts, a ball around the best one, prior draws or given points."""

from __future__ import annotations

import jax
import numpy as np

from ..optimize import SGDResult, train_sgd
from ..posterior import Posterior

INITS = ("sgd", "prior")


def initial_points(
    posterior: Posterior,
    chains: int,
    init: str | np.ndarray = "sgd",
    *,
    sgd: SGDResult | None = None,
    seed: int = 0,
    ball: bool = False,
) -> np.ndarray:
    """Starting θ for each chain, shape (chains, dim).

    ``init="sgd"``: the final θ of SGD restarts (one per chain; with ``ball=True``, for
    ensembles, a small Gaussian ball around the best one); ``"prior"``: prior draws; an
    array of shape (dim,) or (chains, dim): given values (a (dim,) start is spread into a
    ball for ensembles, which cannot start from one point).
    """
    rng = np.random.default_rng(seed + 7919)
    dim = posterior.dim
    if isinstance(init, str):
        if init not in INITS:
            raise ValueError(
                f"unknown init {init!r}: choose one of {', '.join(INITS)} or pass "
                f"an array of shape ({chains}, {dim})"
            )
        if init == "prior":
            pts = np.asarray(posterior.prior_sample(jax.random.key(seed + 1), (chains,)))
        else:
            pts = _sgd_points(posterior, chains, sgd, seed, ball, rng)
    else:
        pts = np.asarray(init, dtype=float)
        if pts.shape not in ((dim,), (chains, dim)):
            raise ValueError(
                f"init array must have shape ({dim},) or ({chains}, {dim}), got {pts.shape}"
            )
        pts = np.atleast_2d(pts)
    if pts.shape[0] == 1 and chains > 1:
        scale = 1e-3 * (np.abs(pts[0]) + 1e-2) if ball else 0.0
        pts = pts + scale * rng.standard_normal((chains, dim))
    posterior.check_point(pts)
    return pts


def _sgd_points(posterior, chains, sgd, seed, ball, rng) -> np.ndarray:
    if sgd is None:
        sgd = train_sgd(posterior, restarts=1 if ball else chains, seed=seed)
    if ball:
        return sgd.best[None, :]
    reps = -(-chains // sgd.restarts)
    pts = np.tile(sgd.thetas, (reps, 1))[:chains]
    if sgd.restarts < chains:  # repeated restarts: separate them a little
        pts = pts + 1e-3 * rng.standard_normal(pts.shape)
    return pts
