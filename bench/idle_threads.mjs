// idle_threads.mjs — where idle goes, thread by thread: the controller connected to a loopback
// central system with 2 connectors, nothing happening; over a fixed window, each thread's CPU
// time (schedstat) and wake-ups (voluntary + involuntary context switches), and the process's
// total. Issue 12 asks for ≤ 0.1 % of a core and ≤ 20 syscalls/s idle: this table says which
// thread to look at. Threads carry their actor's name (shell.c). Prints a Markdown table.
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
await sleep(windowSeconds * 1000);
const after = threadStats(child.pid);
await stopIdle(idle);

const rows = threadDeltas(before, after, windowSeconds)
  .map((r) => ({ name: r.name, cpuUsPerS: r.cpuNs / 1e3, wakeupsPerS: r.switches }));
const total = rows.reduce((t, r) => ({ cpu: t.cpu + r.cpuUsPerS, w: t.w + r.wakeupsPerS }), { cpu: 0, w: 0 });
console.log(`Idle and connected, 2 connectors, over ${windowSeconds} s: CPU µs per second (1 000 µs/s = 0.1 % of a core) and wake-ups per second, by thread.`);
console.log();
console.log('| thread | CPU µs/s | wake-ups/s |');
console.log('|---|---|---|');
for (const r of rows.filter((r) => r.cpuUsPerS >= 1 || r.wakeupsPerS >= 0.1))
  console.log(`| ${r.name} | ${r.cpuUsPerS.toFixed(0)} | ${r.wakeupsPerS.toFixed(1)} |`);
console.log(`| **total** | **${total.cpu.toFixed(0)}** (${(total.cpu / 1e4).toFixed(3)} % of a core) | **${total.w.toFixed(1)}** |`);
