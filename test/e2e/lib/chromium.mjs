// chromium.mjs — headless Chromium driven over the DevTools protocol, for the tests that must
// see the status page as a person would (status_page_browser.test.mjs).
//
// Why it exists: the page's JavaScript (rendering pushes, buttons, the settings form) only runs
// in a browser. Debian's `chromium` (installed by scripts/install-deps.sh) is started with
// --remote-debugging-port=0; its DevTools WebSocket URL is read from stderr and spoken to with
// the `ws` package already used by the tests — no browser-automation dependency. Everything is
// bounded; a missing chromium is an error that says how to install it, never a silent skip.
//
//   const browser = await Chromium.launch();
//   const tab = await browser.open('http://127.0.0.1:8080/');
//   await tab.waitFor("document.title === 'Charger status'");
//   await tab.screenshot('shot.png');
//   await browser.close();

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';

// The chromium binary: $CHROMIUM, else the first of the usual names on PATH.
export function chromiumPath() {
  const candidates = [process.env.CHROMIUM, 'chromium', 'chromium-browser'].filter(Boolean);
  for (const name of candidates) {
    const found = spawnSync('sh', ['-c', `command -v "${name}"`], { encoding: 'utf8' });
    if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  }
  return null;
}

class Tab {
  constructor(browser, sessionId) {
    this.browser = browser;
    this.sessionId = sessionId;
    this.problems = [];       // uncaught exceptions, console errors, CSP violations
  }

  send(method, params = {}) {
    return this.browser.send(method, params, this.sessionId);
  }

  // Evaluate an expression in the page; resolves its value (promises awaited).
  async evaluate(expression) {
    const r = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails) {
      throw new Error(`page threw while evaluating ${expression}: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    }
    return r.result.value;
  }

  // Poll until the expression is truthy; fails with what it last was (and `explain`, evaluated).
  async waitFor(expression, timeoutMs = 10000, explain = 'document.body.innerText.slice(0, 1500)') {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      last = await this.evaluate(expression);
      if (last) return last;
      await sleep(100);
    }
    const context = await this.evaluate(explain).catch((e) => e.message);
    throw new Error(`in the browser, \`${expression}\` stayed ${JSON.stringify(last)} for ${timeoutMs} ms; page shows:\n${context}`);
  }

  click(selector) {
    return this.evaluate(`(() => { const e = document.querySelector(${JSON.stringify(selector)});
      if (!e) throw new Error('no element ' + ${JSON.stringify(selector)}); e.click(); return true; })()`);
  }

  // Set an input's value as if typed (fires 'input').
  type(selector, value) {
    return this.evaluate(`(() => { const e = document.querySelector(${JSON.stringify(selector)});
      if (!e) throw new Error('no element ' + ${JSON.stringify(selector)});
      e.value = ${JSON.stringify(value)}; e.dispatchEvent(new Event('input', { bubbles: true })); return true; })()`);
  }

  text(selector) {
    return this.evaluate(`document.querySelector(${JSON.stringify(selector)})?.textContent ?? null`);
  }

  // Save a PNG of the viewport to file (directories created).
  async screenshot(file) {
    const { data } = await this.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.from(data, 'base64'));
    return file;
  }
}

export class Chromium {
  // Start headless chromium; rejects with a clear message if it is missing or does not start.
  static async launch({ timeoutMs = 15000 } = {}) {
    const bin = chromiumPath();
    if (!bin) {
      throw new Error('chromium is not installed: the browser test needs Debian\'s `chromium` package '
        + '(scripts/install-deps.sh installs it; `make test` runs that script)');
    }
    const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chargepointd-chromium-'));
    const child = spawn(bin, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-extensions', '--no-first-run', '--remote-debugging-port=0', `--user-data-dir=${userDataDir}`,
      'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`chromium printed no DevTools URL within ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
      child.stderr.on('data', (d) => {
        stderr += d;
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      });
      child.once('error', (err) => { clearTimeout(timer); reject(new Error(`cannot start ${bin}: ${err.message}`)); });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`chromium exited (${code}) before DevTools was up:\n${stderr}`)); });
    });
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    return new Chromium(child, ws, userDataDir);
  }

  constructor(child, ws, userDataDir) {
    this.child = child;
    this.ws = ws;
    this.userDataDir = userDataDir;
    this.nextId = 1;
    this.pending = new Map();
    this.tabs = new Map();
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (m.id && this.pending.has(m.id)) {
        const { resolve, reject, method } = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error) reject(new Error(`${method}: ${m.error.message}`)); else resolve(m.result);
        return;
      }
      const tab = m.sessionId && this.tabs.get(m.sessionId);
      if (!tab) return;
      if (m.method === 'Runtime.exceptionThrown') tab.problems.push(m.params.exceptionDetails.exception?.description ?? m.params.exceptionDetails.text);
      if (m.method === 'Runtime.consoleAPICalled' && m.params.type === 'error') tab.problems.push(m.params.args.map((a) => a.value ?? a.description).join(' '));
      if (m.method === 'Log.entryAdded' && m.params.entry.level === 'error') tab.problems.push(m.params.entry.text);
      if (m.method === 'Page.loadEventFired') tab.loaded?.();
    });
  }

  send(method, params = {}, sessionId, timeoutMs = 15000) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.pending.delete(id); reject(new Error(`${method}: no answer within ${timeoutMs} ms`)); }, timeoutMs);
      this.pending.set(id, { method, resolve: (v) => { clearTimeout(timer); resolve(v); }, reject: (e) => { clearTimeout(timer); reject(e); } });
      this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  // A new tab showing url (a phone-sized viewport), loaded.
  async open(url, { width = 420, height = 1000 } = {}) {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    const tab = new Tab(this, sessionId);
    this.tabs.set(sessionId, tab);
    await tab.send('Page.enable');
    await tab.send('Runtime.enable');
    await tab.send('Log.enable');
    await tab.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: true });
    const loaded = new Promise((resolve) => { tab.loaded = resolve; });
    await tab.send('Page.navigate', { url });
    await Promise.race([loaded, sleep(10000, null, { ref: false }).then(() => { throw new Error(`${url} did not load within 10 s`); })]);
    return tab;
  }

  async close() {
    try { await this.send('Browser.close', {}, undefined, 3000); } catch { /* killed below */ }
    this.ws.close();
    const exited = new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve();
      else this.child.once('exit', resolve);
    });
    await Promise.race([exited, sleep(3000, null, { ref: false })]);
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await exited;
    }
    fs.rmSync(this.userDataDir, { recursive: true, force: true });
  }
}
