# Two commands set up everything: `make build` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The exact version of every package the installs below bring, pip and setuptools included.
# Every install is constrained to it, so each machine and CI get the same; `make lock`
# refreshes it.
LOCK := constraints.txt
PIP_INSTALL := $(BIN)/python -m pip install --quiet --constraint $(LOCK)

.PHONY: build compile test serve check new golden clean bench lock lighthouse

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# First pip and setuptools at their locked versions; scarsite is then built with that
# setuptools (--no-build-isolation), so the build backend is locked too. Last, every
# installed package must be in the lock at the same version: if not, pyproject.toml has
# changed since the last `make lock`, or the venv holds packages of an older lock.
# A changed lock reinstalls.
define install
	$(PIP_INSTALL) pip setuptools
	$(PIP_INSTALL) --no-build-isolation -e '$(1)'
	@if $(BIN)/python -m pip freeze --all --exclude-editable | grep -vxF -f $(LOCK); then \
		echo "these packages are not in $(LOCK) at these versions: run 'make lock'" \
			"(after a change to pyproject.toml) or 'rm -rf $(VENV)' and make again" >&2; \
		exit 1; \
	fi
endef

$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(call install,.)
	touch $@

$(VENV)/.installed-test: pyproject.toml $(LOCK) | $(BIN)/python
	$(call install,.[test])
	touch $@ $(VENV)/.installed

# An editable install leaves scarsite's own modules to be compiled on every start when
# Python may not write bytecode (PYTHONDONTWRITEBYTECODE); compile them once here.
compile: $(VENV)/.installed
	$(BIN)/python -m compileall -q src/scarsite

build: compile
	$(BIN)/scarsite build $(BUILD_FLAGS)

check: $(VENV)/.installed
	$(BIN)/scarsite check --strict

test: $(VENV)/.installed-test
	$(BIN)/ruff check src tests
	$(BIN)/pytest $(PYTEST_FLAGS)

serve: $(VENV)/.installed
	$(BIN)/scarsite serve $(SERVE_FLAGS)

# A new article: make new KIND=guide TITLE="How to choose a clinic". KIND and TITLE reach the
# command as environment variables, so quotes in a title are taken as they are.
new: $(VENV)/.installed
	@if [ -z "$$KIND" ] || [ -z "$$TITLE" ]; then \
		echo 'usage: make new KIND=scar-type|treatment|aftercare|guide|page TITLE="The title"' >&2; \
		exit 2; \
	fi
	@$(BIN)/scarsite new "$$KIND" "$$TITLE"

# Build and preview timings on synthetic sites; see benchmarks/run.py. Not part of `make test`.
# e.g. make bench BENCH_FLAGS="--sizes 1000 --runs 3"
bench: compile
	$(BIN)/python benchmarks/run.py $(BENCH_FLAGS)

# Lighthouse over the built site's main pages (needs Node.js; see benchmarks/lighthouse.py).
lighthouse: build
	$(BIN)/python benchmarks/lighthouse.py --site build

golden: $(VENV)/.installed-test
	$(BIN)/pytest tests/test_golden.py --update-golden

# Refresh the lock: the newest versions that pyproject.toml allows, resolved in a throwaway
# venv (the editable install, as the real one: a plain `pip install .` would build in
# build/, the site's output folder). Review the diff, run `make test`, commit the file.
lock:
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install --quiet --upgrade pip setuptools; \
	"$$tmp/venv/bin/python" -m pip install --quiet --no-build-isolation -e '.[test]'; \
	python_version=$$("$$tmp/venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	{ \
		echo "# Exact versions of every package that \`pip install -e '.[test]'\` installs, and of"; \
		echo "# pip and setuptools (scarsite is built with that setuptools). The Makefile installs"; \
		echo "# with \`pip install --constraint $(LOCK)\`, so every machine and CI get these."; \
		echo "# Written by \`make lock\` (Python $$python_version); do not edit by hand. To refresh it, run"; \
		echo "# \`make lock\`, then \`make test\`, and commit it."; \
		"$$tmp/venv/bin/python" -m pip freeze --all --exclude-editable; \
	} > "$$tmp/lock"; \
	mv "$$tmp/lock" $(LOCK); \
	echo "wrote $(LOCK)"

clean:
	rm -rf build .build.* .scarsite-cache build-artifacts
