// statuspage.mjs — a client of the controller's local status page, as the page itself talks.
//
// Why it exists: the status page tests (status_page*.test.mjs) need the page's WebSocket
// (subprotocol "cp-status") with bounded waits: "the next status that satisfies P", "the reply
// to this request", and every raw text received (to prove a password never appears in it).
//
//   const page = await PageSocket.open(port);
//   const reply = await page.request({ command: 'plug', connector: 1 });
//   await page.waitStatus((s) => s.connectors[0].plugged);
//   page.close();

import WebSocket from 'ws';

// The free loopback port for --http comes from the harness.
export { freePort } from './harness.mjs';

export class PageSocket {
  // Open ws://HOST:PORT/ with the page's subprotocol; rejects if refused.
  static open(port, { host = '127.0.0.1', origin, timeoutMs = 5000 } = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${host}:${port}/`, 'cp-status', origin ? { origin } : {});
      const timer = setTimeout(() => { ws.terminate(); reject(new Error(`page WebSocket not open within ${timeoutMs} ms`)); }, timeoutMs);
      ws.once('open', () => { clearTimeout(timer); resolve(new PageSocket(ws)); });
      ws.once('error', (err) => { clearTimeout(timer); reject(err); });
    });
  }

  constructor(ws) {
    this.ws = ws;
    this.texts = [];          // every text message received, raw
    this.statuses = [];       // parsed status messages, in order
    this.replies = new Map(); // id -> reply
    this.errors = [];         // replies without an id (bad frames)
    this.nextId = 1;
    this._waiters = new Set();
    ws.on('message', (data) => {
      const text = data.toString();
      this.texts.push(text);
      let m;
      try { m = JSON.parse(text); } catch { return; }
      if (m.type === 'status') this.statuses.push(m);
      else if (m.type === 'reply' && m.id != null) this.replies.set(m.id, m);
      else if (m.type === 'reply') this.errors.push(m);
      for (const w of [...this._waiters]) w();
    });
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
  }

  // Resolve the first value of check() that is not undefined, re-checked on every message.
  _until(check, timeoutMs, what) {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const value = check();
        if (value !== undefined) {
          this._waiters.delete(attempt);
          clearTimeout(timer);
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        this._waiters.delete(attempt);
        const last = this.statuses.at(-1);
        reject(new Error(`${what} not seen within ${timeoutMs} ms; last status: ${last ? JSON.stringify(last.status).slice(0, 1500) : '(none)'}`));
      }, timeoutMs);
      this._waiters.add(attempt);
      attempt();
    });
  }

  // The latest status message whose status satisfies predicate (from now on or already seen).
  waitStatus(predicate, timeoutMs = 10000, what = predicate.toString()) {
    return this._until(() => {
      const last = this.statuses.at(-1);
      return last && predicate(last.status, last) ? last.status : undefined;
    }, timeoutMs, `status ${what}`);
  }

  send(text) {
    this.ws.send(text);
  }

  // Send a request (an id is added) and resolve its reply {type, id, ok, message}.
  request(body, timeoutMs = 15000) {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, ...body }));
    return this._until(() => this.replies.get(id), timeoutMs, `reply to ${body.command} #${id}`);
  }

  // The next reply without an id (the answer to a frame that could not be read).
  nextError(timeoutMs = 5000) {
    const seen = this.errors.length;
    return this._until(() => this.errors[seen], timeoutMs, 'error reply');
  }

  close() {
    this.ws.close();
    return this.closed;
  }
}
