"""Per-mode bridge sampling: log Z and the mass of each mode from NUTS draws inside the
modes of an :class:`~bayes_uat.evidence.Evidence`, independent of its tempered SMC.

On the canonical domain C the folded density p̃_C integrates to Z (module
:mod:`~bayes_uat.evidence.network`). The modes of the evidence's table that hold at least
``min_mass`` of the SMC's particles (at most ``max_modes`` of them) split C into cells
A_k = {u ∈ C : mode k's Laplace normal is the densest at u}, so Z = Σ_k Z_k with
Z_k = ∫_{A_k} p̃_C. For each of these modes:

1. NUTS (numpyro, dense mass matrix) on p̃_C from ``chains`` starts at the mode's centre;
   each draw is moved to C (its canonical copy, where p̃_C is the same) and kept when it lies
   in A_k;
2. q_k is fitted to the first half of the chains' kept draws: half the normal with their
   mean and covariance, half a kernel density estimate over them (:func:`_mode_q`), which
   follows a curved ridge; ``q_draws`` draws from it are kept when they lie in C ∩ A_k
   (a share f_k);
3. Meng & Wong's (1996) iterative optimal bridge between p̃_C·1_{A_k} (the other chains'
   kept draws) and q_k·1_{A_k} (the kept q draws) gives r = Z_k / f_k, so
   log Z_k = log r + log f_k.

``repeats`` independent repeats (their own chains and q draws) give every number's SE from
their spread. The cells cover C, so the sum is set beside the SMC's log Z, and each mode's
share beside the share of the SMC's final particles in its cell: the two estimate the same
integral by different means (the bridge never sees the SMC's reference, temperatures or
moves). Mass that the chains started at a mode never reach (another mode inside the same
cell, or a mode no census found) is missing from both.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp

BRIDGE_TOL = 1e-10
"""The iterative bridge stops when log r changes by less than this."""

BRIDGE_ITER = 1000
"""...or after this many iterations (it converges in tens on the studies' posteriors)."""

KEPT_MIN = 0.5
"""A mode whose chains leave its cell for more than half of their draws gets a warning: its
draws are not a sample of p̃_C on the cell."""


@dataclass(frozen=True)
class BridgeMode:
    """One bridged mode.

    Attributes:
        index: the mode's position in the evidence's table (``ev.modes``).
        log_mass: log Z_k, one value per repeat.
        share: Z_k / Σ over the bridged cells, mean over repeats; ``share_se`` its SE.
        smc_mass: the share of the SMC's final particles in the mode's cell (mean over
            runs), for comparison with ``share``.
        kept: per repeat, the share of the chains' draws that lay in the mode's cell.
        q_inside: per repeat, f_k: the share of q_k's draws in C ∩ A_k.
        mse: the training MSE at the mode's centre.
    """

    index: int
    log_mass: np.ndarray
    share: float
    share_se: float
    smc_mass: float
    kept: np.ndarray
    q_inside: np.ndarray
    mse: float


@dataclass(frozen=True)
class BridgeEvidence:
    """log Z over the bridged cells by per-mode bridge sampling, beside the SMC's.

    Attributes:
        log_evidence: per repeat, log Σ_k Z_k over the bridged cells.
        log_evidence_mean, log_evidence_se: their mean and standard deviation / √repeats.
        smc_log_evidence, smc_log_evidence_se: the SMC's log Z (``ev.log_evidence_mean``)
            and its SE; the cells cover the domain, so both estimate the same Z.
        difference: ``log_evidence_mean − smc_log_evidence``; ``difference_se`` the two SEs
            combined.
        modes: the bridged modes (:class:`BridgeMode`), the table's order.
        warnings: what may be wrong (draws leaving their cell, q rarely in its cell).
        settings: the call's settings; wall_time: seconds.
    """

    log_evidence: np.ndarray
    log_evidence_mean: float
    log_evidence_se: float
    smc_log_evidence: float
    smc_log_evidence_se: float
    difference: float
    difference_se: float
    modes: tuple[BridgeMode, ...]
    warnings: tuple[str, ...] = ()
    settings: dict = field(default_factory=dict)
    wall_time: float = 0.0

    def to_dict(self) -> dict:
        """Everything, JSON-serialisable."""
        return dict(
            log_evidence=self.log_evidence.tolist(),
            log_evidence_mean=self.log_evidence_mean,
            log_evidence_se=self.log_evidence_se,
            smc_log_evidence=self.smc_log_evidence,
            smc_log_evidence_se=self.smc_log_evidence_se,
            difference=self.difference,
            difference_se=self.difference_se,
            modes=[
                dict(
                    index=m.index,
                    log_mass=m.log_mass.tolist(),
                    share=m.share,
                    share_se=m.share_se,
                    smc_mass=m.smc_mass,
                    kept=m.kept.tolist(),
                    q_inside=m.q_inside.tolist(),
                    mse=m.mse,
                )
                for m in self.modes
            ],  # fmt: skip
            warnings=list(self.warnings),
            settings=self.settings,
            wall_time=self.wall_time,
        )

    def __str__(self) -> str:
        reps = ", ".join(f"{v:.2f}" for v in self.log_evidence)
        lines = [
            f"bridge: log Z over {len(self.modes)} mode cell(s) = {self.log_evidence_mean:.2f} "
            f"± {self.log_evidence_se:.2f} ({len(self.log_evidence)} repeats: {reps})",
            f"SMC: {self.smc_log_evidence:.2f} ± {self.smc_log_evidence_se:.2f}; difference "
            f"{self.difference:+.2f} ± {self.difference_se:.2f}",
        ]
        for m in self.modes:
            lines.append(
                f"  mode {m.index}: share {m.share:.3f} ± {m.share_se:.3f} (SMC {m.smc_mass:.3f}),"
                f" MSE {m.mse:.4g}, draws in cell {100 * m.kept.min():.0f}–"
                f"{100 * m.kept.max():.0f} %, q in cell {100 * m.q_inside.min():.1f}–"
                f"{100 * m.q_inside.max():.1f} %"
            )
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


# -- Meng & Wong's iterative bridge ------------------------------------------------------------
def bridge_log_ratio(l_p, l_q) -> float:
    """log r for r = Z_p / Z_q by Meng & Wong's iterative optimal bridge, from
    l_p = log p̃ − log q̃ at draws from p (n₁ of them) and l_q = log p̃ − log q̃ at draws from
    q (n₂): with s_i = n_i / (n₁ + n₂),

        r ← [mean_q e^{l}/(s₁e^{l} + s₂r)] / [mean_p 1/(s₁e^{l} + s₂r)],

    in logs, from the importance-sampling estimate log mean_q e^{l}, until log r moves by
    less than :data:`BRIDGE_TOL`. Non-finite l are −∞ (zero density under p̃).

    >>> rng = np.random.default_rng(0)    # p̃ = 3·N(0, 1), q = N(0.5, 1.5²)
    >>> from scipy import stats
    >>> lp = lambda x: np.log(3.0) + stats.norm.logpdf(x)
    >>> lq = lambda x: stats.norm.logpdf(x, 0.5, 1.5)
    >>> xp, xq = rng.normal(size=20000), rng.normal(0.5, 1.5, 20000)
    >>> round(float(np.exp(bridge_log_ratio(lp(xp) - lq(xp), lq(xq) * 0 + lp(xq) - lq(xq)))), 2)
    3.0
    """
    l_p = np.where(np.isfinite(l_p), np.asarray(l_p, float), -np.inf)
    l_q = np.where(np.isfinite(l_q), np.asarray(l_q, float), -np.inf)
    n1, n2 = len(l_p), len(l_q)
    if n1 == 0 or n2 == 0:
        return float("nan")
    ls1, ls2 = math.log(n1 / (n1 + n2)), math.log(n2 / (n1 + n2))
    log_r = float(logsumexp(l_q) - math.log(n2))
    if not math.isfinite(log_r):
        return log_r
    for _ in range(BRIDGE_ITER):
        num = logsumexp(l_q - np.logaddexp(ls1 + l_q, ls2 + log_r)) - math.log(n2)
        den = logsumexp(-np.logaddexp(ls1 + l_p, ls2 + log_r)) - math.log(n1)
        new = float(num - den)
        if abs(new - log_r) < BRIDGE_TOL:
            return new
        log_r = new
    return log_r


# -- the cells -----------------------------------------------------------------------------------
def _cells(posterior, lay, log_fold, centres: np.ndarray):
    """(Cholesky factors of every mode's Laplace precision, log det of each precision), for
    the nearest-mode rule."""
    from .network import laplace_covs

    prec = np.linalg.inv(laplace_covs(posterior, log_fold, centres))
    chol = np.linalg.cholesky(0.5 * (prec + np.swapaxes(prec, 1, 2)))
    return chol, 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)


@jax.jit
def _nearest(x, centres, chol, logdet):
    """The cell of each row of x (n, d): the mode whose Laplace normal is densest there,
    argmin_k |L_kᵀ(x − μ_k)|² − log det P_k (a wide mode does not take the draws of a
    narrow one whose centre is close)."""

    def cost(mu, L, ld):
        return jnp.sum(((x - mu) @ L) ** 2, axis=1) - ld

    return jnp.argmin(jax.lax.map(lambda a: cost(*a), (centres, chol, logdet)), axis=0)


def _cell_of(x, cells) -> np.ndarray:
    return np.asarray(_nearest(jnp.asarray(x), *(jnp.asarray(c) for c in cells)))


def _bridge_one(posterior, lay, log_fold, k, cells, settings: dict, key):
    """(log Z_k, share of draws in the cell, f_k) for mode k in one repeat."""
    from .network import _fold_programs, within_mode_draws

    fold_many, _ = _fold_programs(log_fold)
    x = within_mode_draws(posterior, lay, cells[0][k], settings, key)
    near = _cell_of(x, cells)
    x = x[near == k]
    kept = len(x) / len(near)
    if len(x) < 2 * (posterior.dim + 1):
        return -math.inf, kept, 0.0
    half = len(x) // 2  # the first chains fit q_k, the others are the bridge's draws
    fit, use = x[:half], x[half:]
    rng = np.random.default_rng(np.asarray(jax.random.key_data(key)).ravel().tolist())
    sample_q, log_q = _mode_q(fit, settings["bandwidth"])
    y = sample_q(rng, settings["q_draws"])
    inside = np.asarray(jax.vmap(lay.inside)(jnp.asarray(y))) & (_cell_of(y, cells) == k)
    f = float(inside.mean())
    y = y[inside]
    if len(y) == 0:
        return -math.inf, kept, f

    def log_ratio(v):
        lp = np.asarray(fold_many(posterior, jnp.asarray(v, posterior.dtype)), dtype=float)
        return lp - log_q(v)

    return bridge_log_ratio(log_ratio(use), log_ratio(y)) + math.log(f), kept, f


def _mode_q(fit: np.ndarray, bandwidth: float):
    """(sample(rng, n), log q(v)) of q_k = ½ N(m, S) + ½ KDE: the normal with the fit draws'
    mean m and covariance S, and a kernel density estimate with a normal kernel of
    covariance h²S at every fit draw, h = ``bandwidth`` × Silverman's factor
    (4/(d + 2))^(1/(d+4)) m^(−1/(d+4)). The normal serves a mode that is nearly normal; the
    kernel estimate follows a curved ridge, which a normal covers so poorly that the bridge
    has almost no overlap to work with (docs/evidence.md)."""
    m, d = fit.shape
    mean = fit.mean(axis=0)
    S = np.cov(fit, rowvar=False) + 1e-12 * np.eye(d)
    L = np.linalg.cholesky(S)
    h = bandwidth * (4.0 / (d + 2)) ** (1.0 / (d + 4)) * m ** (-1.0 / (d + 4))
    Lk = h * L
    const = -0.5 * d * math.log(2 * math.pi)

    def sample(rng, n):
        z = rng.standard_normal((n, d))
        kde = rng.random(n) < 0.5
        centre = np.where(kde[:, None], fit[rng.integers(0, m, n)], mean)
        return centre + np.where(kde[:, None], z @ Lk.T, z @ L.T)

    def log_q(v):
        r = np.linalg.solve(L, (v - mean).T)
        ln = const - np.log(np.diag(L)).sum() - 0.5 * np.sum(r * r, 0)
        lk = np.asarray(_kde_log(jnp.asarray(v), jnp.asarray(fit), jnp.asarray(np.linalg.inv(Lk))))
        lk = lk + const - np.log(np.diag(Lk)).sum() - math.log(m)
        return np.logaddexp(ln, lk) - math.log(2.0)

    return sample, log_q


@jax.jit
def _kde_log(v, fit, inv_chol):
    """log Σ_j exp(−½|L⁻¹(v_i − fit_j)|²) for every row v_i."""

    def one(x):
        z = (x - fit) @ inv_chol.T
        return logsumexp(-0.5 * jnp.sum(z * z, axis=1))

    return jax.lax.map(one, v)


# -- the call --------------------------------------------------------------------------------
def bridge(
    posterior,
    ev,
    *,
    repeats: int = 4,
    seed: int = 0,
    min_mass: float = 0.01,
    max_modes: int = 8,
    chains: int = 4,
    warmup: int = 500,
    draws: int = 1000,
    q_draws: int = 8000,
    bandwidth: float = 0.25,
    max_tree_depth: int = 10,
    target_accept: float = 0.9,
) -> BridgeEvidence:
    """log Z over the cells of the modes that hold ``min_mass`` of ``ev``'s particles, by
    per-mode bridge sampling from NUTS draws (module docstring), beside ``ev``'s SMC.

    Args:
        posterior: the posterior ``ev`` was computed for.
        ev: :func:`bayes_uat.evidence`'s result (its mode table).
        repeats: independent repeats; their spread is every SE.
        seed: the seed.
        min_mass, max_modes: the modes bridged (the table's mass, highest first).
        chains, warmup, draws: NUTS chains per mode and repeat, and their lengths.
        q_draws: draws from each mode's q_k.
        bandwidth: the kernel density estimate's bandwidth in q_k, as a factor on
            Silverman's rule (:func:`_mode_q`).
        max_tree_depth, target_accept: NUTS's settings.
    """
    from .result import Evidence

    settings = _checked(posterior, ev, Evidence, locals())
    t0 = time.perf_counter()
    lay, log_fold, chosen, cells = mode_cells(posterior, ev, min_mass, max_modes)
    smc = _smc_shares(lay, ev, cells)
    logz = np.empty((repeats, len(chosen)))
    kept, fin = np.empty_like(logz), np.empty_like(logz)
    for r in range(repeats):
        for j, m in enumerate(chosen):
            key = jax.random.fold_in(jax.random.PRNGKey(seed), r * len(ev.modes) + m.index)
            logz[r, j], kept[r, j], fin[r, j] = _bridge_one(
                posterior, lay, log_fold, j, cells, settings, key
            )
    return _result(ev, chosen, smc, logz, kept, fin, settings, time.perf_counter() - t0)


def _smc_shares(lay, ev, cells) -> np.ndarray:
    """(runs, cells): the share of each run's final particles in each cell."""
    theta = np.asarray(ev.samples.theta, dtype=float)
    runs, p, d = theta.shape
    can = np.asarray(lay.canonical(jnp.asarray(theta.reshape(-1, d))))
    near = _cell_of(can, cells).reshape(runs, p)
    return np.stack([(near == j).mean(axis=1) for j in range(len(cells[0]))], axis=1)


def mode_cells(posterior, ev, min_mass: float = 0.01, max_modes: int = 8):
    """(layout, folded log-density, the bridged rows of ``ev.modes``, their cells): the modes
    holding ``min_mass`` of the SMC's particles (at most ``max_modes``) and the arrays of the
    cell rule (centres, Cholesky factors of the precisions, their log dets)."""
    from .network import Layout, folded_log_density

    lay = Layout(posterior)
    log_fold = folded_log_density(posterior, lay)
    chosen = [m for m in ev.modes if m.mass >= min_mass][:max_modes]
    centres = np.stack([m.centre for m in chosen])
    return lay, log_fold, chosen, (centres, *_cells(posterior, lay, log_fold, centres))


def _checked(posterior, ev, Evidence, args: dict) -> dict:
    from .. import validate as v
    from ..posterior import Posterior

    if not isinstance(posterior, Posterior):
        raise ValueError(f"bridge needs a bayes_uat.Posterior, got {type(posterior).__name__}")
    if not isinstance(ev, Evidence):
        raise ValueError(
            f"bridge needs the result of bayes_uat.evidence(posterior, ...), got "
            f"{type(ev).__name__}"
        )
    if ev.samples is not None and ev.samples.theta.shape[-1] != posterior.dim:
        raise ValueError(
            f"the evidence was computed for a posterior of dimension "
            f"{ev.samples.theta.shape[-1]}, not this one's {posterior.dim}; pass the posterior "
            "it was computed for"
        )
    small = 2 * (posterior.dim + 1)
    s = dict(
        repeats=v.integer("repeats", args["repeats"], minimum=2, fix="the SE needs 2 or more"),
        seed=v.seed("seed", args["seed"]),
        max_modes=v.positive_int("max_modes", args["max_modes"]),
        chains=v.positive_int("chains", args["chains"]),
        warmup=v.positive_int("warmup", args["warmup"], fix="pass e.g. warmup=500"),
        draws=v.integer("draws", args["draws"], minimum=small, fix="q_k's covariance needs them"),
        q_draws=v.integer("q_draws", args["q_draws"], minimum=small, fix="pass e.g. 8000"),
        max_tree_depth=v.integer("max_tree_depth", args["max_tree_depth"], minimum=1),
        bandwidth=v.positive_number("bandwidth", args["bandwidth"], fix="pass e.g. 0.25"),
        min_mass=v.number("min_mass", args["min_mass"], minimum=0.0, maximum=1.0),
        target_accept=v.number(
            "target_accept", args["target_accept"], minimum=0.0, maximum=1.0, strict=True
        ),
    )
    if not any(m.mass >= s["min_mass"] for m in ev.modes):
        raise ValueError(
            f"no mode of the evidence's table holds min_mass={s['min_mass']} of its particles; "
            "lower min_mass"
        )
    return s


def _result(ev, chosen, smc, logz, kept, fin, settings, wall) -> BridgeEvidence:
    """The bridge's numbers beside the SMC's (``smc``: its runs' shares of particles in
    the cells, which cover C)."""
    repeats = len(logz)
    total = logsumexp(logz, axis=1)
    share = np.exp(logz - total[:, None])
    se = float(total.std(ddof=1) / math.sqrt(repeats))
    smc_logz = float(ev.log_evidence_mean)
    smc_se = float(ev.log_evidence_se)
    warn = []
    if repeats > 1 and total.std(ddof=1) > 1.0:
        warn.append(
            f"the repeats disagree: log Z spread (SD) {total.std(ddof=1):.2f} nats > 1 (q_k "
            "overlaps the mode too little); the bridge is no check here"
        )
    for j, m in enumerate(chosen):
        if kept[:, j].min() < KEPT_MIN:
            warn.append(
                f"mode {m.index}: only {100 * kept[:, j].min():.0f} % of a repeat's draws lay in "
                "its cell (the chains left the mode): its Z_k is not a bridge over the cell"
            )
        if fin[:, j].min() < 0.01:
            warn.append(
                f"mode {m.index}: {100 * fin[:, j].min():.2f} % of q's draws lay in its cell; "
                "raise q_draws"
            )
    modes = tuple(
        BridgeMode(
            index=m.index, log_mass=logz[:, j], share=float(share[:, j].mean()),
            share_se=float(share[:, j].std(ddof=1) / math.sqrt(repeats)),
            smc_mass=float(smc[:, j].mean()), kept=kept[:, j], q_inside=fin[:, j], mse=m.mse,
        )
        for j, m in enumerate(chosen)
    )  # fmt: skip
    return BridgeEvidence(
        log_evidence=total, log_evidence_mean=float(total.mean()), log_evidence_se=se,
        smc_log_evidence=smc_logz, smc_log_evidence_se=smc_se,
        difference=float(total.mean() - smc_logz), difference_se=float(math.hypot(se, smc_se)),
        modes=modes, warnings=tuple(warn), settings=settings, wall_time=wall,
    )  # fmt: skip
