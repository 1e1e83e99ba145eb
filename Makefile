# Every target sets up .venv by itself on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium

.PHONY: serve site test check bench clean venv browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

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

test: $(STAMP) browser
	$(BIN)/postmortem check
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python benchmarks/check_speed.py --files 10000 --runs 9
	$(BIN)/python benchmarks/site_build.py --files 1000 --runs 5

clean:
	rm -rf $(VENV) site
