"""The symmetry-following mass matrix of tempered SMC (bayes_uat.samplers.smc_metric):
the copy frame agrees with canonicalize, the metric is the canonical covariance carried into
each copy, and moves stay in their copy."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bayes_uat import MLP, Dataset, Posterior, make_dataset
from bayes_uat.samplers.smc import SMCSettings, smc_init
from bayes_uat.samplers.smc_metric import canonical_cov, copy_frame, local_metrics, restricted
from bayes_uat.symmetry import canonicalize, transform

DATA = make_dataset("x2", n=20)


def post(act, units=3, likelihood="mse"):
    return Posterior(MLP(units, act), DATA, likelihood=likelihood, prior_std=3.0)


@pytest.mark.parametrize(
    "act, likelihood",
    [("tanh", "mse"), ("sigmoid", "gaussian"), ("softsign", "mse"), ("relu", "mse")],
)
def test_frame_maps_canonical_forms_onto_each_draw(act, likelihood):
    """θ = G u with u = canonicalize(θ) (ReLU: the permutation only, its rescaling is not a
    linear map), extra entries such as log σ untouched; the cell names the copy."""
    p = post(act, likelihood=likelihood)
    frame = copy_frame(p)
    rng = np.random.default_rng(1)
    theta = 2.0 * rng.standard_normal((40, p.dim))
    cells, G = jax.vmap(frame.frame)(jnp.asarray(theta))
    G = np.asarray(G)
    u = np.linalg.solve(G, theta[..., None])[..., 0]
    np.testing.assert_allclose(np.einsum("pij,pj->pi", G, u), theta, atol=1e-12)
    if act != "relu":
        np.testing.assert_allclose(u, canonicalize(p.net, theta), atol=1e-12)
    else:  # units sorted by t = −b/w, unscaled
        t = -u[:, 1 : 3 * 3 : 3] / u[:, 0 : 3 * 3 : 3]
        assert np.all(np.diff(t, axis=1) >= 0)
    if p.dim > p.net.dim:
        assert np.all(G[:, -1, -1] == 1) and np.all(G[:, -1, :-1] == 0)
    assert np.abs(np.linalg.det(G)).max() == pytest.approx(1.0)
    # a copy of a draw has the same canonical form and (for a non-trivial g) another cell
    g = transform(p.net, theta, [2, 0, 1], signs=[-1, 1, 1] if act != "relu" else None)
    cells_g, G_g = jax.vmap(frame.frame)(jnp.asarray(g))
    np.testing.assert_array_equal(jax.vmap(frame.cell)(jnp.asarray(g)), cells_g)
    u_g = np.linalg.solve(np.asarray(G_g), g[..., None])[..., 0]
    if act != "relu":
        np.testing.assert_allclose(u_g, u, atol=1e-10)
    assert np.all(np.any(np.asarray(cells_g) != np.asarray(cells), axis=1))


def test_metric_is_the_canonical_covariance_carried_into_each_copy():
    """Particles spread over random copies of one Gaussian cloud: the canonical covariance
    is the cloud's covariance (the raw covariance is far larger), and a particle's metric is
    G Σ Gᵀ, Σ itself for particles already in canonical form."""
    p = post("tanh")
    frame = copy_frame(p)
    rng = np.random.default_rng(2)
    centre = canonicalize(p.net, np.array([1.0, 2.0, 0.5, 1.5, -1.0, 1.0, 2.0, -3.0, -0.7, 0.3]))
    cloud = centre + 0.05 * rng.standard_normal((400, p.dim))
    perms = np.array([rng.permutation(3) for _ in range(400)])
    signs = rng.choice([-1.0, 1.0], size=(400, 3))
    raw = transform(p.net, cloud, perms, signs=signs)
    w = jnp.full(400, 1 / 400)
    cov = np.asarray(canonical_cov(frame, jnp.asarray(raw), w))
    np.testing.assert_allclose(cov, np.cov(cloud.T, bias=True), atol=1e-9)
    assert np.trace(np.cov(raw.T)) > 100 * np.trace(cov)
    _, inv = local_metrics(frame, jnp.asarray(np.concatenate([cloud[:5], raw[:5]])), cov)
    np.testing.assert_allclose(np.asarray(inv[:5]), np.broadcast_to(cov, (5,) + cov.shape))
    _, G = jax.vmap(frame.frame)(jnp.asarray(raw[:5]))
    expect = np.einsum("pij,jk,plk->pil", np.asarray(G), cov, np.asarray(G))
    np.testing.assert_allclose(np.asarray(inv[5:]), expect, atol=1e-12)
    assert np.all(np.linalg.eigvalsh(np.asarray(inv)) > 0)


def test_restricted_density_is_minus_infinity_outside_the_copy():
    p = post("sigmoid")
    frame = copy_frame(p)
    theta = jnp.asarray(canonicalize(p.net, np.random.default_rng(3).standard_normal(p.dim)))
    cell, _ = frame.frame(theta)
    logp = restricted(p.log_density_fn, frame, cell)
    assert float(logp(theta)) == pytest.approx(float(p.log_density(theta)))
    flipped = jnp.asarray(transform(p.net, np.asarray(theta), [0, 1, 2], signs=[-1, 1, 1]))
    assert float(p.log_density(flipped)) > -np.inf  # a valid point, but in another copy
    assert float(logp(flipped)) == -np.inf
    grad = jax.grad(logp)(theta)
    np.testing.assert_allclose(grad, jax.grad(p.log_density_fn)(theta))


@pytest.mark.parametrize(
    "net", [MLP((), "identity"), MLP((2, 2), "tanh"), MLP(2, "tanh", in_dim=2)]
)
def test_canonical_mass_needs_a_network_with_a_canonical_form(net):
    x = np.stack([DATA.x, DATA.x**2], axis=1) if net.in_dim == 2 else DATA.x
    p = Posterior(net, Dataset(x=x, y=DATA.y))
    with pytest.raises(ValueError, match="mass='canonical'.*use mass='dense'"):
        smc_init(p, 2, SMCSettings(particles=64, mass="canonical"), 0)


def test_auto_mass_is_canonical_for_small_networks_only():
    from bayes_uat.samplers.smc import resolved_mass
    from bayes_uat.samplers.smc_metric import AUTO_MAX_UNITS

    auto = SMCSettings()
    assert auto.mass == "auto"
    assert resolved_mass(post("tanh", units=AUTO_MAX_UNITS), auto) == "canonical"
    assert resolved_mass(post("tanh", units=AUTO_MAX_UNITS + 1), auto) == "dense"
    assert resolved_mass(Posterior(MLP((2, 2), "tanh"), DATA), auto) == "dense"
    big = post("tanh", units=AUTO_MAX_UNITS + 1)
    assert resolved_mass(big, SMCSettings(mass="canonical")) == "canonical"  # asked for
