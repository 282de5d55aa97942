"""Named variables for ArviZ: flat θ split into one array per kind of parameter.

Samplers see one flat vector θ; ArviZ shows one panel, one summary row block and one
forest entry per *variable*.  So a record stores θ as these variables (each with chain and
draw dimensions first):

* one hidden layer: ``w`` (unit[, input]), ``b`` (unit), ``a`` (unit) and ``c`` —
  f(x) = c + Σᵢ aᵢ φ(wᵢ·x + bᵢ); the ``input`` dimension appears only for d > 1;
* L > 1 hidden layers: ``w1``, ``b1``, …, ``wL``, ``bL`` with dimensions ``unit1`` … ``unitL``
  (``wl`` has dimensions (unit_l, unit_{l−1}), ``w1`` has (unit1[, input])), then ``a``
  (unit_L) and ``c``;
* a linear model (``units=()``): ``w`` ([input]) and ``c``;
* K = ``out_dim`` > 1 outputs: ``a`` gains an ``output`` dimension (unit_L, output), ``c`` is
  (output,), and a linear model's ``w`` is ([input,] output);
* biases absent from a ``bias=False`` layer (and ``c`` without an output bias) have no
  variable;
* the noise entry, a scalar, when the likelihood infers σ: ``log_sigma`` (or
  ``log_precision`` / ``log_variance``, as the posterior's ``noise_param`` says).

Unit and input coordinates count from 1, as the parameter names do: ``w[2]`` is ``w2``.

Example
-------
>>> import numpy as np
>>> from bayes_uat import MLP
>>> from bayes_uat.variables import split, variables
>>> [(v.name, v.dims) for v in variables(MLP(2, "tanh"), noise="log_sigma")]
[('w', ('unit',)), ('b', ('unit',)), ('a', ('unit',)), ('c', ()), ('log_sigma', ())]
>>> split(variables(MLP(2, "tanh")), np.arange(7.0))["a"].tolist()
[2.0, 5.0]
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .nets import MLP


class Variable(NamedTuple):
    """One named variable: its dimensions and, for each entry, its position in θ."""

    name: str
    dims: tuple[str, ...]
    index: np.ndarray  # integer array of shape len(coord) per dim: θ positions


def variables(net: MLP, *, noise: str | None = None) -> list[Variable]:
    """The variables of ``net``'s θ, in θ's layer order (see the module docstring); biases
    that a ``bias=False`` layer lacks have no variable.  ``noise`` names θ's last entry
    (e.g. ``"log_sigma"``) when the likelihood infers the noise."""
    lay = net._layout  # θ positions; an absent bias has position −1
    W = [np.asarray(w) for w, _ in lay["layers"]]
    b = [np.asarray(v) for _, v in lay["layers"]]
    a, c = np.asarray(lay["a"]), np.asarray(lay["c"])
    L = len(W)
    multi = net.out_dim > 1
    out_dims: tuple[str, ...] = ("output",) if multi else ()
    out: list[Variable] = []

    def unit(l: int) -> str:  # dimension name of hidden layer l (0-based)
        return "unit" if L == 1 else f"unit{l + 1}"

    if L == 0 and multi:  # linear with K outputs: a holds the slopes, (input, output)
        out.append(
            Variable("w", ("output",), a[0])
            if net.fan_in == 1
            else Variable("w", ("input", "output"), a)
        )
    elif L == 0:  # linear: a holds the slopes
        out.append(_squeeze_input("w", ("input",), a, net.fan_in))
    for l in range(L):
        suffix = "" if L == 1 else str(l + 1)
        fan = "input" if l == 0 else unit(l - 1)
        out.append(_squeeze_input("w" + suffix, (unit(l), fan), W[l], net.fan_in, l == 0))
        if b[l].min() >= 0:
            out.append(Variable("b" + suffix, (unit(l),), b[l]))
    if L:
        out.append(Variable("a", (unit(L - 1),) + out_dims, a))
    if net.has_output_bias:
        out.append(Variable("c", out_dims, c))
    if noise is not None:
        out.append(Variable(noise, (), np.asarray(net.dim)))
    return out


def posterior_variables(posterior) -> list[Variable]:
    """The variables of a :class:`~bayes_uat.posterior.Posterior`'s θ, noise entry included."""
    noise = posterior.noise_name if posterior.infers_sigma else None
    return variables(posterior.net, noise=noise)


def _squeeze_input(name, dims, index, in_dim, first=True) -> Variable:
    """Drop the ``input`` dimension of a first-layer weight when the input is 1-D."""
    if first and in_dim == 1:
        return Variable(name, dims[:-1], index[..., 0])
    return Variable(name, dims, index)


def coords(vars_: list[Variable]) -> dict[str, np.ndarray]:
    """Coordinates (1, 2, …) of every dimension the variables use."""
    out = {}
    for v in vars_:
        for d, n in zip(v.dims, v.index.shape):
            out[d] = np.arange(1, n + 1)
    return out


def split(vars_: list[Variable], theta) -> dict[str, np.ndarray]:
    """θ (..., dim) → {name: array of shape (..., *variable shape)}."""
    theta = np.asarray(theta)
    return {v.name: theta[..., v.index] for v in vars_}


def join(vars_: list[Variable], values: dict, dim: int) -> np.ndarray:
    """Inverse of :func:`split`: the arrays of every variable back into θ (..., dim).

    Raises:
        ValueError: a variable is missing, has the wrong trailing shape, or θ is not
            covered exactly once.
    """
    missing = [v.name for v in vars_ if v.name not in values]
    if missing:
        raise ValueError(f"missing variable(s) {', '.join(missing)}")
    first = np.asarray(values[vars_[0].name])
    batch = first.shape[: first.ndim - vars_[0].index.ndim]
    theta = np.full(batch + (dim,), np.nan)
    seen = np.zeros(dim, dtype=int)
    for v in vars_:
        arr = np.asarray(values[v.name], dtype=float)
        if arr.shape != batch + v.index.shape:
            raise ValueError(
                f"variable {v.name!r} has shape {arr.shape}, expected {batch + v.index.shape}"
            )
        theta[..., v.index.ravel()] = arr.reshape(batch + (-1,))
        np.add.at(seen, v.index.ravel(), 1)
    if not np.all(seen == 1):
        raise ValueError("the variables do not cover θ exactly once")
    return theta
