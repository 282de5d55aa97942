"""Seed 001's square bump: a ReLU network against polynomial and Fourier least-squares fits
with the same number of parameters, inside and outside the data range
(:func:`bump_study`), and the exact 4-unit construction (:func:`bump_relu_theta`)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import numpy as np

from ..data import make_dataset
from ..nets import MLP
from ..posterior import Posterior
from ._common import _rmse, _units
from .approximation import (
    ApproxResult,
    TrainSettings,
    _families,
    _finish,
    _json_families,
    _log_families,
    train_and_record,
)


def _lstsq(basis: Callable[[np.ndarray], np.ndarray], x, y):
    coef, *_ = np.linalg.lstsq(basis(x), y, rcond=None)
    return lambda z: basis(z) @ coef


def bump_relu_theta(width: float = 0.02) -> np.ndarray:
    """θ of MLP(4, "relu") drawing the square bump with ramps ``width`` wide at x = ±1:
    f(x) = [relu(x + 1 + δ/2) − relu(x + 1 − δ/2) − relu(x − 1 + δ/2) + relu(x − 1 − δ/2)]/δ,
    zero outside [−1 − δ/2, 1 + δ/2] and one inside [−1 + δ/2, 1 − δ/2] (13 parameters).

    >>> import numpy as np
    >>> from bayes_uat import MLP
    >>> MLP(4, "relu").apply(bump_relu_theta(), np.array([-2.0, 0.0, 2.0])).round(6).tolist()
    [0.0, 1.0, 0.0]
    """
    d = float(width)
    if not (math.isfinite(d) and 0 < d < 2):
        raise ValueError(f"width must lie in (0, 2), got {width!r}")
    rows = [
        (1.0, 1 + d / 2, 1 / d),
        (1.0, 1 - d / 2, -1 / d),
        (1.0, -1 + d / 2, -1 / d),
        (1.0, -1 - d / 2, 1 / d),
    ]
    return np.array([v for row in rows for v in row] + [0.0])


def bump_study(
    *,
    units: Sequence[int] = (2, 4, 6, 8, 12, 16, 24, 32),
    restarts: int = 8,
    steps: int = 3000,
    learning_rate: float = 0.02,
    example_units: int = 4,
    extrapolate: float = 2.0,
    threshold: float = 0.1,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
) -> ApproxResult:
    """Seed 001's square bump (1 on |x| < 1, 0 elsewhere, 400 points on [−2, 2],
    N(0, 0.05²) noise), fitted with P = 3N + 1 parameters by four model families:

    * a ReLU network with N hidden units, Adam from the default initialisation;
    * the same from :func:`spread_init` (transitions spread over the data range);
    * a polynomial of degree P − 1 (least squares in the Chebyshev basis on the data range);
    * a Fourier series with (P − 1)/2 harmonics of period 4 (the data range), least squares.

    The hand-made 4-unit network :func:`bump_relu_theta` (13 parameters) is recorded too.
    Networks: the restart with the lowest training loss among ``restarts`` is reported
    (``rmse_in_median``: the median restart).  ``rmse_in`` is the RMSE against the
    noise-free bump on the data range, ``rmse_out`` on the extrapolation range (the grid
    widened ``extrapolate``-fold, data range excluded), where the bump is 0.  N must be even
    (P odd) so that the Fourier counts match exactly.

    Example:
        >>> res = bump_study(units=(2, 4), restarts=2, steps=200)  # doctest: +SKIP
        >>> res.families["polynomial"]["params"].tolist()  # doctest: +SKIP
        [7.0, 13.0]
    """
    units = _units(units)
    if any(u % 2 for u in units):
        raise ValueError(f"bump_study needs even unit counts (P = 3N + 1 odd), got {units}")
    data = make_dataset("bump", seed=seed)
    g = _grids(data, extrapolate)
    ts = TrainSettings(threshold, restarts, steps, learning_rate, seed)
    nets = {"ReLU network": "default", "ReLU network, spread init": "spread"}
    fams = _families([*nets, "polynomial", "Fourier"], nets)
    examples = {}
    for n_units in units:
        t0 = time.perf_counter()
        fits = _fit_families(data, n_units, nets, fams, ts, g)
        if n_units == example_units:
            examples.update({name: f(g["wide"]) for name, f in fits.items()})
        _log_families(log, "bump", 3 * n_units + 1, fams, t0)
    fams = _finish(fams)
    first = {
        name: _first_below(fam["params"], fam["rmse_in"], threshold) for name, fam in fams.items()
    }
    exact_curve, exact_numbers = _exact(g)
    examples["exact ReLU, 4 units"] = exact_curve
    numbers = dict(
        target="bump",
        threshold=threshold,
        params_to_threshold=first,
        exact_construction=exact_numbers,
        restarts=restarts,
        steps=steps,
        learning_rate=learning_rate,
        extrapolation_range=[float(g["wide"][0]), float(g["wide"][-1])],
        families=_json_families(fams),
    )
    return ApproxResult(
        name="bump",
        data=data,
        families=fams,
        grid=g["wide"],
        truth=np.asarray(data.target_fn(g["wide"]), dtype=float),
        examples=examples,
        example_params=3 * example_units + 1,
        threshold=threshold,
        numbers=numbers,
    )


def _grids(data, extrapolate: float) -> dict:
    """The data range (``in``), the widened grid (``wide``), its part outside the data
    (``out``), and the noise-free bump on ``in`` and ``out``."""
    lo, hi = data.x_range
    grid_in = np.linspace(lo, hi, 801)
    wide = data.grid(1201, extrapolate=extrapolate)
    grid_out = wide[(wide < lo) | (wide > hi)]
    fn = data.target_fn
    return dict(
        grid_in=grid_in,
        wide=wide,
        grid_out=grid_out,
        truth_in=np.asarray(fn(grid_in), dtype=float),
        truth_out=np.asarray(fn(grid_out), dtype=float),
    )


def _bases(data):
    """Chebyshev and Fourier design matrices on the data range, as factories of degree k."""
    lo, hi = data.x_range
    mid, half, period = (lo + hi) / 2, (hi - lo) / 2, hi - lo

    def cheb(deg):
        return lambda z: np.polynomial.chebyshev.chebvander((z - mid) / half, deg)

    def fourier(k):
        def basis(z):
            w = 2 * np.pi * np.arange(1, k + 1) / period
            return np.concatenate(
                [np.ones((len(z), 1)), np.cos(np.outer(z - mid, w)), np.sin(np.outer(z - mid, w))],
                axis=1,
            )

        return basis

    return cheb, fourier


def _fit_families(data, n_units: int, nets: dict, fams: dict, ts, g: dict) -> dict:
    """Every family at P = 3N + 1 parameters: trains the networks, fits the least-squares
    bases, appends each family's row; returns name -> fitted f(x)."""
    p = 3 * n_units + 1
    post = Posterior(MLP(n_units, "relu"), data)
    where = dict(grid_in=g["grid_in"], truth_in=g["truth_in"])
    where.update(grid_out=g["grid_out"], truth_out=g["truth_out"])
    fits = {
        name: train_and_record(post, fams[name], ts, label=f"N={n_units}", init=init, **where)
        for name, init in nets.items()
    }
    cheb, fourier = _bases(data)
    for name, basis, label in (
        ("polynomial", cheb(p - 1), f"degree {p - 1}"),
        ("Fourier", fourier((p - 1) // 2), f"{(p - 1) // 2} harmonics"),
    ):
        f = fits[name] = _lstsq(basis, data.x, data.y)
        fam = fams[name]
        fam["params"].append(p)
        fam["label"].append(label)
        fam["rmse_in"].append(_rmse(f(g["grid_in"]), g["truth_in"]))
        fam["rmse_out"].append(_rmse(f(g["grid_out"]), g["truth_out"]))
    return fits


def _exact(g: dict) -> tuple[np.ndarray, dict]:
    """The hand-made 4-unit network's curve on the wide grid and its errors."""
    exact = bump_relu_theta()
    net4 = MLP(4, "relu")
    numbers = dict(
        units=4,
        params=net4.dim,
        ramp_width=0.02,
        rmse_in=_rmse(net4.apply(exact, g["grid_in"]), g["truth_in"]),
        rmse_out=_rmse(net4.apply(exact, g["grid_out"]), g["truth_out"]),
    )
    return np.asarray(net4.apply(exact, g["wide"]), dtype=float), numbers


def _first_below(params, errors, threshold) -> int | None:
    ok = np.asarray(errors) < threshold
    return int(np.asarray(params)[ok][0]) if ok.any() else None
