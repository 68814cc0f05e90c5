# casework: `make run` serves the demo, `make test` runs every test. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check bench install browser oidc-provider axe clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Without CASEWORK_SMTP_HOST, the demo's e-mail goes to a local SMTP sink that logs every message.
DEMO_SMTP_PORT ?= 8025

run: $(STAMP)
	$(BIN)/casework init --demo
	@mkdir -p instance
	@if [ -n "$$CASEWORK_SMTP_HOST" ]; then exec $(BIN)/casework serve --host 127.0.0.1 --port 5000; fi; \
	echo "demo e-mail: SMTP sink on 127.0.0.1:$(DEMO_SMTP_PORT), messages in instance/demo-mail.log"; \
	$(BIN)/python -m aiosmtpd -n -l 127.0.0.1:$(DEMO_SMTP_PORT) > instance/demo-mail.log 2>&1 & sink=$$!; \
	trap 'kill $$sink 2>/dev/null' EXIT INT TERM; \
	CASEWORK_SMTP_HOST=127.0.0.1 CASEWORK_SMTP_PORT=$(DEMO_SMTP_PORT) $(BIN)/casework serve --host 127.0.0.1 --port 5000

browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# The real OpenID Provider (panva/oidc-provider) the single sign-on tests run, in the project's own folder.
OIDC_STAMP := tests/oidc/node_modules/.installed

$(OIDC_STAMP): tests/oidc/package.json tests/oidc/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix tests/oidc --no-audit --no-fund --silent && touch $@; \
	else echo "npm is missing: the single sign-on tests skip (and fail under CI)"; fi

oidc-provider: $(OIDC_STAMP)

# axe-core for the accessibility tests, pinned by its own lock file in its own folder.
AXE_DIR := tests/e2e/axe
$(AXE_DIR)/node_modules/axe-core/axe.min.js: $(AXE_DIR)/package-lock.json
	npm ci --prefix $(AXE_DIR) --no-audit --no-fund --loglevel=error

axe: $(AXE_DIR)/node_modules/axe-core/axe.min.js

# Lint, format, types and the layer contracts: any failure fails `make test`.
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# pytest-xdist: one worker per core (2 here), each with its own PostgreSQL database (tests/conftest.py);
# worksteal, because a few browser tests run for seconds among thousands that take milliseconds.
TEST_WORKERS ?= auto

test: check browser oidc-provider axe
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache $(AXE_DIR)/node_modules
