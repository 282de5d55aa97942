"""The numbers behind the write-up's studies: pure functions, no figures.

Each study returns small frozen records that :mod:`bayes_uat.plots` draws and that the
scripts in ``scripts/study_*.py`` write to JSON (``.numbers()``).  One module per study;
every public name is re-exported here (``from bayes_uat.studies import unit_sweep``):

``sweep`` — :func:`unit_sweep`, :func:`sweep_claims`, :func:`mean_predictor_check`
    the blog's sweep over the number of hidden units N (seed 003): for every N, SGD with
    restarts, a short posterior run, posterior bands of f(x) on an extrapolation grid,
    the mean residual ⟨|Δy|⟩, PSIS-LOO (ArviZ) and SGD's train and held-out errors.
``bump`` — :func:`bump_study`
    seed 001's square bump: a ReLU network against polynomial and Fourier least-squares
    fits with the same number of parameters, inside and outside the data range.
``sawtooth`` — :func:`sawtooth_study`
    seed 001's depth separation: deep-narrow against shallow-wide ReLU networks with equal
    parameter counts on a sawtooth, plus the exact deep construction (Telgarsky 2016).
``approximation`` — :class:`ApproxResult`, :func:`spread_init`
    what the bump and sawtooth studies share: their record, the spread initialisation,
    training with restarts and per-family bookkeeping.
``seed000`` — :func:`seed000_study`
    seed 000's 5, 50 and 500 units fitted to a drawn-style curve, with θ snapshots taken
    during training (:func:`sgd_history`) for the animation.
``training`` — :func:`sgd_history`, :class:`TrainingHistory`
    θ snapshots while training one restart.
``evidence`` — :func:`evidence_sweep`, :func:`network_evidence`
    log p(D | N units, activation) ± SE by tempered SMC from the prior over units ×
    activations; one network's :func:`bayes_uat.evidence` as a table row.
``spectral`` — :func:`spectral_study`, :func:`spectral_claims`
    seed 001's spectral bias: residual spectra over Adam steps, prior and posterior power
    spectra, for relu, tanh, sigmoid, sin, hat and relu on Fourier features.
``closeup`` — :func:`mode_run`, :func:`copy_index`, :func:`complement_ratios`, :func:`halves_z`
    a NUTS run whose chains start from different SGD restarts: the modes SGD lands in; which
    raw copy of a two-unit network a draw sits in, and the sigmoid complement copies' masses
    against the importance identity; two halves of independent runs compared.
``discovery`` — :func:`discover_modes`, :class:`Discovery`, :func:`chain_visits`
    many short NUTS chains from SGD starts, and how many chains it takes to reach every mode.

Shared private helpers (argument checks, progress lines, sampler starts) live in
``_common``.

Example
-------
>>> from bayes_uat.studies import unit_sweep
>>> points = unit_sweep("x2", units=(1, 2), draws=50, warmup=50)  # doctest: +SKIP
>>> [round(p.residual_sgd, 2) for p in points]  # doctest: +SKIP
[4.39, 0.67]
"""

from ..evidence.table import NetworkEvidence, network_evidence
from .approximation import ApproxResult, spread_init
from .bump import bump_relu_theta, bump_study
from .closeup import complement_ratios, copy_index, halves_z, mode_run
from .discovery import Discovery, chain_visits, discover_modes
from .evidence import EvidencePoint, evidence_sweep
from .sawtooth import SAWTOOTH_PAIRS, sawtooth_study, telgarsky_theta
from .seed000 import SEED000_TARGET, Seed000Result, seed000_study
from .spectral import SpectralResult, spectral_claims, spectral_study
from .sweep import (
    LEVELS,
    SweepPoint,
    heldout_dataset,
    mean_abs_noise,
    mean_predictor_check,
    noise_variance,
    sweep_claims,
    unit_sweep,
)
from .training import TrainingHistory, sgd_history

__all__ = [
    "LEVELS",
    "SweepPoint",
    "unit_sweep",
    "sweep_claims",
    "mean_predictor_check",
    "mean_abs_noise",
    "noise_variance",
    "heldout_dataset",
    "TrainingHistory",
    "sgd_history",
    "SEED000_TARGET",
    "Seed000Result",
    "seed000_study",
    "ApproxResult",
    "spread_init",
    "bump_relu_theta",
    "bump_study",
    "SAWTOOTH_PAIRS",
    "telgarsky_theta",
    "sawtooth_study",
    "mode_run",
    "copy_index",
    "complement_ratios",
    "halves_z",
    "EvidencePoint",
    "evidence_sweep",
    "NetworkEvidence",
    "network_evidence",
    "SpectralResult",
    "spectral_claims",
    "spectral_study",
    "Discovery",
    "discover_modes",
    "chain_visits",
]
