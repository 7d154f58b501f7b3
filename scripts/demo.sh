#!/usr/bin/env bash
# demo.sh — `make demo`: a central system on loopback (tools/csms, printing
# every frame), chargepointd on simulated hardware connecting to it, and a
# scripted walk through what the controller does, narrated step by step:
# registration, a whole charging session, a fault, an actor crash.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

( cd test && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --silent; else npm install --no-audit --no-fund --silent; fi ) >/dev/null

STATE=$(mktemp -d /tmp/chargepointd-demo.XXXXXX)
PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
# The status page: 8080 (the default) when free, else any free loopback port.
HTTP_PORT=$(node -e 'const n=require("net");const t=(p)=>{const s=n.createServer().once("error",()=>t(0)).listen(p,"127.0.0.1",()=>{console.log(s.address().port);s.close()})};t(8080)')
CSMS_PID=""; CP_PID=""
cleanup() {
  [ -n "$CP_PID" ] && kill "$CP_PID" 2>/dev/null && wait "$CP_PID" 2>/dev/null || true
  [ -n "$CSMS_PID" ] && kill "$CSMS_PID" 2>/dev/null && wait "$CSMS_PID" 2>/dev/null || true
  rm -rf "$STATE"
}
trap cleanup EXIT

# Start the controller (again, after the kill) and wait until cpctl status shows PATTERN.
start_controller() {
  "$BUILD/chargepointd" --csms "ws://127.0.0.1:$PORT/ocpp" --id DEMO-CP-01 --connectors 2 \
    --state-dir "$STATE" --http "127.0.0.1:$HTTP_PORT" --log-level warn &
  CP_PID=$!
  for _ in $(seq 1 50); do
    cpctl status 2>/dev/null | grep -q "$1" && break
    sleep 0.2
  done
}
say() { printf '\n\033[1;36m== %s\033[0m\n' "$*"; }
cpctl() { "$BUILD/cpctl" --state-dir "$STATE" "$@"; }

say "central system listening on ws://127.0.0.1:$PORT/ocpp (frames are printed as they flow)"
node tools/csms/csms.mjs --port "$PORT" --interval 5 &
CSMS_PID=$!
sleep 0.5

say "chargepointd starts on simulated hardware: 2 connectors, identity DEMO-CP-01"
start_controller '"registration": "Accepted"'
say "registered: BootNotification Accepted, StatusNotification for connectors 0, 1 and 2"
say "the local status page follows along live at http://127.0.0.1:$HTTP_PORT/"
sleep 1
cpctl status

say "a charging session on connector 1: plug, present a card, the car charges (MeterValues every 2 s)"
cpctl config set MeterValueSampleInterval 2 >/dev/null
cpctl config set StopTxnSampledData Energy.Active.Import.Register >/dev/null
cpctl plug 1
sleep 1
cpctl swipe DEMO-CARD-1
sleep 1
cpctl ev 1 charge
for _ in 1 2 3; do
  sleep 2
  cpctl status | grep -E '"(status|energyWh|powerW|limitA)"' | head -4 | tr -s ' ' | paste -sd' '
done

say "Power Boost: a 25 A main fuse; the house draws 5 A, then the oven adds 17 A, then it is off again"
show_limit() { cpctl status | grep -E '"(status|powerW|limitA|dutyPct|limitSource)"' | head -5 | tr -s ' ' | paste -sd' '; }
cpctl config set PowerBoostMainFuse 25 >/dev/null
cpctl config set PowerBoostEnabled true >/dev/null
for load in 5 22 8; do
  cpctl grid "$load"
  sleep 1.5
  echo "house ${load} A:$(show_limit)"
done
cpctl config set PowerBoostEnabled false >/dev/null

say "the controller is killed (kill -9) mid-session: the board, a process of its own, keeps the car and"
say "the meter, and its watchdog opens the contactor; restarted, the controller finds the car still"
say "plugged and the session goes on under the same transaction (no StopTransaction, no new start)"
session() {
  cpctl status | node -e 'let s="";process.stdin.on("data",(d)=>{s+=d}).on("end",()=>{
    const c=JSON.parse(s).connectors.find((x)=>x.id===1);
    console.log(`transaction ${c?.transaction?.id ?? "none"}, ${c?.status}, ${c?.energyWh} Wh, contactor ${c?.contactor ? "closed" : "open"}`)})'
}
echo "before: $(session)"
kill -9 "$CP_PID"; wait "$CP_PID" 2>/dev/null || true
sleep 1
echo "controller dead, the board: $("$BUILD/chargepoint-simboard" --state-dir "$STATE" state 2>/dev/null)"
start_controller '"contactor": true'
sleep 2
echo "after:  $(session)"

say "the same card stops the session (StopTransaction with its meter values), the driver unplugs"
cpctl swipe DEMO-CARD-1
sleep 2
cpctl unplug 1
sleep 1.5

say "a fault on connector 2 (residual current): Faulted / GroundFailure, then cleared"
cpctl fault 2 rcd
sleep 1.5
cpctl fault 2 clear
sleep 1.5

say "fault injection: the transaction actor is killed and restarted by the supervisor"
cpctl actor kill transaction
sleep 1.5
cpctl actor list

say "heartbeats keep flowing every 5 s; the central system can read the configuration"
sleep 6
cpctl config get HeartbeatInterval

say "final status"
cpctl status
say "demo done"
