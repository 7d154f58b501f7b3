#!/bin/sh
# deb-test.sh — `make deb-test`: the package's programs work from their installed paths.
#
# Why it exists: issue 16. The .deb is unpacked into a throw-away root with
# dpkg-deb -x (dpkg --root would need every dependency inside that root too),
# the layout is checked, `chargepointd --version` runs from root/usr/bin, and
# test/e2e/systemd.test.mjs runs against those binaries: a boot against the
# loopback test CSMS, readiness and the watchdog. The root is removed after.
set -eu
BUILD=${1:-build}
deb=$(ls "$BUILD"/chargepointd_*.deb | head -1)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
for f in usr/bin/chargepointd usr/bin/cpctl usr/bin/chargepoint-simboard \
         etc/chargepointd/chargepointd.conf usr/lib/systemd/system/chargepointd.service; do
    [ -e "$root/$f" ] || { echo "deb-test: FAIL: $f missing from $deb"; exit 1; }
done
# dpkg-shlibdeps ran: it adds the C library with a minimum version (every other
# library the binary needs is linked in: README, "libwebsockets built in")
dpkg-deb -f "$deb" Depends | grep -q "libc6 (>= " || { echo "deb-test: FAIL: no shlibdeps Depends"; exit 1; }
dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles | grep -qx /etc/chargepointd/chargepointd.conf \
    || { echo "deb-test: FAIL: the config is not a conffile"; exit 1; }
v=$("$root/usr/bin/chargepointd" --version)
case "$v" in "chargepointd "*) ;; *) echo "deb-test: FAIL: --version said '$v'"; exit 1;; esac
CP_BUILD="$root/usr/bin" node --test --test-concurrency=1 test/e2e/systemd.test.mjs >"$BUILD/deb-test.log" 2>&1 \
    || { cat "$BUILD/deb-test.log"; echo "deb-test: FAIL"; exit 1; }
echo "deb-test: ok ($v, $(stat -c %s "$deb") bytes)"
