# Every target sets up .venv by itself on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium

.PHONY: serve site test check lint format bench fuzz clean venv browser

# pip speaks while it works: a fresh set-up takes a minute or two, and silence looks like a hang.
$(STAMP): pyproject.toml
	@echo "==> Setting up $(VENV): postmortem-kb (editable) and its test tools; a fresh machine takes a minute or two"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --progress-bar off -e '.[test]'
	@touch $(STAMP)
	@echo "==> $(VENV) is ready"

venv: $(STAMP)

# Debian's chromium for the browser tests; never a downloaded browser.
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  fi; }

serve: $(STAMP)
	$(BIN)/postmortem serve --dev-addr 127.0.0.1:8000

site: $(STAMP)
	$(BIN)/postmortem build --strict

check: $(STAMP)
	$(BIN)/postmortem check

# Lint and format check (ruff) and the strict type check (mypy, settings in pyproject.toml)
# come before the tests. `make format` fixes what the format check reports.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix --select I .

test: $(STAMP) browser lint
	$(BIN)/postmortem check
	$(BIN)/python -m pytest -n 2 -q

# The fuzzing properties of tests/test_fuzz.py with many new random inputs (the suite runs a
# fixed, derandomized set): FUZZ_EXAMPLES per property; the default takes about ten minutes
# on two quiet cores (9 min 11 s on 2026-11-29, no failure).
FUZZ_EXAMPLES ?= 3500
fuzz: $(STAMP)
	POSTMORTEM_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) POSTMORTEM_FUZZ_RANDOM=1 \
	  $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_fuzz.py

bench: $(STAMP)
	$(BIN)/python benchmarks/check_speed.py --files 10000 --runs 9
	$(BIN)/python benchmarks/site_build.py --files 1000 --runs 5

clean:
	rm -rf $(VENV) site
