"""The evidence log p(D | network) and the mass of every mode, from the modes SGD finds.

``bu.evidence(post, runs=4, seed=0)`` runs R independent estimates. Each run

1. does its own census: many vmapped Adam restarts (:func:`~bayes_uat.train_sgd`), each
   refined to a local MAP, put in canonical form (units oriented and sorted by their step
   location) and grouped into distinct modes;
2. builds a reference q on the canonical domain: a mixture of multivariate Student-t
   components at the modes, with covariances from a regularised, inflated Laplace fit
   and weights from each mode's Laplace mass, so that q is close to the posterior;
3. runs adaptive tempered SMC (blackjax) from q (λ = 0) to the posterior (λ = 1) through
   p_λ ∝ q^(1−λ) p̃^λ; q is normalised, so log Z is the sum of the log mean incremental
   weights. Particles move by independence Metropolis–Hastings proposals from q (between
   modes at once) and HMC with each component's covariance as its metric.

The posterior is invariant under the network's symmetry group G (unit permutations, and
sign or complement flips), so Z = ∫ p̃ = ∫ over the canonical domain C of Σ_g p̃(g·u): the
runs work on C with that folded density, exactly, and never enumerate G. The method, its
checks and its measured agreement with outside references: docs/evidence.md.

:func:`~bayes_uat.evidence.bridge.bridge` (``from bayes_uat.evidence import bridge``) is an
independent check of a result: per-mode bridge sampling from NUTS draws inside its modes.

:mod:`bayes_uat.evidence.core` is the estimator for any log-density and starting modes
(tested on planted targets that are not networks); :mod:`bayes_uat.evidence.network`
builds the census, the folded density and the mode table for networks.

Note: ``bayes_uat.evidence`` in the package namespace is the function; import names from
this module with ``from bayes_uat.evidence import Evidence``.
"""

from .bridge import BridgeEvidence, BridgeMode, bridge
from .network import evidence
from .result import Evidence, ModeRow, chao1
from .table import NetworkEvidence, network_evidence

__all__ = [
    "evidence",
    "Evidence",
    "ModeRow",
    "chao1",
    "NetworkEvidence",
    "network_evidence",
    "bridge",
    "BridgeEvidence",
    "BridgeMode",
]
