#!/usr/bin/env bash
# cross.sh ARCH [BUILD_DIR] — `make cross ARCH=arm64`: builds chargepointd for the charger's
# arm64 board on an amd64 Debian machine, runs the cmocka unit tests and one end-to-end
# charging session (test/e2e/session.test.mjs) on those arm64 binaries under qemu-user, and
# prints their size, idle RSS and idle CPU beside the native build's (a relative check only:
# emulation is neither the board's speed nor its memory).
#
# Why it exists: issue 16. The board is arm64; this proves the code builds and behaves there
# without one. Not part of `make test`: it installs a second architecture's packages and
# registers an emulator with the kernel, which a test run should not do behind one's back.
# Idempotent and quiet: set-up steps that have been done are skipped, every step's output
# goes to BUILD_DIR/cross.log and is printed only when the step fails; V=1 prints everything
# as it happens.
#
# Debian's multiarch gives the toolchain and the :arm64 libraries. Two -dev packages cannot
# be installed beside their amd64 twins (docs/packaging.md, "arm64"): libczmq-dev:arm64
# (it pulls libnss3-dev:arm64 → libnspr4-dev:arm64, which is not Multi-Arch: same) and
# libwebsockets-dev:arm64 (its /usr/include/lws_config.h differs between architectures,
# so dpkg refuses the second copy). For these two the runtime library is installed from
# the archive, the -dev package of the same version is fetched with `apt-get download` and
# unpacked into BUILD_DIR/overlay, which the toolchain file puts first on pkg-config's path.
# The end-to-end session needs binfmt_misc (chargepointd execs chargepoint-simboard, an
# arm64 program): the script mounts it when absent and enables Debian's qemu-aarch64 entry.
set -euo pipefail

usage() { echo "usage: scripts/cross.sh arm64 [BUILD_DIR]   (make cross ARCH=arm64 [V=1])" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
case "$1" in
  arm64) triplet=aarch64-linux-gnu; qemu_entry=qemu-aarch64 ;;
  *) echo "cross: ARCH '$1' is not supported; arm64 is" >&2; usage ;;
esac
arch=$1
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${2:-build-$arch}"
case "$build" in /*) ;; *) build="$root/$build" ;; esac
jobs="${JOBS:-2}"
verbose="${V:-0}"
cd "$root"
mkdir -p "$build"
log="$build/cross.log"
: >"$log"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

# step TITLE COMMAND... — runs COMMAND; quiet unless V=1, its output printed if it fails.
step() {
  local title=$1; shift
  echo "cross: $title" >>"$log"
  if [ "$verbose" = 1 ]; then
    echo "cross: $title"
    "$@" 2>&1 | tee -a "$log" || { echo "cross: FAIL: $title (full log: $log)" >&2; exit 1; }
    return 0
  fi
  local start=$SECONDS
  if ! "$@" >>"$log" 2>&1; then
    awk -v t="cross: $title" '$0 == t { on = 1 } on' "$log" | tail -80
    echo "cross: FAIL: $title (full log: $log)" >&2
    exit 1
  fi
  echo "cross: $title ($((SECONDS - start)) s)"
}

# --- packages ---------------------------------------------------------------------------
host_pkgs=("crossbuild-essential-$arch" qemu-user-static binfmt-support cmake pkg-config)
target_pkgs=(libzmq3-dev libmsgpack-dev libmbedtls-dev libcmocka-dev libsqlite3-dev
             libjansson-dev libcurl4-openssl-dev zlib1g-dev
             libczmq4 libwebsockets17          # runtime halves of the overlay packages
             libuv1-dev libwebsockets-evlib-uv # lws on the ocpp actor's loop (wsclient.h): libuv_a.a
                                               # in the bundled lws, the plugin in Debian's
             libssl-dev                        # Debian's libwebsockets.h includes openssl/ssl.h,
                                               # whose opensslconf.h is per architecture
             uuid-dev libsystemd-dev libcap-dev) # what their .pc files name
overlay_pkgs=(libczmq-dev:libczmq4 libwebsockets-dev:libwebsockets17)   # dev:runtime

missing_pkgs() {
  local p
  for p in "${host_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
  for p in "${target_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p:$arch" 2>/dev/null | grep -q "install ok installed" || echo "$p:$arch"
  done
  # node runs the end-to-end test's central system; it may come from outside Debian.
  command -v node >/dev/null && command -v npm >/dev/null || echo "nodejs npm"
}
install_pkgs() {
  dpkg --print-foreign-architectures | grep -qx "$arch" || $SUDO dpkg --add-architecture "$arch"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2046
  $SUDO apt-get install -y -qq --no-install-recommends $(missing_pkgs)
}
if [ -n "$(missing_pkgs)" ] || ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
  step "installing $(missing_pkgs | tr '\n' ' ')" install_pkgs
fi

# --- the overlay: -dev packages that multiarch cannot co-install --------------------------
overlay="$build/overlay"
make_overlay() {
  local dl entry dev rt ver
  dl=$(mktemp -d)
  rm -rf "$overlay"
  mkdir -p "$overlay"
  for entry in "${overlay_pkgs[@]}"; do
    dev=${entry%%:*}; rt=${entry##*:}
    ver=$(dpkg-query -W -f='${Version}' "$rt:$arch")
    chown _apt "$dl" 2>/dev/null || true
    (cd "$dl" && apt-get download -qq "$dev:$arch=$ver")
    dpkg-deb -x "$dl/${dev}_"*"_$arch.deb" "$overlay"
  done
  rm -rf "$dl"
  local libdir="$overlay/usr/lib/$triplet"
  # The .so links point at the runtime libraries where the :arm64 packages put them.
  local l
  for l in "$libdir"/*.so; do ln -sfn "/usr/lib/$triplet/$(readlink "$l")" "$l"; done
  # Headers and links from the overlay, everything else from the multiarch paths.
  sed -i "s#^prefix=.*#prefix=$overlay/usr#" "$libdir"/pkgconfig/*.pc
  # libczmq.pc names nss only for static linking (no czmq header includes NSS), and nss is
  # what cannot be installed for arm64 here: drop it.
  sed -i 's/^\(Requires.private:.*\) nss$/\1/' "$libdir/pkgconfig/libczmq.pc"
  echo "${overlay_pkgs[*]} $(for e in "${overlay_pkgs[@]}"; do dpkg-query -W -f='${Version} ' "${e##*:}:$arch"; done)" \
    >"$overlay/.stamp"
}
want="${overlay_pkgs[*]} $(for e in "${overlay_pkgs[@]}"; do dpkg-query -W -f='${Version} ' "${e##*:}:$arch"; done)"
if [ "$(cat "$overlay/.stamp" 2>/dev/null)" != "$want" ]; then
  step "unpacking ${overlay_pkgs[*]%%:*} ($arch) into $overlay" make_overlay
fi

# --- binfmt_misc: arm64 programs exec'd by arm64 programs -------------------------------
enable_binfmt() {
  [ -e /proc/sys/fs/binfmt_misc/register ] ||
    $SUDO mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  $SUDO update-binfmts --enable "$qemu_entry"
}
if ! grep -qx enabled "/proc/sys/fs/binfmt_misc/$qemu_entry" 2>/dev/null; then
  step "registering $qemu_entry with binfmt_misc" enable_binfmt
fi

# --- build and unit tests -----------------------------------------------------------------
configure() {
  nice cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchain-$triplet.cmake" -DCP_CROSS_OVERLAY="$overlay"
}
# The bundled ZeroMQ, CZMQ, SQLite and libwebsockets (CP_BUNDLED_*, the defaults) are
# cross-built from the same Debian sources as the native build (the toolchain file names the
# C++ compiler libzmq needs; SQLite's amalgamation is made on the build machine, once).
step "Debian's zeromq3, czmq, sqlite3 and libwebsockets sources (scripts/bundled-sources.sh)" "$root/scripts/bundled-sources.sh"
step "configuring $build ($triplet-gcc)" configure
build_v=(); [ "$verbose" = 1 ] && build_v=(-v)
step "building (-j$jobs)" nice cmake --build "$build" -j "$jobs" "${build_v[@]}"
file -L "$build/chargepointd" | grep -q "ARM aarch64" ||
  { echo "cross: FAIL: $build/chargepointd is not an arm64 program: $(file -L "$build/chargepointd")" >&2; exit 1; }
echo "cross: $(file -L "$build/chargepointd" | cut -d, -f1-2)"
# The unit tests under emulation: a test that waits on real time gets more of it.
step "unit tests under qemu-aarch64 (ctest)" bash -c "cd '$build' && nice ctest --output-on-failure -j '$jobs'"
grep -E '^[0-9]+% tests passed' "$log" | tail -1 | sed 's/^/cross: /'

# --- one end-to-end session on the arm64 binaries ------------------------------------------
step "end-to-end: test/e2e/session.test.mjs on the $arch binaries" \
  nice "$root/scripts/test-node.sh" e2e "$build" test/e2e/session.test.mjs
grep -E '^# (pass|fail) ' "$log" | tail -2 | sed 's/^# //' | paste -sd, | sed 's/^/cross: e2e session: /; s/,/, /'

# --- figures ------------------------------------------------------------------------------
stripped_size() { local t; t=$(mktemp); "$1" -o "$t" "$2"; stat -c %s "$t"; rm -f "$t"; }
# idle PROGRAM STATE_DIR — "VmRSS_kB cpu%" of an idle stand-alone controller over 20 s.
idle() {
  local pid t0 t1 hz rss
  hz=$(getconf CLK_TCK)
  "$1" --state-dir "$2" --http off --log-level warn >"$2.out" 2>&1 &
  pid=$!
  sleep 5   # start-up done: every actor running, the board started
  t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  sleep 20
  t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  kill -TERM "$pid"; wait "$pid" || true
  awk -v a="$t0" -v b="$t1" -v hz="$hz" -v rss="$rss" 'BEGIN { printf "%d %.2f\n", rss, (b - a) * 100 / hz / 20 }'
}
echo "cross: measuring idle RSS and CPU for 25 s"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
native="$root/build/chargepointd"
idle "$build/chargepointd" "$tmp/$arch" >"$tmp/$arch.idle" &
if [ -x "$native" ]; then idle "$native" "$tmp/native" >"$tmp/native.idle" & fi
wait
read -r rss_a cpu_a <"$tmp/$arch.idle"
printf 'cross: %-34s %12s %12s %14s %10s\n' "program" "size" "stripped" "idle VmRSS" "idle CPU"
printf 'cross: %-34s %12s %12s %11s kB %9s%%\n' "$arch chargepointd (qemu-user)" \
  "$(stat -c %s "$build/chargepointd")" "$(stripped_size "$triplet-strip" "$build/chargepointd")" "$rss_a" "$cpu_a"
if [ -s "$tmp/native.idle" ]; then
  read -r rss_n cpu_n <"$tmp/native.idle"
  printf 'cross: %-34s %12s %12s %11s kB %9s%%\n' "$(dpkg --print-architecture) chargepointd (native)" \
    "$(stat -c %s "$native")" "$(stripped_size strip "$native")" "$rss_n" "$cpu_n"
fi
echo "cross: ok"
