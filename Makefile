# Aviary: `make demo` and `make test` are the two commands a new user types; each installs what it needs.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
AVIARY_WERROR ?= OFF
AVIARY_SANITIZE ?=
JOBS ?= $(shell nproc)
CMAKE_FLAGS = -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DAVIARY_WERROR=$(AVIARY_WERROR) \
              -DAVIARY_SANITIZE=$(AVIARY_SANITIZE) -DCMAKE_EXPORT_COMPILE_COMMANDS=ON

.PHONY: all deps configure build test demo bench clean format lint

all: build

deps:
	@bash scripts/deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: deps build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

# CLUSTER=kube: the same story on the real control plane (tests/cluster/).
CLUSTER ?= sandbox
demo: deps build
	@CLUSTER=$(CLUSTER) bash scripts/demo.sh $(BUILD_DIR)

bench: deps build
	@$(BUILD_DIR)/bench/aviary-bench --benchmark_min_time=0.2
	@$(BUILD_DIR)/bench/aviary-sandbox-bench
	@$(BUILD_DIR)/bench/aviary-traffic-bench
	@$(BUILD_DIR)/bench/aviary-sequential-simulation --runs 10000

clean:
	@rm -rf $(BUILD_DIR)

format:
	@git ls-files '*.h' '*.cpp' | xargs clang-format -i

lint: configure
	@git ls-files '*.h' '*.cpp' | xargs clang-format --dry-run --Werror
	@cmake --build $(BUILD_DIR) -j $(JOBS)
