#!/usr/bin/env bash
# install-deps.sh — installs the Debian packages chargepointd builds and
# tests with. Idempotent: does nothing when everything is present. Runs
# apt-get as root, or through sudo when not root. chromium is for the
# status page's browser test (test/e2e/status_page_browser.test.mjs);
# libcurl and zlib for the firmware actor's transfers and diagnostics
# archive, python3-pyftpdlib for the FTP server of test/e2e/firmware.test.mjs
# (python3-openssl for its FTPS side: pyftpdlib does not pull it in).
set -euo pipefail

packages=(build-essential cmake pkg-config
          libzmq3-dev libczmq-dev libmsgpack-dev libwebsockets-dev
          libmbedtls-dev libcmocka-dev libsqlite3-dev libjansson-dev
          libcurl4-openssl-dev zlib1g-dev python3-pyftpdlib python3-openssl
          openssl clang nodejs npm chromium)

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
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
