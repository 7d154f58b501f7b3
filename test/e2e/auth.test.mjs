// auth.test.mjs — who may charge, end to end (OCPP 1.6 §3.5 Local Authorization & Offline
// Behavior, §5.10 GetLocalListVersion, §5.15 SendLocalList, §5.4 ClearCache, §4.1 Authorize;
// the seed's RFID "little-endian, without separators", PIN and AuthEnabled free charging).
//
// Why it exists: the auth actor decides, online or offline, exactly as the operator configured
// it. These tests drive the real binaries: the central system manages the Local Authorization
// List and the cache, the link goes down (csms.stop()) and comes back (csms.start()), and cards,
// raw RFID UIDs and PINs are presented through cpctl. Each test checks what the central system
// receives (Authorize, StartTransaction, StopTransaction and their fields) and what the
// controller reports (`cpctl status`). A refusal is observed through the auth actor's decision
// log line ("auth <idTag>: <status> (<source>)"), then checked to start nothing for a while.
// Every wait is bounded; nothing asserts on time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  startPair, waitBooted, statusNotification, isCallIn, connector, isConnected,
} from './lib/harness.mjs';

const HERE = import.meta.url;

// A booted pair with connector 1 reported Available.
async function bootedPair(t, options = {}) {
  const { csms, cp } = await startPair(t, HERE, { csms: { bootInterval: 300, ...(options.csms ?? {}) }, cp: options.cp ?? {} });
  await waitBooted(cp);
  await csms.waitFor(statusNotification(1, 'Available'), 20000);
  return { csms, cp };
}

const tx = (s) => connector(s, 1)?.transaction ?? null;
const callFrames = (csms, action, since = 0) => csms.frames.slice(since).filter((f) => isCallIn(f, action));
const authorizeTags = (csms, since = 0) => callFrames(csms, 'Authorize', since).map((f) => f.msg[3].idTag);

// The answer the CSMS sent to a CALL frame from the charge point.
function answerTo(csms, frame) {
  return csms.frames.find((f) => f.dir === 'out' && Array.isArray(f.msg) && f.msg[0] !== 2 && f.msg[1] === frame.msg[1]);
}

async function setConfig(cp, key, value) {
  await cp.cpctlOk('config', 'set', key, String(value));
}

async function call(csms, action, payload) {
  const { result, error } = await csms.call(action, payload, { timeoutMs: 15000 });
  assert.equal(error, undefined, `${action} answered a CALLERROR: ${JSON.stringify(error)}`);
  return result;
}

const listVersion = async (csms) => (await call(csms, 'GetLocalListVersion', {})).listVersion;

async function takeOffline(csms, cp) {
  await csms.stop();
  await cp.waitStatus((s) => !isConnected(s), 20000, 'the controller notices the central system is gone');
}

async function bringOnline(csms, cp) {
  await csms.start();  // same port
  await cp.waitStatus((s) => isConnected(s) && s.ocpp.registration === 'Accepted', 90000, 'connected again');
}

function escapeRe(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// Wait (bounded) for the auth actor's decision line "<idTag>: <status> (<source>)" written
// after log offset `from` (cp.logs().length taken before the action).
async function waitDecision(cp, from, idTag, status, source, timeoutMs = 20000) {
  const re = new RegExp(`\\bauth\\s+${escapeRe(idTag)}: ${status} \\(${source}\\)`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = cp.logs().slice(from);
    if (re.test(text)) return;
    if (Date.now() >= deadline) {
      const authLines = text.split('\n').filter((l) => /\bauth\s/.test(l) || /\bhw\s/.test(l)).slice(-30).join('\n');
      throw new Error(`no auth decision "${idTag}: ${status} (${source})" within ${timeoutMs} ms; `
        + `auth/hw log lines since then:\n${authLines || '(none)'}`);
    }
    await sleep(100);
  }
}

// Present `tag` with the cable plugged and check that no transaction starts: the decision
// (status, source) is logged, then nothing starts for a while.
async function expectRefused(cp, tag, status, source) {
  const from = cp.logs().length;
  await cp.cpctlOk('swipe', tag);
  await waitDecision(cp, from, tag, status, source);
  await cp.expectNever((s) => tx(s) !== null || connector(s, 1).contactor === true, 1500,
    `a transaction or a closed contactor for ${tag} (${status})`);
}

// Plug (if needed), present `tag`, wait until a transaction with that idTag is open.
async function startOffline(cp, tag) {
  await cp.cpctlOk('swipe', tag);
  const s = await cp.waitStatus((x) => tx(x) !== null && connector(x, 1).contactor === true, 20000,
    `transaction for ${tag} started locally`);
  assert.equal(tx(s).idTag, tag);
  assert.equal(tx(s).id, null, 'no CSMS transactionId while offline');
  return s;
}

// plug, swipe TAG online, wait until StartTransaction was confirmed and the contactor is closed.
async function startOnline(csms, cp, tag, since) {
  await cp.cpctlOk('plug', '1');
  await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);
  await cp.cpctlOk('swipe', tag);
  const start = await csms.waitFor((f) => isCallIn(f, 'StartTransaction') && f.msg[3].idTag === tag, 20000, since);
  await cp.waitStatus((s) => tx(s)?.id != null && connector(s, 1).contactor === true, 20000,
    `transaction for ${tag} confirmed`);
  return start;
}

// swipe TAG to stop the running session, unplug, wait for Available.
async function stopAndUnplug(csms, cp, tag, since) {
  await cp.cpctlOk('swipe', tag);
  const stop = await csms.waitFor('StopTransaction', 20000, since);
  await cp.waitStatus((s) => tx(s) === null && connector(s, 1).contactor === false, 20000, 'stopped');
  await cp.cpctlOk('unplug', '1');
  await cp.waitStatus((s) => connector(s, 1).status === 'Available', 20000, 'Available');
  return stop;
}

const entry = (idTag, status, extra = {}) => ({ idTag, idTagInfo: { status, ...extra } });

// ---------------------------------------------------------------- Local Authorization List

test('SendLocalList Full then Differential, version rules, bad updates untouched, offline authorization from the list', async (t) => {
  const { csms, cp } = await bootedPair(t);
  assert.equal(await listVersion(csms), 0, 'an empty list reports version 0');

  let r = await call(csms, 'SendLocalList', {
    listVersion: 1, updateType: 'Full',
    localAuthorizationList: [entry('TAG-A', 'Accepted'), entry('TAG-B', 'Blocked')],
  });
  assert.deepEqual(r, { status: 'Accepted' }, 'Full version 1');
  assert.equal(await listVersion(csms), 1);

  r = await call(csms, 'SendLocalList', {
    listVersion: 2, updateType: 'Differential',
    localAuthorizationList: [entry('TAG-C', 'Accepted'), { idTag: 'TAG-A' }],
  });
  assert.deepEqual(r, { status: 'Accepted' }, 'Differential version 2 (add TAG-C, delete TAG-A)');
  assert.equal(await listVersion(csms), 2);

  r = await call(csms, 'SendLocalList', {
    listVersion: 2, updateType: 'Differential', localAuthorizationList: [entry('TAG-X', 'Accepted')],
  });
  assert.deepEqual(r, { status: 'VersionMismatch' }, 'Differential with the current version');
  r = await call(csms, 'SendLocalList', {
    listVersion: 1, updateType: 'Differential', localAuthorizationList: [entry('TAG-X', 'Accepted')],
  });
  assert.deepEqual(r, { status: 'VersionMismatch' }, 'Differential with an older version');
  assert.equal(await listVersion(csms), 2);

  // Over SendLocalListMaxLength: Failed, list untouched.
  const conf = await call(csms, 'GetConfiguration', { key: ['SendLocalListMaxLength'] });
  const maxLen = Number(conf.configurationKey?.[0]?.value);
  assert.ok(Number.isInteger(maxLen) && maxLen >= 1, `SendLocalListMaxLength reported: ${JSON.stringify(conf)}`);
  const tooMany = Array.from({ length: maxLen + 1 }, (_, i) => entry(`BULK-${i}`, 'Accepted'));
  r = await call(csms, 'SendLocalList', { listVersion: 3, updateType: 'Full', localAuthorizationList: tooMany });
  assert.deepEqual(r, { status: 'Failed' }, `Full with ${maxLen + 1} entries (SendLocalListMaxLength ${maxLen})`);
  assert.equal(await listVersion(csms), 2, 'version unchanged after an over-long list');
  r = await call(csms, 'SendLocalList', { listVersion: 3, updateType: 'Differential', localAuthorizationList: tooMany });
  assert.deepEqual(r, { status: 'Failed' }, `Differential with ${maxLen + 1} entries`);
  assert.equal(await listVersion(csms), 2);

  // Duplicates (exact, and differing only in case: idTags are case-insensitive): Failed.
  r = await call(csms, 'SendLocalList', {
    listVersion: 3, updateType: 'Differential',
    localAuthorizationList: [entry('TAG-D', 'Accepted'), entry('TAG-D', 'Blocked')],
  });
  assert.deepEqual(r, { status: 'Failed' }, 'Differential with a duplicate idTag');
  r = await call(csms, 'SendLocalList', {
    listVersion: 3, updateType: 'Full',
    localAuthorizationList: [entry('tag-e', 'Accepted'), entry('TAG-E', 'Accepted')],
  });
  assert.deepEqual(r, { status: 'Failed' }, 'Full with the same idTag in two cases');
  assert.equal(await listVersion(csms), 2, 'version unchanged after the refused updates');

  // Offline: the list (version 2: TAG-B Blocked, TAG-C Accepted; TAG-A deleted) decides.
  await setConfig(cp, 'LocalAuthorizeOffline', 'true');
  await setConfig(cp, 'AllowOfflineTxForUnknownId', 'false');
  await takeOffline(csms, cp);
  const since = csms.mark();

  await cp.cpctlOk('plug', '1');
  await cp.waitStatus((s) => connector(s, 1).plugged === true, 10000, 'plugged');
  const fromC = cp.logs().length;
  const s = await startOffline(cp, 'TAG-C');
  await waitDecision(cp, fromC, 'TAG-C', 'Accepted', 'list');
  const meterStart = tx(s).meterStart;
  await cp.cpctlOk('swipe', 'TAG-C');
  await cp.waitStatus((x) => tx(x) === null && connector(x, 1).contactor === false, 20000, 'TAG-C stopped offline');
  await cp.cpctlOk('unplug', '1');
  await cp.waitStatus((x) => connector(x, 1).plugged === false && connector(x, 1).status === 'Available', 20000, 'Available');

  await cp.cpctlOk('plug', '1');
  await cp.waitStatus((x) => connector(x, 1).plugged === true, 10000, 'plugged again');
  await expectRefused(cp, 'TAG-B', 'Blocked', 'list');
  await expectRefused(cp, 'TAG-A', 'Invalid', 'offline');  // deleted by the Differential update
  await expectRefused(cp, 'BULK-0', 'Invalid', 'offline'); // only in the refused over-long list
  await cp.cpctlOk('unplug', '1');

  await bringOnline(csms, cp);
  const stop = await csms.waitFor('StopTransaction', 60000, since);
  await sleep(1000);  // anything else queued offline would show up now
  const starts = callFrames(csms, 'StartTransaction', since);
  assert.deepEqual(starts.map((f) => f.msg[3].idTag), ['TAG-C'],
    `only TAG-C's StartTransaction reaches the central system:\n${csms.describeFrames(since)}`);
  assert.equal(starts[0].msg[3].meterStart, meterStart);
  assert.equal(stop.msg[3].transactionId, answerTo(csms, starts[0]).msg[2].transactionId);
  assert.equal(stop.msg[3].reason, 'Local');
  assert.deepEqual(authorizeTags(csms, since), [], 'no Authorize for decisions taken offline');
  assert.equal(await listVersion(csms), 2, 'the list version is durable across the reconnect');
});

test('LocalAuthListEnabled false: GetLocalListVersion -1, SendLocalList NotSupported, the stored list kept', async (t) => {
  const { csms, cp } = await bootedPair(t);
  assert.deepEqual(await call(csms, 'SendLocalList', {
    listVersion: 4, updateType: 'Full', localAuthorizationList: [entry('TAG-KEPT', 'Accepted')],
  }), { status: 'Accepted' });
  assert.deepEqual(await call(csms, 'ChangeConfiguration', { key: 'LocalAuthListEnabled', value: 'false' }), { status: 'Accepted' });
  assert.equal(await listVersion(csms), -1, 'a disabled list reports -1');
  assert.deepEqual(await call(csms, 'SendLocalList', {
    listVersion: 5, updateType: 'Full', localAuthorizationList: [],
  }), { status: 'NotSupported' });
  assert.deepEqual(await call(csms, 'ChangeConfiguration', { key: 'LocalAuthListEnabled', value: 'true' }), { status: 'Accepted' });
  assert.equal(await listVersion(csms), 4, 'the stored list was left untouched');
  // An empty Full update empties the list: version 0 (5.10).
  assert.deepEqual(await call(csms, 'SendLocalList', {
    listVersion: 5, updateType: 'Full', localAuthorizationList: [],
  }), { status: 'Accepted' });
  assert.equal(await listVersion(csms), 0, 'an emptied list reports 0');
  assert.deepEqual(await call(csms, 'ClearCache', {}), { status: 'Accepted' });
});

test('LocalPreAuthorize true: a tag Accepted in the local list starts online without Authorize.req', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const r = await call(csms, 'SendLocalList', {
    listVersion: 7, updateType: 'Full', localAuthorizationList: [entry('TAG-PRE', 'Accepted')],
  });
  assert.deepEqual(r, { status: 'Accepted' });
  await setConfig(cp, 'LocalPreAuthorize', 'true');
  await cp.restart();  // the list and the key are durable
  await waitBooted(cp, 60000);
  assert.equal(await listVersion(csms), 7, 'the list survives a restart');
  const since = csms.mark();
  const from = cp.logs().length;
  const start = await startOnline(csms, cp, 'TAG-PRE', since);
  await waitDecision(cp, from, 'TAG-PRE', 'Accepted', 'list');
  assert.equal(start.msg[3].connectorId, 1);
  assert.deepEqual(authorizeTags(csms, since), [], `no Authorize.req for a list hit:\n${csms.describeFrames(since)}`);
  const stop = await stopAndUnplug(csms, cp, 'TAG-PRE', since);
  assert.equal(stop.msg[3].reason, 'Local');
  assert.deepEqual(authorizeTags(csms, since), [], 'the same tag stops without Authorize.req');
});

// ---------------------------------------------------------------- Authorization Cache

test('cache: learnt online (expiryDate honoured) authorizes offline; an expired entry is refused; ClearCache empties it', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await setConfig(cp, 'AuthorizationCacheEnabled', 'true');
  await setConfig(cp, 'LocalAuthorizeOffline', 'true');
  await setConfig(cp, 'AllowOfflineTxForUnknownId', 'false');
  await setConfig(cp, 'LocalPreAuthorize', 'false');

  const dayAhead = new Date(Date.now() + 24 * 3600 * 1000).toISOString();
  let shortExpiry = null;  // set just before TAG-SHORT's session
  const infoFor = (idTag) => (idTag === 'TAG-SHORT'
    ? { status: 'Accepted', expiryDate: shortExpiry }
    : { status: 'Accepted', expiryDate: dayAhead });
  // Every IdTagInfo the CSMS returns (all three update the cache) carries the same expiryDate.
  csms.handle('Authorize', (p) => ({ idTagInfo: infoFor(p.idTag) }));
  csms.handle('StartTransaction', (p) => ({ transactionId: csms.nextTransactionId++, idTagInfo: infoFor(p.idTag) }));
  csms.handle('StopTransaction', (p) => (p.idTag ? { idTagInfo: infoFor(p.idTag) } : {}));

  let since = csms.mark();
  await startOnline(csms, cp, 'TAG-CACHED', since);
  assert.deepEqual(authorizeTags(csms, since), ['TAG-CACHED']);
  await stopAndUnplug(csms, cp, 'TAG-CACHED', since);

  since = csms.mark();
  shortExpiry = new Date(Date.now() + 4000).toISOString();
  await startOnline(csms, cp, 'TAG-SHORT', since);
  assert.deepEqual(authorizeTags(csms, since), ['TAG-SHORT']);
  await stopAndUnplug(csms, cp, 'TAG-SHORT', since);
  // Past TAG-SHORT's expiryDate (bounded; the controller reads the same wall clock).
  while (Date.now() <= Date.parse(shortExpiry) + 500) await sleep(200);

  await takeOffline(csms, cp);
  await cp.restart();  // the cache is durable
  since = csms.mark();
  await cp.cpctlOk('plug', '1');
  await cp.waitStatus((s) => connector(s, 1).plugged === true, 10000, 'plugged');
  const from = cp.logs().length;
  await startOffline(cp, 'TAG-CACHED');
  await waitDecision(cp, from, 'TAG-CACHED', 'Accepted', 'cache');
  await cp.cpctlOk('swipe', 'TAG-CACHED');
  await cp.waitStatus((s) => tx(s) === null && connector(s, 1).contactor === false, 20000, 'stopped offline');
  await cp.cpctlOk('unplug', '1');
  await cp.cpctlOk('plug', '1');
  await cp.waitStatus((s) => connector(s, 1).plugged === true && tx(s) === null, 10000, 'plugged again');
  await expectRefused(cp, 'TAG-SHORT', 'Expired', 'cache');
  await cp.cpctlOk('unplug', '1');
  await cp.waitStatus((s) => connector(s, 1).status === 'Available', 20000, 'Available');

  await bringOnline(csms, cp);
  await csms.waitFor('StopTransaction', 60000, since);  // the offline session is delivered
  const starts = callFrames(csms, 'StartTransaction', since).map((f) => f.msg[3].idTag);
  assert.deepEqual(starts, ['TAG-CACHED'], `only the cached tag started offline:\n${csms.describeFrames(since)}`);
  assert.deepEqual(await call(csms, 'ClearCache', {}), { status: 'Accepted' });

  await takeOffline(csms, cp);
  await cp.cpctlOk('plug', '1');
  await cp.waitStatus((s) => connector(s, 1).plugged === true, 10000, 'plugged after ClearCache');
  await expectRefused(cp, 'TAG-CACHED', 'Invalid', 'offline');
});

test('unknown tag offline: refused with AllowOfflineTxForUnknownId false, started with true', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await setConfig(cp, 'LocalAuthorizeOffline', 'true');
  await setConfig(cp, 'AllowOfflineTxForUnknownId', 'false');
  await takeOffline(csms, cp);
  const since = csms.mark();
  await cp.cpctlOk('plug', '1');
  await cp.waitStatus((s) => connector(s, 1).plugged === true, 10000, 'plugged');
  await expectRefused(cp, 'TAG-UNKNOWN-1', 'Invalid', 'offline');

  await setConfig(cp, 'AllowOfflineTxForUnknownId', 'true');
  const from = cp.logs().length;
  await startOffline(cp, 'TAG-UNKNOWN-2');
  await waitDecision(cp, from, 'TAG-UNKNOWN-2', 'Accepted', 'offline');
  assert.equal(csms.frames.length, since, 'nothing could reach the central system');
});

test('Authorize unanswered (timeout): the offline rules decide — unknown tag allowed → starts', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await setConfig(cp, 'MessageTimeout', 3);
  await setConfig(cp, 'AllowOfflineTxForUnknownId', 'true');
  csms.handle('Authorize', () => ({ noReply: true }));
  const since = csms.mark();
  await cp.cpctlOk('plug', '1');
  await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);
  const from = cp.logs().length;
  await cp.cpctlOk('swipe', 'TAG-SILENT');
  const auth = await csms.waitFor('Authorize', 20000, since);
  assert.deepEqual(auth.msg[3], { idTag: 'TAG-SILENT' });
  // MessageTimeout 3 s (+ the controller's own slack): bounded well above that.
  await waitDecision(cp, from, 'TAG-SILENT', 'Accepted', 'offline', 30000);
  // The StartTransaction may queue behind the unanswered Authorize (one CALL in flight, OCPP-J
  // 4.1.1) until the link layer gives up on it: bounded above the 30 s default.
  const start = await csms.waitFor('StartTransaction', 45000, since);
  assert.equal(start.msg[3].idTag, 'TAG-SILENT');
  await cp.waitStatus((s) => tx(s)?.idTag === 'TAG-SILENT' && connector(s, 1).contactor === true, 20000,
    'transaction started after the Authorize timed out');
});

test('behind an unanswered StartTransaction a card in the local list waits ~2 s, not MessageTimeout', async (t) => {
  // OCPP-J allows one CALL in flight: an Authorize queued behind an unanswered StartTransaction
  // would wait for its 30 s timeout. A card the local list (or cache) accepts is let in after
  // 2 s, as LocalPreAuthorize would; an unknown card keeps waiting for the central system.
  const { csms, cp } = await bootedPair(t, { cp: { connectors: 2 } });
  const r = await call(csms, 'SendLocalList', { listVersion: 1, updateType: 'Full',
    localAuthorizationList: [{ idTag: 'TAG-LISTED', idTagInfo: { status: 'Accepted' } }] });
  assert.equal(r.status, 'Accepted');
  csms.handle('StartTransaction', () => ({ noReply: true }));
  const since = csms.mark();
  await cp.cpctlOk('plug', '1');
  await cp.cpctlOk('swipe', 'TAG-FIRST');
  await csms.waitFor('StartTransaction', 20000, since);
  await cp.cpctlOk('plug', '2');
  const from = cp.logs().length;
  const swiped = Date.now();
  await cp.cpctlOk('swipe', 'TAG-LISTED');
  await waitDecision(cp, from, 'TAG-LISTED', 'Accepted', 'list', 15000);
  await cp.waitStatus((s) => connector(s, 2)?.transaction?.idTag === 'TAG-LISTED' && connector(s, 2).contactor === true,
    15000, 'the listed card charges on connector 2 while the first StartTransaction is unanswered');
  assert.ok(Date.now() - swiped < 20000, 'well before MessageTimeout (30 s)');
  assert.equal(authorizeTags(csms, since).filter((tag) => tag === 'TAG-LISTED').length, 0,
    'its Authorize is still queued behind the unanswered StartTransaction');
});

test('Authorize unanswered (timeout) with AllowOfflineTxForUnknownId false: refused', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await setConfig(cp, 'MessageTimeout', 3);
  await setConfig(cp, 'AllowOfflineTxForUnknownId', 'false');
  csms.handle('Authorize', () => ({ noReply: true }));
  const since = csms.mark();
  await cp.cpctlOk('plug', '1');
  await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);
  const from = cp.logs().length;
  await cp.cpctlOk('swipe', 'TAG-SILENT2');
  await csms.waitFor('Authorize', 20000, since);
  await waitDecision(cp, from, 'TAG-SILENT2', 'Invalid', 'offline', 30000);
  await cp.expectNever((s) => tx(s) !== null || connector(s, 1).contactor === true, 1500, 'a transaction for an unanswered tag');
  assert.equal(callFrames(csms, 'StartTransaction', since).length, 0);
});

// ---------------------------------------------------------------- identification sources

// The CSMS answers every Authorize Invalid, so no authorization stays pending between swipes.
async function authorizeOf(csms, cp, args) {
  const since = csms.mark();
  await cp.cpctlOk(...args);
  const f = await csms.waitFor('Authorize', 20000, since);
  return f.msg[3].idTag;
}

test('RFID UID: little-endian upper-case hex by default, big-endian by RfidUidByteOrder, malformed UIDs refused', async (t) => {
  const { csms, cp } = await bootedPair(t);
  csms.handle('Authorize', () => ({ idTagInfo: { status: 'Invalid' } }));
  assert.equal(await authorizeOf(csms, cp, ['rfid', '04A1B2C3']), 'C3B2A104', '4-byte UID, bytes reversed');
  assert.equal(await authorizeOf(csms, cp, ['rfid', '04a1b2c3d4e5f6']), 'F6E5D4C3B2A104', '7-byte UID, lower-case input');
  assert.equal(await authorizeOf(csms, cp, ['rfid', '0102030405060708090A']), '0A090807060504030201', '10-byte UID');

  // Malformed UIDs: cpctl exits 1 (refused), nothing reaches the central system.
  const since = csms.mark();
  for (const bad of ['XYZ', '04A1B2C', '0102030405', '04:A1:B2:C3', '']) {
    const r = await cp.cpctl('rfid', bad);
    assert.equal(r.code, 1, `cpctl rfid ${JSON.stringify(bad)} exits 1 (refused), got ${r.code}: ${r.stderr}`);
    assert.ok(r.stderr.trim().length > 0, 'with a reason on stderr');
  }
  assert.match(cp.logs(), /refused rfid/, 'a log line for the malformed UID');
  await setConfig(cp, 'RfidUidByteOrder', 'big-endian');
  // The next Authorize is the valid UID's: the malformed ones sent none.
  assert.equal(await authorizeOf(csms, cp, ['rfid', '04A1B2C3']), '04A1B2C3', 'big-endian keeps the reader order');
  assert.deepEqual(authorizeTags(csms, since), ['04A1B2C3'], `Authorize since the malformed UIDs:\n${csms.describeFrames(since)}`);
  assert.equal(await authorizeOf(csms, cp, ['rfid', '04a1b2c3d4e5f6']), '04A1B2C3D4E5F6', '7-byte UID, big-endian');

  // A bad value for the vendor key is rejected.
  const r = await cp.cpctl('config', 'set', 'RfidUidByteOrder', 'middle-endian');
  assert.notEqual(r.code, 0, 'RfidUidByteOrder accepts only little-endian | big-endian');
  const get = await call(csms, 'GetConfiguration', { key: ['RfidUidByteOrder'] });
  assert.equal(get.configurationKey[0].value, 'big-endian');
});

test('PIN: the digits are the idTag, PinIdTagPrefix prepended; malformed PINs refused', async (t) => {
  const { csms, cp } = await bootedPair(t);
  csms.handle('Authorize', () => ({ idTagInfo: { status: 'Invalid' } }));
  assert.equal(await authorizeOf(csms, cp, ['pin', '4711']), '4711');
  const since = csms.mark();
  for (const bad of ['12a4', '123', '123456789']) {
    const r = await cp.cpctl('pin', bad);
    assert.equal(r.code, 1, `cpctl pin ${bad} exits 1 (refused), got ${r.code}: ${r.stderr}`);
  }
  await setConfig(cp, 'PinIdTagPrefix', 'PIN');
  assert.equal(await authorizeOf(csms, cp, ['pin', '4711']), 'PIN4711');
  assert.deepEqual(authorizeTags(csms, since), ['PIN4711'], 'malformed PINs sent no Authorize');
});

test('keypad: key presses show the masked PIN, C clears, # presents it; the digits never reach the log', async (t) => {
  const { csms, cp } = await bootedPair(t);
  csms.handle('Authorize', () => ({ idTagInfo: { status: 'Accepted' } }));
  await cp.cpctlOk('plug', '1');
  await cp.cpctlOk('key', '98');
  await cp.waitStatus((s) => connector(s, 1).hmi?.display === 'Enter PIN: **', 10000, 'two digits shown as **');
  await cp.cpctlOk('key', 'C');
  await cp.waitStatus((s) => !/Enter PIN/.test(connector(s, 1).hmi?.display ?? ''), 10000, 'C cancels the entry');
  const since = csms.mark();
  await cp.cpctlOk('key', '2468');
  await cp.waitStatus((s) => connector(s, 1).hmi?.display === 'Enter PIN: ****', 10000, 'four digits shown as ****');
  await cp.cpctlOk('key', '#');
  const f = await csms.waitFor('Authorize', 20000, since);
  assert.equal(f.msg[3].idTag, '2468', 'the PIN typed on the keypad is the idTag');
  await cp.waitStatus((s) => connector(s, 1).transaction?.idTag === '2468', 15000, 'the PIN starts the session');
  for (const bad of ['12x', '#'.repeat(17), '']) {
    const r = await cp.cpctl('key', bad);
    assert.notEqual(r.code, 0, `cpctl key ${JSON.stringify(bad)} is refused`);
  }
  assert.doesNotMatch(cp.logs().replace(/idTag[^,]*2468|"2468"|2468[^0-9]*Accepted/g, ''), /hw .*2468/,
    'the hw actor logs how many keys, never the digits');
  assert.match(cp.logs(), /keypad key\(s\) pressed/);
});

// ---------------------------------------------------------------- free charging

test('free charging: plug starts a FREECHARGING transaction without Authorize; unplug stops it; persisted across restart', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await setConfig(cp, 'FreeChargingEnabled', 'true');
  await setConfig(cp, 'StopTransactionOnEVSideDisconnect', 'true');
  let since = csms.mark();
  await cp.cpctlOk('plug', '1');
  const start = await csms.waitFor('StartTransaction', 20000, since);
  assert.equal(start.msg[3].idTag, 'FREECHARGING');
  assert.equal(start.msg[3].connectorId, 1);
  const txId = answerTo(csms, start).msg[2].transactionId;
  await cp.waitStatus((s) => tx(s)?.id === txId && connector(s, 1).contactor === true, 20000, 'free transaction confirmed');
  await cp.cpctlOk('ev', '1', 'charge');
  await csms.waitFor(statusNotification(1, 'Charging'), 20000, since);
  await cp.cpctlOk('unplug', '1');
  const stop = await csms.waitFor('StopTransaction', 20000, since);
  assert.equal(stop.msg[3].transactionId, txId);
  assert.equal(stop.msg[3].reason, 'EVDisconnected');
  await cp.waitStatus((s) => tx(s) === null && connector(s, 1).status === 'Available', 20000, 'Available');
  assert.deepEqual(authorizeTags(csms, since), [], 'no Authorize in free charging');

  await cp.restart();
  await waitBooted(cp, 60000);
  const got = await cp.cpctlOk('config', 'get', 'FreeChargingEnabled');
  assert.match(got.stdout, /true/, `FreeChargingEnabled after restart: ${got.stdout}`);
  since = csms.mark();
  await cp.cpctlOk('plug', '1');
  const start2 = await csms.waitFor('StartTransaction', 20000, since);
  assert.equal(start2.msg[3].idTag, 'FREECHARGING', 'still free charging after the restart');
  assert.deepEqual(authorizeTags(csms, since), []);
});

test('free charging by ChangeConfiguration with a custom FreeChargingIdTag', async (t) => {
  const { csms, cp } = await bootedPair(t);
  assert.deepEqual(await call(csms, 'ChangeConfiguration', { key: 'FreeChargingIdTag', value: 'FLEET-FREE' }), { status: 'Accepted' });
  assert.deepEqual(await call(csms, 'ChangeConfiguration', { key: 'FreeChargingEnabled', value: 'true' }), { status: 'Accepted' });
  const since = csms.mark();
  await cp.cpctlOk('plug', '1');
  const start = await csms.waitFor('StartTransaction', 20000, since);
  assert.equal(start.msg[3].idTag, 'FLEET-FREE');
  assert.deepEqual(authorizeTags(csms, since), []);
});

// ---------------------------------------------------------------- same card stops

test('the same card stops the session, case-insensitively (start "abc123", stop "ABC123"), without Authorize', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const since = csms.mark();
  const start = await startOnline(csms, cp, 'abc123', since);
  assert.deepEqual(authorizeTags(csms, since), ['abc123']);
  const txId = answerTo(csms, start).msg[2].transactionId;
  const stopMark = csms.mark();
  await cp.cpctlOk('swipe', 'ABC123');
  const stop = await csms.waitFor('StopTransaction', 20000, stopMark);
  assert.equal(stop.msg[3].transactionId, txId);
  assert.equal(stop.msg[3].reason, 'Local');
  await cp.waitStatus((s) => tx(s) === null && connector(s, 1).contactor === false, 20000, 'stopped');
  assert.deepEqual(authorizeTags(csms, stopMark), [],
    `no Authorize.req for the identifier that started the session (4.1):\n${csms.describeFrames(stopMark)}`);
});
