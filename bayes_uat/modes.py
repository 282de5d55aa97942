"""Distinct modes of a posterior: symmetry removed, grouped by the function they compute.

An N-unit posterior holds up to N!·2^N symmetric copies of every mode.  :func:`find_modes`

1. puts every draw in one symmetric copy (:func:`~bayes_uat.symmetry.canonicalize` for one
   hidden layer and 1-D input, else :func:`~bayes_uat.symmetry.align` to the best draw);
2. evaluates f_θ on a grid over twice the data range and groups draws whose functions lie
   within ``tol`` (RMSE) of a group's leader, leaders taken in order of log-probability;
3. refines each group's best draw to a local MAP by optimisation, merges groups whose MAPs
   compute the same function (within ``tol``: outlying draws of one broad mode), and gives
   each mode its share of draws per chain, its sample mean and covariance (canonical θ) and
   the Laplace covariance −H⁻¹ at its MAP.

Shares are fractions of draws.  They are posterior masses only if every chain moves
between the modes; chains that stay in the mode they started in give shares that say
where the chains started, not how probable each mode is.  :attr:`ModeSet.chains_mix`
reports which case holds.

Example
-------
>>> from bayes_uat.modes import find_modes
>>> modes = find_modes(run.posterior, run.samples)  # doctest: +SKIP
>>> print(modes)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from .optimize import find_map
from .posterior import Posterior
from .samples import Samples
from .symmetry import align, canonicalize


def to_canonical(posterior: Posterior, theta, reference=None) -> np.ndarray:
    """θ (..., dim) in the posterior's canonical form: canonicalize where it is defined (one
    hidden layer, 1-D input, an activation with a sign or no symmetry), else aligned to
    ``reference``."""
    net = posterior.net
    theta = np.asarray(theta, dtype=float)
    if not net.units:
        return theta.copy()
    if len(net.units) == 1 and net.in_dim == 1:
        return canonicalize(net, theta)
    if reference is None:
        raise ValueError("this network has no reference-free canonical form: pass reference=")
    return align(net, theta, np.asarray(reference, dtype=float))


@dataclass(frozen=True)
class Mode:
    """One mode: its MAP, where its draws are, and its spread (all in canonical form)."""

    index: int
    map_theta: np.ndarray
    map_canonical: np.ndarray
    map_log_prob: float
    share: float
    chain_shares: np.ndarray
    mean: np.ndarray
    cov: np.ndarray
    laplace_cov: np.ndarray | None
    n_draws: int
    equation: str
    equation_uncertain: str

    def to_dict(self, names) -> dict:
        return dict(
            index=self.index,
            share=self.share,
            chain_shares=self.chain_shares.tolist(),
            n_draws=self.n_draws,
            map_log_posterior=self.map_log_prob,
            map=dict(zip(names, self.map_theta.tolist())),
            map_canonical=dict(zip(names, self.map_canonical.tolist())),
            equation=self.equation,
            equation_with_uncertainty=self.equation_uncertain,
            std=dict(zip(names, np.sqrt(np.diag(self.cov)).tolist())),
        )


@dataclass(frozen=True)
class ModeSet:
    """The modes found in a set of draws, best MAP first.

    Attributes:
        modes: the modes.
        labels: mode index of each analysed draw, shape (chains, k); -1 for draws in no
            mode (groups below ``min_share``).
        draw_index: which draws were analysed (indices into the draw axis).
        canonical: the analysed draws in canonical form, shape (chains, k, dim).
        grid: x grid of the function-space comparison.
        tol: function-space RMSE that separates modes.
        chains_mix: True when every chain visits every mode (then shares estimate masses).
    """

    modes: tuple[Mode, ...]
    labels: np.ndarray
    draw_index: np.ndarray
    canonical: np.ndarray
    grid: np.ndarray
    tol: float
    chains_mix: bool

    def __len__(self) -> int:
        return len(self.modes)

    def __iter__(self):
        return iter(self.modes)

    def __getitem__(self, i) -> Mode:
        return self.modes[i]

    @property
    def note(self) -> str:
        if len(self.modes) <= 1:
            return "one mode found"
        if self.chains_mix:
            return "every chain visits every mode: shares estimate posterior masses"
        return (
            "chains do not move between modes: shares are fractions of draws, set by "
            "where chains started, not posterior masses"
        )

    def to_dict(self, names) -> dict:
        return dict(
            tol=self.tol,
            chains_mix=self.chains_mix,
            note=self.note,
            modes=[m.to_dict(names) for m in self.modes],
        )

    def __str__(self) -> str:
        lines = [f"{len(self.modes)} mode(s); {self.note}"]
        for m in self.modes:
            lines.append(
                f"  mode {m.index}: share {m.share:.2f}, log p(MAP) "
                f"{m.map_log_prob:.2f}\n    {m.equation_uncertain}"
            )
        return "\n".join(lines)


def _hessians(posterior: Posterior, thetas: np.ndarray) -> np.ndarray:
    """Hessians of log p(θ | D) at each row of ``thetas`` (k, dim), in one compiled call
    (unjitted, jax.hessian dispatches op by op, several times slower on first use)."""
    hess = jax.jit(jax.vmap(jax.hessian(posterior.log_density)))
    return np.asarray(hess(jnp.asarray(thetas, posterior.dtype)))


def _laplace_cov(H: np.ndarray) -> np.ndarray | None:
    """−H⁻¹ when H is the Hessian at a strict maximum, else None."""
    if not np.all(np.isfinite(H)):
        return None
    try:
        cov = np.linalg.inv(-H)
    except np.linalg.LinAlgError:
        return None
    eig = np.linalg.eigvalsh((cov + cov.T) / 2)
    return cov if np.all(eig > 0) else None  # not a maximum: no Laplace approximation


def _merge_same_maps(
    posterior: Posterior,
    grid: np.ndarray,
    tol: float,
    labels: np.ndarray,
    keep: list,
    maps: np.ndarray,
    map_lp: np.ndarray,
):
    """Merge groups whose refined MAPs compute the same function (RMSE on the grid below
    ``tol``): a broad mode's outlying draws form groups of their own, which optimisation
    takes back to that mode's maximum.  The group with the higher MAP absorbs the other;
    ``labels`` (flat group index per draw) is updated in place."""
    maps, map_lp = np.asarray(maps), np.asarray(map_lp)
    fm = np.asarray(posterior.predict(maps, grid))
    accepted: list[int] = []
    for j in np.argsort(-map_lp, kind="stable"):
        d = [np.sqrt(np.mean((fm[j] - fm[a]) ** 2)) for a in accepted]
        if d and min(d) < tol:
            labels[labels == keep[j]] = keep[accepted[int(np.argmin(d))]]
        else:
            accepted.append(int(j))
    accepted.sort()  # keep the order of keep (largest group first)
    return [keep[a] for a in accepted], maps[accepted], map_lp[accepted]


def default_tol(f: np.ndarray) -> float:
    """3 × the median over chains of the median RMSE between a chain's functions and its
    pointwise-median function; f has shape (chains, draws, grid).

    Chains mostly stay within one mode, so this measures the spread within a mode, which
    separated modes exceed; a floor of 1e-6 × the scale of f keeps it positive.
    """
    med = np.median(f, axis=1, keepdims=True)
    spread = np.median(np.sqrt(np.mean((f - med) ** 2, axis=-1)), axis=1)
    return float(max(3.0 * np.median(spread), 1e-6 * (np.abs(f).max() + 1e-300)))


def find_modes(
    posterior: Posterior,
    samples: Samples,
    *,
    tol: float | None = None,
    n_grid: int = 100,
    extrapolate: float = 2.0,
    max_draws: int = 4000,
    min_share: float = 0.01,
    max_modes: int = 10,
    refine: bool = True,
) -> ModeSet:
    """Find the distinct modes among ``samples`` (see the module docstring).

    Args:
        tol: RMSE between functions on the grid below which two draws share a mode; default
            :func:`default_tol`, three times the typical spread of functions within a chain.
        n_grid: grid points.
        extrapolate: width of the grid in data ranges (2: twice the data range); modes that
            fit the data alike often differ outside it.
        max_draws: draws analysed (thinned evenly per chain).
        min_share: groups with fewer draws than this fraction are not reported as modes.
        max_modes: at most this many modes.
        refine: optimise each mode's best draw to its MAP, and merge modes whose MAPs lie
            within ``tol`` (else the best draw stands in and nothing is merged).
    """
    if not isinstance(samples, Samples):
        raise ValueError(f"find_modes needs Samples, got {type(samples).__name__}")
    C, D, _ = samples.theta.shape
    step = max(1, int(np.ceil(C * D / max_draws)))
    idx = np.arange(0, D, step)
    theta = samples.theta[:, idx]
    lp = samples.log_prob[:, idx]
    best = samples.map_theta
    can = to_canonical(posterior, theta, reference=best)
    grid = posterior.data.grid(n_grid, extrapolate=extrapolate)
    f = np.asarray(posterior.predict(can.reshape(-1, can.shape[-1]), grid))
    f = f.reshape(f.shape[0], -1)  # K outputs (and grid points) as one function vector
    if tol is None:
        tol = default_tol(f.reshape(C, len(idx), -1))
    flat_lp = np.where(np.isfinite(lp.ravel()), lp.ravel(), -np.inf)
    labels = np.full(flat_lp.shape, -1)
    order = np.argsort(-flat_lp)
    leaders = []
    for i in order:
        if labels[i] != -1 or len(leaders) >= 4 * max_modes:
            continue
        d = np.sqrt(np.mean((f - f[i]) ** 2, axis=1))
        members = (d < tol) & (labels == -1)
        labels[members] = len(leaders)
        leaders.append(i)
    counts = np.bincount(labels[labels >= 0], minlength=len(leaders))
    keep = [k for k in np.argsort(-counts) if counts[k] / labels.size >= min_share][:max_modes]
    relabel = np.full(len(leaders) + 1, -1)
    # Refine the raw draws, not their canonical copies: the sigmoid's complement flip
    # shifts c and so changes the prior, making a canonical copy a slightly lower point.
    flat_raw = theta.reshape(-1, theta.shape[-1])
    modes = []
    starts = (
        np.stack([flat_raw[leaders[k]] for k in keep]) if keep else np.zeros((0, theta.shape[-1]))
    )
    if refine and len(keep):
        maps, map_lp = find_map(posterior, starts)
    else:
        maps, map_lp = starts, flat_lp[[leaders[k] for k in keep]]
    if refine and len(keep) > 1:
        keep, maps, map_lp = _merge_same_maps(posterior, grid, tol, labels, keep, maps, map_lp)
    maps_can = to_canonical(posterior, maps, reference=best) if len(keep) else maps
    order_modes = np.argsort(-np.asarray(map_lp))
    lab2 = labels.reshape(C, -1)
    for new, j in enumerate(order_modes):
        k = keep[j]
        relabel[k] = new
    out_labels = np.where(lab2 >= 0, relabel[lab2], -1)
    hessians = _hessians(posterior, maps) if refine and len(keep) else None
    for new, j in enumerate(order_modes):
        members = out_labels == new
        pts = can[members]
        mean = pts.mean(0)
        cov = np.cov(pts.T) if len(pts) > 1 else np.zeros((len(mean), len(mean)))
        cov = np.atleast_2d(cov)
        lap = _laplace_cov(hessians[j]) if refine else None
        sd = np.sqrt(np.clip(np.diag(cov), 0, None))
        net_dim = posterior.net.dim
        modes.append(
            Mode(
                index=new,
                map_theta=np.asarray(maps[j]),
                map_canonical=np.asarray(maps_can[j]),
                map_log_prob=float(map_lp[j]),
                share=float(members.mean()),
                chain_shares=members.mean(axis=1),
                mean=mean,
                cov=cov,
                laplace_cov=lap,
                n_draws=int(members.sum()),
                equation=posterior.net.equation(np.asarray(maps[j])[:net_dim]),
                equation_uncertain=posterior.net.equation(mean[:net_dim], std=sd[:net_dim]),
            )
        )
    chains_mix = bool(len(modes) <= 1 or all(np.all(m.chain_shares > 0) for m in modes))
    return ModeSet(
        modes=tuple(modes),
        labels=out_labels,
        draw_index=idx,
        canonical=can,
        grid=grid,
        tol=float(tol),
        chains_mix=chains_mix,
    )


@dataclass(frozen=True)
class Discovery:
    """Many short chains, each warmed up and kept briefly, and the modes they reached.

    Attributes:
        samples: the draws, (chains, draws, dim).
        modes: :func:`find_modes` on them.
        visits: (chains, modes) booleans: chain c reached mode k, i.e. at least
            ``visit_share`` of its kept draws lie in it.
        chain_mode: the mode each chain spent most of its kept draws in (-1: none).
    """

    samples: Samples
    modes: ModeSet
    visits: np.ndarray
    chain_mode: np.ndarray

    @property
    def chains_per_mode(self) -> np.ndarray:
        """How many chains reached each mode."""
        return self.visits.sum(axis=0)

    def p_all_found(self, k: int) -> float:
        """Probability that k chains drawn at random (without replacement) from these
        reach every mode: inclusion–exclusion over the set S of modes missed, each term
        C(#chains reaching no mode of S, k) / C(n, k)."""
        from itertools import combinations
        from math import comb

        n, m = self.visits.shape
        if k > n:
            raise ValueError(f"k = {k} exceeds the {n} chains run")
        total = 0
        for r in range(m + 1):
            for missed in combinations(range(m), r):
                rest = int(np.sum(~self.visits[:, list(missed)].any(axis=1))) if r else n
                total += (-1) ** r * comb(rest, k)
        return float(total / comb(n, k))

    def chains_needed(self, p: float = 0.95) -> int | None:
        """Fewest chains that reach every mode with probability ≥ p (None: not even all)."""
        for k in range(1, self.visits.shape[0] + 1):
            if self.p_all_found(k) >= p:
                return k
        return None


def discover_modes(
    posterior: Posterior,
    *,
    chains: int = 256,
    warmup: int = 200,
    draws: int = 20,
    seed: int = 0,
    sgd_steps: int = 300,
    visit_share: float = 0.25,
    **find,
) -> Discovery:
    """Many short NUTS chains for mode discovery (as in Wiese et al. 2023): every chain
    starts from its own short SGD run (restarts vmapped, PyTorch-style initialisation),
    is warmed up, and keeps a few draws; :func:`find_modes` groups what they reached, and a
    chain counts as reaching a mode when at least ``visit_share`` of its kept draws lie in
    it. Other keyword arguments go to :func:`find_modes`."""
    from .optimize import train_sgd
    from .samplers import sample

    sgd = train_sgd(posterior, restarts=chains, steps=sgd_steps, seed=seed)
    s = sample(
        posterior,
        "nuts",
        chains=chains,
        warmup=warmup,
        draws=draws,
        seed=seed,
        sgd=sgd,
        progress=False,
    )
    modes = find_modes(posterior, s, **find)
    return Discovery(s, modes, *chain_visits(modes.labels, len(modes), visit_share))


def chain_visits(labels: np.ndarray, n_modes: int, visit_share: float = 0.25):
    """(visits, chain_mode) from per-draw mode labels of shape (chains, draws), -1 = none."""
    counts = np.stack([(labels == k).sum(axis=1) for k in range(n_modes)], axis=1)
    visits = counts >= visit_share * labels.shape[1]
    chain_mode = np.where(counts.sum(axis=1) > 0, counts.argmax(axis=1), -1)
    return visits, chain_mode
