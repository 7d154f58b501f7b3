// trigger.test.mjs — TriggerMessage (Remote Trigger profile) and DataTransfer in both directions.
//
// Why it exists: a central system uses TriggerMessage to resynchronise a charger it distrusts;
// the spec wants the answer first and then the requested message, Rejected for a connector the
// charger lacks. DataTransfer is the vendor escape hatch: an unknown vendorId must be answered
// UnknownVendorId, and the charger's own DataTransfer.req must reach the central system.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Controller } from './lib/controller.mjs';
import { artifactName, waitBooted, statusNotification, isCallIn } from './lib/harness.mjs';
import { Csms as CsmsClass } from './lib/harness.mjs';


describe('TriggerMessage and DataTransfer', () => {
  let csms;
  let cp;
  before(async () => {
    csms = new CsmsClass({ port: 0 });
    await csms.start();
    cp = await Controller.start({ csmsUrl: csms.url, connectors: 2, name: 'trigger' });
    await waitBooted(cp);
    await csms.waitFor(statusNotification(2, 'Available'), 10000);
  });
  after(async () => {
    await cp?.close();
    await csms?.stop();
  });

  // The CALLRESULT of the trigger is sent before the requested CALL.
  async function trigger(payload, action) {
    const since = csms.frames.length;
    const { result, frame } = await csms.call('TriggerMessage', payload);
    assert.equal(result.status, 'Accepted', JSON.stringify(payload));
    const call = await csms.waitFor((f) => isCallIn(f, action), 10000, since);
    const answerIndex = csms.frames.indexOf(frame);
    assert.ok(answerIndex >= 0 && answerIndex < csms.frames.indexOf(call), `${action} follows the TriggerMessage answer`);
    return call.msg[3];
  }

  test('StatusNotification for one connector and for all', async () => {
    const one = await trigger({ requestedMessage: 'StatusNotification', connectorId: 2 }, 'StatusNotification');
    assert.equal(one.connectorId, 2);
    const since = csms.frames.length;
    await csms.call('TriggerMessage', { requestedMessage: 'StatusNotification' });
    for (const c of [0, 1, 2]) await csms.waitFor(statusNotification(c), 10000, since);
  });

  test('Heartbeat, Diagnostics- and FirmwareStatusNotification; BootNotification Rejected once Accepted', async () => {
    await trigger({ requestedMessage: 'Heartbeat' }, 'Heartbeat');
    // errata 3.35: after BootNotification.conf(Accepted), until the next reboot or reconnect, a
    // triggered BootNotification is RECOMMENDED Rejected (it could leave the charger Pending).
    const since = csms.frames.length;
    const { result } = await csms.call('TriggerMessage', { requestedMessage: 'BootNotification' });
    assert.equal(result.status, 'Rejected');
    assert.equal(csms.frames.slice(since).filter((f) => isCallIn(f, 'BootNotification')).length, 0);
    assert.equal((await trigger({ requestedMessage: 'DiagnosticsStatusNotification' }, 'DiagnosticsStatusNotification')).status, 'Idle');
    assert.equal((await trigger({ requestedMessage: 'FirmwareStatusNotification' }, 'FirmwareStatusNotification')).status, 'Idle');
    const s = await cp.status();
    assert.equal(s.ocpp.registration, 'Accepted');
  });

  test('MeterValues with context Trigger', async () => {
    const mv = await trigger({ requestedMessage: 'MeterValues', connectorId: 1 }, 'MeterValues');
    assert.equal(mv.connectorId, 1);
    assert.equal(mv.meterValue[0].sampledValue[0].context, 'Trigger');
  });

  test('a connector the charger does not have: Rejected, nothing sent', async () => {
    const since = csms.frames.length;
    const { result } = await csms.call('TriggerMessage', { requestedMessage: 'StatusNotification', connectorId: 3 });
    assert.equal(result.status, 'Rejected');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(csms.frames.slice(since).filter((f) => isCallIn(f, 'StatusNotification')).length, 0);
  });

  test('DataTransfer from the central system: UnknownVendorId', async () => {
    const { result } = await csms.call('DataTransfer', { vendorId: 'com.example.unknown', messageId: 'x', data: 'y' });
    assert.equal(result.status, 'UnknownVendorId');
  });

  test('cpctl datatransfer: DataTransfer.req reaches the central system and its answer is printed', async () => {
    csms.handle('DataTransfer', (p) => ({ status: 'Accepted', data: `echo:${p.data}` }));
    const r = await cp.cpctl('datatransfer', 'com.chargepointd', 'ping', 'hello');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { status: 'Accepted', data: 'echo:hello' });
    const sent = csms.received('DataTransfer').at(-1);
    assert.deepEqual(sent, { vendorId: 'com.chargepointd', messageId: 'ping', data: 'hello' });
    csms.handle('DataTransfer', () => ({ error: { code: 'NotSupported', description: 'no' } }));
    const refused = await cp.cpctl('datatransfer', 'com.chargepointd');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /NotSupported/);
    csms.handle('DataTransfer', null);
  });
});
