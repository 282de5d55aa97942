"""Run configuration: one typed record, from keyword arguments, CLI flags or a TOML file.

A TOML file holds the same keys as :class:`RunConfig`, flat::

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

Unknown keys and values of the wrong type are rejected with a message naming the key.

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
from .optimize import LOSSES, OPTIMIZERS
from .posterior import LIKELIHOODS, NOISE_PARAMS
from .sampling import METHODS, default_chains


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines one run (data, model, SGD, sampler)."""

    # data
    target: str = "x2"
    data: str | None = None
    n: int | None = None
    x_range: list | None = None
    noise: str | None = None
    noise_scale: float | None = None
    data_seed: int = 0
    # model
    units: int | list = 2
    activation: str = "sigmoid"
    likelihood: str = "mse"
    noise_std: float | None = None
    prior_std: float = 30.0
    dtype: str | None = None
    bias: bool | list = True
    prior: dict | None = None
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
        choices = dict(
            activation=ACTIVATIONS,
            likelihood=LIKELIHOODS,
            noise_param=NOISE_PARAMS,
            sampler=METHODS,
            optimizer=OPTIMIZERS,
            sgd_loss=LOSSES,
            init=("sgd", "prior"),
        )
        for k, options in choices.items():
            if getattr(self, k) not in options:
                raise ValueError(
                    f"config key {k!r}: unknown value {getattr(self, k)!r}; "
                    f"choose one of {', '.join(options)}"
                )
        if isinstance(self.units, list):
            object.__setattr__(self, "units", list(self.units))
        if self.prior is not None:
            bad = {k: v for k, v in self.prior.items() if not isinstance(v, (str, int, float))}
            if bad or not all(isinstance(k, str) for k in self.prior):
                raise ValueError(
                    f"config key 'prior': a table of group = spec, such as w1 = \"normal(0, 1)\" "
                    f"or a = 2.0, got {self.prior!r}"
                )
        if isinstance(self.bias, list) and not all(isinstance(b, bool) for b in self.bias):
            raise ValueError(
                f"config key 'bias': true, false or a list of booleans, got {self.bias!r}"
            )

    @classmethod
    def from_dict(cls, d: dict, *, source: str = "config") -> RunConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(
                f"{source}: unknown key(s) {unknown}; valid keys are {', '.join(sorted(known))}"
            )
        return cls(**d)

    @classmethod
    def from_toml(cls, path: str | Path) -> RunConfig:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"config file {str(path)!r} does not exist")
        try:
            d = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as e:
            raise ValueError(f"{path}: not valid TOML ({e})") from None
        return cls.from_dict(d, source=str(path))

    def to_dict(self) -> dict:
        return asdict(self)

    def units_tuple(self) -> tuple[int, ...]:
        return (self.units,) if isinstance(self.units, int) else tuple(self.units)

    def chains_or_default(self, dim: int) -> int:
        return self.chains if self.chains is not None else default_chains(self.sampler, dim)


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
