# Two commands do all the set-up: `make run` and `make test`. Both go through `make install`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-fonts lint typecheck unit bench mutation lock clean

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

bench: install
	$(BIN)/python bench/run.py

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
