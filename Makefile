# Two entry points for a fresh machine with Python 3.11 and make:
#   make demo   -- start the whole network on loopback, run the four flows, print every hop
#   make test   -- lint, type-check and run the whole test suite (what CI runs)
# For the inner loop while changing code:
#   make check  -- lint and the fast tests: no slow, network (real processes), browser,
#                  PostgreSQL or Docker tests (markers registered in tests/conftest.py and
#                  pyproject.toml), on WORKERS processes (pytest-xdist); under two minutes on two cores
# For docker compose without a container registry (docs/operations.md):
#   make offline-images -- Debian base images (debootstrap) and the wheels the image installs
# Dependencies are installed at the versions pinned in requirements.lock, resolved from
# pyproject.toml by `make lock` (uv pip compile); run it after changing a dependency there.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FAST := not slow and not network and not browser and not postgres and not docker
WORKERS ?= 2
UV_VERSION := 0.13.9
LOCK_FLAGS ?=
# `make lock LOCK_FLAGS=--upgrade` moves every pin to the newest release that fits

.PHONY: demo test check lint typecheck schemas bench bench-network bench-route bench-ingest bench-backlog bench-scale lock offline-images clean

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 or run 'make PYTHON=python3 ...'"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	PYTHONWARNINGS=ignore::UserWarning $(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/swx demo

test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest -q

check: $(STAMP) lint
	$(BIN)/python -m pytest -q -m "$(FAST)" -n $(WORKERS)

lint: $(STAMP)
	$(BIN)/ruff check services tests benchmarks tools

typecheck: $(STAMP)
	$(BIN)/mypy

schemas: $(STAMP)
	$(BIN)/swx schemas --write

bench: $(STAMP)
	$(BIN)/python benchmarks/validate.py

# CPU per message per process against a bare echo in the same run (benchmarks/README.md);
# wrk (Debian) drives the load when installed, else the Python client with a warning
bench-network: $(STAMP)
	$(BIN)/python benchmarks/network.py --count 200

bench-route: $(STAMP)
	$(BIN)/python benchmarks/route.py --messages 1000

bench-ingest: $(STAMP)
	$(BIN)/python benchmarks/ingest.py --requests 500

bench-backlog: $(STAMP)
	$(BIN)/python benchmarks/backlog.py --count 100000

bench-scale: $(STAMP)
	$(BIN)/python benchmarks/scale.py

# Needs only the venv's pip (not the stamp: the lock may not exist yet or may not install).
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --quiet \
		--custom-compile-command "make lock" --output-file requirements.lock $(LOCK_FLAGS)

# Not on the stamp: it builds the wheels with the venv's pip when there is one, python3.11's otherwise.
offline-images:
	deploy/offline-images.sh

clean:
	rm -rf $(VENV)
