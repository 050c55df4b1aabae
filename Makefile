# Sourcebook: `make run` sets up and starts the web app; `make test` sets up (with the Ray extra) and runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INDEX ?= .index
CORPUS ?= corpus
PORT ?= 8501

.PHONY: setup run index test lint bench clean browser

# torch is installed first and pinned (CPU build): an unpinned torch pulls gigabytes of CUDA.
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# The Ray extra (`ingest --ray`, ingest/cluster.py) is installed for the tests, not for `make run`.
$(BIN)/.installed-ray: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,ray]'
	touch $@

setup: $(BIN)/.installed

# Builds the index when it is missing or stale; an unchanged corpus costs no embedding work.
index: setup
	$(BIN)/sourcebook ingest $(CORPUS) --index $(INDEX) || [ $$? -eq 1 ]

run: index
	$(BIN)/sourcebook serve --index $(INDEX) --corpus $(CORPUS) --port $(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

# The browser tests drive Debian's Chromium through Playwright; Playwright's own browser
# download (`playwright install`) cannot work offline and is never run. Needs root (CI is).
browser:
	command -v chromium >/dev/null || { apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }

test: $(BIN)/.installed-ray browser lint
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) $(INDEX) .pytest_cache .mypy_cache .ruff_cache *.egg-info
