// clock_monotonic.test.mjs — timestamps never run backwards when the central system's time
// jitters (issue 11, item 13).
//
// Why it exists: the controller follows the central system's currentTime (BootNotification.conf,
// Heartbeat.conf). A central system whose currentTime has whole seconds — or a cluster whose
// nodes disagree by a second or two — made the controller step its clock at a Heartbeat, and one
// StatusNotification read 22:33:45.279 and the next 22:33:45.014. A correction below 2 s must be
// slewed (wall time runs a little slow or fast until it arrives, never backwards); only a large one
// is stepped, and logged (docs/architecture.md, Time).
//
// The central system here answers from two nodes in turn whose clocks are 1.5 s apart, both with
// whole-second currentTime, and a Heartbeat every 2 s. During a session sampled every second, the
// MeterValues timestamps (metering actor) and StatusNotification timestamps (transaction actor)
// must each never go backwards, and the ocpp actor says it slewed and never stepped.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Csms, Controller, artifactName, connector, statusNotification, waitBooted } from './lib/harness.mjs';

const HERE = import.meta.url;
const NODE_SKEW_MS = 1500;

function wholeSeconds(ms) {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function assertNonDecreasing(what, stamps) {
  for (let i = 1; i < stamps.length; i++) {
    assert.ok(Date.parse(stamps[i]) >= Date.parse(stamps[i - 1]),
      `${what} went backwards: #${i - 1} ${stamps[i - 1]} then #${i} ${stamps[i]} (all: ${stamps.join(', ')})`);
  }
}

test('a central system with whole-second currentTime from two nodes 1.5 s apart: timestamps never go backwards',
  async (t) => {
    const csms = new Csms({});
    await csms.start();
    let answers = 0;
    // Node A reads the real time, node B 1.5 s less; both drop the milliseconds.
    const currentTime = () => wholeSeconds(Date.now() - (answers++ % 2 === 1 ? NODE_SKEW_MS : 0));
    csms.handle('BootNotification', () => ({ status: 'Accepted', currentTime: currentTime(), interval: 2 }));
    csms.handle('Heartbeat', () => ({ currentTime: currentTime() }));
    let cp = null;
    t.after(async () => {
      await cp?.close();
      await csms.stop();
    });
    cp = await Controller.start({ csmsUrl: csms.url, name: artifactName(t, HERE) });
    await waitBooted(cp);
    await csms.waitFor(statusNotification(1, 'Available'), 20000);
    await cp.cpctlOk('config', 'set', 'MeterValueSampleInterval', '1');

    const since = csms.mark();
    const logSince = cp.logMark();
    await cp.cpctlOk('plug', '1');
    await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);
    await cp.cpctlOk('swipe', 'MONO01');
    await csms.waitFor('StartTransaction', 20000, since);
    await cp.waitStatus((s) => connector(s, 1)?.transaction?.id != null, 20000, 'transaction confirmed');
    // Status changes stamped by the transaction actor between Heartbeats.
    for (let i = 0; i < 6; i++) {
      await cp.cpctlOk('ev', '1', i % 2 === 0 ? 'pause' : 'charge');
      await csms.waitFor(statusNotification(1, i % 2 === 0 ? 'SuspendedEV' : 'Charging'), 20000, since);
      await sleep(1200);  // the test's pace: Heartbeats (every 2 s) fall between the changes
    }
    const heartbeats = csms.received('Heartbeat').length;
    assert.ok(heartbeats >= 3, `Heartbeats answered during the session: ${heartbeats}`);
    await cp.cpctlOk('swipe', 'MONO01');
    await csms.waitFor('StopTransaction', 20000, since);

    const meterStamps = csms.frames.slice(since)
      .filter((f) => f.dir === 'in' && Array.isArray(f.msg) && f.msg[0] === 2 && f.msg[2] === 'MeterValues')
      .flatMap((f) => f.msg[3].meterValue.map((mv) => mv.timestamp));
    assert.ok(meterStamps.length >= 5, `MeterValues seen: ${meterStamps.length}`);
    assertNonDecreasing('MeterValues timestamps', meterStamps);
    const statusStamps = csms.frames.slice(since)
      .filter((f) => f.dir === 'in' && Array.isArray(f.msg) && f.msg[0] === 2 && f.msg[2] === 'StatusNotification'
        && f.msg[3].connectorId === 1)
      .map((f) => f.msg[3].timestamp);
    assert.ok(statusStamps.length >= 7, `StatusNotifications seen: ${statusStamps.length}`);
    assertNonDecreasing('StatusNotification timestamps', statusStamps);

    const log = cp.logs().slice(logSince);
    assert.match(log, /clock slewing by/, 'the corrections were slewed');
    assert.doesNotMatch(log, /clock stepped by/, 'no correction below 2 s was stepped');
  });
