# cooperon: the two commands of the README, plus validation and benchmarks.
# Every target sets up its own environment (idempotently) in .venv.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
STAMP  := $(VENV)/.cooperon-installed
# One BLAS thread per process: parallel runs use processes, not BLAS threads.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export MPLBACKEND := Agg
export PYTHONHASHSEED := 0

.PHONY: setup demo test test-fast validate bench lint clean

setup: $(STAMP)

$(STAMP): requirements/build.txt requirements/kwant.txt requirements/lock.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements/build.txt
	$(PIP) install --no-build-isolation -r requirements/kwant.txt
	$(PIP) install -r requirements/lock.txt
	$(PIP) install --no-deps --no-build-isolation -e .
	$(PY) -W error -c "import kwant.solvers.default as s, mumps; assert s.smatrix.__self__.__class__.__module__ == 'kwant.solvers.mumps', 'Kwant is not using MUMPS'"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/cooperon demo

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: $(STAMP) lint
	$(PY) -m pytest -m "not slow" -q

validate: $(STAMP)
	$(PY) -m pytest -m slow -q -s

bench: $(STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
