#!/usr/bin/env bash
# bench.sh BUILD_DIR — `make bench`: runs the benchmarks and writes the table to
# docs/benchmarks.md (and stdout). Benchmarks measure; they never fail the build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-build}" && pwd)"
cd "$root/test" && { [ -d node_modules ] || npm install --no-audit --no-fund --loglevel=error >/dev/null; }
cd "$root"
out=docs/benchmarks.md
{
  echo "# Benchmarks"
  echo
  echo "Produced by \`make bench\` on $(date -u +%Y-%m-%d) ($(nproc) cores, $(uname -m), shared machine)."
  echo
  echo "## Foundation: start-up, idle CPU, memory (bench/foundation.mjs)"
  echo
  node bench/foundation.mjs "$build"
  echo
  echo "## Side by side with the reference embedded client (bench/versus.mjs)"
  echo
  node bench/versus.mjs "$build"
  echo
  echo "## Where idle goes, by thread (bench/idle_threads.mjs)"
  echo
  node bench/idle_threads.mjs "$build"
  echo
  echo "## Where the memory is, mapping by mapping (bench/footprint.mjs)"
  echo
  node bench/footprint.mjs "$build"
  echo
  echo "## Firmware and diagnostics transfers (bench/firmware_transfer.mjs)"
  echo
  node bench/firmware_transfer.mjs "$build"
  echo
  echo "## The board and controller crashes (bench/board_crash.mjs)"
  echo
  node bench/board_crash.mjs "$build"
  echo
  echo "## Security profiles: TLS set-up and memory (bench/tls.mjs)"
  echo
  node bench/tls.mjs "$build"
  for b in "$build"/bench_*; do
    [ -x "$b" ] || continue
    echo
    echo "## $(basename "$b")"
    echo
    "$b"
  done
  echo
  cat bench/notes.md             # what the figures mean and where they came from (by hand)
} | tee "$out.tmp"
mv "$out.tmp" "$out"
