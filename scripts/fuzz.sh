#!/usr/bin/env bash
# fuzz.sh BUILD_DIR [SECONDS] — builds the libFuzzer harnesses in fuzz/ with clang
# (ASan + UBSan) and runs each for SECONDS (default 20) from its seed corpus. Part of
# `make test` as a smoke run; run longer by hand: scripts/fuzz.sh build 600.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-build}" && pwd)"
seconds="${2:-${FUZZ_SECONDS:-20}}"
cd "$root"
if ! command -v clang >/dev/null; then
  echo "fuzz: clang not found; installing" >&2
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get install -y -qq clang >/dev/null
fi
flags=(-std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I.)
out="$build/fuzz"
mkdir -p "$out"
clang "${flags[@]}" fuzz/fuzz_ocppj.c gateway/ocppj.c gateway/jwriter.c gateway/schema.c "$build/generated/ocpp_schemas.c" \
  $(pkg-config --cflags --libs jansson) -lm -o "$out/fuzz_ocppj"
clang "${flags[@]}" fuzz/fuzz_jwriter.c gateway/jwriter.c $(pkg-config --cflags --libs jansson) -o "$out/fuzz_jwriter"
clang "${flags[@]}" fuzz/fuzz_msg.c messages/msg.c $(pkg-config --cflags --libs msgpack) -o "$out/fuzz_msg"
clang "${flags[@]}" fuzz/fuzz_page_request.c gateway/page_request.c actors/config/config_keys.c \
  actors/config/ocpp_settings.c gateway/wsclient.c gateway/wsclient_tls.c actors/smartcharging/local_limits.c \
  actors/smartcharging/composite.c actors/smartcharging/profile.c actors/config/config_store.c actors/config/config_copy.c \
  supervisor/store.c supervisor/clock.c supervisor/log.c \
  $(pkg-config --cflags --libs jansson libwebsockets libuv libczmq sqlite3) -lmbedx509 -lmbedcrypto -lm -o "$out/fuzz_page_request"
clang "${flags[@]}" fuzz/fuzz_board_proto.c hw/board/board_proto.c hw/board/simboard.c hw/sim/sim.c hw/pilot.c \
  hw/hw.c supervisor/clock.c supervisor/log.c $(pkg-config --cflags --libs libczmq) -lm -o "$out/fuzz_board_proto"
clang "${flags[@]}" fuzz/fuzz_cert.c actors/security/cert_info.c -lmbedx509 -lmbedcrypto -o "$out/fuzz_cert"
clang "${flags[@]}" fuzz/fuzz_firmware_sig.c actors/firmware/firmware_sig.c -lmbedx509 -lmbedcrypto \
  -o "$out/fuzz_firmware_sig"
for h in fuzz_ocppj fuzz_jwriter fuzz_msg fuzz_page_request fuzz_board_proto fuzz_cert fuzz_firmware_sig; do
  corpus="$out/corpus-$h"
  mkdir -p "$corpus"
  [ "$h" = fuzz_ocppj ] && cp -r fuzz/corpus/. "$corpus/" 2>/dev/null || true
  [ -d "fuzz/corpus-$h" ] && cp -r "fuzz/corpus-$h/." "$corpus/" 2>/dev/null || true
  echo "fuzz: $h for ${seconds}s"
  "$out/$h" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 "$corpus" 2>"$out/$h.log" \
    || { tail -40 "$out/$h.log"; echo "fuzz: $h found a failure (see $out/$h.log)"; exit 1; }
  grep -E 'stat::number_of_executed_units' "$out/$h.log" | sed "s/^/fuzz: $h /"
done
