"""Weight-space symmetries of an MLP: group elements, canonical forms and alignment.

A network with one hidden layer, f(x) = c + Σᵢ aᵢ φ(wᵢ·x + bᵢ), computes the same function
after any element g of its symmetry group is applied to θ:

* a permutation π of the units: unit j of g·θ is unit π(j) of θ;
* for odd φ (φ(−z) = −φ(z)): (wᵢ, bᵢ, aᵢ) → (−wᵢ, −bᵢ, −aᵢ);
* for the sigmoid (φ(−z) = 1 − φ(z)): (wᵢ, bᵢ, aᵢ, c) → (−wᵢ, −bᵢ, −aᵢ, c + aᵢ);
* for even φ (φ(−z) = φ(z), the hat): (wᵢ, bᵢ) → (−wᵢ, −bᵢ), aᵢ unchanged;
* for positively homogeneous φ (φ(λz) = λφ(z), λ > 0): (wᵢ, bᵢ, aᵢ) → (λwᵢ, λbᵢ, aᵢ/λ).

The discrete part has N!·2^N elements for odd, even and sigmoid units, N! otherwise, so every mode
of a posterior appears in that many copies. Two remedies, both returning θ of the same shape:

* :func:`canonicalize` (one hidden layer, 1-D input): flip every unit so that wᵢ ≥ 0 (or
  rescale to |wᵢ| = 1), then sort units by their transition tᵢ = −bᵢ/wᵢ. It needs no reference
  and is invariant: canonicalize(g·θ) = canonicalize(θ).
* :func:`align` (any network): put θ into the copy nearest to a reference θ, matching units
  with the Hungarian algorithm, layer by layer.

Not handled: symmetries that are not in the list above, such as sin's periodicity
(bᵢ → bᵢ + 2π), the continuous symmetries of the identity activation, or the freedom of a
degenerate unit (aᵢ = 0 frees wᵢ and bᵢ; wᵢ = 0 makes the unit a constant). Degenerate units
are reported by :func:`degenerate_units`; their place in the canonical order is arbitrary.
Nor is the softmax's shift of a K-output classifier: one δ added to every c_k, or one dᵢ to
every a_{i,k} of unit i, moves all K logits together and leaves the categorical likelihood
unchanged (the prior alone bounds those directions); a and c are kept as given, not centred
(docs/models.md, "The softmax's shift").

Example
-------
>>> import numpy as np
>>> from bayes_uat import MLP
>>> from bayes_uat.symmetry import canonicalize, transform
>>> net = MLP(2, "sigmoid")
>>> theta = np.array([1.5, -5.0, 23.0, -1.4, -4.9, 24.0, 1.0])
>>> canonicalize(net, theta).round(2).tolist()
[1.4, 4.9, -24.0, 1.5, -5.0, 23.0, 25.0]
>>> g_theta = transform(net, theta, perm=[1, 0], signs=[-1, 1])
>>> bool(np.allclose(canonicalize(net, g_theta), canonicalize(net, theta)))
True
"""

from __future__ import annotations

import math
from functools import lru_cache
from itertools import permutations

import numpy as np

from .nets import MLP

_FLIPPABLE = ("odd", "complement", "even")
_CHUNK = 16384  # rows per block in align: bounds the (rows, N, N, k) distance arrays
_EXHAUSTIVE_MAX = 5  # up to 5! = 120 candidate permutations are scored at once, vectorised


# -- layout helpers ---------------------------------------------------------------------------
@lru_cache(maxsize=128)
def _index(net: MLP) -> dict:
    """θ positions of W, b (lists per hidden layer), a and c as numpy integer arrays
    (absent biases of a ``bias=False`` network have index −1)."""
    lay = net._layout
    return dict(
        W=[np.asarray(W) for W, _ in lay["layers"]],
        b=[np.asarray(b) for _, b in lay["layers"]],
        a=np.asarray(lay["a"]),  # (n_L,), or (n_L, K) for K = out_dim > 1 outputs
        c=np.asarray(lay["c"]),  # a scalar index (−1: no output bias), or (K,)
    )


def _get(theta: np.ndarray, idx) -> np.ndarray:
    idx = np.asarray(idx)
    if (idx < 0).any():  # an absent bias: zeros, never written back
        return np.zeros(theta.shape[:-1] + idx.shape, theta.dtype)
    return theta[..., idx]


def _params(net: MLP, theta: np.ndarray) -> dict:
    ix = _index(net)
    return dict(
        W=[theta[..., i] for i in ix["W"]],
        b=[_get(theta, i) for i in ix["b"]],
        a=theta[..., ix["a"]],
        c=_get(
            theta, ix["c"] if net.has_output_bias or net.out_dim == 1 else np.full(net.out_dim, -1)
        ),
    )


def _write(net: MLP, theta: np.ndarray, p: dict) -> None:
    ix = _index(net)
    for i, v in zip(ix["W"] + ix["b"], p["W"] + p["b"]):
        if not (np.asarray(i) < 0).any():
            theta[..., i] = v
    theta[..., ix["a"]] = p["a"]
    if net.has_output_bias:
        theta[..., ix["c"]] = p["c"]


def _as_theta(net: MLP, theta) -> np.ndarray:
    """A float copy of θ (..., D), D ≥ net.dim; entries past net.dim are carried along."""
    theta = np.asarray(theta)
    dtype = theta.dtype if np.issubdtype(theta.dtype, np.floating) else np.float64
    theta = np.array(theta, dtype=dtype)
    if theta.ndim < 1 or theta.shape[-1] < net.dim:
        raise ValueError(
            f"θ must have shape (..., D) with D ≥ {net.dim} for {net}, got {theta.shape}"
        )
    return theta


def _need_hidden(net: MLP, what: str) -> None:
    if not net.units:
        raise ValueError(f"{what}: a linear model (units=()) has no hidden units")


def _need_1d_single(net: MLP, what: str) -> None:
    if len(net.units) != 1 or net.in_dim != 1:
        raise ValueError(
            f"{what} needs one hidden layer and 1-D input (units=(N,), in_dim=1), got "
            f"units={net.units}, in_dim={net.in_dim}: units then have no natural order; "
            "use align(net, theta, reference) with a reference θ (e.g. the MAP) instead"
        )
    if net.encoding is not None:
        raise ValueError(
            f"{what} needs a scalar first-layer input, but this network encodes x into "
            f"{net.fan_in} Fourier features, so units have no natural order; use "
            "align(net, theta, reference) with a reference θ (e.g. the MAP) instead"
        )


# -- group elements ---------------------------------------------------------------------------
def _bcast(v, name: str, dtype, shape: tuple, l: int) -> np.ndarray:
    v = np.asarray(v, dtype=dtype)
    try:
        return np.broadcast_to(v, shape)
    except ValueError:
        raise ValueError(
            f"{name} for hidden layer {l + 1} must have shape (..., {shape[-1]}) broadcastable "
            f"to {shape}, got {v.shape}"
        ) from None


def _layer_args(net: MLP, perm, signs, scales, batch) -> list[tuple]:
    """Per-layer (perm, signs, scales), validated and broadcast to batch + (n_l,)."""
    L, sym = len(net.units), net.act.symmetry

    def per_layer(v, name):
        if v is None:
            return [None] * L
        if L == 1:
            return [v]
        if (
            not isinstance(v, (list, tuple))
            or len(v) != L
            or any(e is not None and np.ndim(e) < 1 for e in v)
        ):
            raise ValueError(f"{name} must be a list of {L} arrays (one per hidden layer)")
        return list(v)

    out = []
    for l, (p, s, k) in enumerate(
        zip(per_layer(perm, "perm"), per_layer(signs, "signs"), per_layer(scales, "scales"))
    ):
        n = net.units[l]
        shape = batch + (n,)
        if p is not None:
            raw = np.asarray(p)
            if raw.dtype.kind not in "iu" and not np.all(raw == np.round(raw)):
                raise ValueError(f"perm must hold integer unit indices, got {raw}")
            p = _bcast(raw, "perm", np.intp, shape, l)
            if not np.array_equal(np.sort(p, axis=-1), np.broadcast_to(np.arange(n), p.shape)):
                raise ValueError(
                    f"perm for hidden layer {l + 1} is not a permutation of 0..{n - 1}"
                )
        if s is not None:
            s = _bcast(s, "signs", float, shape, l)
            if not np.all(np.abs(s) == 1):
                raise ValueError("signs must be +1 or -1")
            if np.any(s < 0) and sym not in _FLIPPABLE:
                raise ValueError(
                    f"sign flips are not a symmetry of {net.activation} ({sym!r}); only odd "
                    "and even activations and the sigmoid allow them"
                )
            if np.any(s < 0) and not _flips(net, l):
                raise ValueError(
                    f"sign flips of sigmoid units in hidden layer {l + 1} need a bias to absorb "
                    "σ(−z) = 1 − σ(z), but the next layer has none (bias=False)"
                )
        if k is not None:
            k = _bcast(k, "scales", float, shape, l)
            if not np.all(np.isfinite(k) & (k > 0)):
                raise ValueError("scales must be positive and finite")
            if np.any(k != 1) and sym != "homogeneous":
                raise ValueError(
                    f"rescaling is not a symmetry of {net.activation} ({sym!r}); only positively "
                    "homogeneous activations (relu, leaky_relu) allow it"
                )
        out.append((p, s, k))
    return out


def _apply(net: MLP, p: dict, layers: list[tuple]) -> None:
    """Apply per-layer (perm, signs, scales) to the parameter dict p in place."""
    L, complement = len(net.units), net.act.symmetry == "complement"
    multi = net.out_dim > 1
    even = net.act.symmetry == "even"
    for l, (perm, signs, scales) in enumerate(layers):
        W, b = p["W"][l], p["b"][l]
        last = l == L - 1
        # outgoing weights: (..., n), (..., n, K) for K outputs, or (..., n', n) inside
        out = p["a"] if last else p["W"][l + 1]
        ax = -2 if last and multi else -1  # the unit axis of the outgoing weights

        def o(v, last=last):  # lift a per-unit array to the outgoing weights' shape
            if last:
                return v[..., :, None] if multi else v
            return v[..., None, :]

        if perm is not None:
            W = np.take_along_axis(W, perm[..., :, None], axis=-2)
            b = np.take_along_axis(b, perm, axis=-1)
            out = np.take_along_axis(out, o(perm), axis=ax)
        if signs is not None:
            W, b = W * signs[..., None], b * signs
            if complement:  # σ(−z) = 1 − σ(z): the flipped unit's weight moves into the bias
                shift = np.where(o(signs) < 0, out, 0.0).sum(axis=ax)
                if last:
                    p["c"] = p["c"] + shift
                else:
                    p["b"][l + 1] = p["b"][l + 1] + shift
            if not even:  # φ(−z) = φ(z): the unit's output, hence its outgoing weight, stays
                out = out * o(signs)
        if scales is not None:
            W, b, out = W * scales[..., None], b * scales, out / o(scales)
        p["W"][l], p["b"][l] = W, b
        if last:
            p["a"] = out
        else:
            p["W"][l + 1] = out


def transform(net: MLP, theta, perm, signs=None, scales=None) -> np.ndarray:
    """Apply the group element g = (perm, signs, scales) to θ of shape (..., D ≥ net.dim).

    New unit j is old unit ``perm[j]``, then multiplied by ``signs[j]`` = ±1 and rescaled by
    ``scales[j]`` = λⱼ > 0:

        (w'ⱼ, b'ⱼ, a'ⱼ) = (sⱼλⱼ w_π(j), sⱼλⱼ b_π(j), sⱼ a_π(j)/λⱼ),   c' = c + Σ_{sⱼ<0} a_π(j)

    (the shift of c only for the sigmoid; for an even activation a'ⱼ = a_π(j)/λⱼ, unflipped).
    Flips need an odd or even activation or the sigmoid,
    scales ≠ 1 a positively homogeneous one; otherwise g is not a symmetry and a ValueError is
    raised. perm/signs/scales have shape (N,) or broadcast against θ's batch shape (..., N).
    For deeper networks pass a list with one array per hidden layer: layer l's permutation and
    flips/scales also act on the columns of layer l+1's weights (for the sigmoid the flipped
    column is added to layer l+1's biases).

    Example
    -------
    >>> from bayes_uat import MLP
    >>> net = MLP(2, "tanh")
    >>> transform(net, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.5], [1, 0], signs=[1, -1]).tolist()
    [4.0, 5.0, 6.0, -1.0, -2.0, -3.0, 0.5]
    """
    _need_hidden(net, "transform")
    theta = _as_theta(net, theta)
    layers = _layer_args(net, perm, signs, scales, theta.shape[:-1])
    p = _params(net, theta)
    _apply(net, p, layers)
    _write(net, theta, p)
    return theta


def _flips(net: MLP, l: int) -> bool:
    """Whether flipping the signs of hidden layer l's units is a symmetry: always for odd and
    even activations; for the sigmoid only when the next layer (or the output) has a bias to
    absorb σ(−z) = 1 − σ(z)."""
    sym = net.act.symmetry
    return sym in ("odd", "even") or (sym == "complement" and net.biases[l + 1])


def group_size(net: MLP) -> int:
    """Number of discrete symmetries, Π_l n_l!·2^{n_l} (flips for odd and even activations
    and the sigmoid) or Π_l n_l! (otherwise); 1 for a linear model. Continuous rescalings of
    homogeneous activations are not counted.

    >>> from bayes_uat import MLP
    >>> group_size(MLP(3, "tanh")), group_size(MLP(3, "relu")), group_size(MLP((2, 3), "tanh"))
    (48, 6, 384)
    >>> group_size(MLP(3, "hat"))
    48
    """
    return math.prod(
        math.factorial(n) * (2**n if _flips(net, l) else 1) for l, n in enumerate(net.units)
    )


# -- canonical form (one hidden layer, 1-D input) ----------------------------------------------
def canonicalize(
    net: MLP,
    theta,
    *,
    tol: float = 1e-8,
    return_degenerate: bool = False,
    a_tol: float = 1e-3,
    w_tol: float = 1e-3,
):
    """Canonical representative of θ's symmetry orbit; θ of shape (..., D ≥ net.dim).

    For f(x) = c + Σᵢ aᵢ φ(wᵢx + bᵢ), per row:

    1. orient every unit by ``net.act.symmetry``: odd: if wᵢ < 0, (wᵢ, bᵢ, aᵢ) → −(wᵢ, bᵢ, aᵢ);
       sigmoid: the same and c → c + aᵢ; even: if wᵢ < 0, (wᵢ, bᵢ) → −(wᵢ, bᵢ) with aᵢ kept;
       homogeneous: (wᵢ, bᵢ, aᵢ) → (wᵢ/|wᵢ|, bᵢ/|wᵢ|, aᵢ|wᵢ|)
       when |wᵢ| > tol (λ > 0 cannot change the sign of wᵢ); none: nothing. A unit with wᵢ = 0
       exactly is flipped (where allowed) when bᵢ < 0.
    2. sort units by their transition tᵢ = −bᵢ/wᵢ ascending, ties by aᵢ; units with |wᵢ| ≤ tol
       (constants) go last, sorted by bᵢ then aᵢ.

    The result satisfies canonicalize(g·θ) = canonicalize(θ) for every group element g (up to
    rounding; homogeneous units with |wᵢ| ≤ tol are not rescaled, so their scale stays free), is
    idempotent and leaves net.apply unchanged. Extra trailing entries (e.g. log σ) are passed
    through. With ``return_degenerate=True`` it also returns :func:`degenerate_units` (a_tol,
    w_tol) of the result, a boolean (..., N) mask in canonical order.

    Example
    -------
    >>> from bayes_uat import MLP
    >>> canonicalize(MLP(2, "relu"), [2.0, -4.0, 1.0, -0.5, 0.5, 2.0, 0.0]).tolist()
    [-1.0, 1.0, 1.0, 1.0, -2.0, 2.0, 0.0]
    """
    theta = _as_theta(net, theta)
    if not net.units:
        return (theta, np.zeros(theta.shape[:-1] + (0,), bool)) if return_degenerate else theta
    _need_1d_single(net, "canonicalize")
    if not (np.isfinite(tol) and 0 <= tol < 1):
        raise ValueError(f"tol must lie in [0, 1), got {tol}")
    p = _params(net, theta)  # a missing bias reads as zeros: bias-free units sort by (w, a)
    w, b, a, c = p["W"][0][..., 0], p["b"][0], p["a"], p["c"]
    sym = net.act.symmetry

    def rows(v):  # a per-unit array lifted to a's shape ((..., N) or (..., N, K))
        return v[..., None] if net.out_dim > 1 else v

    if sym in _FLIPPABLE and _flips(net, 0):
        flip = (w < 0) | ((w == 0) & (b < 0))
        if sym == "complement":
            c = c + np.where(rows(flip), a, 0.0).sum(axis=-2 if net.out_dim > 1 else -1)
        s = np.where(flip, -1.0, 1.0)
        w, b, a = w * s, b * s, (a if sym == "even" else a * rows(s))
    elif sym == "homogeneous":
        lam = np.where(np.abs(w) > tol, np.abs(w), 1.0)
        w, b, a = w / lam, b / lam, a * rows(lam)
    flat = ~(np.abs(w) > tol)
    key = np.where(flat, b, -b / np.where(flat, 1.0, w))
    a_key = a[..., 0] if net.out_dim > 1 else a  # ties broken by the first output weight
    order = np.lexsort((a_key, w, key, flat), axis=-1)
    w, b = (np.take_along_axis(v, order, axis=-1) for v in (w, b))
    a = np.take_along_axis(a, rows(order), axis=-2 if net.out_dim > 1 else -1)
    _write(net, theta, dict(W=[w[..., None]], b=[b], a=a, c=c))
    if return_degenerate:
        return theta, degenerate_units(net, theta, a_tol=a_tol, w_tol=w_tol)
    return theta


def degenerate_units(net: MLP, theta, *, a_tol: float = 1e-3, w_tol: float = 1e-3) -> np.ndarray:
    """Boolean (..., N) mask of units that contribute (almost) nothing but a constant.

    For one hidden layer (any input dimension), unit i is degenerate when |aᵢ| ≤ a_tol (it is
    switched off, so wᵢ, bᵢ are free) or ‖wᵢ‖ ≤ w_tol (it is a constant absorbed into c). For
    homogeneous activations that test is not scale-free, so there the unit's slope is used,
    |aᵢ|·‖wᵢ‖ ≤ a_tol (it covers both cases), and w_tol is not used. The tolerances are
    absolute: the defaults suit weights of order 1–30 (the default prior_std is 30); scale them
    with your prior's standard deviation for much smaller or larger priors.

    >>> from bayes_uat import MLP
    >>> degenerate_units(MLP(2, "tanh"), [1.0, 0.0, 0.0, 2.0, 1.0, 3.0, 0.0]).tolist()
    [True, False]
    """
    _need_hidden(net, "degenerate_units")
    if len(net.units) != 1:
        raise ValueError("degenerate_units is defined for networks with one hidden layer")
    theta = _as_theta(net, theta)
    p = _params(net, theta)
    wn, a = np.linalg.norm(p["W"][0], axis=-1), p["a"]
    if net.out_dim > 1:  # a unit with K output weights is off when all of them are
        a = np.linalg.norm(a, axis=-1)
    if net.act.symmetry == "homogeneous":
        return np.abs(a) * wn <= a_tol
    return (np.abs(a) <= a_tol) | (wn <= w_tol)


def unit_table(
    net: MLP, theta, *, tol: float = 1e-8, a_tol: float = 1e-3, w_tol: float = 1e-3
) -> dict:
    """Per-unit quantities of θ (..., D ≥ net.dim), one hidden layer and 1-D input.

    Returns arrays of shape (..., N): ``w``, ``b``, ``a``; ``t`` = −b/w, the transition location
    (NaN where |w| ≤ tol); ``slope`` = a·|w|, the scale-free amplitude of a ReLU-like unit; and
    ``degenerate`` from :func:`degenerate_units`. Units are taken in θ's order: canonicalise
    first to compare units across samples.

    >>> from bayes_uat import MLP
    >>> tab = unit_table(MLP(1, "sigmoid"), [2.0, -4.0, 3.0, 0.0])
    >>> tab["t"].tolist(), tab["slope"].tolist()
    ([2.0], [6.0])
    """
    _need_hidden(net, "unit_table")
    _need_1d_single(net, "unit_table")
    theta = _as_theta(net, theta)
    idx = net.unit_slices()
    w, b, a = (theta[..., idx[:, k]] for k in range(3))
    ok = np.abs(w) > tol
    t = np.where(ok, -b / np.where(ok, w, 1.0), np.nan)
    return dict(
        w=w,
        b=b,
        a=a,
        t=t,
        slope=a * np.abs(w),
        degenerate=degenerate_units(net, theta, a_tol=a_tol, w_tol=w_tol),
    )


# -- alignment to a reference ------------------------------------------------------------------
def _assign(cost: np.ndarray) -> np.ndarray:
    """Minimum-cost matchings for a stack of (N, N) costs (rows: θ's units, columns: the
    reference's); returns perm (R, N) with perm[r, j] the θ unit matched to reference unit j."""
    R, n, _ = cost.shape
    if n <= _EXHAUSTIVE_MAX:
        cands = np.array(list(permutations(range(n))), dtype=np.intp)  # (n!, n)
        total = cost[:, cands, np.arange(n)].sum(axis=-1)  # (R, n!)
        return cands[np.argmin(total, axis=-1)]
    from scipy.optimize import linear_sum_assignment  # 0.3 s to import: only when used

    perm = np.empty((R, n), dtype=np.intp)
    for r in range(R):
        rows, cols = linear_sum_assignment(cost[r])
        perm[r, cols] = rows
    return perm


def _blocks(net: MLP, p: dict, l: int, homogeneous: bool, tol: float):
    """Unit parameter blocks of hidden layer l, (..., n, k): incoming weights, bias and, for
    the last layer, the output weight. For homogeneous activations the blocks are made
    scale-free, (w/‖w‖, b/‖w‖, a‖w‖), and ‖w‖ is returned too."""
    W, b = p["W"][l], p["b"][l]
    last = l == len(net.units) - 1
    norm = np.linalg.norm(W, axis=-1)
    lam = np.where(norm > tol, norm, 1.0) if homogeneous else np.ones_like(norm)
    parts = [W / lam[..., None], (b / lam)[..., None]]
    if last:
        a = p["a"] if net.out_dim > 1 else p["a"][..., None]  # (..., n, K)
        parts.append(a * lam[..., None])
    return np.concatenate(parts, axis=-1), norm


def _align_rows(net: MLP, theta: np.ndarray, ref: dict, tol: float) -> None:
    """Align the rows of theta (R, D) to the reference parameters, in place."""
    L, sym = len(net.units), net.act.symmetry
    homog = sym == "homogeneous"
    for l in range(L):
        flips = _flips(net, l) and (sym in ("odd", "even") or L == 1)
        p = _params(net, theta)
        with np.errstate(invalid="ignore", over="ignore"):  # non-finite rows: dropped below
            u, nu = _blocks(net, p, l, homog, tol)  # (R, n, k)
        r, nr = _blocks(net, ref, l, homog, tol)  # (n, k)
        bad = ~np.isfinite(u).all(axis=(-2, -1))
        u[bad] = 0.0  # rows with NaN/inf are left as they are
        cost = ((u[:, :, None, :] - r) ** 2).sum(axis=-1)  # (R, n_theta, n_ref)
        if flips:
            # the flipped unit: −(w, b, a), or −(w, b) with a kept for an even activation
            neg = -np.ones(u.shape[-1])
            if sym == "even" and l == L - 1:
                neg[-1] = 1.0
            cost_m = ((neg * u[:, :, None, :] - r) ** 2).sum(axis=-1)
            flip = cost_m < cost
            cost = np.minimum(cost, cost_m)
        perm = _assign(cost)
        perm[bad] = np.arange(net.units[l])
        signs = scales = None
        if flips:
            chosen = np.take_along_axis(flip, perm[:, None, :], axis=1)[:, 0, :]
            signs = np.where(chosen & ~bad[:, None], -1.0, 1.0)
        if homog:
            nu_p = np.take_along_axis(nu, perm, axis=-1)
            ok = (nu_p > tol) & (nr > tol) & ~bad[:, None]
            scales = np.where(ok, nr / np.where(ok, nu_p, 1.0), 1.0)
        layers = [(None, None, None)] * L
        layers[l] = (perm, signs, scales)
        _apply(net, p, layers)
        _write(net, theta, p)


def align(net: MLP, theta, reference, *, tol: float = 1e-8) -> np.ndarray:
    """Move every row of θ (..., D ≥ net.dim) into the symmetric copy nearest to ``reference``.

    One hidden layer (any input dimension): with uᵢ = (wᵢ, bᵢ, aᵢ) θ's units and rⱼ the
    reference's, the cost of matching i to j is min_s ‖s·uᵢ − rⱼ‖² over the orientations s the
    activation allows (s = ±1 for odd activations and the sigmoid, whose flips also update c;
    for even activations the flip is (−wᵢ, −bᵢ, aᵢ)).
    For homogeneous activations units are compared scale-free, (w/‖w‖, b/‖w‖, a‖w‖), and each
    matched unit is then rescaled to the reference unit's ‖w‖. The permutation minimising the
    total cost is found with the Hungarian algorithm (scipy.optimize.linear_sum_assignment;
    for N ≤ 5 an equivalent vectorised search over all N! permutations).

    Deeper networks are aligned layer by layer: the units of hidden layer l are matched by
    their incoming weights and bias (the last layer also by the output weights a), and the
    permutation is also applied to the columns of layer l+1's weights before that layer is
    matched. Sign flips are used only for odd and even activations there: the sigmoid's flip would
    shift layer l+1's biases, so deep sigmoid networks are aligned by permutations (and
    deep homogeneous ones by permutations and rescaling) only. The result is a local optimum
    of the layer-wise matching, not a search over the whole group.

    Rows containing NaN or inf are returned unchanged; extra trailing entries pass through.

    Example
    -------
    >>> import numpy as np
    >>> from bayes_uat import MLP
    >>> net = MLP(2, "tanh")
    >>> ref = np.array([1.0, 2.0, 3.0, -4.0, 5.0, 6.0, 0.5])
    >>> theta = transform(net, ref, [1, 0], signs=[-1, 1])
    >>> bool(np.allclose(align(net, theta, ref), ref))
    True
    """
    theta = _as_theta(net, theta)
    if not net.units:
        return theta
    ref = np.asarray(reference, dtype=float)
    if ref.ndim != 1 or ref.shape[0] < net.dim:
        raise ValueError(f"reference must have shape ({net.dim},), got {ref.shape}")
    ref_p = _params(net, ref[: net.dim])
    if not all(np.isfinite(ref[: net.dim])):
        raise ValueError("reference must be finite")
    flat = theta.reshape(-1, theta.shape[-1])
    for start in range(0, flat.shape[0], _CHUNK):
        _align_rows(net, flat[start : start + _CHUNK], ref_p, tol)
    return flat.reshape(theta.shape)
