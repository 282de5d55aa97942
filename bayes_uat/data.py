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

import math
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from .expr import parse_expression
from .runtime import default_compilation_cache
from .validate import choice, integer, number, positive_int

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


# Targets of two inputs x = (x1, x2), shape (n, 2), for contour pictures.
TARGETS_2D: dict[str, _Target] = {
    "bump2d": _Target(
        lambda x: jnp.exp(-jnp.sum(jnp.asarray(x) ** 2, axis=-1)),
        (-2.0, 2.0),
        400,
        "gaussian",
        0.05,
    ),
}


def target_function(target: str) -> Callable:
    """The noise-free curve for a target name or expression."""
    if target in TARGETS:
        return TARGETS[target].fn
    if target in TARGETS_2D:
        return TARGETS_2D[target].fn
    if target.isidentifier() and target != "x":
        raise ValueError(
            f"unknown target {target!r}: choose one of {', '.join(TARGETS)}, or "
            "give an expression in x such as 'sin(x) + 0.5*x**2'"
        )
    return parse_expression(target)


# Values whose square overflows float64 (|v| > 1e154) make every sum of squares infinite;
# refused with a margin so that sums over many points stay finite too.
MAX_ABS_VALUE = 1e150


def _check_finite_array(name: str, v, ndim: tuple[int, ...], source: str = "") -> np.ndarray:
    """``v`` as a float array: booleans read as 1.0/0.0 (labels True/False are 1/0);
    complex, object and non-numeric arrays, non-finite values and values too large to
    square are refused, naming ``name`` (and the file, when ``source`` is one)."""
    where = f"{source}: " if source and source != "generated" else ""
    if np.iscomplexobj(v):
        raise ValueError(
            f"{where}{name} holds complex numbers; a data set takes real values only: pass "
            "the real part (or the modulus) explicitly"
        )
    try:
        arr = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{where}{name} must be numeric, got {type(v).__name__}") from None
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
            f"{where}{name} has {int(bad.sum())} non-finite value(s) (NaN or inf), first at "
            f"index {i}; drop or impute those rows before building the data set"
        )
    big = np.abs(arr) > MAX_ABS_VALUE
    if big.any():
        i = int(np.argwhere(big)[0][0])
        raise ValueError(
            f"{where}{name} has {int(big.sum())} value(s) beyond ±{MAX_ABS_VALUE:.0e} (first "
            f"at index {i}: {arr.flat[int(np.argmax(big))]:.3g}), too large to compute with "
            f"(their squares overflow); rescale the data, e.g. divide {name} by its scale"
        )
    return arr


@dataclass(frozen=True)
class Dataset:
    """Observed points (x, y) and, when known, the target they were drawn from.

    Attributes:
        x: inputs, shape (n,) for 1-D input or (n, d).
        y: outputs, shape (n,); booleans are read as 1.0/0.0 (labels True/False are 1/0).
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
        x = _check_finite_array("x", self.x, (1, 2), self.source)
        y = _check_finite_array("y", self.y, (1,), self.source)
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

    def outside(self, points) -> np.ndarray:
        """Mask of the points (a 1-D grid, or rows of shape (m, d)) outside the data range
        (for d > 1: outside the bounding box of the data's inputs)."""
        points = np.asarray(points)
        if self.in_dim == 1:
            lo, hi = self.x_range
            return (points < lo) | (points > hi)
        lo, hi = self.x.min(axis=0), self.x.max(axis=0)
        return ((points < lo) | (points > hi)).any(axis=-1)

    @property
    def target_fn(self) -> Callable | None:
        """The noise-free target f(x), or None when unknown."""
        return self._fn

    def grid(self, n: int = 200, *, extrapolate: float = 1.0) -> np.ndarray:
        """An evenly spaced 1-D grid over the data range widened ``extrapolate``-fold
        about its centre (2.0 = twice the data range).  For d-dimensional x (d > 1): at most
        ``n`` of the data's own inputs (evenly spaced in file order), pushed ``extrapolate``-
        fold away from the centre of the data's bounding box, shape (≤ n, d)."""
        if self.in_dim > 1:
            pts = self.x[np.unique(np.linspace(0, self.n - 1, min(n, self.n)).astype(int))]
            mid = (self.x.min(axis=0) + self.x.max(axis=0)) / 2
            return mid + (pts - mid) * extrapolate
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
    """Draw a data set y = f(x) + noise (1-D x, or x of shape (n, 2) for a 2-D target).

    Args:
        target: a name from :data:`TARGETS` or an expression in x.
        n, x_range, noise, noise_scale: default to the target's (see module docstring);
            expressions default to 200 points on [−3, 3] with N(0, 0.1²) noise.
        noise: ``"uniform"`` (y = f + s·U(0, 1), as the blog), ``"gaussian"``
            (y = f + s·N(0, 1)) or ``"none"``.
        spacing: ``"linspace"`` (the blog's) or ``"random"`` (uniform draws of x).
        seed: seed of the noise (and of x for random spacing).

    A target of :data:`TARGETS_2D` (``"bump2d"``: f = exp(−‖x‖²) on [−2, 2]², 400 points)
    draws x on the square x_range² — a √n × √n grid for ``"linspace"`` (n must be a square),
    uniform draws for ``"random"`` — and returns x of shape (n, 2).

    >>> make_dataset("sin(x) + 0.5*x**2", n=50, seed=1).n
    50
    """
    if not isinstance(target, str) or not target.strip():
        raise ValueError(f"target must be a target name or an expression, got {target!r}")
    spec = (
        TARGETS.get(target)
        or TARGETS_2D.get(target)
        or _Target(None, (-3.0, 3.0), 200, "gaussian", 0.1)
    )
    n = spec.n if n is None else n
    x_range = spec.x_range if x_range is None else x_range
    noise = spec.noise if noise is None else noise
    noise_scale = spec.noise_scale if noise_scale is None else noise_scale
    n = positive_int("n", n, fix="the number of data points")
    try:
        lo, hi = (float(v) for v in x_range)
    except (TypeError, ValueError):
        raise ValueError(f"x_range must be two numbers (lo, hi), got {x_range!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"x_range must be finite with lo < hi, got {x_range!r}")
    choice("noise", noise, NOISES)
    noise_scale = number("noise_scale", noise_scale, minimum=0)
    choice("spacing", spacing, ("linspace", "random"))
    fn = target_function(target)
    rng = np.random.default_rng(seed)
    if target in TARGETS_2D:
        x = _square_inputs(int(n), lo, hi, spacing, rng)
    elif spacing == "linspace":
        x = np.linspace(lo, hi, int(n))
    else:
        x = np.sort(rng.uniform(lo, hi, int(n)))
    default_compilation_cache()  # the target's JAX operations below: loaded, not compiled
    f = np.asarray(fn(jax.device_put(x)), dtype=float)  # device_put: no program for it
    if noise == "uniform":
        eps = noise_scale * rng.uniform(0.0, 1.0, f.shape)
    elif noise == "gaussian":
        eps = noise_scale * rng.standard_normal(f.shape)
    else:
        eps = np.zeros_like(f)
    return Dataset(
        x=x, y=f + eps, target=target, noise=noise, noise_scale=float(noise_scale), seed=int(seed)
    )


def _square_inputs(n: int, lo: float, hi: float, spacing: str, rng) -> np.ndarray:
    """n points on [lo, hi]²: a √n × √n grid (linspace) or uniform draws (random)."""
    if spacing == "random":
        return rng.uniform(lo, hi, (n, 2))
    m = math.isqrt(n)
    if m * m != n:
        raise ValueError(
            f"n = {n} is not a square: a 2-D target on a grid needs n = m² points (e.g. "
            f"n={m * m} or n={(m + 1) ** 2}), or spacing='random'"
        )
    g = np.linspace(lo, hi, m)
    return np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2)


def load_dataset(
    path: str | Path,
    *,
    target: str | None = None,
    x_cols: str | int | Sequence[str | int] | None = None,
    y_col: str | int | None = None,
) -> Dataset:
    """Load (x, y) from a CSV or an NPZ file, in one pass with numpy.

    CSV: a header line naming the columns ``x`` and ``y`` (any order, other columns ignored),
    or no header and exactly two columns (x, y). Any other layout needs an explicit choice:
    ``x_cols`` (a column name or 0-based position, a list of them for d-dimensional input,
    or a comma-separated string) and ``y_col``. Lines starting with ``#`` are comments.
    NPZ: arrays ``x`` and ``y``, or those named by ``x_cols`` / ``y_col``.
    Values are real numbers; booleans (``True``/``False`` in a CSV, any case, or a bool
    array) read as 1/0, so that binary labels may be given either way. Complex numbers,
    Python objects and values beyond ±1e150 are refused, naming the file and column.
    ``target`` optionally names the true curve, when known.

    >>> load_dataset("data.csv", x_cols="x1,x2", y_col="price")  # doctest: +SKIP
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"data file {str(path)!r} is a directory; pass a .csv or .npz file")
    if not path.is_file():
        raise FileNotFoundError(f"data file {str(path)!r} does not exist")
    x_cols = _column_list(x_cols)
    suffix = path.suffix.lower()
    if suffix == ".npz":
        x, y = _load_npz(path, x_cols, y_col)
    elif suffix in (".csv", ".txt"):
        x, y = _load_csv(path, x_cols, y_col)
    else:
        raise ValueError(f"{path}: unsupported data file type {suffix!r}; use .csv or .npz")
    return Dataset(x=x, y=y, target=target, source=str(path))


def _column_list(x_cols) -> list | None:
    if x_cols is None:
        return None
    if isinstance(x_cols, str):
        return [c.strip() for c in x_cols.split(",") if c.strip()]
    if isinstance(x_cols, (int, np.integer)) and not isinstance(x_cols, bool):
        return [int(x_cols)]
    return list(x_cols)


def _load_npz(path: Path, x_cols: list | None, y_col) -> tuple[np.ndarray, np.ndarray]:
    try:
        f = np.load(path, allow_pickle=False)
        names = list(f.files)
    except Exception as e:  # zip, header or pickle errors: numpy's own hints mislead here
        raise ValueError(
            f"{path}: not a readable .npz archive ({type(e).__name__}); save the data with "
            "numpy.savez(path, x=x, y=y)"
        ) from None
    with f:
        xs = x_cols or ["x"]
        ys = "y" if y_col is None else y_col
        missing = [k for k in [*xs, ys] if k not in names]
        if missing:
            raise ValueError(
                f"{path}: NPZ data needs arrays named {', '.join(map(repr, xs))} and {ys!r} "
                f"(or choose them with "
                f"x_cols/y_col, --x-col/--y-col), found {names}"
            )
        if len(xs) == 1:
            x = _npz_array(path, f, xs[0])
        else:
            x = np.column_stack([_npz_array(path, f, k) for k in xs])
        return x, _npz_array(path, f, ys)


def _npz_array(path: Path, f, name: str) -> np.ndarray:
    """Array ``name`` of an open .npz: refused (naming the file and array) when it holds
    Python objects or complex numbers; booleans are kept (read as 1/0 later)."""
    try:
        a = f[name]
    except ValueError:  # numpy: "Object arrays cannot be loaded when allow_pickle=False"
        raise ValueError(
            f"{path}: array {name!r} holds Python objects (dtype object), which are not "
            "read (no pickle); save it as numbers, e.g. numpy.savez(path, "
            f"{name}=numpy.asarray({name}, dtype=float))"
        ) from None
    if np.iscomplexobj(a):
        raise ValueError(
            f"{path}: array {name!r} holds complex numbers; a data set takes real values "
            "only: save the real part (or the modulus)"
        )
    if a.dtype.kind not in "biuf":
        raise ValueError(
            f"{path}: array {name!r} has dtype {a.dtype}, not numbers; save it as numbers"
        )
    return a


def _csv_head(path: Path) -> tuple[int, list[str] | None, int]:
    """(lines before the data, the header names or None, number of columns)."""
    skip = 0
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            for line in fh:
                skip += 1
                if line.strip() and not line.lstrip().startswith("#"):
                    break
            else:
                raise ValueError(f"{path}: the file holds no data rows")
    except UnicodeDecodeError as e:
        raise ValueError(
            f"data file {str(path)!r} is not UTF-8 text ({e.reason} at byte {e.start}); "
            "pass a CSV text file or an .npz archive"
        ) from None
    cells = [c.strip() for c in line.split(",")]
    try:
        [_cell(c) for c in cells]
    except ValueError:
        return skip, [c.lower() for c in cells], len(cells)
    return skip - 1, None, len(cells)


_BOOLEANS = {"true": 1.0, "false": 0.0}


def _cell(text) -> float:
    """One CSV value: a number, or true/false (any case) read as 1/0."""
    if isinstance(text, bytes):
        text = text.decode()
    word = text.strip().lower()
    return _BOOLEANS[word] if word in _BOOLEANS else float(text)


def _column_index(path: Path, spec, header: list[str] | None, ncols: int, what: str) -> int:
    if isinstance(spec, str) and header and spec.strip().lower() in header:
        name = spec.strip().lower()
        if header.count(name) > 1:
            raise ValueError(f"{path}: the header names column {name!r} twice; rename one")
        return header.index(name)
    if isinstance(spec, str) and spec.strip().isdigit():
        spec = int(spec.strip())
    if isinstance(spec, bool) or not isinstance(spec, (int, np.integer)):
        cols = f"columns are {header}" if header else "the file has no header"
        raise ValueError(f"{path}: no column {spec!r} for {what}; {cols}")
    if not 0 <= spec < ncols:
        raise ValueError(
            f"{path}: {what} column {spec} is out of range: the file has {ncols} columns "
            f"(0-based positions 0..{ncols - 1})"
        )
    return int(spec)


def _csv_columns(path: Path, header, ncols: int, x_cols, y_col) -> tuple[list[int], int]:
    """Positions of the x column(s) and the y column; refuses files that do not say which."""
    if ncols < 2:
        raise ValueError(f"{path}: CSV data needs two columns, x and y")
    if x_cols is None and y_col is None:
        if header is None and ncols > 2:
            raise ValueError(
                f"{path}: {ncols} columns and no header, so which are x and y is ambiguous; "
                "add a header line naming the columns x and y, or choose them with "
                "--x-col/--y-col (0-based positions; load_dataset(..., x_cols=, y_col=))"
            )
        if header is not None and not ("x" in header and "y" in header):
            raise ValueError(
                f"{path}: the header names columns {header} but not 'x' and 'y'; rename "
                "them, or choose them with --x-col/--y-col (e.g. --x-col x1,x2 --y-col y; "
                "load_dataset(..., x_cols=, y_col=))"
            )
    default_x = ["x"] if header else [0]
    xi = [_column_index(path, c, header, ncols, "x") for c in (x_cols or default_x)]
    yi = _column_index(path, "y" if header and y_col is None else y_col or 1, header, ncols, "y")
    if yi in xi or len(set(xi)) != len(xi):
        raise ValueError(f"{path}: x columns {xi} and y column {yi} must all differ")
    return xi, yi


_BOOLEAN_CELL = re.compile(r"string '\s*(true|false)\s*'", re.IGNORECASE)


def _loadtxt(path: Path, skip: int, cols: list[int], converters) -> np.ndarray:
    """One ``numpy.loadtxt`` pass over the columns in use (``converters``: None, the fast
    path, or :func:`_cell` for files with true/false values)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
        return np.loadtxt(
            path,
            delimiter=",",
            comments="#",
            skiprows=skip,
            usecols=cols,
            converters=converters,
            ndmin=2,
            encoding="utf-8",
        )


def _load_csv(path: Path, x_cols, y_col) -> tuple[np.ndarray, np.ndarray]:
    skip, header, ncols = _csv_head(path)
    xi, yi = _csv_columns(path, header, ncols, x_cols, y_col)
    try:
        try:
            table = _loadtxt(path, skip, [*xi, yi], None)
        except ValueError as e:  # numpy names the cell: "could not convert string 'True'"
            if not _BOOLEAN_CELL.search(str(e)):
                raise
            table = _loadtxt(path, skip, [*xi, yi], _cell)  # true/false: cell by cell
    except UnicodeDecodeError as e:
        raise ValueError(f"data file {str(path)!r} is not UTF-8 text ({e.reason})") from None
    except ValueError as e:
        if "columns" in str(e):
            raise ValueError(
                f"{path}: rows have different numbers of columns ({e}); every row needs "
                "the same columns"
            ) from None
        raise ValueError(f"{path}: every value must be a number ({e})") from None
    if table.shape[0] == 0:
        raise ValueError(f"{path}: the file holds a header but no data rows")
    x = table[:, 0] if len(xi) == 1 else table[:, : len(xi)]
    return x, table[:, -1]


def make_moons(n: int = 200, *, noise: float = 0.2, seed: int = 0) -> Dataset:
    """Two interleaved half circles in 2-D with labels 0 and 1 (the two-moons toy), for
    ``likelihood="bernoulli"`` with ``MLP(..., in_dim=2)``.

    Class 0 lies on the upper half circle of radius 1 about (0, 0), class 1 on the lower
    half circle about (1, 0.5); each point is moved by N(0, noise²) in both coordinates.

    >>> d = make_moons(100, seed=1)
    >>> d.x.shape, sorted(set(d.y.tolist()))
    ((100, 2), [0.0, 1.0])
    """
    n = integer("n", n, minimum=2, fix="points of both classes")
    noise = number("noise", noise, minimum=0)
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
