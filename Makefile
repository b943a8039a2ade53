# The two set-up commands of the README are `make up` and `make test`; both work on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: up test pytest lint schema down bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

## up: services, migrations, demo data and the gateway on http://127.0.0.1:8080/graphql
up: $(STAMP)
	$(BIN)/parcours up

## test: the whole suite (lint, types, then pytest with its own Neo4j and Redis)
test: lint pytest

pytest: $(STAMP)
	$(BIN)/parcours services prepare
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check gateway resolvers graph channels simulators tests bench
	$(BIN)/ruff format --check gateway resolvers graph channels simulators tests bench
	$(BIN)/mypy

## schema: rewrite schema.graphql from the code (commit the result)
schema: $(STAMP)
	$(BIN)/python -c 'from resolvers import build_schema; print(build_schema().as_str())' > schema.graphql

## down: stop what `make up` started (also works from another terminal)
down:
	@if [ -x $(BIN)/parcours ]; then $(BIN)/parcours down; fi

clean: down
	rm -rf .parcours/state

## bench: every scenario against gateways it pins to core 0 (needs `make up`); QUICK=1 for a
## few-minute run, BENCH_ARGS="--only cached,uncached" for a subset. Never part of `make test`.
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.suite $(if $(QUICK),--quick) $(BENCH_ARGS)
