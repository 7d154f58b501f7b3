#!/bin/sh
# quietly.sh LOG COMMAND [ARGS...] — runs COMMAND with its output kept in LOG and shown only
# when it fails; with V=1 in the environment the output also goes to the terminal as it comes.
#
# Why it exists: issue 16 asks for a quiet build — no per-file lines from the compiler or
# CMake unless something fails (then all of it, so the error is never hidden) — and
# `make V=1` showing everything. The Makefile wraps its configure, build and package steps
# in it.
set -eu
[ $# -ge 2 ] || { echo "usage: scripts/quietly.sh LOG COMMAND [ARGS...]" >&2; exit 2; }
log=$1; shift
mkdir -p "$(dirname "$log")"
if [ "${V:-0}" = 1 ]; then
  # The command's status, not tee's: kept in a file, as POSIX sh has no PIPESTATUS.
  rc_file=$(mktemp)
  { rc=0; "$@" 2>&1 || rc=$?; echo "$rc" >"$rc_file"; } | tee "$log"
  rc=$(cat "$rc_file"); rm -f "$rc_file"
  exit "$rc"
fi
rc=0
"$@" >"$log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] && exit 0
cat "$log"
echo "FAIL ($rc): $* (log: $log)" >&2
exit "$rc"
