# Facteur — `make help` lists the targets. Every target sets up what it needs: .venv from the
# committed lock (requirements.lock, exact versions with hashes), installed by a pinned uv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
UV := $(TOOLS)/bin/uv
LOCK := requirements.lock
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | cksum | cut -d' ' -f1)
PACKAGES := cli models locales tui agent portal
PYTEST_ARGS ?=
BENCH_ARGS ?=
LOCK_ARGS ?=
# uv uses this machine's Python (never one it downloads) and only its own command-line flags
export UV_PYTHON_DOWNLOADS := never
export UV_NO_CONFIG := 1

.DEFAULT_GOAL := help
SHELL := /bin/bash
.PHONY: help install bytecode lock lock-upgrade postgres doors scan-tools setup run test test-latest bench check format lint types contract locales-extract locales-update clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-16s %s\n", $$1, $$2}'

$(UV): requirements-uv.lock
	@test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements-uv.lock
	@touch $@

# The lock goes in first, exactly (extra packages are removed); the project after it, editable,
# without its dependencies and built by the locked setuptools. Packages are compiled to bytecode
# as they are installed: where PYTHONDONTWRITEBYTECODE is set (CI, containers) nothing else
# would write it, and every process would compile every module it imports, each time.
$(STAMP): pyproject.toml $(LOCK) | $(UV)
	@test -x $(BIN)/python || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --compile-bytecode --python $(BIN)/python --require-hashes $(LOCK)
	$(UV) pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) ## Create .venv with exactly the locked packages, and Facteur in it

# Facteur's own modules, for the same reason (only those changed since are compiled again).
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q -j 0 $(PACKAGES) testbed tests bench >/dev/null

lock: $(UV) ## Update the lock after a change to pyproject.toml (other pins kept; LOCK_ARGS=--upgrade for newest)
	$(UV) pip compile pyproject.toml --extra dev --universal --generate-hashes --python-version 3.11 \
	  --quiet --custom-compile-command "make lock" $(LOCK_ARGS) -o $(LOCK)
	@echo "$(LOCK) written; commit it with the change that needed it."

lock-upgrade: ## Move the lock to the newest versions pyproject.toml allows (then: make test)
	$(MAKE) --no-print-directory lock LOCK_ARGS=--upgrade

run: bytecode ## Set up the database (demo data on first run), start the agent, the portal and the TUI
	$(BIN)/facteur db init --demo
	@mkdir -p var
	@echo "The agent and the portal run beside the TUI (logs: var/agent.log, var/portal.log); mail goes to var/mail/."
	@export FACTEUR_PORTAL_TOKEN="$${FACTEUR_PORTAL_TOKEN:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(32))')}"; \
	  $(BIN)/facteur portal >>var/portal.log 2>&1 & portal=$$!; \
	  $(BIN)/facteur agent >>var/agent.log 2>&1 & agent=$$!; \
	  trap 'kill -TERM $$agent $$portal 2>/dev/null; wait $$agent $$portal 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/facteur tui

postgres: ## Install PostgreSQL (Debian's package) for the tests when missing; skipped without root
	@sh testbed/install_postgres.sh

doors: ## Install sudo and the OpenSSH server (Debian's) for the doors' tests when missing; skipped without root
	@sh testbed/install_doors.sh

scan-tools: ## Install zbar-tools and poppler-utils (Debian's) for the QR code tests when missing; skipped without root
	@sh testbed/install_scan_tools.sh

# Set-up and tests are timed apart: each has its budget on a fresh clone with 2 cores (docs/development.md).
setup: ## Set up what the tests need (the lock, PostgreSQL, zbarimg); prints the time against its budget
	@start=$$(date +%s); $(MAKE) --no-print-directory install bytecode postgres doors scan-tools || exit 1; \
	  took=$$(( $$(date +%s) - start )); \
	  echo "set-up: $$took s (budget 300 s)$$( [ $$took -le 300 ] || echo ', OVER BUDGET')"

test: setup ## Set up, then run the tests; prints both times
	FACTEUR_TEST_BUDGET=360 $(BIN)/python -m pytest $(PYTEST_ARGS)

test-latest: $(UV) postgres ## Run the suite against the newest versions pyproject.toml allows (in .venv-latest)
	rm -rf .venv-latest
	$(UV) venv --quiet --python $(PYTHON) .venv-latest
	$(UV) pip install --quiet --compile-bytecode --python .venv-latest/bin/python --upgrade --refresh -e '.[dev]'
	@echo "Newer than the lock:"; $(UV) pip freeze --python .venv-latest/bin/python --exclude-editable \
	  | grep -vxFf <(grep -oE '^[A-Za-z0-9._-]+==[^ ]+' $(LOCK)) || echo "  nothing"
	.venv-latest/bin/python -m pytest $(PYTEST_ARGS)

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

check: setup lint types contract test ## Everything CI should see (.ci/run): format, lint, types, import contracts, tests

locales-extract: $(STAMP) ## Extract msgids into locales/facteur.pot
	$(BIN)/pybabel extract --mapping babel.cfg --no-location --sort-output --add-comments Translators: \
	  --keywords 'N_ L_ format:1 nformat:1,2' --project Facteur --output-file locales/facteur.pot .

locales-update: locales-extract ## Merge new msgids into the fr and en catalogs
	for lang in fr en; do \
	  $(BIN)/pybabel update --input-file locales/facteur.pot --output-dir locales --domain facteur \
	    --locale $$lang --init-missing --no-fuzzy-matching --ignore-obsolete || exit 1; \
	done

clean: ## Remove the virtual environments, uv and caches (keeps var/, your data)
	rm -rf $(VENV) .venv-latest $(TOOLS) .pytest_cache .mypy_cache .ruff_cache *.egg-info
