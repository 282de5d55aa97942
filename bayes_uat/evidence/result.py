"""What :func:`bayes_uat.evidence` returns: log Z per independent run, the mode table and
the diagnostics that say what the estimate may be missing."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..samples import Samples


@dataclass(frozen=True)
class ModeRow:
    """One distinct (canonical) mode of the posterior, pooled over the independent runs.

    Attributes:
        index: position in :attr:`Evidence.modes` (highest mass first).
        mass: posterior mass: mean over runs of the share of the run's final particles
            nearest to this mode (Mahalanobis distance under the mode's covariance).
        mass_se: standard error of ``mass`` from the spread across runs (NaN for one run).
        mse: training MSE of the network at the mode's centre.
        log_density: log p(θ | D) + const (prior × likelihood, normalised) at the centre.
        centre: the canonical θ of the mode (units oriented and sorted by their step
            location, :func:`bayes_uat.symmetry.canonicalize`).
        copies: symmetric copies of the mode in weight space (N!·2^N for odd units and the
            sigmoid, N! otherwise; the sigmoid's complement copies differ in prior mass).
        restarts: SGD restarts, over all runs' censuses, whose refined MAP is this mode.
        runs_found: how many runs' censuses found it (a run that did not has no component
            of its reference at this mode).
    """

    index: int
    mass: float
    mass_se: float
    mse: float
    log_density: float
    centre: np.ndarray
    copies: int
    restarts: int
    runs_found: int

    def to_dict(self, names=()) -> dict:
        centre = self.centre.tolist()
        return dict(
            index=self.index,
            mass=self.mass,
            mass_se=self.mass_se,
            mse=self.mse,
            log_density=self.log_density,
            centre=dict(zip(names, centre)) if names else centre,
            copies=self.copies,
            restarts=self.restarts,
            runs_found=self.runs_found,
        )


@dataclass(frozen=True)
class Evidence:
    """The evidence log p(D | network) from independent runs, and its modes.

    Attributes:
        log_evidence: log Z of each independent run (each with its own SGD census, its own
            reference distribution and its own tempered SMC), shape (runs,).
        log_evidence_mean: their mean.
        log_evidence_se: their standard deviation / √runs (NaN for one run): the error bar;
            never an error that one run states about itself.
        samples: the final equally weighted particles of every run as posterior draws,
            θ of shape (runs, draws, dim), spread over the symmetric copies at random
            (``samples.info["independent_runs"]`` is True, so :func:`~bayes_uat.find_modes`
            gives masses with SE).
        modes: the distinct modes, highest mass first (:class:`ModeRow`).
        is_log_evidence: per run, the plain importance-sampling estimate log mean p̃/q
            over draws from the run's reference q (a cheap cross-check of log Z).
        modes_seen: distinct maxima found by all censuses together (a census's restarts
            that stopped short of a maximum are not counted).
        chao1: Chao1 estimate of the number of modes, S + f₁²/(2 f₂) from the numbers of
            modes found by exactly one (f₁) and two (f₂) restarts; ≥ ``modes_seen``.
        outside_share: per run, the share of final particles outside every component of
            the run's reference (squared Mahalanobis distance beyond the χ²_d 0.999
            quantile): mass that the reference does not describe.
        max_log_likelihood: the largest log-likelihood found (census and particles): log Z
            can never exceed it (normalised prior).
        ess_path: per run, the ESS of the incremental weights at every temperature.
        temperatures: per run, the temperatures λ visited.
        evaluations: per run, the log-density evaluations spent (census excluded).
        census_evaluations: per run, the log-density gradient evaluations of its census
            (SGD steps × restarts plus the MAP refinements).
        warnings: what may be wrong ("may be missing mass", a violated bound, ...).
        settings: the settings of the call (JSON-serialisable).
        wall_time: seconds for the whole call.
    """

    log_evidence: np.ndarray
    log_evidence_mean: float
    log_evidence_se: float
    samples: Samples
    modes: tuple[ModeRow, ...]
    is_log_evidence: np.ndarray
    modes_seen: int
    chao1: float
    outside_share: np.ndarray
    max_log_likelihood: float
    ess_path: tuple = ()
    temperatures: tuple = ()
    evaluations: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    census_evaluations: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    warnings: tuple[str, ...] = ()
    settings: dict = field(default_factory=dict)
    wall_time: float = 0.0

    @property
    def runs(self) -> int:
        return int(len(self.log_evidence))

    def to_dict(self) -> dict:
        """Everything but the draws, JSON-serialisable."""
        names = self.samples.names if self.samples is not None else ()
        return dict(
            log_evidence=np.asarray(self.log_evidence).tolist(),
            log_evidence_mean=self.log_evidence_mean,
            log_evidence_se=self.log_evidence_se,
            is_log_evidence=np.asarray(self.is_log_evidence).tolist(),
            modes=[m.to_dict(names) for m in self.modes],
            modes_seen=self.modes_seen,
            chao1=self.chao1,
            outside_share=np.asarray(self.outside_share).tolist(),
            max_log_likelihood=self.max_log_likelihood,
            ess_path=[list(map(float, e)) for e in self.ess_path],
            temperatures=[list(map(float, t)) for t in self.temperatures],
            evaluations=np.asarray(self.evaluations).tolist(),
            census_evaluations=np.asarray(self.census_evaluations).tolist(),
            warnings=list(self.warnings),
            settings=self.settings,
            wall_time=self.wall_time,
        )

    def __str__(self) -> str:
        runs = ", ".join(f"{v:.2f}" for v in self.log_evidence)
        lines = [
            f"log p(D) = {self.log_evidence_mean:.2f} ± {self.log_evidence_se:.2f} "
            f"({self.runs} independent runs: {runs})",
            f"{self.modes_seen} distinct maxima seen (Chao1 estimate {self.chao1:.1f}); "
            f"particles outside the reference: {100 * float(np.max(self.outside_share)):.2f} % "
            "at most",
        ]
        for m in self.modes:
            se = "" if not math.isfinite(m.mass_se) else f" ± {m.mass_se:.3f}"
            lines.append(
                f"  mode {m.index}: mass {m.mass:.3f}{se}, MSE {m.mse:.4g}, "
                f"log p {m.log_density:.2f}, {m.restarts} restart(s), "
                f"found by {m.runs_found} run(s)"
            )
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def chao1(restart_counts) -> float:
    """Chao1 lower-bound estimate of the number of distinct modes from how many restarts
    found each seen mode: S + f₁²/(2 f₂), or S + f₁(f₁ − 1)/2 when no mode was seen twice.

    >>> chao1([5, 1, 1, 2])
    5.0
    >>> chao1([3, 3])
    2.0
    """
    c = np.asarray(restart_counts, dtype=int)
    s, f1, f2 = int((c > 0).sum()), int((c == 1).sum()), int((c == 2).sum())
    if f2 > 0:
        return float(s + f1 * f1 / (2.0 * f2))
    return float(s + f1 * (f1 - 1) / 2.0)
