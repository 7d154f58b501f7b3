#!/usr/bin/env bash
# bundled-sources.sh [DIR] — Debian's source trees of zeromq3, czmq, sqlite3 and libwebsockets (the
# versions the -dev packages install, with Debian's patches applied) into DIR (default
# third_party/sources, ignored by git), for the bundled builds of cmake/bundled_zmq.cmake
# (-DCP_BUNDLED_ZMQ=ON), cmake/bundled_sqlite.cmake (-DCP_BUNDLED_SQLITE=ON) and
# cmake/bundled_lws.cmake (-DCP_BUNDLED_LWS=ON). SQLite's
# tree is turned into its amalgamation (sqlite3-*/amalgamation/sqlite3.c, the one file
# SQLite's own build makes from its sources, with tclsh), which any compiler, a cross one
# included, then builds with the controller's options. Idempotent. apt-get source needs
# the deb-src lines of the machine's Debian suite: when apt has none, this adds
# them in a file of their own (/etc/apt/sources.list.d/chargepointd-src.sources).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$root/third_party/sources}"
mkdir -p "$dir"
cd "$dir"
# The source packages of the installed binary packages, so headers and library agree; what
# was fetched is noted in .fetched, so an upgrade of the -dev packages fetches again.
version() { dpkg-query -W -f='${source:Version}\n' "$1" | head -1; }
want="zeromq3=$(version libzmq3-dev) czmq=$(version libczmq-dev) sqlite3=$(version libsqlite3-dev)"
want="$want libwebsockets=$(version libwebsockets-dev)"
complete() {
  compgen -G 'zeromq3-*/src/config.hpp' >/dev/null && compgen -G 'czmq-*/include/czmq.h' >/dev/null \
    && compgen -G 'sqlite3-*/amalgamation/sqlite3.c' >/dev/null \
    && compgen -G 'libwebsockets-*/include/libwebsockets.h' >/dev/null
}
if [ "$(cat .fetched 2>/dev/null)" = "$want" ] && complete; then
  exit 0
fi
rm -rf zeromq3-* zeromq3_* czmq-* czmq_* sqlite3-* sqlite3_* libwebsockets-* libwebsockets_* .fetched   # another version, or half a fetch
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  # shellcheck disable=SC1091
  . /etc/os-release
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$VERSION_CODENAME" | $SUDO tee /etc/apt/sources.list.d/chargepointd-src.sources >/dev/null
  $SUDO apt-get update -qq
fi
command -v dpkg-source >/dev/null || $SUDO apt-get install -y -qq --no-install-recommends dpkg-dev
command -v tclsh >/dev/null || $SUDO apt-get install -y -qq --no-install-recommends tcl
# shellcheck disable=SC2086
apt-get source -qq $want 2>&1 >/dev/null | { grep -v 'unsandboxed as root' >&2 || true; }
# The amalgamation: SQLite's configure and its `make sqlite3.c` (a few seconds), in a
# directory of its own; only sqlite3.c and sqlite3.h are kept from it.
for tree in sqlite3-*/; do
  mkdir -p "$tree/amalgamation.build"
  (cd "$tree/amalgamation.build" && ../configure --disable-tcl -q >/dev/null && make -s sqlite3.c >/dev/null)
  mkdir -p "$tree/amalgamation"
  cp "$tree/amalgamation.build/sqlite3.c" "$tree/amalgamation.build/sqlite3.h" "$tree/amalgamation/"
  rm -rf "$tree/amalgamation.build"
done
complete
echo "$want" >.fetched
