#!/usr/bin/env bash
# zmq-sources.sh [DIR] — Debian's source trees of zeromq3 and czmq (the versions the
# -dev packages install, with Debian's patches applied) into DIR (default
# third_party/zmq-sources, ignored by git), for the bundled build of
# cmake/bundled_zmq.cmake (-DCP_BUNDLED_ZMQ=ON). Idempotent. apt-get source needs
# the deb-src lines of the machine's Debian suite: when apt has none, this adds
# them in a file of their own (/etc/apt/sources.list.d/chargepointd-src.sources).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$root/third_party/zmq-sources}"
mkdir -p "$dir"
cd "$dir"
# The source packages of the installed binary packages, so headers and library agree; what
# was fetched is noted in .fetched, so an upgrade of the -dev packages fetches again.
want="zeromq3=$(dpkg-query -W -f='${source:Version}\n' libzmq3-dev | head -1) czmq=$(dpkg-query -W -f='${source:Version}\n' libczmq-dev | head -1)"
if [ "$(cat .fetched 2>/dev/null)" = "$want" ] \
   && compgen -G 'zeromq3-*/src/config.hpp' >/dev/null && compgen -G 'czmq-*/include/czmq.h' >/dev/null; then
  exit 0
fi
rm -rf zeromq3-* zeromq3_* czmq-* czmq_* .fetched      # another version, or half a fetch
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  # shellcheck disable=SC1091
  . /etc/os-release
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$VERSION_CODENAME" | $SUDO tee /etc/apt/sources.list.d/chargepointd-src.sources >/dev/null
  $SUDO apt-get update -qq
fi
command -v dpkg-source >/dev/null || $SUDO apt-get install -y -qq --no-install-recommends dpkg-dev
# shellcheck disable=SC2086
apt-get source -qq $want 2>&1 >/dev/null | { grep -v 'unsandboxed as root' >&2 || true; }
compgen -G 'zeromq3-*/src/config.hpp' >/dev/null && compgen -G 'czmq-*/include/czmq.h' >/dev/null
echo "$want" >.fetched
