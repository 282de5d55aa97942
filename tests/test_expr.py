"""Target expressions: correct evaluation, and refusal of anything outside the whitelist."""

import builtins
import os
import subprocess
import sys
import textwrap

import jax.numpy as jnp
import numpy as np
import pytest

from bayes_uat.expr import MAX_LENGTH, parse_expression

EPS = np.finfo(np.float64).eps
X = np.linspace(-4.0, 4.0, 81)

VALID = {
    "sin(x) + 0.5*x**2": lambda x: np.sin(x) + 0.5 * x**2,
    "exp(-x**2/2)": lambda x: np.exp(-(x**2) / 2),
    "abs(x) - 3": lambda x: np.abs(x) - 3,
    "sqrt(x**2 + 1)": lambda x: np.sqrt(x**2 + 1),
    "log(1 + x**2)": lambda x: np.log1p(x**2),
    "pi*x + e": lambda x: np.pi * x + np.e,
    "e**(x/4)": lambda x: np.exp(x / 4),
    "-x": lambda x: -x,
    "+x - -2": lambda x: x + 2,
    "2*x - 3/4": lambda x: 2 * x - 0.75,
    "tanh(x)*cos(x)": lambda x: np.tanh(x) * np.cos(x),
    "sinh(x)/cosh(x) - tanh(x)": lambda x: np.zeros_like(x),
    "arctan(x) + tan(x/4)": lambda x: np.arctan(x) + np.tan(x / 4),
    "maximum(x, 0) + minimum(x, 1)": lambda x: np.maximum(x, 0) + np.minimum(x, 1),
    "sign(x)*floor(x)": lambda x: np.sign(x) * np.floor(x),
    "heaviside(x) + step(x)": lambda x: 2.0 * (x > 0),
    "sigmoid(x) + relu(x) + softplus(x)": lambda x: (
        1 / (1 + np.exp(-x)) + np.maximum(x, 0) + np.logaddexp(0, x)
    ),
    "softsign(x) + identity(x) + leaky_relu(x)": lambda x: (
        x / (1 + np.abs(x)) + x + np.where(x >= 0, x, 0.01 * x)
    ),
    "x**3 - 2*x + 1": lambda x: x**3 - 2 * x + 1,
    "2": lambda x: np.full_like(x, 2.0),
    "  1e-3 * x  ": lambda x: 1e-3 * x,
}


@pytest.mark.parametrize("text", list(VALID))
def test_valid_expressions_match_numpy(text):
    got = np.asarray(parse_expression(text)(jnp.asarray(X)))
    want = VALID[text](X)
    assert got.shape == X.shape and got.dtype == np.float64
    # Elementary functions are within 4 ulp (measured ≤ 2.3 against numpy) and each
    # arithmetic step adds ≤ ½ ulp; argument errors are amplified at most by the condition
    # number, ≤ |x|² = 16 here (exp(−x²/2)).  Hence 64·eps·(1 + |f|).
    np.testing.assert_allclose(got, want, rtol=0, atol=64 * EPS * (1 + np.abs(want)).max())


def test_multidimensional_input():
    x = np.random.default_rng(0).normal(size=(6, 2))
    f = parse_expression("x1*x2 + sin(x1)", in_dim=2)
    np.testing.assert_allclose(
        np.asarray(f(jnp.asarray(x))), x[:, 0] * x[:, 1] + np.sin(x[:, 0]), rtol=8 * EPS
    )
    with pytest.raises(ValueError, match="the name 'x'"):
        parse_expression("x + 1", in_dim=2)


def test_dtype_and_shape_follow_x():
    f = parse_expression("2*x + 1")
    assert f(jnp.ones(3, dtype=jnp.float32)).dtype == jnp.float32
    assert f(jnp.asarray(2.0)).shape == ()
    assert float(f(jnp.asarray(2.0))) == 5.0


def test_number_only_operations_fold_to_ieee_values():
    """Operations on two plain numbers are evaluated in float64, so they can neither build
    a huge integer nor raise: overflow gives inf, 1/0 gives inf, (−8)^(1/3) gives nan."""
    x = jnp.asarray([1.0, 2.0])
    assert np.all(np.isinf(np.asarray(parse_expression("x + 2**2000")(x))))
    assert np.all(np.isinf(np.asarray(parse_expression("x + 1/0")(x))))
    assert np.all(np.isnan(np.asarray(parse_expression("x + (-8)**(1/3)")(x))))
    np.testing.assert_array_equal(parse_expression("x * 10**20")(x), [1e20, 2e20])
    with pytest.raises(ValueError, match="integer constant 99999999999999999999"):
        parse_expression("x + 99999999999999999999")


def test_power_tower_does_not_hang():
    # 9**9**9 as Python integers has ~370 million digits; it must come back as inf at once.
    # A subprocess with a timeout keeps a regression from hanging the test session.
    code = textwrap.dedent("""
        import jax.numpy as jnp
        from bayes_uat.expr import parse_expression
        print(float(parse_expression("x + 9**9**9")(jnp.asarray(1.0))))
    """)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "inf"


# -- rejection ---------------------------------------------------------------------------
INJECTIONS = {
    "__import__('os').system('echo hi')": "dunder",
    "x.__class__": "dunder",
    "().__class__.__bases__": "dunder",
    "open('f')": "calling 'open'",
    "lambda: 1": "Lambda",
    "[x for x in y]": "ListComp",
    "x if x else 1": "IfExp",
    "eval('1')": "calling 'eval'",
    "exec('1')": "calling 'exec'",
    "getattr(x,'a')": "calling 'getattr'",
    "np.sin(x)": "calling .*Attribute",
    "sin(x=1)": "keyword argument",
    "sin(*x)": "starred argument",
    "'a'": "the constant 'a'",
    "True + x": "the constant True",
    "x[0]": "Subscript",
    "y": "the name 'y'",
    "x < 1": "Compare",
    "x @ x": "the operator MatMult",
    "x % 2": "the operator Mod",
    "~x": "the operator Invert",
    "not x": "the operator Not",
    "(x := 1)": "NamedExpr",
    "sin(open('pwned', 'w'))": "calling 'open'",
    "x +": "not valid",
    "": "not valid",
}


@pytest.mark.parametrize("text", list(INJECTIONS))
def test_rejected_with_value_error(text):
    with pytest.raises(ValueError, match=INJECTIONS[text]):
        parse_expression(text)


def test_non_string_rejected():
    with pytest.raises(ValueError, match="must be a string, got int"):
        parse_expression(3)


def test_length_limit():
    ok = ("x" + "+x" * ((MAX_LENGTH - 1) // 2)).ljust(MAX_LENGTH)
    assert len(ok) == MAX_LENGTH
    assert float(parse_expression(ok)(jnp.asarray(1.0))) == (MAX_LENGTH + 1) // 2
    with pytest.raises(ValueError, match=f"longer than {MAX_LENGTH}"):
        parse_expression(ok + "1")
    with pytest.raises(ValueError, match="longer than"):
        parse_expression("x" + "+x" * 10_000)


def test_rejection_happens_before_anything_runs(monkeypatch, tmp_path, capfd):
    """Make every route to side effects observable, then check none was taken."""
    calls = []
    real_import = builtins.__import__

    def spy(name):
        def f(*args, **kwargs):
            calls.append((name, args[:1]))
            raise AssertionError(f"{name} was called")

        return f

    def import_spy(name, *args, **kwargs):
        calls.append(("__import__", name))  # record, then import as usual
        return real_import(name, *args, **kwargs)

    texts = [
        "__import__('os').system('echo hi')",
        "open('pwned','w')",
        "sin(x) + open('pwned','w')",
        "eval('1')",
        "exec('1')",
        "getattr(x,'a')",
        "x.__class__.__init__.__globals__['os'].system('echo hi')",
    ]
    errors = []
    monkeypatch.chdir(tmp_path)
    # patched only around the calls (pytest itself needs the real builtins)
    with monkeypatch.context() as m:
        m.setattr(os, "system", spy("os.system"))
        m.setattr(builtins, "open", spy("open"))
        m.setattr(builtins, "eval", spy("eval"))
        m.setattr(builtins, "exec", spy("exec"))
        m.setattr(builtins, "__import__", import_spy)
        for text in texts:
            try:
                parse_expression(text)
            except Exception as e:  # inspected below
                errors.append(e)
    assert calls == []
    assert [type(e) for e in errors] == [ValueError] * len(texts)
    assert not (tmp_path / "pwned").exists()
    assert "hi" not in capfd.readouterr().out


@pytest.mark.parametrize("text", ["sin(x, x)", "minimum(x)", "exp()"])
def test_wrong_number_of_arguments_is_rejected_before_running(text):
    with pytest.raises(ValueError, match=r"takes \d argument\(s\)"):
        parse_expression(text)
