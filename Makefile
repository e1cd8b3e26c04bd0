# Two commands set up everything: `make build` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: build compile test serve check lint golden clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
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

# Build and preview timings on synthetic sites; see benchmarks/run.py. Not part of `make test`.
# e.g. make bench BENCH_FLAGS="--sizes 1000 --runs 3"
bench: compile
	$(BIN)/python benchmarks/run.py $(BENCH_FLAGS)

golden: $(VENV)/.installed-test
	$(BIN)/pytest tests/test_golden.py --update-golden

clean:
	rm -rf build .build.* .scarsite-cache build-artifacts
