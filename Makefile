# cooperon: the two commands of the README, plus docs, validation, notebooks and benchmarks.
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

.PHONY: setup demo test test-fast docs validate validate-full notebooks bench lint clean

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

# the fast suite on two test processes (pytest-xdist; it executes the notebooks and keeps the
# executed copies for the docs), then the documentation with warnings as errors
test: $(STAMP) lint
	$(PY) -m pytest -m "not slow" -q -n 2 --durations=20
	$(MAKE) --no-print-directory docs

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow" -q -x

docs: $(STAMP)
	$(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html
	@echo "docs: docs/_build/html/index.html"

# physics validation: quick tier (about 30 minutes on 2 cores), full tier (hours; Dask with
# COOPERON_DASK_SCHEDULER=tcp://host:port); both write docs/validation/<tier>/results.json
validate: $(STAMP)
	COOPERON_VALIDATION_TIER=quick $(PY) -m pytest -m slow -q -s tests/test_validation.py

validate-full: $(STAMP)
	COOPERON_VALIDATION_TIER=full $(PY) -m pytest -m slow -q -s tests/test_validation.py

# a Jupyter front end for the notebooks (optional; not needed by the tests)
notebooks: $(STAMP)
	$(PIP) install -r requirements/notebooks.txt
	$(VENV)/bin/jupyter lab notebooks/

bench: $(STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info docs/_build
