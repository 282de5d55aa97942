"""Seed 000: 5, 50 and 500 units fitted to a drawn-style curve, with θ snapshots taken
during training (:func:`~bayes_uat.studies.training.sgd_history`) for the animation."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..data import Dataset, make_dataset
from ..nets import MLP
from ..posterior import Posterior
from ._common import _log, _rmse, _units
from .training import TrainingHistory, sgd_history

SEED000_TARGET = "sin(2*x) + 0.3*x**2 - 0.5*abs(x)"


@dataclass(frozen=True)
class Seed000Result:
    """Seed 000's fits: one :class:`TrainingHistory` per width, the data and final errors."""

    data: Dataset
    histories: tuple[TrainingHistory, ...]
    numbers: dict


def seed000_study(
    target: str = SEED000_TARGET,
    units: Sequence[int] = (5, 50, 500),
    *,
    activation: str = "relu",
    steps: int = 3000,
    snapshots: int = 30,
    learning_rate: float = 0.01,
    n: int = 200,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
) -> Seed000Result:
    """Seed 000's notebook: one hidden layer of 5, 50 and 500 units trained with Adam on a
    wiggly 1-D curve (200 points on [−3, 3], N(0, 0.1²) noise), with snapshots for the
    animation; numbers: final mean squared error against the data and the true curve, and
    the number of units whose kink tᵢ = −bᵢ/wᵢ lies inside the data range."""
    from ..symmetry import unit_table

    units = _units(units)
    data = make_dataset(target, n=n, seed=seed)
    lo, hi = data.x_range
    grid = data.grid(400)
    truth = np.asarray(data.target_fn(grid), dtype=float)
    hist, nums = [], {}
    for n_units in units:
        t0 = time.perf_counter()
        post = Posterior(MLP(n_units, activation), data)
        h = sgd_history(
            post, steps=steps, snapshots=snapshots, learning_rate=learning_rate, seed=seed
        )
        hist.append(h)
        final = h.thetas[-1]
        tab = unit_table(post.net, final)
        t = tab["t"]
        active = ~tab["degenerate"]
        nums[str(n_units)] = dict(
            mse_data=float(h.losses[-1] / data.n),
            rmse_truth=_rmse(post.net.apply(final, grid), truth),
            kinks_in_range=int(np.sum(active & (t > lo) & (t < hi))),
            loss_curve=h.losses.tolist(),
            steps=h.steps.tolist(),
            wall_time=time.perf_counter() - t0,
        )
        _log(
            log,
            f"seed000 N={n_units}: MSE {nums[str(n_units)]['mse_data']:.4f} "
            f"({time.perf_counter() - t0:.1f} s)",
        )
    return Seed000Result(
        data=data,
        histories=tuple(hist),
        numbers=dict(
            target=target,
            activation=activation,
            steps=steps,
            learning_rate=learning_rate,
            units=nums,
        ),
    )
