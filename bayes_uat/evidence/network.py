"""The evidence of a one-hidden-layer network: census, folded density, runs, mode table.

**The folded density.** f(x) = c + Σᵢ aᵢ φ(wᵢx + bᵢ) is unchanged by the group G of unit
permutations and (odd φ, even φ, the sigmoid) unit flips. For any fundamental domain C of
G (a set holding one copy of almost every θ),

    Z = ∫ p̃(θ) dθ = ∫_C Σ_{g∈G} p̃(g·u) du,

and the runs estimate the integral of the folded density p̃_C(u) = Σ_g p̃(g·u) over C. Two
domains are used: the canonical domain {wᵢ ≥ 0 (where flips exist), t₁ ≤ … ≤ t_N for
tᵢ = −bᵢ/wᵢ} (the form of :func:`bayes_uat.symmetry.canonicalize`, without the ReLU's
rescaling) for the census's modes and the mode table, and, for the SMC, the domain C_q
aligned to each run's reference (:meth:`_Layout.aligned`), which holds nearly all of every
component's draws where the canonical ordering would cut them (at tanh N = 9 on ``sin``,
3 in 10⁶ draws lay in the canonical domain). The sum is exact, never enumerated over the
N!·2^N elements:

* the likelihood is invariant under G, and the default N(0, s²) prior is invariant under
  permutations and the odd and even flips, so p̃_C(u) = |G|·p̃(u);
* the sigmoid's flip S ⊆ units sets c ← c + Σ_{i∈S} aᵢ and changes only c's prior:
  p̃_C(u) = N!·p̃(u)·Σ_S exp(−[(c + Σ_{i∈S} aᵢ)² − c²]/(2s²)), a sum over the 2^N subset
  sums of a (N ≤ 16).

A prior other than the default is accepted where it is checked (numerically, at prior
draws) to be invariant under permutations and, for odd and even units, flips.

**Census** (per run, with its own seed): ``restarts`` Adam restarts on the training loss
(vmapped, :func:`~bayes_uat.train_sgd`), each refined by damped Newton with the exact
Hessian (vmapped, :func:`~bayes_uat.optimize.newton_many`) to a local maximum of the
posterior, put in canonical form, and grouped greedily (best log-density first)
into distinct modes: a point joins a mode when its squared Mahalanobis distance under the
mode's Laplace covariance is below 1. Each mode's covariance is the inverse of −H (H the
Hessian of log p̃_C at its centre) with eigenvalues of −H floored at 1/s² (no direction
wider than the prior). The reference q of the run holds the ``max_components`` modes of
highest Laplace mass log p̃_C(μ) + ½ log det Σ, each a Student-t with scale matrix
``inflate``·Σ, weighted by that mass.

**Draws** are the final particles, each moved to a random copy g·u with probability
∝ p̃(g·u) (uniform over G for invariant priors; for the sigmoid, flips drawn by their prior
weights), so ``samples`` are posterior draws in weight space.
"""

from __future__ import annotations

import json
import math
import time
from functools import lru_cache
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp

from .core import (
    IND_CANDIDATES,
    Settings,
    Target,
    check_progress,
    core_done,
    core_init,
    core_result,
    core_step,
    make_reference,
)
from .result import Evidence, ModeRow, chao1

FLIP_SUM_MAX = 16
"""The sigmoid's folded density sums over 2^N flip patterns: at most this many units."""

REFINE_STEPS = 100
"""Newton steps of the census's first refinement stage at most (all restarts in one vmapped
loop, which runs until the slowest has converged or this many steps)."""

REFINE_STEPS_TOP = 2000
"""Newton steps of the second stage at most, for the restarts it carries on. Noise-floor
maxima of the ``sin`` model lie on long, nearly flat ridges (Hessian eigenvalues from −10⁸
to −10⁻³): at sigmoid N = 7, 100 + 100 steps left every one of the 16 heaviest "modes" of a
census 8–390 away from a stationary point (|∇ log p|), each a different point; the 8
heaviest of four such censuses, run on, reached one and the same maximum within 107–254
more steps, and the slowest of a census's best 256 restarts needs about 400."""

CONVERGED_GAP = 0.1
"""A refined point counts as a maximum when the quadratic model's rise left, ½ gᵀ Σ g (g
the gradient of the folded log-density, Σ its regularised Laplace covariance), is below
this many nats. A point that is not (a saddle, or a restart stopped on a ridge) has a
Laplace mass that says nothing: its floored directions give it the prior's width. The
reference takes maxima first."""

REFINE_CHUNK = 100
"""The second stage runs in chunks of this many Newton steps, each on the restarts still
moving (:func:`_newton_compacted`)."""

REFINE_KEEP = 0.25
"""The share of restarts, highest log p first, that the refinement's second stage carries
on: on the ``sin`` model at tanh N = 5 (1 024 restarts), the restarts that end within 2 nats
of the best ranked in the top 3 after the first stage."""

SPREAD_SHARE = 0.5
"""The share of the census's restarts that start spread over the data (:func:`_spread_starts`)
instead of from the PyTorch-style initialisation. On the ``sin`` model at tanh N = 5 the
modes that carry the mass were reached by 10 and 12 of 1 024 spread starts against 1 and 0
PyTorch-initialised ones; at sigmoid N = 5, 3 and 2 spread starts ended within 2 nats of the
best against 7 and 5 (benchmarks/census_starts.py, seeds 1 and 2): the census takes half of
each."""


DOMAINS = ("auto", "canonical", "aligned")
"""The SMC's fundamental domain: the canonical domain (:meth:`_Layout.inside`), the domain
aligned to each run's reference (:meth:`_Layout.aligned`), or ``auto``: canonical unless some
run's reference puts under :data:`CANONICAL_SHARE_MIN` of its draws there."""

ALIGNED_CANDIDATES = 8
"""Draws an independence proposal tries on the aligned domain (64 on the canonical one): its
test costs about half a gradient of the log density at N = 9, the particles of a vmapped
sweep wait for the slowest, and the aligned domain holds most of a component's draws."""

CANONICAL_SHARE_MIN = 0.01
"""``domain="auto"`` takes the aligned domain when some run's reference puts fewer than this
share of its draws in the canonical domain (its independence proposals then mostly find no
candidate in 64 draws, and q̄(C) needs millions of draws)."""

REFERENCES = ("laplace", "refit")
"""The components of each run's reference q: at the census's maxima with their Laplace
covariances (``laplace``), or with the :data:`REFIT_COMPONENTS` heaviest refitted to NUTS draws
inside them (``refit``; docs/evidence.md)."""

REFIT_COMPONENTS = 2
"""With ``reference="refit"``, the heaviest components (by Laplace mass) of each run that get
the mean and covariance of NUTS draws inside them."""

REFIT_NUTS = dict(chains=2, warmup=300, draws=500, max_tree_depth=10, target_accept=0.9)
"""The NUTS run of each refitted component (the settings measured in
benchmarks/evidence_nuts_reference.py)."""

HOP_MODES = 16
"""Each round of the census's hops starts near this many of the heaviest maxima (by Laplace
mass) found so far."""

HOP_ROUNDS = 4
"""The hops run in this many rounds, each from the heaviest maxima found so far. On the
``sin`` model at tanh N = 6 (four censuses, seeds 11–14), restarts alone all found the same
heaviest maximum, Laplace log mass 1307.56, and missed heavier ones: one round of 512 hops
reached maxima up to 1312.01 in some censuses (the log-sum of the maxima's Laplace masses
spread with SD 1.77 across censuses), and four rounds of 128 reached the 1312.01 maximum in
every census (SD 0.01; benchmarks/census_hops.py, docs/evidence.md, "Hops")."""

SAME_MODE = 1.0
"""Two refined maxima are one mode when the squared Mahalanobis distance between them
(under the better one's Laplace covariance) is below this."""


# -- the network's layout and its canonical domain -------------------------------------------
def Layout(posterior) -> _Layout:
    """The unit layout of the posterior's network (ValueError where it has no canonical
    form, or where its activation has no gradient for the HMC moves)."""
    if not posterior.net.act.differentiable:
        raise ValueError(
            f"evidence moves particles by HMC, which needs gradients, but the "
            f"{posterior.net.activation!r} activation has zero gradient almost everywhere; "
            "use a differentiable activation (sigmoid, tanh, relu, ...)"
        )
    return _layout_of(posterior.net)


@lru_cache(maxsize=64)
def _layout_of(net) -> _Layout:
    return _Layout(net)


class _Layout:
    """Where the units of a one-hidden-layer, scalar-in, scalar-out network sit in θ."""

    def __init__(self, net):
        from ..symmetry import _flips, _index

        if not (
            len(net.units) == 1
            and net.in_dim == 1
            and net.out_dim == 1
            and net.encoding is None
            and all(net.biases)
            and net.has_output_bias
        ):
            raise ValueError(
                "evidence needs a network with one hidden layer on a scalar input, one output "
                "and biases (the networks with a canonical form); for others use "
                "bayes_uat.run_smc, whose log Z starts from the prior"
            )
        ix = _index(net)
        self.n = net.units[0]
        self.iw = np.asarray(ix["W"][0][:, 0])
        self.ib = np.asarray(ix["b"][0])
        self.ia = np.asarray(ix["a"])
        self.ic = int(ix["c"])
        self.sym = net.act.symmetry
        self.flips = self.sym in ("odd", "even", "complement") and _flips(net, 0)
        self.dim = net.dim
        self.rows = np.stack([self.iw, self.ib, self.ia], axis=1)

    @property
    def log_group(self) -> float:
        return math.lgamma(self.n + 1) + (self.n * math.log(2) if self.flips else 0.0)

    @property
    def group_size(self) -> int:
        return math.factorial(self.n) * (2**self.n if self.flips else 1)

    def t(self, theta):
        w, b = theta[..., self.iw], theta[..., self.ib]
        flat = jnp.abs(w) <= 0.0
        return jnp.where(flat, jnp.inf, -b / jnp.where(flat, 1.0, w))

    def inside(self, theta):
        """θ (d,) lies in the canonical domain C."""
        ok = jnp.all(jnp.diff(self.t(theta)) >= 0)
        if self.flips:
            ok = ok & jnp.all(theta[self.iw] >= 0)
        return ok

    def in_canonical(self, ref, theta):
        """:meth:`inside` with the signature of a domain that depends on the reference."""
        return self.inside(theta)

    def aligned(self, ref, theta):
        """θ (d,) lies in the domain C_q aligned to the run's reference ``ref`` (JAX).

        Each component k of q̄ is matched to θ greedily: the cost of putting θ's unit j, in
        the orientation s that fits better, into k's slot i is Σ over (w, b, a) of
        ((s·θ_j − μ_ki)/σ_ki)² + 2 log σ_ki, σ the square roots of Σ_k's diagonal (−2 log of
        a normal density, so a slot that the data pin down is filled before a loose one,
        which would take any unit cheaply); the cheapest remaining pair is taken N times.
        The component of least total cost wins, and θ lies in C_q when that component's
        pairs are (i, i) without a flip. The rule sees θ's
        units only through their costs, which a unit permutation permutes and a flip leaves
        alone (the sigmoid's flip also moves c, which the costs omit), so every orbit of G
        has exactly one copy in C_q (up to ties, a null set): C_q is a fundamental domain,
        and the folded density integrates over it to Z. Draws from a component near its
        centre lie in C_q however wide the component is in directions the ordering of
        :meth:`inside` would cut (units with far-off or nearly equal kinks)."""
        rows = jnp.asarray(self.rows)
        u = theta[rows]  # (N, 3)
        mu, sd = ref.centres[:, rows], ref.scale[:, rows]  # (K, N, 3)

        def cost(sign):  # (K, slot i, unit j): −2 log N(s·θ_j; μ_ki, diag σ_ki²) + const
            z = (sign * u[None, None, :, :] - mu[:, :, None, :]) / sd[:, :, None, :]
            return jnp.sum(z * z, axis=-1) + 2.0 * jnp.sum(jnp.log(sd), axis=-1)[:, :, None]

        c = cost(jnp.ones(3, theta.dtype))
        straight = jnp.ones(c.shape, bool)
        if self.flips:
            flip = jnp.asarray([-1.0, -1.0, 1.0 if self.sym == "even" else -1.0], theta.dtype)
            c_flip = cost(flip)
            straight = c <= c_flip
            c = jnp.minimum(c, c_flip)
        k_n, n = c.shape[0], self.n
        slot = jnp.arange(n)

        def pick(carry, _):
            c, total, ok = carry
            at = jnp.argmin(c.reshape(k_n, n * n), axis=1)
            i, j = at // n, at % n
            total = total + c[jnp.arange(k_n), i, j]
            ok = ok & (i == j) & straight[jnp.arange(k_n), i, j]
            gone = (slot[None, :, None] == i[:, None, None]) | (
                slot[None, None, :] == j[:, None, None]
            )
            return (jnp.where(gone, jnp.inf, c), total, ok), None

        start = (c, jnp.zeros(k_n, c.dtype), jnp.ones(k_n, bool))
        (_, total, ok), _ = jax.lax.scan(pick, start, None, length=n)
        total = jnp.where(jnp.isfinite(ref.log_weights), total, jnp.inf)
        return ok[jnp.argmin(total)]

    def canonical(self, theta):
        """The copy of θ (..., d) in C (JAX): flip units with w < 0, sort by t."""
        theta = jnp.asarray(theta)
        if self.flips:
            w = theta[..., self.iw]
            s = jnp.where(w < 0, -1.0, 1.0).astype(theta.dtype)
            if self.sym == "complement":
                shift = jnp.sum(jnp.where(s < 0, theta[..., self.ia], 0.0), axis=-1)
                theta = theta.at[..., self.ic].add(shift)
            theta = theta.at[..., self.iw].multiply(s).at[..., self.ib].multiply(s)
            if self.sym != "even":
                theta = theta.at[..., self.ia].multiply(s)
        order = jnp.argsort(self.t(theta), axis=-1, stable=True)
        rows = jnp.asarray(self.rows)
        units = theta[..., rows]  # (..., N, 3)
        units = jnp.take_along_axis(units, order[..., None], axis=-2)
        return theta.at[..., rows].set(units)


def _subset_matrix(n: int) -> np.ndarray:
    """(2^n, n) 0/1 rows: every subset of n units."""
    return ((np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1).astype(float)


def _plain_prior(posterior) -> bool:
    """The default N(0, prior_std²) on every weight."""
    return bool(posterior._plain_prior())


def _check_prior_invariance(posterior, lay: Layout) -> None:
    """A non-default prior must be invariant under permutations (and odd/even flips): checked
    at prior draws against random group elements."""
    if _plain_prior(posterior):
        return
    if lay.sym == "complement":
        raise ValueError(
            "evidence with the sigmoid needs the default N(0, prior_std²) prior (its complement "
            "flips move c, and the folded density is summed in closed form for that prior); "
            "pass prior=None"
        )
    from ..symmetry import transform

    rng = np.random.default_rng(0)
    theta = np.asarray(posterior.prior_sample(jax.random.PRNGKey(0), (8,)), dtype=float)
    perm = np.stack([rng.permutation(lay.n) for _ in range(8)])
    signs = rng.choice([-1.0, 1.0], size=(8, lay.n)) if lay.flips else None
    moved = transform(posterior.net, theta, perm, signs)
    a, b = np.asarray(posterior.log_prior(theta)), np.asarray(posterior.log_prior(moved))
    if not np.allclose(a, b, rtol=1e-9, atol=1e-9):
        raise ValueError(
            "the prior is not invariant under the network's unit permutations and flips, so "
            "the folded density is not |G|·p̃; use a prior that treats every unit alike "
            "(e.g. the default N(0, prior_std²))"
        )


def folded_log_density(posterior, lay: Layout):
    """``log p̃_C(post, u)``: the folded log-density on C (see the module docstring), a
    function of the posterior (a pytree: its data are arguments of the compiled programs)
    and u. One function per network, so programs compiled for one posterior serve every
    posterior of the same network and data shapes."""
    if lay.sym == "complement" and lay.flips and lay.n > FLIP_SUM_MAX:
        raise ValueError(
            f"evidence for sigmoid networks sums over 2^N complement flips, so N ≤ "
            f"{FLIP_SUM_MAX}; this network has {lay.n} units (tanh has no such limit)"
        )
    _check_prior_invariance(posterior, lay)
    return _fold_fn(posterior.net)


@lru_cache(maxsize=64)
def _fold_fn(net):
    from ..posterior import log_density_at

    lay = _layout_of(net)
    const = lay.log_group
    if lay.sym != "complement" or not lay.flips:

        def log_fold(post, u):
            return log_density_at(post, u) + const

        return log_fold
    subsets = _subset_matrix(lay.n)
    const = math.lgamma(lay.n + 1)
    ia, ic = lay.ia, lay.ic

    def log_fold(post, u):
        c = u[ic]
        shifted = c + jnp.asarray(subsets, u.dtype) @ u[ia]
        s2 = 2.0 * post.prior_std**2
        return log_density_at(post, u) + const + logsumexp(-(shifted**2 - c**2) / s2)

    return log_fold


@lru_cache(maxsize=64)
def _fold_programs(log_fold):
    """(log p̃_C at many u, its Hessians at many u), compiled once per network."""
    many = jax.jit(jax.vmap(log_fold, in_axes=(None, 0)))
    hess = jax.jit(jax.vmap(jax.hessian(log_fold, argnums=1), in_axes=(None, 0)))
    return many, hess


@lru_cache(maxsize=64)
def _fold_gradient(log_fold):
    """The gradient of log p̃_C at many u, compiled once per network."""
    return jax.jit(jax.vmap(jax.grad(log_fold, argnums=1), in_axes=(None, 0)))


def rise_left(posterior, log_fold, points: np.ndarray, covs: np.ndarray) -> np.ndarray:
    """½ gᵀ Σ g at each of ``points``: the rise of log p̃_C that the quadratic model with
    gradient g and the Laplace covariance Σ still expects (0 at a maximum)."""
    g = np.asarray(_fold_gradient(log_fold)(posterior, jnp.asarray(points, posterior.dtype)))
    g = g.astype(np.float64)
    return 0.5 * np.einsum("ni,nij,nj->n", g, covs, g)


def _random_copies(posterior, lay: Layout, u: np.ndarray, seed: int) -> np.ndarray:
    """Each canonical row of u (M, d) moved to a copy g·u drawn with probability ∝ p̃(g·u)."""
    from ..symmetry import transform

    rng = np.random.default_rng(seed)
    m = len(u)
    perm = np.argsort(rng.random((m, lay.n)), axis=1)
    signs = None
    if lay.flips and lay.sym != "complement":
        signs = rng.choice([-1.0, 1.0], size=(m, lay.n))
    elif lay.flips:  # p(S) ∝ exp(−(c + Σ_S a)²/(2s²))
        subsets = _subset_matrix(lay.n)
        s2 = 2.0 * posterior.prior_std**2
        signs = np.ones((m, lay.n))
        for lo in range(0, m, 64):
            blk = u[lo : lo + 64]
            c = blk[:, lay.ic][:, None] + blk[:, lay.ia] @ subsets.T  # (b, 2^N)
            logw = -(c**2) / s2
            p = np.exp(logw - logw.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            pick = np.array([rng.choice(len(subsets), p=row) for row in p])
            signs[lo : lo + 64] = 1.0 - 2.0 * subsets[pick]
    # signs act on the canonical units before the permutation: flip, then permute
    flipped = transform(posterior.net, u, np.arange(lay.n), signs) if signs is not None else u
    return transform(posterior.net, flipped, perm)


# -- census ------------------------------------------------------------------------------------
def _refine_all(posterior, starts: np.ndarray, lp0: np.ndarray) -> tuple[np.ndarray, int]:
    """Damped Newton with the exact Hessian (:func:`~bayes_uat.optimize.newton_many`) from
    every start at once, in two stages: :data:`REFINE_STEPS` steps for every start, then
    up to :data:`REFINE_STEPS_TOP` for the :data:`REFINE_KEEP` share with the highest log p
    (at least 64);
    a result never lies below its start (``lp0``: log p at the starts). Returns (θ, the
    log-density evaluations spent: a step's Hessian and gradient count as dim + 2)."""
    from ..optimize import newton_many

    gtol = 1e-6 if posterior.dtype == "float64" else 1e-3  # the reference's centres: SMC
    theta, it = newton_many(posterior, jnp.asarray(starts, posterior.dtype), REFINE_STEPS, gtol)
    theta, steps = np.array(theta, dtype=float), int(np.sum(np.asarray(it)))
    lp = np.asarray(posterior.log_density(theta))
    top = np.argsort(-np.where(np.isfinite(lp), lp, -np.inf), kind="stable")
    top = top[: max(64, math.ceil(REFINE_KEEP * len(top)))]
    theta[top], more = _newton_compacted(posterior, theta[top], REFINE_STEPS_TOP, gtol)
    steps += more
    lp = np.asarray(posterior.log_density(theta))
    better = np.isfinite(lp) & ~(lp < lp0)
    return np.where(better[:, None], theta, starts), steps * (posterior.dim + 2)


def _newton_compacted(posterior, theta: np.ndarray, steps: int, gtol: float):
    """:func:`~bayes_uat.optimize.newton_many` for up to ``steps`` steps, run in chunks of
    :data:`REFINE_CHUNK`, each on the starts still moving: a vmapped loop runs every lane
    until its slowest stops, and in the census's second stage the slowest start takes 3–4
    times the median's steps. The batch is padded to a power of two (at least 8), so that
    few shapes are compiled. Returns (θ, the steps taken)."""
    from ..optimize import newton_many

    theta, active, taken, total = np.array(theta, dtype=float), np.arange(len(theta)), 0, 0
    while len(active) and taken < steps:
        chunk = min(REFINE_CHUNK, steps - taken)
        size = max(8, 1 << (len(active) - 1).bit_length())
        batch = theta[np.concatenate([active, np.full(size - len(active), active[0])])]
        out, it = newton_many(posterior, jnp.asarray(batch, posterior.dtype), chunk, gtol)
        out, it = np.asarray(out, dtype=float)[: len(active)], np.asarray(it)[: len(active)]
        theta[active], total, taken = out, total + int(it.sum()), taken + chunk
        active = active[it >= chunk]
    return theta, total


def regularised_cov(H: np.ndarray, floor: float) -> np.ndarray:
    """(−H)⁻¹ with the eigenvalues of −H floored at ``floor``: a proper covariance at any
    point (a saddle's or flat direction gets variance 1/floor). Computed in float64 whatever
    H's precision: a float32 eigendecomposition of a Hessian whose curvatures span 10¹⁰ gives
    back a matrix that is not positive definite."""
    H = np.asarray(H, dtype=np.float64)
    A = -0.5 * (H + H.T)
    if not np.all(np.isfinite(A)):
        return np.eye(len(A)) / floor
    lam, V = np.linalg.eigh(A)
    lam = np.maximum(lam, floor)
    return (V / lam) @ V.T


def laplace_covs(posterior, log_fold, points: np.ndarray) -> np.ndarray:
    """The Laplace covariance at each of ``points`` (M, d): the regularised inverse of −H,
    H the Hessian of the folded log-density there, no direction wider than the prior
    (:func:`regularised_cov` with the floor 1/prior_std²)."""
    _, hess = _fold_programs(log_fold)
    H = np.asarray(hess(posterior, jnp.asarray(points, posterior.dtype)))
    floor = 1.0 / posterior.prior_std**2
    return np.stack([regularised_cov(h, floor) for h in H])


def _cluster(points: np.ndarray, logp: np.ndarray, covs: np.ndarray, counts=None):
    """Greedy grouping, best log-density first: a point joins the first mode within
    squared Mahalanobis distance :data:`SAME_MODE` (under the mode's covariance).
    Returns (leader index per mode, mode of each point)."""
    order = np.argsort(-logp, kind="stable")
    leaders: list[int] = []
    label = np.full(len(points), -1)
    precs: list[np.ndarray] = []
    for i in order:
        for j, (li, P) in enumerate(zip(leaders, precs)):
            d = points[i] - points[li]
            if d @ P @ d < SAME_MODE:
                label[i] = j
                break
        else:
            label[i] = len(leaders)
            leaders.append(int(i))
            precs.append(np.linalg.inv(covs[i]))
    return leaders, label


def _spread_starts(posterior, lay: Layout, n: int, seed: int) -> np.ndarray:
    """``n`` starting points spread over the data: each unit's kink t = −b/w uniform over
    the inputs' range, w ~ N(0, (10/range)²) (a transition a tenth of the range wide),
    a ~ N(0, (10·sd y)²), c = mean y, the noise entry 0."""
    x = np.asarray(posterior.data.x, dtype=float).ravel()
    y = np.asarray(posterior.data.y, dtype=float).ravel()
    lo, hi = float(x.min()), float(x.max())
    rng = np.random.default_rng([seed, 1])
    theta = np.zeros((n, posterior.dim))
    w = rng.normal(0.0, 10.0 / max(hi - lo, 1e-12), (n, lay.n))
    theta[:, lay.iw] = w
    theta[:, lay.ib] = -w * rng.uniform(lo, hi, (n, lay.n))
    theta[:, lay.ia] = rng.normal(0.0, 10.0 * max(float(y.std()), 1e-12), (n, lay.n))
    theta[:, lay.ic] = float(y.mean())
    return theta


def default_hops(restarts: int, hops):
    """The hops a census runs: ``hops``, or half the restarts where it is None."""
    return restarts // 2 if hops is None else hops


def _hop_starts(posterior, lay: Layout, bases: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` starts near the maxima ``bases`` (k, dim), taken in turn: each a copy of its
    base with one unit, chosen at random, drawn afresh as :func:`_spread_starts` draws
    units (its kink uniform over the inputs' range), the other units kept."""
    rng = np.random.default_rng([seed, 2])
    theta = np.array(bases[np.arange(n) % len(bases)], dtype=float)
    fresh = _spread_starts(posterior, lay, n, seed + 1)
    unit, rows = rng.integers(0, lay.n, n), np.arange(n)
    for group in (lay.iw, lay.ib, lay.ia):
        col = np.asarray(group)[unit]
        theta[rows, col] = fresh[rows, col]
    return theta


def _train(posterior, n: int, seed: int, init, kw: dict) -> np.ndarray:
    from ..optimize import train_sgd

    return train_sgd(posterior, restarts=n, seed=int(seed), init=init, **kw).thetas


def _refined(posterior, lay: Layout, log_fold, start: np.ndarray):
    """The census's points from Adam's ends ``start``: refined (:func:`_refine_all`), in
    canonical form, with log p̃_C and Laplace covariances, non-finite ones dropped; the
    log-density evaluations the refinement spent; and which ends were finite."""
    lp0 = np.asarray(posterior.log_density(start))
    ok = np.all(np.isfinite(start), axis=1) & np.isfinite(lp0)
    if not ok.any():
        empty = np.zeros((0, posterior.dim))
        return empty, np.zeros(0), np.zeros((0, posterior.dim, posterior.dim)), 0, ok
    refined, n_eval = _refine_all(posterior, start[ok], lp0[ok])
    fin = np.all(np.isfinite(refined), axis=1)
    can = np.asarray(lay.canonical(jnp.asarray(refined[fin])), dtype=float)
    fold_many, _ = _fold_programs(log_fold)
    lf = np.asarray(fold_many(posterior, jnp.asarray(can, posterior.dtype)))
    keep = np.isfinite(lf)
    can, lf = can[keep], lf[keep]
    covs = laplace_covs(posterior, log_fold, can) if len(can) else np.zeros((0,) * 3)
    return can, lf, covs, n_eval, ok


def _modes(posterior, lay: Layout, log_fold, can, lf, covs) -> dict:
    """The points grouped into modes (:func:`_cluster`): centres, covariances, log p̃_C,
    Laplace log mass, hits and maxima marks, the maxima first, each group by Laplace mass."""
    leaders, label = _cluster(can, lf, covs)
    counts = np.bincount(label, minlength=len(leaders))
    centres, modes_lf, mode_covs = can[leaders], lf[leaders], covs[leaders]
    maximum = rise_left(posterior, log_fold, centres, mode_covs) < CONVERGED_GAP
    logdet = np.array([np.linalg.slogdet(c)[1] for c in mode_covs])
    log_mass = modes_lf + 0.5 * logdet + 0.5 * lay.dim * math.log(2 * math.pi)
    order = np.lexsort((-log_mass, ~maximum))  # maxima first, then by Laplace mass
    return dict(
        centres=centres[order], covs=mode_covs[order], log_fold=modes_lf[order],
        log_mass=log_mass[order], counts=counts[order], maximum=maximum[order],
    )  # fmt: skip


def census(posterior, lay: Layout, log_fold, *, seed, restarts, sgd_steps, learning_rate, hops=0):
    """One run's census: its distinct canonical modes — the maxima (:data:`CONVERGED_GAP`)
    first, each group by Laplace mass — with centres, covariances, log p̃_C, Laplace log
    mass, hits (restarts and hops that reached each) and whether each is a maximum; and the
    largest log-likelihood and the gradient evaluations spent.

    Two stages: ``restarts`` Adam restarts refined by Newton; then ``hops`` starts in
    :data:`HOP_ROUNDS` rounds, each near the :data:`HOP_MODES` heaviest maxima found so
    far with one unit drawn afresh (:func:`_hop_starts`), trained and refined the same
    way."""
    spread = int(SPREAD_SHARE * restarts)
    kw = dict(optimizer="adam", learning_rate=learning_rate, steps=sgd_steps, loss="sse")
    start = _train(posterior, restarts - spread, seed, None, kw)
    if spread:
        init = _spread_starts(posterior, lay, spread, int(seed))
        start = np.concatenate([start, _train(posterior, spread, seed, init, kw)])
    can, lf, covs, n_eval, ok = _refined(posterior, lay, log_fold, start)
    if not ok.any():
        raise ValueError(
            f"no SGD modes found: all {restarts} restarts ended non-finite; lower "
            "learning_rate or check the data for NaN/inf"
        )
    if not len(can):
        raise ValueError("no SGD modes found: every refined restart has a non-finite density")
    for r, n in enumerate(np.diff(np.linspace(0, hops, HOP_ROUNDS + 1).astype(int))):
        if not n:
            continue
        sofar = _modes(posterior, lay, log_fold, can, lf, covs)
        k = min(HOP_MODES, max(int(sofar["maximum"].sum()), 1))
        hop_seed = (int(seed) + 1 + r) % 2**32
        init = _hop_starts(posterior, lay, sofar["centres"][:k], int(n), hop_seed)
        more = _refined(posterior, lay, log_fold, _train(posterior, int(n), hop_seed, init, kw))
        can, lf, covs = (np.concatenate([a, b]) for a, b in zip((can, lf, covs), more[:3]))
        n_eval += more[3]
    ll = np.asarray(posterior.log_likelihood(can))
    return dict(
        **_modes(posterior, lay, log_fold, can, lf, covs),
        max_log_likelihood=float(np.max(ll[np.isfinite(ll)])) if np.isfinite(ll).any() else -np.inf,
        evaluations=(restarts + hops) * sgd_steps + n_eval,
        sgd_best_mse=float(np.nanmin(np.asarray(posterior.mse(start[ok])))),
    )


def _fold_potential(post, z):
    return -_fold_fn(post.net)(post, z).astype(z.dtype)


def fold_potential_gen(post):
    """numpyro's ``potential_fn_gen``: −log p̃_C of the posterior (its model argument)."""
    return jax.tree_util.Partial(_fold_potential, post)


def within_mode_draws(posterior, lay: Layout, centre, settings: dict, key) -> np.ndarray:
    """Canonical NUTS draws (numpyro, dense mass) of p̃_C from ``settings["chains"]`` starts
    at ``centre`` (jittered by 1e-6 of the prior scale): (chains·draws, d)."""
    from ..samplers import nuts

    c = settings["chains"]
    k = nuts.Kernel(True, settings["max_tree_depth"], settings["target_accept"],
                    settings["warmup"], "vectorized")  # fmt: skip
    init_fn, run = nuts.programs(k, fold_potential_gen)
    k0, k1 = jax.random.split(key)
    z0 = jnp.asarray(centre, posterior.dtype)[None] + 1e-6 * posterior.prior_std * (
        jax.random.normal(k0, (c, len(centre)), posterior.dtype)
    )
    state = init_fn(posterior, z0, jax.random.split(k1, c))
    _, fields = run(posterior, state, settings["warmup"], settings["draws"])
    z = np.asarray(fields[-1], dtype=float).reshape(-1, len(centre))
    return np.asarray(lay.canonical(jnp.asarray(z)), dtype=float)


def _refit(posterior, lay: Layout, c: dict, k: int, seed: int) -> dict:
    """The census ``c`` with ``ref_centres`` and ``ref_covs`` for its first ``k`` components:
    the :data:`REFIT_COMPONENTS` heaviest get the mean and covariance of NUTS draws
    (:data:`REFIT_NUTS`) that lie nearer to them than to any other of the k (Mahalanobis);
    a component with fewer than 4·dim such draws keeps its Laplace fit."""
    centres, covs = np.array(c["centres"][:k]), np.array(c["covs"][:k])
    prec = np.linalg.inv(covs)
    for j in range(min(REFIT_COMPONENTS, len(centres))):
        key = jax.random.fold_in(jax.random.PRNGKey(seed), j)
        x = within_mode_draws(posterior, lay, centres[j], REFIT_NUTS, key)
        dx = x[:, None] - centres[None]
        x = x[np.einsum("nki,kij,nkj->nk", dx, prec, dx).argmin(axis=1) == j]
        if len(x) >= 4 * posterior.dim:
            centres[j], covs[j] = x.mean(axis=0), np.cov(x, rowvar=False)
    return dict(c, ref_centres=centres, ref_covs=covs)


# -- checks ----------------------------------------------------------------------------------
def _positive_int(name, v, lo=1, fix=""):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
        raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}{'; ' + fix if fix else ''}")
    return int(v)


def _positive_float(name, v, lo=0.0, fix=""):
    if isinstance(v, bool) or not isinstance(v, (int, float, np.number)) or not v > lo:
        raise ValueError(f"{name} must be a number > {lo}, got {v!r}{'; ' + fix if fix else ''}")
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v!r}")
    return float(v)


def _check_prior_sampling(posterior, lay: Layout, refs=None):
    """Prior draws must exist and be finite; every run's reference must have a finite
    density at their canonical copies (q covers the prior's support)."""
    draw = getattr(posterior, "prior_sample", None)
    fix = "the evidence checks its reference at prior draws: give the posterior a proper prior"
    if not callable(draw):
        raise ValueError(f"the posterior's prior cannot be sampled (no prior_sample); {fix}")
    try:
        theta = jnp.asarray(draw(jax.random.PRNGKey(12345), (64,)))
    except Exception as err:  # noqa: BLE001
        raise ValueError(f"the posterior's prior cannot be sampled ({err}); {fix}") from err
    if theta.shape != (64, posterior.dim) or not np.all(np.isfinite(np.asarray(theta))):
        raise ValueError(f"the posterior's prior draws are not finite (dim {posterior.dim}); {fix}")
    return theta


DOMAIN_PROBE = 1_000_000
"""Draws from a run's reference right after its census, to see whether enough of them can
land in the SMC's domain for its initial particles (:func:`_check_domain_share`)."""


def _check_domain_share(ref, lay: Layout, particles: int, run: int, domain: str) -> None:
    """ValueError, right after run ``run``'s census (before the other censuses and the SMC),
    where q̄(C) is so small that fewer than ``particles`` of the
    :data:`~bayes_uat.evidence.core.NORM_MAX_DRAWS` draws the SMC may spend would land in C.
    The estimate (hits + 3)/n is the upper 95 % bound of a share with no hit in n draws, so a
    reference that can work is not refused."""
    from .core import NORM_MAX_DRAWS

    hits, n = _domain_hits(ref, lay, DOMAIN_PROBE, domain)
    if (hits + 3) / n * NORM_MAX_DRAWS < particles:
        where = "canonical domain" if domain == "canonical" else "domain aligned to it"
        raise ValueError(
            f"run {run}: {hits} of {n} draws from the reference built on the census lie in the "
            f"{where}, too few to start {particles} particles: the posterior's "
            "modes are wider than the gaps between their symmetric copies (a weak likelihood, "
            "such as the -MSE one, or many units), so no single copy of a mode can stand for "
            "it. For such diffuse posteriors use tempered SMC from the prior, "
            "bu.sample(post, 'smc'), whose log Z needs no fundamental domain"
        )


def _domain_hits(ref, lay: Layout, n: int, domain: str) -> tuple[int, int]:
    """(how many draws from q̄ lie in C, how many were drawn): chunks of
    :data:`~bayes_uat.evidence.core.NORM_CHUNK` until 100 have landed (the share is then
    known well enough) or about n were drawn."""
    from .core import NORM_CHUNK

    count = _domain_counter(lay, domain)
    hits, chunks = count(ref, jax.random.PRNGKey(2024), max(1, n // NORM_CHUNK))
    return int(hits), int(chunks) * NORM_CHUNK


@lru_cache(maxsize=16)
def _domain_counter(lay: Layout, domain: str):
    from .core import NORM_CHUNK, sample_qbar

    inside = _domain_fn(lay, domain)

    @jax.jit
    def count(ref, key, max_chunks):
        def go_on(c):
            return (c[0] < 100) & (c[1] < max_chunks)

        def body(c):
            x = sample_qbar(ref, jax.random.fold_in(key, c[1]), NORM_CHUNK)
            hit = jax.vmap(inside, in_axes=(None, 0))(ref, x)
            return c[0] + jnp.sum(hit, dtype=jnp.int32), c[1] + 1

        zero = jnp.zeros((), jnp.int32)
        return jax.lax.while_loop(go_on, body, (zero, zero))

    return count


def _domain_fn(lay: Layout, domain: str):
    return lay.in_canonical if domain == "canonical" else lay.aligned


def _domain_of_run(ref, lay: Layout, setting: str) -> str:
    """The domain one run's reference asks for: ``setting`` unless it is ``auto``, which
    takes the canonical domain unless the reference puts under :data:`CANONICAL_SHARE_MIN`
    of its draws there."""
    if setting != "auto":
        return setting
    share = np.divide(*_domain_hits(ref, lay, DOMAIN_PROBE, "canonical"))
    return "canonical" if share >= CANONICAL_SHARE_MIN else "aligned"


def _choose_domain(refs, lay: Layout, particles: int, setting: str, checked=None) -> str:
    """The SMC's domain for every run (one compiled program): the aligned domain where some
    run's reference asks for it (:func:`_domain_of_run`), else the canonical one. Each run's
    reference is checked to start its particles in that domain (:func:`_check_domain_share`)
    unless ``checked`` (each run's domain, checked right after its census) says it was."""
    asked = checked if checked is not None else [_domain_of_run(r, lay, setting) for r in refs]
    domain = "aligned" if "aligned" in asked else "canonical"
    for r, ref in enumerate(refs):
        if checked is None or checked[r] != domain:
            _check_domain_share(ref, lay, particles, r, domain)
    return domain


def _check_reference_at_prior(refs, lay: Layout, prior_draws) -> None:
    from .core import log_qbar

    u = lay.canonical(prior_draws)
    for r, ref in enumerate(refs):
        lq = np.asarray(jax.vmap(log_qbar, in_axes=(None, 0))(ref, u))
        if not np.all(np.isfinite(lq)):
            raise ValueError(
                f"run {r}: the reference has zero density at a prior draw, so it cannot stand "
                "for the posterior everywhere it may be; use a larger df or inflate"
            )


# -- the call ----------------------------------------------------------------------------------
def _run_seeds(seed: int, runs: int) -> list[int]:
    ss = np.random.SeedSequence([int(seed), 0x45564944])
    return [int(v) for v in ss.generate_state(runs, dtype=np.uint32)]


def _fingerprint(posterior, runs, seed, settings: dict) -> str:
    return json.dumps(
        dict(model=posterior.config(), data_n=int(posterior.data.n), runs=runs, seed=seed,
             settings=settings, y=float(np.sum(np.asarray(posterior.data.y)))),
        sort_keys=True, default=str,
    )  # fmt: skip


MEMORY_LIMIT = 8 * 2**30
"""The most bytes the particles' arrays of all runs may take (about 16 copies of θ each)."""


def _check_memory(runs: int, particles: int, dim: int) -> None:
    need = 16 * 8 * runs * particles * (dim + 4)
    if need > MEMORY_LIMIT:
        raise ValueError(
            f"{runs} runs × {particles} particles of {dim} parameters need about "
            f"{need / 2**30:.0f} GiB of memory (limit {MEMORY_LIMIT / 2**30:.0f} GiB); pass "
            "fewer particles or runs"
        )


def _load_checkpoint(path: Path, fingerprint: str):
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception as err:  # noqa: BLE001  (numpy's own message suggests pickle: not quoted)
        raise ValueError(
            f"checkpoint {path} exists and is not an evidence checkpoint (not a readable .npz "
            "file); choose another path (an existing file is never overwritten)"
        ) from err
    if "fingerprint" not in arrays:
        raise ValueError(
            f"checkpoint {path} exists and is not an evidence checkpoint; choose another path"
        )
    if str(arrays["fingerprint"]) != fingerprint:
        raise ValueError(
            f"checkpoint {path} belongs to another evidence call (other posterior, seed, runs "
            "or settings); delete it or choose another path"
        )
    return arrays


def _save_checkpoint(path: Path, arrays: dict) -> None:
    from .._io import atomic_path

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)


def _census_arrays(censuses: list[dict], dim: int) -> dict:
    censuses = [{**c, "maximum": _marks(c)} for c in censuses]
    k = max(len(c["centres"]) for c in censuses)
    out = {}
    for name, shape, fill in (
        ("centres", (dim,), 0.0),
        ("covs", (dim, dim), 0.0),
        ("log_fold", (), -np.inf),
        ("log_mass", (), -np.inf),
        ("counts", (), 0),
        ("maximum", (), False),
    ):
        kind = {"counts": int, "maximum": bool}.get(name, float)
        arr = np.full((len(censuses), k) + shape, fill, dtype=kind)
        for r, c in enumerate(censuses):
            arr[r, : len(c[name])] = c[name]
        out[f"census.{name}"] = arr
    for name in ("max_log_likelihood", "evaluations", "sgd_best_mse"):
        out[f"census.{name}"] = np.array([c[name] for c in censuses])
    if "ref_centres" in censuses[0]:  # reference="refit": the refitted components
        kr = max(len(c["ref_centres"]) for c in censuses)
        for name, shape in (("ref_centres", (dim,)), ("ref_covs", (dim, dim))):
            arr = np.zeros((len(censuses), kr) + shape)
            for r, c in enumerate(censuses):
                arr[r, : len(c[name])] = c[name]
            out[f"census.{name}"] = arr
    return out


def _censuses_from(arrays: dict) -> list[dict]:
    counts = arrays["census.counts"]
    if "census.maximum" not in arrays:  # a checkpoint written before the maxima were marked
        arrays = {**arrays, "census.maximum": np.ones(counts.shape, dtype=bool)}
    out = []
    for r in range(len(counts)):
        k = int((counts[r] > 0).sum())
        out.append({
            **{n: arrays[f"census.{n}"][r, :k]
               for n in ("centres", "covs", "log_fold", "log_mass", "counts", "maximum")},
            **{n: arrays[f"census.{n}"][r].item()
               for n in ("max_log_likelihood", "evaluations", "sgd_best_mse")},
        })  # fmt: skip
        if "census.ref_centres" in arrays:
            kr = min(k, arrays["census.ref_centres"].shape[1])
            out[-1]["ref_centres"] = arrays["census.ref_centres"][r, :kr]
            out[-1]["ref_covs"] = arrays["census.ref_covs"][r, :kr]
    return out


def evidence(
    posterior,
    runs: int = 4,
    seed: int = 0,
    *,
    restarts: int = 1024,
    hops: int | None = None,
    sgd_steps: int = 200,
    learning_rate: float = 0.01,
    particles: int = 1000,
    steps: int = 10,
    leapfrog: int = 10,
    target_ess: float = 0.5,
    df: float = 5.0,
    inflate: float = 2.0,
    max_components: int = 16,
    domain: str = "auto",
    reference: str = "laplace",
    checkpoint=None,
    callback=None,
) -> Evidence:
    """log p(D | network) from ``runs`` independent runs, each with its own SGD census.

    Args:
        posterior: a :class:`~bayes_uat.Posterior` of a network with one hidden layer on a
            scalar input and one output (the networks with a canonical form).
        runs: independent runs R (each: census, reference, tempered SMC); their spread is
            the standard error.
        seed: the seed; run r uses its own seeds derived from it.
        restarts, sgd_steps, learning_rate: Adam restarts per run's census (vmapped), the
            steps of each (short: Newton refines; benchmarks/census_hits.py) and its rate.
        hops: starts near the census's heaviest maxima with one unit drawn afresh
            (:func:`census`; default ``restarts // 2``, 0 for none): restarts alone can
            agree across runs and miss the heaviest maxima (docs/evidence.md, "Hops").
        particles: SMC particles per run (at least max(2·dim, 16)).
        steps: mutation sweeps per temperature (each: an independence proposal and HMC).
        leapfrog: leapfrog steps per HMC transition.
        target_ess: each temperature holds the weights' ESS at this share of particles.
        df, inflate: degrees of freedom ν of q's Student-t components, and the factor on
            the Laplace covariance of their scale matrices.
        max_components: q keeps at most this many modes per run (the highest Laplace
            masses); the arrays are padded to it, so one compiled program serves every run.
        domain, reference: the SMC's fundamental domain (:data:`DOMAINS`; docs/evidence.md
            §2), and q's components (:data:`REFERENCES`: Laplace fits, or ``refit`` by NUTS).
        checkpoint: a file (``.npz``) written atomically after the censuses and after every
            temperature; an existing checkpoint of the same call is resumed, bit for bit.
        callback: ``callback(state)`` after every temperature.

    Returns:
        :class:`~bayes_uat.evidence.Evidence`: ``log_evidence`` (one value per run),
        ``log_evidence_mean``, ``log_evidence_se``, ``samples`` (θ of shape (runs,
        particles, dim)), ``modes`` (the mode table), diagnostics and ``warnings``.
    """
    t0 = time.perf_counter()
    record = dict(
        restarts=restarts, hops=hops, sgd_steps=sgd_steps, learning_rate=learning_rate,
        particles=particles, steps=steps, leapfrog=leapfrog, target_ess=target_ess, df=df,
        inflate=inflate, max_components=max_components, domain=domain, reference=reference,
    )  # fmt: skip
    runs, seed, record = _checked_call(posterior, runs, seed, record, callback)
    lay = Layout(posterior)
    settings = Settings(particles=particles, steps=steps, leapfrog=leapfrog, target_ess=target_ess)
    log_fold = folded_log_density(posterior, lay)
    prior_draws = _check_prior_sampling(posterior, lay)
    fingerprint = _fingerprint(posterior, runs, seed, record)
    path, arrays = _open_checkpoint(checkpoint, fingerprint)

    # 1. every run's census, and its reference
    if arrays is not None:  # resumed: no run's domain has been checked yet
        censuses = _censuses_from(arrays)
        refs, checked = [_reference_of(c, record) for c in censuses], None
    else:
        censuses, refs, checked = _censuses(posterior, lay, log_fold, seed, runs, record)
    _check_reference_at_prior(refs, lay, prior_draws)
    # 2. tempered SMC from each run's reference, on the domain chosen for them
    target, domain = _target(posterior, lay, log_fold, refs, record, checked)
    base = dict(fingerprint=np.array(fingerprint), **_census_arrays(censuses, posterior.dim))
    res = _tempered(target, refs, settings, seed, arrays, path, base, callback)
    return _assemble(posterior, lay, censuses, res, record, seed, t0, domain)


def _target(posterior, lay: Layout, log_fold, refs, record: dict, checked) -> tuple[Target, str]:
    """The SMC's target, the folded density on the domain :func:`_choose_domain` takes, and
    that domain's name."""
    domain = _choose_domain(refs, lay, record["particles"], record["domain"], checked)
    candidates = ALIGNED_CANDIDATES if domain == "aligned" else IND_CANDIDATES
    return Target(log_fold, _domain_fn(lay, domain), posterior, candidates), domain


def _censuses(posterior, lay: Layout, log_fold, seed: int, runs: int, record: dict):
    """Every run's census and its reference, each reference checked
    (:func:`_check_domain_share`) in the domain it asks for as soon as its census is done:
    (censuses, references, those domains)."""
    censuses, refs, domains = [], [], []
    for r, s in enumerate(_run_seeds(seed, runs)):
        censuses.append(
            census(
                posterior, lay, log_fold, seed=s, restarts=record["restarts"],
                hops=record["hops"], sgd_steps=record["sgd_steps"],
                learning_rate=record["learning_rate"],
            )
        )  # fmt: skip
        if record["reference"] == "refit":
            censuses[-1] = _refit(posterior, lay, censuses[-1], record["max_components"], s)
        refs.append(_reference_of(censuses[-1], record))
        domains.append(_domain_of_run(refs[-1], lay, record["domain"]))
        _check_domain_share(refs[-1], lay, record["particles"], r, domains[-1])
    return censuses, refs, domains


def _checked_call(posterior, runs, seed, record: dict, callback):
    """Every argument of :func:`evidence` checked before any work (ValueError naming the
    fix): returns (runs, seed, record with the checked numbers)."""
    from ..posterior import Posterior
    from .core import check_settings

    if not isinstance(posterior, Posterior):
        raise ValueError(f"evidence needs a bayes_uat.Posterior, got {type(posterior).__name__}")
    runs = _positive_int("runs", runs, 1, "pass the number of independent runs, e.g. 4")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}; pass e.g. seed=0")
    r = dict(record)
    r["restarts"] = _positive_int("restarts", r["restarts"], 1, "pass e.g. restarts=1024")
    r["hops"] = _positive_int(
        "hops", default_hops(r["restarts"], r["hops"]), 0, "pass e.g. hops=512, or 0 for none"
    )
    r["sgd_steps"] = _positive_int("sgd_steps", r["sgd_steps"], 1, "pass e.g. sgd_steps=200")
    r["learning_rate"] = _positive_float("learning_rate", r["learning_rate"], fix="pass e.g. 0.01")
    r["df"] = _positive_float("df", r["df"], fix="pass e.g. df=5")
    r["inflate"] = _positive_float("inflate", r["inflate"], fix="pass e.g. inflate=2")
    r["max_components"] = _positive_int("max_components", r["max_components"], 1, "pass e.g. 16")
    if r["domain"] not in DOMAINS:
        raise ValueError(f"domain must be one of {', '.join(DOMAINS)}, got {r['domain']!r}")
    if r["reference"] not in REFERENCES:
        raise ValueError(
            f"reference must be one of {', '.join(REFERENCES)}, got {r['reference']!r}"
        )
    Layout(posterior)
    check_settings(
        Settings(particles=r["particles"], steps=r["steps"], leapfrog=r["leapfrog"],
                 target_ess=r["target_ess"]),
        posterior.dim,
    )  # fmt: skip
    _check_memory(runs, r["particles"], posterior.dim)
    if callback is not None and not callable(callback):
        raise ValueError("callback must be callable (or None)")
    return runs, int(seed), r


def _open_checkpoint(checkpoint, fingerprint: str):
    """(path or None, the arrays of this call's checkpoint or None)."""
    if checkpoint is None:
        return None, None
    path = Path(checkpoint)
    if path.is_dir():
        raise ValueError(f"checkpoint {path} is a directory; pass a file path (.npz)")
    return path, _load_checkpoint(path, fingerprint)


def _reference_of(c: dict, record: dict):
    """A run's reference q̄ from its census: the ``max_components`` modes of highest
    Laplace mass, Student-t with scale ``inflate``·Σ, weighted by that mass."""
    k = record["max_components"]
    centres, covs = c.get("ref_centres", c["centres"]), c.get("ref_covs", c["covs"])
    return make_reference(
        centres[:k], record["inflate"] * covs[:k], c["log_mass"][:k],
        df=record["df"], max_components=k,
    )  # fmt: skip


def _tempered(target, refs, settings, seed, arrays, path, base, callback):
    """Tempered SMC of every run from its reference, resumed from ``arrays`` where they
    hold a state, checkpointed to ``path`` after every temperature."""
    from ..samplers.base import flatten_named, unflatten_named

    state, extras = core_init(target, refs, settings, seed)
    if arrays is not None and any(k.startswith("state.") for k in arrays):
        state = unflatten_named(state, arrays, "state")
        extras = dict(
            is_log_evidence=arrays["extras.is_log_evidence"],
            log_norm_se=arrays["extras.log_norm_se"],
        )

    def save(s):
        if path is not None:
            _save_checkpoint(
                path,
                {**base, **flatten_named(s, "state"),
                 "extras.is_log_evidence": np.asarray(extras["is_log_evidence"]),
                 "extras.log_norm_se": np.asarray(extras["log_norm_se"])},
            )  # fmt: skip

    save(state)
    while not core_done(state):
        state = core_step(target, settings, state)
        check_progress(state, settings)
        save(state)
        if callback is not None:
            callback(state)
    return core_result(state, extras)


def _assemble(posterior, lay, censuses, res, record, seed, t0, domain) -> Evidence:
    """The Evidence: draws in weight space, the pooled mode table, diagnostics, warnings."""
    logz = res.log_evidence
    runs = len(logz)
    se = float(logz.std(ddof=1) / math.sqrt(runs)) if runs > 1 else float("nan")
    samples = _samples_of(posterior, lay, res, record, seed, se, t0)
    modes, table = _mode_table(posterior, lay, censuses, res)
    ll_particles = np.asarray(posterior.log_likelihood(res.particles.reshape(-1, posterior.dim)))
    max_ll = float(max(max(c["max_log_likelihood"] for c in censuses), np.nanmax(ll_particles)))
    samples.info.update(
        acceptance=res.acceptance, log_norm=res.log_norm.tolist(),
        log_norm_se=res.log_norm_se.tolist(), component_mass=res.component_mass.tolist(),
        sgd_best_mse=[c["sgd_best_mse"] for c in censuses], domain=domain,
    )  # fmt: skip
    return Evidence(
        log_evidence=logz,
        log_evidence_mean=float(logz.mean()),
        log_evidence_se=se,
        samples=samples,
        modes=modes,
        is_log_evidence=res.is_log_evidence,
        modes_seen=table["seen"],
        chao1=table["chao1"],
        outside_share=res.outside_share,
        max_log_likelihood=max_ll,
        ess_path=tuple(tuple(e) for e in res.ess_path),
        temperatures=tuple(tuple(t) for t in res.temperatures),
        evaluations=res.evaluations,
        census_evaluations=np.array([c["evaluations"] for c in censuses]),
        warnings=_warnings_of(logz, max_ll, table, res.outside_share),
        settings=record,
        wall_time=time.perf_counter() - t0,
    )


def _samples_of(posterior, lay, res, record, seed, se, t0):
    """The final particles as a :class:`~bayes_uat.Samples` in weight space: each moved to
    a random symmetric copy (:func:`_random_copies`)."""
    from ..samples import Samples

    runs, p, dim = res.particles.shape
    logz = res.log_evidence
    theta = _random_copies(posterior, lay, res.particles.reshape(-1, dim), seed)
    theta = theta.reshape(runs, p, dim)
    return Samples(
        theta=theta, log_density=np.asarray(posterior.log_density(theta)), sampler="evidence",
        names=posterior.names,
        info=dict(independent_runs=True, log_evidence=logz.tolist(),
                  log_evidence_mean=float(logz.mean()), log_evidence_se=se),
        settings=record, wall_time=time.perf_counter() - t0, seed=seed,
    )  # fmt: skip


def _marks(c: dict) -> np.ndarray:
    """A census's marks of which modes are maxima (:data:`CONVERGED_GAP`); a census dict
    without them counts every mode as one."""
    return np.asarray(c.get("maximum", np.ones(len(c["centres"]), dtype=bool)), dtype=bool)


def _maxima(c: dict) -> np.ndarray:
    """Which of a census's modes the mode table pools: its maxima, or every mode where the
    census found none."""
    m = _marks(c)
    return m if m.any() else np.ones_like(m)


def _mode_table(posterior, lay, censuses, res):
    """Every run's census maxima (:func:`_maxima`) pooled and grouped again; each final
    particle labelled by its nearest pooled mode (Mahalanobis); a mode's mass is the mean
    over runs of its share ± the SE across runs. Returns (rows, best mass first; numbers
    for the warnings)."""
    runs, p, dim = res.particles.shape
    keep = [_maxima(c) for c in censuses]
    pts, lfs, covs, cnt = (
        np.concatenate([c[name][k] for c, k in zip(censuses, keep, strict=True)])
        for name in ("centres", "log_fold", "covs", "counts")
    )
    run_of = np.concatenate([np.full(int(k.sum()), r) for r, k in enumerate(keep)])
    leaders, label = _cluster(pts, lfs, covs)
    g = len(leaders)
    restarts = np.bincount(label, weights=cnt, minlength=g).astype(int)
    found = np.array([len(set(run_of[label == j])) for j in range(g)])
    prec = np.stack([np.linalg.inv(covs[i]) for i in leaders])
    cen = pts[leaders]
    x = res.particles.reshape(-1, dim)
    d2 = np.stack([np.einsum("ni,ij,nj->n", x - cen[j], prec[j], x - cen[j]) for j in range(g)], 1)
    near = d2.argmin(axis=1).reshape(runs, p)
    share = np.stack([(near == j).mean(axis=1) for j in range(g)], axis=1)  # (R, g)
    mass = share.mean(axis=0)
    mass_se = share.std(axis=0, ddof=1) / math.sqrt(runs) if runs > 1 else np.full(g, np.nan)
    mse = np.asarray(posterior.mse(cen))
    lpc = np.asarray(posterior.log_density(cen))
    order = np.lexsort((-lfs[leaders], -mass))
    rows = tuple(
        ModeRow(
            index=i, mass=float(mass[j]), mass_se=float(mass_se[j]), mse=float(mse[j]),
            log_density=float(lpc[j]), centre=cen[j], copies=lay.group_size,
            restarts=int(restarts[j]), runs_found=int(found[j]),
        )
        for i, j in enumerate(order)
    )  # fmt: skip
    numbers = dict(
        seen=g, chao1=chao1(restarts), restarts=restarts, found=found, mass=mass, runs=runs
    )
    return rows, numbers


def _warnings_of(logz, max_ll: float, t: dict, outside) -> tuple[str, ...]:
    """What may be wrong with the estimate (docs/evidence.md, Warnings)."""
    out = []
    mass, found, runs = t["mass"], t["found"], t["runs"]
    if np.any(logz > max_ll):
        out.append(
            f"log Z of run(s) {np.flatnonzero(logz > max_ll).tolist()} exceeds the largest "
            f"log-likelihood found ({max_ll:.2f}), which bounds it: the estimate is wrong "
            "(too few particles or temperatures)"
        )
    singles = t["restarts"] == 1
    if t["chao1"] > t["seen"] and mass[singles].sum() > 0.01:
        out.append(
            f"may be missing mass: modes reached by a single restart or hop hold "
            f"{mass[singles].sum():.1%} of the mass and Chao1 estimates {t['chao1']:.0f} modes "
            f"against {t['seen']} seen; raise restarts or hops"
        )
    if np.max(outside) > 0.01:
        out.append(
            f"may be missing mass: up to {np.max(outside):.1%} of a run's final "
            "particles lie outside every component of its reference, which does not "
            "describe the posterior there (log Z rests on the SMC moves); compare runs"
        )
    if np.any(found < runs) and mass[found < runs].sum() > 0.01:
        out.append(
            f"modes holding {mass[found < runs].sum():.1%} of the mass were missed by some "
            "runs' censuses; raise restarts or hops"
        )
    if runs > 1 and logz.std(ddof=1) > 1.0:
        out.append(
            f"the runs disagree: log Z spread (SD) {logz.std(ddof=1):.2f} nats > 1; raise "
            "restarts or particles"
        )
    return tuple(out)
