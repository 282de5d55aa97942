"""Approximation efficiency against parameter count (seed 001): what the bump and sawtooth
studies share — their record :class:`ApproxResult`, the spread initialisation
:func:`spread_init`, network training with restarts, and per-family bookkeeping."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..data import Dataset
from ..nets import MLP
from ..optimize import train_sgd
from ..posterior import Posterior
from ._common import _log


@dataclass(frozen=True)
class ApproxResult:
    """Errors of several model families against their parameter counts, and example fits.

    Attributes:
        name: the study (``"bump"`` or ``"sawtooth"``).
        data: the training data.
        families: family name → dict with ``params`` (k,), ``rmse_in`` (k,), ``rmse_out``
            (k,) (NaN where not measured) and, for trained networks, ``rmse_in_median``
            (median over restarts) and ``success`` (fraction of restarts with
            rmse_in below ``threshold``); ``label`` names each entry (e.g. its widths).
        grid: x grid of the example curves (wider than the data where extrapolation counts).
        truth: the target on ``grid``.
        examples: label → f on ``grid``, the fits at ``example_params`` parameters.
        example_params: the parameter count of the examples.
        threshold: the RMSE counted as a good fit.
        numbers: everything as JSON-ready numbers.
    """

    name: str
    data: Dataset
    families: dict
    grid: np.ndarray
    truth: np.ndarray
    examples: dict
    example_params: int
    threshold: float
    numbers: dict


def spread_init(net: MLP, data: Dataset, restarts: int, *, seed: int = 0) -> np.ndarray:
    """Starting θ (restarts, dim) for one hidden layer that puts every unit's transition
    tᵢ = −bᵢ/wᵢ uniformly inside the data range: wᵢ = ±1 (random sign), bᵢ = −wᵢtᵢ,
    aᵢ ~ N(0, (0.1·sd(y))²), c = mean(y).  The default PyTorch-style initialisation puts
    most transitions near 0, which leaves targets with many features far from 0 unlearnt."""
    if len(net.units) != 1 or net.in_dim != 1:
        raise ValueError("spread_init is for one hidden layer and 1-D input")
    rng = np.random.default_rng(seed)
    n = net.units[0]
    lo, hi = data.x_range
    w = rng.choice([-1.0, 1.0], (restarts, n))
    t = rng.uniform(lo, hi, (restarts, n))
    th = np.zeros((restarts, net.dim))
    idx = net.unit_slices()
    th[:, idx[:, 0]] = w
    th[:, idx[:, 1]] = -w * t
    th[:, idx[:, 2]] = rng.normal(0.0, 0.1 * float(np.std(data.y)) + 1e-3, (restarts, n))
    th[:, -1] = float(np.mean(data.y))
    return th


class TrainSettings(NamedTuple):
    """How the networks of an approximation study are trained: Adam restarts and steps,
    the learning rate, the seed, and the RMSE that counts as a success."""

    threshold: float
    restarts: int
    steps: int
    learning_rate: float
    seed: int


def _train(post: Posterior, fam: dict, ts: TrainSettings, grid_in, truth_in, init="default"):
    """Adam restarts from the default or the spread initialisation; returns (SGD result,
    RMSE vs truth of each restart on grid_in) and appends the median restart's RMSE
    (``rmse_in_median``) and the fraction below ``threshold`` (``success``) to the family
    ``fam``.  The reported fit is the restart with the lowest training loss (sgd.best), not
    the one closest to the truth."""
    start = (
        spread_init(post.net, post.data, ts.restarts, seed=ts.seed) if init == "spread" else None
    )
    sgd = train_sgd(
        post,
        restarts=ts.restarts,
        steps=ts.steps,
        learning_rate=ts.learning_rate,
        seed=ts.seed,
        init=start,
    )
    f = np.asarray(post.predict(sgd.thetas, grid_in), dtype=float)
    r_in = np.sqrt(np.mean((f - truth_in) ** 2, axis=1))
    fam["rmse_in_median"].append(float(np.median(r_in)))
    fam["success"].append(float(np.mean(r_in < ts.threshold)))
    return sgd, r_in


def train_and_record(
    post: Posterior,
    fam: dict,
    ts: TrainSettings,
    *,
    label: str,
    grid_in: np.ndarray,
    truth_in: np.ndarray,
    init: str = "default",
    grid_out: np.ndarray | None = None,
    truth_out: np.ndarray | None = None,
) -> Callable[[np.ndarray], np.ndarray]:
    """Train one network of a family (:func:`_train`) and append its row to ``fam``:
    parameter count, ``label``, the best restart's RMSE against the truth on ``grid_in``
    and, when ``grid_out`` is given, outside the data range.  Returns the best restart's
    f(x) as a function of x."""
    sgd, r_in = _train(post, fam, ts, grid_in, truth_in, init)
    fam["params"].append(post.net.dim)
    fam["label"].append(label)
    fam["rmse_in"].append(float(r_in[sgd.best_index]))
    best = sgd.best

    def f(z):
        return np.asarray(post.predict(best, z), dtype=float)

    if grid_out is not None:
        fam["rmse_out"].append(float(np.sqrt(np.mean((f(grid_out) - truth_out) ** 2))))
    return f


def _families(names, trained) -> dict:
    fams = {name: dict(params=[], rmse_in=[], rmse_out=[], label=[]) for name in names}
    for name in trained:
        fams[name].update(rmse_in_median=[], success=[])
    return fams


def _log_families(
    log: Callable[[str], None] | None, study: str, params: int, fams: dict, t0: float
) -> None:
    """One progress line per parameter count: every family's latest ``rmse_in``."""
    _log(
        log,
        f"{study} P={params}: "
        + ", ".join(f"{k} {fams[k]['rmse_in'][-1]:.3f}" for k in fams)
        + f" ({time.perf_counter() - t0:.1f} s)",
    )


def _finish(fams: dict) -> dict:
    for fam in fams.values():
        for k, v in fam.items():
            if k != "label":
                fam[k] = np.asarray(v, dtype=float)
    return fams


def _json_families(fams: dict) -> dict:
    return {
        k: {kk: (vv.tolist() if isinstance(vv, np.ndarray) else vv) for kk, vv in v.items()}
        for k, v in fams.items()
    }
