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
