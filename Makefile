# relic-twin: two commands. `make demo` runs the live demo hall; `make test` runs the tests.
# Both create and use the virtual environment at .venv/ and install what a fresh
# Debian/Ubuntu machine lacks (Mosquitto, a CJK font, Mesa for offscreen GL, libusb for open3d).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SYSTAMP := .venv/.system-deps
APT_PACKAGES := mosquitto fonts-wqy-microhei libgl1 libegl1 libgl1-mesa-dri poppler-utils libusb-1.0-0 chromium chromium-driver xvfb xdotool
DEMO_ARGS ?=

.PHONY: demo test setup system-deps web lint bench clean mutation

demo: setup
	$(VENV)/bin/relic-twin demo $(DEMO_ARGS)

test: setup
	$(PY) -m pytest -q tests

setup: $(STAMP) web

# The web exhibit's viewer and the offline API docs, from the npm registry (web/package-lock.json).
WEB_STAMP := web/node_modules/.package-lock.json
web: $(WEB_STAMP)

$(WEB_STAMP): web/package.json web/package-lock.json
	@if ! command -v npm >/dev/null && command -v apt-get >/dev/null; then \
	  echo "installing system packages: nodejs npm"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null || true; \
	fi
	@if command -v npm >/dev/null; then \
	  cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error; \
	else \
	  echo "warning: npm not found; install Node.js 20+ for the web exhibit and offline API docs / 未找到 npm"; \
	fi

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml $(VENV)/bin/python | system-deps
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# System packages, installed only when missing (needs root or sudo; skipped otherwise); checked again
# whenever this Makefile (and so its package list) changes.
system-deps: $(SYSTAMP)

$(SYSTAMP): Makefile | $(VENV)/bin/python
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  if command -v apt-get >/dev/null; then \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
	    || echo "warning: could not install$$missing; the demo falls back to an embedded broker and Latin-only text"; \
	  fi; \
	fi; \
	touch $(SYSTAMP)

lint: setup
	$(VENV)/bin/ruff check simulation bridge twin_engine tests benchmarks tools

# Mutation testing of the core (mutmut; hours on two cores, so not part of `make test`): each core module
# against its own fast tests, under nice; writes docs/mutation.txt. MUTATION_ARGS="risk alerts" for some.
MUTATION_ARGS ?=
mutation: setup
	$(PY) tools/mutation.py $(MUTATION_ARGS)

bench: setup
	for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache data out
