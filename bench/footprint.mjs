// footprint.mjs — where the idle controller's memory is (issue 12): the controller connected to a
// loopback central system with 2 connectors, settled, then /proc/PID/smaps read and grouped:
//   - each shared object (our binary, libzmq, libc, …): its file-backed text and data, plus the
//     anonymous .bss right after it;
//   - thread stacks (anonymous mappings preceded by a guard page and not a malloc arena),
//     malloc arenas (per-thread heaps: anonymous, 64 MB-aligned), the main heap, other anonymous;
// with Rss, Pss and private dirty pages (relocated data, .bss: what each process pays alone) of
// each, and the thread count, read FOOTPRINT_SETTLE_S (default 3) seconds after the first
// StatusNotification. Prints a Markdown table, biggest Pss first. Pss is shared with every other
// process mapping the same library, so on a busy machine it moves; Rss and private dirty do not.
// Environment variables reach the controller (MALLOC_ARENA_MAX=…, LD_LIBRARY_PATH=… to try
// another build of a library). FOOTPRINT_RUNS (default 3) starts: the median of each row.
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { startIdle, stopIdle } from './idle_controller.mjs';

const build = path.resolve(process.argv[2] || 'build');
const runs = Number(process.env.FOOTPRINT_RUNS || 3);
const settleMs = Number(process.env.FOOTPRINT_SETTLE_S || 3) * 1000;

// One mapping per entry: { start, end, perms, path, rss, pss }.
function smaps(pid) {
  const out = [];
  let cur = null;
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = line.match(/^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+\s*(.*)$/);
    if (head) {
      cur = { start: BigInt(`0x${head[1]}`), end: BigInt(`0x${head[2]}`), perms: head[3], path: head[4], rss: 0, pss: 0, dirty: 0 };
      out.push(cur);
      continue;
    }
    const kv = line.match(/^(Rss|Pss|Private_Dirty):\s+(\d+) kB/);
    if (kv && cur) cur[kv[1] === 'Private_Dirty' ? 'dirty' : kv[1].toLowerCase()] = Number(kv[2]);
  }
  return out;
}

const ARENA = 64n << 20n;                     // glibc's HEAP_MAX_SIZE on 64-bit
function classify(maps) {
  const groups = new Map();
  const add = (name, m) => {
    const g = groups.get(name) || { rss: 0, pss: 0, dirty: 0, maps: 0 };
    g.rss += m.rss; g.pss += m.pss; g.dirty += m.dirty; g.maps += 1;
    groups.set(name, g);
  };
  let lastFile = null;
  for (let i = 0; i < maps.length; i++) {
    const m = maps[i];
    const prev = maps[i - 1];
    if (m.path.startsWith('/')) {
      lastFile = { name: path.basename(m.path), end: m.end };
      add(lastFile.name, m);
    } else if (m.path === '[heap]') add('[heap] main arena', m);
    else if (m.path.startsWith('[stack')) add('[stack] main thread', m);
    else if (m.path.startsWith('[v')) add('[vdso, vvar]', m);
    else if (m.start % ARENA === 0n) add('malloc arenas (threads)', m);
    else if (m.perms === '---p') add('guard pages', m);
    else if (lastFile && prev && prev.end === m.start && lastFile.end === m.start) add(lastFile.name, m);   // .bss
    else if (prev && prev.perms === '---p' && prev.end === m.start && prev.start % ARENA !== 0n) add('thread stacks', m);
    else add('other anonymous', m);
  }
  return groups;
}

async function one() {
  const idle = await startIdle(build, 'FOOT');
  const { child } = idle;
  await sleep(settleMs);                             // settle after boot
  const groups = classify(smaps(child.pid));
  const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kb = (k) => Number((status.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm')) || [0, 0])[1]);
  const rollup = fs.readFileSync(`/proc/${child.pid}/smaps_rollup`, 'utf8');
  const pss = Number(rollup.match(/^Pss:\s+(\d+)/m)[1]);
  const libs = [...new Set(fs.readFileSync(`/proc/${child.pid}/maps`, 'utf8').split('\n')
    .map((l) => l.split(/\s+/)[5]).filter((p) => p && p.includes('.so')))].length;
  const totals = { rss: kb('VmRSS'), pss, threads: kb('Threads'), libs,
                   anon: kb('RssAnon'), file: kb('RssFile') };
  await stopIdle(idle);
  return { groups, totals };
}

const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const samples = [];
for (let i = 0; i < runs; i++) samples.push(await one());
const names = new Set(samples.flatMap((s) => [...s.groups.keys()]));
const rows = [...names].map((name) => ({
  name,
  rss: med(samples.map((s) => s.groups.get(name)?.rss || 0)),
  pss: med(samples.map((s) => s.groups.get(name)?.pss || 0)),
  dirty: med(samples.map((s) => s.groups.get(name)?.dirty || 0)),
  maps: med(samples.map((s) => s.groups.get(name)?.maps || 0)),
})).sort((a, b) => b.pss - a.pss || b.rss - a.rss);
const t = (k) => med(samples.map((s) => s.totals[k]));
console.log(`Idle and connected, 2 connectors, median of ${runs} starts: VmRSS ${t('rss')} kB (anonymous ${t('anon')}, file ${t('file')}), Pss ${t('pss')} kB, ${t('threads')} threads, ${t('libs')} shared objects mapped.`);
console.log();
console.log('| mapping | Rss kB | Pss kB | private dirty kB | mappings |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.name} | ${r.rss} | ${r.pss} | ${r.dirty} | ${r.maps} |`);
const libs = rows.filter((r) => r.name.includes('.so'));
const sum = (xs, k) => xs.reduce((t, r) => t + r[k], 0);
console.log(`| **all shared objects** | ${sum(libs, 'rss')} | ${sum(libs, 'pss')} | ${sum(libs, 'dirty')} | ${sum(libs, 'maps')} |`);
