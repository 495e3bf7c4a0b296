# Two commands do all the set-up: `make run` and `make test`. Both go through `make install`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-fonts lint typecheck unit bench bench-curve mutation lock clean

install: $(STAMP)

# Re-install only when the dependency list changes; the project itself is installed editable.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev,ray]'
	touch $(STAMP)

run: install
	$(BIN)/council ingest data/raw --db data/out/council.duckdb

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy pipeline schemas
	$(BIN)/python -m pipeline.publish.docgen --check

unit: install
	$(BIN)/python -m pytest -q -n 2

test: lint typecheck unit

# The PDF tests with CJK system fonts in the state this machine lacks (root + apt; .ci/run calls it).
test-fonts: install
	bash .ci/fonts.sh

# The README's figures: first ingests of 1,250 and 10,000 text packets of Japan's wards and cities, and
# on the 10,000-packet store a rerun, one new packet, a whole-store dedupe re-plan and SQL; 1 vs 2
# parser processes on 250 packets; 30 PDF packets (about 30 minutes on 2 idle cores, 20 of them the
# 10,000-packet ingest).
bench: install
	$(BIN)/python bench/run.py --places japan --sizes 1250,10000 --large 10000 --parallel-size 250

# The memory curve: 200 to 1,600 packets, every one a new ward-year scope (bench/curve.py).
bench-curve: install
	$(BIN)/python bench/curve.py --sizes 200,400,800,1600

# Mutation testing of the normalisers (tens of minutes; not part of `make test`). The copy is made
# afresh: mutmut keeps any file already in mutants/ and would test stale copies of the other modules.
MUTATION_JOBS ?= 2
mutation: install
	rm -rf mutants
	$(BIN)/mutmut run --max-children $(MUTATION_JOBS)
	$(BIN)/python tests/mutation_score.py

# Upgrade the pinned packages on purpose (pip-tools is needed for this alone).
lock: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check pip-tools
	$(BIN)/pip-compile --quiet --upgrade --extra dev --extra ray --strip-extras --no-header -o requirements.lock.new pyproject.toml
	sed -n '1,3p' requirements.lock | cat - requirements.lock.new > requirements.lock && rm requirements.lock.new

clean:
	rm -rf $(VENV) data/out/*.duckdb* .pytest_cache .mypy_cache .ruff_cache mutants
