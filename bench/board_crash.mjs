// board_crash.mjs — the figures issue 13 asks for, on the real binaries (chargepointd with the
// simulated board, chargepoint-simboard, as a process of its own):
//   - controller crash → registered again: from the crash (SIGKILL by this script, or the SIGSEGV
//     `cpctl actor crash transaction` raises) to BootNotification.conf at a loopback central
//     system, with the controller started again the moment the old one is gone (what systemd's
//     Restart=always with RestartSec=0 does), a session running; also crash → charging again
//     (the same transaction, contactor closed);
//   - contactor-open time after the controller dies: the board logs the wall time its watchdog
//     opened the contactor ("opened at wall N ms"), compared with the moment of the SIGKILL;
//   - board-link round trip: the driver's own measure of one READ → STATE exchange over the
//     board socket (`cpctl status` .board.rttUs), sampled while a session runs.
// Prints a Markdown table on stdout (scripts/bench.sh writes it to docs/benchmarks.md).
// Numbers, not assertions: the e2e tests (board.test.mjs) assert the ≤ 500 ms watchdog.
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Csms } from '../tools/csms/csms.mjs';

const build = path.resolve(process.argv[2] || 'build');
const runs = Number(process.env.BENCH_RUNS || 5);
const run = promisify(execFile);
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const fmt = (x, d = 0) => x.toFixed(d);
const summary = (xs, d = 0) => `${fmt(quantile(xs, 0.5), d)} (min ${fmt(Math.min(...xs), d)}, max ${fmt(Math.max(...xs), d)})`;

async function waitFor(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`board_crash: not within ${timeoutMs} ms: ${what}${process.env.BENCH_DEBUG ? await debugStatus() : ''}`);
    await sleep(2);
  }
}

const csms = new Csms({ port: 0, bootInterval: 300 });
await csms.start();
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpd-bench-board-'));
const cpctl = (...args) => run(path.join(build, 'cpctl'), ['--state-dir', stateDir, ...args], { timeout: 10000 });
const status = async () => JSON.parse((await cpctl('status')).stdout);
const connector = (s) => s.connectors.find((c) => c.id === 1);
const boardLog = () => { try { return fs.readFileSync(path.join(stateDir, 'board.log'), 'utf8'); } catch { return ''; } };

let child = null;
function startController() {
  child = spawn(path.join(build, 'chargepointd'),
    ['--csms', `ws://127.0.0.1:${csms.port}/ocpp`, '--id', 'BENCH', '--state-dir', stateDir,
     '--http', 'off', '--log-level', 'warn'], { stdio: 'ignore' });
  child.gone = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return child;
}
// The BootNotification.conf of a BootNotification received after frame index `since`.
function bootConf(since) {
  const frames = csms.frames.slice(since);
  const boot = frames.find((f) => f.dir === 'in' && f.msg?.[2] === 'BootNotification');
  return boot && frames.find((f) => f.dir === 'out' && f.msg?.[0] === 3 && f.msg[1] === boot.msg[1]);
}
// BENCH_DEBUG=1: a timeout also prints the controller's status.
async function debugStatus() {
  try { return `\n${(await cpctl('status')).stdout}`; } catch (e) { return `\n${e}`; }
}
const charging = (s, txId) => connector(s)?.transaction?.id === txId && connector(s).contactor === true;

try {
  startController();
  await waitFor(() => bootConf(0), 20000, 'first BootNotification.conf');
  await waitFor(async () => { try { return (await status()).ocpp.registration === 'Accepted'; } catch { return false; } },
    20000, 'registered');
  await cpctl('plug', '1');
  await cpctl('swipe', 'BENCH-TAG');
  await cpctl('ev', '1', 'charge');
  const s0 = await waitFor(async () => { const s = await status(); return connector(s).transaction?.id != null
    && connector(s).contactor === true && s; }, 20000, 'a session charging');
  const txId = connector(s0).transaction.id;

  // Board-link round trip: the driver measures each READ → STATE; sample it.
  const rtts = [];
  for (let i = 0; i < 100; i++) {
    const s = await status();
    if (s.board?.rttUs > 0) rtts.push(s.board.rttUs);
    await sleep(20);
  }

  // Crashes with the controller started again at once (systemd's Restart=always, RestartSec=0):
  // it links to the board within the watchdog's 500 ms, so the contactor may never open. Then
  // SIGKILLs with the controller left dead until the board's watchdog has acted: the
  // contactor-open time, and how long the car then waits for charging to resume.
  const rows = { kill: { boot: [], charge: [] }, segv: { boot: [], charge: [] }, dead: { open: [], charge: [] } };
  for (const kind of ['kill', 'segv', 'dead']) {
    for (let i = 0; i < runs; i++) {
      const since = csms.frames.length;
      const logBefore = boardLog().length;
      const crashedAt = Date.now();
      // cpctl may wait for an answer the dying controller never sends: the crash is timed by the
      // process's death, not by cpctl's exit.
      if (kind === 'segv') cpctl('actor', 'crash', 'transaction').catch(() => {});
      else child.kill('SIGKILL');
      const exit = await child.gone;
      if (kind === 'segv' && exit.signal !== 'SIGSEGV') throw new Error(`board_crash: died by ${exit.signal ?? exit.code}`);
      if (kind === 'dead') {
        const line = await waitFor(() => boardLog().slice(logBefore).split('\n')
          .find((l) => /watchdog: no pet .* opened at wall \d+ ms/.test(l)), 5000, 'the board\'s watchdog opens the contactor');
        rows.dead.open.push(Number(/opened at wall (\d+) ms/.exec(line)[1]) - crashedAt);
      }
      const restartedAt = Date.now();
      startController();
      const conf = await waitFor(() => bootConf(since), 20000, 'BootNotification.conf after the crash');
      if (kind !== 'dead') rows[kind].boot.push(conf.t - crashedAt);
      await waitFor(async () => { try { return charging(await status(), txId); } catch { return false; } },
        30000, 'the same transaction charging again');
      rows[kind].charge.push(Date.now() - (kind === 'dead' ? restartedAt : crashedAt));
      await sleep(300);   // charging settles before the next crash
    }
  }
  const stops = csms.frames.filter((f) => f.dir === 'in' && f.msg?.[2] === 'StopTransaction').length;
  const starts = csms.frames.filter((f) => f.dir === 'in' && f.msg?.[2] === 'StartTransaction').length;

  console.log('| measure | goal | measured (median, min, max) |');
  console.log('|---|---|---|');
  console.log(`| SIGKILL of the controller → BootNotification.conf, restarted at once, session running (ms, ${runs} runs) | < 1000 | ${summary(rows.kill.boot)} |`);
  console.log(`| SIGSEGV (cpctl actor crash transaction) → BootNotification.conf (ms, ${runs} runs) | < 1000 | ${summary(rows.segv.boot)} |`);
  console.log(`| SIGKILL → the same transaction charging again, restarted at once (ms) | — | ${summary(rows.kill.charge)} |`);
  console.log(`| SIGSEGV → the same transaction charging again (ms) | — | ${summary(rows.segv.charge)} |`);
  console.log(`| SIGKILL, controller left dead → the board's watchdog opens the contactor (ms, ${runs} runs) | ≤ 500 | ${summary(rows.dead.open)} |`);
  console.log(`| then: controller started → the same transaction charging again (ms) | — | ${summary(rows.dead.charge)} |`);
  console.log(`| board-link round trip READ → STATE over the board socket, ${rtts.length} samples (µs) | — | p50 ${quantile(rtts, 0.5)}, p99 ${quantile(rtts, 0.99)} |`);
  console.log();
  console.log(`${3 * runs} crashes of one session: ${starts} StartTransaction, ${stops} StopTransaction at the central system.`);
} finally {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');     // a clean stop powers the simulated board down too
    await Promise.race([child.gone, sleep(10000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  try { await run(path.join(build, 'chargepoint-simboard'), ['--state-dir', stateDir, 'power-down'], { timeout: 5000 }); } catch { /* down */ }
  await csms.stop();
  fs.rmSync(stateDir, { recursive: true, force: true });
}
