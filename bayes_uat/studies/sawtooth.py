"""Seed 001's depth separation: deep-narrow against shallow-wide ReLU networks with equal
parameter counts on a sawtooth (:func:`sawtooth_study`), plus the exact deep construction
(Telgarsky 2016, :func:`telgarsky_theta`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from ..data import make_dataset
from ..nets import MLP
from ..posterior import Posterior
from ._common import _rmse
from .approximation import (
    ApproxResult,
    TrainSettings,
    _families,
    _finish,
    _json_families,
    _log_families,
    train_and_record,
)

# (shallow N, deep widths): equal parameter counts, 3N + 1 = dim of the deep network
SAWTOOTH_PAIRS = (
    (4, (2, 2)),
    (6, (2, 2, 2)),
    (8, (2, 2, 2, 2)),
    (11, (3, 3, 3)),
    (15, (3, 3, 3, 3)),
)


def telgarsky_theta(depth: int = 3) -> np.ndarray:
    """θ of MLP((2,)*depth, "relu") computing the tent map composed ``depth`` times on
    [0, 1]: a sawtooth with 2^(depth−1) teeth (Telgarsky 2016) with peaks of 1 at odd
    multiples of 2^−depth.  The tent map is t(z) = 2 relu(z) − 4 relu(z − ½) on [0, 1].

    >>> import numpy as np
    >>> from bayes_uat import MLP
    >>> MLP((2, 2, 2), "relu").apply(telgarsky_theta(3), np.array([0.0, 0.125, 0.25])).tolist()
    [0.0, 1.0, 0.0]
    """
    net = MLP((2,) * depth, "relu")
    W, b = [np.array([[1.0], [1.0]])], [np.array([0.0, -0.5])]
    for _ in range(depth - 1):
        W.append(np.array([[2.0, -4.0], [2.0, -4.0]]))  # both units see t(z) of the layer below
        b.append(np.array([0.0, -0.5]))
    return np.asarray(net.flatten(dict(W=W, b=b, a=np.array([2.0, -4.0]), c=0.0)))


def _train_pair(data, grid, truth, fams: dict, kinds: dict, ts, n_units: int, widths) -> tuple:
    """Train and record the shallow net of ``n_units`` units (both initialisations) and the
    deep net of ``widths``; returns their common parameter count and each fitted function
    by its example label."""
    shallow, deep = MLP(n_units, "relu"), MLP(tuple(widths), "relu")
    if shallow.dim != deep.dim:
        raise ValueError(
            f"pair {n_units}, {widths}: parameter counts differ ({shallow.dim} vs {deep.dim})"
        )
    fits = {}
    for name, init in kinds.items():
        net = deep if name == "deep" else shallow
        label = f"N={n_units}" if net is shallow else "(" + ",".join(map(str, widths)) + ")"
        fits[f"{name} {label}"] = train_and_record(
            Posterior(net, data),
            fams[name],
            ts,
            label=label,
            grid_in=grid,
            truth_in=truth,
            init=init,
        )
    return shallow.dim, fits


def sawtooth_study(
    *,
    pairs: Sequence[tuple[int, tuple[int, ...]]] = SAWTOOTH_PAIRS,
    restarts: int = 32,
    steps: int = 8000,
    learning_rate: float = 0.01,
    threshold: float = 0.05,
    example: int = 1,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
) -> ApproxResult:
    """Deep-narrow against shallow-wide ReLU networks with equal parameter counts on the
    ``sawtooth`` target (4 teeth on [0, 1], 400 points, N(0, 0.02²) noise).

    Each pair (N, widths) has 3N + 1 = parameters of MLP(widths).  Both are trained with
    ``restarts`` Adam runs from the default initialisation, the shallow one also from
    :func:`spread_init`.  ``rmse_in`` is the RMSE against the noise-free sawtooth of the
    restart with the lowest training loss, ``rmse_in_median`` the median restart's,
    ``success`` the fraction of restarts below ``threshold``.  The exact deep construction
    (:func:`telgarsky_theta`, depth 3, 19 parameters) is recorded too: a shallow network
    needs 8 units (25 parameters) for the 8 linear pieces.  ``example`` picks the pair drawn
    as example.

    Example:
        >>> res = sawtooth_study(pairs=[(6, (2, 2, 2))], restarts=2, steps=100)  # doctest: +SKIP
    """
    data = make_dataset("sawtooth", seed=seed)
    fn = data.target_fn
    grid = np.linspace(*data.x_range, 801)
    truth = np.asarray(fn(grid), dtype=float)
    kinds = {"shallow": "default", "shallow, spread init": "spread", "deep": "default"}
    fams = _families(kinds, kinds)
    ts = TrainSettings(threshold, restarts, steps, learning_rate, seed)
    for fam in fams.values():
        fam.pop("rmse_out")
    examples = {}
    p_example = None
    for i, (n_units, widths) in enumerate(pairs):
        t0 = time.perf_counter()
        dim, fits = _train_pair(data, grid, truth, fams, kinds, ts, n_units, widths)
        if i == example:
            p_example = dim
            examples.update({k: f(grid) for k, f in fits.items()})
        _log_families(log, "sawtooth", dim, fams, t0)
    exact = telgarsky_theta(3)
    net3 = MLP((2, 2, 2), "relu")
    f_exact = np.asarray(net3.apply(exact, grid), dtype=float)
    examples["exact deep (2,2,2)"] = f_exact
    fams = _finish(fams)
    numbers = dict(
        target="sawtooth",
        threshold=threshold,
        restarts=restarts,
        steps=steps,
        learning_rate=learning_rate,
        exact_construction=dict(
            widths=[2, 2, 2],
            params=net3.dim,
            rmse_in=_rmse(f_exact, truth),
            shallow_units_needed=8,
            shallow_params_needed=25,
        ),
        families=_json_families(fams),
    )
    return ApproxResult(
        name="sawtooth",
        data=data,
        families=fams,
        grid=grid,
        truth=truth,
        examples=examples,
        example_params=int(p_example or 0),
        threshold=threshold,
        numbers=numbers,
    )
