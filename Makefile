# The two commands a user needs: `make run` and `make test`. Both create the
# virtual environment on first use, so a fresh clone needs only python3 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run brief test test-fast system-packages ui bench install clean

# Settings (see .env.example): a .env file or the environment overrides them; `assets.run` and
# `assets.ui` fill in the defaults of the rest (assets/settings.py).
-include .env
export TRADE_WAREHOUSE_DIR ?= $(CURDIR)/warehouse
export TRADE_MANIFEST ?= $(CURDIR)/pipeline/sources/manifests/shared_datasets.yaml
export TRADE_COUNTRY_GROUPS_FILE ?=
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export TRADE_BULK_DIR

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Materialize the whole graph once and publish the warehouse.
run: $(STAMP)
	$(BIN)/python -m assets.run

## Country briefs from the published warehouse, no refresh: `make brief C=BGD` (or C="BGD IND");
## without C, the countries of TRADE_BRIEF_COUNTRIES.
brief: $(STAMP)
	$(BIN)/python -m assets.brief $(C)

## What pip cannot install: Debian's chromium for the browser tests (apt-get as root, else the
## command to run). .ci/system-packages says which.
system-packages:
	@.ci/system-packages

## The whole test suite, offline, on the real data in ../shared: every tier, nothing skipped, in
## TEST_WORKERS processes (pytest-xdist; one `make run` shared by all: tests/conftest.py).
TEST_WORKERS ?= 2
test: $(STAMP) system-packages
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup

## The edit loop: every tier but the end-to-end materializations (slow) and the browser.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup -m "not slow and not browser"

## The Dagster UI on http://127.0.0.1:3000 (workspace.yaml).
ui: $(STAMP)
	$(BIN)/python -m assets.ui

## Benchmarks: each prints its ratio against a named peer measured in the same run.
bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) warehouse warehouse.publish .pytest_cache
