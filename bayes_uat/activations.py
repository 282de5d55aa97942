"""Activation functions and the weight-space symmetry each one carries.

Every activation declares which transformation of a hidden unit's weights leaves
the network's function unchanged (see docs/architecture.md, "Symmetries"):

``"odd"``
    φ(−z) = −φ(z): (w, b, a) → (−w, −b, −a).  tanh, erf, softsign, sin, identity.
``"complement"``
    φ(−z) = 1 − φ(z) (the logistic sigmoid): (w, b, a, c) → (−w, −b, −a, c + a).
``"homogeneous"``
    φ(λz) = λφ(z) for λ > 0: (w, b, a) → (λw, λb, a/λ).  relu, leaky_relu.
``"even"``
    φ(−z) = φ(z): (w, b) → (−w, −b), a unchanged.  hat.
``"none"``
    no sign symmetry (softplus, step); only permutations of units remain.

Example
-------
>>> from bayes_uat.activations import get_activation
>>> act = get_activation("sigmoid")
>>> act.symmetry, act.symbol
('complement', 'σ')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import jax
import jax.numpy as jnp
from jax.scipy.special import erf as _erf

Symmetry = Literal["odd", "complement", "homogeneous", "even", "none"]


@dataclass(frozen=True)
class Activation:
    """A named scalar nonlinearity.

    Attributes:
        name: registry name (``"sigmoid"``).
        fn: the elementwise function, jax-traceable.
        symmetry: the sign/scale symmetry of a unit using it (see module docstring).
        symbol: short symbol used in printed equations (``"σ"``).
        latex: LaTeX symbol for figure labels (``r"\\sigma"``).
        expr_name: the function name understood by :mod:`bayes_uat.expr`, so a printed
            equation can be evaluated back.
        differentiable: False for activations whose gradient is zero almost everywhere
            (gradient-based samplers refuse them).
        flat_tails: True for activations that are constant outside a bounded window (the
            hat): a unit whose window misses every data point has zero likelihood gradient
            on a set of positive measure, so NUTS there sees only the prior's gradient (it
            warns; see :func:`bayes_uat.sample`).
    """

    name: str
    fn: Callable[[jax.Array], jax.Array]
    symmetry: Symmetry
    symbol: str
    latex: str
    expr_name: str
    differentiable: bool = True
    flat_tails: bool = False

    def __call__(self, z: jax.Array) -> jax.Array:
        return self.fn(z)


def _softsign(z):
    return z / (1.0 + jnp.abs(z))


def _step(z):
    return jnp.where(z > 0, 1.0, 0.0).astype(jnp.result_type(z, float))


def _leaky_relu(z):
    return jnp.where(z >= 0, z, 0.01 * z)


def _identity(z):
    return z


def _hat(z):
    # max(0, 1 − |z|): a piecewise-linear bump of width 2 and height 1 (Hong et al. 2022)
    return jax.nn.relu(1.0 - jnp.abs(z))


# jax.nn.sigmoid is lax.logistic: evaluated without overflow for any z, and its
# gradient σ(z)(1 − σ(z)) stays finite in float32, unlike the naive 1/(1 + exp(−z)).
_ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation("sigmoid", jax.nn.sigmoid, "complement", "σ", r"\sigma", "sigmoid"),
        Activation("tanh", jnp.tanh, "odd", "tanh", r"\tanh", "tanh"),
        # erf: odd like tanh, and its infinite-width kernel is closed form (bayes_uat.wide)
        Activation("erf", _erf, "odd", "erf", r"\mathrm{erf}", "erf"),
        Activation("relu", jax.nn.relu, "homogeneous", "relu", r"\mathrm{ReLU}", "relu"),
        Activation(
            "leaky_relu", _leaky_relu, "homogeneous", "lrelu", r"\mathrm{LReLU}", "leaky_relu"
        ),
        Activation("softsign", _softsign, "odd", "softsign", r"\mathrm{ss}", "softsign"),
        Activation("softplus", jax.nn.softplus, "none", "softplus", r"\mathrm{sp}", "softplus"),
        Activation("sin", jnp.sin, "odd", "sin", r"\sin", "sin"),
        Activation("identity", _identity, "odd", "id", r"\mathrm{id}", "identity"),
        Activation("hat", _hat, "even", "hat", r"\wedge", "hat", flat_tails=True),
        Activation("step", _step, "none", "H", r"H", "step", differentiable=False),
    ]
}

ACTIVATIONS: tuple[str, ...] = tuple(_ACTIVATIONS)


def get_activation(name: str | Activation) -> Activation:
    """Look an activation up by name; raise a ValueError listing the valid names."""
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str) or name not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}: choose one of {', '.join(ACTIVATIONS)}")
    return _ACTIVATIONS[name]
