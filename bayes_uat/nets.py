"""Multilayer perceptrons over one flat parameter vector θ.

The network with one hidden layer of N units and 1-D input is

    f(x) = c + Σᵢ aᵢ φ(wᵢ x + bᵢ),

and θ is laid out unit by unit, ``[w₁, b₁, a₁, w₂, b₂, a₂, …, c]`` (the blog's layout), so
that permuting units permutes contiguous blocks of θ.

General layout, for hidden widths (n₁, …, n_L) and input dimension d:

* hidden layer l < L: for each unit i, its incoming weights ``W_l[i, :]`` then its bias ``b_l[i]``;
* last hidden layer L: for each unit i, ``W_L[i, :]``, ``b_L[i]``, then its output weight ``a_i``;
* the output bias ``c`` last.

``units=()`` is a linear model f(x) = w·x + c with θ = ``[w_1, …, w_d, c]``.

``out_dim=K > 1`` gives K outputs (e.g. the logits of a K-class classifier): each last-layer
unit i carries K output weights ``a_i = (a_{i,1}, …, a_{i,K})`` (named ``a{i}_{k}``, stored
after its bias), c has K entries (``c1 … cK``, last) and :meth:`MLP.apply` returns shape
(..., n, K).  A linear model with K outputs has, per input j, K weights ``w{j}_{k}``.
``out_dim=1`` (the default) keeps the layout above exactly.

``bias=False`` (or one boolean per hidden layer plus one for the output) leaves biases out:
their entries are absent from θ and the layer computes φ(W h) (the output: a·h without c),
as in numpyro's Bayesian neural network example.

Example
-------
>>> import jax.numpy as jnp
>>> from bayes_uat import MLP
>>> net = MLP(2, "sigmoid")
>>> net.dim, net.names
(7, ('w1', 'b1', 'a1', 'w2', 'b2', 'a2', 'c'))
>>> theta = jnp.array([-1.4, -4.9, 24.0, 1.5, -5.0, 23.0, 1.0])
>>> net.equation(theta)
'24.0·σ(−1.4x − 4.9) + 23.0·σ(1.5x − 5.0) + 1.0'
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from .activations import Activation, get_activation
from .encoding import FourierFeatures
from .runtime import take_in_bounds

MINUS = "−"


def _check_size(units: tuple[int, ...], fan_in: int, out_dim: int) -> None:
    """Refuse a network whose index layout (int64 per parameter) does not fit in memory,
    before numpy tries to allocate it."""
    from .validate import available_memory, network_dim

    dim = network_dim(units, fan_in) * out_dim  # an upper bound (all biases, K outputs)
    need = 8 * dim
    if need > available_memory():
        raise ValueError(
            f"a network of units={units} has about {dim:.3g} parameters: its layout alone "
            f"needs {need / 1e9:.3g} GB, more than the memory available; use fewer units"
        )


def _check_units(units) -> tuple[int, ...]:
    if isinstance(units, bool):
        raise ValueError(f"units must be an int or a tuple of ints, got {units!r}")
    if isinstance(units, (int, np.integer)):
        units = (int(units),)
    try:
        units = tuple(units)
    except TypeError:
        raise ValueError(
            f"units must be an int, a tuple of ints or () for a linear model, got {units!r}"
        ) from None
    for u in units:
        if isinstance(u, bool) or not isinstance(u, (int, np.integer)) or u < 1:
            raise ValueError(
                f"units must be positive integers (hidden widths), got {units!r}; "
                "use units=() for a plain linear model"
            )
    return tuple(int(u) for u in units)


def _check_bias(bias, units: tuple[int, ...]) -> tuple[bool, ...]:
    n = len(units) + 1
    if isinstance(bias, (bool, np.bool_)):
        return (bool(bias),) * n
    try:
        out = tuple(bias)
    except TypeError:
        out = None
    if out is None or len(out) != n or not all(isinstance(v, (bool, np.bool_)) for v in out):
        raise ValueError(
            f"bias must be True, False or a tuple of {n} booleans (one per hidden layer, then "
            f"the output) for units={units}, got {bias!r}"
        )
    return tuple(bool(v) for v in out)


def _uniform(key, shape: tuple[int, ...], lim: float) -> jax.Array:
    """U(−lim, lim) of ``shape``, drawn flat and reshaped: the same numbers as
    ``jax.random.uniform(key, shape, minval=-lim, maxval=lim)`` (the counters are the flat
    indices), and a 1-D draw compiles faster than one with a short last axis."""
    size = int(np.prod(shape, dtype=np.int64))
    return jax.random.uniform(key, (size,), minval=-lim, maxval=lim).reshape(shape)


@dataclass(frozen=True)
class MLP:
    """A fully connected network spec: hidden widths, activation and input dimension.

    Args:
        units: hidden widths: an int (one hidden layer), a tuple (one entry per layer),
            or ``()`` for a linear model.
        activation: activation name (see :data:`bayes_uat.activations.ACTIVATIONS`).
        in_dim: input dimension d (x has shape (n,) for d = 1, else (n, d)).
        bias: whether layers have biases: one boolean for all, or a tuple with one per hidden
            layer and a last one for the output bias c.
        encoding: optional :class:`~bayes_uat.encoding.FourierFeatures`: the first layer then
            sees the 2K·d features γ(x) instead of x (its fan-in is :attr:`fan_in`).
        out_dim: number of outputs K (K > 1: apply returns (..., n, K), e.g. class logits).
    """

    units: tuple[int, ...] | int = 2
    activation: str = "sigmoid"
    in_dim: int = 1
    bias: bool | tuple[bool, ...] = True
    encoding: FourierFeatures | None = None
    out_dim: int = 1
    _layout: dict = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self):
        object.__setattr__(self, "units", _check_units(self.units))
        act = get_activation(self.activation)
        object.__setattr__(self, "activation", act.name)
        if isinstance(self.in_dim, bool) or not isinstance(self.in_dim, (int, np.integer)):
            raise ValueError(f"in_dim must be a positive int, got {self.in_dim!r}")
        if self.in_dim < 1:
            raise ValueError(f"in_dim must be a positive int, got {self.in_dim!r}")
        if self.encoding is not None and not isinstance(self.encoding, FourierFeatures):
            raise ValueError(
                f"encoding must be a bayes_uat.encoding.FourierFeatures or None, got "
                f"{type(self.encoding).__name__}"
            )
        if (
            isinstance(self.out_dim, bool)
            or not isinstance(self.out_dim, (int, np.integer))
            or self.out_dim < 1
        ):
            raise ValueError(
                f"out_dim must be a positive int (1, or K outputs for K classes), got "
                f"{self.out_dim!r}"
            )
        object.__setattr__(self, "out_dim", int(self.out_dim))
        biases = _check_bias(self.bias, self.units)
        object.__setattr__(self, "bias", biases[0] if len(set(biases)) == 1 else biases)
        _check_size(self.units, self.fan_in, self.out_dim)
        object.__setattr__(self, "_layout", self._build_layout())

    @property
    def biases(self) -> tuple[bool, ...]:
        """Whether each hidden layer, then the output, has a bias."""
        return _check_bias(self.bias, self.units)

    # -- layout -------------------------------------------------------------------------
    def _build_layout(self) -> dict:
        if self.out_dim > 1:
            return self._build_layout_multi()
        names: list[str] = []
        latex: list[str] = []
        d, has_c = self.fan_in, self.biases[-1]
        if not self.units:
            names += ["w"] if d == 1 else [f"w{j + 1}" for j in range(d)]
            latex += ["$w$"] if d == 1 else [f"$w_{{{j + 1}}}$" for j in range(d)]
            return dict(
                names=tuple(names + ["c"] * has_c),
                latex=tuple(latex + ["$c$"] * has_c),
                layers=[],
                a=np.arange(d),
                c=d if has_c else -1,
                dim=d + has_c,
            )

        def output(i: int, pos: int) -> int:
            names.append(f"a{i + 1}")
            latex.append(f"$a_{{{i + 1}}}$")
            return pos

        layers, a_rows, pos = self._hidden_layout(names, latex, output, 1)
        if has_c:
            names.append("c")
            latex.append("$c$")
        return dict(
            names=tuple(names),
            latex=tuple(latex),
            layers=layers,
            a=np.asarray(a_rows, dtype=int),
            c=pos if has_c else -1,
            dim=pos + has_c,
        )

    def _build_layout_multi(self) -> dict:
        """The layout for K = out_dim > 1 outputs: a of shape (n_L, K), c of shape (K,)."""
        K, d = self.out_dim, self.fan_in
        names: list[str] = []
        latex: list[str] = []

        def output(kind: str, i: int, start: int) -> np.ndarray:
            names.extend(f"{kind}{i + 1}_{k + 1}" for k in range(K))
            latex.extend(f"${kind}_{{{i + 1},{k + 1}}}$" for k in range(K))
            return np.arange(start, start + K)

        if not self.units:
            layers, pos = [], K * d
            a_idx = np.stack([output("w", j, K * j) for j in range(d)])
        else:
            layers, a_rows, pos = self._hidden_layout(
                names, latex, lambda i, start: output("a", i, start), K
            )
            a_idx = np.stack(a_rows)
        c_idx: np.ndarray | int = -1
        if self.biases[-1]:
            c_idx = np.arange(pos, pos + K)
            names.extend(f"c{k + 1}" for k in range(K))
            latex.extend(f"$c_{{{k + 1}}}$" for k in range(K))
            pos += K
        return dict(
            names=tuple(names), latex=tuple(latex), layers=layers, a=a_idx, c=c_idx, dim=pos
        )

    def _hidden_layout(self, names: list, latex: list, output, width: int):
        """θ positions of the hidden layers, unit by unit (incoming weights, then the bias
        where the layer has one; in the last layer then the unit's ``width`` output weights,
        placed by ``output(i, position)``, which also names them). Returns the per-layer
        (W, b) index arrays (b = −1 where a layer has no bias), the output rows, and the
        next free position."""
        layers, rows, pos, fan_in, L = [], [], 0, self.fan_in, len(self.units)
        for l, n in enumerate(self.units):
            W = np.zeros((n, fan_in), dtype=int)
            b = np.full(n, -1, dtype=int)  # -1: this layer has no bias
            for i in range(n):
                for j in range(fan_in):
                    W[i, j] = pos
                    pos += 1
                    names.append(self._pname("w", l, i, j, fan_in))
                    latex.append(self._plabel("w", l, i, j, fan_in))
                if self.biases[l]:
                    b[i] = pos
                    pos += 1
                    names.append(self._pname("b", l, i, None, fan_in))
                    latex.append(self._plabel("b", l, i, None, fan_in))
                if l == L - 1:
                    rows.append(output(i, pos))
                    pos += width
            layers.append((W, b))
            fan_in = n
        return layers, rows, pos

    def _pname(self, kind, l, i, j, fan_in) -> str:
        deep = len(self.units) > 1
        base = f"{kind}{l + 1}.{i + 1}" if deep else f"{kind}{i + 1}"
        if j is not None and fan_in > 1:
            base += f".{j + 1}" if deep else f"_{j + 1}"
        return base

    def _plabel(self, kind, l, i, j, fan_in) -> str:
        sub = f"{i + 1}" if j is None or fan_in == 1 else f"{i + 1},{j + 1}"
        sup = f"^{{({l + 1})}}" if len(self.units) > 1 else ""
        return f"${kind}{sup}_{{{sub}}}$"

    @property
    def fan_in(self) -> int:
        """Width of the first layer's input: in_dim, or 2K·in_dim with a Fourier encoding."""
        return self.in_dim if self.encoding is None else self.encoding.dim(self.in_dim)

    @property
    def dim(self) -> int:
        """Length of θ."""
        return self._layout["dim"]

    @property
    def names(self) -> tuple[str, ...]:
        """Readable parameter names, in θ order."""
        return self._layout["names"]

    @property
    def labels(self) -> tuple[str, ...]:
        """LaTeX labels for figures, in θ order."""
        return self._layout["latex"]

    @property
    def act(self) -> Activation:
        return get_activation(self.activation)

    def unit_slices(self) -> np.ndarray:
        """For one hidden layer: an (N, d + 2) index array, row i = θ positions of unit i
        as ``[w_i (d entries), b_i, a_i]``."""
        if len(self.units) != 1 or self.out_dim != 1:
            raise ValueError(
                "unit_slices is defined for networks with one hidden layer and one output"
            )
        if not all(self.biases):
            raise ValueError("unit_slices needs a network with biases (bias=True)")
        W, b = self._layout["layers"][0]
        return np.concatenate([W, b[:, None], self._layout["a"][:, None]], axis=1)

    def unflatten(self, theta: jax.Array) -> dict:
        """Split θ (shape (..., dim)) into named arrays: ``W``/``b`` lists per hidden layer
        (W of shape (..., n_l, fan_in)), ``a`` (..., n_L) and ``c`` (...); with K = out_dim
        > 1 outputs ``a`` is (..., n_L, K) and ``c`` (..., K)."""
        theta = jnp.asarray(theta)
        self._check_theta(theta)
        lay = self._layout

        def pick(idx):  # absent biases (index -1) are zeros
            idx = np.asarray(idx)
            if idx.size and idx.min() < 0 or idx.ndim == 0 and idx < 0:
                return jnp.zeros(theta.shape[:-1] + idx.shape, theta.dtype)
            return take_in_bounds(theta, np.asarray(idx), -1)

        c = lay["c"]
        if self.out_dim > 1 and np.ndim(c) == 0:  # no output bias: K zeros
            c = np.full(self.out_dim, -1)
        return dict(
            W=[take_in_bounds(theta, np.asarray(W), -1) for W, _ in lay["layers"]],
            b=[pick(b) for _, b in lay["layers"]],
            a=take_in_bounds(theta, np.asarray(lay["a"]), -1),
            c=pick(c),
        )

    def flatten(self, params: dict) -> jax.Array:
        """Inverse of :meth:`unflatten`."""
        a = jnp.asarray(params["a"])
        batch = a.shape[: a.ndim - np.ndim(self._layout["a"])]
        theta = jnp.zeros(batch + (self.dim,), dtype=jnp.result_type(a, float))
        lay = self._layout
        for (Wi, bi), W, b in zip(lay["layers"], params["W"], params["b"]):
            theta = theta.at[..., Wi].set(W)
            if bi.size and bi.min() >= 0:
                theta = theta.at[..., bi].set(b)
        theta = theta.at[..., lay["a"]].set(a)
        return theta if not self.has_output_bias else theta.at[..., lay["c"]].set(params["c"])

    @property
    def has_output_bias(self) -> bool:
        """Whether θ holds the output bias c (one entry per output)."""
        return bool(np.all(np.asarray(self._layout["c"]) >= 0))

    def _check_theta(self, theta) -> None:
        if theta.ndim < 1 or theta.shape[-1] != self.dim:
            raise ValueError(
                f"θ must have last dimension {self.dim} for {self}, got shape {theta.shape}"
            )

    def _as_inputs(self, x) -> jax.Array:
        x = jnp.asarray(x)
        if self.in_dim == 1 and x.ndim == 1:
            return x[:, None]
        if x.ndim == 0:
            return x.reshape(1, 1) if self.in_dim == 1 else x
        if x.ndim != 2 or x.shape[1] != self.in_dim:
            raise ValueError(
                f"x must have shape (n,) or (n, {self.in_dim}) for in_dim={self.in_dim}, "
                f"got {x.shape}"
            )
        return x

    def features(self, x) -> jax.Array:
        """What the first layer sees: x as (n, in_dim), or its Fourier features (n, fan_in)."""
        x = self._as_inputs(x)
        return x if self.encoding is None else self.encoding(x)

    # -- evaluation ---------------------------------------------------------------------
    def hidden(self, theta: jax.Array, x: jax.Array) -> jax.Array:
        """Activations of the last hidden layer, shape (..., n, n_L)."""
        return self._hidden(self.unflatten(theta), jnp.result_type(theta, float), x)

    def _hidden(self, p: dict, dtype, x) -> jax.Array:
        """:meth:`hidden` from θ's groups ``p`` (:meth:`unflatten`), x in ``dtype``."""
        phi = self.act.fn
        h = self.features(jnp.asarray(x, dtype))
        for l, (W, b) in enumerate(zip(p["W"], p["b"])):
            if l == 0:
                z = jnp.einsum("nf,...uf->...nu", h, W)
            else:
                z = jnp.einsum("...nf,...uf->...nu", h, W)
            h = phi(z + b[..., None, :])
        return h

    def unit_outputs(self, theta: jax.Array, x: jax.Array) -> jax.Array:
        """Each last-layer unit's contribution aᵢ hᵢ(x), shape (..., n, n_L) (or
        (..., n, n_L, K) for K > 1 outputs)."""
        p = self.unflatten(theta)
        h = self._hidden(p, jnp.result_type(theta, float), x)
        if self.out_dim > 1:
            return h[..., None] * p["a"][..., None, :, :]
        return h * p["a"][..., None, :]

    def apply(self, theta: jax.Array, x: jax.Array) -> jax.Array:
        """Evaluate f_θ(x); θ of shape (..., dim) broadcasts, result has shape (..., n)
        (or (..., n, K) for K = out_dim > 1 outputs)."""
        theta = jnp.asarray(theta)
        p = self.unflatten(theta)  # once: the hidden layers take their groups from it too
        dtype = jnp.result_type(theta, float)
        if self.out_dim > 1:
            if not self.units:
                h = self.features(jnp.asarray(x, dtype))
                return jnp.einsum("nf,...fk->...nk", h, p["a"]) + p["c"][..., None, :]
            h = self._hidden(p, dtype, x)
            return jnp.einsum("...nu,...uk->...nk", h, p["a"]) + p["c"][..., None, :]
        if not self.units:
            xs = self.features(jnp.asarray(x, dtype))
            return jnp.einsum("nf,...f->...n", xs, p["a"]) + p["c"][..., None]
        h = self._hidden(p, dtype, x)
        return jnp.einsum("...nu,...u->...n", h, p["a"]) + p["c"][..., None]

    def __call__(self, theta, x):
        return self.apply(theta, x)

    def init(self, key: jax.Array, shape: tuple[int, ...] = ()) -> jax.Array:
        """Draw θ as PyTorch's ``nn.Linear`` does: weights and biases of a layer with
        fan-in k uniform on [−1/√k, 1/√k] (the blog's initialisation)."""
        lay = self._layout
        fan_ins = [self.fan_in] + list(self.units)
        keys = jax.random.split(key, len(lay["layers"]) + 1)
        draws, places = [], []  # each layer's draws and their positions in θ
        for k, (Wi, bi), fan in zip(keys, lay["layers"], fan_ins):
            idx = np.concatenate([Wi.ravel(), bi[bi >= 0]])
            draws.append(_uniform(k, shape + idx.shape, 1.0 / np.sqrt(fan)))
            places.append(idx)
        idx = np.atleast_1d(lay["a"]).ravel()
        idx = idx if not self.has_output_bias else np.append(idx, lay["c"])
        draws.append(_uniform(keys[-1], shape + idx.shape, 1.0 / np.sqrt(fan_ins[-1])))
        places.append(idx)
        placed = np.concatenate(places)
        if not np.array_equal(np.sort(placed), np.arange(self.dim)):  # not every entry drawn
            theta = jnp.zeros(shape + (self.dim,))
            for idx, draw in zip(places, draws):
                theta = theta.at[..., idx].set(draw)
            return theta
        # every entry of θ is drawn once: θ is the draws in layer order, permuted into place
        # (one gather where setting each layer's entries takes one scatter per layer)
        return take_in_bounds(
            jnp.concatenate(draws, axis=-1), np.argsort(placed, kind="stable"), -1
        )

    # -- printing -----------------------------------------------------------------------
    def equation(self, theta, *, std=None, digits: int = 1, ascii: bool = False) -> str:
        """The learned function as a readable formula.

        ``ascii=False`` gives ``24.0·σ(−1.4x − 4.9) + 23.0·σ(1.5x − 5.0) + 1.0``;
        ``ascii=True`` gives ``24.0*sigmoid(-1.4*x - 4.9) + 23.0*sigmoid(1.5*x - 5.0) + 1.0``,
        which :func:`bayes_uat.expr.parse_expression` evaluates back.  With ``std`` (one
        spread per parameter, e.g. posterior standard deviations) every coefficient prints
        as ``(24.0 ± 3.1)``.  Networks with more than one hidden layer print one line per
        layer (hidden values h, then y).
        """
        theta = np.asarray(theta, dtype=float)
        if theta.shape != (self.dim,):
            raise ValueError(f"equation needs one θ of shape ({self.dim},), got {theta.shape}")
        if std is not None:
            std = np.asarray(std, dtype=float)
            if std.shape != theta.shape:
                raise ValueError(f"std must have shape {theta.shape}, got {std.shape}")
        if self.out_dim > 1:  # one line per output f1 … fK
            return "\n".join(
                self._equation_k(theta, std, k, digits, ascii) for k in range(self.out_dim)
            )
        p = self._numbers(theta, std)
        fmt = _Fmt(digits, ascii)
        fname = self.act.expr_name if ascii else self.act.symbol
        xs = ["x"] if self.in_dim == 1 else [f"x{j + 1}" for j in range(self.in_dim)]
        if self.encoding is not None:  # features sᵢ = sin(2π fᵢ u), cᵢ = cos(2π fᵢ u)
            xs = self.encoding.feature_names(self.in_dim)
        if not self.units:
            return fmt.affine(p["a"], xs, p["c"])
        if len(self.units) == 1:
            W, b = p["W"][0], p["b"][0]
            terms = [
                (p["a"][i], f"{fname}({fmt.affine(W[i], xs, b[i])})") for i in range(self.units[0])
            ]
            return fmt.sum(terms, p["c"])
        lines = []
        inputs = xs
        for l, (W, b) in enumerate(zip(p["W"], p["b"])):
            names = [f"h{l + 1}_{i + 1}" for i in range(len(W))]
            for i, nm in enumerate(names):
                lines.append(f"{nm} = {fname}({fmt.affine(W[i], inputs, b[i])})")
            inputs = names
        lines.append("y = " + fmt.affine(p["a"], inputs, p["c"]))
        return "\n".join(lines)

    def _equation_k(self, theta, std, k: int, digits: int, ascii: bool) -> str:
        """Output k of a K-output network, printed as ``f{k+1} = …`` by a one-output copy."""
        one = MLP(
            self.units, self.activation, in_dim=self.in_dim, bias=self.bias, encoding=self.encoding
        )
        lay, lay1 = self._layout, one._layout
        src = np.empty(one.dim, dtype=int)
        for (W, b), (W1, b1) in zip(lay["layers"], lay1["layers"]):
            src[W1.ravel()] = W.ravel()
            src[b1[b1 >= 0]] = b[b >= 0]
        src[np.atleast_1d(lay1["a"])] = lay["a"][..., k]
        if one.has_output_bias:
            src[lay1["c"]] = lay["c"][k]
        sd = None if std is None else std[src]
        text = one.equation(theta[src], std=sd, digits=digits, ascii=ascii)
        if "\n" not in text:
            return f"f{k + 1} = " + text
        lines = text.split("\n")  # deep: hidden lines once, then one output line per k
        out = lines[-1].replace("y = ", f"f{k + 1} = ", 1)
        return "\n".join(lines[:-1] + [out]) if k == 0 else out

    def _numbers(self, theta: np.ndarray, std: np.ndarray | None) -> dict:
        """θ's entries as (value, spread or None) pairs in the unflatten structure."""
        lay = self._layout
        sd = np.full(theta.shape, np.nan) if std is None else std

        def one(i):  # an absent bias (index -1) prints as nothing
            return None if i < 0 else _num(theta[i], sd[i])

        def pairs(idx):
            return [one(i) for i in np.atleast_1d(idx)]

        return dict(
            W=[[pairs(row) for row in Wi] for Wi, _ in lay["layers"]],
            b=[pairs(bi) for _, bi in lay["layers"]],
            a=pairs(lay["a"]),
            c=one(lay["c"]),
        )


def _num(v, s) -> tuple[float, float | None]:
    return float(v), (None if not np.isfinite(s) else float(s))


@dataclass(frozen=True)
class _Fmt:
    """Formats (value, spread) pairs; signs go between terms, magnitudes inside."""

    digits: int
    ascii: bool

    @property
    def minus(self) -> str:
        return "-" if self.ascii else MINUS

    def num(self, n) -> str:
        v, s = n
        mag = f"{abs(v):.{self.digits}f}"
        return mag if s is None else f"({mag} ± {s:.{self.digits}f})"

    def signed_first(self, n) -> str:
        v, s = n
        shows_sign = v < 0 and (s is not None or float(f"{abs(v):.{self.digits}f}") != 0)
        return (self.minus if shows_sign else "") + self.num(n)

    def join(self, first: str, rest: list) -> str:
        out = first
        for n, text in rest:
            out += f" {self.minus if n[0] < 0 else '+'} {text}"
        return out

    def affine(self, w, xs, c) -> str:
        mul = "*" if self.ascii else ""
        first = self.signed_first(w[0]) + mul + xs[0]
        rest = [(wi, f"{self.num(wi)}{mul}{xi}") for wi, xi in zip(w[1:], xs[1:])]
        if c is not None:
            rest.append((c, self.num(c)))
        return self.join(first, rest)

    def sum(self, terms: list, c) -> str:
        mul = "*" if self.ascii else "·"
        (n0, s0), rest_terms = terms[0], terms[1:]
        first = f"{self.signed_first(n0)}{mul}{s0}"
        rest = [(n, f"{self.num(n)}{mul}{text}") for n, text in rest_terms]
        if c is not None:
            rest.append((c, self.num(c)))
        return self.join(first, rest)
