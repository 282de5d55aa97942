"""The one result type every sampler returns.

Example
-------
>>> import numpy as np
>>> from bayes_uat import Samples
>>> s = Samples(theta=np.zeros((2, 5, 3)), log_density=np.zeros((2, 5)), sampler="nuts",
...             names=("w", "b", "c"))
>>> s.chains, s.draws, s.dim
(2, 5, 3)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np


@dataclass(frozen=True)
class Samples:
    """Posterior draws of θ and what the sampler reported about them.

    Attributes:
        theta: draws, shape (chains, draws, dim).  For ensemble samplers (emcee, AIES) the
            "chains" are walkers, which are not independent chains.
        log_density: the log-density log p(θ | D) + const of each draw, shape
            (chains, draws), the quantity :meth:`Posterior.log_density` computes.
        sampler: the sampler's name (``"nuts"``, ``"ensemble"``, ``"emcee"``, ``"aies"``,
            ``"smc"``).
        names: parameter names, in θ order.
        stats: per-draw sampler statistics, each of shape (chains, draws)
            (NUTS: ``diverging``, ``num_steps``, ``tree_depth``, ``accept_prob``,
            ``step_size``, ``energy``; ensembles: ``accepted``).
        info: run-level facts (acceptance fractions, autocorrelation times, warm-up length,
            chain method, ...), JSON-serialisable.
        settings: the sampler settings, JSON-serialisable.
        wall_time: seconds spent sampling (warm-up included).
        seed: the integer seed of the run.
    """

    theta: np.ndarray
    log_density: np.ndarray
    sampler: str
    names: tuple[str, ...]
    stats: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    wall_time: float = 0.0
    seed: int = 0

    def __post_init__(self):
        theta = np.asarray(self.theta, dtype=float)
        lp = np.asarray(self.log_density, dtype=float)
        if theta.ndim != 3:
            raise ValueError(f"theta must have shape (chains, draws, dim), got {theta.shape}")
        if lp.shape != theta.shape[:2]:
            raise ValueError(f"log_density must have shape {theta.shape[:2]}, got {lp.shape}")
        if len(self.names) != theta.shape[2]:
            raise ValueError(f"{len(self.names)} names for {theta.shape[2]} parameters")
        object.__setattr__(self, "theta", theta)
        object.__setattr__(self, "log_density", lp)
        object.__setattr__(self, "names", tuple(self.names))
        object.__setattr__(self, "stats", {k: np.asarray(v) for k, v in self.stats.items()})

    @property
    def chains(self) -> int:
        return int(self.theta.shape[0])

    @property
    def draws(self) -> int:
        return int(self.theta.shape[1])

    @property
    def dim(self) -> int:
        return int(self.theta.shape[2])

    def flat(self) -> np.ndarray:
        """All draws as one (chains·draws, dim) array."""
        return self.theta.reshape(-1, self.dim)

    @property
    def map_index(self) -> tuple[int, int]:
        """(chain, draw) of the highest-log-probability draw."""
        lp = np.where(np.isfinite(self.log_density), self.log_density, -np.inf)
        c, d = np.unravel_index(int(np.argmax(lp)), lp.shape)
        return int(c), int(d)

    @property
    def map_theta(self) -> np.ndarray:
        """The maximum-probability draw (the blog's "MCMC max prob" model)."""
        c, d = self.map_index
        return self.theta[c, d]

    def thin(self, every: int) -> Samples:
        """Every ``every``-th draw of each chain."""
        if every < 1:
            raise ValueError(f"thinning step must be >= 1, got {every}")
        return self._select(slice(None, None, every))

    def head(self, draws: int) -> Samples:
        """The first ``draws`` draws of each chain."""
        return self._select(slice(None, draws))

    def _select(self, index: slice) -> Samples:
        return replace(
            self,
            theta=self.theta[:, index],
            log_density=self.log_density[:, index],
            stats={k: v[:, index] for k, v in self.stats.items()},
        )

    def concat(self, other: Samples) -> Samples:
        """These draws followed by ``other``'s (same chains), e.g. for chunked runs."""
        if other.theta.shape[0] != self.chains or other.dim != self.dim:
            raise ValueError("can only concatenate samples with the same chains and dim")
        return replace(
            self,
            theta=np.concatenate([self.theta, other.theta], axis=1),
            log_density=np.concatenate([self.log_density, other.log_density], axis=1),
            stats={
                k: np.concatenate([v, other.stats[k]], axis=1)
                for k, v in self.stats.items()
                if k in other.stats
            },
            wall_time=self.wall_time + other.wall_time,
        )
