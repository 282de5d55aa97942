"""One network's evidence as a row of a table: what ``bayes-uat evidence`` prints and writes,
and what the how-many-units study keeps per network."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..posterior import Posterior


@dataclass(frozen=True)
class NetworkEvidence:
    """One network's :func:`bayes_uat.evidence` in a row: log Z over independent runs, the
    largest log-likelihood found (log Z ≤ sup log L), the draws' fit, and what the estimate
    may be missing (maxima seen, Chao1's estimate of those not seen, the share of final
    particles outside the reference q, warnings). ``modes`` holds the mode table as dicts
    (mass ± SE, MSE, canonical centre by parameter name, copies, restarts, runs). The
    ``bridge_*`` numbers (NaN unless asked for) are :func:`~bayes_uat.evidence.bridge.bridge`'s
    log Z over the modes' cells, its SE across repeats and its difference from the SMC's."""

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
    bridge_log_evidence_mean: float = float("nan")
    bridge_log_evidence_se: float = float("nan")
    bridge_minus_smc: float = float("nan")

    def numbers(self) -> dict:
        return asdict(self)


def network_evidence(
    post: Posterior, *, runs: int = 4, seed: int = 0, checkpoint=None, bridge=False, **options
) -> NetworkEvidence:
    """:func:`bayes_uat.evidence` of one network (``options`` are its settings), as a
    :class:`NetworkEvidence` row; with ``bridge``, also per-mode bridge sampling
    (:func:`~bayes_uat.evidence.bridge.bridge`, default settings, the same seed), whose
    warnings join the row's prefixed "bridge: "."""
    import time

    from .network import evidence

    t0 = time.perf_counter()
    ev = evidence(post, runs=runs, seed=seed, checkpoint=checkpoint, **options)
    extra, warnings = {}, tuple(ev.warnings)
    if bridge:
        from .bridge import bridge as run_bridge

        b = run_bridge(post, ev, seed=seed)
        extra = dict(
            bridge_log_evidence_mean=b.log_evidence_mean,
            bridge_log_evidence_se=b.log_evidence_se,
            bridge_minus_smc=b.difference,
        )
        warnings += tuple(f"bridge: {w}" for w in b.warnings)
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
        warnings=warnings,
        log_evidence_runs=tuple(z),
        modes=tuple(modes),
        **extra,
    )
