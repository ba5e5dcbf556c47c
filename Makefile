# Thin wrapper over CMake: the two commands a new user needs are
# `make run` and `make test`.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX     ?= /usr/local
DATA_HOME  := $(or $(XDG_DATA_HOME),$(HOME)/.local/share)
DEMO_DB    ?= $(DATA_HOME)/picket/picket.db

.PHONY: all deps build build-asan build-fuzz run test test-asan test-valgrind bench fuzz fuzz-smoke install format format-check clean pot

all: build

deps:
	@sh scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	      -DCMAKE_INSTALL_PREFIX=$(PREFIX) -DPICKET_WERROR=ON

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug \
	      -DPICKET_WERROR=ON -DPICKET_SANITIZE=ON

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)

$(FUZZ_BUILD)/CMakeCache.txt:
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug \
	      -DPICKET_WERROR=ON -DPICKET_FUZZ=ON

build-fuzz: deps $(FUZZ_BUILD)/CMakeCache.txt
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_query fuzz_sanitize fuzz_config fuzz_import fuzz_protocol fuzz_json fuzz_bundle

# every libFuzzer target for FUZZ_SECONDS (make fuzz FUZZ_SECONDS=3600)
fuzz: build-fuzz
	sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# the short run make test does
fuzz-smoke: build-fuzz
	sh tests/fuzz/run.sh $(FUZZ_BUILD) smoke

run: build
	@if [ ! -f "$(DEMO_DB)" ]; then \
		echo "picket: creating a demo database at $(DEMO_DB)"; \
		$(BUILD)/picket --db "$(DEMO_DB)" init --demo; \
	fi
	$(BUILD)/picket --db "$(DEMO_DB)"

test: build build-asan format-check fuzz-smoke
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	# (the stress tests' full length runs once, in the plain build)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		STRESS_SECONDS=20 KILLS=80 PD_KILLS=6 \
		ctest --output-on-failure -j $(JOBS)

# every picket of the CLI and interface tests under valgrind (slow)
test-valgrind: build
	bash tests/valgrind.sh $(BUILD)

bench: build
	cmake --build $(BUILD) --target bench-tools -j $(JOBS)
	sh tests/bench/run.sh $(BUILD)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

pot:
	xgettext --keyword=_ --keyword=N_ --keyword=P_:1,2 --from-code=UTF-8 --add-comments=TRANSLATORS \
	    --package-name=picket -o po/picket.pot $$(git ls-files 'src/*.c' 'src/*.h' 'include/*.h')
	msgmerge --update --backup=none po/fr.po po/picket.pot

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
