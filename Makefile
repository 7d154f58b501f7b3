# Thin front door: the real build is CMake. See README.md.
#   make        install missing packages (build set only), build build/chargepointd and build/cpctl
#   make test   every test tier CI runs (unit under ASan+UBSan, fuzz smoke, end-to-end, interop)
#   make install  chargepointd, cpctl, the config, the systemd unit under PREFIX (and DESTDIR)
#   make demo   a central system on loopback and a charging session to watch
#   make bench  benchmarks, table printed and written to docs/benchmarks.md
#   make cross ARCH=arm64  cross-build for the board, unit tests + one e2e session under qemu-user
#   make soak   the long chaos test: SOAK_SECONDS (default 600) of random actor kills and hangs
#               with sessions running, in one process and --split; prints faults, sessions, lost/duplicated
# Quiet by default: apt, CMake and the compiler print only when something fails (then all of
# it); `make V=1 ...` shows everything as it happens.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
V          ?= 0
export V
# scripts/quietly.sh LOG CMD: CMD's output in LOG, printed on failure (or always with V=1).
Q           = ./scripts/quietly.sh
CMAKE_V     = $(if $(filter 1,$(V)),-v)

.PHONY: all deps deps-demo deps-test build asan test unit e2e interop fuzz demo bench soak clean \
        install unit-verify deb deb-test deb-install-test cross distclean

all: build

# Packages by purpose (scripts/install-deps.sh): building, + the demo's Node.js, + tests' tools.
# `deps` also fetches Debian's zeromq3, czmq, sqlite3 and libwebsockets source trees into
# third_party/sources for the bundled builds (CP_BUNDLED_ZMQ, CP_BUNDLED_SQLITE, CP_BUNDLED_LWS, on by default;
# scripts/bundled-sources.sh): once, then a no-op.
deps:
	@./scripts/install-deps.sh build
	@./scripts/bundled-sources.sh
deps-demo:
	@./scripts/install-deps.sh demo
deps-test:
	@./scripts/install-deps.sh test

build: deps
	@$(Q) $(BUILD)/configure.log cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	@$(Q) $(BUILD)/build.log cmake --build $(BUILD) -j $(JOBS) $(CMAKE_V)
	@echo "build: $(BUILD)/chargepointd $(BUILD)/cpctl"

asan: deps
	@$(Q) $(ASAN_BUILD)/configure.log cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCP_SANITIZE=ON
	@$(Q) $(ASAN_BUILD)/build.log cmake --build $(ASAN_BUILD) -j $(JOBS) $(CMAKE_V)

unit: asan
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS)

e2e: build deps-test
	@./scripts/test-node.sh e2e $(BUILD)

interop: build deps-test
	@./scripts/test-node.sh interop $(BUILD)

fuzz: build deps-test
	@./scripts/fuzz.sh $(BUILD)

test: deps-test unit unit-verify fuzz e2e interop

# The systemd unit checked by systemd-analyze verify (scripts/unit-verify.sh).
unit-verify: build
	@./scripts/unit-verify.sh $(BUILD)

# build/chargepointd_<version>_<arch>.deb (CPack; docs/packaging.md).
deb: deps
	@$(Q) $(BUILD)/configure.log cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=/usr
	@$(Q) $(BUILD)/build.log cmake --build $(BUILD) -j $(JOBS) $(CMAKE_V)
	@$(Q) $(BUILD)/cpack.log sh -c 'cd $(BUILD) && cpack -G DEB'
	@ls $(BUILD)/chargepointd_*.deb

# The package unpacked into a throw-away root, run from there (scripts/deb-test.sh).
deb-test: deb deps-test
	@./scripts/deb-test.sh $(BUILD)

# The package installed on this machine with dpkg -i, a session from the installed paths
# as the unit's user, dpkg -r, dpkg --purge, nothing left (scripts/deb-install-test.sh).
# Changes the machine (as root or through sudo): not part of `make test`.
deb-install-test: deb deps-test
	@./scripts/deb-install-test.sh $(BUILD)

# Install under PREFIX (default /usr/local) and DESTDIR; README "Installing".
PREFIX ?= /usr/local
install: build
	@$(Q) $(BUILD)/configure.log cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX)
	@cmake --install $(BUILD)

demo: build deps-demo
	@./scripts/demo.sh $(BUILD)

bench: build deps-test
	@./scripts/bench.sh $(BUILD)

soak: build deps-demo
	@./scripts/soak.sh $(BUILD)

# The arm64 build, its unit tests and one e2e session under qemu-user, its figures
# (scripts/cross.sh installs its own packages; not part of `make test`). Builds into build-$(ARCH).
cross:
	@[ -n "$(ARCH)" ] || { echo "usage: make cross ARCH=arm64 [V=1]" >&2; exit 2; }
	@JOBS=$(JOBS) ./scripts/cross.sh $(ARCH) build-$(ARCH)

# The build dirs (with the bundled libzmq/czmq built in them); the fetched sources in
# third_party/sources stay, as apt's packages do: `make distclean` removes them too.
clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

distclean: clean
	rm -rf third_party/sources
