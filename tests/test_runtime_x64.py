"""JAX's 64-bit mode is the user's choice: importing bayes_uat leaves it alone."""

import subprocess
import sys

import pytest


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_import_leaves_jax_x64_off():
    r = _run("import jax, bayes_uat; print(jax.config.jax_enable_x64)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


def test_float64_posterior_without_x64_is_a_clear_error_and_default_is_float32():
    code = (
        "import bayes_uat as bu\n"
        "d = bu.make_dataset('x2', n=20)\n"
        "print(bu.Posterior(bu.MLP(1, 'tanh'), d).dtype)\n"
        "try:\n"
        "    bu.Posterior(bu.MLP(1, 'tanh'), d, dtype='float64')\n"
        "except ValueError as e:\n"
        "    print('ERR', e)\n"
        "print(bu.enable_x64(), bu.Posterior(bu.MLP(1, 'tanh'), d).dtype)\n"
    )
    r = _run(code)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[0] == "float32"
    assert lines[1].startswith("ERR") and "bayes_uat.enable_x64()" in lines[1]
    assert lines[2] == "True float64"


@pytest.mark.parametrize("on", [False, True])
def test_enable_x64_reports_the_mode(on):
    r = _run(f"import bayes_uat as bu; print(bu.enable_x64({on}))")
    assert r.stdout.strip() == str(on)


def test_a_run_in_a_fresh_process_makes_its_data_in_float64(tmp_path):
    """A sweep worker starts without 64-bit mode; the run turns it on before making data,
    so its data equal those of a process that had it on from the start."""
    code = (
        "from pathlib import Path\n"
        "import numpy as np\n"
        "from bayes_uat.config import RunConfig\n"
        "from bayes_uat.runner import check_run\n"
        "cfg = RunConfig(units=1, sampler='ensemble', chains=12, draws=10)\n"
        f"post = check_run(cfg, Path({str(tmp_path / 'o')!r}), overwrite=False, resume=False)\n"
        "import bayes_uat as bu\n"
        "print(post.dtype, np.array_equal(post.data.y, bu.make_dataset('x2').y))\n"
    )
    r = _run(code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "float64 True"
