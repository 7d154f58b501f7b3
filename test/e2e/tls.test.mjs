// tls.test.mjs — wss:// to the central system (OCPP 1.6 security profiles 2, with Basic auth).
//
// Why it exists: the controller must verify the central system's certificate against the
// CA bundle given with --ca-file, and must refuse a server it cannot verify rather than fall
// back to an unauthenticated link. The certificates are made here, on the fly, with openssl.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeCerts } from './lib/certs.mjs';
import { startPair, isConnected, waitBooted } from './lib/harness.mjs';

const HERE = import.meta.url;
const PASSWORD = '0123456789abcdef0123456789abcdef';
let certs;

before(() => { certs = makeCerts(); });
after(() => certs?.remove());

test('wss:// with --ca-file: connected and registered', async (t) => {
  const { csms, cp } = await startPair(t, HERE, {
    csms: { tls: { key: certs.serverKey, cert: certs.serverCert } },
    cp: { caFile: certs.caFile },
  });
  assert.match(csms.url, /^wss:\/\//);
  await waitBooted(cp);
  assert.equal(csms.connections[0].identity, 'CP001');
});

test('wss:// with Basic auth (security profile 2): connected, header sent', async (t) => {
  const { csms, cp } = await startPair(t, HERE, {
    csms: { tls: { key: certs.serverKey, cert: certs.serverCert }, basicAuth: { CP001: PASSWORD } },
    cp: { caFile: certs.caFile, password: PASSWORD },
  });
  await waitBooted(cp);
  assert.equal(csms.connections[0].authorizationPresent, true);
});

test('wss:// without --ca-file: the untrusted server is refused, never connected', async (t) => {
  const { csms, cp } = await startPair(t, HERE, {
    csms: { tls: { key: certs.serverKey, cert: certs.serverCert } },
  });
  await cp.waitStatus((s) => s.ocpp.connection === 'error', 20000, 'connection "error" for an untrusted certificate');
  await cp.expectNever(isConnected, 3000, 'connected to a server whose certificate is not trusted');
  assert.equal(csms.connections.length, 0, 'no WebSocket was ever established');
  assert.equal(cp.running, true);
});
