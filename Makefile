# hubroute: `make demo` plans the Xinping day; `make test` runs lint, types and tests.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
CHROMIUM := /usr/bin/chromium

.PHONY: demo test lint typecheck pytest browser-deps pg-deps bench golden clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@ $(STAMP)

demo: $(STAMP)
	$(BIN)/hubroute demo --out out

# The report's browser test drives Debian's headless Chromium (no browser downloads).
browser-deps:
	@if [ ! -x $(CHROMIUM) ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null) \
		|| (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null); \
	fi

# The store, fault and replica tests start a throw-away cluster of Debian's PostgreSQL.
pg-deps:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
		|| (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null); \
	fi

lint: $(DEV_STAMP)
	$(BIN)/ruff check routing service benchmarks fixtures tests
	$(BIN)/ruff format --check routing service tests/service
	$(BIN)/lint-imports

typecheck: $(DEV_STAMP)
	$(BIN)/mypy routing service

pytest: $(DEV_STAMP) browser-deps pg-deps
	$(BIN)/python -m pytest -n 2 --timeout 900 -q

test: lint typecheck pytest

# Regenerate fixtures/golden/*.plan.json after a change that is meant to change plans.
golden: $(STAMP)
	$(BIN)/python -m fixtures.golden

bench: $(DEV_STAMP)
	$(BIN)/hubroute bench

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
