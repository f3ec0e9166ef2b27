# topichub — every command a developer needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
# uv from PATH, else the one pip installs as a module.
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
RUN := $(UV) run --frozen

.PHONY: help uv install run console-if-node migrate settings-doc test lint format typecheck pytest bench profile soak clean \
	console console-deps console-api console-check console-test chromium package

help: ## List the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

uv:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check uv

install: uv ## Create .venv and install the locked dependencies
	@$(UV) sync --frozen --quiet

# `make run` installs the runtime dependencies only (no test or lint tools), says what
# each step does, and starts the API even where Node.js is missing (without the console).
# --inexact keeps the dev tools of an earlier `make test`. The server runs from .venv
# directly: `uv run` answers Ctrl-C with status 130 even when the server stopped cleanly.
SERVE := .venv/bin/
NODE_MIN := 20.19

run: uv ## Start the server with embedded defaults at http://127.0.0.1:8000
	@echo "==> Python dependencies (runtime only, from uv.lock)"
	@$(UV) sync --frozen --no-dev --inexact
	@$(MAKE) --no-print-directory console-if-node
	@echo "==> database migrations"
	@$(SERVE)topichub migrate
	@echo "==> starting topichub (Ctrl-C stops it)"
	@$(SERVE)topichub serve

# The console needs Node.js >= $(NODE_MIN) with npm; without it the API starts alone.
console-if-node:
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
		echo "==> no Node.js: starting the API without the web console (install Node.js >= $(NODE_MIN) with npm, then run make console)"; \
	elif ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); const [x, y] = "$(NODE_MIN)".split(".").map(Number); process.exit(a > x || (a === x && b >= y) ? 0 : 1)'; then \
		echo "==> Node.js $$(node --version) is older than $(NODE_MIN): starting the API without the web console (install Node.js >= $(NODE_MIN), then run make console)"; \
	else \
		echo "==> web console (rebuilt only when its sources changed)"; \
		$(MAKE) --no-print-directory console || \
			echo "==> the web console could not be built: starting the API without it (see the errors above)"; \
	fi

migrate: install ## Apply database migrations
	@$(RUN) topichub migrate

lint: install ## ruff lint and format check, import layers (import-linter)
	$(RUN) ruff check src tests bench migrations clients hatch_build.py
	$(RUN) ruff format --check src tests bench migrations clients hatch_build.py
	$(RUN) lint-imports --no-cache

settings-doc: install ## Rewrite the README's settings table from config.py
	$(RUN) python -m topichub.settings_doc README.md

format: install ## Format the code
	$(RUN) ruff format src tests bench migrations clients hatch_build.py
	$(RUN) ruff check --fix src tests bench migrations clients hatch_build.py

typecheck: install ## mypy (strict on src/)
	$(RUN) mypy

# Two workers (pytest-xdist), one test file per worker at a time: the suite spends much of
# its time waiting on servers, brokers and browsers, and each worker has its own broker.
PYTEST_WORKERS ?= 2

pytest: install ## Only the test suite (PYTEST_ARGS=... to pass options, PYTEST_WORKERS=0 for one process)
	$(RUN) pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test: lint typecheck console-test pytest ## Lint, type-check and run the whole test suite

# --- web console (console/): React + Vite + TypeScript + Tailwind -------------------------
CONSOLE_SOURCES := $(shell find console/src console/index.html console/package.json \
	console/tsconfig.json console/vite.config.ts -type f 2>/dev/null)
CHROMIUM ?= /usr/bin/chromium

# Installs the locked versions again only when the lock file changed. Not `npm ci`: the
# registry here lacks the other platforms' optional builds (Tailwind's oxide for macOS,
# Windows, ...), so the lock file cannot list them and `npm ci` refuses it as out of
# sync; `npm install --no-save` installs exactly the locked tree and writes nothing.
console/node_modules/.package-lock.json: console/package-lock.json
	cd console && npm install --no-save --no-audit --no-fund --loglevel=error
	@touch $@

console-deps: console/node_modules/.package-lock.json

# Rebuilt only when a source file is newer than the last build.
console/dist/index.html: console/node_modules/.package-lock.json $(CONSOLE_SOURCES)
	cd console && npm run --silent build

console: console/dist/index.html ## Build the web console (when its sources changed)

console-api: install console-deps ## Regenerate the console's API client from /openapi.json
	@spec=$$(mktemp) && $(RUN) topichub openapi -o $$spec && \
		(cd console && node scripts/api.mjs $$spec); status=$$?; rm -f $$spec; exit $$status

console-check: install console-deps ## Fail when the console's generated API client is stale
	@spec=$$(mktemp) && $(RUN) topichub openapi -o $$spec && \
		(cd console && node scripts/api.mjs $$spec --check); status=$$?; rm -f $$spec; exit $$status

# Debian's Chromium for the end-to-end tests (never a browser download).
chromium:
	@test -x $(CHROMIUM) || { \
		echo "installing Debian's chromium for the console's end-to-end tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

console-test: console-check console chromium ## Console: type-check, unit tests, end-to-end in Chromium
	cd console && npm run --silent typecheck
	cd console && npx vitest run
	cd console && CHROMIUM_PATH=$(CHROMIUM) npx vitest run --config vitest.e2e.config.ts

package: console ## Build the wheel (with the console inside) into dist/
	TOPICHUB_WHEEL_CONSOLE=required $(UV) build --wheel --out-dir dist

bench: install ## Benchmarks, printed as ratios to a baseline measured in the same run
	$(RUN) python -m bench

NAME ?= publish_single
ENGINE ?= embedded
profile: install ## One benchmark with the server under py-spy (NAME=publish_single ENGINE=embedded)
	$(RUN) python -m bench.profile $(NAME) --engine $(ENGINE)

soak: install ## Long-running soak test (not part of CI)
	$(RUN) python -m bench.soak

clean: ## Remove local state (.venv, var/, caches)
	rm -rf .venv var .pytest_cache .mypy_cache .ruff_cache console/node_modules console/dist
