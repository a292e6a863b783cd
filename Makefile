# The README's two commands: `make run` and `make test`.
BUILD_DIR ?= build
ASAN_DIR  ?= build-asan
JOBS      ?= $(shell nproc)
DATA_DIR  ?= var/orgtrail
LISTEN    ?= 127.0.0.1:4580
CMAKE_FLAGS ?=
FUZZ_DIR  ?= build-fuzz
FUZZ_CXX  ?= clang++-14
FUZZ_TIME ?= 30
FUZZ_TARGETS ?= policy_fuzz condition_fuzz sigv4_fuzz template_fuzz

.PHONY: deps build run test test-unit test-asan fuzz bench format clean

deps:
	@./scripts/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@mkdir -p $(DATA_DIR)
	exec $(BUILD_DIR)/bin/orgtraild --data-dir $(DATA_DIR) --listen $(LISTEN)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

test-unit: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) -L unit

# Unit tests under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: deps
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DORGTRAIL_SANITIZE=ON -DORGTRAIL_BUILD_BENCH=OFF
	cmake --build $(ASAN_DIR) -j $(JOBS)
	ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS) -L unit

# libFuzzer targets (clang, ASan+UBSan), each run for FUZZ_TIME seconds on a
# seed corpus written from the tests' data (scripts/fuzz_seeds.py). Fails on
# the first crash, leak, UB or timeout; the reproducer is left in $(FUZZ_DIR).
fuzz: deps
	cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=$(FUZZ_CXX) \
	  -DORGTRAIL_FUZZ=ON -DORGTRAIL_BUILD_TESTS=OFF -DORGTRAIL_BUILD_BENCH=OFF -DORGTRAIL_WERROR=OFF
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target $(FUZZ_TARGETS)
	rm -rf $(FUZZ_DIR)/seeds && python3 scripts/fuzz_seeds.py $(FUZZ_DIR)/seeds
	set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/artifacts/$$t; \
	  echo "fuzz: $$t for $(FUZZ_TIME)s"; \
	  $(FUZZ_DIR)/bin/$$t -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/artifacts/$$t/ \
	    $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/seeds/$$t; \
	done

format:
	find src bench -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR)
