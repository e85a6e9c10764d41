# The two commands: `make run` serves the demo site, `make test` runs the suite.
PYTHON ?= python3.11
VENV ?= .venv
PORT ?= 8000
HOST ?= 127.0.0.1
BIN := $(VENV)/bin
# pytest-xdist workers for `make test`: one per core (each has its own test database,
# Redis database and data folder; tests/conftest.py). WORKERS=0 runs in one process.
WORKERS ?= auto

.PHONY: run test test-browser lint format clean

$(BIN)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=python3"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

run: $(BIN)/.installed
	$(BIN)/byline run --host $(HOST) --port $(PORT)

# Everything but the browser suite, which `make test-browser` (and CI) runs on its own.
test: lint
	$(BIN)/pytest -n $(WORKERS) -m "not browser"

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
