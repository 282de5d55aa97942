"""Data sets: named target curves with noise, expressions, or (x, y) files.

Named targets (default range, size and noise reproduce the seeds):

=========  ==============================  =========  =====  ==================
name       f(x)                            x range    n      noise
=========  ==============================  =========  =====  ==================
x2         x²                              [−5, 5]    500    0.5·U(0, 1) (blog)
sin        sin x                           [−10, 10]  1000   0.2·U(0, 1) (blog)
abs        |x|                             [−5, 5]    500    N(0, 0.1²)
bump       1 on |x| < 1, else 0            [−2, 2]    400    N(0, 0.05²)
sawtooth   triangle wave, 4 teeth on [0,1]  [0, 1]     400    N(0, 0.02²)
step       1 for x > 0, else 0             [−2, 2]    400    N(0, 0.05²)
=========  ==============================  =========  =====  ==================

Any other string is read as an expression in x (see :mod:`bayes_uat.expr`).

The blog's uniform noise ``y = f(x) + s·U(0, 1)`` is not zero-mean: it shifts the curve up
by s/2, which the fitted output bias absorbs.

Example
-------
>>> from bayes_uat import make_dataset
>>> data = make_dataset("x2", seed=0)
>>> data.x.shape, data.target
((500,), 'x2')
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from .expr import parse_expression

NOISES = ("uniform", "gaussian", "none")


@dataclass(frozen=True)
class _Target:
    fn: Callable
    x_range: tuple[float, float]
    n: int
    noise: str
    noise_scale: float


TARGETS: dict[str, _Target] = {
    "x2": _Target(lambda x: x**2, (-5.0, 5.0), 500, "uniform", 0.5),
    "sin": _Target(jnp.sin, (-10.0, 10.0), 1000, "uniform", 0.2),
    "abs": _Target(jnp.abs, (-5.0, 5.0), 500, "gaussian", 0.1),
    "bump": _Target(
        lambda x: jnp.where(jnp.abs(x) < 1.0, 1.0, 0.0), (-2.0, 2.0), 400, "gaussian", 0.05
    ),
    "sawtooth": _Target(
        lambda x: 1.0 - 2.0 * jnp.abs(jnp.mod(4.0 * x, 1.0) - 0.5),
        (0.0, 1.0),
        400,
        "gaussian",
        0.02,
    ),
    "step": _Target(lambda x: jnp.where(x > 0, 1.0, 0.0), (-2.0, 2.0), 400, "gaussian", 0.05),
}


def target_function(target: str) -> Callable:
    """The noise-free curve for a target name or expression."""
    if target in TARGETS:
        return TARGETS[target].fn
    if target.isidentifier() and target != "x":
        raise ValueError(
            f"unknown target {target!r}: choose one of {', '.join(TARGETS)}, or "
            "give an expression in x such as 'sin(x) + 0.5*x**2'"
        )
    return parse_expression(target)


def _check_finite_array(name: str, v, ndim: tuple[int, ...]) -> np.ndarray:
    try:
        arr = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric, got {type(v).__name__}") from None
    if arr.ndim not in ndim:
        raise ValueError(
            f"{name} must have {' or '.join(map(str, ndim))} dimensions, got shape {arr.shape}"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: a data set needs at least one point")
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.argwhere(bad)[0][0])
        raise ValueError(
            f"{name} has {int(bad.sum())} non-finite value(s) (NaN or inf), first at index {i}; "
            "drop or impute those rows before building the data set"
        )
    return arr


@dataclass(frozen=True)
class Dataset:
    """Observed points (x, y) and, when known, the target they were drawn from.

    Attributes:
        x: inputs, shape (n,) for 1-D input or (n, d).
        y: outputs, shape (n,).
        target: target name or expression, or None for loaded data.
        noise, noise_scale, seed: how y was drawn (for the record).
        source: where the data came from (a file path, or "generated").
    """

    x: np.ndarray
    y: np.ndarray
    target: str | None = None
    noise: str = "none"
    noise_scale: float = 0.0
    seed: int | None = None
    source: str = "generated"
    _fn: Callable | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        x = _check_finite_array("x", self.x, (1, 2))
        y = _check_finite_array("y", self.y, (1,))
        if x.shape[0] != y.shape[0]:
            raise ValueError(
                f"x and y must have the same length, got {x.shape[0]} and {y.shape[0]}"
            )
        x.flags.writeable = False
        y.flags.writeable = False
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)
        if self.target is not None:
            object.__setattr__(self, "_fn", target_function(self.target))

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    @property
    def in_dim(self) -> int:
        return 1 if self.x.ndim == 1 else int(self.x.shape[1])

    @property
    def x_range(self) -> tuple[float, float]:
        return float(self.x.min()), float(self.x.max())

    @property
    def target_fn(self) -> Callable | None:
        """The noise-free target f(x), or None when unknown."""
        return self._fn

    def grid(self, n: int = 200, *, extrapolate: float = 1.0) -> np.ndarray:
        """An evenly spaced 1-D grid over the data range widened ``extrapolate``-fold
        about its centre (2.0 = twice the data range)."""
        lo, hi = self.x_range
        mid, half = (lo + hi) / 2, (hi - lo) / 2 * extrapolate
        return np.linspace(mid - half, mid + half, n)


def make_dataset(
    target: str = "x2",
    *,
    n: int | None = None,
    x_range: tuple[float, float] | None = None,
    noise: str | None = None,
    noise_scale: float | None = None,
    spacing: str = "linspace",
    seed: int = 0,
) -> Dataset:
    """Draw a 1-D data set y = f(x) + noise.

    Args:
        target: a name from :data:`TARGETS` or an expression in x.
        n, x_range, noise, noise_scale: default to the target's (see module docstring);
            expressions default to 200 points on [−3, 3] with N(0, 0.1²) noise.
        noise: ``"uniform"`` (y = f + s·U(0, 1), as the blog), ``"gaussian"``
            (y = f + s·N(0, 1)) or ``"none"``.
        spacing: ``"linspace"`` (the blog's) or ``"random"`` (uniform draws of x).
        seed: seed of the noise (and of x for random spacing).

    >>> make_dataset("sin(x) + 0.5*x**2", n=50, seed=1).n
    50
    """
    if not isinstance(target, str) or not target.strip():
        raise ValueError(f"target must be a target name or an expression, got {target!r}")
    spec = TARGETS.get(target) or _Target(None, (-3.0, 3.0), 200, "gaussian", 0.1)
    n = spec.n if n is None else n
    x_range = spec.x_range if x_range is None else x_range
    noise = spec.noise if noise is None else noise
    noise_scale = spec.noise_scale if noise_scale is None else noise_scale
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer number of points, got {n!r}")
    try:
        lo, hi = (float(v) for v in x_range)
    except (TypeError, ValueError):
        raise ValueError(f"x_range must be two numbers (lo, hi), got {x_range!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"x_range must be finite with lo < hi, got {x_range!r}")
    if noise not in NOISES:
        raise ValueError(f"unknown noise {noise!r}: choose one of {', '.join(NOISES)}")
    if (
        isinstance(noise_scale, bool)
        or not isinstance(noise_scale, (int, float, np.integer, np.floating))
        or not (math.isfinite(noise_scale) and noise_scale >= 0)
    ):
        raise ValueError(f"noise_scale must be a finite number >= 0, got {noise_scale!r}")
    if spacing not in ("linspace", "random"):
        raise ValueError(f"spacing must be 'linspace' or 'random', got {spacing!r}")
    fn = target_function(target)
    rng = np.random.default_rng(seed)
    if spacing == "linspace":
        x = np.linspace(lo, hi, int(n))
    else:
        x = np.sort(rng.uniform(lo, hi, int(n)))
    f = np.asarray(fn(jnp.asarray(x)), dtype=float)
    if noise == "uniform":
        eps = noise_scale * rng.uniform(0.0, 1.0, x.shape)
    elif noise == "gaussian":
        eps = noise_scale * rng.standard_normal(x.shape)
    else:
        eps = np.zeros_like(x)
    return Dataset(
        x=x, y=f + eps, target=target, noise=noise, noise_scale=float(noise_scale), seed=int(seed)
    )


def load_dataset(path: str | Path, *, target: str | None = None) -> Dataset:
    """Load (x, y) from a CSV (columns ``x, y``, header optional) or an NPZ (arrays ``x``
    and ``y``) file.  ``target`` optionally names the true curve, when known."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"data file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in ("x", "y") if k not in f.files]
            if missing:
                raise ValueError(
                    f"{path}: NPZ data needs arrays named 'x' and 'y', found {f.files}"
                )
            x, y = f["x"], f["y"]
    elif suffix in (".csv", ".txt"):
        with open(path, newline="") as fh:
            rows = [r for r in csv.reader(fh) if r and not r[0].lstrip().startswith("#")]
        if not rows:
            raise ValueError(f"{path}: the file holds no data rows")
        header = None
        try:
            float(rows[0][0])
        except ValueError:
            header, rows = [h.strip().lower() for h in rows[0]], rows[1:]
        if not rows:
            raise ValueError(f"{path}: the file holds a header but no data rows")
        widths = {len(r) for r in rows}
        if len(widths) > 1:
            raise ValueError(
                f"{path}: rows have different numbers of columns {sorted(widths)}; "
                "every row needs the same columns (x, y)"
            )
        try:
            table = np.array([[float(v) for v in r] for r in rows])
        except ValueError as e:
            raise ValueError(f"{path}: every value must be a number ({e})") from None
        if table.ndim != 2 or table.shape[1] < 2:
            raise ValueError(f"{path}: CSV data needs two columns, x and y")
        if header and "x" in header and "y" in header:
            x, y = table[:, header.index("x")], table[:, header.index("y")]
        else:
            x, y = table[:, 0], table[:, 1]
    else:
        raise ValueError(f"{path}: unsupported data file type {suffix!r}; use .csv or .npz")
    return Dataset(x=x, y=y, target=target, source=str(path))


def make_moons(n: int = 200, *, noise: float = 0.2, seed: int = 0) -> Dataset:
    """Two interleaved half circles in 2-D with labels 0 and 1 (the two-moons toy), for
    ``likelihood="bernoulli"`` with ``MLP(..., in_dim=2)``.

    Class 0 lies on the upper half circle of radius 1 about (0, 0), class 1 on the lower
    half circle about (1, 0.5); each point is moved by N(0, noise²) in both coordinates.

    >>> d = make_moons(100, seed=1)
    >>> d.x.shape, sorted(set(d.y.tolist()))
    ((100, 2), [0.0, 1.0])
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer >= 2 (points of both classes), got {n!r}")
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not noise >= 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t0 = np.linspace(0.0, math.pi, n0)
    t1 = np.linspace(0.0, math.pi, n - n0)
    x = np.concatenate(
        [np.stack([np.cos(t0), np.sin(t0)], 1), np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], 1)]
    )
    x = x + noise * rng.standard_normal(x.shape)
    y = np.concatenate([np.zeros(n0), np.ones(n - n0)])
    return Dataset(
        x=x, y=y, target=None, noise="gaussian", noise_scale=float(noise), seed=seed, source="moons"
    )
