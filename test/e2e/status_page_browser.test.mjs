// status_page_browser.test.mjs — the local status page in headless Chromium: load it, drive a
// charging session from its buttons, check what it shows, keep a screenshot.
//
// Why it exists: the page's own JavaScript renders the pushes (the seed's OCPP words, the halo
// ring, session figures) and sends the buttons' and the form's requests; only a real browser
// runs it, under the page's Content-Security-Policy. The screenshot is kept as
// test/artifacts/status-page/status.png for a person to look at. Chromium is required: when
// it is missing the test fails saying how to install it (make test installs it).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startPair, waitBooted, statusNotification } from './lib/harness.mjs';
import { ARTIFACTS_DIR } from './lib/controller.mjs';
import { Chromium } from './lib/chromium.mjs';
import { freePort } from './lib/statuspage.mjs';

const HERE = import.meta.url;
const SHOTS = path.join(ARTIFACTS_DIR, 'status-page');

test('in Chromium: plug, swipe a card, charge — the page shows Charging, the halo and the figures', async (t) => {
  const started = Date.now();
  const port = await freePort();
  const { csms, cp } = await startPair(t, HERE, { cp: { http: `127.0.0.1:${port}` } });
  await waitBooted(cp);
  await csms.waitFor(statusNotification(1, 'Available'), 20000);

  const browser = await Chromium.launch();
  t.after(() => browser.close());
  const tab = await browser.open(`http://127.0.0.1:${port}/`);

  // The seed's words for the OCPP connection, the identity, a connector card with buttons.
  await tab.waitFor("document.getElementById('ocpp-state').textContent === 'OCPP Connected'");
  await tab.waitFor("document.getElementById('registration').textContent === 'Accepted'");
  assert.equal(await tab.text('#cp-id'), 'CP001');
  assert.equal(await tab.text('#link'), 'live');
  await tab.waitFor("document.querySelector('#connector-1 .status')?.textContent === 'Available'");
  assert.equal(await tab.evaluate("document.querySelector('#connector-1 .sim').hidden"), false, 'sim buttons shown');
  assert.equal(await tab.evaluate("document.getElementById('set-url').value"), csms.url, 'the form shows the URL in force');
  assert.equal(await tab.evaluate("document.getElementById('set-password').value"), '', 'never a stored password');

  await tab.click('#plug-1');
  await tab.waitFor("document.querySelector('#connector-1 .plugged').textContent === 'Plugged in'");
  await tab.type('#swipe-tag', 'BROWSER-CARD');
  await tab.click('#swipe');
  await csms.waitFor('StartTransaction', 20000);
  await tab.waitFor("document.querySelector('#connector-1 .idtag').textContent === 'BROWSER-CARD'");
  await tab.click('#ev-charge-1');
  await tab.waitFor("document.querySelector('#connector-1 .status').textContent === 'Charging'", 20000);
  await tab.waitFor("parseFloat(document.querySelector('#connector-1 .power').textContent) > 0", 10000);

  const halo = await tab.evaluate(`(() => { const h = document.querySelector('#connector-1 .halo');
    return { halo: h.dataset.halo, pattern: h.dataset.pattern, colour: getComputedStyle(h).borderTopColor }; })()`);
  assert.equal(halo.halo, 'green');
  assert.equal(halo.pattern, 'pulse');
  assert.equal(halo.colour, 'rgb(67, 160, 71)', 'the ring is drawn green');
  assert.match(await tab.text('#connector-1 .display'), /^Charging/);
  assert.match(await tab.text('#connector-1 .current'), /^\d+\.\d A$/);
  // The keypad: keys typed on the page show as a masked PIN entry on the charger; C cancels.
  await tab.click('.keypad button[data-key="4"]');
  await tab.click('.keypad button[data-key="2"]');
  await tab.waitFor("document.querySelector('#connector-1 .display').textContent === 'Enter PIN: **'", 10000);
  await tab.click('.keypad button[data-key="C"]');
  await tab.waitFor("/^Charging/.test(document.querySelector('#connector-1 .display').textContent)", 10000);
  // The owner's limit reaches the page: what holds the offer, and the pilot's duty cycle.
  await cp.cpctlOk('config', 'set', 'LocalCurrentLimit', '16');
  await tab.waitFor("document.querySelector('#connector-1 .current').textContent === '16.0 A'", 10000);
  assert.equal(await tab.text('#connector-1 .limit-source'), 'owner limit');
  assert.equal(await tab.text('#connector-1 .duty'), '26.7 %');
  assert.match(await tab.text('#connector-1 .energy'), /^\d+\.\d\d kWh$/);
  assert.match(await tab.text('#connector-1 .duration'), /^\d+:\d\d:\d\d$/);

  // The form refuses a malformed URL with a message, before and without changing anything.
  await tab.type('#set-url', 'http://not-a-websocket/ocpp');
  await tab.click('#set-accept');
  await tab.click('#set-save');
  await tab.waitFor("/Malformed central system URL/.test(document.getElementById('settings-message').textContent)");
  assert.equal((await cp.status()).ocpp.url, csms.url);

  const file = await tab.screenshot(path.join(SHOTS, 'status.png'));
  assert.ok(fs.statSync(file).size > 10000, 'a real picture');
  assert.deepEqual(tab.problems, [], 'no script error or blocked resource in the page');
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  fs.writeFileSync(path.join(SHOTS, 'timing.txt'), `browser test: ${seconds} s\n`);
  t.diagnostic(`browser test took ${seconds} s; screenshot ${file}`);
});
