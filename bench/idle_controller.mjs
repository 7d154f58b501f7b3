// idle_controller.mjs — the controller as the idle benches read it (idle_threads.mjs,
// footprint.mjs): connected to a loopback central system (tools/csms), 2 connectors, a fresh
// state dir, started with its simulated board and left until its first StatusNotification.
// stopIdle ends the controller, its board (which outlives a controller by design) and the
// central system, and removes the state dir.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Csms } from '../tools/csms/csms.mjs';
import { freePort } from '../test/e2e/lib/harness.mjs';

export async function startIdle(build, id) {
  const csms = new Csms({ port: 0, bootInterval: 300 });
  await csms.start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cpd-${id.toLowerCase()}-`));
  const child = spawn(path.join(build, 'chargepointd'),
    ['--csms', `ws://127.0.0.1:${csms.port}/ocpp`, '--id', id, '--connectors', '2', '--state-dir', dir,
     '--http', `127.0.0.1:${await freePort()}`, '--log-level', 'warn'], { stdio: 'ignore' });
  const deadline = Date.now() + 20000;
  while (!csms.frames.some((f) => f.dir === 'in' && f.msg?.[2] === 'StatusNotification') && Date.now() < deadline)
    await sleep(20);
  return { csms, child, dir };
}

export async function stopIdle({ csms, child, dir }) {
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  spawnSync('pkill', ['-KILL', '-f', `chargepoint-simboard.*${dir}`]);
  await csms.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
