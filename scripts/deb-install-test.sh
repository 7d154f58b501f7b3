#!/usr/bin/env bash
# deb-install-test.sh [BUILD_DIR] — `make deb-install-test`: the package installed on this
# machine for real, used, removed and purged.
#
# Why it exists: issue 16. `make deb-test` unpacks the .deb into a throw-away root, which
# never runs the maintainer scripts. This test does what a charger maker's image build and
# a field update do: `dpkg -i` (postinst makes the system user, owns the state dir, enables
# the unit), `chargepointd --version`, then a charging session (plug, card, charge, card,
# unplug) with the installed programs started by the unit's own ExecStart= line as the
# unit's User= against the loopback test CSMS (tools/csms), `systemd-analyze verify` of the
# installed unit, `dpkg -r` (the edited conffile must stay), `dpkg --purge` (it must go,
# and with it the state dir, the user, the unit's enablement links; nothing named
# chargepointd may be left in /etc, /usr, /var or /run that was not there before).
# It changes the machine, so it is not part of `make test`, and it refuses to run where
# chargepointd is already installed or its user exists. Without systemd as PID 1 (a
# container) the unit is verified and enabled but not started: the run says so.
set -euo pipefail
[ $# -le 1 ] || { echo "usage: scripts/deb-install-test.sh [BUILD_DIR]" >&2; exit 2; }
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-build}"
case "$build" in /*) ;; *) build="$root/$build" ;; esac
cd "$root"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
deb=$(ls "$build"/chargepointd_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || { echo "deb-install-test: no $build/chargepointd_*.deb (make deb)" >&2; exit 1; }
fail() { echo "deb-install-test: FAIL: $*" >&2; exit 1; }
ok() { echo "deb-install-test: ok: $*"; }

# Never replace or purge an installation this test did not make.
if dpkg-query -W -f='${Status}' chargepointd 2>/dev/null | grep -qv "not-installed"; then
  fail "the package chargepointd is already on this machine ($(dpkg-query -W -f='${Status}' chargepointd)); not touching it"
fi
getent passwd chargepointd >/dev/null && fail "a user chargepointd exists already; not touching it"
[ -e /usr/bin/chargepointd ] && fail "/usr/bin/chargepointd exists outside any package; not touching it"

unit=/usr/lib/systemd/system/chargepointd.service
state=/var/lib/chargepointd
conf=/etc/chargepointd/chargepointd.conf
snapshot() { find /etc /usr /var /run -xdev -name '*chargepointd*' 2>/dev/null | sort; }
tmp=$(mktemp -d)
csms_pid=""; cp_pid=""; installed=0
cleanup() {
  [ -n "$cp_pid" ] && kill -TERM "$cp_pid" 2>/dev/null && wait "$cp_pid" 2>/dev/null || true
  [ -n "$csms_pid" ] && kill "$csms_pid" 2>/dev/null && wait "$csms_pid" 2>/dev/null || true
  # A failed run leaves the machine as it found it.
  if [ "$installed" = 1 ]; then $SUDO dpkg --purge chargepointd >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
snapshot >"$tmp/before"

# --- install ------------------------------------------------------------------------------
installed=1
$SUDO dpkg -i "$deb" >"$tmp/dpkg-i.log" 2>&1 || { cat "$tmp/dpkg-i.log"; fail "dpkg -i $deb"; }
dpkg-query -W -f='${Status}' chargepointd | grep -qx "install ok installed" || fail "not installed after dpkg -i"
for f in /usr/bin/chargepointd /usr/bin/cpctl /usr/bin/chargepoint-simboard "$conf" "$unit"; do
  [ -e "$f" ] || fail "$f missing after dpkg -i"
done
dpkg-query -W -f='${Conffiles}' chargepointd | grep -q " $conf " || fail "$conf is not a registered conffile"
getent passwd chargepointd >/dev/null || fail "postinst made no user chargepointd"
[ "$(stat -c '%U:%G %a' "$state")" = "chargepointd:chargepointd 750" ] ||
  fail "$state is $(stat -c '%U:%G %a' "$state"), not chargepointd:chargepointd 750"
[ -L /etc/systemd/system/multi-user.target.wants/chargepointd.service ] ||
  fail "postinst did not enable the unit (no multi-user.target.wants link)"
ok "dpkg -i: programs, conffile, user chargepointd, $state 0750, unit enabled"
v=$(/usr/bin/chargepointd --version)
case "$v" in "chargepointd "*) ok "--version: $v" ;; *) fail "--version said '$v'" ;; esac
if command -v systemd-analyze >/dev/null; then
  out=$(systemd-analyze verify "$unit" 2>&1) || { echo "$out"; fail "systemd-analyze verify $unit"; }
  [ -z "$out" ] || { echo "$out"; fail "systemd-analyze verify $unit warned"; }
  ok "systemd-analyze verify $unit"
fi
pid1=$(ps -p 1 -o comm=)
if [ "$pid1" != systemd ]; then
  echo "deb-install-test: note: PID 1 is '$pid1', not systemd: the unit is verified and enabled, not started;"
  echo "deb-install-test: note: the session below runs its ExecStart= line as its User= instead"
fi

# --- a session from the installed paths, as the unit would run it -------------------------
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
node tools/csms/csms.mjs --port "$port" --interval 30 >"$tmp/csms.log" 2>&1 &
csms_pid=$!
read -r -a exec_start <<<"$(sed -n 's/^ExecStart=//p' "$unit")"
[ "${exec_start[0]}" = /usr/bin/chargepointd ] || fail "the unit's ExecStart= is '${exec_start[*]}'"
user=$(sed -n 's/^User=//p' "$unit")
$SUDO setpriv --reuid="$user" --regid="$user" --init-groups -- "${exec_start[@]}" --csms "ws://127.0.0.1:$port/ocpp" --id DEB-TEST-01 \
  --http off >"$tmp/chargepointd.log" 2>&1 &
cp_pid=$!
cpctl() { $SUDO /usr/bin/cpctl --state-dir "$state" "$@"; }
# wait_for WHAT SECONDS COMMAND... — until COMMAND succeeds.
wait_for() {
  local what=$1 seconds=$2; shift 2
  local i
  for ((i = 0; i < seconds * 5; i++)); do "$@" && return 0; sleep 0.2; done
  echo "--- chargepointd"; tail -30 "$tmp/chargepointd.log"; echo "--- csms"; tail -30 "$tmp/csms.log"
  fail "$what within ${seconds}s"
}
status_has() { cpctl status 2>/dev/null | grep -q "$1"; }
csms_saw() { grep -q "$1" "$tmp/csms.log"; }
wait_for "registration Accepted" 30 status_has '"registration": "Accepted"'
cpctl plug 1 >/dev/null
cpctl swipe DEB-CARD-1 >/dev/null
cpctl ev 1 charge >/dev/null
wait_for "StartTransaction at the central system" 20 csms_saw StartTransaction
wait_for "connector 1 Charging" 20 status_has '"status": "Charging"'
sleep 2
cpctl swipe DEB-CARD-1 >/dev/null
wait_for "StopTransaction at the central system" 20 csms_saw StopTransaction
cpctl unplug 1 >/dev/null
owner=$(stat -c %U "$state/chargepointd.db")
[ "$owner" = "$user" ] || fail "$state/chargepointd.db is owned by $owner, not $user"
kill -TERM "$cp_pid"
rc=0; wait "$cp_pid" || rc=$?
cp_pid=""
[ "$rc" = 0 ] || { tail -30 "$tmp/chargepointd.log"; fail "chargepointd exited $rc on SIGTERM"; }
for _ in $(seq 1 25); do pgrep -u "$user" >/dev/null || break; sleep 0.2; done
pgrep -u "$user" >/dev/null && fail "processes of $user still run after the controller stopped: $(pgrep -u "$user" -a)"
ok "session as $user via the unit's ExecStart=: BootNotification, StartTransaction, StopTransaction; clean stop"

# --- remove: the conffile (edited, as an installer would) stays ----------------------------
echo "csms = ws://127.0.0.1:$port/ocpp" | $SUDO tee -a "$conf" >/dev/null
$SUDO dpkg -r chargepointd >"$tmp/dpkg-r.log" 2>&1 || { cat "$tmp/dpkg-r.log"; fail "dpkg -r"; }
dpkg-query -W -f='${Status}' chargepointd | grep -qx "deinstall ok config-files" || fail "not in config-files state after dpkg -r"
[ ! -e /usr/bin/chargepointd ] && [ ! -e "$unit" ] || fail "programs or unit left after dpkg -r"
grep -q "^csms = ws://127.0.0.1:$port/ocpp" "$conf" || fail "dpkg -r did not keep the edited $conf"
ok "dpkg -r: programs and unit gone, the edited conffile kept"

# --- purge: nothing left ------------------------------------------------------------------
$SUDO dpkg --purge chargepointd >"$tmp/dpkg-purge.log" 2>&1 || { cat "$tmp/dpkg-purge.log"; fail "dpkg --purge"; }
installed=0
dpkg-query -W -f='${Status}' chargepointd 2>/dev/null | grep -qv "not-installed" &&
  fail "dpkg still knows chargepointd after purge: $(dpkg-query -W -f='${Status}' chargepointd)"
getent passwd chargepointd >/dev/null && fail "the user chargepointd is left after purge"
getent group chargepointd >/dev/null && fail "the group chargepointd is left after purge"
snapshot >"$tmp/after"
left=$(comm -13 "$tmp/before" "$tmp/after")
[ -z "$left" ] || { echo "$left"; fail "left after purge (above)"; }
ok "dpkg --purge: no file, directory, link, user or group named chargepointd left"
echo "deb-install-test: ok ($(basename "$deb"))"
