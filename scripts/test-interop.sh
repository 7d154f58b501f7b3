#!/usr/bin/env bash
# test-interop.sh BUILD_DIR — interop tests: the real chargepointd from BUILD_DIR against an
# independent OCPP 1.6-J implementation (ocpp-rpc, strict schema validation) on loopback.
# Installs the tests' npm packages in test/ when missing or stale (idempotent, quiet), then
# runs every test/interop/*.test.mjs with node's test runner, one file at a time (tests start
# processes). Logs of each controller: test/artifacts/<test>/chargepointd.log.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-build}"
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
  [ -x "$build/$bin" ] || echo "test-interop: warning: $build/$bin is missing; tests that need it will fail" >&2
done

cd "$root"
mapfile -t files < <(find test/interop -maxdepth 1 -name '*.test.mjs' | sort)
[ ${#files[@]} -gt 0 ] || { echo "test-interop: no test files in test/interop" >&2; exit 1; }
CP_BUILD="$build" exec node --test --test-concurrency=1 "${files[@]}"
