# The two commands: `make run` serves the demo site, `make test` runs the suite.
PYTHON ?= python3.11
VENV ?= .venv
PORT ?= 8000
HOST ?= 127.0.0.1
BIN := $(VENV)/bin
# pytest-xdist workers for `make test`: one per core (each has its own test database,
# Redis database and data folder; tests/conftest.py). WORKERS=0 runs in one process.
WORKERS ?= auto
# Every worker, and every server or command a test starts, imports Django and the app:
# with bytecode caching off (some shells set PYTHONDONTWRITEBYTECODE) each one compiles
# it all again from source, which costs `make test` about a minute of CPU.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test test-servers test-browser lint format clean

$(BIN)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=python3"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

run: $(BIN)/.installed
	$(BIN)/byline run --host $(HOST) --port $(PORT)

# Everything but the suites `make test-servers` and `make test-browser` (and CI) run.
# worksteal: a worker that runs out of tests takes some of the other's.
test: lint
	$(BIN)/pytest -n $(WORKERS) --dist worksteal -m "not browser and not servers and not wordpress"

# The suites that start real servers and wait on them: nginx and granian (tests/deploy),
# redis-server and initdb'd PostgreSQL broken on purpose (tests/faults), two app servers
# (scale-out), and the live WordPress round trip.
# loadfile: a module's servers start once, on the worker that runs all its tests.
test-servers: $(BIN)/.installed
	$(BIN)/pytest -n $(WORKERS) --dist loadfile -m "(servers or wordpress) and not browser"

test-browser: $(BIN)/.installed
	$(BIN)/pytest -m browser

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var build *.egg-info
