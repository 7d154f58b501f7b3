// actors.test.mjs — supervision: a crashed or hung actor is restarted and the charger works on.
//
// Why it exists: the supervisor restarts any actor that faults (one-for-one) or stops
// answering (liveness deadline). After each restart the controller must still be connected
// to the central system and still react to the hardware, proven by a plug/unplug that
// produces the right StatusNotifications. One controller serves the whole file.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Csms, Controller, waitBooted, actor, isConnected, statusNotification, artifactName,
} from './lib/harness.mjs';

const CORE_ACTORS = ['ocpp', 'config', 'hw', 'transaction'];

describe('actor supervision', () => {
  let csms;
  let cp;

  before(async () => {
    csms = new Csms({ bootInterval: 300 });
    await csms.start();
    cp = await Controller.start({ csmsUrl: csms.url, name: artifactName({ name: 'suite' }, import.meta.url) });
    await waitBooted(cp);
    await csms.waitFor(statusNotification(1, 'Available'), 20000);
  });

  after(async () => {
    await cp?.close();
    await csms?.stop();
  });

  // Plug and unplug connector 1; the CSMS must see Preparing, then Available.
  async function assertPlugWorks() {
    const since = csms.mark();
    await cp.cpctlOk('plug', '1');
    await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);
    const since2 = csms.mark();
    await cp.cpctlOk('unplug', '1');
    await csms.waitFor(statusNotification(1, 'Available'), 20000, since2);
  }

  // Wait until `name` runs again after more than `before` restarts, and the link is up.
  async function assertRecovered(name, restartsBefore, timeoutMs) {
    const s = await cp.waitStatus((st) => {
      const a = actor(st, name);
      return a && a.state === 'running' && a.restarts > restartsBefore;
    }, timeoutMs, `actor ${name} running again with restarts > ${restartsBefore}`);
    assert.ok(actor(s, name).restarts >= 1);
    await cp.waitStatus(isConnected, 30000, 'connection "connected"');
    await assertPlugWorks();
    assert.equal(cp.running, true);
  }

  test('actor list names the core actors; status shows them running', async () => {
    const r = await cp.cpctlOk('actor', 'list');
    for (const name of CORE_ACTORS) {
      assert.match(r.stdout, new RegExp(`\\b${name}\\b`), `actor list mentions ${name}:\n${r.stdout}`);
    }
    const s = await cp.status();
    for (const name of CORE_ACTORS) {
      assert.equal(actor(s, name)?.state, 'running', `status.actors has ${name} running`);
    }
    await assertPlugWorks();
  });

  for (const name of CORE_ACTORS) {
    test(`actor kill ${name}: restarted, still connected, plug still reported`, async () => {
      const before = actor(await cp.status(), name)?.restarts ?? 0;
      const r = await cp.cpctl('actor', 'kill', name);
      assert.equal(r.code, 0, `cpctl actor kill ${name}: ${r.stderr}`);
      await assertRecovered(name, before, 20000);
    });
  }

  test('actor hang transaction: detected as hung, restarted, plug still reported', async () => {
    const before = actor(await cp.status(), 'transaction')?.restarts ?? 0;
    const r = await cp.cpctl('actor', 'hang', 'transaction');
    assert.equal(r.code, 0, `cpctl actor hang transaction: ${r.stderr}`);
    await assertRecovered('transaction', before, 60000);
  });

  test('actor kill of an unknown actor is refused', async () => {
    const r = await cp.cpctl('actor', 'kill', 'no-such-actor');
    assert.notEqual(r.code, 0);
    assert.equal(cp.running, true);
  });
});
