// controller.mjs — start, drive and stop the real chargepointd and cpctl binaries.
//
// Why it exists: the end-to-end tests exercise the built programs exactly as a user would —
// flags, environment, `cpctl` commands and the status JSON of docs/interface — so this file is
// the one place that knows how to launch them, wait for them (always bounded, with a message
// that says what was seen), capture their logs into test/artifacts/<name>/ and clean up.
//
//   const cp = await Controller.start({ csmsUrl: csms.url, name: 'boot-accepted' });
//   await cp.waitStatus((s) => s.ocpp.connection === 'connected', 10000);
//   await cp.cpctl('plug', '1');
//   await cp.stop();

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const ARTIFACTS_DIR = path.join(REPO_ROOT, 'test', 'artifacts');

// Directory holding chargepointd and cpctl: CP_BUILD (absolute, or relative to the repo root).
export function buildDir(bin = process.env.CP_BUILD || 'build') {
  return path.resolve(REPO_ROOT, bin);
}

// Controllers still running, killed when the test process exits so that a failed test never
// leaves a daemon behind.
const live = new Set();
process.on('exit', () => {
  for (const cp of live) {
    try { cp.child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

function sanitize(name) {
  return String(name).replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 100) || 'unnamed';
}

function tail(text, lines = 40) {
  const all = text.split('\n');
  return all.length > lines ? `… (${all.length - lines} earlier lines)\n${all.slice(-lines).join('\n')}` : text;
}

// Run a program to completion (bounded). Resolves {code, signal, stdout, stderr, timedOut}.
function run(file, args, { timeoutMs = 10000, env = process.env, input } = {}) {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let child;
    try {
      child = spawn(file, args, { env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ code: null, signal: null, stdout: '', stderr: String(err.message), timedOut: false, spawnError: err });
      return;
    }
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    if (input !== undefined) child.stdin.end(input);
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr: stderr + String(err.message), timedOut, spawnError: err });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

// Run chargepointd with exactly `args` (for bad-usage tests) and wait for it to exit.
// Resolves {code, signal, stdout, stderr, timedOut}; a process still running after
// timeoutMs is killed and reported with timedOut: true.
export function runChargepointd(args, { timeoutMs = 5000, env = {}, bin } = {}) {
  const fullEnv = { ...process.env, ...env };
  return run(path.join(buildDir(bin), 'chargepointd'), args, { timeoutMs, env: fullEnv });
}

// Run cpctl with exactly `args` (e.g. against no controller at all).
export function runCpctl(args, { timeoutMs = 15000, env = {}, bin } = {}) {
  return run(path.join(buildDir(bin), 'cpctl'), args, { timeoutMs, env: { ...process.env, ...env } });
}

export class Controller {
  // Spawn chargepointd and wait until `cpctl status` answers.
  //   csmsUrl    base URL of the central system (omit for stand-alone mode)
  //   id         charge point identity (passed with --id when csmsUrl is given)
  //   password   AuthorizationKey, passed through CHARGEPOINTD_PASSWORD (never argv)
  //   caFile     --ca-file
  //   connectors --connectors
  //   http       --http value; 'off' by default so parallel runs never fight over a port
  //   extraArgs  appended to the command line
  //   env        extra environment variables
  //   stateDir   defaults to a fresh directory under os.tmpdir(), removed by close()
  //   name       artifacts go to test/artifacts/<name>/chargepointd.log
  //   readyTimeoutMs  bound on waiting for `cpctl status`
  static async start(options = {}) {
    const cp = new Controller(options);
    try {
      await cp._spawn();
    } catch (err) {
      await cp.close();  // never leave a process or a temporary state dir behind
      throw err;
    }
    return cp;
  }

  constructor({
    csmsUrl,
    id = 'CP001',
    password,
    caFile,
    connectors = 1,
    http = 'off',
    extraArgs = [],
    env = {},
    stateDir,
    name,
    bin = process.env.CP_BUILD || 'build',
    readyTimeoutMs = 15000,
  } = {}) {
    this.bin = buildDir(bin);
    this.ownsStateDir = !stateDir;
    this.stateDir = stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'chargepointd-'));
    this.name = sanitize(name ?? `controller-${process.pid}-${Date.now()}`);
    this.artifactDir = path.join(ARTIFACTS_DIR, this.name);
    fs.mkdirSync(this.artifactDir, { recursive: true });
    this.logFile = path.join(this.artifactDir, 'chargepointd.log');
    this.readyTimeoutMs = readyTimeoutMs;

    this.args = [];
    if (csmsUrl) this.args.push('--csms', csmsUrl);
    if (csmsUrl && id != null) this.args.push('--id', id);
    this.args.push('--state-dir', this.stateDir, '--connectors', String(connectors), '--log-level', 'debug');
    if (caFile) this.args.push('--ca-file', caFile);
    if (http != null) this.args.push('--http', String(http));
    this.args.push(...extraArgs);

    this.env = { ...process.env, ...env };
    delete this.env.CHARGEPOINTD_PASSWORD;
    if (password != null) this.env.CHARGEPOINTD_PASSWORD = password;
    if (env.CHARGEPOINTD_PASSWORD != null) this.env.CHARGEPOINTD_PASSWORD = env.CHARGEPOINTD_PASSWORD;

    this.output = '';
    this.child = null;
    this.exitCode = null;
    this.exitSignal = null;
    this.starts = 0;
  }

  get running() {
    return this.child !== null && this.exitCode === null && this.exitSignal === null;
  }

  get pid() {
    return this.child?.pid;
  }

  // Everything chargepointd wrote to stdout and stderr, across restarts.
  logs() {
    return this.output;
  }

  // Index to pass as `since` to waitLog so that only output written from now on counts.
  logMark() {
    return this.output.length;
  }

  // Wait until a line of the output written after `since` matches `re`; resolves the line.
  // Fails (with the output tail) after timeoutMs.
  async waitLog(re, timeoutMs = 10000, since = 0) {
    return (await this.waitLogLines(re, 1, timeoutMs, since))[0];
  }

  // Wait until `count` lines of the output written after `since` match `re` (e.g. a retry
  // seen twice); resolves the matching lines. Fails (with the output tail) after timeoutMs.
  async waitLogLines(re, count, timeoutMs = 10000, since = 0) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.output.slice(since).split('\n').filter((l) => re.test(l));
      if (lines.length >= count) return lines;
      if (Date.now() >= deadline) break;
      await sleep(100);
    }
    throw new Error(`waitLog(${re}${count > 1 ? ` ×${count}` : ''}) not seen within ${timeoutMs} ms`
      + `${this.running ? '' : ` — chargepointd exited (code ${this.exitCode}, signal ${this.exitSignal})`}`
      + `\n--- chargepointd output since the mark ---\n${tail(this.output.slice(since))}`);
  }

  async _spawn() {
    this.starts += 1;
    this.exitCode = null;
    this.exitSignal = null;
    // The first start truncates a log left by an earlier run; restarts append.
    const logStream = fs.createWriteStream(this.logFile, { flags: this.starts === 1 ? 'w' : 'a' });
    const banner = `\n===== start #${this.starts} ${new Date().toISOString()}: chargepointd ${this.args.join(' ')}\n`;
    this.output += banner;
    logStream.write(banner);

    const child = spawn(path.join(this.bin, 'chargepointd'), this.args, {
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(this);
    const capture = (chunk) => {
      const text = chunk.toString();
      this.output += text;
      logStream.write(text);
    };
    child.stdout.on('data', capture);
    child.stderr.on('data', capture);
    this.exited = new Promise((resolve) => {
      child.on('error', (err) => {
        capture(`[controller.mjs] could not start ${path.join(this.bin, 'chargepointd')}: ${err.message}\n`);
        this.exitCode = -1;
        live.delete(this);
        logStream.end();
        resolve({ code: -1, signal: null });
      });
      child.on('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        live.delete(this);
        // Let the pipes drain before closing the log file.
        child.on('close', () => {
          const line = `===== exited: code ${code} signal ${signal}\n`;
          this.output += line;
          logStream.end(line);
        });
        resolve({ code, signal });
      });
    });
    await this._waitReady();
  }

  async _waitReady() {
    const deadline = Date.now() + this.readyTimeoutMs;
    let last = null;
    while (Date.now() < deadline) {
      if (!this.running) {
        throw new Error(`chargepointd exited (code ${this.exitCode}, signal ${this.exitSignal}) before `
          + `\`cpctl status\` answered.\n--- chargepointd output ---\n${tail(this.output)}`);
      }
      last = await this.cpctl('status', { timeoutMs: Math.max(1000, Math.min(5000, deadline - Date.now())) });
      if (last.code === 0) {
        try { JSON.parse(last.stdout); return; } catch { /* not yet a full answer */ }
      }
      await sleep(100);
    }
    const lastText = last ? `exit ${last.code}, stdout ${JSON.stringify(last.stdout)}, stderr ${JSON.stringify(last.stderr)}` : 'never ran';
    throw new Error(`\`cpctl status\` did not answer within ${this.readyTimeoutMs} ms of starting chargepointd `
      + `(last try: ${lastText}).\n--- chargepointd output ---\n${tail(this.output)}`);
  }

  // Run `cpctl --state-dir DIR ...args`; a trailing options object may set {timeoutMs}.
  // Resolves {code, stdout, stderr, signal, timedOut}.
  cpctl(...args) {
    const options = typeof args[args.length - 1] === 'object' ? args.pop() : {};
    return run(path.join(this.bin, 'cpctl'), ['--state-dir', this.stateDir, ...args.map(String)],
      { timeoutMs: options.timeoutMs ?? 15000, env: this.env });
  }

  // Like cpctl(), but throws (with stderr and the controller's log tail) unless it exits 0.
  async cpctlOk(...args) {
    const r = await this.cpctl(...args);
    if (r.code !== 0) {
      throw new Error(`cpctl ${args.filter((a) => typeof a !== 'object').join(' ')} exited ${r.code}`
        + `${r.timedOut ? ' (timed out)' : ''}: ${r.stderr.trim()}\n--- chargepointd output ---\n${tail(this.output)}`);
    }
    return r;
  }

  // Parsed JSON of `cpctl status`; throws if cpctl fails or prints something else.
  async status() {
    const r = await this.cpctl('status');
    if (r.code !== 0) throw new Error(`cpctl status exited ${r.code}: ${r.stderr.trim()}`);
    try {
      return JSON.parse(r.stdout);
    } catch {
      throw new Error(`cpctl status printed something that is not JSON: ${JSON.stringify(r.stdout.slice(0, 500))}`);
    }
  }

  // Poll status until predicate(status) is true; resolves that status. Transient cpctl
  // failures (e.g. while an actor restarts) are retried. Fails with the last status seen.
  async waitStatus(predicate, timeoutMs = 10000, description = predicate.toString()) {
    const deadline = Date.now() + timeoutMs;
    let lastStatus;
    let lastError;
    for (;;) {
      try {
        const s = await this.status();
        lastStatus = s;
        lastError = undefined;
        if (predicate(s)) return s;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() >= deadline) break;
      if (!this.running) break;
      await sleep(150);
    }
    throw new Error(`waitStatus(${description}) not satisfied within ${timeoutMs} ms`
      + `${this.running ? '' : ` — chargepointd exited (code ${this.exitCode}, signal ${this.exitSignal})`}`
      + `\nlast status: ${lastStatus === undefined ? '(none)' : JSON.stringify(lastStatus)}`
      + `${lastError ? `\nlast error: ${lastError.message}` : ''}`
      + `\n--- chargepointd output ---\n${tail(this.output)}`);
  }

  // Poll status for `durationMs` and fail as soon as predicate(status) becomes true: for
  // "this must never happen" checks. Resolves the statuses seen.
  async expectNever(predicate, durationMs, description = predicate.toString()) {
    const deadline = Date.now() + durationMs;
    const seen = [];
    while (Date.now() < deadline) {
      let s;
      try { s = await this.status(); } catch { s = undefined; }
      if (s !== undefined) {
        seen.push(s);
        if (predicate(s)) {
          throw new Error(`expected never (${description}), but status was ${JSON.stringify(s)}`
            + `\n--- chargepointd output ---\n${tail(this.output)}`);
        }
      }
      await sleep(150);
    }
    return seen;
  }

  // SIGTERM and wait for exit (bounded); resolves the exit code. A controller that does not
  // exit in time is killed and the call throws.
  async stop(timeoutMs = 10000) {
    if (!this.running) return this.exitCode;
    this.child.kill('SIGTERM');
    // The bound is an unref'd timer: a stop that is over does not keep the test process alive
    // for the rest of it (node --test waits for each file's process to exit).
    const result = await Promise.race([this.exited, sleep(timeoutMs, null, { ref: false })]);
    if (result === null) {
      this.child.kill('SIGKILL');
      await this.exited;
      throw new Error(`chargepointd did not exit within ${timeoutMs} ms of SIGTERM (killed)`
        + `\n--- chargepointd output ---\n${tail(this.output)}`);
    }
    return result.code;
  }

  // SIGKILL (a crash or power cut) and wait for the process to be gone.
  async kill9() {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  // Stop if running, then start again on the same state dir and arguments.
  async restart() {
    if (this.running) await this.stop();
    await this._spawn();
    return this;
  }

  // For test teardown: make sure the process is gone and remove a state dir we created.
  // Never throws.
  async close() {
    try {
      if (this.running) await this.stop(5000);
    } catch {
      await this.kill9().catch(() => {});
    }
    if (this.ownsStateDir) fs.rmSync(this.stateDir, { recursive: true, force: true });
  }
}
