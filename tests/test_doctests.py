"""The docstring examples of the cheap modules run and print what they show.

The examples that train or sample (optimize, samplers, ensemble, studies.training) pass too
but take tens of seconds; run them with
``python -m pytest --doctest-modules bayes_uat/optimize.py bayes_uat/samplers/__init__.py
bayes_uat/samplers/ensemble.py bayes_uat/studies/training.py``.  Examples marked ``+SKIP`` need a
finished run and are not executed.
"""

import doctest
import importlib

import pytest

MODULES = [
    "activations",
    "checks",
    "config",
    "data",
    "expr",
    "nets",
    "posterior",
    "records",
    "runtime",
    "samples",
    "samplers.smc_mutation",
    "summary",
    "symmetry",
    "plots._style",
    "vocabulary",
    "wide",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(f"bayes_uat.{name}")
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, verbose=False)
    assert result.failed == 0, f"{result.failed} failing example(s) in bayes_uat.{name}"
    if name not in ("checks", "records", "runtime"):  # these show only skipped examples
        assert result.attempted > 0, f"bayes_uat.{name} has no runnable example"
