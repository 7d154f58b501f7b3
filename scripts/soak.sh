#!/usr/bin/env bash
# soak.sh BUILD_DIR — the long chaos test of issue 10 (make soak): for SOAK_SECONDS (default 600)
# in one-process mode and then in --split mode, two connectors run sessions back to back while a
# random actor is killed or hung every 1–3 s (test/e2e/lib/chaos.mjs, the driver the short chaos
# test of make test uses). Prints one summary line per mode — faults injected, sessions run,
# messages lost and duplicated, escalations — and the rule each failure broke; exit 0 only when
# nothing was lost or duplicated and the controller never escalated. SOAK_MODES=thread|split|
# thread,split picks the modes, SOAK_SEED replays a run. Controller logs: test/artifacts/soak-*/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-build}"
case "$build" in /*) ;; *) build="$root/$build" ;; esac
seconds="${SOAK_SECONDS:-600}"
modes="${SOAK_MODES:-thread,split}"

# The tests' npm packages (ws for the loopback central system), as scripts/test-node.sh does.
(
  cd "$root/test"
  stamp=node_modules/.package-lock.json
  if [ ! -f "$stamp" ] || [ package.json -nt "$stamp" ] || { [ -f package-lock.json ] && [ package-lock.json -nt "$stamp" ]; }; then
    if [ -f package-lock.json ]; then cmd=ci; else cmd=install; fi
    npm "$cmd" --no-audit --no-fund --loglevel=error >/dev/null
  fi
)
for bin in chargepointd cpctl; do
  [ -x "$build/$bin" ] || { echo "soak: $build/$bin is missing (make build first)" >&2; exit 1; }
done

cd "$root"
args=(--seconds "$seconds" --modes "$modes")
[ -n "${SOAK_SEED:-}" ] && args+=(--seed "$SOAK_SEED")
[ -n "${SOAK_VERBOSE:-}" ] && args+=(--verbose)
echo "soak: ${seconds} s of chaos per mode ($modes)"
CP_BUILD="$build" exec node test/e2e/lib/chaos.mjs "${args[@]}"
