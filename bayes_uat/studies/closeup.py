"""A close-up of a two-unit posterior: the modes SGD lands in (:func:`mode_run`), for the unit,
mode-map, trace and rank figures of :mod:`bayes_uat.plots`; and, for draws from independent
runs (tempered SMC), which of the 2!·2² raw copies each draw sits in (:func:`copy_index`) and
the sigmoid complement copies' masses against the importance identity
(:func:`complement_ratios`)."""

from __future__ import annotations

import numpy as np

from ..data import make_dataset
from ..nets import MLP
from ..optimize import train_sgd
from ..posterior import Posterior
from ..records import Run
from ..samplers import sample
from ._common import _chain_method, _start_points


def mode_run(
    target: str = "x2",
    units: int = 2,
    *,
    activation: str = "sigmoid",
    chains: int = 4,
    warmup: int = 300,
    draws: int = 300,
    sgd_restarts: int = 8,
    sgd_steps: int = 1000,
    learning_rate: float = 0.1,
    max_tree_depth: int = 8,
    likelihood: str = "gaussian",
    seed: int = 0,
) -> Run:
    """A NUTS run whose chains start from different SGD restarts (the ``chains`` best by
    loss, distinct solutions where SGD found them), so that the draws show the modes SGD
    lands in; for :func:`bayes_uat.plots.units`, ``mode_map``, ``trace`` and ``rank``."""
    data = make_dataset(target, seed=seed)
    post = Posterior(MLP(units, activation), data, likelihood=likelihood)
    sgd = train_sgd(
        post, restarts=sgd_restarts, steps=sgd_steps, learning_rate=learning_rate, seed=seed
    )
    starts = _start_points(post, sgd)
    order = np.argsort(np.where(np.isfinite(sgd.final_loss), sgd.final_loss, np.inf))
    init = starts[np.resize(order, chains)]
    samples = sample(
        post,
        "nuts",
        chains=chains,
        warmup=warmup,
        draws=draws,
        seed=seed,
        init=init,
        progress=False,
        max_tree_depth=max_tree_depth,
        chain_method=_chain_method(chains),
    )
    return Run(
        post,
        samples,
        sgd,
        config=dict(target=target, units=units, activation=activation),
        summary={},
        idata=None,
    )


def copy_index(theta) -> np.ndarray:
    """Which of the 2!·2² raw copies of a two-unit, one-output network each θ sits in
    (layout [w₀, b₀, a₀, w₁, b₁, a₁, c, …]), as 4·(unit 0 has the later step t = −b/w)
    + 2·(the earlier unit has w < 0) + (the later unit has w < 0).

    A unit's flip (w, b) → (−w, −b) leaves its step location t unchanged, so the unit order
    is read from t and the flips from the signs of w; ``index % 4`` is the flip class (1: the
    later unit flipped, 2: the earlier, 3: both) and copies ``k`` and ``k + 4`` differ only by
    the order of the units."""
    theta = np.asarray(theta, dtype=float)
    if theta.shape[-1] < 7:
        raise ValueError(
            f"copy_index needs θ of a two-unit network (at least 7 entries), got shape "
            f"{theta.shape}: pass draws of MLP(2, ...)"
        )
    w, b = theta[..., [0, 3]], theta[..., [1, 4]]
    later0 = -b[..., 0] / w[..., 0] > -b[..., 1] / w[..., 1]
    flip_early = np.where(later0, w[..., 1] < 0, w[..., 0] < 0)
    flip_late = np.where(later0, w[..., 0] < 0, w[..., 1] < 0)
    return 4 * later0 + 2 * flip_early + flip_late


def halves_z(run_values) -> np.ndarray:
    """Per column of ``run_values`` (shape (runs, k): one value per independent run, e.g. a
    run's canonical mean): the mean of the first half of the runs minus that of the second
    half, in their combined standard error (each half's SE from its own runs; NaN with
    fewer than 4 runs)."""
    v = np.asarray(run_values, dtype=float)
    h = v.shape[0] // 2
    if h < 2:
        return np.full(v.shape[1:], np.nan)
    a, b = v[:h], v[h : 2 * h]
    se = np.sqrt(a.var(axis=0, ddof=1) / h + b.var(axis=0, ddof=1) / h)
    return (a.mean(axis=0) - b.mean(axis=0)) / se


def complement_ratios(theta, prior_std: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The sigmoid complement copies' masses relative to the unflipped copies, per run.

    ``theta`` has shape (runs, particles, ≥ 7), equally weighted draws of independent runs of a
    two-unit sigmoid network with an N(0, ``prior_std``²) prior on c. The flip of a unit set F
    maps (w, b, a, c) → (−w, −b, −a, c + Σ_F a): the likelihood is unchanged and only the prior
    of c moves, so mass(F)/mass(∅) = E_q[π(g_F θ)/π(θ)] = E_q[exp(−((c + a_F)² − c²)/2s²)]
    over the unflipped copies q. Returns, for F in "late", "early", "both", the observed
    ratios (share of class F / share of class ∅) and the ratios the identity predicts from
    each run's unflipped draws, two arrays of shape (runs,). A run with no unflipped draw gives
    NaN."""
    theta = np.asarray(theta, dtype=float)
    if theta.ndim != 3:
        raise ValueError(f"theta must have shape (runs, particles, dim), got {theta.shape}")
    cls = copy_index(theta) % 4
    names = {1: "late", 2: "early", 3: "both"}
    obs = {f: [] for f in names}
    pred = {f: [] for f in names}
    for r in range(theta.shape[0]):
        q = theta[r][cls[r] == 0]  # the unflipped draws of run r
        early = np.argmin(-q[:, [1, 4]] / q[:, [0, 3]], axis=1)
        a = q[:, [2, 5]]
        a_early, a_late = a[np.arange(len(q)), early], a[np.arange(len(q)), 1 - early]
        for f, shift in ((1, a_late), (2, a_early), (3, a_early + a_late)):
            ratio = np.exp(-((q[:, 6] + shift) ** 2 - q[:, 6] ** 2) / (2 * prior_std**2))
            pred[f].append(ratio.mean() if len(q) else np.nan)
            obs[f].append(np.sum(cls[r] == f) / len(q) if len(q) else np.nan)
    out = {name: (np.array(obs[f]), np.array(pred[f])) for f, name in names.items()}
    return out
