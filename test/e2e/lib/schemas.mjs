// schemas.mjs — the official OCPP 1.6 / security whitepaper JSON schemas (gateway/schemas holds
// /work/shared/spec/schemas) as ajv validators, and the check the e2e suites run over a scripted
// central system's record: every CALL and CALLRESULT the charge point sent is valid. (The strict
// interop suite has ocpp-rpc do the same on the wire.)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { REPO_ROOT } from './controller.mjs';

let validators = null;

// Validators keyed by schema name (e.g. "BootNotification", "BootNotificationResponse"), compiled once.
export function schemaValidators() {
  if (validators) return validators;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const dir = path.join(REPO_ROOT, 'gateway', 'schemas');
  validators = new Map();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const schema = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    delete schema.$schema;   // draft-06 meta-schema: the keywords used are the same in draft-07
    delete schema.$id;
    validators.set(file.replace(/\.json$/, ''), ajv.compile(schema));
  }
  return validators;
}

// Every CALL and CALLRESULT the charge point sent (frames recorded `in` by tools/csms), against
// its schema; the central system's own frames may be invalid on purpose. Returns how many.
export function assertFramesValid(csms) {
  const byName = schemaValidators();
  const actionById = new Map();
  let checked = 0;
  for (const f of csms.frames) {
    const m = f.msg;
    if (!Array.isArray(m)) continue;
    if (m[0] === 2) actionById.set(m[1], m[2]);
    const action = m[0] === 2 ? m[2] : (m[0] === 3 ? actionById.get(m[1]) : null);
    if (!action || f.dir !== 'in') continue;
    const name = m[0] === 2 ? action : `${action}Response`;
    const validate = byName.get(name);
    assert.ok(validate, `no schema ${name}`);
    const payload = m[0] === 2 ? m[3] : m[2];
    assert.ok(validate(payload), `${f.dir} ${name} ${JSON.stringify(payload)}: ${JSON.stringify(validate.errors)}`);
    checked++;
  }
  return checked;
}
