"""The evidence per network: log p(D | N units, activation) ± SE by tempered SMC, over a grid.

With normalised prior and likelihood the evidence Z = p(D | network) is comparable across
networks: log Z(N₁) − log Z(N₂) is the log Bayes factor of "N₁ units" against "N₂ units"
(an in-sample, prior-sensitive criterion, beside PSIS-LOO's predictive one).

Example
-------
>>> from bayes_uat import make_dataset
>>> from bayes_uat.studies import evidence_sweep
>>> pts = evidence_sweep(make_dataset("x2", n=50), units=(1, 2), activations=("sigmoid",),
...                      runs=2, particles=64, steps=2)  # doctest: +SKIP
>>> [(p.units, round(p.log_evidence)) for p in pts]  # doctest: +SKIP
[(1, -161), (2, -157)]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from ..activations import ACTIVATIONS
from ..data import Dataset
from ..nets import MLP
from ..posterior import Posterior
from ..samplers.smc import SMCSettings, check_settings, resolved_mass, run_smc
from ._common import _log, _positive_int, _units


@dataclass(frozen=True)
class EvidencePoint:
    """log Z of one network: mean over independent SMC runs, its SE, and the runs."""

    units: int
    activation: str
    log_evidence: float
    log_evidence_se: float
    log_evidence_runs: tuple[float, ...]
    temperatures: tuple[int, ...]
    wall_time: float
    mass: str = ""  # the SMC mass matrix used (samplers.smc.resolved_mass)
    mse_median: tuple[float, ...] = ()  # per run: median training MSE of its particles

    def numbers(self) -> dict:
        return asdict(self)


def evidence_sweep(
    data: Dataset,
    units: Sequence[int] = (1, 2, 4, 8),
    activations: Sequence[str] = ("sigmoid", "tanh"),
    *,
    prior_std: float = 30.0,
    likelihood: str = "mse",
    noise_std: float | None = None,
    runs: int = 4,
    particles: int = 1000,
    steps: int = 10,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
    **smc_options,
) -> list[EvidencePoint]:
    """log p(D | N, activation) ± SE for every N in ``units`` and every activation, each
    from ``runs`` independent tempered SMC runs of ``particles`` particles (at least
    2·dim of the largest network, or a ValueError before any run).
    ``smc_options`` are further :class:`~bayes_uat.samplers.smc.SMCSettings` fields (e.g.
    ``mass``, ``symmetry_moves``), checked before the first run."""
    units = _units(units)
    runs = _positive_int("runs", runs)
    particles = _positive_int("particles", particles)
    if isinstance(activations, str) or not activations:
        raise ValueError(f"activations must be a non-empty list of names, got {activations!r}")
    for a in activations:
        if a not in ACTIVATIONS:
            raise ValueError(f"unknown activation {a!r}: choose from {', '.join(ACTIVATIONS)}")
    posts = [
        (
            n,
            a,
            Posterior(
                MLP(n, a), data, prior_std=prior_std, likelihood=likelihood, noise_std=noise_std
            ),
        )
        for a in activations
        for n in units
    ]  # fmt: skip  (every input checked before the first run)
    unknown = sorted(set(smc_options) - set(SMCSettings._fields))
    if unknown:
        raise ValueError(
            f"unknown SMC option(s) {unknown}; pass particles and steps as arguments, others "
            f"from {list(SMCSettings._fields)}"
        )
    settings = [
        SMCSettings(particles=particles, steps=steps, **smc_options) for _, _, post in posts
    ]
    for (_, _, post), st in zip(posts, settings):  # every setting checked before the first run
        resolved_mass(post, check_settings(st, post.dim))
    out = []
    for (n, a, post), st in zip(posts, settings):
        res = run_smc(post, runs=runs, settings=st, seed=seed)
        i = res.info
        out.append(
            EvidencePoint(
                n,
                a,
                i["log_evidence_mean"],
                i["log_evidence_se"],
                tuple(i["log_evidence"]),
                tuple(i["temperatures"]),
                i["wall_time"],
                i["mass"],
                tuple(float(v) for v in np.median(np.asarray(post.mse(res.theta)), axis=1)),
            )  # fmt: skip
        )
        _log(log, f"{a} N={n}: log Z = {i['log_evidence_mean']:.2f} ± {i['log_evidence_se']:.2f}")
    return out


@dataclass(frozen=True)
class NetworkEvidence:
    """One network's :func:`bayes_uat.evidence` in a row: log Z over independent runs, the
    largest log-likelihood found (log Z ≤ sup log L), the draws' fit, and what the estimate
    may be missing (modes seen, Chao1's estimate of those not seen, the share of final
    particles outside the reference q, warnings). ``modes`` holds the mode table as dicts
    (mass ± SE, MSE, canonical centre by parameter name, copies, restarts, runs)."""

    activation: str
    units: int
    dim: int
    runs: int
    log_evidence_mean: float
    log_evidence_se: float
    log_evidence_sd: float
    max_log_likelihood: float
    best_mse: float
    median_mse: float
    modes_seen: int
    chao1_unseen: float
    share_outside: float
    wall_time: float
    warnings: tuple[str, ...]
    log_evidence_runs: tuple[float, ...]
    modes: tuple[dict, ...] = ()

    def numbers(self) -> dict:
        return asdict(self)


def network_evidence(
    post: Posterior, *, runs: int = 4, seed: int = 0, checkpoint=None, **options
) -> NetworkEvidence:
    """:func:`bayes_uat.evidence` of one network (``options`` are its settings), as a
    :class:`NetworkEvidence` row."""
    import time

    from ..evidence import evidence

    t0 = time.perf_counter()
    ev = evidence(post, runs=runs, seed=seed, checkpoint=checkpoint, **options)
    wall = time.perf_counter() - t0
    z = [float(v) for v in np.asarray(ev.log_evidence)]
    mse = np.asarray(post.mse(np.asarray(ev.samples.theta).reshape(-1, post.dim)))
    modes = []
    for m in ev.modes:
        d = m.to_dict(post.names)
        centre = d.pop("centre")
        modes.append(dict(d, **{f"centre_{k}": v for k, v in centre.items()}))
    return NetworkEvidence(
        activation=post.net.activation,
        units=int(post.net.units[0]),
        dim=post.dim,
        runs=len(z),
        log_evidence_mean=float(ev.log_evidence_mean),
        log_evidence_se=float(ev.log_evidence_se),
        log_evidence_sd=float(np.std(z, ddof=1)) if len(z) > 1 else float("nan"),
        max_log_likelihood=float(ev.max_log_likelihood),
        best_mse=float(mse.min()),
        median_mse=float(np.median(mse)),
        modes_seen=int(ev.modes_seen),
        chao1_unseen=float(ev.chao1) - int(ev.modes_seen),
        share_outside=float(np.max(np.asarray(ev.outside_share))),
        wall_time=wall,
        warnings=tuple(ev.warnings),
        log_evidence_runs=tuple(z),
        modes=tuple(modes),
    )
