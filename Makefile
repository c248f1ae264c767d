# Sabot's entry points. Every target sets up what it needs first (scripts/setup.sh is
# idempotent and quiet when nothing is missing).
SHELL      := /bin/bash
BUILD      ?= build
ASAN_BUILD ?= build-asan
PY         := .venv/bin/python
JOBS       ?= $(shell nproc)
MAIN_JOB   := examples/trips_report.json

# ccache keys on paths relative to the checkout, so a fresh clone elsewhere (CI)
# reuses what an earlier build compiled.
export CCACHE_BASEDIR  := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all setup build python run test test-cpp test-python test-sanitize test-tsan bench-scan bench-python bench-ops bench-scaling bench-udf bench-nexmark bench-tpch bench-snappy clean

all: build

setup:
	@bash scripts/setup.sh

# Configure once; after that ninja re-runs CMake by itself when CMakeLists change.
$(BUILD)/build.ninja: | setup
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: setup $(BUILD)/build.ninja
	@set -o pipefail; ninja -C $(BUILD) --quiet -j $(JOBS) | { grep -v '^ninja: no work to do\.$$' || true; }

# The Python package, installed into .venv the way users install it (pip install .),
# rebuilt only when a source changed. Its CMake build lives in build-python/.
PY_STAMP   := .venv/.sabot-package
PY_SOURCES := $(shell find cpp python/src python/sabot cmake -name '*.cc' -o -name '*.h' -o -name '*.py' -o -name '*.pyi' -o -name '*.cmake' 2>/dev/null) \
              pyproject.toml CMakeLists.txt
$(PY_STAMP): $(PY_SOURCES) | setup
	@$(PY) -m pip install -q --disable-pip-version-check --no-build-isolation --no-deps .
	@touch $@

python: setup $(PY_STAMP)

run: build
	@$(BUILD)/sabot run $(MAIN_JOB)

test: test-cpp test-python

test-cpp: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 300

test-python: build python
	@SABOT_BIN=$(CURDIR)/$(BUILD)/sabot $(PY) -m pytest -q

# The C++ tests under AddressSanitizer + UndefinedBehaviorSanitizer (CI runs this).
$(ASAN_BUILD)/build.ninja: | setup
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSABOT_SANITIZE=ON >/dev/null

test-sanitize: setup $(ASAN_BUILD)/build.ninja
	@set -o pipefail; ninja -C $(ASAN_BUILD) --quiet -j $(JOBS) | { grep -v '^ninja: no work to do\.$$' || true; }
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/.ci/lsan.supp \
	  ctest --output-on-failure -j $(JOBS) --timeout 600

# The threaded executor's tests and concurrent UDF calls under ThreadSanitizer (CI runs this). Arrow's own
# allocator is not instrumented, so buffers go through malloc, which TSan follows.
TSAN_BUILD ?= build-tsan
$(TSAN_BUILD)/build.ninja: | setup
	@cmake -S . -B $(TSAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSABOT_TSAN=ON >/dev/null

test-tsan: setup $(TSAN_BUILD)/build.ninja
	@set -o pipefail; ninja -C $(TSAN_BUILD) --quiet -j $(JOBS) sabot_exec_tests sabot_runtime_tests sabot_expr_tests sabot_ops_tests \
	  | { grep -v '^ninja: no work to do\.$$' || true; }
	@cd $(TSAN_BUILD) && ARROW_DEFAULT_MEMORY_POOL=system TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/.ci/tsan.supp \
	  ctest --output-on-failure -j $(JOBS) --timeout 600 -R '^(MorselExecutor|TaskPool|RunClaimed|RunOnWorkers|JoinHashTable|JoinKeys|ParallelRun|ParallelAggregate|ParallelJoin|ParallelRightJoin|ParallelSort|OperatorMetrics|RunningPlan|PipelineExecutor|UdfFunction|KeyedExchange|SharedSubplans)'

bench-scan: build
	@SABOT_BIN=$(CURDIR)/$(BUILD)/sabot $(PY) bench/scan_bench.py

bench-python: build python
	@SABOT_BIN=$(CURDIR)/$(BUILD)/sabot $(PY) bench/python_overhead.py

# Q1, Q6 and a join at 1, 2, 4, ... threads up to the core count, plus a 1K-row input.
bench-scaling: build python
	@$(PY) bench/scaling_bench.py

# Nexmark q0-q22 (but q6, q10) on Sabot and on Apache Flink (a MiniCluster in one JVM) over the same events:
# events/s, per core, and the ratio. The JDK and Maven are installed for this target only;
# the Java generator is checked against Sabot's before anything is timed.
bench-nexmark: build python
	@bash bench/nexmark-flink/setup.sh
	@$(PY) -m pytest -q -p no:cacheprovider bench/test_nexmark_flink_identity.py
	@$(PY) bench/nexmark_bench.py $(NEXMARK_ARGS)

# Hash join, grouped aggregation and sort, in process over in-memory Arrow tables, vs DuckDB.
bench-ops: build python
	@$(PY) bench/ops_bench.py

# Python UDFs over 10M rows: row-by-row Python vs auto-compiled (Numba) vs a native expression.
bench-udf: build python
	@$(PY) bench/udf_bench.py

# TPC-H, 22 queries: Sabot vs DuckDB vs Polars on tpchgen-cli Parquet files (generated
# into bench/.cache/tpch/ when missing), answers checked against DuckDB.
SF      ?= 1
THREADS ?= $(shell nproc)
bench-tpch: build python
	@$(PY) bench/tpch_bench.py --sf $(SF) --threads $(THREADS)

# Snappy decompression of TPC-H SF1 lineitem's pages: Sabot's decoder against Arrow's.
bench-snappy: build python
	@$(PY) -c "import sys; sys.path.insert(0, 'bench'); from tpch.data import ensure_data; ensure_data(1)"
	@$(BUILD)/sabot_snappy_bench bench/.cache/tpch/sf1/lineitem.parquet

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) build-python $(PY_STAMP)
