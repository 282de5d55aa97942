# Every target creates the virtual environment first if it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# Test files run in parallel worker processes (pytest-xdist), one file per worker at a time so
# that module fixtures are built once; `make test WORKERS=0` runs them in this process.
WORKERS ?= auto
PYTEST  := $(BIN)/python -m pytest -n $(WORKERS) --maxprocesses=4 --dist loadfile

.PHONY: env demo test test-slow test-all lint format figures bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

env: $(STAMP)

demo: $(STAMP)          ## reproduce the blog's x² study; figures into figures/
	$(BIN)/python scripts/blog_x2.py

test: $(STAMP)          ## the default (fast) test suite
	$(PYTEST)

# the slow suite spreads single tests over the workers: one test takes most of its time
test-slow: $(STAMP)     ## the heavier statistical tests only
	$(PYTEST) -m slow --dist load

test-all: $(STAMP)
	$(PYTEST) -m "slow or not slow"

lint: $(STAMP)
	$(BIN)/ruff check bayes_uat tests scripts benchmarks
	$(BIN)/ruff format --check bayes_uat tests scripts benchmarks

format: $(STAMP)
	$(BIN)/ruff format bayes_uat tests scripts benchmarks

figures: $(STAMP)       ## regenerate every figure in figures/
	$(BIN)/python scripts/make_figures.py

bench: $(STAMP)         ## speed benchmarks; results into docs/benchmarks.md
	$(BIN)/python benchmarks/discovery.py
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache *.egg-info
