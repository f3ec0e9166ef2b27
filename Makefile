# topichub — every command a developer needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
# uv from PATH, else the one pip installs as a module.
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
RUN := $(UV) run --frozen

.PHONY: help uv install run migrate test lint format typecheck pytest bench soak clean

help: ## List the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

uv:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check uv

install: uv ## Create .venv and install the locked dependencies
	@$(UV) sync --frozen --quiet

run: install ## Start the server with embedded defaults at http://127.0.0.1:8000
	@$(RUN) topichub migrate
	@$(RUN) topichub serve

migrate: install ## Apply database migrations
	@$(RUN) topichub migrate

lint: install ## ruff lint and format check
	$(RUN) ruff check src tests bench migrations
	$(RUN) ruff format --check src tests bench migrations

format: install ## Format the code
	$(RUN) ruff format src tests bench migrations
	$(RUN) ruff check --fix src tests bench migrations

typecheck: install ## mypy (strict on src/)
	$(RUN) mypy

pytest: install ## Only the test suite (PYTEST_ARGS=... to pass options)
	$(RUN) pytest $(PYTEST_ARGS)

test: lint typecheck pytest ## Lint, type-check and run the whole test suite

bench: install ## Benchmarks, printed as ratios to a baseline measured in the same run
	$(RUN) python -m bench

soak: install ## Long-running soak test (not part of CI)
	$(RUN) python -m bench.soak

clean: ## Remove local state (.venv, var/, caches)
	rm -rf .venv var .pytest_cache .mypy_cache .ruff_cache
