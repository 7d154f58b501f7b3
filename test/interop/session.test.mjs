// session.test.mjs — interoperability with an independent OCPP 1.6-J implementation.
//
// Why it exists: our own test CSMS (tools/csms) was written by us and shares our reading of
// the spec. ocpp-rpc in strictMode validates every frame in both directions against the
// official OCPP 1.6 JSON schemas, so a schema-invalid request or response from chargepointd
// makes the exchange fail here: schema drift cannot hide. One controller serves the file.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import ocppRpc from 'ocpp-rpc';
import { Controller } from '../e2e/lib/controller.mjs';

const { RPCServer } = ocppRpc;

describe('interop with ocpp-rpc (strict schema validation)', () => {
  let server;
  let port;
  let cp;
  let client = null;              // the RPCServerClient for chargepointd
  const calls = [];               // {method, params, t} received from the charge point
  const validationFailures = [];  // strictValidationFailure events, either direction
  const badMessages = [];         // non-conforming RPC frames
  let nextTransactionId = 1000;

  // Wait (bounded) for a call from the charge point matching `predicate`, after index `since`.
  async function waitForCall(description, predicate, timeoutMs = 20000, since = 0) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = calls.slice(since).find((c) => predicate(c));
      if (found) return found;
      await sleep(50);
    }
    throw new Error(`no ${description} from chargepointd within ${timeoutMs} ms; calls seen since #${since}: ${
      JSON.stringify(calls.slice(since).map((c) => [c.method, c.params]))}\nvalidation failures: ${
      JSON.stringify(validationFailures)}`);
  }

  function assertNoValidationFailures() {
    assert.deepEqual(validationFailures, [], 'every frame conforms to the OCPP 1.6 schemas');
    assert.deepEqual(badMessages, [], 'every frame is a well-formed OCPP-J message');
  }

  // Call the charge point; strict mode rejects if either the request or its answer is invalid.
  async function callCp(method, params) {
    assert.ok(client, 'chargepointd is connected');
    try {
      return await client.call(method, params, { callTimeoutMs: 15000 });
    } catch (err) {
      throw new Error(`${method} ${JSON.stringify(params)} failed: ${err.rpcErrorCode ?? ''} ${err.message}\n`
        + `validation failures: ${JSON.stringify(validationFailures)}`);
    }
  }

  const s0 = (s) => s.connectors[0];

  async function cpctlOk(...args) {
    const r = await cp.cpctl(...args);
    assert.equal(r.code, 0, `cpctl ${args.join(' ')}: ${r.stderr}`);
  }

  before(async () => {
    server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true, callTimeoutMs: 15000 });
    server.on('client', (c) => {
      client = c;
      c.on('strictValidationFailure', (e) => validationFailures.push({
        method: e.method, outbound: e.outbound, isCall: e.isCall, error: e.error?.message, params: e.params, result: e.result,
      }));
      c.on('badMessage', (e) => badMessages.push({ message: e.buffer?.toString(), error: e.error?.message }));
      c.on('close', () => { if (client === c) client = null; });
      const record = (method, params) => calls.push({ method, params, t: Date.now() });
      const now = () => new Date().toISOString();
      c.handle('BootNotification', ({ params }) => {
        record('BootNotification', params);
        return { status: 'Accepted', currentTime: now(), interval: 300 };
      });
      c.handle('Heartbeat', ({ params }) => { record('Heartbeat', params); return { currentTime: now() }; });
      c.handle('StatusNotification', ({ params }) => { record('StatusNotification', params); return {}; });
      c.handle('Authorize', ({ params }) => { record('Authorize', params); return { idTagInfo: { status: 'Accepted' } }; });
      c.handle('StartTransaction', ({ params }) => {
        record('StartTransaction', params);
        return { transactionId: nextTransactionId++, idTagInfo: { status: 'Accepted' } };
      });
      c.handle('MeterValues', ({ params }) => { record('MeterValues', params); return {}; });
      c.handle('StopTransaction', ({ params }) => { record('StopTransaction', params); return { idTagInfo: { status: 'Accepted' } }; });
      c.handle('FirmwareStatusNotification', ({ params }) => { record('FirmwareStatusNotification', params); return {}; });
      c.handle('DiagnosticsStatusNotification', ({ params }) => { record('DiagnosticsStatusNotification', params); return {}; });
      c.handle('SecurityEventNotification', ({ params }) => { record('SecurityEventNotification', params); return {}; });
      c.handle('SignCertificate', ({ params }) => { record('SignCertificate', params); return { status: 'Accepted' }; });
      c.handle('SignedFirmwareStatusNotification', ({ params }) => {
        record('SignedFirmwareStatusNotification', params); return {};
      });
      c.handle('LogStatusNotification', ({ params }) => { record('LogStatusNotification', params); return {}; });
      c.handle(({ method, params }) => {
        record(method, params);
        throw ocppRpc.createRPCError('NotImplemented', `${method} is not handled by this test`);
      });
    });
    const httpServer = await server.listen(0, '127.0.0.1');
    port = httpServer.address().port;
    cp = await Controller.start({ csmsUrl: `ws://127.0.0.1:${port}/ocpp`, name: 'interop-session' });
  });

  after(async () => {
    await cp?.close();
    await server?.close({ force: true });
  });

  test('BootNotification accepted, StatusNotification for every connector', async () => {
    const boot = await waitForCall('BootNotification', (c) => c.method === 'BootNotification');
    assert.ok(boot.params.chargePointVendor && boot.params.chargePointModel);
    await waitForCall('StatusNotification for connector 0', (c) => c.method === 'StatusNotification' && c.params.connectorId === 0);
    await waitForCall('StatusNotification Available for connector 1',
      (c) => c.method === 'StatusNotification' && c.params.connectorId === 1 && c.params.status === 'Available');
    await cp.waitStatus((s) => s.ocpp.connection === 'connected' && s.ocpp.registration === 'Accepted', 20000,
      'connected and Accepted');
    assertNoValidationFailures();
  });

  test('GetConfiguration answers conform to the schema', async () => {
    const all = await callCp('GetConfiguration', {});
    assert.ok(all.configurationKey.some((k) => k.key === 'HeartbeatInterval'));
    const some = await callCp('GetConfiguration', { key: ['HeartbeatInterval', 'NoSuchKeyAtAll'] });
    assert.deepEqual(some.configurationKey.map((k) => k.key), ['HeartbeatInterval']);
    assert.deepEqual(some.unknownKey, ['NoSuchKeyAtAll']);
    assertNoValidationFailures();
  });

  test('ChangeConfiguration answers conform to the schema', async () => {
    assert.equal((await callCp('ChangeConfiguration', { key: 'HeartbeatInterval', value: '120' })).status, 'Accepted');
    assert.equal((await callCp('ChangeConfiguration', { key: 'HeartbeatInterval', value: 'abc' })).status, 'Rejected');
    assert.equal((await callCp('ChangeConfiguration', { key: 'NoSuchKeyAtAll', value: '1' })).status, 'NotSupported');
    const check = await callCp('GetConfiguration', { key: ['HeartbeatInterval'] });
    assert.equal(check.configurationKey[0].value, '120');
    assertNoValidationFailures();
  });

  test('plug and unplug: StatusNotification Preparing then Available, schema-valid', async () => {
    const since = calls.length;
    await cpctlOk('plug', '1');
    await waitForCall('StatusNotification Preparing', (c) => c.method === 'StatusNotification'
      && c.params.connectorId === 1 && c.params.status === 'Preparing', 20000, since);
    await cpctlOk('unplug', '1');
    await waitForCall('StatusNotification Available', (c) => c.method === 'StatusNotification'
      && c.params.connectorId === 1 && c.params.status === 'Available', 20000, since);
    assertNoValidationFailures();
  });

  test('a whole session (plug, swipe, charge, swipe, unplug): every frame schema-valid, in order', async () => {
    // Sampled and stop-transaction meter data on, so MeterValues and transactionData are validated too.
    assert.equal((await callCp('ChangeConfiguration', { key: 'MeterValueSampleInterval', value: '1' })).status, 'Accepted');
    assert.equal((await callCp('ChangeConfiguration', {
      key: 'MeterValuesSampledData', value: 'Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage',
    })).status, 'Accepted');
    assert.equal((await callCp('ChangeConfiguration', { key: 'StopTxnSampledData', value: 'Energy.Active.Import.Register' })).status,
      'Accepted');
    const since = calls.length;
    const isStatus = (status) => (c) => c.method === 'StatusNotification' && c.params.connectorId === 1 && c.params.status === status;

    await cpctlOk('plug', '1');
    await waitForCall('StatusNotification Preparing', isStatus('Preparing'), 20000, since);
    await cpctlOk('swipe', 'INTEROP-TAG');
    const start = await waitForCall('StartTransaction', (c) => c.method === 'StartTransaction', 20000, since);
    assert.equal(start.params.idTag, 'INTEROP-TAG');
    assert.equal(start.params.connectorId, 1);
    await waitForCall('StatusNotification SuspendedEV', isStatus('SuspendedEV'), 20000, since);
    await cp.waitStatus((s) => s.connectors[0].transaction?.id != null, 20000, 'transaction confirmed');
    const txId = s0(await cp.status()).transaction.id;

    await cpctlOk('ev', '1', 'charge');
    await waitForCall('StatusNotification Charging', isStatus('Charging'), 20000, since);
    const mv = await waitForCall('MeterValues with the transactionId',
      (c) => c.method === 'MeterValues' && c.params.transactionId === txId, 20000, since);
    assert.equal(mv.params.connectorId, 1);

    await cpctlOk('swipe', 'INTEROP-TAG');
    const stop = await waitForCall('StopTransaction', (c) => c.method === 'StopTransaction', 20000, since);
    assert.equal(stop.params.transactionId, txId);
    assert.equal(stop.params.reason, 'Local');
    assert.equal(stop.params.idTag, 'INTEROP-TAG');
    assert.ok(stop.params.meterStop >= start.params.meterStart);
    assert.ok(Array.isArray(stop.params.transactionData) && stop.params.transactionData.length >= 1, 'transactionData present');
    await cpctlOk('unplug', '1');
    const available = await waitForCall('StatusNotification Available', isStatus('Available'), 20000, since);

    const sequence = calls.slice(since, calls.indexOf(available) + 1)
      .filter((c) => c.method !== 'Heartbeat' && c.method !== 'MeterValues')
      .map((c) => (c.method === 'StatusNotification' ? `StatusNotification ${c.params.connectorId} ${c.params.status}` : c.method));
    assert.deepEqual(sequence, [
      'StatusNotification 1 Preparing',
      'Authorize',
      'StartTransaction',
      'StatusNotification 1 SuspendedEV',
      'StatusNotification 1 Charging',
      'StatusNotification 1 Finishing',
      'StopTransaction',
      'StatusNotification 1 Available',
    ]);
    await sleep(300);
    assertNoValidationFailures();
  });

  test('Local Authorization List and cache management: SendLocalList, GetLocalListVersion, ClearCache schema-valid', async () => {
    assert.equal((await callCp('GetLocalListVersion', {})).listVersion, 0, 'an empty list reports 0');
    const info = { status: 'Accepted', expiryDate: new Date(Date.now() + 86400000).toISOString(), parentIdTag: 'INTEROP-FLEET' };
    assert.deepEqual(await callCp('SendLocalList', {
      listVersion: 1, updateType: 'Full',
      localAuthorizationList: [{ idTag: 'INTEROP-A', idTagInfo: info }, { idTag: 'INTEROP-B', idTagInfo: { status: 'Blocked' } }],
    }), { status: 'Accepted' });
    assert.deepEqual(await callCp('GetLocalListVersion', {}), { listVersion: 1 });
    assert.deepEqual(await callCp('SendLocalList', {
      listVersion: 2, updateType: 'Differential',
      localAuthorizationList: [{ idTag: 'INTEROP-C', idTagInfo: { status: 'Accepted' } }, { idTag: 'INTEROP-A' }],
    }), { status: 'Accepted' });
    assert.deepEqual(await callCp('SendLocalList', { listVersion: 2, updateType: 'Differential' }), { status: 'VersionMismatch' });
    assert.deepEqual(await callCp('SendLocalList', {
      listVersion: 3, updateType: 'Full',
      localAuthorizationList: [{ idTag: 'INTEROP-D', idTagInfo: { status: 'Accepted' } }, { idTag: 'INTEROP-D', idTagInfo: { status: 'Accepted' } }],
    }), { status: 'Failed' });
    assert.deepEqual(await callCp('GetLocalListVersion', {}), { listVersion: 2 });
    assert.deepEqual(await callCp('ClearCache', {}), { status: 'Accepted' });
    await sleep(300);
    assertNoValidationFailures();
  });

  test('Smart Charging, Reservation, Remote Trigger and remote control: every request and answer schema-valid', async () => {
    const since = calls.length;
    const startSchedule = new Date(Date.now() - 1000).toISOString();
    const txDefault = {
      connectorId: 1,
      csChargingProfiles: {
        chargingProfileId: 501, stackLevel: 1, chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: 'Absolute',
        chargingSchedule: { startSchedule, chargingRateUnit: 'A', duration: 3600,
          chargingSchedulePeriod: [{ startPeriod: 0, limit: 16, numberPhases: 3 }, { startPeriod: 1800, limit: 10.5 }] },
      },
    };
    assert.deepEqual(await callCp('SetChargingProfile', txDefault), { status: 'Accepted' });
    const cpMax = {
      connectorId: 0,
      csChargingProfiles: {
        chargingProfileId: 502, stackLevel: 0, chargingProfilePurpose: 'ChargePointMaxProfile', chargingProfileKind: 'Recurring',
        recurrencyKind: 'Daily',
        chargingSchedule: { startSchedule, chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 24 }] },
      },
    };
    assert.deepEqual(await callCp('SetChargingProfile', cpMax), { status: 'Accepted' });
    // A TxProfile without a transaction, a unit this charger does not allow: Rejected, schema-valid.
    assert.deepEqual(await callCp('SetChargingProfile', { connectorId: 1, csChargingProfiles: {
      ...txDefault.csChargingProfiles, chargingProfileId: 503, chargingProfilePurpose: 'TxProfile' } }), { status: 'Rejected' });
    for (const [connectorId, unit] of [[1, 'A'], [0, 'A'], [1, undefined]]) {
      const comp = await callCp('GetCompositeSchedule', { connectorId, duration: 7200, ...(unit ? { chargingRateUnit: unit } : {}) });
      assert.equal(comp.status, 'Accepted');
      assert.equal(comp.connectorId, connectorId);
      assert.ok(comp.chargingSchedule.chargingSchedulePeriod.length >= 1);
    }
    const one = await callCp('GetCompositeSchedule', { connectorId: 1, duration: 7200, chargingRateUnit: 'A' });
    assert.deepEqual(one.chargingSchedule.chargingSchedulePeriod.slice(0, 2).map((p) => p.limit), [16, 10.5]);
    assert.deepEqual(await callCp('GetCompositeSchedule', { connectorId: 9, duration: 60 }), { status: 'Rejected' });
    assert.deepEqual(await callCp('ClearChargingProfile', { id: 501 }), { status: 'Accepted' });
    assert.deepEqual(await callCp('ClearChargingProfile', { chargingProfilePurpose: 'ChargePointMaxProfile' }), { status: 'Accepted' });
    assert.deepEqual(await callCp('ClearChargingProfile', { id: 501 }), { status: 'Unknown' });

    // Reservation: reserve, refuse a second, cancel.
    const expiryDate = new Date(Date.now() + 600000).toISOString();
    assert.deepEqual(await callCp('ReserveNow', { connectorId: 1, expiryDate, idTag: 'INTEROP-RES', reservationId: 77 }),
      { status: 'Accepted' });
    assert.deepEqual(await callCp('ReserveNow', { connectorId: 0, expiryDate, idTag: 'INTEROP-RES', reservationId: 78 }),
      { status: 'Rejected' });
    assert.deepEqual(await callCp('CancelReservation', { reservationId: 77 }), { status: 'Accepted' });
    assert.deepEqual(await callCp('CancelReservation', { reservationId: 77 }), { status: 'Rejected' });

    // Remote Trigger: each message the charger can send on request.
    for (const requestedMessage of ['Heartbeat', 'StatusNotification', 'MeterValues']) {
      const answer = await callCp('TriggerMessage', { requestedMessage, ...(requestedMessage === 'MeterValues' ? { connectorId: 1 } : {}) });
      assert.equal(answer.status, 'Accepted', requestedMessage);
    }
    // errata 3.35: once Accepted, a triggered BootNotification is Rejected
    assert.deepEqual(await callCp('TriggerMessage', { requestedMessage: 'BootNotification' }), { status: 'Rejected' });
    await waitForCall('triggered MeterValues', (c) => c.method === 'MeterValues' && c.params.connectorId === 1, 20000, since);

    // Remote start with a TxProfile, then remote stop; unlock; availability.
    await cpctlOk('plug', '1');
    const txProfile = { chargingProfileId: 504, stackLevel: 2, chargingProfilePurpose: 'TxProfile', chargingProfileKind: 'Relative',
      chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 12 }] } };
    assert.deepEqual(await callCp('RemoteStartTransaction', { connectorId: 1, idTag: 'INTEROP-REMOTE', chargingProfile: txProfile }),
      { status: 'Accepted' });
    const start = await waitForCall('StartTransaction', (c) => c.method === 'StartTransaction'
      && c.params.idTag === 'INTEROP-REMOTE', 20000, since);
    await cp.waitStatus((s) => s0(s).transaction?.id != null && s0(s).limitA === 12, 20000, 'remote transaction under its 12 A TxProfile');
    const txId = s0(await cp.status()).transaction.id;
    assert.ok(start.params.meterStart >= 0);
    assert.deepEqual(await callCp('RemoteStopTransaction', { transactionId: txId + 1000 }), { status: 'Rejected' });
    assert.deepEqual(await callCp('RemoteStopTransaction', { transactionId: txId }), { status: 'Accepted' });
    const stop = await waitForCall('StopTransaction', (c) => c.method === 'StopTransaction' && c.params.transactionId === txId,
      20000, since);
    assert.equal(stop.params.reason, 'Remote');
    assert.deepEqual(await callCp('UnlockConnector', { connectorId: 1 }), { status: 'Unlocked' });
    await cpctlOk('unplug', '1');
    await waitForCall('StatusNotification Available', (c) => c.method === 'StatusNotification' && c.params.connectorId === 1
      && c.params.status === 'Available', 20000, calls.indexOf(stop));
    assert.deepEqual(await callCp('ChangeAvailability', { connectorId: 1, type: 'Inoperative' }), { status: 'Accepted' });
    assert.deepEqual(await callCp('ChangeAvailability', { connectorId: 1, type: 'Operative' }), { status: 'Accepted' });
    const dt = await callCp('DataTransfer', { vendorId: 'com.example.unknown', messageId: 'x', data: 'y' });
    assert.equal(dt.status, 'UnknownVendorId');
    await sleep(300);
    assertNoValidationFailures();
  });
  test('issue 11 against a strict central system: AuthEnabled, a profile in W, Soft reset registers again', async () => {
    // The seed's AuthEnabled is the free-charging switch, under the name the seed gives it.
    assert.deepEqual(await callCp('ChangeConfiguration', { key: 'AuthEnabled', value: 'true' }), { status: 'Accepted' });
    const got = await callCp('GetConfiguration', { key: ['AuthEnabled'] });
    assert.deepEqual(got.configurationKey, [{ key: 'AuthEnabled', readonly: false, value: 'true' }]);
    await cp.waitStatus((s) => s0(s).hmi?.halo === 'yellow', 10000, 'free charging shows the yellow halo');
    assert.deepEqual(await callCp('ChangeConfiguration', { key: 'AuthEnabled', value: 'false' }), { status: 'Accepted' });
    // A charging profile in W: converted with NominalVoltage (230 V), not Rejected.
    const units = await callCp('GetConfiguration', { key: ['ChargingScheduleAllowedChargingRateUnit'] });
    assert.equal(units.configurationKey[0].value, 'Current,Power');
    const wProfile = { chargingProfileId: 611, stackLevel: 1, chargingProfilePurpose: 'TxDefaultProfile',
      chargingProfileKind: 'Absolute', chargingSchedule: { chargingRateUnit: 'W', startSchedule: new Date(Date.now() - 60000).toISOString(),
        chargingSchedulePeriod: [{ startPeriod: 0, limit: 11040 }] } };
    assert.ok(['Accepted', 'Unknown'].includes((await callCp('ClearChargingProfile', {})).status));  // earlier tests' profiles
    assert.deepEqual(await callCp('SetChargingProfile', { connectorId: 1, csChargingProfiles: wProfile }), { status: 'Accepted' });
    await cp.waitStatus((s) => s0(s).limitA === 16, 10000, '11 040 W on 3 phases (the default) at 230 V is 16 A');
    assert.deepEqual(await callCp('ClearChargingProfile', { id: 611 }), { status: 'Accepted' });
    await cp.waitStatus((s) => s0(s).limitA === 32, 10000, 'the default limit again');
    // Soft reset: "after a restart … the Charge Point SHALL send a BootNotification" (4.2.1, 5.14).
    const boots = calls.filter((c) => c.method === 'BootNotification').length;
    const beforeReset = calls.length;
    assert.deepEqual(await callCp('Reset', { type: 'Soft' }), { status: 'Accepted' });
    await waitForCall('BootNotification after the Soft reset', (c) => c.method === 'BootNotification', 30000, beforeReset);
    assert.equal(calls.filter((c) => c.method === 'BootNotification').length, boots + 1);
    await cp.waitStatus((s) => s.ocpp.registration === 'Accepted' && s.actors.every((a) => a.state === 'running'), 20000,
      'registered again after the Soft reset');
    await sleep(300);
    assertNoValidationFailures();
  });
  // Last: the install restarts the controller in place.
  test('security whitepaper against a strict central system: certificate management, ExtendedTriggerMessage, '
    + 'SignCertificate / CertificateSigned and SecurityEventNotification schema-valid', async () => {
    await waitForCall('SecurityEventNotification StartupOfTheDevice', (c) => c.method === 'SecurityEventNotification'
      && c.params.type === 'StartupOfTheDevice');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-interop-cert-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', 'root.key', '-out', 'root.pem', '-days', '2', '-subj', '/CN=interop root'], { cwd: dir, stdio: 'ignore' });
      const certificate = fs.readFileSync(path.join(dir, 'root.pem'), 'utf8');
      const since = calls.length;
      assert.deepEqual(await callCp('InstallCertificate', { certificateType: 'ManufacturerRootCertificate', certificate }),
        { status: 'Accepted' });
      assert.deepEqual(await callCp('InstallCertificate', { certificateType: 'ManufacturerRootCertificate',
        certificate: 'garbage' }), { status: 'Rejected' });
      const ids = await callCp('GetInstalledCertificateIds', { certificateType: 'ManufacturerRootCertificate' });
      assert.equal(ids.status, 'Accepted');
      assert.equal(ids.certificateHashData.length, 1);
      assert.deepEqual(await callCp('DeleteCertificate', { certificateHashData: ids.certificateHashData[0] }),
        { status: 'Accepted' });
      assert.deepEqual(await callCp('DeleteCertificate', { certificateHashData: ids.certificateHashData[0] }),
        { status: 'NotFound' });
      assert.deepEqual(await callCp('GetInstalledCertificateIds', { certificateType: 'ManufacturerRootCertificate' }),
        { status: 'NotFound' });
      assert.deepEqual(await callCp('ExtendedTriggerMessage', { requestedMessage: 'Heartbeat' }), { status: 'Accepted' });
      await waitForCall('the triggered Heartbeat', (c) => c.method === 'Heartbeat', 20000, since);
      // install and delete are security events: both reach the strict central system
      await waitForCall('the second ReconfigurationOfSecurityParameters', (c) => c.method === 'SecurityEventNotification'
        && /^DeleteCertificate/.test(c.params.techInfo ?? ''), 20000, since);

      // A02: without CpoName no CSR; with it, SignCertificate, the test CA signs, CertificateSigned
      assert.deepEqual(await callCp('ExtendedTriggerMessage', { requestedMessage: 'SignChargePointCertificate' }),
        { status: 'Rejected' });
      assert.deepEqual(await callCp('ChangeConfiguration', { key: 'CpoName', value: 'Interop CPO' }), { status: 'Accepted' });
      assert.deepEqual(await callCp('InstallCertificate', { certificateType: 'CentralSystemRootCertificate', certificate }),
        { status: 'Accepted' });
      const beforeCsr = calls.length;
      assert.deepEqual(await callCp('ExtendedTriggerMessage', { requestedMessage: 'SignChargePointCertificate' }),
        { status: 'Accepted' });
      const sign = await waitForCall('SignCertificate', (c) => c.method === 'SignCertificate', 20000, beforeCsr);
      assert.match(sign.params.csr, /^-----BEGIN CERTIFICATE REQUEST-----/);
      fs.writeFileSync(path.join(dir, 'cp.csr'), sign.params.csr);
      execFileSync('openssl', ['x509', '-req', '-in', 'cp.csr', '-CA', 'root.pem', '-CAkey', 'root.key',
        '-set_serial', '0x1601', '-days', '20', '-out', 'cp.pem'], { cwd: dir, stdio: 'ignore' });
      assert.deepEqual(await callCp('CertificateSigned', { certificateChain: certificate }), { status: 'Rejected' });
      await waitForCall('InvalidChargePointCertificate', (c) => c.method === 'SecurityEventNotification'
        && c.params.type === 'InvalidChargePointCertificate', 20000, beforeCsr);
      assert.deepEqual(await callCp('CertificateSigned',
        { certificateChain: fs.readFileSync(path.join(dir, 'cp.pem'), 'utf8') }), { status: 'Accepted' });
      await cp.waitStatus((s) => s.security?.chargePointCertificate?.serialNumber === '1601', 10000,
        'the signed certificate in use');
      assertNoValidationFailures();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('Firmware Management against a strict central system: GetDiagnostics, UpdateFirmware, both notifications '
    + 'and their triggers schema-valid', async () => {
    const VERSION = '7.7.7-interop';
    const image = `CHARGEPOINTD-SIM-FIRMWARE ${VERSION}\n${'z'.repeat(4096)}\n`;
    const uploads = [];
    const files = http.createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/fw.bin') return res.end(image);
      if (req.method === 'POST' && req.url === '/upload') {
        const chunks = [];
        req.on('data', (d) => chunks.push(d));
        req.on('end', () => { uploads.push(Buffer.concat(chunks)); res.end('ok'); });
        return undefined;
      }
      res.statusCode = 404;
      return res.end();
    });
    await new Promise((resolve) => files.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${files.address().port}`;
    try {
      const statusesOf = (method, since) => calls.slice(since).filter((c) => c.method === method).map((c) => c.params.status);
      let since = calls.length;
      await callCp('TriggerMessage', { requestedMessage: 'DiagnosticsStatusNotification' });
      await callCp('TriggerMessage', { requestedMessage: 'FirmwareStatusNotification' });
      await waitForCall('FirmwareStatusNotification Idle', (c) => c.method === 'FirmwareStatusNotification'
        && c.params.status === 'Idle', 20000, since);
      assert.deepEqual(statusesOf('DiagnosticsStatusNotification', since), ['Idle']);

      since = calls.length;
      const diag = await callCp('GetDiagnostics', { location: `${base}/upload`, retries: 1, retryInterval: 1 });
      assert.match(diag.fileName, /\.tar\.gz$/);
      await waitForCall('DiagnosticsStatusNotification Uploaded', (c) => c.method === 'DiagnosticsStatusNotification'
        && c.params.status === 'Uploaded', 30000, since);
      assert.deepEqual(statusesOf('DiagnosticsStatusNotification', since), ['Uploading', 'Uploaded']);
      assert.equal(uploads.length, 1, 'the archive arrived');

      // SignedUpdateFirmware (L01): a signature of another image — InvalidSignature, not installed
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-interop-fw-'));
      try {
        const run = (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] });
        run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'm.key',
          '-out', 'm.pem', '-days', '2', '-subj', '/CN=interop manufacturer']);
        fs.writeFileSync(path.join(dir, 'other.bin'), 'not the image');
        const signature = run(['dgst', '-sha256', '-sign', 'm.key', 'other.bin']).toString('base64');
        const root = fs.readFileSync(path.join(dir, 'm.pem'), 'utf8');
        assert.deepEqual(await callCp('InstallCertificate', { certificateType: 'ManufacturerRootCertificate',
          certificate: root }), { status: 'Accepted' });
        since = calls.length;
        assert.deepEqual(await callCp('SignedUpdateFirmware', { requestId: 77, retries: 1, retryInterval: 1,
          firmware: { location: `${base}/fw.bin`, retrieveDateTime: new Date().toISOString(),
            signingCertificate: root, signature } }), { status: 'Accepted' });
        await waitForCall('SignedFirmwareStatusNotification InvalidSignature', (c) => c.method
          === 'SignedFirmwareStatusNotification' && c.params.status === 'InvalidSignature', 30000, since);
        assert.deepEqual(statusesOf('SignedFirmwareStatusNotification', since),
          ['Downloading', 'Downloaded', 'InvalidSignature']);
        // GetLog (N01): the security log uploaded, LogStatusNotification schema-valid
        since = calls.length;
        const log = await callCp('GetLog', { logType: 'SecurityLog', requestId: 78,
          log: { remoteLocation: `${base}/upload` } });
        assert.equal(log.status, 'Accepted');
        await waitForCall('LogStatusNotification Uploaded', (c) => c.method === 'LogStatusNotification'
          && c.params.status === 'Uploaded', 30000, since);
        assert.deepEqual(statusesOf('LogStatusNotification', since), ['Uploading', 'Uploaded']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }

      since = calls.length;
      assert.deepEqual(await callCp('UpdateFirmware', { location: `${base}/fw.bin`, retrieveDate: new Date().toISOString(),
        retries: 1, retryInterval: 1 }), {});
      const boot = await waitForCall('BootNotification with the new firmwareVersion', (c) => c.method === 'BootNotification'
        && c.params.firmwareVersion === VERSION, 60000, since);
      await waitForCall('FirmwareStatusNotification Installed', (c) => c.method === 'FirmwareStatusNotification'
        && c.params.status === 'Installed', 30000, calls.indexOf(boot));
      assert.deepEqual(statusesOf('FirmwareStatusNotification', since), ['Downloading', 'Downloaded', 'Installing', 'Installed']);
      await cp.waitStatus((s) => s.ocpp.registration === 'Accepted' && s.firmware?.version === VERSION, 20000,
        'registered again, running the new firmware');
      await sleep(300);
      assertNoValidationFailures();
    } finally {
      files.close();
    }
  });
});
