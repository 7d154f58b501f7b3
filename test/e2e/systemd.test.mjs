// systemd.test.mjs — the Type=notify readiness and watchdog protocol (issue 16).
//
// Why it exists: under systemd the unit (packaging/chargepointd.service) is Type=notify with
// WatchdogSec=. The supervisor must say READY=1 only once every actor runs, feed WATCHDOG=1
// while every actor answers its liveness ping, and stop feeding when one hangs past its
// liveness deadline, so that systemd restarts a wedged controller. A fake NOTIFY_SOCKET
// (an AF_UNIX datagram socket bound by a small Python helper, lib/notify_socket.py) records
// what the controller sends; the test synchronises on those datagrams, never on sleeps.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Csms, Controller, waitBooted, actor, artifactName } from './lib/harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const LIVENESS_MS = 3000;

// The fake NOTIFY_SOCKET: every datagram lands in `states` as {t, state}.
class NotifySocket {
  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notify-'));
    this.path = path.join(this.dir, 'notify.sock');
    this.states = [];
    this.waiters = [];
  }

  async start() {
    this.child = spawn(PYTHON, [path.join(HERE, 'lib', 'notify_socket.py'), this.path],
      { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: this.child.stdout });
    await new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('exit', (code) => reject(new Error(`notify_socket.py exited ${code}`)));
      lines.on('line', (line) => {
        if (line === 'bound') { resolve(); return; }
        this.states.push(JSON.parse(line));
        for (const w of this.waiters.splice(0)) w();
      });
    });
  }

  // Wait until predicate(states) holds, or fail after timeoutMs.
  async waitFor(predicate, timeoutMs, description) {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.states)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`${description} not seen within ${timeoutMs} ms; got ${JSON.stringify(this.states.map((s) => s.state))}`);
      }
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  count(state) { return this.states.filter((s) => s.state === state).length; }

  stop() {
    this.child?.kill();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('systemd notify protocol', () => {
  let csms;
  let cp;
  let notify;
  // Every actor's state from `cpctl status` at the moment READY=1 was seen.
  let actorsAtReady;

  before(async () => {
    notify = new NotifySocket();
    await notify.start();
    csms = new Csms({ bootInterval: 300 });
    await csms.start();
    cp = await Controller.start({
      csmsUrl: csms.url,
      name: artifactName({ name: 'suite' }, import.meta.url),
      env: { NOTIFY_SOCKET: notify.path },
      extraArgs: ['--liveness-ms', String(LIVENESS_MS)],
    });
    await notify.waitFor((s) => s.some((x) => x.state === 'READY=1'), 20000, 'READY=1');
    actorsAtReady = (await cp.status()).actors;
    await waitBooted(cp);
  });

  after(async () => {
    await cp?.close();
    await csms?.stop();
    notify?.stop();
  });

  test('READY=1 comes once, first, when every actor runs', () => {
    assert.equal(notify.states[0].state, 'READY=1', 'nothing precedes READY=1');
    assert.equal(notify.count('READY=1'), 1);
    assert.ok(actorsAtReady.length > 0);
    for (const a of actorsAtReady) assert.equal(a.state, 'running', `actor ${a.name} at READY=1`);
  });

  test('WATCHDOG=1 arrives periodically, well inside WatchdogSec', async () => {
    const from = notify.count('WATCHDOG=1');
    await notify.waitFor(() => notify.count('WATCHDOG=1') >= from + 3, 10000, 'three more WATCHDOG=1');
    const dogs = notify.states.filter((s) => s.state === 'WATCHDOG=1').slice(-3);
    for (let i = 1; i < dogs.length; i++) {
      assert.ok(dogs[i].t - dogs[i - 1].t < 2500, `watchdog gap ${dogs[i].t - dogs[i - 1].t} ms`);
    }
  });

  test('an actor hung past its liveness deadline stops WATCHDOG=1 until it runs again', async () => {
    const before = actor(await cp.status(), 'transaction')?.restarts ?? 0;
    const hungAt = notify.states.length;
    const r = await cp.cpctl('actor', 'hang', 'transaction');
    assert.equal(r.code, 0, `cpctl actor hang transaction: ${r.stderr}`);
    await cp.waitStatus((s) => {
      const a = actor(s, 'transaction');
      return a && a.state === 'running' && a.restarts > before;
    }, 60000, 'transaction running again');
    // Fed again once every actor runs: two more after the restart was seen.
    const restartedAt = notify.states.length;
    await notify.waitFor((s) => s.slice(restartedAt).filter((x) => x.state === 'WATCHDOG=1').length >= 2,
      15000, 'WATCHDOG=1 after the restart');
    // The hung actor withheld at least one feed (pings go every 1000 ms; a normal gap is one
    // period): the widest gap since the hang spans the tick that judged it hung.
    const dogs = notify.states.slice(Math.max(0, hungAt - 1)).filter((s) => s.state === 'WATCHDOG=1');
    let widest = 0;
    for (let i = 1; i < dogs.length; i++) widest = Math.max(widest, dogs[i].t - dogs[i - 1].t);
    assert.ok(widest >= 1500, `widest WATCHDOG=1 gap ${widest} ms: the hung actor withheld no feed`);
    assert.equal(notify.count('READY=1'), 1, 'READY=1 is not repeated');
  });
});
