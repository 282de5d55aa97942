"""Run configuration: one typed record, from keyword arguments, CLI flags or a TOML file.

A TOML file holds the same keys as :class:`RunConfig`, flat, spelled as in Python
(``prior_std``) or as the command-line flags (``prior-std``)::

    target = "x2"
    units = 2
    activation = "sigmoid"
    sampler = "emcee"
    chains = 28
    draws = 10000

Priors per parameter group (:mod:`bayes_uat.priors`) go in a ``[prior]`` table (or as dotted
keys, ``prior.w1 = "normal(0, 1)"``)::

    [prior]
    w1 = "normal(0, 1)"
    a = "laplace(0, 2)"

``prior_scaling = "neal"`` divides the scale of the output weights' (normal) prior by √N,
N the last hidden width (Neal 1996; :func:`bayes_uat.wide.neal_scaled`): with N → ∞ the
prior over functions tends to a Gaussian process.

Options of the sampler beyond the flags (``--option KEY=VALUE``; :mod:`bayes_uat.vocabulary`
lists them with their defaults) go in an ``[options]`` table::

    sampler = "smc"
    [options]
    mass = "dense"
    steps = 20

Unknown keys, values of the wrong type and values out of range are rejected with a message
naming the key, before any work starts.

Example
-------
>>> from bayes_uat.config import RunConfig
>>> RunConfig(units=4, sampler="aies").chains_or_default(13)
52
"""

from __future__ import annotations

import tomllib
import types
import typing
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from .activations import ACTIVATIONS
from .data import NOISES
from .optimize import LOSSES, OPTIMIZERS
from .posterior import DF_RANGE, LIKELIHOODS, NOISE_PARAMS
from .priors import check_scale
from .samplers import SAMPLERS, default_chains
from .validate import choice, integer, number, positive_int, positive_number, seed
from .vocabulary import check_options

DTYPES = ("float32", "float64")
INITS = ("sgd", "prior")
PRIOR_SCALINGS = ("none", "neal")  # neal: output weights' prior scale ÷ √N (bayes_uat.wide)
MAX_TREE_DEPTH = 25  # 2**25 leapfrog steps per draw: far past any useful trajectory


# the keys that take one of a fixed set of values (the command shows them as choices)
CHOICES = dict(
    activation=ACTIVATIONS,
    likelihood=LIKELIHOODS,
    noise_param=NOISE_PARAMS,
    sampler=tuple(SAMPLERS),
    optimizer=OPTIMIZERS,
    sgd_loss=LOSSES,
    init=INITS,
    noise=NOISES,
    dtype=DTYPES,
    prior_scaling=PRIOR_SCALINGS,
)


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines one run (data, model, SGD, sampler)."""

    # data
    target: str = "x2"
    data: str | None = None
    x_col: str | list | None = None
    y_col: str | None = None
    n: int | None = None
    x_range: list | None = None
    noise: str | None = None
    noise_scale: float | None = None
    data_seed: int = 0
    # model
    units: int | list = 2
    activation: str = "sigmoid"
    likelihood: str = "gaussian"
    noise_std: float | None = None
    prior_std: float = 30.0
    dtype: str | None = None
    bias: bool | list = True
    prior: dict | None = None
    prior_scaling: str = "none"
    noise_param: str = "scale"
    noise_prior: str | None = None
    df: float | None = None
    # SGD
    optimizer: str = "adam"
    learning_rate: float = 0.1
    sgd_steps: int = 1000
    sgd_restarts: int = 8
    sgd_loss: str = "sse"
    batch_size: int | None = None
    # sampler
    sampler: str = "nuts"
    chains: int | None = None
    warmup: int = 1000
    draws: int = 1000
    init: str = "sgd"
    chunk_size: int | None = None
    dense_mass: bool = False
    max_tree_depth: int = 10
    target_accept: float = 0.9
    options: dict | None = None
    seed: int = 0

    def __post_init__(self):
        hints = typing.get_type_hints(RunConfig)
        for f in fields(self):
            v = getattr(self, f.name)
            if not _type_ok(v, hints[f.name]):
                raise ValueError(
                    f"config key {f.name!r}: expected {_describe(hints[f.name])}, "
                    f"got {v!r} ({type(v).__name__})"
                )
        for k, options in CHOICES.items():
            if getattr(self, k) is not None or k not in ("noise", "dtype"):  # those two: None ok
                choice(f"config key {k!r}", getattr(self, k), options)
        if isinstance(self.units, list):
            object.__setattr__(self, "units", list(self.units))
        if self.prior is not None:
            bad = {k: v for k, v in self.prior.items() if not isinstance(v, (str, int, float))}
            if bad or not all(isinstance(k, str) for k in self.prior):
                raise ValueError(
                    f"config key 'prior': a table of group = spec, such as w1 = \"normal(0, 1)\" "
                    f"or a = 2.0, got {self.prior!r}"
                )
        if self.options is not None:
            if not all(isinstance(k, str) for k in self.options):
                raise ValueError(
                    f"config key 'options': a table of name = value, got {self.options!r}"
                )
            opts = check_options(self.sampler, _underscore_keys(self.options, "options"))
            object.__setattr__(self, "options", opts or None)
        if isinstance(self.bias, list) and not all(isinstance(b, bool) for b in self.bias):
            raise ValueError(
                f"config key 'bias': true, false or a list of booleans, got {self.bias!r}"
            )
        self._check_ranges()

    def _check_ranges(self) -> None:
        """Every number in range, so that no run starts with a value that fails later."""
        for k in ("n", "batch_size", "chains", "chunk_size"):
            if getattr(self, k) is not None:
                positive_int(k, getattr(self, k))
        for k in ("draws", "sgd_steps", "sgd_restarts"):
            positive_int(k, getattr(self, k))
        integer("warmup", self.warmup, minimum=0)
        integer("max_tree_depth", self.max_tree_depth, minimum=1, maximum=MAX_TREE_DEPTH)
        seed("seed", self.seed)
        seed("data_seed", self.data_seed)
        positive_number("prior_std", self.prior_std, fix="e.g. --prior-std 30")
        check_scale("prior_std", self.prior_std)
        positive_number("learning_rate", self.learning_rate, fix="e.g. --learning-rate 0.1")
        for k in ("noise_std", "noise_scale"):
            if getattr(self, k) is not None:
                number(k, getattr(self, k), minimum=0, strict=k == "noise_std")
        number("target_accept", self.target_accept, minimum=0, maximum=1, strict=True)
        if self.noise_std is not None and self.likelihood == "mse":
            raise ValueError(
                "noise_std applies to likelihood 'gaussian' or 'student_t' only; drop "
                "--noise-std or pass --likelihood gaussian"
            )
        if self.prior_scaling == "neal" and not self.units_tuple():
            raise ValueError(
                "--prior-scaling neal divides the output weights' prior by √N, but a linear "
                "model (--units linear) has no hidden units and no output group 'a'; give it a "
                "hidden layer (e.g. --units 500) or drop --prior-scaling"
            )
        if self.df is not None:
            number("df", self.df, minimum=DF_RANGE[0], maximum=DF_RANGE[1], fix="e.g. --df 4")
        if self.x_range is not None:
            if len(self.x_range) != 2:
                raise ValueError(f"x_range must be two numbers lo,hi, got {self.x_range!r}")
            lo, hi = (number("x_range", v) for v in self.x_range)
            if not lo < hi:
                raise ValueError(f"x_range must have lo < hi, got {self.x_range!r}")
        for u in self.units_tuple():
            if isinstance(u, bool) or not isinstance(u, int) or u < 1:
                raise ValueError(
                    f"units must be positive integers (hidden widths), got {self.units!r}; "
                    "on the command line --units 2 (one layer), --units 8,8 (two layers) or "
                    "--units linear (no hidden layer); in TOML units = 2, [8, 8] or []"
                )
        if self.data is not None and (self.n, self.x_range, self.noise) != (None, None, None):
            raise ValueError(
                "--n, --x-range and --noise describe generated data and do not apply to "
                f"--data {self.data!r}; drop them"
            )
        if self.data is None and (self.x_col, self.y_col) != (None, None):
            raise ValueError("--x-col and --y-col choose columns of a --data file; pass --data")

    @classmethod
    def from_dict(cls, d: dict, *, source: str = "config") -> RunConfig:
        known = {f.name for f in fields(cls)}
        d = _underscore_keys(d, source)
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(
                f"{source}: unknown key(s) {unknown}; valid keys are {', '.join(sorted(known))}"
            )
        return cls(**d)

    @classmethod
    def from_toml(cls, path: str | Path) -> RunConfig:
        path = Path(path)
        if path.is_dir():
            raise ValueError(f"config file {str(path)!r} is a directory; pass a TOML file")
        if not path.is_file():
            raise FileNotFoundError(f"config file {str(path)!r} does not exist")
        try:
            d = tomllib.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as e:
            raise ValueError(
                f"config file {str(path)!r} is not UTF-8 text ({e.reason} at byte {e.start}); "
                "pass a TOML file"
            ) from None
        except tomllib.TOMLDecodeError as e:
            raise ValueError(f"{path}: not valid TOML ({e})") from None
        return cls.from_dict(d, source=str(path))

    def to_dict(self) -> dict:
        return asdict(self)

    def units_tuple(self) -> tuple[int, ...]:
        return (self.units,) if isinstance(self.units, int) else tuple(self.units)

    def chains_or_default(self, dim: int) -> int:
        return self.chains if self.chains is not None else default_chains(self.sampler, dim)


def _underscore_keys(d: dict, source: str) -> dict:
    """Keys spelled as flags (``prior-std``) read as config keys (``prior_std``)."""
    out: dict = {}
    for k, v in d.items():
        key = k.replace("-", "_") if isinstance(k, str) else k
        if key in out:
            raise ValueError(f"{source}: key {key!r} is given twice (as {k!r} too); keep one")
        out[key] = v
    return out


def _type_ok(v, hint) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(v, h) for h in typing.get_args(hint))
    if hint is type(None):
        return v is None
    if hint is bool:
        return isinstance(v, bool)
    if hint is int:
        return isinstance(v, int) and not isinstance(v, bool)
    if hint is float:
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if hint is list or origin is list:
        return isinstance(v, (list, tuple))
    return isinstance(v, hint)


def _describe(hint) -> str:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_describe(h) for h in typing.get_args(hint))
    return "none" if hint is type(None) else getattr(hint, "__name__", str(hint))
