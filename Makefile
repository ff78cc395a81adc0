# Facteur — `make help` lists the targets. Every target creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PACKAGES := models locales tui agent portal
PYTEST_ARGS ?=
BENCH_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install postgres run test bench check format lint types contract locales-extract locales-update clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) ## Create .venv and install Facteur with its dev tools

run: $(STAMP) ## Set up the database (demo data on first run), start the agent, the portal and the TUI
	$(BIN)/facteur db init --demo
	@mkdir -p var
	@echo "The agent and the portal run beside the TUI (logs: var/agent.log, var/portal.log); mail goes to var/mail/."
	@export FACTEUR_PORTAL_TOKEN="$${FACTEUR_PORTAL_TOKEN:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(32))')}"; \
	  $(BIN)/facteur portal >>var/portal.log 2>&1 & portal=$$!; \
	  $(BIN)/facteur agent >>var/agent.log 2>&1 & agent=$$!; \
	  trap 'kill -TERM $$agent $$portal 2>/dev/null; wait $$agent $$portal 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/facteur tui

postgres: ## Install PostgreSQL (Debian's package) for the tests when missing; skipped without root
	@sh tests/install_postgres.sh

test: $(STAMP) postgres ## Install what the tests need (PostgreSQL too) and run them
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP) ## Measure speed against same-run baselines; prints a table, writes var/bench.json
	$(BIN)/python -m bench.run $(BENCH_ARGS)

format: $(STAMP) ## Format the code (ruff)
	$(BIN)/ruff format .

lint: $(STAMP) ## Lint (ruff) and check formatting
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

types: $(STAMP) ## Type-check the packages (mypy)
	$(BIN)/mypy $(PACKAGES)

contract: $(STAMP) ## Check the import layers (import-linter)
	$(BIN)/lint-imports

check: lint types contract test ## Everything CI should see: format, lint, types, import contract, tests

locales-extract: $(STAMP) ## Extract msgids into locales/facteur.pot
	$(BIN)/pybabel extract --mapping babel.cfg --no-location --sort-output --add-comments Translators: \
	  --keywords 'N_ L_ format:1 nformat:1,2' --project Facteur --output-file locales/facteur.pot .

locales-update: locales-extract ## Merge new msgids into the fr and en catalogs
	for lang in fr en; do \
	  $(BIN)/pybabel update --input-file locales/facteur.pot --output-dir locales --domain facteur \
	    --locale $$lang --init-missing --no-fuzzy-matching --ignore-obsolete || exit 1; \
	done

clean: ## Remove the virtual environment and caches (keeps var/, your data)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
