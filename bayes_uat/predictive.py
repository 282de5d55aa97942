"""Posterior predictive curves on a grid: bands of f(x) and each hidden unit's contribution.

The numbers the fit and unit figures draw, computed here so that plots only draw and users
can compute them without matplotlib:

* :func:`predictive_bands` — percentiles of f_θ(x) over posterior draws (the 68 % and 95 %
  bands and the median).
* :func:`unit_curves` — for θ of a one-hidden-layer network with 1-D input, every unit's
  contribution aᵢ φ(wᵢ x + bᵢ), the constant c and the sum f(x).
* :func:`unit_decomposition` — those curves for the posterior in canonical form (median and
  68 % bands), or for one mode's MAP draw with the bands of that mode's draws.

Example:
    >>> from bayes_uat.predictive import predictive_bands  # doctest: +SKIP
    >>> bands = predictive_bands(run.posterior, run.samples, run.posterior.data.grid(400))
    >>> bands.quantiles.shape  # doctest: +SKIP
    (5, 400)
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from .modes import find_modes, to_canonical
from .symmetry import unit_table
from .validate import integer

LEVELS = (2.5, 16.0, 50.0, 84.0, 97.5)


class Bands(NamedTuple):
    """Percentiles ``levels`` of f_θ(x) over ``n_draws`` draws at each point of ``grid``:
    ``quantiles`` has shape (len(levels), len(grid))."""

    grid: np.ndarray
    levels: tuple[float, ...]
    quantiles: np.ndarray
    n_draws: int

    def at(self, level: float) -> np.ndarray:
        """The curve of one percentile, e.g. ``bands.at(50.0)`` for the median."""
        return self.quantiles[list(self.levels).index(float(level))]


class UnitCurves(NamedTuple):
    """One network's decomposition f(x) = c + Σᵢ aᵢ φ(wᵢ x + bᵢ) on ``grid``.

    ``units`` (N, n), ``c`` (a float) and ``sum`` (n) are the curves: a single θ's, or the
    posterior medians of each (``sum`` is then the median of f, not a sum of medians).
    ``bands`` holds the 16th and 84th percentiles {"units" (2, N, n), "c" (2,), "sum" (2, n)}
    or is None; ``t`` (N,) are the units' transition locations tᵢ = −bᵢ/wᵢ; ``theta`` the
    canonical θ behind the curves (k, dim); ``mode`` the mode's index, or None."""

    grid: np.ndarray
    theta: np.ndarray
    units: np.ndarray
    c: float
    sum: np.ndarray
    bands: dict | None
    t: np.ndarray
    mode: int | None = None


def posterior_draws(samples, max_draws: int = 2000, seed: int = 0) -> np.ndarray:
    """Up to ``max_draws`` finite draws (k, dim) from all chains of ``samples`` (a
    :class:`~bayes_uat.samples.Samples`), chosen by a fixed-seed rng and kept in order."""
    _check_int("max_draws", max_draws, 1)
    flat = samples.flat()
    flat = flat[np.all(np.isfinite(flat), axis=1)]
    if flat.shape[0] == 0:
        raise ValueError("the run holds no finite draws")
    k = min(int(max_draws), flat.shape[0])
    idx = np.sort(np.random.default_rng(seed).choice(flat.shape[0], k, replace=False))
    return flat[idx]


def predictive_bands(
    posterior,
    samples,
    grid,
    *,
    levels: tuple[float, ...] = LEVELS,
    max_draws: int = 2000,
    seed: int = 0,
) -> Bands:
    """Percentiles ``levels`` of f_θ(x) at each x of ``grid`` over the posterior draws.

    Args:
        posterior: the :class:`~bayes_uat.posterior.Posterior` whose network computes f.
        samples: a :class:`~bayes_uat.samples.Samples` (up to ``max_draws`` draws taken
            from all chains with a fixed-seed rng) or an array of draws (..., dim).
        grid: the x values, shape (n,) for 1-D input or (n, d).
        levels: percentiles in [0, 100].
        max_draws, seed: how many draws, and the seed that picks them.

    Draws whose prediction is not finite somewhere are left out; ``n_draws`` says how many
    remained.
    """
    grid = np.asarray(grid, dtype=float)
    if grid.ndim not in (1, 2) or grid.shape[0] < 1:
        raise ValueError(f"grid must have shape (n,) or (n, d) with n >= 1, got {grid.shape}")
    lv = tuple(float(v) for v in levels)
    if not lv or any(not 0 <= v <= 100 for v in lv):
        raise ValueError(f"levels must be percentiles in [0, 100], got {levels!r}")
    if hasattr(samples, "flat"):
        theta = posterior_draws(samples, max_draws, seed)
    else:
        theta = np.asarray(samples, dtype=float).reshape(-1, np.shape(samples)[-1])
    pred = np.asarray(posterior.predict(theta, grid), dtype=float)
    pred = pred[np.all(np.isfinite(pred), axis=1)]
    if pred.shape[0] == 0:
        raise ValueError("every selected draw predicts non-finite values")
    return Bands(grid, lv, np.percentile(pred, lv, axis=0), int(pred.shape[0]))


def unit_curves(posterior, theta, grid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each unit's contribution (k, N, n), c (k,) and f (k, n) for θ (k, dim) on ``grid``."""
    net = posterior.net
    _check_one_layer(net)
    grid = np.asarray(grid, dtype=float)
    w = np.asarray(posterior.net_params(np.atleast_2d(np.asarray(theta, dtype=float))))
    parts = np.moveaxis(np.asarray(net.unit_outputs(w, grid), dtype=float), -1, 1)
    return parts, w[:, -1], np.asarray(net.apply(w, grid), dtype=float)


def unit_decomposition(
    posterior,
    samples,
    grid,
    *,
    mode=None,
    modes=None,
    max_draws: int = 500,
    seed: int = 0,
) -> UnitCurves:
    """Which sub-functions the network adds up, in canonical form.

    Without ``mode``: up to ``max_draws`` draws are canonicalised
    (:func:`~bayes_uat.modes.to_canonical`: units flipped to wᵢ > 0 where the activation
    allows, sorted by tᵢ), and each unit's curve, c and f get their posterior median and
    68 % band (percentiles 16–84). With ``mode`` (a :class:`~bayes_uat.modes.Mode`, or an
    index into ``modes``; without ``modes`` an index refers to
    ``find_modes(posterior, samples, refine=False)``): the curves of the mode's MAP draw, which
    add up to f exactly, with the bands of that mode's draws when they are known.
    """

    _check_one_layer(posterior.net)
    grid = np.asarray(grid, dtype=float)
    index = None
    if mode is None:
        band_theta = posterior_draws(samples, max_draws, seed)
        band_theta = to_canonical(posterior, band_theta, reference=samples.map_theta)
    else:
        theta, band_theta, index = _mode_theta(posterior, samples, mode, modes)
        if band_theta is not None and band_theta.shape[0] > max_draws:
            pick = np.random.default_rng(seed).choice(band_theta.shape[0], max_draws, False)
            band_theta = band_theta[np.sort(pick)]
    bands = None
    if band_theta is not None:
        q = [
            np.percentile(v, (16.0, 50.0, 84.0), axis=0)
            for v in unit_curves(posterior, band_theta, grid)
        ]
        bands = {"units": q[0][[0, 2]], "c": q[1][[0, 2]], "sum": q[2][[0, 2]]}
    if mode is None:
        theta = band_theta
        line_u, line_c, line_s = q[0][1], q[1][1], q[2][1]
        with warnings.catch_warnings():  # a unit flat in every draw has no t
            warnings.simplefilter("ignore", RuntimeWarning)
            t = np.nanmedian(unit_table(posterior.net, posterior.net_params(theta))["t"], axis=0)
    else:
        parts, c, total = unit_curves(posterior, theta, grid)
        line_u, line_c, line_s = parts[0], c[0], total[0]
        t = unit_table(posterior.net, np.asarray(posterior.net_params(theta))[0])["t"]
    return UnitCurves(grid, theta, line_u, float(line_c), line_s, bands, np.asarray(t), index)


def _mode_theta(posterior, samples, mode, modes):
    """(the mode's canonical MAP as one row, its canonical draws or None, its index)."""
    if not hasattr(mode, "map_canonical"):
        if not isinstance(mode, (int, np.integer)) or isinstance(mode, bool):
            raise ValueError(f"mode must be a Mode from find_modes or a mode index, got {mode!r}")
        if modes is None:
            modes = find_modes(posterior, samples, refine=False)
        if not 0 <= mode < len(modes):
            raise ValueError(f"mode {mode} does not exist: the draws hold {len(modes)} mode(s)")
        mode = modes[int(mode)]
    draws = None
    if modes is not None:
        sel = np.asarray(modes.labels) == mode.index
        if sel.sum() > 1:
            draws = np.asarray(modes.canonical)[sel]
    return np.asarray(mode.map_canonical, dtype=float)[None, :], draws, int(mode.index)


def _check_one_layer(net) -> None:
    if len(net.units) != 1 or net.in_dim != 1:
        raise ValueError(
            f"unit curves need one hidden layer and 1-D input, got units={net.units}, "
            f"in_dim={net.in_dim}"
        )


def _check_int(name: str, v, lo: int) -> None:
    integer(name, v, minimum=lo)
