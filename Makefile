# survey_service — `make help` lists every target.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show the targets and what they do
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

# The exact versions in requirements.lock (hashes checked), then the project itself.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

.PHONY: install
install: $(STAMP) ## Create .venv and install the project with its test tools

# TypeScript, at the exact version package-lock.json pins: it checks static/'s JSDoc types
# (`make lint`); the app itself has no build step and needs no node at run time.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $(NODE_STAMP)

.PHONY: system-deps
system-deps: ## Install the system packages the tests need (Debian chromium, wrk, postgresql) when missing
	@scripts/ensure-system-deps

.PHONY: run
run: install ## Start the service on http://127.0.0.1:8000 with the bundled questionnaires
	$(BIN)/survey-service serve

.PHONY: check
check: install ## Validate the questionnaire files in questionnaires/
	$(BIN)/survey-service check questionnaires

.PHONY: test
test: install system-deps ## Install everything and run every test, browser tests included
	$(BIN)/python -m pytest

.PHONY: test-fast
test-fast: install ## Every test but the browser tests and those that start server processes (a few minutes)
	$(BIN)/python -m pytest -m "not browser and not slow"

.PHONY: intruder
intruder: install ## Rule 13's intruder, long: 2,000 random datasets with every attack on each (about an hour)
	INTRUDER_DATASETS=2000 INTRUDER_DEEP_EVERY=1 $(BIN)/python -m pytest tests/test_intruder.py -q -s -p no:randomly -k campaign

.PHONY: lint
lint: install $(NODE_STAMP) ## ruff (lint and format check), mypy, tsc on static/, and pip-audit when the index is reachable
	$(BIN)/ruff check survey_service tests bench
	$(BIN)/ruff format --check survey_service tests bench
	$(BIN)/mypy
	node_modules/.bin/tsc -p tsconfig.json
	node_modules/.bin/tsc -p tsconfig.worker.json
	BIN=$(BIN) scripts/audit-deps

.PHONY: lock
lock: ## Remake requirements.lock from pyproject.toml, keeping the versions it pins (UPGRADE=1: newest within the bounds)
	test -x $(BIN)/pip-compile || $(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --all-extras --generate-hashes --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade) \
		--output-file requirements.lock pyproject.toml

.PHONY: bench
bench: install system-deps ## Run the benchmark suite and write bench/results.md
	$(BIN)/python -m bench

.PHONY: clean
clean: ## Remove the virtual environment and caches (never the data in var/)
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
