// certs.mjs — a throw-away certificate authority and a server certificate for 127.0.0.1.
//
// Why it exists: the wss:// tests need a central system whose certificate chains to a CA
// that chargepointd is told to trust (--ca-file), and nothing may come from outside this
// machine, so the tests make their own with the `openssl` CLI in a temporary directory.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function openssl(args, cwd) {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`openssl ${args.join(' ')} failed: ${err.stderr?.toString() || err.message}`);
  }
}

// Returns { dir, caFile, caCert, keyFile, certFile, serverKey, serverCert, remove() };
// *File are paths, caCert/serverKey/serverCert the PEM contents.
export function makeCerts({ commonName = '127.0.0.1' } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-certs-'));
  fs.writeFileSync(path.join(dir, 'server.ext'), [
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature, keyEncipherment',
    'extendedKeyUsage = serverAuth',
    'subjectAltName = IP:127.0.0.1, DNS:localhost',
    '',
  ].join('\n'));
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem',
    '-days', '2', '-subj', '/CN=chargepointd test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr',
    '-subj', `/CN=${commonName}`], dir);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
    '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext'], dir);

  const read = (name) => fs.readFileSync(path.join(dir, name), 'utf8');
  return {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    keyFile: path.join(dir, 'server.key'),
    certFile: path.join(dir, 'server.pem'),
    caCert: read('ca.pem'),
    serverKey: read('server.key'),
    serverCert: read('server.pem'),
    // Another certificate from the same CA, e.g. a server one for another host name:
    // issue('other', 'DNS:csms.example.com') → { key, cert, keyFile, certFile }; a charge point's
    // client certificate: issue('cp', 'DNS:cp', { eku: 'clientAuth', cn: 'SERIAL' }).
    issue: (name, subjectAltName, { eku = 'serverAuth', cn } = {}) => {
      fs.writeFileSync(path.join(dir, `${name}.ext`), [
        'basicConstraints = critical, CA:FALSE',
        'keyUsage = critical, digitalSignature, keyEncipherment',
        `extendedKeyUsage = ${eku}`,
        `subjectAltName = ${subjectAltName}`,
        '',
      ].join('\n'));
      openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`,
        '-subj', `/CN=${cn ?? subjectAltName.replace(/^[A-Z]+:/, '')}`], dir);
      openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key',
        '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`], dir);
      return { key: read(`${name}.key`), cert: read(`${name}.pem`),
        keyFile: path.join(dir, `${name}.key`), certFile: path.join(dir, `${name}.pem`) };
    },
    // A server certificate for 127.0.0.1 from the same CA that expired in 2020 (`openssl ca`
    // takes explicit dates; `openssl x509` does not) → { key, cert }.
    issueExpired: (name) => {
      fs.mkdirSync(path.join(dir, `${name}-db`, 'new'), { recursive: true });
      fs.writeFileSync(path.join(dir, `${name}-db`, 'index.txt'), '');
      fs.writeFileSync(path.join(dir, `${name}-db`, 'serial'), '01\n');
      fs.writeFileSync(path.join(dir, `${name}.cnf`), [
        '[ ca ]', 'default_ca = d', '[ d ]', `dir = ./${name}-db`, 'database = $dir/index.txt',
        'new_certs_dir = $dir/new', 'serial = $dir/serial', 'default_md = sha256', 'policy = p',
        '[ p ]', 'commonName = supplied', ''].join('\n'));
      openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`,
        '-subj', '/CN=127.0.0.1'], dir);
      openssl(['ca', '-batch', '-config', `${name}.cnf`, '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', `${name}.csr`,
        '-out', `${name}.pem`, '-startdate', '20200101000000Z', '-enddate', '20200102000000Z',
        '-extfile', 'server.ext', '-notext'], dir);
      return { key: read(`${name}.key`), cert: read(`${name}.pem`) };
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
