# Every target builds .venv on demand with only the dependencies it needs: the mock's (the base set), the contract
# suite's (extra `contract`, ranges a partner's project fits in) or everything for working on the kit (extra `dev`:
# the exact versions the kit's own run is tested with, and uvicorn for bench/). One stamp per set; a set is
# reinstalled when pyproject.toml or setup.py changes.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
BASE_STAMP := $(VENV)/.installed-base
CONTRACT_STAMP := $(VENV)/.installed-contract
STAMP := $(VENV)/.installed-dev
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check
HOST ?= 127.0.0.1
PORT ?= 8080
FIXTURES ?= fixtures/default.yaml
LOG_LEVEL ?= info
# A secret admin token for `make mock HOST=0.0.0.0 ADMIN_TOKEN=...`: passed in the environment, so that make does not
# echo it and `ps` does not show it.
ADMIN_TOKEN ?=
# The kit's tests run in parallel (pytest-xdist): one worker per core and one more, since some tests mostly wait (the
# certification runs' pauses, pip installs): on 2 cores 6m26 with 3 workers, 7m45 with 2. Tests that share a
# module-scoped fixture stay in one worker (tests/conftest.py gives them an xdist group). PARALLEL= runs them here.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
PARALLEL ?= -n $(TEST_WORKERS) --dist loadgroup
# The tests start many Python processes (contract runs, mocks, pytest sessions): with PYTHONDONTWRITEBYTECODE set (as
# on some CI images) each of them compiled again every module it imported, and pytest rewrote the assertions of ~400
# plugin modules, ~2.4 s of CPU per contract run. The tests write bytecode (.venv/ and __pycache__/, both ignored).
TEST_ENV := PYTHONDONTWRITEBYTECODE=

.PHONY: help venv mock test test-fast contract certify clients screenshots bench check lint lint-spec imports format clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Each set includes the smaller ones, so installing it refreshes their stamps too.
$(BASE_STAMP): pyproject.toml setup.py | $(BIN)/python
	$(PIP_INSTALL) -e .
	touch $(BASE_STAMP)

$(CONTRACT_STAMP): pyproject.toml setup.py | $(BIN)/python
	$(PIP_INSTALL) -e '.[contract]'
	touch $(BASE_STAMP) $(CONTRACT_STAMP)

$(STAMP): pyproject.toml setup.py | $(BIN)/python
	$(PIP_INSTALL) -e '.[dev]'
	touch $(BASE_STAMP) $(CONTRACT_STAMP) $(STAMP)

venv: $(STAMP) ## create .venv with the kit and its tools

ifdef ADMIN_TOKEN
mock: export JAFARSHOP_MOCK_ADMIN_TOKEN := $(ADMIN_TOKEN)
endif
mock: $(BASE_STAMP) ## start the mock on $(HOST):$(PORT) with $(FIXTURES)
	$(BIN)/jafarshop-mock --host $(HOST) --port $(PORT) --fixtures $(FIXTURES) --log-level $(LOG_LEVEL)

test: $(STAMP) ## run every test of the kit, in parallel (CI runs this; PARALLEL= for one process)
	$(TEST_ENV) $(BIN)/python -m pytest $(PARALLEL) $(PYTEST_ARGS)

test-fast: $(STAMP) ## the fast tier: all but the slow tests (broken targets, certification runs, long fuzz, load, wheel)
	$(TEST_ENV) $(BIN)/python -m pytest $(PARALLEL) -m "not slow and not wheel" $(PYTEST_ARGS)

certify: $(BASE_STAMP) ## grade your client against the guide's client rules: make certify CLIENT="python my_client.py"
	@if [ -z '$(CLIENT)' ]; then echo 'make certify: name your client command, e.g. make certify CLIENT="node my-client.js" (options: CERTIFY_ARGS="--lenient --time-limit 120"; through make any failure exits 2, call .venv/bin/jafarshop-certify for the exit codes)' >&2; exit 2; fi
	$(BIN)/jafarshop-certify $(CERTIFY_ARGS) -- $(CLIENT)

clients: $(STAMP) ## run the guide's five client examples (cURL, Python, Node, PHP, Java) against a live mock
	bash scripts/install-client-runtimes
	$(BIN)/python -m pytest tests/test_guide_clients.py -v

contract: $(CONTRACT_STAMP) ## verify the JAFARSHOP_BASE_URL target (or a mock it starts) against the contract
	$(BIN)/jafarshop-contract $(if $(EXAMPLES),--examples $(EXAMPLES)) $(if $(MAX_ORDERS),--max-orders $(MAX_ORDERS)) $(if $(WORKERS),--workers $(WORKERS)) $(if $(PYTEST_ARGS),-- $(PYTEST_ARGS))

screenshots: $(STAMP) ## refresh the console's screenshots in docs/ (the README's) with its browser tests
	bash scripts/install-browser
	JAFARSHOP_SCREENSHOTS=docs $(BIN)/python -m pytest tests/test_console.py -n 0

bench: $(STAMP) ## benchmark the mock against Prism (wrk, loopback); reports/bench.md; BENCH_ARGS="--duration 3"
	$(BIN)/python -m bench $(BENCH_ARGS)

lint-spec: $(STAMP) ## validate the OpenAPI documents and lint them with Spectral (spectral:oas; npm installs it into .tools/ once)
	$(BIN)/python -m openapi_spec_validator openapi/partner-api.yaml openapi/admin-api.yaml
	bash scripts/lint-spec

lint: $(STAMP) lint-spec ## ruff and the spec validator
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

imports: $(STAMP) ## check the import contracts: the layers of [tool.importlinter] in pyproject.toml (import-linter)
	$(BIN)/lint-imports

check: lint imports ## lint, the import contracts, then mypy
	$(BIN)/mypy

format: $(STAMP) ## format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean: ## remove .venv, caches and reports
	rm -rf $(VENV) build dist .bench .clients .tools .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .hypothesis .schemathesis reports *.egg-info
