// foundation.mjs — measures the foundation's performance goals on the real binary:
//   - time from process start to the BootNotification reaching a loopback central system;
//   - resident memory (VmRSS, VmHWM) idle and connected, with 2 connectors;
//   - CPU used while idle and connected (utime+stime from /proc over a fixed window).
// Prints a Markdown table on stdout (scripts/bench.sh writes it to docs/benchmarks.md).
// Numbers, not assertions: these machines are shared and noisy, so tests never time things.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Csms } from '../tools/csms/csms.mjs';
import { freePort } from '../test/e2e/lib/harness.mjs';

const build = path.resolve(process.argv[2] || 'build');
const runs = Number(process.env.BENCH_RUNS || 10);
const idleSeconds = Number(process.env.BENCH_IDLE_S || 30);
const hz = 100; // USER_HZ on Linux

function procStat(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { utime: Number(fields[11]), stime: Number(fields[12]) };
}
function procMem(pid) {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number((text.match(new RegExp(`${k}:\\s+(\\d+)`)) || [0, 0])[1]);
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}
// The status page is measured as shipped (on), on a free port nothing else on the machine holds.
async function start(csms, stateDir) {
  const http = `127.0.0.1:${await freePort()}`;
  const t0 = process.hrtime.bigint();
  const child = spawn(path.join(build, 'chargepointd'),
    ['--csms', `ws://127.0.0.1:${csms.port}/ocpp`, '--id', 'BENCH', '--connectors', '2',
     '--state-dir', stateDir, '--http', http, '--log-level', 'warn'], { stdio: 'ignore' });
  return { child, t0 };
}
async function stop(child) {
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
}
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

const csms = new Csms({ port: 0, bootInterval: 300 });
await csms.start();
const boots = [];
for (let i = 0; i < runs; i++) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpd-bench-'));
  const seen = csms.frames.length;
  let bootAt = null;
  const { child, t0 } = await start(csms, dir);
  const deadline = Date.now() + 10000;
  while (bootAt === null && Date.now() < deadline) {
    const f = csms.frames.slice(seen).find((x) => x.dir === 'in' && x.msg && x.msg[2] === 'BootNotification');
    if (f) bootAt = f.hr ?? null;
    if (f && bootAt === null) bootAt = process.hrtime.bigint();
    await sleep(1);
  }
  boots.push(Number(bootAt - t0) / 1e6);
  await stop(child);
  fs.rmSync(dir, { recursive: true, force: true });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpd-bench-'));
const { child } = await start(csms, dir);
await sleep(3000); // connected, registered, statuses sent
const before = procStat(child.pid);
const t1 = Date.now();
await sleep(idleSeconds * 1000);
const after = procStat(child.pid);
const elapsed = (Date.now() - t1) / 1000;
const cpuPct = (((after.utime + after.stime) - (before.utime + before.stime)) / hz) / elapsed * 100;
const mem = procMem(child.pid);
await stop(child);
fs.rmSync(dir, { recursive: true, force: true });
await csms.stop();

const fmt = (x, d = 1) => x.toFixed(d);
console.log(`| measure | goal | measured |`);
console.log(`|---|---|---|`);
console.log(`| start → BootNotification at the CSMS, median of ${runs} (ms) | < 100 | ${fmt(quantile(boots, 0.5))} (min ${fmt(Math.min(...boots))}, max ${fmt(Math.max(...boots))}) |`);
console.log(`| idle CPU, connected, 2 connectors, over ${idleSeconds} s (% of one core) | < 0.5 | ${fmt(cpuPct, 2)} |`);
console.log(`| resident memory idle, 2 connectors (VmRSS, MB) | < 16 | ${fmt(mem.rss / 1024)} (peak ${fmt(mem.hwm / 1024)}) |`);
