// firmware_transfer.mjs — the transfer figures issue 14 asks for, on the real binary:
//   - download throughput of a firmware image over loopback HTTP (5 MB and 50 MB), from the
//     request reaching the server to FirmwareStatusNotification Downloaded;
//   - the controller's peak VmRSS during each download against its VmRSS before (streamed to
//     disk: the peak must not grow with the file);
//   - GetConfiguration round trips (1 key, through our loopback CSMS) idle and while the 50 MB
//     download runs: a transfer runs on its own thread and must not slow the OCPP loop;
//   - the diagnostics upload: archive size and Uploading → Uploaded, with the persistent log full
//     (its bound, CP_LOG_FILE_BYTES, caps what an archive can hold).
// The image starts with a line the simulated board refuses, so each download ends in
// InstallationFailed instead of a restart: only the transfer is measured.
// Prints a Markdown table on stdout (scripts/bench.sh writes it to docs/benchmarks.md).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { Csms } from '../tools/csms/csms.mjs';

const build = path.resolve(process.argv[2] || 'build');
const MB = 1024 * 1024;

function vmRss(pid) {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const fmt = (x, d = 1) => x.toFixed(d);

// The file server, on a thread of its own (its event loop writing 50 MB must not delay the
// CSMS's round trips): /fw-<MB>.bin streams an image of that size; /upload takes a POST. It
// posts {kind, url|bytes, at} to this thread.
const FILE_SERVER = `
const http = require('node:http');
const { parentPort } = require('node:worker_threads');
const MB = 1024 * 1024;
const CHUNK = Buffer.alloc(256 * 1024, 'f');
const server = http.createServer((req, res) => {
  const m = /^\\/fw-(\\d+)\\.bin$/.exec(req.url);
  if (req.method === 'GET' && m) {
    const size = Number(m[1]) * MB;
    parentPort.postMessage({ kind: 'request', url: req.url, at: process.hrtime.bigint() });
    res.setHeader('Content-Length', size);
    res.write('NOT-A-CHARGEPOINTD-IMAGE bench\\n');
    let left = size - 31;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, CHUNK.length);
        left -= n;
        if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return res.once('drain', pump);
      }
      return res.end();
    };
    return pump();
  }
  if (req.method === 'POST' && req.url === '/upload') {
    let bytes = 0;
    req.on('data', (d) => { bytes += d.length; });
    req.on('end', () => { parentPort.postMessage({ kind: 'upload', bytes, at: process.hrtime.bigint() }); res.end('ok'); });
    return undefined;
  }
  res.statusCode = 404;
  return res.end();
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ kind: 'port', port: server.address().port }));
`;
const requests = [];
const uploads = [];
const files = new Worker(FILE_SERVER, { eval: true });
const filePort = await new Promise((resolve) => files.on('message', (m) => {
  if (m.kind === 'port') resolve(m.port);
  else if (m.kind === 'request') requests.push(m);
  else if (m.kind === 'upload') uploads.push(m);
}));
const base = `http://127.0.0.1:${filePort}`;

// A persistent log filled to its bound (4 files of 1 MB), stamped now, for the diagnostics.
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpd-bench-fw-'));
fs.mkdirSync(path.join(stateDir, 'log'));
for (let i = 3; i >= 1; i--) {
  const line = `${new Date().toISOString()} info  bench       a line of ${i} to fill the log to its bound ${'.'.repeat(60)}\n`;
  fs.writeFileSync(path.join(stateDir, 'log', `chargepointd.log.${i}`), line.repeat(Math.floor((MB - 4096) / line.length)));
}

const csms = new Csms({ port: 0, bootInterval: 300 });
await csms.start();
const child = spawn(path.join(build, 'chargepointd'),
  ['--csms', `ws://127.0.0.1:${csms.port}/ocpp`, '--id', 'BENCH', '--connectors', '2',
   '--state-dir', stateDir, '--http', 'off', '--log-level', 'warn'], { stdio: 'ignore' });
const deadlineBoot = Date.now() + 20000;
while (!csms.frames.some((f) => f.dir === 'in' && f.msg?.[2] === 'StatusNotification') && Date.now() < deadlineBoot) await sleep(20);
await sleep(1500);

async function roundTrip() {
  const t = process.hrtime.bigint();
  await csms.call('GetConfiguration', { key: ['HeartbeatInterval'] });
  return Number(process.hrtime.bigint() - t) / 1e6;
}
const notification = (action, status, since) => csms.frames.slice(since)
  .find((f) => f.dir === 'in' && f.msg?.[2] === action && f.msg[3]?.status === status);

const idle = [];
for (let i = 0; i < 300; i++) idle.push(await roundTrip());

// One download of `mb` MB: throughput, RSS before/peak, round trips while it runs.
async function download(mb, probe) {
  const since = csms.frames.length;
  const rssBefore = vmRss(child.pid);
  let peak = rssBefore;
  const during = [];
  const sampler = setInterval(() => { peak = Math.max(peak, vmRss(child.pid)); }, 20);
  await csms.call('UpdateFirmware', { location: `${base}/fw-${mb}.bin`, retrieveDate: new Date().toISOString() });
  const deadline = Date.now() + 120000;
  let done = null;
  while (!done && Date.now() < deadline) {
    if (probe && requests.some((r) => r.url === `/fw-${mb}.bin`)) during.push(await roundTrip());
    else await sleep(5);
    done = notification('FirmwareStatusNotification', 'Downloaded', since)
      ?? notification('FirmwareStatusNotification', 'DownloadFailed', since);
  }
  const doneAt = process.hrtime.bigint();
  clearInterval(sampler);
  const started = requests.filter((r) => r.url === `/fw-${mb}.bin`).at(-1)?.at;
  const seconds = started ? Number(doneAt - started) / 1e9 : NaN;
  const ok = done?.msg[3].status === 'Downloaded';
  // Let the (refused) install finish before the next job.
  const end = Date.now() + 20000;
  while (!notification('FirmwareStatusNotification', 'InstallationFailed', since) && Date.now() < end) await sleep(20);
  return { mb, ok, seconds, rssBefore, peak, during };
}

const small = await download(5, false);
const large = await download(50, true);

const diagSince = csms.frames.length;
await csms.call('GetDiagnostics', { location: `${base}/upload` });
const uploadDeadline = Date.now() + 60000;
while (!notification('DiagnosticsStatusNotification', 'Uploaded', diagSince) && Date.now() < uploadDeadline) await sleep(5);
const uploading = notification('DiagnosticsStatusNotification', 'Uploading', diagSince);
const uploaded = notification('DiagnosticsStatusNotification', 'Uploaded', diagSince);

child.kill('SIGTERM');
await new Promise((r) => child.on('exit', r));
await csms.stop();
await files.terminate();
fs.rmSync(stateDir, { recursive: true, force: true });

const rate = (d) => (d.ok ? `${fmt(d.mb / d.seconds, 0)} MB/s (${fmt(d.seconds * 1000, 0)} ms)` : 'failed');
console.log('| measure | goal | measured |');
console.log('|---|---|---|');
console.log(`| download 5 MB over loopback HTTP, request → Downloaded | ≥ 100 MB/s | ${rate(small)} |`);
console.log(`| download 50 MB over loopback HTTP, request → Downloaded | ≥ 100 MB/s | ${rate(large)} |`);
console.log(`| VmRSS before → peak during the 5 MB download (MB) | no growth with size | ${fmt(small.rssBefore)} → ${fmt(small.peak)} |`);
console.log(`| VmRSS before → peak during the 50 MB download (MB) | no growth with size | ${fmt(large.rssBefore)} → ${fmt(large.peak)} |`);
console.log(`| GetConfiguration round trip idle, p50 / p99 of ${idle.length} (ms, via the loopback CSMS) | — | ${fmt(quantile(idle, 0.5), 2)} / ${fmt(quantile(idle, 0.99), 2)} |`);
console.log(`| same, during the 50 MB download, p50 / p99 of ${large.during.length} (ms) | p99 ≤ idle p99 | ${large.during.length ? `${fmt(quantile(large.during, 0.5), 2)} / ${fmt(quantile(large.during, 0.99), 2)}` : 'none measured'} |`);
const upload = uploads.at(-1);
console.log(`| diagnostics with the log at its bound (4 MB): archive size, Uploading → Uploaded | — | ${upload ? `${fmt(upload.bytes / 1024, 0)} KB, ${uploaded && uploading ? `${uploaded.t - uploading.t} ms` : '?'}` : 'no upload'} |`);
