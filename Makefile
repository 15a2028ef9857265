# accord — every target installs what it needs first; `make up` and `make test` are the two commands.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed

.PHONY: install install-dev system-packages up test test-unit test-integration test-e2e demo bench bench-shop chaos lint audit contracts pacts clean

# What running the shop needs: the runtime lock (requirements.lock), then accord itself.
install: $(RUNTIME_STAMP)

# setuptools warns, in a ten-line banner, that an editable install with two package roots
# (src/ and shop/) goes through an import finder: that is what this layout needs, so the
# warning is not shown.
$(RUNTIME_STAMP): requirements-pip.lock requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --require-hashes -r requirements-pip.lock
	$(PIP) --require-hashes -r requirements.lock
	PYTHONWARNINGS=ignore::UserWarning $(PIP) --no-deps --no-build-isolation -e .
	@touch $@

# What testing, linting and benchmarking add: the development lock, a superset of the runtime one.
install-dev: $(DEV_STAMP)

$(DEV_STAMP): requirements-dev.lock $(RUNTIME_STAMP)
	$(PIP) --require-hashes -r requirements-dev.lock
	@touch $@

# Debian packages the tests need (PostgreSQL, wrk, …): installed when missing and run as root.
system-packages:
	@sh scripts/system-packages.sh

up: install
	$(BIN)/accord up

demo: install
	$(BIN)/accord demo

test: install-dev system-packages
	$(BIN)/python -m pytest -q

test-unit: install-dev system-packages
	$(BIN)/python -m pytest -q tests/unit

test-integration: install-dev system-packages
	$(BIN)/python -m pytest -q tests/integration

test-e2e: install-dev system-packages
	$(BIN)/python -m pytest -q tests/e2e

# ruff includes the security rules (S, bandit's); `audit` checks the locked pins.
lint: install-dev
	$(BIN)/ruff check src shop tests bench
	$(BIN)/ruff format --check src shop tests bench
	$(BIN)/mypy
	$(MAKE) --no-print-directory audit

# Every locked pin checked for known vulnerabilities: by pip-audit --strict against an
# advisory service, or air-gapped against a local OSV copy with `make audit OSV_DIR=DIR`.
# Exit 1 on a vulnerable pin, 2 when nothing could be checked.
audit: install-dev
	$(BIN)/accord deps audit --lock requirements-dev.lock $(if $(OSV_DIR),--osv-dir $(OSV_DIR))

contracts: install-dev
	$(BIN)/accord contracts export --out contracts
	$(BIN)/accord config schemas

# Re-record what orders needs from its providers into pacts/ (Pact v4); commit the result.
pacts: install-dev
	ACCORD_PACT_RECORD=1 $(BIN)/python -m pytest -q tests/contract/consumer

bench: install-dev system-packages
	$(BIN)/python bench/http.py

# The shop end to end (accord up against its FastAPI twin, SQLite and PostgreSQL).
bench-shop: install-dev system-packages
	$(BIN)/python bench/shop.py

# The full chaos run: the shop under load while its services are killed, slowed and failed.
chaos: install
	$(BIN)/accord chaos

clean:
	rm -rf $(VENV) .accord .pytest_cache .mypy_cache .ruff_cache
