# The two commands a newcomer needs: `make run` and `make test` (see README.md).
# CMake + CTest do the work; this file wraps them.

BUILD      ?= build
TEST_BUILD ?= build-test
FUZZ_BUILD ?= build-fuzz
DATA       ?= var
ADDR       ?= 127.0.0.1
PORT       ?= 8080
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: bench-ocr run build deps deps-test test unit fuzz clean demo bench

# Installs what is missing, builds, creates a demo instance under ./var once, and serves it.
run: deps build demo
	./$(BUILD)/sidang serve --data $(DATA) --addr $(ADDR) --port $(PORT)

deps:
	@sh tools/install-deps.sh run

deps-test:
	@sh tools/install-deps.sh test

build:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIDANG_TESTS=OFF
	cmake --build $(BUILD) -j $(JOBS)

demo:
	@if [ ! -f $(DATA)/sidang.db ]; then ./$(BUILD)/sidang init $(DATA) --demo; fi

# The browser tests' npm package (playwright-core, pinned in package-lock.json): installed when
# node_modules is missing or the lock changed (npm ci writes this file last).
NPM_STAMP := node_modules/.package-lock.json
$(NPM_STAMP): package.json package-lock.json | deps-test
	npm ci --no-audit --no-fund

# Every test: first the optimised build of `make run` must compile (its -O2 warnings differ),
# then the sanitizer build's unit, integration and browser tests, and short fuzz runs.
test: deps-test build fuzz $(NPM_STAMP)
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSIDANG_SANITIZE=ON
	cmake --build $(TEST_BUILD) -j $(JOBS)
	ctest --test-dir $(TEST_BUILD) --output-on-failure -j $(JOBS)

# libFuzzer harnesses (clang), each run briefly over its committed seed corpus.
fuzz: deps-test
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSIDANG_FUZZ=ON -DSIDANG_TESTS=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	ctest --test-dir $(FUZZ_BUILD) --output-on-failure

# Search latency at 100 000 synthetic documents (docs/benchmarks.md); an optimised build.
BENCH_BUILD ?= build-bench
bench: deps
	cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIDANG_TESTS=OFF
	cmake --build $(BENCH_BUILD) -j $(JOBS) --target bench_search
	./$(BENCH_BUILD)/bench_search

# OCR throughput: Sidang's workers vs the tesseract CLI vs ocrmypdf (when installed), same pages,
# every core (docs/benchmarks.md).
bench-ocr: deps-test
	cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIDANG_TESTS=OFF
	cmake --build $(BENCH_BUILD) -j $(JOBS) --target sidang
	python3 bench/ocr_bench.py --sidang $(BENCH_BUILD)/sidang

clean:
	rm -rf $(BUILD) $(TEST_BUILD) $(FUZZ_BUILD) $(BENCH_BUILD)
