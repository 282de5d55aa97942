"""A close-up of the posterior modes SGD lands in (:func:`mode_run`), for the unit, mode-map,
trace and rank figures of :mod:`bayes_uat.plots`."""

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
