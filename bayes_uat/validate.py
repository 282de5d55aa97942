"""Checks for user input, one set for the whole package.

Each helper returns the value in its plain Python type or raises a ``ValueError`` that names
the argument, shows the value and says what is accepted (plus an optional ``fix``), so that
errors read the same wherever input enters.

Example
-------
>>> from bayes_uat.validate import integer, number
>>> integer("draws", 1000, minimum=1)
1000
>>> number("prior_std", 30, minimum=0, strict=True)
30.0
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence

import numpy as np

SEED_MAX = 2**32 - 1  # numpy's legacy RandomState (emcee) and JAX keys take 32-bit seeds


def _tail(fix: str) -> str:
    return f"; {fix}" if fix else ""


def integer(
    name: str,
    v,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    fix: str = "",
) -> int:
    """``v`` as an ``int`` when it is an integer (not a bool) in [minimum, maximum]; the
    one integer check of the package. The message names the range, if any."""
    if minimum is None and maximum is None:
        what = ""
    elif maximum is None:
        what = f" >= {minimum}"
    elif minimum is None:
        what = f" <= {maximum}"
    else:
        what = f" in [{minimum}, {maximum}]"
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise ValueError(f"{name} must be an integer{what}, got {v!r}{_tail(fix)}")
    v = int(v)
    if minimum is not None and v < minimum or maximum is not None and v > maximum:
        raise ValueError(f"{name} must be an integer{what}, got {v!r}{_tail(fix)}")
    return v


def positive_int(name: str, v, *, fix: str = "") -> int:
    """``v`` as an ``int`` >= 1."""
    return integer(name, v, minimum=1, fix=fix)


def number(
    name: str,
    v,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strict: bool = False,
    fix: str = "",
) -> float:
    """``v`` as a finite ``float`` in [minimum, maximum] (open interval when ``strict``)."""
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number, got {v!r}{_tail(fix)}")
    v = float(v)
    lo_bad = minimum is not None and (v <= minimum if strict else v < minimum)
    hi_bad = maximum is not None and (v >= maximum if strict else v > maximum)
    if not math.isfinite(v) or lo_bad or hi_bad:
        if minimum == 0 and maximum is None and strict:
            what = "a positive finite number"
        elif maximum is None and minimum is not None:
            what = f"a finite number {'>' if strict else '>='} {minimum}"
        elif minimum is not None:
            what = (
                f"a number in {'(' if strict else '['}{minimum}, {maximum}{')' if strict else ']'}"
            )
        else:
            what = "a finite number"
        raise ValueError(f"{name} must be {what}, got {v!r}{_tail(fix)}")
    return v


def positive_number(name: str, v, *, fix: str = "") -> float:
    """``v`` as a finite ``float`` > 0."""
    return number(name, v, minimum=0, strict=True, fix=fix)


def seed(name: str, v) -> int:
    """An integer seed in [0, 2³² − 1] (the range every backend accepts)."""
    return integer(name, v, minimum=0, maximum=SEED_MAX, fix="pick a seed such as 0 or 12345")


def choice(name: str, v, options: Iterable, *, fix: str = "") -> object:
    """``v`` when it is one of ``options``."""
    options = tuple(options)
    if v not in options:
        raise ValueError(
            f"{name}: unknown value {v!r}; choose one of {', '.join(map(str, options))}{_tail(fix)}"
        )
    return v


# -- network size and memory ------------------------------------------------------------------
def network_dim(units: Sequence[int], in_dim: int = 1, *, inferred_sigma: bool = False) -> int:
    """Number of parameters of a fully connected 1-output network with hidden widths ``units``
    (plus one for an inferred log σ), computed without building it."""
    dim, fan_in = 0, in_dim
    for u in units:
        dim += fan_in * u + u
        fan_in = u
    return dim + fan_in + 1 + int(inferred_sigma)


def available_memory() -> int:
    """Bytes of memory available to a new computation: ``MemAvailable`` from /proc/meminfo on
    Linux, else the physical memory from ``os.sysconf``."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 2**62


# θ draws are held about three times over: the sampler's output, its canonical copy, and the
# record written to disk.  Pointwise log-likelihoods are capped by the record's thinning.
THETA_COPIES = 3
LOGLIK_CAP = 2_000_000


def memory_estimate(*, chains: int, draws: int, dim: int, n: int, in_dim: int = 1) -> dict:
    """Bytes a run needs (float64): θ draws (chains·draws·dim, held :data:`THETA_COPIES`
    times), the pointwise log-likelihood (chains·draws·n, capped as the record thins it),
    the data (n·(d + 1)) and one batched network evaluation (chains·n·dim)."""
    parts = {
        "draws": THETA_COPIES * chains * draws * dim * 8,
        "log-likelihood": min(chains * draws * n, LOGLIK_CAP) * 8 * 2,
        "data": n * (in_dim + 1) * 8,
        "evaluation": chains * n * dim * 8,
    }
    parts["total"] = sum(parts.values())
    return parts


def _gb(b: float) -> str:
    if b >= 1e8:
        return f"{b / 1e9:.3g} GB"
    return f"{b / 1e6:.3g} MB" if b >= 1e5 else f"{b / 1e3:.3g} kB"


def check_memory(*, chains: int, draws: int, dim: int, n: int, in_dim: int = 1) -> int:
    """Raise a ``ValueError`` with the estimate when a run cannot fit in available memory;
    return the estimated bytes otherwise."""
    est = memory_estimate(chains=chains, draws=draws, dim=dim, n=n, in_dim=in_dim)
    avail = available_memory()
    if est["total"] > avail:
        parts = ", ".join(f"{k} {_gb(v)}" for k, v in est.items() if k != "total")
        raise ValueError(
            f"this run needs about {_gb(est['total'])} of memory ({parts}; {chains} chain(s) × "
            f"{draws} draws × {dim} parameters, {n} data points) but {_gb(avail)} is "
            "available; use fewer --draws or --chains, fewer --units, or less data"
        )
    return est["total"]
