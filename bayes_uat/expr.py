"""Target expressions such as ``"sin(x) + 0.5*x**2"``, parsed without ``eval``.

The expression is parsed with :mod:`ast` and every node is checked against a whitelist
before anything is evaluated: numbers, the variable ``x`` (or ``x1 … xd`` for d-dimensional
input), the constants ``pi`` and ``e``, the operators ``+ − * / **`` (and unary ±), and
calls of the functions in :data:`FUNCTIONS`, each mapped to a jax.numpy function.
Anything else (attribute access, subscripts, other names, lambdas, keyword arguments,
comparisons, strings) is rejected with a ValueError that names the offending piece.

Example
-------
>>> import jax.numpy as jnp
>>> from bayes_uat.expr import parse_expression
>>> f = parse_expression("sin(x) + 0.5*x**2")
>>> float(f(jnp.array(2.0)))  # doctest: +ELLIPSIS
2.909...
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from .activations import ACTIVATIONS, get_activation

MAX_LENGTH = 500

FUNCTIONS: dict[str, Callable] = {
    "sin": jnp.sin,
    "cos": jnp.cos,
    "tan": jnp.tan,
    "exp": jnp.exp,
    "log": jnp.log,
    "sqrt": jnp.sqrt,
    "abs": jnp.abs,
    "sinh": jnp.sinh,
    "cosh": jnp.cosh,
    "arctan": jnp.arctan,
    "sign": jnp.sign,
    "floor": jnp.floor,
    "heaviside": lambda z: jnp.where(z > 0, 1.0, 0.0),
    "minimum": jnp.minimum,
    "maximum": jnp.maximum,
}
FUNCTIONS.update({name: get_activation(name).fn for name in ACTIVATIONS})
CONSTANTS = {"pi": math.pi, "e": math.e}

_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_MAX_INT = 2**63 - 1  # larger integer literals cannot be passed to jax


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _fold(op: Callable, a, b) -> float:
    """An operator on two plain numbers, evaluated in float64: ``9**9**9`` gives inf at
    once instead of computing a huge Python int, and ``1/0`` gives inf instead of raising."""
    with np.errstate(all="ignore"):
        return float(op(np.float64(a), np.float64(b)))


def _variables(in_dim: int) -> tuple[str, ...]:
    return ("x",) if in_dim == 1 else tuple(f"x{j + 1}" for j in range(in_dim))


def _check(node: ast.AST, variables: tuple[str, ...], text: str) -> None:
    def bad(what: str):
        return ValueError(
            f"target expression {text!r}: {what} is not allowed. Use numbers, "
            f"{', '.join(variables)}, pi, e, + - * / **, and the functions "
            f"{', '.join(sorted(FUNCTIONS))}"
        )

    if isinstance(node, ast.Expression):
        _check(node.body, variables, text)
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise bad(f"the constant {node.value!r}")
        if isinstance(node.value, int) and abs(node.value) > _MAX_INT:
            raise bad(f"the integer constant {node.value} (too large; write it as a float)")
    elif isinstance(node, ast.Name):
        if node.id not in variables and node.id not in CONSTANTS:
            raise bad(f"the name {node.id!r}")
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise bad(f"the operator {type(node.op).__name__}")
        _check(node.left, variables, text)
        _check(node.right, variables, text)
    elif isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise bad(f"the operator {type(node.op).__name__}")
        _check(node.operand, variables, text)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            what = node.func.id if isinstance(node.func, ast.Name) else ast.dump(node.func)
            raise bad(f"calling {what!r}")
        if node.keywords:
            raise bad("a keyword argument")
        arity = 2 if node.func.id in ("minimum", "maximum") else 1
        if len(node.args) != arity:
            raise ValueError(
                f"target expression {text!r}: {node.func.id}() takes {arity} "
                f"argument(s), got {len(node.args)}"
            )
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise bad("a starred argument")
            _check(arg, variables, text)
    else:
        raise bad(f"a {type(node).__name__} expression")


def parse_expression(text: str, *, in_dim: int = 1) -> Callable[[jax.Array], jax.Array]:
    """Parse ``text`` into a function of x; raise ValueError for anything not whitelisted.

    For ``in_dim > 1`` the variables are ``x1 … xd`` and the function takes x of shape
    (n, d).
    """
    if not isinstance(text, str):
        raise ValueError(f"target expression must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"target expression is longer than {MAX_LENGTH} characters")
    if "__" in text:
        raise ValueError(f"target expression {text!r}: dunder names are not allowed")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ValueError(f"target expression {text!r} is not valid: {e.msg}") from None
    variables = _variables(in_dim)
    _check(tree, variables, text)

    def evaluate(node, env):
        if isinstance(node, ast.Expression):
            return evaluate(node.body, env)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return env[node.id] if node.id in env else CONSTANTS[node.id]
        if isinstance(node, ast.BinOp):
            op, a, b = _BINOPS[type(node.op)], evaluate(node.left, env), evaluate(node.right, env)
            return _fold(op, a, b) if _is_number(a) and _is_number(b) else op(a, b)
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](evaluate(node.operand, env))
        # ast.Call, checked above
        return FUNCTIONS[node.func.id](*(evaluate(a, env) for a in node.args))

    def fn(x):
        x = jnp.asarray(x)
        env = {"x": x} if in_dim == 1 else {v: x[..., j] for j, v in enumerate(variables)}
        out = evaluate(tree, env)
        return jnp.broadcast_to(
            jnp.asarray(out, dtype=jnp.result_type(x, float)),
            x.shape if in_dim == 1 else x.shape[:-1],
        )

    return fn
