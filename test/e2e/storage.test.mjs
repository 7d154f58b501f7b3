// storage.test.mjs — a store that cannot be written, or that disappears, loses no billing data
// (issue 11, items 4 and 5; docs/architecture.md, "When the store fails").
//
// Why it exists: a full disk at the moment of a stop used to lose the stop for good — "cannot
// record the stop", the session reported stopped, no StopTransaction ever, and after a restart
// a `Reboot` stop billing the last saved reading (0 Wh for ~220 Wh delivered). The stop must be
// kept in memory and delivered once the store takes writes again, with the real meter value,
// exactly once; the failure must be visible (log, `cpctl status`, StatusNotification connector 0
// OtherError / StorageFailure) and cleared when writes succeed again. If the process dies
// meanwhile, the next start must bill at least what the board's meter reports. The full store
// also raises the security event MemoryExhaustion, once per episode.
//
// The state dir is a small tmpfs filled to the last block, so these tests need root (mount);
// CI runs as root. Elsewhere they are skipped and say so.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Csms, Controller, artifactName, connector, isCallIn, statusNotification, waitBooted } from './lib/harness.mjs';

const HERE = import.meta.url;
const ROOT = typeof process.getuid === 'function' && process.getuid() === 0;
const NEEDS_ROOT = ROOT ? false : 'needs root to mount a small tmpfs as the state dir (CI runs as root)';

const tx = (s) => connector(s, 1)?.transaction ?? null;
const calls = (csms, action, since = 0) => csms.frames.slice(since).filter((f) => isCallIn(f, action));

// A state dir on its own small tmpfs, unmounted in teardown whatever happens.
function tmpfsStateDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chargepointd-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m,mode=0700', 'tmpfs', dir]);
  return {
    dir,
    fill() {
      // dd ends with "No space left on device": that is the point.
      spawnSync('dd', ['if=/dev/zero', `of=${path.join(dir, 'fill')}`, 'bs=4096'], { stdio: 'ignore' });
      spawnSync('sync');
    },
    free() { fs.rmSync(path.join(dir, 'fill'), { force: true }); },
    cleanup() {
      spawnSync('umount', ['-l', dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startOnTmpfs(t) {
  const fsys = tmpfsStateDir(t);
  const csms = new Csms({});
  await csms.start();
  let cp = null;
  t.after(async () => {
    await cp?.close();
    await csms.stop();
    fsys.cleanup();
  });
  cp = await Controller.start({ csmsUrl: csms.url, name: artifactName(t, HERE), stateDir: fsys.dir });
  await waitBooted(cp);
  await csms.waitFor(statusNotification(1, 'Available'), 20000);
  return { csms, cp, fsys };
}

async function chargingSession(csms, cp, tag) {
  const since = csms.mark();
  await cp.cpctlOk('plug', '1');
  await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);
  await cp.cpctlOk('swipe', tag);
  const start = await csms.waitFor('StartTransaction', 20000, since);
  await cp.cpctlOk('ev', '1', 'charge');
  await cp.waitStatus((s) => tx(s)?.id != null && connector(s, 1).energyWh >= start.msg[3].meterStart + 15,
    30000, 'transaction confirmed, energy flowing');
  return start;
}

const storageFailure = (f) => isCallIn(f, 'StatusNotification') && f.msg[3].connectorId === 0
  && f.msg[3].errorCode === 'OtherError' && f.msg[3].vendorErrorCode === 'StorageFailure';
const storageCleared = (f) => isCallIn(f, 'StatusNotification') && f.msg[3].connectorId === 0
  && f.msg[3].errorCode === 'NoError';

test('a full disk during a stop: the StopTransaction arrives once space is freed, with the real meter value, exactly once',
  { skip: NEEDS_ROOT }, async (t) => {
    const { csms, cp, fsys } = await startOnTmpfs(t);
    const start = await chargingSession(csms, cp, 'FULL01');
    const logSince = cp.logMark();
    fsys.fill();
    const since = csms.mark();
    await cp.cpctlOk('swipe', 'FULL01');
    let s = await cp.waitStatus((x) => tx(x) === null && connector(x, 1).contactor === false, 20000, 'stopped');
    const energyAtStop = connector(s, 1).energyWh;
    // The failure is visible: status, the central system, the log (once).
    s = await cp.waitStatus((x) => x.storage && x.storage.ok === false, 20000, 'status says the store fails');
    assert.match(s.storage.error, /full|disk|I\/O/i, `storage.error: ${s.storage.error}`);
    await csms.waitFor(storageFailure, 20000, since);
    assert.equal(calls(csms, 'StopTransaction', since).length, 0, 'nothing durable, nothing sent yet');
    // Several retry rounds while the disk stays full (the first failure, then two retries).
    await cp.waitLogLines(/\btransaction\s+record the stop: database or disk is full/, 3, 20000, logSince);
    assert.equal(calls(csms, 'StopTransaction', since).length, 0, 'still held while the disk is full');
    // ... and the owner sees it at the charger once the connector is idle again.
    await cp.cpctlOk('unplug', '1');
    await cp.waitStatus((x) => connector(x, 1).hmi?.display === 'Storage failure - service', 20000,
      'the display says the store fails');
    assert.equal((cp.logs().slice(logSince).match(/STORAGE FAILURE/g) ?? []).length, 1, 'logged once per episode');

    fsys.free();
    const stop = await csms.waitFor('StopTransaction', 30000, since);
    const sp = stop.msg[3];
    assert.equal(sp.reason ?? 'Local', 'Local');
    assert.ok(sp.meterStop >= Math.floor(energyAtStop),
      `meterStop ${sp.meterStop} Wh bills the energy at the stop (${energyAtStop} Wh)`);
    assert.ok(sp.meterStop > start.msg[3].meterStart, 'more than meterStart');
    await csms.waitFor(storageCleared, 20000, since);
    s = await cp.waitStatus((x) => x.storage?.ok === true, 20000, 'status says the store is fine again');
    assert.equal(s.storage.error, undefined);
    // The full store is the whitepaper's MemoryExhaustion security event: logged (once space is
    // back: the security log is in the same store) and sent, once for the episode.
    const exhausted = (f) => isCallIn(f, 'SecurityEventNotification') && f.msg[3].type === 'MemoryExhaustion';
    await csms.waitFor(exhausted, 20000, since);
    await sleep(2000);  // a second StopTransaction would show up now
    assert.equal(calls(csms, 'StopTransaction', since).length, 1, 'exactly one StopTransaction');
    assert.equal(csms.frames.slice(since).filter(exhausted).length, 1, 'MemoryExhaustion once per episode');
    assert.match(cp.logs().slice(logSince), /storage failure over/);
  });

test('a full disk, a stop, then the process dies: the next start bills what the board\'s meter reports',
  { skip: NEEDS_ROOT }, async (t) => {
    const { csms, cp, fsys } = await startOnTmpfs(t);
    const start = await chargingSession(csms, cp, 'FULL02');
    // Let the energy run past the last saved reading before the disk fills.
    let s = await cp.waitStatus((x) => connector(x, 1).energyWh >= start.msg[3].meterStart + 25, 30000, 'more energy');
    const energyAtFill = connector(s, 1).energyWh;
    fsys.fill();
    const since = csms.mark();
    await cp.cpctlOk('swipe', 'FULL02');
    // Stopped: the contactor open and the cable unlocked on the board (what the next start reads).
    s = await cp.waitStatus((x) => tx(x) === null && connector(x, 1).contactor === false
      && connector(x, 1).locked === false, 20000, 'stopped');
    const energyAtStop = connector(s, 1).energyWh;
    await cp.waitStatus((x) => x.storage?.ok === false, 20000, 'the store fails');
    await cp.kill9();
    fsys.free();
    await cp.restart();
    const stop = await csms.waitFor('StopTransaction', 30000, since);
    const sp = stop.msg[3];
    // The stop the full disk refused died with the process, but the board (a process of its own)
    // shows it was made: the cable is no longer locked. It is not undone (resume.h): the session
    // ends with reason Other at the board's register, which stopped counting when the contactor
    // opened.
    assert.equal(sp.reason, 'Other', `reason ${sp.reason}`);
    assert.ok(sp.meterStop >= Math.floor(energyAtFill) - 10,
      `meterStop ${sp.meterStop} Wh is within one save step of the reading when the disk filled (${energyAtFill} Wh)`);
    assert.ok(sp.meterStop <= Math.ceil(energyAtStop), `meterStop ${sp.meterStop} Wh never exceeds the reading at the stop`);
    assert.ok(sp.meterStop > start.msg[3].meterStart, 'energy delivered is billed');
    await sleep(2000);  // a second StopTransaction would show up now
    assert.equal(calls(csms, 'StopTransaction', since).length, 1, 'exactly one StopTransaction');
  });

// ---------------------------------------------------------------- the database deleted (item 5)

test('the database deleted while running: the controller notices, puts it back and restarts; configuration and the outbox are kept',
  async (t) => {
    const csms = new Csms({});
    await csms.start();
    let cp = null;
    t.after(async () => {
      await cp?.close();
      await csms.stop();
    });
    cp = await Controller.start({ csmsUrl: csms.url, name: artifactName(t, HERE) });
    await waitBooted(cp);
    await csms.waitFor(statusNotification(1, 'Available'), 20000);
    await cp.cpctlOk('config', 'set', 'MeterValueSampleInterval', '17');
    await cp.cpctlOk('config', 'set', 'AllowOfflineTxForUnknownId', 'true');
    // Something in the outbox: a session started while the central system is away.
    await csms.stop();
    await cp.waitStatus((s) => s.ocpp.connection !== 'connected', 20000, 'offline');
    await cp.cpctlOk('plug', '1');
    await cp.cpctlOk('swipe', 'GONE01');
    await cp.waitStatus((s) => tx(s) !== null && connector(s, 1).contactor === true, 20000, 'started offline');

    const db = path.join(cp.stateDir, 'chargepointd.db');
    const logSince = cp.logMark();
    fs.unlinkSync(db);
    const exit = await Promise.race([cp.exited, sleep(20000, null, { ref: false })]);
    assert.notEqual(exit, null, 'the controller noticed the deleted database within 20 s and exited');
    assert.equal(exit.code, 1, 'escalated: exit 1, for systemd to restart it');
    assert.match(cp.logs().slice(logSince), /state database .* was deleted while the controller runs/);
    assert.ok(fs.existsSync(db), 'the database is back at its path');
    assert.equal(fs.statSync(db).mode & 0o777, 0o600, 'and readable by the owner only (it holds the AuthorizationKey)');

    const since = csms.mark();
    await cp.restart();
    await csms.start();
    const start = await csms.waitFor('StartTransaction', 30000, since);
    assert.equal(start.msg[3].idTag, 'GONE01', 'the outbox survived');
    // The car is still plugged and the board never lost power: the session goes on.
    await waitBooted(cp, 30000);
    await cp.waitStatus((s) => tx(s)?.idTag === 'GONE01' && tx(s)?.id != null, 30000, 'the session goes on, confirmed');
    await sleep(1500);  // a StopTransaction would show up now
    assert.equal(calls(csms, 'StopTransaction', since).length, 0, 'the restart ends no session');
    const got = await cp.cpctlOk('config', 'get', 'MeterValueSampleInterval');
    assert.match(got.stdout, /17/, 'the configuration survived');
  });

// A frozen filesystem (fsfreeze, as a backup tool or a stalled flash does it) holds every write
// back until it thaws. The transaction actor blocks in its commit and stops answering liveness;
// that is not a hang: restarting it would block on the same write, and in one process a thread
// stuck in fsync cannot be reclaimed, so judging it hung would escalate and stop every car. The
// supervisor asks the storage first (a probe write from a thread of its own) and waits.
function loopStateDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chargepointd-frozen-'));
  const image = `${dir}.img`;
  execFileSync('dd', ['if=/dev/zero', `of=${image}`, 'bs=1M', 'count=32'], { stdio: 'ignore' });
  execFileSync('mkfs.ext4', ['-q', '-F', image]);
  execFileSync('mount', ['-o', 'loop', image, dir]);
  fs.chmodSync(dir, 0o700);
  let frozen = false;
  return {
    dir,
    freeze() { execFileSync('fsfreeze', ['-f', dir]); frozen = true; },
    thaw() { if (frozen) spawnSync('fsfreeze', ['-u', dir]); frozen = false; },
    cleanup() {
      this.thaw();
      spawnSync('umount', ['-l', dir]);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(image, { force: true });
    },
  };
}

const NO_FREEZE = NEEDS_ROOT || (spawnSync('losetup', ['-f']).status !== 0
  ? 'needs a loop device to freeze a filesystem (fsfreeze)' : false);

test('a storage freeze of 12 s during a session: no actor judged hung, no escalation, the stop swipe is kept',
  { skip: NO_FREEZE }, async (t) => {
    const fsys = loopStateDir();
    const csms = new Csms({});
    await csms.start();
    let cp = null;
    t.after(async () => {
      fsys.thaw();
      await cp?.close();
      await csms.stop();
      fsys.cleanup();
    });
    cp = await Controller.start({ csmsUrl: csms.url, name: artifactName(t, HERE), stateDir: fsys.dir });
    await waitBooted(cp);
    await csms.waitFor(statusNotification(1, 'Available'), 20000);
    const start = await chargingSession(csms, cp, 'TAG-FROZEN');
    const since = csms.mark();
    const logMark = cp.logMark();
    fsys.freeze();
    // The meter is saved every 10 Wh: the transaction actor soon blocks in a commit.
    await cp.waitLog(/the storage is stalled/, 20000, logMark);
    await cp.cpctlOk('swipe', 'TAG-FROZEN');             // the driver stops while the disk is frozen
    await sleep(12000);                                   // proving that nothing is judged hung meanwhile
    assert.equal(cp.running, true, 'no escalation during the freeze');
    fsys.thaw();
    const stop = await csms.waitFor('StopTransaction', 30000, since);
    assert.equal(stop.msg[3].meterStop >= start.msg[3].meterStart, true);
    assert.equal(stop.msg[3].reason, 'Local', 'the stop swipe made during the freeze');
    await cp.waitStatus((s) => tx(s) === null, 20000, 'the session ended');
    const s = await cp.status();
    assert.equal(s.actors.find((a) => a.name === 'transaction').restarts, 0, 'the transaction actor was not restarted');
    await sleep(1000);
    assert.equal(calls(csms, 'StopTransaction').length, 1, 'exactly one StopTransaction');
    assert.match(cp.logs().slice(logMark), /storage responds again/);
    assert.equal(cp.running, true);
  });
