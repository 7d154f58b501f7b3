// threads.mjs — each thread of a process as /proc reads it: its name (an actor's, shell.c), CPU
// time from schedstat (ns) and context switches (voluntary + involuntary: its wake-ups and
// preemptions). idle_threads.mjs compares two readings over an idle window, versus.mjs over a
// run of calls.
import fs from 'node:fs';

// Map tid → { name, cpuNs, switches }; a thread that ends while read is left out.
export function threadStats(pid) {
  const out = new Map();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const cpuNs = Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      const status = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const sw = (k) => Number((status.match(new RegExp(`${k}:\\s+(\\d+)`)) || [0, 0])[1]);
      out.set(tid, { name, cpuNs, switches: sw('voluntary_ctxt_switches') + sw('nonvoluntary_ctxt_switches') });
    } catch { /* the thread ended */ }
  }
  return out;
}

// Per thread present in both readings: CPU ns and switches between them, divided by `per`.
export function threadDeltas(before, after, per) {
  const rows = [];
  for (const [tid, a] of after) {
    const b = before.get(tid);
    if (b) rows.push({ tid, name: a.name, cpuNs: (a.cpuNs - b.cpuNs) / per, switches: (a.switches - b.switches) / per });
  }
  return rows.sort((x, y) => y.cpuNs - x.cpuNs);
}
