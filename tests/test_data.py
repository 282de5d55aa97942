"""Data sets: named targets, expression targets, seeding, validation and file loading."""

import numpy as np
import pytest

from bayes_uat import TARGETS, Dataset, load_dataset, make_dataset

EPS = np.finfo(np.float64).eps

# The documented table: formula (numpy, written independently), range, n, noise, scale.
DOCUMENTED = {
    "x2": (lambda x: x * x, (-5.0, 5.0), 500, "uniform", 0.5),
    "sin": (np.sin, (-10.0, 10.0), 1000, "uniform", 0.2),
    "abs": (np.abs, (-5.0, 5.0), 500, "gaussian", 0.1),
    "bump": (lambda x: (np.abs(x) < 1).astype(float), (-2.0, 2.0), 400, "gaussian", 0.05),
    # triangle wave with 4 teeth on [0, 1]: 0 at k/4, 1 at k/4 + 1/8
    "sawtooth": (
        lambda x: 1.0 - np.abs(np.mod(8.0 * x, 2.0) - 1.0),
        (0.0, 1.0),
        400,
        "gaussian",
        0.02,
    ),
    "step": (lambda x: (x > 0).astype(float), (-2.0, 2.0), 400, "gaussian", 0.05),
}


def test_documented_targets_are_the_registered_ones():
    assert set(TARGETS) == set(DOCUMENTED)


def test_x2_reproduces_blog_setup():
    d = make_dataset("x2", seed=0)
    assert d.n == 500 and d.x.shape == (500,) and d.y.shape == (500,)
    np.testing.assert_array_equal(d.x, np.linspace(-5.0, 5.0, 500))
    r = d.y - d.x**2
    assert r.min() >= 0.0 and r.max() <= 0.5
    # 0.5·U(0,1) has mean 0.25 and sd 0.5/√12; the mean of 500 draws is within 5 standard
    # errors (0.5/√12/√500 ≈ 0.0065) of 0.25
    assert abs(r.mean() - 0.25) < 5 * 0.5 / np.sqrt(12 * 500)
    assert (d.target, d.noise, d.noise_scale, d.seed) == ("x2", "uniform", 0.5, 0)
    assert d.in_dim == 1 and d.x_range == (-5.0, 5.0)


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_named_targets(name):
    formula, (lo, hi), n, noise, scale = DOCUMENTED[name]
    d = make_dataset(name, seed=1)
    assert d.n == n and d.x_range == (lo, hi) and d.noise == noise and d.noise_scale == scale
    assert np.all(np.isfinite(d.x)) and np.all(np.isfinite(d.y))
    # target_fn against the formula, including the points where bump/step/sawtooth switch
    grid = np.concatenate([np.linspace(lo, hi, 257), [-1.0, 0.0, 1.0, 0.125, 0.25]])
    # both sides are ≤ 2 correctly rounded operations on values of size ≤ |x|² → a few ulp
    np.testing.assert_allclose(
        np.asarray(d.target_fn(grid)), formula(grid), rtol=4 * EPS, atol=4 * EPS
    )
    r = d.y - formula(d.x)
    if noise == "uniform":
        assert r.min() >= 0.0 and r.max() <= scale
    else:
        # the sample sd of n Gaussian draws has relative standard error ≈ 1/√(2n);
        # 5 of those is the tolerance
        assert abs(r.std() / scale - 1) < 5 / np.sqrt(2 * n)


def test_expression_target():
    d = make_dataset("sin(x) + 0.5*x**2", n=50, seed=1)
    assert d.n == 50 and d.x_range == (-3.0, 3.0) and d.noise == "gaussian"
    f = np.sin(d.x) + 0.5 * d.x**2
    np.testing.assert_allclose(np.asarray(d.target_fn(d.x)), f, rtol=4 * EPS, atol=4 * EPS)
    clean = make_dataset("sin(x) + 0.5*x**2", n=50, noise="none")
    np.testing.assert_allclose(clean.y, f, rtol=4 * EPS, atol=4 * EPS)
    assert make_dataset("2*x", x_range=(0, 1), n=3, noise="none").y.tolist() == [0.0, 1.0, 2.0]


def test_seeds():
    a, b, c = (make_dataset("abs", seed=s) for s in (3, 3, 4))
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.y, c.y)
    r1, r2, r3 = (make_dataset("x2", spacing="random", seed=s) for s in (5, 5, 6))
    np.testing.assert_array_equal(r1.x, r2.x)
    np.testing.assert_array_equal(r1.y, r2.y)
    assert not np.array_equal(r1.x, r3.x)
    assert np.all(np.diff(r1.x) >= 0) and -5 <= r1.x.min() and r1.x.max() <= 5


def test_data_are_read_only_and_grid_spans_range():
    d = make_dataset("x2", n=10)
    with pytest.raises(ValueError):
        d.y[0] = 1.0
    np.testing.assert_allclose(d.grid(5, extrapolate=2.0), np.linspace(-10, 10, 5))


def test_numpy_scalar_arguments_accepted():
    d = make_dataset("x2", n=np.int64(20), noise_scale=np.float32(0.25), seed=0)
    assert d.n == 20 and d.noise_scale == 0.25


# -- validation --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "x, y, match",
    [
        ([0.0, np.nan, 2.0], [1.0, 2.0, 3.0], "x has 1 non-finite value.*index 1"),
        ([0.0, 1.0, 2.0], [1.0, np.inf, -np.inf], "y has 2 non-finite value.*index 1"),
        ([0.0, 1.0, 2.0], [1.0, 2.0], "same length, got 3 and 2"),
        ([], [], "x is empty"),
        ([[[0.0]]], [1.0], "x must have 1 or 2 dimensions"),
        (["a", "b"], [1.0, 2.0], "x must be numeric"),
    ],
)
def test_dataset_rejects_bad_arrays(x, y, match):
    with pytest.raises(ValueError, match=match):
        Dataset(x=x, y=y)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(noise="laplace"), "noise: unknown value 'laplace'; choose one of uniform"),
        (dict(n=0), "n must be an integer >= 1, got 0; the number"),
        (dict(n=-3), "n must be an integer >= 1, got -3"),
        (dict(n=2.5), "n must be an integer >= 1, got 2.5"),
        (dict(n=True), "n must be an integer >= 1, got True"),
        (dict(x_range=(1.0, 1.0)), r"x_range must be finite with lo < hi, got \(1.0, 1.0\)"),
        (dict(x_range=(2.0, -2.0)), r"lo < hi, got \(2.0, -2.0\)"),
        (dict(x_range=(0.0, np.inf)), "x_range must be finite"),
        (dict(x_range=(0.0, 1.0, 2.0)), r"x_range must be two numbers"),
        (dict(x_range="ab"), "x_range must be two numbers"),
        (dict(noise_scale=-0.1), "noise_scale must be a finite number >= 0, got -0.1"),
        (dict(noise_scale=float("nan")), "noise_scale must be a finite number >= 0, got nan"),
        (dict(noise_scale="0.1"), "noise_scale must be a number, got '0.1'"),
        (dict(spacing="log"), "spacing: unknown value 'log'"),
    ],
)
def test_make_dataset_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_dataset("x2", **kwargs)


@pytest.mark.parametrize("target", ["", "   ", None, "y**2", "open('f')"])
def test_make_dataset_rejects_bad_targets(target):
    with pytest.raises(ValueError, match="target"):
        make_dataset(target)


# -- loading -----------------------------------------------------------------------------
X = np.array([-1.5, 0.0, 0.1, 2.0 / 3.0, 1e-300])
Y = np.array([2.25, 0.0, -0.01, np.pi, 7.0])


def _rows(a, b):
    return "\n".join(f"{float(u)!r},{float(v)!r}" for u, v in zip(a, b)) + "\n"


def test_load_csv_with_header(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("# comment\nx,y\n" + _rows(X, Y))
    d = load_dataset(p, target="x**2")
    np.testing.assert_array_equal(d.x, X)
    np.testing.assert_array_equal(d.y, Y)
    assert d.source == str(p) and d.target == "x**2" and d.target_fn is not None
    # columns are found by name, not position
    q = tmp_path / "swapped.csv"
    q.write_text(" Y , X \n" + _rows(Y, X))
    d2 = load_dataset(q)
    np.testing.assert_array_equal(d2.x, X)
    np.testing.assert_array_equal(d2.y, Y)


def test_load_csv_without_header(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text(_rows(X, Y))
    d = load_dataset(str(p))
    np.testing.assert_array_equal(d.x, X)
    np.testing.assert_array_equal(d.y, Y)
    assert d.target is None and d.target_fn is None


def test_load_npz(tmp_path):
    p = tmp_path / "d.npz"
    np.savez(p, x=X, y=Y)
    d = load_dataset(p)
    np.testing.assert_array_equal(d.x, X)
    np.testing.assert_array_equal(d.y, Y)


def test_load_rejects_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.csv"):
        load_dataset(tmp_path / "nothere.csv")


def test_load_rejects_npz_without_xy(tmp_path):
    p = tmp_path / "d.npz"
    np.savez(p, a=X, y=Y)
    with pytest.raises(ValueError, match="'x' and 'y'.*'a'"):
        load_dataset(p)


@pytest.mark.parametrize(
    "text, match",
    [
        ("x,y\n1,foo\n", "every value must be a number"),
        ("x,y\n1,2\n3,\n", "every value must be a number"),
        ("x,y\n", "header but no data rows"),
        ("# only a comment\n", "no data rows"),
        ("x\n1\n2\n", "two columns"),
        ("x,y\n1,nan\n", "y has 1 non-finite"),
    ],
)
def test_load_rejects_bad_csv(tmp_path, text, match):
    p = tmp_path / "d.csv"
    p.write_text(text)
    with pytest.raises(ValueError, match=match):
        load_dataset(p)


def test_load_rejects_unsupported_suffix(tmp_path):
    p = tmp_path / "d.json"
    p.write_text('{"x": [1], "y": [2]}')
    with pytest.raises(ValueError, match=r"unsupported data file type '\.json'"):
        load_dataset(p)


def test_unknown_target_name_lists_the_targets():
    with pytest.raises(ValueError, match="unknown target 'sinx': choose one of x2, sin"):
        make_dataset("sinx")


# -- columns chosen by name, never by guess (issue 14.15) -----------------------------------
def test_csv_without_x_and_y_headers_is_refused(tmp_path):
    """``x1,x2,y`` used to be read as x = x1, y = x2; columns not named x and y were taken
    by position. Both are refused unless the columns are chosen."""
    p = tmp_path / "d.csv"
    p.write_text("x1,x2,y\n" + "\n".join(f"{a},{2 * a},{3 * a}" for a in range(5)) + "\n")
    with pytest.raises(ValueError, match=r"not 'x' and 'y'.*--x-col"):
        load_dataset(p)
    q = tmp_path / "ab.csv"
    q.write_text("a,b\n1,2\n3,4\n")
    with pytest.raises(ValueError, match=r"\['a', 'b'\] but not 'x' and 'y'"):
        load_dataset(q)
    d = load_dataset(p, x_cols=["x1", "x2"], y_col="y")
    assert d.in_dim == 2
    np.testing.assert_array_equal(d.x, np.column_stack([np.arange(5), 2 * np.arange(5)]))
    np.testing.assert_array_equal(d.y, 3 * np.arange(5))
    d1 = load_dataset(p, x_cols="x2", y_col="y")  # one column: 1-D input
    np.testing.assert_array_equal(d1.x, 2 * np.arange(5))
    np.testing.assert_array_equal(load_dataset(q, x_cols="b", y_col="a").y, [1, 3])


def test_headerless_csv_with_more_than_two_columns_is_refused(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("1,10,100\n2,20,200\n")
    with pytest.raises(ValueError, match="3 columns and no header.*ambiguous"):
        load_dataset(p)
    d = load_dataset(p, x_cols=[0], y_col=2)
    np.testing.assert_array_equal(d.x, [1, 2])
    np.testing.assert_array_equal(d.y, [100, 200])
    d2 = load_dataset(p, x_cols="0,1", y_col="2")  # the CLI's spelling
    assert d2.x.shape == (2, 2)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(x_cols="z", y_col="y"), "no column 'z' for x"),
        (dict(x_cols="x", y_col=7), "y column 7 is out of range: the file has 3 columns"),
        (dict(x_cols="x", y_col="x"), "must all differ"),
    ],
)
def test_bad_column_choices(tmp_path, kwargs, match):
    p = tmp_path / "d.csv"
    p.write_text("x,y,w\n1,2,3\n")
    with pytest.raises(ValueError, match=match):
        load_dataset(p, **kwargs)


def test_npz_arrays_chosen_by_name(tmp_path):
    p = tmp_path / "d.npz"
    np.savez(p, inp=X, out=Y)
    d = load_dataset(p, x_cols="inp", y_col="out")
    np.testing.assert_array_equal(d.x, X)
    np.testing.assert_array_equal(d.y, Y)


# -- files that are not what they claim (issue 14.16) -----------------------------------------
def test_directory_as_data_says_so(tmp_path):
    with pytest.raises(ValueError, match="is a directory; pass a .csv or .npz file"):
        load_dataset(tmp_path)


def test_undecodable_csv_names_the_file(tmp_path):
    p = tmp_path / "latin1.csv"
    p.write_bytes(b"x,y\n1,2\n" + b"\xff\xfe,\xe9\n")
    with pytest.raises(ValueError, match=r"latin1\.csv.*not UTF-8 text"):
        load_dataset(p)
    q = tmp_path / "bom.csv"  # the undecodable byte in the header line
    q.write_bytes(b"\xff\xfex,y\n1,2\n")
    with pytest.raises(ValueError, match=r"bom\.csv.*not UTF-8 text"):
        load_dataset(q)


def test_random_bytes_as_npz_name_the_file_without_numpys_pickle_hint(tmp_path):
    p = tmp_path / "junk.npz"
    p.write_bytes(np.random.default_rng(0).bytes(256))
    with pytest.raises(ValueError, match=r"junk\.npz: not a readable \.npz archive") as e:
        load_dataset(p)
    assert "pickle" not in str(e.value)


def test_csv_loads_in_one_numpy_pass(tmp_path, monkeypatch):
    """The table is read by one ``np.loadtxt`` call (no Python list of strings per row)."""
    p = tmp_path / "d.csv"
    p.write_text("x,y\n" + _rows(X, Y))
    calls = []
    real = np.loadtxt
    monkeypatch.setattr(np, "loadtxt", lambda *a, **k: calls.append(1) or real(*a, **k))
    d = load_dataset(p)
    assert len(calls) == 1
    np.testing.assert_array_equal(d.y, Y)
