# cakupan: `make run` and `make test` set everything up on a machine with only Python 3.
# uv is installed into a private bootstrap venv (.bootstrap/) when it is not on PATH, so
# the system Python is never touched (Debian's refuses `pip install`, PEP 668).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
BOOTSTRAP := .bootstrap
UV := $(shell command -v uv 2>/dev/null || echo $(BOOTSTRAP)/bin/uv)
OUTPUT ?= $(or $(CAKUPAN_OUTPUT_DIR),data/output)
PORT ?= 3000
export UV_PYTHON_DOWNLOADS := never

.PHONY: help sync run test test-e2e dev lint format sample bench validate browser clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BOOTSTRAP)/bin/uv:
	$(PYTHON) -m venv $(BOOTSTRAP)
	$(BOOTSTRAP)/bin/python -m pip install --quiet --disable-pip-version-check uv

# --compile-bytecode: every module's .pyc is written once here. Python run with
# PYTHONDONTWRITEBYTECODE (as on CI machines) never writes one, and would otherwise compile
# Dagster's, GX's and pandas's sources again in every process (about 2.5 s each).
.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --compile-bytecode
	@touch $@

sync: .venv/.synced ## create or update the environment (uv, Python deps from uv.lock)

run: sync ## run the pipeline once on $CAKUPAN_LANDING_DIR (default: the embedded sample)
	$(UV) run --no-sync cakupan run

validate: sync ## check and validate $CAKUPAN_LANDING_DIR without publishing
	$(UV) run --no-sync cakupan validate

BENCH_ROWS ?= 5000000
BENCH_FORMAT ?= parquet
bench: sync ## benchmark: floor, cakupan, pandas on $BENCH_ROWS generated rows (BENCH_FORMAT=csv.gz)
	UV=$(UV) $(UV) run --no-sync python benchmarks/bench_scale.py --rows $(BENCH_ROWS) \
	  --format $(BENCH_FORMAT) $(BENCH_ARGS)

.PHONY: bench-validation
bench-validation: sync ## benchmark: GX validation vs one DuckDB query on 5M generated rows
	$(UV) run --no-sync python benchmarks/bench_validation.py

# Two pytest workers (pytest-xdist): each test module stays on one worker, so its
# module-scoped fixtures (one real run each) are built once; the slowest modules start first
# (tests/conftest.py, SLOW_MODULES_FIRST). TEST_WORKERS=0 runs serially. `make test` leaves
# out the process-level scenarios (marked e2e: kill -9, the run lock, the dev server, the
# daemon, the browser, the benchmark harness); `make test-e2e` runs them; .ci/run runs both.
TEST_WORKERS ?= 2
PYTEST = $(UV) run --no-sync pytest $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) \
  --dist loadscope --no-loadscope-reorder) --durations=25
test: sync ## run the test suite, without the process-level scenarios (TEST_WORKERS=2 processes)
	$(PYTEST) -m "not e2e"

test-e2e: sync ## run the process-level scenarios (kill -9, run lock, dev server, daemon, browser)
	$(PYTEST) -m e2e

# The asset groups (one per stage and side table), as the lineage page's `expanded` parameter:
# Dagster opens it with every group collapsed otherwise (tests/test_definitions.py keeps
# this list equal to the groups of the definitions).
LINEAGE_GROUPS := reference raw staging coverage quality ops reporting reports
comma := ,
space := $(subst ,, )
LINEAGE := $(subst $(space),$(comma),$(addprefix global@global:,$(LINEAGE_GROUPS)))

dev: sync ## start the Dagster UI on http://127.0.0.1:3000 (another port: PORT=3001 make dev)
	@default=$$(CAKUPAN_OUTPUT_DIR="$(abspath $(OUTPUT))" $(UV) run --no-sync python -m cakupan.private) \
	  || exit 1; home=$${DAGSTER_HOME:-$$default}; mkdir -p -m 700 "$$home"; \
	  [ -f "$$home/dagster.yaml" ] || cp pipelines/dagster_home_template/dagster.yaml "$$home/"; \
	  echo "Dagster UI: http://127.0.0.1:$(PORT)  (DAGSTER_HOME=$$home)"; \
	  echo "Lineage, every stage open: http://127.0.0.1:$(PORT)/asset-groups?expanded=$(LINEAGE)"; \
	  DAGSTER_HOME="$$home" exec .venv/bin/python -m pipelines.dev -h 127.0.0.1 -p $(PORT)

lint: sync ## check style with ruff
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync ruff format --check .

format: sync ## format the code with ruff
	$(UV) run --no-sync ruff check --fix .
	$(UV) run --no-sync ruff format .

browser: ## install Debian chromium + chromium-driver for browser tests (as root)
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then \
	  echo "chromium and chromedriver are installed"; \
	else \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver; \
	fi

sample: sync ## regenerate the embedded sample in data/sample/landing
	$(UV) run --no-sync python scripts/make_sample.py

clean: ## remove the output folder and the environments
	rm -rf $(OUTPUT) .venv $(BOOTSTRAP)
