// clock.test.mjs — every part of the controller stamps with the central system's time.
//
// Why it exists: a charger has no trustworthy clock, so OCPP timestamps follow the currentTime
// of BootNotification.conf / Heartbeat.conf (docs/architecture.md, Time). The offset is learned
// by the ocpp actor and travels to every other actor as the level-triggered "clock.offset"
// message; no clock is shared. With a central system whose clock reads 2020-01-01, the
// StartTransaction, StatusNotification and StopTransaction timestamps must read 2020-01-01 in
// one process and in --split (one process per actor, where shared memory cannot exist) alike,
// also after the transaction actor or the ocpp actor restarted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Csms, Controller, artifactName, actor, connector, statusNotification, waitBooted } from './lib/harness.mjs';

const HERE = import.meta.url;
const T0 = Date.parse('2020-01-01T00:00:00.000Z');
const WINDOW_MS = 30 * 60 * 1000;          // far more than the test runs, far less than the years it catches

// A central system whose clock started at 2020-01-01T00:00:00Z when the test did.
async function startCsms2020(t, fileUrl, cpOptions) {
  const csms = new Csms({});
  await csms.start();
  const started = Date.now();
  const now2020 = () => new Date(T0 + (Date.now() - started)).toISOString();
  csms.handle('BootNotification', () => ({ status: 'Accepted', currentTime: now2020(), interval: 300 }));
  csms.handle('Heartbeat', () => ({ currentTime: now2020() }));
  let cp = null;
  t.after(async () => {
    await cp?.close();
    await csms.stop();
  });
  cp = await Controller.start({ csmsUrl: csms.url, name: artifactName(t, fileUrl), ...cpOptions });
  return { csms, cp };
}

function assertIn2020(what, timestamp) {
  const at = Date.parse(timestamp);
  assert.ok(!Number.isNaN(at), `${what}: a timestamp (${timestamp})`);
  assert.ok(at >= T0 && at < T0 + WINDOW_MS, `${what} stamped with the central system's time: ${timestamp}`);
}

const tx = (s) => connector(s, 1)?.transaction ?? null;

async function restartActor(cp, name) {
  const before = actor(await cp.status(), name)?.restarts ?? 0;
  await cp.cpctlOk('actor', 'kill', name);
  await cp.waitStatus((s) => actor(s, name)?.restarts === before + 1 && actor(s, name)?.state === 'running',
    20000, `${name} restarted`);
}

for (const mode of ['one process', '--split']) {
  test(`${mode}: StartTransaction, StatusNotification and StopTransaction carry the central system's time`,
    async (t) => {
      const { csms, cp } = await startCsms2020(t, HERE, { extraArgs: mode === '--split' ? ['--split'] : [] });
      await waitBooted(cp);
      await csms.waitFor(statusNotification(1, 'Available'), 20000);

      const since = csms.mark();
      await cp.cpctlOk('plug', '1');
      await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);
      await cp.cpctlOk('swipe', 'CLOCK01');
      const start = await csms.waitFor('StartTransaction', 20000, since);
      assertIn2020('StartTransaction', start.msg[3].timestamp);
      const s = await cp.waitStatus((st) => tx(st)?.id != null, 20000, 'transaction confirmed');
      assertIn2020('status startedAt', tx(s).startedAt);

      // A restarted actor learns the offset again from the ocpp actor's snapshot; a restarted
      // ocpp actor keeps it (no new BootNotification, no Heartbeat within the interval).
      await restartActor(cp, 'ocpp');
      await waitBooted(cp);
      await restartActor(cp, 'transaction');
      await cp.waitStatus((st) => tx(st)?.id != null, 20000, 'the transaction goes on');
      const beforeStop = csms.mark();
      await cp.cpctlOk('swipe', 'CLOCK01');
      const stop = await csms.waitFor('StopTransaction', 20000, beforeStop);
      assertIn2020('StopTransaction after restarts', stop.msg[3].timestamp);
      await csms.waitFor(statusNotification(1, 'Finishing'), 20000, beforeStop);

      const notes = csms.received('StatusNotification');
      assert.ok(notes.length >= 4, `StatusNotifications seen: ${notes.length}`);
      for (const n of notes) assertIn2020(`StatusNotification ${n.connectorId} ${n.status}`, n.timestamp);
      assert.equal(csms.received('BootNotification').length, 1, 'registered once: the offset came from the store');
      assert.equal(csms.received('Heartbeat').length, 0, 'no Heartbeat brought the time again');
    });
}
