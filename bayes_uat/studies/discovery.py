"""Mode discovery with many short chains (as in Wiese et al. 2023): how many chains it takes
to reach every mode of a posterior.

:func:`discover_modes` trains SGD restarts, runs one short NUTS chain from each and groups
what they reached with :func:`~bayes_uat.modes.find_modes`; :class:`Discovery` answers the
probability that k chains drawn at random reach every mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np

from ..modes import ModeSet, find_modes
from ..optimize import train_sgd
from ..posterior import Posterior
from ..samplers import sample
from ..samples import Samples


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
