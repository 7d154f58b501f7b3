// signed_firmware.test.mjs — SignedUpdateFirmware / SignedFirmwareStatusNotification end to end
// (security whitepaper L01), on simulated hardware, with a manufacturer root, signing
// certificates and signatures made here by openssl and the image served over HTTP on 127.0.0.1.
//
// Why it exists: a signed update is the charger's defence against a forged image. Only the whole
// chain shows that an untrusted signing certificate is refused before any download, that an
// image whose signature does not verify is never installed (the version stays), that a good one
// is installed, and that every status carries the request's id and each refusal its security
// event.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Controller } from './lib/controller.mjs';
import { Csms, waitBooted, isCallIn } from './lib/harness.mjs';

const VERSION = '7.7.7-signed';
const IMAGE = `CHARGEPOINTD-SIM-FIRMWARE ${VERSION}\n${'s'.repeat(32 * 1024)}\n`;

const openssl = (args, cwd) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

function makeSigning(dir) {
  fs.writeFileSync(path.join(dir, 'image.bin'), IMAGE);
  fs.writeFileSync(path.join(dir, 'leaf.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n');
  for (const name of ['root', 'stranger-root']) {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`,
      '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}/O=test manufacturer`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'], dir);
  }
  for (const [name, root] of [['signer', 'root'], ['stranger', 'stranger-root']]) {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`,
      '-subj', `/CN=${name}`], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${root}.pem`, '-CAkey', `${root}.key`, '-set_serial', '7',
      '-days', '2', '-extfile', 'leaf.ext', '-out', `${name}.pem`], dir);
  }
  const sign = (file) => openssl(['dgst', '-sha256', '-sign', 'signer.key', file], dir).toString('base64');
  fs.writeFileSync(path.join(dir, 'other.bin'), 'another image');
  const read = (name) => fs.readFileSync(path.join(dir, name), 'utf8');
  return { root: read('root.pem'), signer: read('signer.pem'), stranger: read('stranger.pem'),
    good: sign('image.bin'), bad: sign('other.bin') };
}

const statuses = (csms, since) => csms.frames.slice(since)
  .filter((f) => isCallIn(f, 'SignedFirmwareStatusNotification')).map((f) => f.msg[3]);
const securityEvent = (type) => (f) => isCallIn(f, 'SecurityEventNotification') && f.msg[3].type === type;

describe('SignedUpdateFirmware', () => {
  let dir;
  let keys;
  let files;
  let csms;
  let cp;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-signed-fw-'));
    keys = makeSigning(dir);
    files = http.createServer((req, res) => (req.url === '/fw/image.bin' ? res.end(IMAGE) : res.end('nothing')));
    await new Promise((resolve) => files.listen(0, '127.0.0.1', resolve));
    csms = new Csms({ port: 0 });
    await csms.start();
    cp = await Controller.start({ csmsUrl: csms.url, name: 'signed-firmware' });
    await waitBooted(cp);
  });
  after(async () => {
    await cp?.close();
    await csms?.stop();
    files?.closeAllConnections?.();
    await new Promise((resolve) => (files ? files.close(resolve) : resolve()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  const request = (requestId, signingCertificate, signature) => csms.call('SignedUpdateFirmware', {
    requestId, retries: 1, retryInterval: 1,
    firmware: { location: `http://127.0.0.1:${files.address().port}/fw/image.bin`,
      retrieveDateTime: new Date().toISOString(), signingCertificate, signature },
  });

  test('a signing certificate no installed ManufacturerRootCertificate vouches for: InvalidCertificate + event, no download', async () => {
    assert.deepEqual((await request(1, keys.signer, keys.good)).result, { status: 'InvalidCertificate' });
    await csms.call('InstallCertificate', { certificateType: 'ManufacturerRootCertificate', certificate: keys.root });
    assert.deepEqual((await request(2, keys.stranger, keys.good)).result, { status: 'InvalidCertificate' });
    await csms.waitFor(securityEvent('InvalidFirmwareSigningCertificate'), 15000);
    assert.equal(statuses(csms, 0).length, 0);
  });

  test('a signature that does not verify: InvalidSignature + event, never installed', async () => {
    const since = csms.mark();
    assert.deepEqual((await request(3, keys.signer, keys.bad)).result, { status: 'Accepted' });
    await csms.waitFor((f) => isCallIn(f, 'SignedFirmwareStatusNotification') && f.msg[3].status === 'InvalidSignature',
      20000, since);
    await csms.waitFor(securityEvent('InvalidFirmwareSignature'), 15000, since);
    assert.deepEqual(statuses(csms, since), [{ status: 'Downloading', requestId: 3 }, { status: 'Downloaded', requestId: 3 },
      { status: 'InvalidSignature', requestId: 3 }]);
    assert.ok(!fs.readdirSync(path.join(cp.stateDir, 'firmware')).some((f) => f.startsWith('image-')),
      'the image that failed is deleted');
  });

  test('a good signature: SignatureVerified, installed, restart in place with the new version, Installed', async () => {
    const since = csms.mark();
    assert.deepEqual((await request(4, keys.signer, keys.good)).result, { status: 'Accepted' });
    const boot = await csms.waitFor((f) => isCallIn(f, 'BootNotification') && f.msg[3].firmwareVersion === VERSION,
      40000, since);
    await csms.waitFor((f) => isCallIn(f, 'SignedFirmwareStatusNotification') && f.msg[3].status === 'Installed',
      30000, csms.frames.indexOf(boot));
    assert.deepEqual(statuses(csms, since).map((s) => `${s.status}/${s.requestId}`),
      ['Downloading/4', 'Downloaded/4', 'SignatureVerified/4', 'Installing/4', 'Installed/4']);
    assert.equal(csms.received('FirmwareStatusNotification').length, 0, 'the signed statuses only');
  });
});
