// tls.mjs — what the security profiles cost on the real binary (issue 15's closing figures):
//   - the connection set-up (TCP, TLS handshake, HTTP upgrade) as the controller logs it, from
//     "connecting to" to "connected", for profile 1 (ws:// + Basic), 2 (wss:// + Basic, an RSA
//     2048 server certificate) and 3 (wss:// + the Charge Point's ECDSA P-256 client certificate);
//   - resident memory once connected and registered under each (VmRSS): the difference between
//     1 and 2 is what OpenSSL's TLS costs the process.
// Prints a Markdown table on stdout. Numbers, not assertions.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Csms } from '../tools/csms/csms.mjs';
import { makeCerts } from '../test/e2e/lib/certs.mjs';

const build = path.resolve(process.argv[2] || 'build');
const runs = Number(process.env.BENCH_RUNS || 7);
const PASSWORD = '0123456789abcdef0123456789abcdef';
const SERIAL = 'BENCH-TLS-1';

const certs = makeCerts();
const client = certs.issue('bench-cp', `DNS:${SERIAL}`, { eku: 'clientAuth', cn: SERIAL });
const profiles = [
  { profile: 1, csms: new Csms({ port: 0, basicAuth: { BENCH: PASSWORD } }), args: [] },
  { profile: 2, csms: new Csms({ port: 0, tls: { key: certs.serverKey, cert: certs.serverCert },
    basicAuth: { BENCH: PASSWORD } }), args: ['--ca-file', certs.caFile] },
  { profile: 3, csms: new Csms({ port: 0, tls: { key: certs.serverKey, cert: certs.serverCert, requestCert: true,
    ca: certs.caCert } }), args: ['--ca-file', certs.caFile, '--client-cert', client.certFile,
    '--client-key', client.keyFile, '--serial', SERIAL] },
];

const stamp = (line) => Date.parse(line.slice(0, 24));
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
function rss(pid) {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number((text.match(/VmRSS:\s+(\d+)/) || [0, 0])[1]);
}

async function once(p, measureMemory) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpd-bench-tls-'));
  if (p.profile === 3) fs.writeFileSync(path.join(dir, 'seed.conf'), 'SecurityProfile = 3\n');
  const args = ['--csms', p.csms.url, '--id', 'BENCH', '--state-dir', dir, '--http', 'off', '--log-level', 'info',
    ...p.args, ...(p.profile === 3 ? ['--config', path.join(dir, 'seed.conf')] : [])];
  const child = spawn(path.join(build, 'chargepointd'), args, {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CHARGEPOINTD_PASSWORD: p.profile === 3 ? '' : PASSWORD } });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const deadline = Date.now() + 15000;
  let ms = null;
  while (ms === null && Date.now() < deadline) {
    const lines = out.split('\n');
    const from = lines.find((l) => / ocpp +connecting to /.test(l));
    const to = lines.find((l) => / ocpp +connected$/.test(l));
    if (from && to) ms = stamp(to) - stamp(from);
    await sleep(20);
  }
  let kb = null;
  if (measureMemory && ms !== null) {
    await sleep(2000);              // registered, statuses sent
    kb = rss(child.pid);
  }
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  fs.rmSync(dir, { recursive: true, force: true });
  return { ms, kb };
}

const rows = [];
for (const p of profiles) {
  await p.csms.start();
  const times = [];
  let kb = null;
  for (let i = 0; i < runs; i++) {
    const r = await once(p, i === runs - 1);
    if (r.ms !== null) times.push(r.ms);
    if (r.kb !== null) kb = r.kb;
  }
  const link = p.csms.connections.at(-1);
  rows.push({ ...p, times, kb, tls: link?.tls, cert: link?.clientCertificate?.subject?.CN });
  await p.csms.stop();
}
certs.remove();

console.log('| profile | link | connection set-up, median of the runs (ms) | VmRSS connected (MB) |');
console.log('|---|---|---|---|');
for (const r of rows) {
  const what = r.profile === 1 ? 'ws:// + Basic' : r.profile === 2 ? 'wss:// + Basic (RSA 2048 server)'
    : `wss:// + client certificate (P-256, CN ${r.cert ?? '?'})`;
  const t = r.times.length ? `${quantile(r.times, 0.5)} (max ${Math.max(...r.times)}, ${r.times.length} runs)` : 'failed';
  console.log(`| ${r.profile} | ${what} | ${t} | ${r.kb ? (r.kb / 1024).toFixed(1) : '?'} |`);
}
const [p1, p2] = rows;
if (p1.kb && p2.kb) console.log(`\nTLS adds ${((p2.kb - p1.kb) / 1024).toFixed(1)} MB resident (profile 2 − profile 1).`);
