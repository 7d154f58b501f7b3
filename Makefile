# Thin front door: the real build is CMake. See README.md.
#   make        install missing packages, build build/chargepointd and build/cpctl
#   make test   every test tier CI runs (unit under ASan+UBSan, fuzz smoke, end-to-end, interop)
#   make install  chargepointd, cpctl, the config, the systemd unit under PREFIX (and DESTDIR)
#   make demo   a central system on loopback and a charging session to watch
#   make bench  benchmarks, table printed and written to docs/benchmarks.md
#   make cross ARCH=arm64  cross-build for the board, unit tests + one e2e session under qemu-user
#   make soak   the long chaos test: SOAK_SECONDS (default 600) of random actor kills and hangs
#               with sessions running, in one process and --split; prints faults, sessions, lost/duplicated
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)

.PHONY: all deps build asan test unit e2e interop fuzz demo bench soak clean install unit-verify deb deb-test cross

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCP_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

unit: asan
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS)

e2e: build
	@./scripts/test-node.sh e2e $(BUILD)

interop: build
	@./scripts/test-node.sh interop $(BUILD)

fuzz: build
	@./scripts/fuzz.sh $(BUILD)

test: unit unit-verify fuzz e2e interop

# The systemd unit checked by systemd-analyze verify (scripts/unit-verify.sh).
unit-verify: build
	@./scripts/unit-verify.sh $(BUILD)

# build/chargepointd_<version>_<arch>.deb (CPack; docs/packaging.md).
deb: deps
	@cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@cd $(BUILD) && cpack -G DEB >/dev/null && ls chargepointd_*.deb

# The package unpacked into a throw-away root, run from there (scripts/deb-test.sh).
deb-test: deb
	@./scripts/deb-test.sh $(BUILD)

# Install under PREFIX (default /usr/local) and DESTDIR; README "Installing".
PREFIX ?= /usr/local
install: build
	@cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@cmake --install $(BUILD)

demo: build
	@./scripts/demo.sh $(BUILD)

bench: build
	@./scripts/bench.sh $(BUILD)

soak: build
	@./scripts/soak.sh $(BUILD)

# The arm64 build, its unit tests and one e2e session under qemu-user, its figures
# (scripts/cross.sh; not part of `make test`). Builds into build-$(ARCH).
cross:
	@[ -n "$(ARCH)" ] || { echo "usage: make cross ARCH=arm64 [V=1]" >&2; exit 2; }
	@V=$(V) JOBS=$(JOBS) ./scripts/cross.sh $(ARCH) build-$(ARCH)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
