#!/usr/bin/env bash
# install-deps.sh [build|demo|test] — installs the Debian packages chargepointd needs for
# one purpose, and no more (issue 16, "lean set-up"):
#   build  (default; `make`, `make build`, `make install`, `make deb`) the compiler, CMake and
#          the -dev libraries: what building and running the controller need
#   demo   (`make demo`, `make soak`) build + Node.js and npm, for the loopback central system
#          (tools/csms) that the demo and the chaos test talk to
#   test   (`make test` and its tiers, `make bench`) demo + what only tests use: clang for
#          the fuzzers, openssl for the TLS tests' certificates, python3-pyftpdlib for the FTP
#          server of test/e2e/firmware.test.mjs (python3-openssl for its FTPS side: pyftpdlib
#          does not pull it in), chromium for the status page's browser test
# So a newcomer's `make` or `make demo` never pulls a browser.
#
# Idempotent: does nothing when everything is present. Runs apt-get as root, or through sudo
# when not root. Quiet: apt's output goes to a log printed only when it fails; V=1 shows it.
set -euo pipefail

usage() { echo "usage: scripts/install-deps.sh [build|demo|test]   (V=1 shows apt's output)" >&2; exit 2; }
[ $# -le 1 ] || usage
set_name="${1:-build}"

build=(build-essential cmake pkg-config
       libzmq3-dev libczmq-dev libmsgpack-dev libwebsockets-dev
       libmbedtls-dev libcmocka-dev libsqlite3-dev libjansson-dev
       libcurl4-openssl-dev zlib1g-dev)
demo=(nodejs npm)
test=(clang openssl python3-pyftpdlib python3-openssl chromium)
case "$set_name" in
  build) packages=("${build[@]}") ;;
  demo)  packages=("${build[@]}" "${demo[@]}") ;;
  test)  packages=("${build[@]}" "${demo[@]}" "${test[@]}") ;;
  *) usage ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm may come from outside Debian's packages: accept them on PATH.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]}")
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
apt_install() {
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
if [ "${V:-0}" = 1 ]; then apt_install; exit; fi
log=$(mktemp "${TMPDIR:-/tmp}/chargepointd-deps.XXXXXX")
if ! apt_install >"$log" 2>&1; then
  cat "$log"
  echo "install-deps: FAIL: apt-get could not install ${missing[*]} (log above: $log)" >&2
  exit 1
fi
rm -f "$log"
