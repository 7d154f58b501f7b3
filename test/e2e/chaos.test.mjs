// chaos.test.mjs — the short chaos test of issue 10: two connectors, sessions back to back, a
// random actor killed or hung every 1–3 s (every actor at least once, kills and hangs both), in
// one-process and in --split mode; then every session
// has exactly one StartTransaction and one StopTransaction with consistent meter values, no
// transactionId <= 0, nothing delivered twice, and the controller never escalated.
//
// Why it exists: the controller's promise is that it survives its own faults without losing or
// duplicating billing data. The driver and its rules are in lib/chaos.mjs (shared with
// `make soak`, the long version). CHAOS_SECONDS (default 20) sets the chaos per mode — at least:
// it goes on until every actor has taken a fault (one round of the driver's deck, ~11 faults);
// CHAOS_SEED replays a run (the seed is in the summary line).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import process from 'node:process';
import { runChaos } from './lib/chaos.mjs';

const SECONDS = Number(process.env.CHAOS_SECONDS ?? 20);
const SEED = process.env.CHAOS_SEED === undefined ? undefined : Number(process.env.CHAOS_SEED);
// The chaos (and up to 60 s more to fault every actor), then each session's own deadlines
// (start/stop 90 s) and the delivery deadline.
const TIMEOUT_MS = (SECONDS + 420) * 1000;

for (const split of [false, true]) {
  const mode = split ? 'split' : 'one process';
  test(`chaos (${mode}): random actor kills and hangs every 1–3 s with sessions on two connectors lose nothing`,
    { timeout: TIMEOUT_MS }, async (t) => {
      const report = await runChaos({
        split, seconds: SECONDS, seed: SEED, name: `chaos-${split ? 'split' : 'thread'}`,
        log: (line) => t.diagnostic(line),
      });
      t.diagnostic(report.summary);
      console.log(report.summary);
      assert.ok(report.faultsInjected >= Math.floor(SECONDS / 4), `faults were injected: ${report.summary}`);
      assert.deepEqual(report.coverage.unfaulted, [], `every actor took a fault: ${report.summary}`);
      assert.deepEqual(report.coverage.kinds, ['kill', 'hang'], `kills and hangs were injected: ${report.summary}`);
      assert.ok(report.sessionsRun >= 2, `sessions ran under the chaos: ${report.summary}`);
      assert.deepEqual(report.problems, [], `${report.summary}\ncontroller log: ${report.logFile}`);
      assert.equal(report.lost, 0);
      assert.equal(report.duplicated, 0);
      assert.equal(report.escalations.length, 0, 'the controller never escalated');
    });
}
