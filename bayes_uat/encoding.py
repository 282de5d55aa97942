"""Fourier-feature input encodings (Tancik et al. 2020) for :class:`~bayes_uat.MLP`.

With frequencies f₁ … f_K (in cycles per data range) and the input rescaled to the data range,
u = (x − lo)/(hi − lo) ∈ [0, 1], the network sees

    γ(x) = [sin(2π f₁ u), …, sin(2π f_K u), cos(2π f₁ u), …, cos(2π f_K u)]

instead of x, so its first layer has fan-in 2K (2K·d for d-dimensional x, each coordinate
encoded alike).  Frequencies are either deterministic, ``kind="integer"``: 1, 2, …, K (the
first K harmonics of the data range), or fixed random, ``kind="gaussian"``: |g| with
g ~ N(0, scale²) drawn once from numpy's generator with ``seed`` (Tancik et al.'s Gaussian
features; ``scale`` sets the bandwidth).  An explicit sequence of positive frequencies is used
as given.

Example
-------
>>> import numpy as np
>>> from bayes_uat import MLP
>>> from bayes_uat.encoding import FourierFeatures
>>> enc = FourierFeatures(3)
>>> enc.frequencies
(1.0, 2.0, 3.0)
>>> net = MLP(4, "relu", encoding=enc)
>>> net.fan_in, net.dim
(6, 33)
>>> np.asarray(enc(np.array([[0.25]]))).round(3).tolist()
[[1.0, 0.0, -1.0, 0.0, -1.0, -0.0]]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

KINDS = ("integer", "gaussian")


def _frequencies(frequencies, kind: str, scale: float, seed: int) -> tuple[float, ...]:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: choose one of {', '.join(KINDS)}")
    if isinstance(frequencies, bool):
        raise ValueError(f"frequencies must be a count K or a sequence, got {frequencies!r}")
    if isinstance(frequencies, (int, np.integer)):
        k = int(frequencies)
        if k < 1:
            raise ValueError(
                f"frequencies={k}: an encoding with zero frequencies has no features; "
                "pass K ≥ 1, e.g. FourierFeatures(8)"
            )
        if kind == "integer":
            return tuple(float(f) for f in range(1, k + 1))
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"scale must be a positive number for kind='gaussian', got {scale!r}")
        g = np.abs(np.random.default_rng(seed).normal(0.0, scale, k))
        return tuple(float(f) for f in np.sort(g))
    try:
        freqs = np.asarray(frequencies, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ValueError(
            f"frequencies must be a count K or a sequence of numbers, got {frequencies!r}"
        ) from None
    if freqs.size == 0:
        raise ValueError(
            "frequencies is empty: an encoding with zero frequencies has no features; "
            "give at least one, e.g. FourierFeatures([1, 2, 4])"
        )
    if not np.all(np.isfinite(freqs) & (freqs > 0)):
        raise ValueError(
            f"frequencies must be positive and finite (cycles per data range), got "
            f"{freqs.tolist()}; a zero frequency gives a constant feature, drop it"
        )
    return tuple(float(f) for f in freqs)


@dataclass(frozen=True, init=False)
class FourierFeatures:
    """Sinusoidal features of x at fixed frequencies (see the module docstring).

    Args:
        frequencies: a count K (with ``kind``) or an explicit sequence of positive
            frequencies, in cycles per data range.
        kind: ``"integer"`` (1 … K, default) or ``"gaussian"`` (|N(0, scale²)|, sorted).
        scale: standard deviation of the Gaussian frequencies.
        seed: seed of the Gaussian frequencies (numpy ``default_rng``).
        x_range: (lo, hi), the data range mapped to [0, 1] before encoding.

    Only the resulting ``frequencies`` and ``x_range`` are kept (and compared).
    """

    frequencies: tuple[float, ...]
    x_range: tuple[float, float]

    def __init__(
        self,
        frequencies: int | Sequence[float] = 8,
        *,
        kind: str = "integer",
        scale: float = 10.0,
        seed: int = 0,
        x_range: tuple[float, float] = (0.0, 1.0),
    ):
        freqs = _frequencies(frequencies, kind, float(scale), int(seed))
        try:
            lo, hi = (float(v) for v in x_range)
        except (TypeError, ValueError):
            raise ValueError(f"x_range must be two numbers (lo, hi), got {x_range!r}") from None
        if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
            raise ValueError(f"x_range must be finite with hi > lo, got {x_range!r}")
        object.__setattr__(self, "frequencies", freqs)
        object.__setattr__(self, "x_range", (lo, hi))

    @property
    def k(self) -> int:
        """Number of frequencies K."""
        return len(self.frequencies)

    def dim(self, in_dim: int = 1) -> int:
        """Number of features for ``in_dim``-dimensional x: 2·K·in_dim."""
        return 2 * self.k * in_dim

    def __call__(self, x):
        """Features of x of shape (n, d): shape (n, 2·K·d), sines then cosines per coordinate."""
        lo, hi = self.x_range
        u = (jnp.asarray(x) - lo) / (hi - lo)
        f = jnp.asarray(self.frequencies, dtype=u.dtype)
        phase = 2.0 * jnp.pi * u[..., None] * f  # (n, d, K)
        feats = jnp.concatenate([jnp.sin(phase), jnp.cos(phase)], axis=-1)  # (n, d, 2K)
        return feats.reshape(feats.shape[:-2] + (-1,))

    def feature_names(self, in_dim: int = 1) -> list[str]:
        """Names for printed equations: ``s1 … sK, c1 … cK`` (``s1_2`` … for coordinate 2)."""
        out = []
        for j in range(in_dim):
            tail = "" if in_dim == 1 else f"_{j + 1}"
            out += [f"s{i + 1}{tail}" for i in range(self.k)]
            out += [f"c{i + 1}{tail}" for i in range(self.k)]
        return out

    def config(self) -> dict:
        """JSON-serialisable settings; ``FourierFeatures.from_config`` rebuilds the encoding."""
        return dict(frequencies=list(self.frequencies), x_range=list(self.x_range))

    @classmethod
    def from_config(cls, cfg: dict) -> FourierFeatures:
        return cls(cfg["frequencies"], x_range=tuple(cfg["x_range"]))
