"""Symmetry-aware comparison of SGD solutions with the posterior, in parameter, probability
and function space.

For every SGD restart, the global MAP and every mode, :func:`compare` reports

* log-posterior, log-likelihood and MSE;
* function-space RMSE against the MAP and (when known) the true target, inside the data
  range and in the extrapolation range (the grid widened ``extrapolate``-fold, data range
  excluded);

and for every SGD solution also

* its nearest mode (by function-space RMSE on the grid the modes were found on) and, when
  the chains are independent runs (tempered SMC), that mode's posterior mass ± SE
  (``mode_mass``, ``mode_mass_se``);
* the Euclidean distance to that mode's MAP after both are put in canonical form, and the
  Mahalanobis distance √(δᵀ Σ⁻¹ δ) under the mode's sample covariance Σ;
* the posterior level P[log p(θ | D) > log p(θ_sgd | D)] over all draws (invariant under
  exact symmetries, so no alignment is needed);
* the posterior quantile of each canonical SGD weight among the mode's canonical draws;
* the share of the data-range grid where the SGD curve lies inside the 95 % posterior band;

and, with ``laplace=True``, for every mode (at its MAP) and every SGD solution (as it ended,
and refined to the nearby maximum with :func:`~bayes_uat.optimize.find_map`, columns
``refined_laplace_*``) how well the Laplace approximation there matches that mode's canonical
draws (:func:`bayes_uat.laplace.fit_summary`): the median and range over the canonical
parameters of the variance ratio Laplace / posterior, and the share of posterior f(x) values
inside the Laplace 95 % predictive band.

Example
-------
>>> from bayes_uat import compare
>>> table = compare(run.posterior, run.samples, run.sgd)  # doctest: +SKIP
>>> print(table)  # doctest: +SKIP
"""

from __future__ import annotations

import textwrap
import warnings
from dataclasses import dataclass

import numpy as np

from .modes import ModeSet, find_modes, mode_line, to_canonical
from .optimize import SGDResult
from .posterior import Posterior
from .samples import Samples


@dataclass(frozen=True)
class Comparison:
    """Rows of the comparison table (dicts), the modes, and the grids used."""

    rows: tuple[dict, ...]
    modes: ModeSet
    names: tuple[str, ...]
    grid_in: np.ndarray
    grid_out: np.ndarray

    def to_dict(self) -> dict:
        return dict(
            rows=[_clean(r) for r in self.rows],
            modes=self.modes.to_dict(self.names),
            grid_in=[float(self.grid_in.min()), float(self.grid_in.max())],
            grid_out=[float(self.grid_out.min()), float(self.grid_out.max())]
            if self.grid_out.size
            else None,
        )

    def row(self, name: str) -> dict:
        for r in self.rows:
            if r["name"] == name:
                return r
        raise KeyError(f"no row {name!r}; rows are {[r['name'] for r in self.rows]}")

    def __str__(self) -> str:
        return self.text_from_dict(self.to_dict())

    @staticmethod
    def text_from_dict(d: dict) -> str:
        """The printed table, from :meth:`to_dict` output (e.g. a summary.json)."""
        cols = _COLUMNS + [c for c in _MASS_COLUMNS if any(c[0] in r for r in d["rows"])]
        table = [[c[1] for c in cols]]
        for r in d["rows"]:
            row = [_fmt(r.get(k), f) for k, _, f in cols]
            row[0] = _ROW_NAMES.get(r.get("kind"), r["name"])
            table.append(row)
        w = [max(len(row[i]) for row in table) for i in range(len(cols))]
        lines = [
            "  ".join(c.rjust(w[i]) if i else c.ljust(w[i]) for i, c in enumerate(row))
            for row in table
        ]
        m = d["modes"]
        lines.append(f"{len(m['modes'])} mode(s); {m['note']}")
        for mode in m["modes"]:
            lines.append(f"  {mode_line(mode)}\n    {mode['equation_with_uncertainty']}")
        lines += [f"  warning: {w}" for w in m.get("warnings", ())]
        lines += _legend(cols, d["rows"])
        return "\n".join(lines)


_COLUMNS = [
    ("name", "", "{}"),
    ("log_posterior", "log p(θ|D)", "{:.2f}"),
    ("mse", "MSE", "{:.3f}"),
    ("rmse_map_in", "RMSE vs MAP in", "{:.3f}"),
    ("rmse_map_out", "out", "{:.2f}"),
    ("rmse_true_in", "vs truth in", "{:.3f}"),
    ("nearest_mode", "mode", "{}"),
    ("distance", "dist", "{:.2f}"),
    ("mahalanobis", "Mahal.", "{:.1f}"),
    ("posterior_level", "P[lp>lp_sgd]", "{:.3f}"),
    ("in_band_95", "in 95% band", "{:.2f}"),
    ("laplace_var_ratio", "Lap. var", "{:.2f}"),
    ("laplace_band_coverage", "Lap. 95%", "{:.2f}"),
]
_MASS_COLUMNS = [("mode_mass", "mode mass", "{:.2f}"), ("mode_mass_se", "± SE", "{:.2f}")]


# the MAP row is the best draw optimised to its maximum; summaries' "MAP sample" is the draw
_ROW_NAMES = {"map": "MAP (optimised)"}
_LEGEND = {
    "log_posterior": "log posterior, log p(θ|D) up to a constant",
    "mse": "mean squared error on the data",
    "rmse_map_in": "RMS distance of f(x) from the MAP's f(x) inside the data range",
    "rmse_map_out": "the same outside it (the widened extrapolation grid)",
    "rmse_true_in": "RMS distance of f(x) from the true target inside the data range",
    "nearest_mode": "the mode whose MAP function is nearest (RMSE of f(x))",
    "distance": "Euclidean distance to that mode's MAP, both in canonical form",
    "mahalanobis": "Mahalanobis distance √(δᵀ Σ⁻¹ δ) from the mode's mean, Σ its covariance",
    "posterior_level": "share of posterior draws with higher log posterior than this point",
    "in_band_95": "share of the data range where f(x) lies inside the posterior's 95 % band",
    "laplace_var_ratio": (
        "Laplace approximation at this point against the mode's draws: median over "
        "parameters of variance Laplace / posterior (1: the Laplace width is right)"
    ),
    "laplace_band_coverage": (
        "share of posterior f(x) values inside the Laplace 95 % predictive band (0.95: right)"
    ),
    "mode_mass": "posterior mass of the nearest mode ± its SE over independent runs",
}


def _legend(cols, rows) -> list[str]:
    """What the table's columns and rows are, for the reader of the printed table."""
    out = ["columns:"]
    for key, head, _ in cols:
        if key in _LEGEND and any(r.get(key) is not None for r in rows):
            out += textwrap.wrap(
                _LEGEND[key], 96, initial_indent=f"  {head:<14} ", subsequent_indent=" " * 17
            )
    out += textwrap.wrap(
        "rows: SGD k = restart k as trained; MAP (optimised) = the highest log posterior of "
        "the best draw and the modes' MAPs, each draw optimised to its maximum (the run "
        "summary's 'MAP sample' is the best draw itself, not optimised); mode k = the draws "
        "whose f(x) is that mode's, at the mode's MAP",
        96,
        subsequent_indent="  ",
    )
    return out


def _fmt(v, f) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    return f.format(v)


def _clean(r: dict) -> dict:
    out = {}
    for k, v in r.items():
        if isinstance(v, np.ndarray):
            v = v.tolist()
        elif isinstance(v, (np.floating, np.integer)):
            v = v.item()
        out[k] = v
    return out


def _rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((a - b) ** 2))) if a.size else float("nan")


def _check_inputs(samples, sgd) -> None:
    if not isinstance(samples, Samples):
        raise ValueError(f"compare needs Samples, got {type(samples).__name__}")
    if sgd is not None and not isinstance(sgd, SGDResult):
        raise ValueError(f"sgd must be an SGDResult, got {type(sgd).__name__}")


def compare(
    posterior: Posterior,
    samples: Samples,
    sgd: SGDResult | None = None,
    *,
    modes: ModeSet | None = None,
    n_grid: int = 200,
    extrapolate: float = 2.0,
    max_draws: int = 4000,
    laplace: bool = True,
) -> Comparison:
    """Compare SGD solutions, the MAP and every mode (see the module docstring)."""
    _check_inputs(samples, sgd)
    modes = find_modes(posterior, samples, max_draws=max_draws) if modes is None else modes
    names = posterior.names
    data = posterior.data
    grid_in = data.grid(n_grid)
    wide = data.grid(n_grid * 2, extrapolate=extrapolate)
    grid_out = wide[data.outside(wide)]
    truth = data.target_fn
    true_in = None if truth is None else np.asarray(truth(grid_in))
    true_out = None if truth is None else np.asarray(truth(grid_out))

    best = samples.map_theta
    map_theta = max(
        [best] + [m.map_theta for m in modes], key=lambda t: float(posterior.log_density(t))
    )

    # every point of the table evaluated in one batch
    sgd_thetas = np.zeros((0, samples.dim)) if sgd is None else np.asarray(sgd.thetas)
    pts = np.concatenate([sgd_thetas, map_theta[None]] + [m.map_theta[None] for m in modes])
    lps = np.asarray(posterior.log_density(pts))
    lls = np.asarray(posterior.log_likelihood(pts))
    mses = np.asarray(posterior.mse(pts))
    f_in = np.asarray(posterior.predict(pts, grid_in))
    f_out = (
        np.asarray(posterior.predict(pts, grid_out)) if grid_out.size else np.zeros((len(pts), 0))
    )
    f_modes = np.asarray(posterior.predict(pts, modes.grid))  # the grid modes were found on
    i_map = len(sgd_thetas)
    # posterior 95 % band of f on the data-range grid, from the analysed draws
    draws = samples.theta[:, modes.draw_index].reshape(-1, samples.dim)
    band = np.quantile(np.asarray(posterior.predict(draws, grid_in)), [0.025, 0.975], axis=0)
    lp_all = samples.log_density.ravel()

    def base(name, kind, i):
        return dict(
            name=name,
            kind=kind,
            log_posterior=float(lps[i]),
            log_likelihood=float(lls[i]),
            mse=float(mses[i]),
            rmse_map_in=_rmse(f_in[i], f_in[i_map]),
            rmse_map_out=_rmse(f_out[i], f_out[i_map]),
            rmse_true_in=None if truth is None else _rmse(f_in[i], true_in),
            rmse_true_out=None if truth is None else _rmse(f_out[i], true_out),
            equation=posterior.net.equation(posterior.net_params(pts[i])),
        )

    rows = []
    for r, theta in enumerate(sgd_thetas):
        row = base(f"SGD {r}", "sgd", r)
        row["best_restart"] = r == sgd.best_index
        row["posterior_level"] = float(np.mean(lp_all > lps[r]))
        row["in_band_95"] = float(np.mean((f_in[r] >= band[0]) & (f_in[r] <= band[1])))
        if len(modes):
            row.update(_nearest_mode(posterior, modes, theta, f_modes[r], f_modes[i_map + 1 :]))
        rows.append(row)
    rows.append(base("MAP", "map", i_map))
    for q, m in enumerate(modes):
        row = base(f"mode {m.index}", "mode", i_map + 1 + q)
        row["share"] = m.share
        if m.mass is not None:
            row["mass"], row["mass_se"] = m.mass, m.mass_se
        rows.append(row)
    if laplace and len(modes):
        _laplace_rows(posterior, modes, rows, sgd_thetas, grid_in)
    return Comparison(
        rows=tuple(rows), modes=modes, names=names, grid_in=grid_in, grid_out=grid_out
    )


def _nearest_mode(posterior, modes: ModeSet, theta, f: np.ndarray, f_maps: np.ndarray) -> dict:
    """Where one SGD solution ``theta`` sits relative to the mode whose MAP function
    (``f_maps``, one row per mode) is nearest in RMSE to its own function ``f``: that mode,
    its mass, the Euclidean and Mahalanobis distances and the per-parameter quantiles of the
    solution aligned to the mode's symmetry copy."""
    names = posterior.names
    k = int(np.argmin([_rmse(f, f_maps[q]) for q in range(len(modes))]))
    m = modes[k]
    can = to_canonical(posterior, theta, reference=m.map_canonical)
    row = {"nearest_mode": k}
    if m.mass is not None:  # independent runs: the posterior mass of that mode
        row["mode_mass"], row["mode_mass_se"] = m.mass, m.mass_se
    row["distance"] = float(np.linalg.norm(can - m.map_canonical))
    cov_inv = np.linalg.pinv(m.cov, rcond=1e-10, hermitian=True)
    dm = can - m.mean
    row["mahalanobis"] = float(np.sqrt(max(dm @ cov_inv @ dm, 0.0)))
    members = modes.canonical[modes.labels == k]
    row["quantiles"] = dict(zip(names, np.mean(members < can, axis=0).tolist()))
    row["aligned_theta"] = dict(zip(names, can.tolist()))
    return row


def _laplace_rows(posterior, modes: ModeSet, rows: list, sgd_thetas, grid) -> None:
    """Add the Laplace fit (laplace.fit_summary) to the rows of the modes and SGD solutions,
    each against the canonical draws of its mode."""
    from .laplace import fit_summary
    from .optimize import NotStationaryWarning, find_map

    def members(k):
        return modes.canonical[modes.labels == k]

    for row in rows:
        if row["kind"] == "mode":
            m = modes[int(row["name"].split()[1])]
            row.update(fit_summary(posterior, m.map_canonical, members(m.index), grid=grid))
    refined = sgd_thetas
    if len(sgd_thetas):
        with warnings.catch_warnings():  # a point left short of a maximum gets laplace_note
            warnings.simplefilter("ignore", NotStationaryWarning)
            refined = find_map(posterior, sgd_thetas)[0]
    for r, row in enumerate(rows[: len(sgd_thetas)]):
        k = row.get("nearest_mode")
        if k is None:
            continue
        ref = modes[k].map_canonical
        for prefix, theta in (("", sgd_thetas[r]), ("refined_", refined[r])):
            can = to_canonical(posterior, theta, reference=ref)
            fit = fit_summary(posterior, can, members(k), grid=grid)
            row.update({prefix + key: v for key, v in fit.items()})
