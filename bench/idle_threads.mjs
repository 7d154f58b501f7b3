// idle_threads.mjs — where idle goes, thread by thread: the controller connected to a loopback
// central system with 2 connectors, nothing happening; over a fixed window, each thread's CPU
// time (schedstat) and wake-ups (voluntary + involuntary context switches), and the process's
// total, and each thread's system calls (perf, when it may trace this process). Issue 12 asks
// for ≤ 0.1 % of a core and ≤ 20 syscalls/s idle: this table says which thread to look at.
// Threads carry their actor's name (shell.c). Prints a Markdown table.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { startIdle, stopIdle } from './idle_controller.mjs';
import { threadStats, threadDeltas } from './threads.mjs';

const build = path.resolve(process.argv[2] || 'build');
const windowSeconds = Number(process.env.BENCH_IDLE_S || 20);

const idle = await startIdle(build, 'IDLE');
const { child } = idle;
await sleep(3000);                                   // settle after boot
const before = threadStats(child.pid);
// The window itself: perf counts every thread's system calls over it; without perf (or leave
// to trace), a plain wait and no such column.
const perf = spawnSync('perf', ['stat', '--per-thread', '-e', 'raw_syscalls:sys_enter', '-p', String(child.pid),
                                '--', 'sleep', String(windowSeconds)], { encoding: 'utf8' });
const syscalls = new Map();                          // tid → count over the window
for (const line of (perf.status === 0 ? perf.stderr : '').split('\n')) {
  const m = line.match(/^\s*\S+-(\d+)\s+([\d,.]+)\s+raw_syscalls:sys_enter/);
  if (m) syscalls.set(m[1], Number(m[2].replace(/[,.]/g, '')));
}
if (syscalls.size === 0) await sleep(windowSeconds * 1000);
const after = threadStats(child.pid);
await stopIdle(idle);

const rows = threadDeltas(before, after, windowSeconds)
  .map((r) => ({ name: r.name, cpuUsPerS: r.cpuNs / 1e3, wakeupsPerS: r.switches,
                 syscallsPerS: syscalls.size ? (syscalls.get(r.tid) || 0) / windowSeconds : NaN }));
const total = rows.reduce((t, r) => ({ cpu: t.cpu + r.cpuUsPerS, w: t.w + r.wakeupsPerS, s: t.s + r.syscallsPerS }),
                          { cpu: 0, w: 0, s: 0 });
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '—');
console.log(`Idle and connected, 2 connectors, over ${windowSeconds} s: CPU µs per second (1 000 µs/s = 0.1 % of a core), wake-ups and system calls (perf) per second, by thread.`);
console.log();
console.log('| thread | CPU µs/s | wake-ups/s | system calls/s |');
console.log('|---|---|---|---|');
for (const r of rows.filter((r) => r.cpuUsPerS >= 1 || r.wakeupsPerS >= 0.1 || r.syscallsPerS >= 0.1))
  console.log(`| ${r.name} | ${r.cpuUsPerS.toFixed(0)} | ${r.wakeupsPerS.toFixed(1)} | ${f1(r.syscallsPerS)} |`);
console.log(`| **total** | **${total.cpu.toFixed(0)}** (${(total.cpu / 1e4).toFixed(3)} % of a core) | **${total.w.toFixed(1)}** | **${f1(total.s)}** |`);
