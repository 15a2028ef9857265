# accord — every target installs what it needs first; `make up` and `make test` are the two commands.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install up test test-unit test-integration test-e2e demo bench chaos lint audit contracts pacts clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

up: install
	$(BIN)/accord up

demo: install
	$(BIN)/accord demo

test: install
	$(BIN)/python -m pytest -q

test-unit: install
	$(BIN)/python -m pytest -q tests/unit

test-integration: install
	$(BIN)/python -m pytest -q tests/integration

test-e2e: install
	$(BIN)/python -m pytest -q tests/e2e

# ruff includes the security rules (S, bandit's); `audit` checks the locked pins.
lint: install
	$(BIN)/ruff check src shop tests bench
	$(BIN)/ruff format --check src shop tests bench
	$(BIN)/mypy
	$(MAKE) --no-print-directory audit

# Every locked pin looked up in PyPI's advisory database (needs PyPI's JSON API).
# --strict: a pin that cannot be looked up fails the audit instead of being skipped.
audit: install
	$(BIN)/pip-audit -r requirements.lock --require-hashes --disable-pip --strict --progress-spinner off

contracts: install
	$(BIN)/accord contracts export --out contracts

# Re-record what orders needs from its providers into pacts/ (Pact v4); commit the result.
pacts: install
	ACCORD_PACT_RECORD=1 $(BIN)/python -m pytest -q tests/contract/consumer

bench: install
	$(BIN)/python bench/http.py

# The full chaos run: the shop under load while its services are killed, slowed and failed.
chaos: install
	$(BIN)/accord chaos

clean:
	rm -rf $(VENV) .accord .pytest_cache .mypy_cache .ruff_cache
