// chaos.mjs — the chaos driver of issue 10: charging sessions back to back on every connector
// while a random actor is killed or hung every 1–3 s; then judge what the central system got.
// The faults are dealt from a shuffled deck (every actor once per round, kills and hangs half
// each), and the chaos goes on past its length until every actor has taken a fault and both
// kinds were injected, so even a short run covers every kind of fault (report.coverage).
//
// Why it exists: "nothing lost, nothing duplicated, never escalated" is a property of the whole
// controller under faults, not of one code path. One driver serves the short chaos test of
// `make test` (test/e2e/chaos.test.mjs, ~30–60 s per mode) and the long `make soak`
// (scripts/soak.sh, SOAK_SECONDS, both modes), so both judge by the same rules:
//
//   - every session the driver started has exactly one StartTransaction and exactly one
//     StopTransaction at the central system (looked up by its idTag, unique per session, and by
//     the transactionId the central system gave it);
//   - meterStop >= meterStart, and every energy register sent in MeterValues (and in the
//     StopTransaction's transactionData) for that transaction lies between them, non-decreasing
//     (1 Wh of rounding allowed): a central system bills meterStop - meterStart, so a reading
//     above meterStop means energy delivered and not billed;
//   - no transactionId <= 0 anywhere (StopTransaction, MeterValues, `cpctl status`);
//   - no message received twice (the same action with the same payload: a resend);
//   - the process never exited on its own (an escalation). Like systemd's Restart=always, the
//     driver starts it again (on the same state dir) so that the run still says what was lost.
//
// A fault may make a session slow: the driver waits for delivery with deadlines, and only then
// judges. The controller may also end a session itself; these stop reasons are acceptable:
//   Local   the driver swiped the card again        Remote  the driver sent RemoteStopTransaction
//   Other   the controller's own safety stop (a hung or restarted hw/safety path opens the
//           contactor; safety_core.c reports every non-RCD cause as Other)
//   EVDisconnected  only when the driver had to unplug a session it could not stop (a cable is
//           never pulled by a fault: a controller that loses the plug state when hw restarts
//           and stops the session as EVDisconnected is reported)
// PowerLoss (the stop after a whole-process restart) is accepted only after an escalation, which
// is itself a failure; EmergencyStop, DeAuthorized, UnlockCommand, resets: never (not provoked).
//
// Library:  const report = await runChaos({ split: false, seconds: 75, name: 'chaos-thread' });
//           report.summary  (one line)   report.problems  (strings; empty when all rules hold)
//           report.coverage  {actors, faulted, unfaulted, kinds}: what the faults reached
// CLI:      node test/e2e/lib/chaos.mjs [--seconds 600] [--modes thread,split] [--seed N]

import process from 'node:process';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Csms, Controller } from './harness.mjs';

const CALL = 2;
const START_DEADLINE_MS = 90000;    // plug → StartTransaction seen, across retries
const STOP_DEADLINE_MS = 90000;     // stop asked → transaction gone, across retries
const RETRY_AFTER_MS = 20000;       // a start or stop not visible by then is asked again
const DELIVERY_DEADLINE_MS = 90000; // after the chaos: every Start/Stop delivered by then
const COVERAGE_DEADLINE_MS = 60000; // past the chaos's length: every actor and kind faulted by then
const FAULT_KINDS = ['kill', 'hang'];
const ACTORS = ['safety', 'config', 'auth', 'hw', 'transaction', 'smartcharging', 'metering', 'hmi', 'ocpp'];
export const ACCEPTABLE_STOP_REASONS = ['Local', 'Remote', 'Other', 'EVDisconnected'];

// Small deterministic generator (mulberry32), so a failing run can be replayed with its seed.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const isCall = (f, action) => f.dir === 'in' && Array.isArray(f.msg) && f.msg[0] === CALL && f.msg[2] === action;

// Energy.Active.Import.Register readings (Wh) of a list of MeterValue entries.
function energyReadings(meterValue = []) {
  const out = [];
  for (const mv of meterValue) {
    for (const sv of mv.sampledValue ?? []) {
      const measurand = sv.measurand ?? 'Energy.Active.Import.Register';
      if (measurand !== 'Energy.Active.Import.Register') continue;
      const value = Number(sv.value) * (sv.unit === 'kWh' ? 1000 : 1);
      if (Number.isFinite(value)) out.push({ t: Date.parse(mv.timestamp), value });
    }
  }
  return out;
}

class Chaos {
  constructor({ split = false, seconds = 75, connectors = 2, seed, name, bin, faultMinMs = 1000, faultMaxMs = 3000,
    restartOnEscalation = true, log = () => {} }) {
    this.split = split;
    this.mode = split ? 'split' : 'thread';
    this.seconds = seconds;
    this.connectors = connectors;
    this.seed = seed ?? Math.floor(Math.random() * 2 ** 31);
    this.random = rng(this.seed);
    this.name = name ?? `chaos-${this.mode}`;
    this.bin = bin;
    this.faultMinMs = faultMinMs;
    this.faultMaxMs = faultMaxMs;
    this.restartOnEscalation = restartOnEscalation;
    this.log = log;
    this.faults = [];          // {t, action, actor, code, stderr}
    this.sessions = [];        // one record per session the driver ran
    this.escalations = [];     // {t, code, signal, faultsBefore}
    this.statusProblems = [];  // transactionId <= 0 seen in `cpctl status`
    this.plugLost = [];        // a plugged cable the board forgot (the interface says it keeps it)
    this.status = null;        // the latest `cpctl status`
    this.stopping = false;     // no new sessions
    this.done = false;         // pollers and the fault injector end
    this.lock = Promise.resolve();
    this.deck = [];            // the faults still to deal this round: {actor, action}
    this.actorsSeen = [];      // the actors `cpctl status` listed when the chaos began
  }

  pick(list) { return list[Math.floor(this.random() * list.length)]; }
  shuffle(list) {
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [list[i], list[j]] = [list[j], list[i]];
    }
    return list;
  }
  between(min, max) { return min + Math.floor(this.random() * (max - min + 1)); }

  // Serialise the phases where a connector is plugged without a transaction (plug → started,
  // stopped → unplugged): a swipe there must not be taken by the other connector.
  async exclusive(fn) {
    const previous = this.lock;
    let release;
    this.lock = new Promise((r) => { release = r; });
    await previous;
    try { return await fn(); } finally { release(); }
  }

  conn(n) { return (this.status?.connectors ?? []).find((c) => c.id === n); }

  async waitUntil(predicate, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let ok = false;
      try { ok = predicate(); } catch { ok = false; }
      if (ok) return true;
      if (Date.now() >= deadline) return false;
      await sleep(100);
    }
  }

  // cpctl, asked again while the controller is unreachable or an actor does not answer (it is
  // being restarted); a refusal for a reason of its own (e.g. "not plugged") is final.
  async cpctl(args, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      last = await this.cp.cpctl(...args, { timeoutMs: 8000 });
      if (last.code === 0) return true;
      const transient = last.code === 3 || last.timedOut || !this.cp.running
        || /did not answer|not running|unreachable|restart|hung|busy|timed? ?out/i.test(last.stderr);
      if (!transient) {
        this.log(`cpctl ${args.join(' ')} refused: ${last.stderr.trim()}`);
        return false;
      }
      await sleep(300);
    }
    this.log(`cpctl ${args.join(' ')} failed for ${timeoutMs} ms: ${last?.code} ${last?.stderr?.trim()}`);
    return false;
  }

  // A swipe is never repeated by itself: cpctl may fail after the card reached the reader, and a
  // second presentation of the same card stops the session it started (or starts one it
  // stopped). The session's retries are RemoteStart/RemoteStop, which are idempotent.
  async swipe(tag) {
    const r = await this.cp.cpctl('swipe', tag, { timeoutMs: 15000 });
    if (r.code !== 0) this.log(`cpctl swipe ${tag}: ${r.code} ${r.stderr.trim()}`);
    return r.code === 0;
  }

  async csmsCall(action, payload) {
    try {
      if (!this.csms.connected) return null;
      const { result } = await this.csms.call(action, payload, { timeoutMs: 10000 });
      return result ?? null;
    } catch { return null; }
  }

  startFrames(tag) { return this.csms.frames.filter((f) => isCall(f, 'StartTransaction') && f.msg[3]?.idTag === tag); }

  // ---------------------------------------------------------------- background loops

  async pollStatus() {
    while (!this.done) {
      if (this.cp.running) {
        try {
          this.status = await this.cp.status();
          for (const c of this.status.connectors ?? []) {
            const id = c.transaction?.id;
            if (id != null && !(id > 0)) this.statusProblems.push(`status: connector ${c.id} transaction id ${id}`);
          }
        } catch { /* restarting: try again */ }
      }
      await sleep(250);
    }
  }

  async watchProcess() {
    while (!this.done) {
      if (!this.cp.running && !this.done) {
        const e = { t: Date.now(), code: this.cp.exitCode, signal: this.cp.exitSignal, faultsBefore: this.injected(),
          sinceStart: this.injected() - this.faultsAtStart, secondsSinceStart: Math.round((Date.now() - this.startedAt) / 1000) };
        this.escalations.push(e);
        this.log(`ESCALATION: chargepointd exited (code ${e.code}, signal ${e.signal}) after ${e.faultsBefore} faults `
          + `(${e.sinceStart} since it started, ${e.secondsSinceStart} s earlier)`);
        this.lastExit = this.cp.logs().split('\n').filter((l) => /escalat|error supervisor/.test(l)).slice(-2).join(' | ');
        e.why = this.lastExit;
        if (!this.restartOnEscalation) { this.stopping = true; return; }
        try { await this.cp.restart(); } catch (err) { this.log(`restart after escalation failed: ${err.message}`); }
        this.faultsAtStart = this.injected();
        this.startedAt = Date.now();
      }
      await sleep(200);
    }
  }

  injected() { return this.faults.filter((f) => f.code === 0).length; }

  // Which actors and which kinds of fault the injected (not refused) faults reached.
  coverage() {
    const ok = this.faults.filter((f) => f.code === 0);
    const faulted = [...new Set(ok.map((f) => f.actor))];
    const actors = this.actorsSeen.length ? this.actorsSeen : ACTORS;
    return {
      actors, faulted, unfaulted: actors.filter((a) => !faulted.includes(a)),
      kinds: FAULT_KINDS.filter((k) => ok.some((f) => f.action === k)),
    };
  }

  covered() {
    const c = this.coverage();
    return c.unfaulted.length === 0 && c.kinds.length === FAULT_KINDS.length;
  }

  // The next fault: a round deals every actor once, in random order, kills and hangs half each
  // (which actor gets which, at random), so no actor goes unfaulted for long and a short run
  // still injects every kind of fault.
  deal() {
    if (this.deck.length === 0) {
      const names = (this.status?.actors ?? []).map((a) => a.name);
      const actors = this.shuffle([...(names.length ? names : ACTORS)]);
      const first = this.pick(FAULT_KINDS);
      const actions = this.shuffle(actors.map((_, i) => FAULT_KINDS[(FAULT_KINDS.indexOf(first) + i) % FAULT_KINDS.length]));
      this.deck = actors.map((actor, i) => ({ actor, action: actions[i] }));
    }
    return this.deck.shift();
  }

  async injectFaults() {
    while (!this.done && !this.stopping) {
      await sleep(this.between(this.faultMinMs, this.faultMaxMs));
      if (this.done || this.stopping || !this.cp.running) continue;
      const { actor, action } = this.deal();
      const r = await this.cp.cpctl('actor', action, actor, { timeoutMs: 8000 });
      this.faults.push({ t: Date.now(), action, actor, code: r.code, stderr: r.stderr.trim() });
      this.log(`fault #${this.faults.length}: ${action} ${actor} → ${r.code}${r.code ? ` ${r.stderr.trim()}` : ''}`);
      // A refused fault (the actor was restarting) is dealt again later this round.
      if (r.code !== 0) this.deck.splice(Math.floor(this.random() * (this.deck.length + 1)), 0, { actor, action });
    }
  }

  // ---------------------------------------------------------------- one connector's sessions

  async worker(n) {
    for (let k = 1; !this.stopping; k++) await this.session(n, k);
  }

  async session(n, k) {
    const tag = `CX${this.mode[0].toUpperCase()}${n}S${k}-${this.seed % 10000}`;
    const rec = { tag, connector: n, startVia: null, stopVia: null, started: false, txId: null,
      stoppedByController: false, unplugForced: false, notes: [] };
    this.sessions.push(rec);
    const txOn = () => this.conn(n)?.transaction ?? null;

    await this.exclusive(async () => {
      await this.cpctl(['plug', n]);
      await this.waitUntil(() => this.conn(n)?.plugged === true, 30000);
      const other = this.conn(n === 1 ? 2 : 1);
      const otherFree = other && other.plugged && other.transaction === null;
      rec.startVia = !otherFree && this.random() < 0.5 ? 'swipe' : 'remote';
      const deadline = Date.now() + START_DEADLINE_MS;
      for (let attempt = 0; Date.now() < deadline; attempt++) {
        // A retry is always a RemoteStart for the same idTag (Accepted again while it is pending).
        if (this.conn(n)?.plugged === false) {
          // The board lost the cable (seen after a whole-process restart): plug it again.
          this.plugLost.push(`connector ${n}: the cable of session ${tag} was no longer plugged (attempt ${attempt + 1})`);
          await this.cpctl(['plug', n]);
        }
        if (attempt === 0 && rec.startVia === 'swipe') await this.swipe(tag);
        else await this.csmsCall('RemoteStartTransaction', { connectorId: n, idTag: tag });
        if (await this.waitUntil(() => txOn()?.idTag === tag || this.startFrames(tag).length > 0,
          Math.min(RETRY_AFTER_MS, deadline - Date.now()))) {
          rec.started = true;
          break;
        }
        rec.notes.push(`start attempt ${attempt + 1} not visible after ${RETRY_AFTER_MS} ms`);
      }
      if (rec.started) await this.waitUntil(() => txOn()?.idTag === tag || this.stopFor(rec), 30000);
    });
    if (!rec.started) {
      rec.notes.push('never started');
      this.log(`session ${tag}: never started within ${START_DEADLINE_MS} ms`);
      await this.cpctl(['unplug', n]);
      return;
    }

    await this.cpctl(['ev', n, 'charge']);
    await sleep(this.between(3000, 8000));    // the session's length: the test's own input

    // Stop. A controller that already ended the session (safety) leaves nothing to stop.
    await this.waitUntil(() => txOn()?.id != null || txOn()?.idTag !== tag, 30000);
    let tx = txOn();
    if (tx?.idTag !== tag) {
      rec.stoppedByController = true;
    } else {
      rec.txId = tx.id;
      rec.stopVia = this.random() < 0.5 ? 'swipe' : 'remote';
      const deadline = Date.now() + STOP_DEADLINE_MS;
      for (let attempt = 0; Date.now() < deadline; attempt++) {
        // Never swipe twice: a second swipe after a stop would start a new session.
        if (attempt === 0 && rec.stopVia === 'swipe') await this.swipe(tag);
        else await this.csmsCall('RemoteStopTransaction', { transactionId: txOn()?.id ?? rec.txId });
        if (await this.waitUntil(() => txOn()?.idTag !== tag, Math.min(RETRY_AFTER_MS, deadline - Date.now()))) break;
        rec.notes.push(`stop attempt ${attempt + 1} not visible after ${RETRY_AFTER_MS} ms`);
      }
      tx = txOn();
      if (tx?.idTag === tag) {
        rec.unplugForced = true;
        rec.notes.push('could not be stopped: unplugged');
      }
    }
    await this.exclusive(async () => {
      if (this.conn(n)?.plugged !== false) {
        await this.cpctl(['ev', n, 'pause'], 10000);
        await this.cpctl(['unplug', n]);
      }
      await this.waitUntil(() => this.conn(n)?.plugged === false && this.conn(n)?.transaction === null, 30000);
    });
  }

  stopFor(rec) {
    const ids = this.txIdsOf(rec.tag);
    return this.csms.frames.some((f) => isCall(f, 'StopTransaction') && ids.includes(f.msg[3]?.transactionId));
  }

  // transactionIds the central system gave to the StartTransactions of `tag`.
  txIdsOf(tag) {
    return this.startFrames(tag).map((s) => this.csms.frames.find((f) => f.dir === 'out' && Array.isArray(f.msg)
      && f.msg[0] === 3 && f.msg[1] === s.msg[1])?.msg[2]?.transactionId).filter((id) => id !== undefined);
  }

  // ---------------------------------------------------------------- the run

  async run() {
    this.csms = new Csms({ bootInterval: 300 });
    await this.csms.start();
    try {
      this.cp = await Controller.start({
        csmsUrl: this.csms.url, connectors: this.connectors, name: this.name, bin: this.bin,
        extraArgs: this.split ? ['--split'] : [], readyTimeoutMs: 30000,
      });
      const booted = await this.waitUntil(() => this.csms.received('BootNotification').length > 0
        && this.csms.connected, 30000);
      if (!booted) throw new Error('the controller did not register with the central system within 30 s');
      // MeterValues with transaction data every 2 s: the meter consistency check has material.
      await this.cpctl(['config', 'set', 'MeterValueSampleInterval', '2']);
      await this.cpctl(['config', 'set', 'AuthorizeRemoteTxRequests', 'true']);
      this.faultsAtStart = 0;
      this.startedAt = Date.now();
      const background = [this.pollStatus(), this.watchProcess()];
      await this.waitUntil(() => (this.status?.connectors ?? []).length === this.connectors, 30000);

      const started = Date.now();
      this.actorsSeen = (this.status?.actors ?? []).map((a) => a.name);
      this.log(`chaos ${this.mode}: ${this.seconds} s, seed ${this.seed}, actors ${this.actorsSeen.join(' ')}`);
      const injector = this.injectFaults();
      const workers = Array.from({ length: this.connectors }, (_, i) => this.worker(i + 1));
      await sleep(this.seconds * 1000);
      // Not before every actor has taken a fault and both kinds were injected (bounded).
      if (!(await this.waitUntil(() => this.covered(), COVERAGE_DEADLINE_MS))) {
        this.log(`coverage: not every actor or kind faulted ${COVERAGE_DEADLINE_MS} ms past the chaos's length`);
      }
      this.stopping = true;                  // no new faults, no new sessions
      await injector;
      await Promise.all(workers);            // each finishes its session (bounded by its deadlines)
      this.chaosMs = Date.now() - started;

      // Delivery: every session that started has its Start and Stop at the central system.
      const delivered = () => this.sessions.filter((r) => r.started)
        .every((r) => this.startFrames(r.tag).length > 0 && this.stopFor(r));
      await this.waitUntil(() => delivered() && (this.status?.connectors ?? []).every((c) => c.transaction === null),
        DELIVERY_DEADLINE_MS);
      await sleep(2000);                     // to prove no late resend: anything sent twice shows now
      this.finalStatus = this.status;
      this.done = true;
      await Promise.all(background);
    } finally {
      this.done = true;
      this.exitCode = this.cp ? await this.cp.stop().catch(() => null) : null;
      await this.cp?.close();
      await this.csms.stop();
    }
    return this.judge();
  }

  // ---------------------------------------------------------------- judging

  judge() {
    const problems = [];
    const frames = this.csms.frames;
    const calls = frames.filter((f) => f.dir === 'in' && Array.isArray(f.msg) && f.msg[0] === CALL);
    const replyTo = (f) => frames.find((r) => r.dir === 'out' && Array.isArray(r.msg) && r.msg[0] !== CALL
      && r.msg[1] === f.msg[1]);
    let lost = 0;
    let duplicated = 0;

    // Duplicates: the same action with the same payload received twice (a resend, whatever its
    // uniqueId). Payloads without a timestamp repeat legitimately (Heartbeat, Authorize, Boot).
    const seen = new Map();
    for (const f of calls) {
      if (['Heartbeat', 'BootNotification', 'Authorize', 'DataTransfer'].includes(f.msg[2])) continue;
      const key = `${f.msg[2]} ${JSON.stringify(f.msg[3])}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    for (const [key, count] of seen) {
      if (count > 1) {
        duplicated += count - 1;
        problems.push(`duplicated ×${count}: ${key.slice(0, 200)}`);
      }
    }

    const starts = calls.filter((f) => isCall(f, 'StartTransaction'));
    const stops = calls.filter((f) => isCall(f, 'StopTransaction'));
    const meterValues = calls.filter((f) => isCall(f, 'MeterValues'));
    const known = new Map();        // transactionId → session record
    const escalated = this.escalations.length > 0;
    const reasons = {};

    for (const rec of this.sessions) {
      const mine = starts.filter((f) => f.msg[3].idTag === rec.tag);
      if (!rec.started && mine.length === 0) continue;   // never started: reported below
      if (mine.length === 0) {
        lost += 1;
        problems.push(`lost StartTransaction: session ${rec.tag} (connector ${rec.connector}) ran but the central system never got its start`);
        continue;
      }
      if (mine.length > 1) problems.push(`session ${rec.tag}: ${mine.length} StartTransactions`);
      for (const start of mine) {
        const txId = replyTo(start)?.msg[2]?.transactionId;
        if (txId === undefined) { problems.push(`session ${rec.tag}: a StartTransaction was never answered`); continue; }
        known.set(txId, rec);
        const sp = start.msg[3];
        const myStops = stops.filter((f) => f.msg[3].transactionId === txId);
        if (myStops.length === 0) {
          lost += 1;
          problems.push(`lost StopTransaction: session ${rec.tag} (transaction ${txId}) never stopped at the central system`);
          continue;
        }
        if (myStops.length > 1) problems.push(`session ${rec.tag} (transaction ${txId}): ${myStops.length} StopTransactions`);
        const st = myStops[0].msg[3];
        reasons[st.reason ?? 'Local'] = (reasons[st.reason ?? 'Local'] ?? 0) + 1;
        const reason = st.reason ?? 'Local';
        const acceptable = ACCEPTABLE_STOP_REASONS.includes(reason) || (reason === 'PowerLoss' && escalated);
        if (!acceptable || (reason === 'EVDisconnected' && !rec.unplugForced)) {
          problems.push(`session ${rec.tag} (transaction ${txId}): stop reason ${reason} is not acceptable here`);
        }
        if (!(st.meterStop >= sp.meterStart)) {
          problems.push(`session ${rec.tag} (transaction ${txId}): meterStop ${st.meterStop} < meterStart ${sp.meterStart}`);
        }
        const readings = [
          ...meterValues.filter((f) => f.msg[3].transactionId === txId).flatMap((f) => energyReadings(f.msg[3].meterValue)),
          ...energyReadings(st.transactionData),
        ].sort((a, b) => a.t - b.t);
        for (let i = 0; i < readings.length; i++) {
          const v = readings[i].value;
          if (v < sp.meterStart - 1 || v > st.meterStop + 1) {
            problems.push(`session ${rec.tag} (transaction ${txId}): MeterValues register ${v} Wh outside [${sp.meterStart}, ${st.meterStop}]`);
            break;
          }
          if (i > 0 && v < readings[i - 1].value - 1) {
            problems.push(`session ${rec.tag} (transaction ${txId}): MeterValues register goes back from ${readings[i - 1].value} to ${v} Wh`);
            break;
          }
        }
      }
    }
    for (const f of stops) {
      const id = f.msg[3].transactionId;
      if (!(id > 0)) problems.push(`StopTransaction with transactionId ${id}: ${JSON.stringify(f.msg[3]).slice(0, 200)}`);
      else if (!known.has(id)) problems.push(`StopTransaction for transaction ${id}, which no session of this run started`);
    }
    for (const f of meterValues) {
      const id = f.msg[3].transactionId;
      if (id !== undefined && !(id > 0)) problems.push(`MeterValues with transactionId ${id}`);
    }
    for (const f of starts) {
      if (!this.sessions.some((r) => r.tag === f.msg[3].idTag)) problems.push(`StartTransaction for an idTag no session used: ${f.msg[3].idTag}`);
    }
    problems.push(...[...new Set(this.statusProblems)]);
    problems.push(...this.plugLost);
    const neverStarted = this.sessions.filter((r) => !r.started && this.startFrames(r.tag).length === 0);
    for (const r of neverStarted) problems.push(`stuck: session ${r.tag} never started (${r.notes.join('; ')})`);
    for (const r of this.sessions.filter((x) => x.unplugForced)) problems.push(`stuck: session ${r.tag} could not be stopped (${r.notes.join('; ')})`);
    for (const e of this.escalations) {
      problems.push(`escalated: chargepointd exited (code ${e.code}, signal ${e.signal}) after ${e.faultsBefore} faults `
        + `(${e.sinceStart} since its last start, ${e.secondsSinceStart} s): ${e.why ?? ''}`);
    }
    const open = (this.finalStatus?.connectors ?? []).filter((c) => c.transaction !== null);
    for (const c of open) problems.push(`connector ${c.id} still has a transaction at the end: ${JSON.stringify(c.transaction)}`);

    const ran = this.sessions.filter((r) => r.started).length;
    const completed = this.sessions.filter((r) => r.started && !r.stoppedByController && !r.unplugForced).length;
    const kills = this.faults.filter((f) => f.code === 0 && f.action === 'kill').length;
    const hangs = this.faults.filter((f) => f.code === 0 && f.action === 'hang').length;
    const refused = this.faults.length - kills - hangs;
    const coverage = this.coverage();
    const summary = `chaos ${this.mode}: ${Math.round((this.chaosMs ?? 0) / 1000)} s, seed ${this.seed}: `
      + `faults injected ${kills + hangs} (kill ${kills}, hang ${hangs}; refused ${refused}; `
      + `actors faulted ${coverage.faulted.length}/${coverage.actors.length}`
      + `${coverage.unfaulted.length ? `, never: ${coverage.unfaulted.join(' ')}` : ''}), `
      + `sessions run ${ran} (completed by the driver ${completed}, stopped by the controller `
      + `${this.sessions.filter((r) => r.stoppedByController).length}, never started ${neverStarted.length}), `
      + `messages lost ${lost}, duplicated ${duplicated}, escalations ${this.escalations.length}, `
      + `stop reasons ${JSON.stringify(reasons)}`;
    return {
      mode: this.mode, seed: this.seed, summary, problems, lost, duplicated, sessionsRun: ran, completed,
      faultsInjected: kills + hangs, coverage, faults: this.faults, escalations: this.escalations, sessions: this.sessions,
      logFile: this.cp?.logFile,
    };
  }
}

export function runChaos(options = {}) {
  return new Chaos(options).run();
}

// ------------------------------------------------------------------ CLI (make soak)

async function main() {
  const args = process.argv.slice(2);
  const opt = (flag, fallback) => {
    const i = args.indexOf(flag);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
  };
  const seconds = Number(opt('--seconds', process.env.SOAK_SECONDS ?? '600'));
  const modes = opt('--modes', 'thread,split').split(',');
  const seed = opt('--seed', undefined);
  const verbose = args.includes('--verbose');
  if (!Number.isFinite(seconds) || seconds <= 0) {
    console.error('chaos: --seconds wants a positive number');
    process.exit(2);
  }
  let failed = false;
  const lines = [];
  for (const mode of modes) {
    if (!['thread', 'split'].includes(mode)) { console.error(`chaos: unknown mode ${mode}`); process.exit(2); }
    const report = await runChaos({
      split: mode === 'split', seconds, seed: seed === undefined ? undefined : Number(seed), name: `soak-${mode}`,
      log: (line) => { if (verbose) console.log(`${new Date().toISOString().slice(11, 23)} [${mode}] ${line}`); },
    });
    console.log(report.summary);
    for (const p of report.problems.slice(0, 50)) console.log(`  ${p}`);
    if (report.problems.length > 50) console.log(`  … ${report.problems.length - 50} more`);
    console.log(`  controller log: ${report.logFile}`);
    lines.push(report.summary);
    if (report.problems.length) failed = true;
  }
  console.log(`\n${lines.join('\n')}`);
  process.exit(failed ? 1 : 0);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(`chaos: ${err.stack ?? err.message}`);
    process.exit(1);
  });
}
