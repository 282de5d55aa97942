"""θ snapshots taken during SGD training (:func:`sgd_history`), for the animation of
:func:`bayes_uat.studies.plots.training_animation`."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..nets import MLP
from ..optimize import train_sgd
from ..posterior import Posterior
from ._common import _positive_int


@dataclass(frozen=True)
class TrainingHistory:
    """θ snapshots taken while training, for :func:`bayes_uat.studies.plots.training_animation`.

    Attributes:
        net: the network.
        steps: optimisation steps done at each snapshot, shape (k,), starting at 0.
        thetas: θ at each snapshot, shape (k, dim).
        losses: the training loss (sum of squares) at each snapshot, shape (k,).
        settings: the training settings.
    """

    net: MLP
    steps: np.ndarray
    thetas: np.ndarray
    losses: np.ndarray
    settings: dict

    def __len__(self) -> int:
        return int(self.steps.shape[0])

    def predict(self, x) -> np.ndarray:
        """f(x) at every snapshot, shape (k, len(x))."""
        return np.asarray(self.net.apply(self.thetas, np.asarray(x, dtype=float)))


def sgd_history(
    posterior: Posterior,
    *,
    steps: int = 2000,
    snapshots: int = 40,
    optimizer: str = "adam",
    learning_rate: float = 0.01,
    seed: int = 0,
    init: np.ndarray | None = None,
) -> TrainingHistory:
    """Train one restart with :func:`~bayes_uat.train_sgd` in ``snapshots`` equal segments,
    each started (``init=``) where the previous one stopped, and keep θ after each.

    The optimiser's state (Adam's moment estimates) starts afresh in every segment, so the
    path differs a little from one uninterrupted run of ``steps`` steps.

    Example:
        >>> from bayes_uat import MLP, Posterior, make_dataset
        >>> post = Posterior(MLP(5, "relu"), make_dataset("abs", n=50))
        >>> h = sgd_history(post, steps=40, snapshots=4)
        >>> h.steps.tolist(), h.thetas.shape
        ([0, 10, 20, 30, 40], (5, 16))
    """
    steps = _positive_int("steps", steps)
    snapshots = _positive_int("snapshots", snapshots)
    if snapshots > steps:
        raise ValueError(f"snapshots ({snapshots}) cannot exceed steps ({steps})")
    seg = steps // snapshots
    if init is None:
        import jax

        theta = np.asarray(posterior.net.init(jax.random.key(seed), (1,)), dtype=float)
        if posterior.infers_sigma:
            theta = np.concatenate([theta, [[math.log(posterior.sigma_scale)]]], axis=1)
    else:
        theta = np.asarray(init, dtype=float).reshape(1, posterior.dim)
    thetas, done = [theta[0]], [0]
    for k in range(snapshots):
        n = seg if k < snapshots - 1 else steps - seg * (snapshots - 1)
        res = train_sgd(
            posterior,
            optimizer=optimizer,
            learning_rate=learning_rate,
            steps=n,
            restarts=1,
            init=theta,
            seed=seed + k,
        )
        theta = res.thetas
        thetas.append(theta[0])
        done.append(done[-1] + n)
    thetas = np.stack(thetas)
    y = posterior.data.y
    f = np.asarray(posterior.predict(thetas), dtype=float)
    return TrainingHistory(
        net=posterior.net,
        steps=np.asarray(done),
        thetas=thetas[:, : posterior.net.dim],
        losses=np.sum((y - f) ** 2, axis=1),
        settings=dict(
            optimizer=optimizer,
            learning_rate=learning_rate,
            steps=steps,
            snapshots=snapshots,
            seed=seed,
        ),
    )
