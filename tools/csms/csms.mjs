// csms.mjs — a small, scriptable OCPP 1.6-J Central System for loopback use.
//
// Why it exists: the end-to-end tests (test/e2e/) need a central system they can script
// frame by frame — answer with chosen results, send crafted or malformed frames, drop the
// connection, restart on the same port, and inspect everything that went over the wire.
// `make demo` runs the same code as a CLI that prints one readable line per frame.
//
// It listens on 127.0.0.1 only by default (loopback is the only network these tests may use).
// It depends on the `ws` package installed in test/node_modules (scripts/test-e2e.sh installs
// it; by hand: `cd test && npm ci`).
//
// Library use:
//   const csms = new Csms({ port: 0, bootInterval: 1 });
//   const { port } = await csms.start();
//   ... start chargepointd with --csms ws://127.0.0.1:<port>/ocpp ...
//   await csms.waitFor('BootNotification', 10000);
//   const { result, error } = await csms.call('GetConfiguration', {});
//   await csms.stop();

import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import process from 'node:process';

const requireFromTest = createRequire(new URL('../../test/package.json', import.meta.url));
let WebSocketServer;
try {
  ({ WebSocketServer } = requireFromTest('ws'));
} catch (err) {
  throw new Error("csms.mjs needs the 'ws' package: run `npm ci` (or `npm install`) in test/ first",
    { cause: err });
}

const CALL = 2;
const CALLRESULT = 3;
const CALLERROR = 4;

const now = () => new Date().toISOString();

// Compact one-line JSON for logs and failure messages, cut to a readable length.
function brief(value, max = 300) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

export class Csms {
  constructor({
    port = 0,
    host = '127.0.0.1',
    tls = null,
    basicAuth = null,
    // How this central system reads the password: 'text' (its characters), 'hex' (the bytes
    // its hex digits spell, OCPP-J 6.2.2) or 'either' (both accepted).
    basicAuthEncoding = 'either',
    bootStatus = 'Accepted',
    bootInterval = 300,
    log = false,
  } = {}) {
    this.port = port;
    this.host = host;
    this.tls = tls;
    this.basicAuth = basicAuth;
    this.basicAuthEncoding = basicAuthEncoding;
    this.bootStatus = bootStatus;   // may be changed at any time: csms.bootStatus = 'Pending'
    this.bootInterval = bootInterval;
    // log: false | true (console.log) | function(line)
    this.logLine = log === true ? (line) => console.log(line) : (typeof log === 'function' ? log : null);

    this.frames = [];        // {dir:'in'|'out', t, raw, msg, identity, action}
    this.attempts = [];      // every WebSocket upgrade attempt, accepted or not
    this.connections = [];   // accepted connections, in order
    this.nextTransactionId = 1;

    this._handlers = new Map();  // action -> (payload, ctx) => result | {error} | {noReply}
    this._pending = new Map();   // our outgoing CALL unique id -> {action, resolve, reject, timer}
    this._actionById = new Map(); // unique id -> action, to label replies in both directions
    this._sockets = new Set();   // open WebSocket connections
    this._client = null;         // the most recently connected charge point {ws, identity, ...}
    this._waiters = new Set();   // functions re-checked whenever a frame or connection arrives
    this._callCounter = 0;
    this._server = null;
    this._wss = null;
  }

  // ---------------------------------------------------------------- lifecycle

  async start() {
    if (this._server) throw new Error('csms already started');
    this._wss = new WebSocketServer({
      noServer: true,
      // Select ocpp1.6; connections that don't offer it never get this far (see _onUpgrade).
      handleProtocols: (protocols) => (protocols.has('ocpp1.6') ? 'ocpp1.6' : false),
    });
    const onRequest = (req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('This is an OCPP 1.6-J central system: WebSocket upgrades only\n');
    };
    // tls: { key, cert } for a server certificate; with ca and requestCert: true the server asks
    // for a client certificate (security profile 3) and refuses a handshake without one that
    // chains to ca.
    const tlsServer = this.tls
      ? https.createServer({
        key: this.tls.key,
        cert: this.tls.cert,
        ...(this.tls.requestCert ? { requestCert: true, rejectUnauthorized: true, ca: this.tls.ca } : {}),
        // an outdated or odd server, for the charger's TLS checks: { minVersion, maxVersion, ciphers }
        ...(this.tls.minVersion ? { minVersion: this.tls.minVersion } : {}),
        ...(this.tls.maxVersion ? { maxVersion: this.tls.maxVersion } : {}),
        ...(this.tls.ciphers ? { ciphers: this.tls.ciphers } : {}),
      }, onRequest)
      : null;
    const plainServer = !this.tls || this.tls.plainToo ? http.createServer(onRequest) : null;
    for (const server of [tlsServer, plainServer].filter(Boolean)) {
      server.on('upgrade', (req, socket, head) => this._onUpgrade(req, socket, head));
      server.on('tlsClientError', (err) => this._log(`TLS handshake failed: ${err.message}`));
    }
    // tls.plainToo: ws:// and wss:// on the same port (a central system that serves security
    // profiles 1 and 2 side by side): the first byte of a TLS connection is a handshake record (22).
    this._rawSockets = new Set();
    this._server = tlsServer && plainServer
      ? net.createServer((socket) => {
        this._rawSockets.add(socket);
        socket.on('close', () => this._rawSockets.delete(socket));
        socket.once('data', (first) => {
          socket.pause();
          socket.unshift(first);
          (first[0] === 22 ? tlsServer : plainServer).emit('connection', socket);
          process.nextTick(() => socket.resume());
        });
      })
      : (tlsServer ?? plainServer);

    await new Promise((resolve, reject) => {
      const onError = (err) => reject(err);
      this._server.once('error', onError);
      this._server.listen(this.port, this.host, () => {
        this._server.off('error', onError);
        resolve();
      });
    });
    this.port = this._server.address().port;  // so a restart reuses the same port
    this._log(`listening on ${this.url}`);
    return { port: this.port };
  }

  async stop() {
    if (!this._server) return;
    const server = this._server;
    this._server = null;
    for (const ws of this._sockets) ws.terminate();
    this._sockets.clear();
    this._client = null;
    server.closeAllConnections?.();
    for (const socket of this._rawSockets ?? []) socket.destroy();
    await new Promise((resolve) => server.close(() => resolve()));
    await new Promise((resolve) => this._wss.close(() => resolve()));
    this._wss = null;
    this._log('stopped');
  }

  // Base URL to give chargepointd (--csms); it appends /<identity>.
  get url() {
    return `${this.tls ? 'wss' : 'ws'}://${this.host}:${this.port}/ocpp`;
  }

  // The ws:// URL of a central system started with tls.plainToo.
  get plainUrl() {
    return `ws://${this.host}:${this.port}/ocpp`;
  }

  get connected() {
    return Boolean(this._client && this._client.ws.readyState === 1);
  }

  // The identity of the currently connected charge point, or null.
  get identity() {
    return this.connected ? this._client.identity : null;
  }

  // Index to pass as `since` so a later wait only looks at frames recorded from now on.
  mark() {
    return this.frames.length;
  }

  // Close the TCP connection abruptly, as a network drop would.
  disconnectClient() {
    if (this._client) this._client.ws.terminate();
  }

  // ---------------------------------------------------------------- scripting

  // Override the answer to a CP→CS action; pass null to restore the default.
  handle(action, fn) {
    if (fn) this._handlers.set(action, fn);
    else this._handlers.delete(action);
  }

  // CALL payloads received from the charge point for `action`, oldest first.
  received(action) {
    return this.frames
      .filter((f) => f.dir === 'in' && f.msg && f.msg[0] === CALL && f.msg[2] === action)
      .map((f) => f.msg[3]);
  }

  // Send a CALL to the connected charge point.
  // Resolves {result, frame} or {error: {code, description, details}, frame}; rejects on timeout
  // or when the connection drops before the answer arrives.
  call(action, payload = {}, { timeoutMs = 10000 } = {}) {
    if (!this.connected) return Promise.reject(new Error(`csms.call(${action}): no charge point connected`));
    const id = `cs-${++this._callCounter}-${Math.random().toString(36).slice(2, 8)}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(id);
        reject(new Error(`csms.call(${action}): no answer to unique id ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this._pending.set(id, { action, resolve, reject, timer, client: this._client });
      this._send(this._client, JSON.stringify([CALL, id, action, payload]));
    });
  }

  // Send an arbitrary text frame (crafted or malformed) to the connected charge point.
  sendRaw(text) {
    if (!this.connected) throw new Error('csms.sendRaw: no charge point connected');
    this._send(this._client, text);
  }

  // Send a binary WebSocket message (OCPP-J uses text only: a protocol violation to test with).
  sendBinary(bytes) {
    if (!this.connected) throw new Error('csms.sendBinary: no charge point connected');
    this._log(`CS→CP  ${this._client.identity}  (binary message, ${bytes.length} bytes)`);
    this._client.ws.send(bytes, { binary: true });
  }

  // Wait for a recorded frame. `what` is an action name (a CALL from the charge point with
  // that action) or a predicate on frames. Frames recorded before index `since` are ignored,
  // so by default frames that already arrived count. Rejects with a list of what was seen.
  waitFor(what, timeoutMs = 10000, since = 0) {
    if (typeof since === 'object' && since !== null) since = since.since ?? 0;
    const predicate = typeof what === 'function'
      ? what
      : (f) => f.dir === 'in' && f.msg && f.msg[0] === CALL && f.msg[2] === what;
    const label = typeof what === 'function' ? (what.name || 'predicate') : `CALL ${what}`;
    return this._waitUntil(() => {
      for (let i = since; i < this.frames.length; i++) {
        let ok = false;
        try { ok = predicate(this.frames[i]); } catch { ok = false; }
        if (ok) return this.frames[i];
      }
      return undefined;
    }, timeoutMs, () => `csms.waitFor(${label}) timed out after ${timeoutMs} ms; frames seen since #${since}:\n${this.describeFrames(since)}`);
  }

  // Wait until the charge point has sent at least `count` CALLs of `action` (counting from
  // frame index `since`); resolves those frames.
  waitForCalls(action, count, timeoutMs = 10000, since = 0) {
    const matching = () => this.frames.slice(since)
      .filter((f) => f.dir === 'in' && f.msg && f.msg[0] === CALL && f.msg[2] === action);
    return this._waitUntil(() => {
      const found = matching();
      return found.length >= count ? found : undefined;
    }, timeoutMs, () => `csms.waitForCalls(${action} x${count}) timed out after ${timeoutMs} ms with ${
      matching().length}; frames seen since #${since}:\n${this.describeFrames(since)}`);
  }

  // Wait for the charge point's CALLRESULT/CALLERROR to the CALL with `uniqueId` (e.g. one
  // sent with sendRaw).
  waitForReply(uniqueId, timeoutMs = 10000, since = 0) {
    const isReply = (f) => f.dir === 'in' && Array.isArray(f.msg)
      && (f.msg[0] === CALLRESULT || f.msg[0] === CALLERROR) && f.msg[1] === uniqueId;
    Object.defineProperty(isReply, 'name', { value: `reply to ${uniqueId}` });
    return this.waitFor(isReply, timeoutMs, since);
  }

  // Resolve (with the connection record) as soon as a charge point is connected.
  waitForConnection(timeoutMs = 10000) {
    return this._waitUntil(
      () => (this.connected ? this._client.record : undefined),
      timeoutMs,
      () => `csms.waitForConnection timed out after ${timeoutMs} ms; upgrade attempts: ${
        brief(this.attempts.map((a) => ({ identity: a.identity, accepted: a.accepted, reason: a.reason })), 800)}`);
  }

  // Resolve once no charge point is connected.
  waitForDisconnection(timeoutMs = 10000) {
    return this._waitUntil(() => (this.connected ? undefined : true), timeoutMs,
      () => `csms.waitForDisconnection timed out after ${timeoutMs} ms`);
  }

  // Human-readable list of recorded frames from index `since` (for failure messages).
  describeFrames(since = 0, max = 60) {
    const lines = this.frames.slice(since).map((f, i) => `  #${since + i} ${this._describe(f)}`);
    if (lines.length > max) lines.splice(0, lines.length - max, `  … ${lines.length - max} earlier frames`);
    return lines.length ? lines.join('\n') : '  (none)';
  }

  // ---------------------------------------------------------------- internals

  _log(text) {
    if (this.logLine) this.logLine(`${new Date().toISOString().slice(11, 23)}  ${text}`);
  }

  _waitUntil(check, timeoutMs, failureMessage) {
    const first = check();
    if (first !== undefined) return Promise.resolve(first);
    return new Promise((resolve, reject) => {
      const waiter = () => {
        const value = check();
        if (value === undefined) return;
        clearTimeout(timer);
        this._waiters.delete(waiter);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this._waiters.delete(waiter);
        reject(new Error(failureMessage()));
      }, timeoutMs);
      this._waiters.add(waiter);
    });
  }

  _wake() {
    for (const waiter of [...this._waiters]) waiter();
  }

  _reject(socket, status, reason, extraHeaders = {}) {
    const headers = { Connection: 'close', 'Content-Type': 'text/plain', ...extraHeaders };
    const head = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}`,
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
    socket.end(`${head}\r\nContent-Length: ${Buffer.byteLength(reason) + 1}\r\n\r\n${reason}\n`);
  }

  // Does the password from the Authorization header match? The configured password is
  // accepted as sent, and — since the OCPP security whitepaper describes AuthorizationKey as
  // hex-represented bytes — also as the bytes it decodes to when it is a hex string.
  _passwordMatches(expected, got) {
    const asText = got.equals(Buffer.from(expected, 'utf8'));
    const asHex = /^([0-9a-fA-F]{2})+$/.test(expected) && got.equals(Buffer.from(expected, 'hex'));
    if (this.basicAuthEncoding === 'text') return asText;
    if (this.basicAuthEncoding === 'hex') return asHex;
    return asText || asHex;
  }

  _onUpgrade(req, socket, head) {
    const url = new URL(req.url, 'http://localhost');
    const segments = url.pathname.split('/');
    const rawIdentity = segments[segments.length - 1] ?? '';
    let identity;
    try { identity = decodeURIComponent(rawIdentity); } catch { identity = rawIdentity; }
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',').map((p) => p.trim()).filter(Boolean);
    const authorization = req.headers.authorization;
    const attempt = {
      t: Date.now(), path: url.pathname, identity, protocols,
      authorizationPresent: authorization !== undefined, accepted: false, reason: null,
    };
    this.attempts.push(attempt);

    const refuse = (status, reason, headers) => {
      attempt.reason = `${status} ${reason}`;
      this._log(`refused ${identity || '(no identity)'}: ${status} ${reason}`);
      this._reject(socket, status, reason, headers);
      this._wake();
    };

    if (!rawIdentity) return refuse(404, 'no charge point identity in the URL path');
    if (!protocols.includes('ocpp1.6')) return refuse(400, 'subprotocol ocpp1.6 is required');
    if (this.basicAuth) {
      const expected = this.basicAuth[identity];
      const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
      const decoded = m ? Buffer.from(m[1], 'base64') : null;
      const colon = decoded ? decoded.indexOf(0x3a) : -1;
      const user = colon >= 0 ? decoded.subarray(0, colon).toString('utf8') : null;
      const password = colon >= 0 ? decoded.subarray(colon + 1) : null;
      if (expected === undefined || user !== identity || !this._passwordMatches(expected, password)) {
        return refuse(401, authorization ? 'wrong credentials' : 'Basic authentication required',
          { 'WWW-Authenticate': 'Basic realm="OCPP"' });
      }
    }

    this._wss.handleUpgrade(req, socket, head, (ws) => {
      attempt.accepted = true;
      // The client certificate the charge point presented (security profile 3), or null.
      const peer = typeof req.socket.getPeerCertificate === 'function' ? req.socket.getPeerCertificate() : null;
      const clientCertificate = peer && peer.subject
        ? { subject: peer.subject, serialNumber: peer.serialNumber, fingerprint256: peer.fingerprint256 }
        : null;
      const record = {
        t: Date.now(), identity, path: url.pathname, protocol: ws.protocol,
        authorizationPresent: attempt.authorizationPresent, headers: req.headers, clientCertificate,
        tls: Boolean(req.socket.encrypted),
      };
      this.connections.push(record);
      const client = { ws, identity, record };
      this._sockets.add(ws);
      this._client = client;
      this._log(`${identity} connected (path ${url.pathname}, subprotocol ${ws.protocol}, `
        + `basic auth ${attempt.authorizationPresent ? 'sent' : 'not sent'})`);

      ws.on('message', (data, isBinary) => this._onMessage(client, data, isBinary));
      ws.on('close', (code) => {
        this._sockets.delete(ws);
        if (this._client === client) this._client = null;
        record.closedAt = Date.now();
        for (const [id, p] of this._pending) {
          if (p.client !== client) continue;
          clearTimeout(p.timer);
          this._pending.delete(id);
          p.reject(new Error(`csms.call(${p.action}): connection closed before the answer (close code ${code})`));
        }
        this._log(`${identity} disconnected (close code ${code})`);
        this._wake();
      });
      ws.on('error', (err) => this._log(`${identity} socket error: ${err.message}`));
      this._wake();
    });
  }

  _record(dir, client, raw) {
    let msg = null;
    try { msg = JSON.parse(raw); } catch { msg = null; }
    let action = null;
    if (Array.isArray(msg)) {
      if (msg[0] === CALL && typeof msg[2] === 'string') {
        action = msg[2];
        this._actionById.set(`${dir}:${msg[1]}`, action);
      } else if (msg[0] === CALLRESULT || msg[0] === CALLERROR) {
        // A reply answers a CALL that went the other way.
        action = this._actionById.get(`${dir === 'in' ? 'out' : 'in'}:${msg[1]}`) ?? null;
      }
    }
    const frame = { dir, t: Date.now(), hr: process.hrtime.bigint(), raw, msg, identity: client.identity, action };
    this.frames.push(frame);
    if (this.logLine) this._log(this._describe(frame));
    return frame;
  }

  _describe(f) {
    const arrow = f.dir === 'in' ? 'CP→CS' : 'CS→CP';
    const m = f.msg;
    let text;
    if (!Array.isArray(m)) text = `(not an OCPP frame) ${brief(f.raw, 200)}`;
    else if (m[0] === CALL) text = `${m[2]} ${brief(m[3])}`;
    else if (m[0] === CALLRESULT) text = `${f.action ?? '?'}.conf ${brief(m[2])}`;
    else if (m[0] === CALLERROR) text = `${f.action ?? '?'} CALLERROR ${m[2]} ${brief(m[3] ?? '')} ${brief(m[4] ?? {})}`;
    else text = `(unknown message type) ${brief(f.raw, 200)}`;
    return `${arrow}  ${f.identity}  ${text}`;
  }

  _send(client, raw) {
    this._record('out', client, raw);
    client.ws.send(raw);
    this._wake();
  }

  async _onMessage(client, data, isBinary) {
    const raw = isBinary ? data.toString('latin1') : data.toString('utf8');
    const frame = this._record('in', client, raw);
    this._wake();
    const m = frame.msg;
    if (!Array.isArray(m)) return;

    if (m[0] === CALLRESULT || m[0] === CALLERROR) {
      const pending = this._pending.get(m[1]);
      if (!pending) return;  // e.g. the answer to a frame sent with sendRaw: only recorded
      this._pending.delete(m[1]);
      clearTimeout(pending.timer);
      if (m[0] === CALLRESULT) pending.resolve({ result: m[2], frame });
      else pending.resolve({ error: { code: m[2], description: m[3], details: m[4] }, frame });
      return;
    }
    if (m[0] !== CALL || typeof m[1] !== 'string') return;

    const [, id, action, payload] = m;
    let answer;
    try {
      const handler = this._handlers.get(action);
      answer = handler
        ? await handler(payload, { identity: client.identity, uniqueId: id, csms: this, frame })
        : this._defaultAnswer(action, payload);
    } catch (err) {
      answer = { error: { code: 'InternalError', description: String(err?.message ?? err) } };
    }
    if (answer && answer.noReply) return;
    if (client.ws.readyState !== 1) return;
    if (answer && answer.error) {
      const { code = 'GenericError', description = '', details = {} } = answer.error;
      this._send(client, JSON.stringify([CALLERROR, id, code, description, details]));
    } else {
      this._send(client, JSON.stringify([CALLRESULT, id, answer ?? {}]));
    }
  }

  _defaultAnswer(action) {
    const accepted = { idTagInfo: { status: 'Accepted' } };
    switch (action) {
      case 'BootNotification':
        return { status: this.bootStatus, currentTime: now(), interval: this.bootInterval };
      case 'Heartbeat':
        return { currentTime: now() };
      case 'Authorize':
      case 'StopTransaction':
        return accepted;
      case 'StartTransaction':
        return { transactionId: this.nextTransactionId++, ...accepted };
      case 'DataTransfer':
      case 'SignCertificate':
        return { status: 'Accepted' };
      case 'StatusNotification':
      case 'MeterValues':
      case 'DiagnosticsStatusNotification':
      case 'FirmwareStatusNotification':
      case 'SecurityEventNotification':
      case 'SignedFirmwareStatusNotification':
      case 'LogStatusNotification':
        return {};
      default:
        return { error: { code: 'NotImplemented', description: `${action} is not implemented by this test CSMS` } };
    }
  }
}

// ------------------------------------------------------------------ CLI

const USAGE = 'usage: node tools/csms/csms.mjs [--port 9000] [--host 127.0.0.1] '
  + '[--boot Accepted|Pending|Rejected] [--interval 10] [--password ID:SECRET]...';

function parseCli(argv) {
  const opts = { port: 9000, host: '127.0.0.1', bootStatus: 'Accepted', bootInterval: 10, basicAuth: null };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
      return argv[++i];
    };
    switch (flag) {
      case '--port': opts.port = Number(value()); break;
      case '--host': opts.host = value(); break;
      case '--boot': opts.bootStatus = value(); break;
      case '--interval': opts.bootInterval = Number(value()); break;
      case '--password': {
        const spec = value();
        const colon = spec.indexOf(':');
        if (colon <= 0) throw new Error('--password wants ID:SECRET');
        opts.basicAuth = { ...(opts.basicAuth ?? {}), [spec.slice(0, colon)]: spec.slice(colon + 1) };
        break;
      }
      case '-h': case '--help': console.log(USAGE); process.exit(0); break;
      default: throw new Error(`unknown argument ${flag}`);
    }
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new Error('--port wants 0..65535');
  if (!['Accepted', 'Pending', 'Rejected'].includes(opts.bootStatus)) throw new Error('--boot wants Accepted|Pending|Rejected');
  if (!Number.isInteger(opts.bootInterval) || opts.bootInterval < 0) throw new Error('--interval wants whole seconds');
  return opts;
}

async function main() {
  let opts;
  try {
    opts = parseCli(process.argv.slice(2));
  } catch (err) {
    console.error(`csms: ${err.message}\n${USAGE}`);
    process.exit(2);
  }
  const csms = new Csms({ ...opts, log: true });
  await csms.start();
  const shutdown = async () => {
    await csms.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(`csms: ${err.message}`);
    process.exit(1);
  });
}
