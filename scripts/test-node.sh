#!/usr/bin/env bash
# test-node.sh SUITE BUILD_DIR [FILE...] — runs the node:test suite in test/SUITE (e2e: the
# real chargepointd and cpctl against the scripted loopback CSMS in tools/csms; interop:
# against the independent ocpp-rpc central system in strictMode). Installs the tests' npm
# packages in test/ when missing or stale (idempotent, quiet), then runs every
# test/SUITE/*.test.mjs, or only the FILEs given (scripts/cross.sh runs one session against
# the arm64 binaries), one file at a time (tests start processes). Controller logs:
# test/artifacts/<test>/.
set -euo pipefail
usage="usage: test-node.sh e2e|interop BUILD_DIR [FILE...]"
suite="${1:?$usage}"
case "$suite" in e2e|interop) ;; *) echo "$usage" >&2; exit 2 ;; esac
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${2:-build}"
shift $(( $# < 2 ? $# : 2 ))
case "$build" in /*) ;; *) build="$root/$build" ;; esac

# npm packages: reinstall only when node_modules is missing or older than the manifest.
(
  cd "$root/test"
  stamp=node_modules/.package-lock.json
  if [ ! -f "$stamp" ] || [ package.json -nt "$stamp" ] || { [ -f package-lock.json ] && [ package-lock.json -nt "$stamp" ]; }; then
    if [ -f package-lock.json ]; then cmd=ci; else cmd=install; fi
    npm "$cmd" --no-audit --no-fund --loglevel=error >/dev/null
  fi
)

for bin in chargepointd cpctl; do
  [ -x "$build/$bin" ] || echo "test-$suite: warning: $build/$bin is missing; tests that need it will fail" >&2
done

cd "$root"
if [ $# -gt 0 ]; then files=("$@"); else
  mapfile -t files < <(find "test/$suite" -maxdepth 1 -name '*.test.mjs' | sort)
fi
[ ${#files[@]} -gt 0 ] || { echo "test-$suite: no test files in test/$suite" >&2; exit 1; }
CP_BUILD="$build" exec node --test --test-concurrency=1 "${files[@]}"
