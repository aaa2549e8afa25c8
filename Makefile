# Aviary: `make demo` and `make test` are the two commands a new user types; each installs what it needs.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
AVIARY_WERROR ?= OFF
AVIARY_SANITIZE ?=
JOBS ?= $(shell nproc)
CMAKE_FLAGS = -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DAVIARY_WERROR=$(AVIARY_WERROR) \
              -DAVIARY_SANITIZE=$(AVIARY_SANITIZE) -DCMAKE_EXPORT_COMPILE_COMMANDS=ON

.PHONY: all deps configure build test demo bench install clean format lint fuzz asan tsan

all: build

deps:
	@bash scripts/deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# TEST_JOBS: tests at once, twice the cores: the end-to-end suites mostly wait (tests/CMakeLists.txt, where
# a suite on the real control plane counts as two).
TEST_JOBS ?= $(shell echo $$(( $(JOBS) * 2 )))
test: deps build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(TEST_JOBS) --timeout 600

# CLUSTER=kube: the same story on the real control plane (tests/cluster/). KEEP=1: leave it running.
CLUSTER ?= sandbox
KEEP ?=
demo: deps build
	@CLUSTER=$(CLUSTER) KEEP=$(KEEP) bash scripts/demo.sh $(BUILD_DIR)

# SCALE_N: how many Canaries the scale harness runs (bench/scale/scale.py; docs/performance.md).
SCALE_N ?= 1000
bench: deps build
	@$(BUILD_DIR)/bench/aviary-bench --benchmark_min_time=0.2
	@$(BUILD_DIR)/bench/aviary-controller-bench --benchmark_min_time=0.2
	@$(BUILD_DIR)/bench/aviary-sandbox-bench
	@$(BUILD_DIR)/bench/aviary-traffic-bench
	@$(BUILD_DIR)/bench/aviary-sequential-simulation --runs 10000
	@python3 bench/scale/scale.py --build-dir $(BUILD_DIR) --n $(SCALE_N) --json $(BUILD_DIR)/scale-$(SCALE_N).json

# Coverage-guided fuzzing (libFuzzer, clang from Debian, with ASan and UBSan): every target of tests/fuzz/
# for FUZZ_SECONDS, starting from its seeds in tests/fuzz/corpus/. `make test` runs the same entry points
# for a few seconds each without clang (tests/fuzz/replay_main.cpp).
FUZZ_SECONDS ?= 60
fuzz:
	@AVIARY_EXTRA_PACKAGES="clang libclang-rt-14-dev" bash scripts/deps.sh
	@CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAVIARY_FUZZ=ON \
	  -DAVIARY_SANITIZE=address,undefined >/dev/null
	@bash scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

# The unit and integration tests under sanitizers, each in a build tree of its own (not run by `make test`:
# a full build per sanitizer does not fit CI's time on 2 cores; run them before each release).
asan:
	@UBSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/ubsan.supp:print_stacktrace=1 \
	  $(MAKE) --no-print-directory test BUILD_DIR=build-asan AVIARY_SANITIZE=address,undefined
tsan:
	@$(MAKE) --no-print-directory test BUILD_DIR=build-tsan AVIARY_SANITIZE=thread

# The operator, the kubectl plugin (`kubectl aviary …`) and the sandbox into $(PREFIX)/bin.
PREFIX ?= /usr/local
install: build
	@cmake --install $(BUILD_DIR) --prefix $(PREFIX)

clean:
	@rm -rf $(BUILD_DIR)

format:
	@git ls-files '*.h' '*.cpp' | xargs clang-format -i

lint: configure
	@git ls-files '*.h' '*.cpp' | xargs clang-format --dry-run --Werror
	@cmake --build $(BUILD_DIR) -j $(JOBS)
