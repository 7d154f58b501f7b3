// harness.mjs — small helpers shared by the end-to-end test files.
//
// Why it exists: most tests need "a test CSMS plus a chargepointd pointed at it, both torn
// down when the test ends", and the same few predicates on frames and status; writing them
// once keeps each test about the behaviour it checks.

import path from 'node:path';
import net from 'node:net';
import { Csms } from '../../../tools/csms/csms.mjs';
import { Controller } from './controller.mjs';

export { Csms, Controller };

// Artifact name for a test: "<file>-<test name>".
export function artifactName(t, fileUrl) {
  const file = fileUrl ? path.basename(new URL(fileUrl).pathname).replace(/\.test\.mjs$/, '') : 'e2e';
  return `${file}-${t.name}`;
}

// Start a Csms (options `csms`) and a Controller pointed at it (options `cp`), and register
// their teardown on the test context. Resolves {csms, cp}.
export async function startPair(t, fileUrl, { csms: csmsOptions = {}, cp: cpOptions = {} } = {}) {
  const csms = new Csms(csmsOptions);
  await csms.start();
  let cp = null;
  // One hook, so the controller always goes before its central system.
  t.after(async () => {
    await cp?.close();
    await csms.stop();
  });
  cp = await Controller.start({ csmsUrl: csms.url, name: artifactName(t, fileUrl), ...cpOptions });
  return { csms, cp };
}

// ---- predicates on status JSON

export const isConnected = (s) => s?.ocpp?.connection === 'connected';
export const isBooted = (s) => isConnected(s) && s.ocpp.registration === 'Accepted';
export const actor = (s, name) => (s?.actors ?? []).find((a) => a.name === name);
export const connector = (s, id) => (s?.connectors ?? []).find((c) => c.id === id);
export const restarts = (s, name) => actor(s, name)?.restarts ?? 0;

// Wait until actor `name` has been restarted past `before` restarts and runs again. Resolves
// {status, at}: `at` is the Date.now() of the first status that showed it (an upper bound of
// the restart moment, within one status poll).
export async function waitActorRestarted(cp, name, before, timeoutMs = 15000) {
  const status = await cp.waitStatus((s) => restarts(s, name) > before && actor(s, name)?.state === 'running',
    timeoutMs, `actor ${name} restarted (more than ${before} restarts) and running`);
  return { status, at: Date.now() };
}

// ---- predicates on recorded frames

export const isCallIn = (f, action) => f.dir === 'in' && Array.isArray(f.msg) && f.msg[0] === 2
  && (action === undefined || f.msg[2] === action);

// A StatusNotification from the charge point for `connectorId` with `status`.
export function statusNotification(connectorId, status) {
  const p = (f) => isCallIn(f, 'StatusNotification') && f.msg[3]?.connectorId === connectorId
    && (status === undefined || f.msg[3]?.status === status);
  Object.defineProperty(p, 'name', { value: `StatusNotification(connector ${connectorId}, ${status ?? 'any'})` });
  return p;
}

// Wait until the controller is registered: status connected + Accepted.
export function waitBooted(cp, timeoutMs = 20000) {
  return cp.waitStatus(isBooted, timeoutMs, 'connection "connected" and registration "Accepted"');
}

// Call the charge point, riding out one reconnect (for checks right after a fault that may
// legitimately make the controller reconnect). Resolves {result} or {error}.
export async function callSurvivingReconnect(csms, action, payload, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      await csms.waitForConnection(Math.max(1, deadline - Date.now()));
      return await csms.call(action, payload, { timeoutMs: Math.max(1, Math.min(10000, deadline - Date.now())) });
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`${action} did not get an answer within ${timeoutMs} ms: ${lastError?.message}`);
}

// A loopback TCP port with nothing listening on it (bound, then released): free for a server
// (--http, a second CSMS) or, left alone, a port a client cannot connect to.
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
export const closedPort = freePort;
