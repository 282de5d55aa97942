"""A mass matrix for tempered SMC that follows the network's symmetries (``mass="canonical"``).

On a posterior whose copies differ by a permutation of the hidden units or a sign flip of
them, the particles spread over many copies, and their raw covariance mixes the copies: it
describes where the copies lie, not the shape of any one mode, so HMC tuned with it moves
badly inside each mode (docs/smc.md, "Measured"). ``mass="canonical"`` instead

1. maps every particle θᵢ to its canonical representative uᵢ = Gᵢ⁻¹θᵢ (each unit oriented,
   units sorted by their step location t = −b/w, as :func:`bayes_uat.symmetry.canonicalize`
   does), where Gᵢ is the linear map of that copy — a signed permutation of the unit entries,
   and for the sigmoid's complement flip also c ← c + Σ_flipped a;
2. takes the weighted covariance Σ of the uᵢ (the shape of a mode, copies pooled);
3. moves particle i with the inverse mass matrix Gᵢ Σ Gᵢᵀ: Σ carried into its own copy.

A mass matrix that depends on the particle's position would break HMC's reversibility, so
every transition of particle i is restricted to the copy (the *cell*: the same flips and the
same unit order) it started the mutation in: a proposal in another cell is rejected. Each
transition is then HMC with a fixed mass matrix on the posterior restricted to one cell, which
leaves the tempered posterior invariant; particles change copies through resampling and
through :func:`symmetry_move`'s jumps. Copies related by an exact symmetry are moved by
kernels that are images of each other under that symmetry.

Available for one hidden layer on a scalar input with one output (the networks
:func:`~bayes_uat.symmetry.canonicalize` handles); :func:`copy_frame` returns None otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

_FLIP = ("odd", "complement", "even")

# ``mass="auto"`` uses the canonical mass up to this many hidden units. Measured (docs/smc.md):
# far better at N = 2 (the close-up's log Z ± 1 nat where the raw covariance scattered over
# hundreds), worse at N = 16 on the weak −MSE posterior, where units pass each other all the
# time and every such move is rejected. Between the two nothing decided it; 6 keeps the
# networks of the unit studies on the canonical mass.
AUTO_MAX_UNITS = 6


class CopyFrame(NamedTuple):
    """``frame(θ) -> (cell, G)`` for one particle θ of shape (dim,): ``cell`` an int32 vector
    naming the copy (the unit flips, then the unit order), ``G`` the (dim, dim) matrix with
    θ = G u for the canonical u; ``cell(θ)`` the cell alone (cheap: no matrix)."""

    frame: Callable
    cell: Callable


class _Units(NamedTuple):
    """Where a one-hidden-layer network's units sit in θ, and which flips it has."""

    n: int
    iw: jax.Array
    ib: jax.Array
    ia: jax.Array
    ic: int  # −1: no output bias
    has_b: bool
    rows: np.ndarray  # (N, 2 or 3): each unit's entries (w, [b,] a)
    flips: bool  # units can be sign-flipped
    sign_a: bool  # a flip also negates a (odd, complement); even keeps it
    shear: bool  # a flip also moves c (the sigmoid's complement flip)


def _units_of(posterior) -> _Units | None:
    """The unit layout of the posterior's network; None where it has no canonical form."""
    net = getattr(posterior, "net", None)
    if net is None or not _supported(net):
        return None
    from ..symmetry import _flips, _index

    ix = _index(net)
    iw, ib, ia = ix["W"][0][:, 0], ix["b"][0], ix["a"]
    ic = int(ix["c"])
    has_b = bool((ib >= 0).all())
    sym = net.act.symmetry
    flips = sym in _FLIP and _flips(net, 0)
    return _Units(
        n=net.units[0], iw=jnp.asarray(iw), ib=jnp.asarray(ib), ia=jnp.asarray(ia), ic=ic,
        has_b=has_b, rows=np.stack([iw, ib, ia] if has_b else [iw, ia], axis=1), flips=flips,
        sign_a=sym in ("odd", "complement"), shear=flips and sym == "complement" and ic >= 0,
    )  # fmt: skip


def copy_frame(posterior) -> CopyFrame | None:
    """The :class:`CopyFrame` of the posterior's network; None where it has none."""
    u = _units_of(posterior)
    if u is None:
        return None
    base = np.eye(posterior.dim)
    base[u.rows.ravel(), u.rows.ravel()] = 0.0

    def orient(theta):
        w = theta[u.iw]
        b = theta[u.ib] if u.has_b else jnp.zeros_like(w)
        flip = ((w < 0) | ((w == 0) & (b < 0))) if u.flips else jnp.zeros(u.n, bool)
        s = jnp.where(flip, -1.0, 1.0).astype(theta.dtype)
        wo, bo = w * s, b * s
        flat = jnp.abs(wo) <= 1e-8
        key = jnp.where(flat, jnp.inf, -bo / jnp.where(flat, 1.0, wo))
        src = jnp.argsort(key, stable=True)  # canonical unit j is raw unit src[j]
        return flip, s, src, jnp.concatenate([flip.astype(jnp.int32), src.astype(jnp.int32)])

    def cell(theta):
        return orient(theta)[3]

    def frame(theta):
        flip, s, src, c = orient(theta)
        G = jnp.asarray(base, dtype=theta.dtype)
        G = G.at[u.iw[src], u.iw].set(s[src])
        if u.has_b:
            G = G.at[u.ib[src], u.ib].set(s[src])
        sa = s if u.sign_a else jnp.ones_like(s)
        G = G.at[u.ia[src], u.ia].set(sa[src])
        if u.shear:  # θ_c = u_c + Σ over flipped units of their canonical a
            G = G.at[u.ic, u.ia].add(flip[src].astype(theta.dtype))
        return c, G

    return CopyFrame(frame, cell)


def _supported(net) -> bool:
    return (
        len(getattr(net, "units", ())) == 1
        and net.in_dim == 1
        and net.out_dim == 1
        and net.encoding is None
    )


def canonical_cov(frame: CopyFrame, x, w) -> jax.Array:
    """Weighted covariance of the canonical particles Gᵢ⁻¹xᵢ (x: (P, dim), w: (P,)), with a
    small ridge so that it stays positive definite."""
    _, G = jax.vmap(frame.frame)(x)
    u = jnp.linalg.solve(G, x[..., None])[..., 0]
    mean = w @ u
    d = u - mean
    cov = (d * w[:, None]).T @ d
    return cov + 1e-10 * (1.0 + jnp.trace(cov)) * jnp.eye(x.shape[1], dtype=x.dtype)


def restricted(logdensity: Callable, frame: CopyFrame, cell) -> Callable:
    """``logdensity`` on the cell ``cell`` only (−inf elsewhere): HMC proposals that leave
    the copy they started in are rejected."""

    def logp(theta):
        inside = jnp.all(frame.cell(theta) == cell)
        return jnp.where(inside, logdensity(theta), -jnp.inf)

    return logp


def local_metrics(frame: CopyFrame, positions, cov) -> tuple[jax.Array, jax.Array]:
    """Per particle: its cell and the inverse mass matrix Gᵢ Σ Gᵢᵀ (P, dim, dim)."""
    cells, G = jax.vmap(frame.frame)(positions)
    return cells, jnp.einsum("pij,jk,plk->pil", G, cov, G)


def symmetry_move(posterior) -> Callable | None:
    """``move(key, θ, logdensity) -> (θ', accepted)``: two Metropolis–Hastings steps that jump
    between copies, for one particle — flip one unit chosen at random (odd: (w, b, a) → −(w,
    b, a); sigmoid: the same and c ← c + a; even: (w, b) → −(w, b)), then swap two units chosen
    at random — each accepted with probability min(1, p(θ')/p(θ)) under ``logdensity``.

    Both proposals are involutions with unit Jacobian chosen uniformly, so each step leaves
    ``logdensity`` invariant whatever the prior; where the likelihood is invariant (always,
    for these symmetries) only the prior decides, so the sigmoid's complement copies exchange
    mass at the ratio of their priors. None where the network has no canonical form."""
    u = _units_of(posterior)
    if u is None or u.n < 1:
        return None
    n, iw, ib, ia, ic = u.n, u.iw, u.ib, u.ia, u.ic
    unit_idx = jnp.asarray(u.rows)

    def flip(theta, j):
        s = jnp.where(jnp.arange(n) == j, -1.0, 1.0).astype(theta.dtype)
        out = theta.at[iw].multiply(s)
        if u.has_b:
            out = out.at[ib].multiply(s)
        if u.sign_a:
            out = out.at[ia].multiply(s)
        if u.shear:
            out = out.at[ic].add(theta[ia[j]])
        return out

    def swap(theta, i, j):
        src = jnp.arange(n).at[i].set(j).at[j].set(i)
        return theta.at[unit_idx].set(theta[unit_idx[src]])

    def mh(key, theta, lp, proposal, logdensity):
        lp_new = logdensity(proposal)
        ok = jnp.log(jax.random.uniform(key, dtype=theta.dtype)) < lp_new - lp
        return jnp.where(ok, proposal, theta), jnp.where(ok, lp_new, lp), ok

    def move(key, theta, logdensity):
        k_unit, k_flip, k_pair, k_swap = jax.random.split(key, 4)
        lp = logdensity(theta)
        acc = jnp.zeros((), bool)
        if u.flips:
            j = jax.random.randint(k_unit, (), 0, n)
            theta, lp, acc = mh(k_flip, theta, lp, flip(theta, j), logdensity)
        if n > 1:
            i, j = jax.random.choice(k_pair, n, (2,), replace=False)
            theta, lp, ok = mh(k_swap, theta, lp, swap(theta, i, j), logdensity)
            acc = acc | ok
        return theta, acc

    return move
