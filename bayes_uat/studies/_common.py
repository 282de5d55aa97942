"""Helpers shared by the study modules: argument checks, progress lines, the RMSE, and the
start of a posterior run from SGD restarts."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..optimize import SGDResult
from ..posterior import Posterior
from ..validate import positive_int


def _log(log: Callable[[str], None] | None, msg: str) -> None:
    if log is not None:
        log(msg)


def _positive_int(name: str, v) -> int:
    return positive_int(name, v)


def _units(units) -> tuple[int, ...]:
    try:
        out = tuple(units)
    except TypeError:
        raise ValueError(f"units must be a sequence of positive integers, got {units!r}") from None
    if not out:
        raise ValueError("units is empty: give at least one number of hidden units")
    return tuple(_positive_int("each entry of units", u) for u in out)


def _rmse(a, b) -> float:
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def _start_points(post: Posterior, sgd: SGDResult) -> np.ndarray:
    """SGD restarts as sampler starts: with σ inferred, its log σ entry is set to the
    maximum-likelihood value √MSE instead of the untrained initial value."""
    th = np.array(sgd.thetas, dtype=float)
    if post.infers_sigma:
        mse = np.asarray(post.mse(th), dtype=float)
        th[:, -1] = 0.5 * np.log(np.maximum(mse, 1e-12))
    return th


def _chain_method(chains: int) -> str:
    """One NUTS chain per device where there are enough devices (on CPU: set XLA_FLAGS=
    --xla_force_host_platform_device_count before JAX starts); it also compiles faster."""
    import jax

    return "parallel" if chains > 1 and jax.local_device_count() >= chains else "vectorized"
