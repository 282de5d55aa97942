"""Priors per parameter group, given as numpyro distributions or as short specs.

The groups of an :class:`~bayes_uat.MLP`'s θ are ``"w1"``, ``"b1"`` (incoming weights and
biases of hidden layer 1), ``"w2"``, ``"b2"``, … for deeper layers, ``"a"`` (the output
weights) and ``"c"`` (the output bias); a linear model (``units=()``) has ``"w"`` and ``"c"``.
A prior is

* ``None``: N(0, prior_std²) on every parameter (the blog's choice, the default);
* one numpyro distribution (or a number s, meaning N(0, s²)) for every parameter;
* a mapping from group names to distributions, numbers or specs; groups not named keep
  N(0, prior_std²).

A spec is a string such as ``"normal(0, 1)"`` or ``"student_t(3, 0, 2.5)"``: a family from
:data:`REAL` or :data:`POSITIVE` called with numbers. It is parsed with :mod:`ast` against a
whitelist, never evaluated. Each group's distribution is applied independently to each of
its entries, so units of one layer stay exchangeable (permutations remain symmetries).

Example
-------
>>> from bayes_uat import MLP
>>> from bayes_uat.priors import group_priors
>>> [(g.name, g.spec) for g in group_priors(MLP(2, "tanh"), {"a": "laplace(0, 2)"}, 30.0)]
[('w1', 'normal(0, 30)'), ('b1', 'normal(0, 30)'), ('a', 'laplace(0, 2)'), ('c', 'normal(0, 30)')]
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

# family name -> (numpyro class name, its parameter names in positional order)
REAL = {
    "normal": ("Normal", ("loc", "scale")),
    "laplace": ("Laplace", ("loc", "scale")),
    "student_t": ("StudentT", ("df", "loc", "scale")),
    "cauchy": ("Cauchy", ("loc", "scale")),
    "logistic": ("Logistic", ("loc", "scale")),
}
POSITIVE = {
    "half_normal": ("HalfNormal", ("scale",)),
    "half_cauchy": ("HalfCauchy", ("scale",)),
    "gamma": ("Gamma", ("concentration", "rate")),
    "inverse_gamma": ("InverseGamma", ("concentration", "rate")),
    "log_normal": ("LogNormal", ("loc", "scale")),
    "exponential": ("Exponential", ("rate",)),
}
_FAMILIES = {**REAL, **POSITIVE}
_MAX_SPEC = 200
# The smallest prior scale: below it a prior pins its group at the location and (θ/scale)²
# nears float32's range for θ of order 1e7 (float64's for any θ near scale 1e-154), so start
# points and modes stop being computable. (1e-12 also stands in for "no bias" in the tests
# of the infinite-width kernel.)
MIN_SCALE = 1e-12
MIN_DF = 0.01  # the least Student-t df, as for the likelihood's


def check_scale(what: str, v: float) -> float:
    """A prior scale, refused below :data:`MIN_SCALE`."""
    if v < MIN_SCALE:
        raise ValueError(
            f"{what} is {v:g}, below {MIN_SCALE:g}: such a prior pins the parameters at its "
            f"location and (θ/scale)² overflows in floating point; use a scale "
            f">= {MIN_SCALE:g}, or drop those parameters (e.g. --bias false)"
        )
    return v


class GroupPrior(NamedTuple):
    """One group of θ: its name, θ positions, distribution and spec string."""

    name: str
    index: np.ndarray
    dist: object
    spec: str


def _num(node: ast.AST, spec: str) -> float:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _num(node.operand, spec)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    raise ValueError(
        f"prior spec {spec!r}: arguments must be plain numbers, got {ast.dump(node)[:60]}"
    )


def parse_prior(spec: str, *, support: str = "real"):
    """A numpyro distribution from a spec such as ``"normal(0, 1)"``.

    ``support="real"`` accepts the families in :data:`REAL` (weights and biases);
    ``"positive"`` those in :data:`POSITIVE` (noise parameters). Anything that is not one
    whitelisted name called with numbers is a ValueError naming what was wrong.
    """
    import numpyro.distributions as nd

    families = REAL if support == "real" else POSITIVE
    if not isinstance(spec, str) or not spec.strip() or len(spec) > _MAX_SPEC:
        raise ValueError(
            f"a prior spec must be a non-empty string of at most {_MAX_SPEC} characters such "
            f"as 'normal(0, 1)', got {spec!r}"
        )
    try:
        tree = ast.parse(spec.strip(), mode="eval").body
    except SyntaxError:
        raise ValueError(f"prior spec {spec!r} is not of the form name(number, ...)") from None
    if not (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name)) or tree.keywords:
        raise ValueError(
            f"prior spec {spec!r} must be one call such as 'normal(0, 1)' with positional "
            "numbers only"
        )
    name = tree.func.id
    if name not in families:
        raise ValueError(
            f"unknown prior family {name!r} in {spec!r} for a {support}-valued parameter: "
            f"choose one of {', '.join(families)}"
        )
    cls, params = families[name]
    args = [_num(a, spec) for a in tree.args]
    if len(args) != len(params):
        raise ValueError(
            f"prior {name} takes {len(params)} number(s) ({', '.join(params)}), got "
            f"{len(args)} in {spec!r}"
        )
    return _build(name, cls, params, args, spec, nd)


def _build(name, cls, params, args, spec, nd):
    for p, v in zip(params, args):
        if not math.isfinite(v):
            raise ValueError(f"prior {spec!r}: {p} must be finite, got {v}")
        if p in ("scale", "rate", "concentration", "df") and v <= 0:
            raise ValueError(f"prior {spec!r}: {p} must be positive, got {v}")
        if p == "scale":
            check_scale(f"the scale of prior {spec!r}", v)
        if p == "df" and v < MIN_DF:
            raise ValueError(
                f"prior {spec!r}: df must be at least {MIN_DF:g} (below, its density "
                f"overflows), got {v:g}"
            )
    return getattr(nd, cls)(*args)


def to_spec(dist) -> str | None:
    """The spec string of a distribution of a whitelisted family, else None."""
    for name, (cls, params) in _FAMILIES.items():
        if type(dist).__name__ == cls:
            vals = [float(np.asarray(getattr(dist, p))) for p in params]
            return f"{name}({', '.join(f'{v:g}' for v in vals)})"
    return None


def _as_dist(value, group: str, support: str):
    """A distribution from a numpyro distribution, a positive number s (N(0, s²)) or a spec."""
    import numpyro.distributions as nd

    if isinstance(value, str):
        try:
            value = float(value)  # "2.5": a normal scale, as a number would be
        except ValueError:
            return parse_prior(value, support=support)
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        s = float(value)
        if not (math.isfinite(s) and s > 0):
            raise ValueError(f"prior scale for {group} must be a positive number, got {value!r}")
        if support != "real":
            raise ValueError(f"the prior for {group} needs a distribution, not a number")
        return nd.Normal(0.0, check_scale(f"the prior scale for {group}", s))
    if isinstance(value, nd.Distribution):
        scale = getattr(value, "scale", None)
        if scale is not None and np.ndim(scale) == 0 and np.isfinite(scale):
            check_scale(f"the prior scale for {group}", float(scale))
        if value.batch_shape or value.event_shape:
            raise ValueError(
                f"the prior for {group} must be a scalar distribution (it is applied to each "
                f"entry), got batch shape {value.batch_shape}, event shape {value.event_shape}"
            )
        want = nd.constraints.real if support == "real" else nd.constraints.positive
        ok = value.support is want or (
            support == "positive" and isinstance(value.support, type(nd.constraints.positive))
        )
        if not ok:
            raise ValueError(
                f"the prior for {group} must have {support} support, got {type(value).__name__} "
                f"with support {value.support}"
            )
        return value
    raise ValueError(
        f"the prior for {group} must be a numpyro distribution, a positive number (a normal "
        f"scale) or a spec such as 'normal(0, 1)', got {value!r}"
    )


def groups(net) -> dict[str, np.ndarray]:
    """θ positions of each group of ``net``, in θ order of first appearance."""
    lay = net._layout
    out: dict[str, np.ndarray] = {}
    if not net.units:
        out["w"] = np.atleast_1d(lay["a"]).ravel()
    for l, (W, b) in enumerate(lay["layers"]):
        out[f"w{l + 1}"] = np.sort(W.ravel())
        if (b >= 0).all():
            out[f"b{l + 1}"] = np.asarray(b)
    if net.units:
        out["a"] = np.asarray(lay["a"]).ravel()
    if net.has_output_bias:
        out["c"] = np.atleast_1d(lay["c"])
    return out


def group_priors(net, prior, prior_std: float) -> list[GroupPrior]:
    """Resolve ``prior`` (see the module docstring) into one :class:`GroupPrior` per group."""
    import numpyro.distributions as nd

    gs = groups(net)
    default = nd.Normal(0.0, check_scale("prior_std", float(prior_std)))
    if prior is None:
        chosen = {}
    elif isinstance(prior, Mapping):
        unknown = sorted(set(prior) - set(gs))
        if unknown:
            raise ValueError(
                f"unknown prior group(s) {unknown} for {net}: the groups are {', '.join(gs)}"
            )
        chosen = {g: _as_dist(v, g, "real") for g, v in prior.items()}
    else:
        one = _as_dist(prior, "every parameter", "real")
        chosen = dict.fromkeys(gs, one)
    out = []
    for g, idx in gs.items():
        d = chosen.get(g, default)
        out.append(GroupPrior(g, idx, d, to_spec(d) or type(d).__name__))
    return out


def _centred(dist) -> bool | None:
    """Whether a distribution is symmetric about 0 (None: cannot tell)."""
    name = type(dist).__name__
    if name in ("Normal", "Laplace", "StudentT", "Cauchy", "Logistic"):
        return bool(float(np.asarray(dist.loc)) == 0.0)
    return None


def symmetry_notes(net, priors: list[GroupPrior]) -> list[str]:
    """Which symmetries of the likelihood the prior breaks, in words (empty: none).

    Permutations of a layer's units are always kept (each group is i.i.d. over its
    entries). A sign flip of odd units negates w, b of that layer and the outgoing weights:
    it is a symmetry of the posterior only when those priors are symmetric about 0 (for even
    units, such as the hat, only w and b are negated). The
    sigmoid's complement flip shifts the next bias, which no zero-centred prior keeps.
    """
    by = {g.name: g.dist for g in priors}
    sym = net.act.symmetry
    notes = []
    for l in range(len(net.units)):
        if sym == "complement":
            notes.append(
                f"hidden layer {l + 1}: the sigmoid's complement flip (w, b, a) → (−w, −b, −a) "
                "shifts the next bias by a, so flipped copies carry different prior mass"
            )
            continue
        if sym not in ("odd", "even"):
            continue
        out = "a" if l == len(net.units) - 1 else f"w{l + 2}"
        flipped = (f"w{l + 1}", f"b{l + 1}") + ((out,) if sym == "odd" else ())  # even: a kept
        off = [g for g in flipped if g in by and _centred(by[g]) is not True]
        if off:
            notes.append(
                f"hidden layer {l + 1}: sign flips are not a symmetry of the posterior: the "
                f"prior on {', '.join(off)} is not (known to be) symmetric about 0"
            )
    return notes
