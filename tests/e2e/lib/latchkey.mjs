// Runs the latchkey binary under test: as a FastCGI server on a unix socket, or as plain CGI
// for one request. Its stderr is JSON log lines (SPEC "Logs"); they are kept for assertions
// and shown on failure.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { Managed } from './process.mjs';
import { latchkeyBinary, MINT_COOKIE } from './paths.mjs';
import { waitForConnect } from './ports.mjs';

export const newCookieSecret = () => crypto.randomBytes(32).toString('base64');

// Sanitizer builds: report and stop at the first error; leaks are not checked (threads still
// parked in accept at exit would look like leaks). LATCHKEY_E2E_LEAKS=1 turns leak checks on.
export function sanitizerEnv() {
  return {
    ASAN_OPTIONS: `detect_leaks=${process.env.LATCHKEY_E2E_LEAKS === '1' ? 1 : 0}:abort_on_error=0:halt_on_error=1:exitcode=86`,
    UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1:exitcode=86',
  };
}

const SANITIZER = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Undefined|Leak)Sanitizer/;

export function configText(config) {
  return `${Object.entries(config)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k} = ${Array.isArray(v) ? v.join(' ') : v}`)
    .join('\n')}\n`;
}

export async function startLatchkey({ dir, config, binary = latchkeyBinary(), args = [], env = {}, socketName = 'latchkey.sock' }) {
  if (!fs.existsSync(binary)) throw new Error(`latchkey binary ${binary} does not exist: run make first`);
  const configFile = path.join(dir, 'latchkey.conf');
  fs.writeFileSync(configFile, configText(config), { mode: 0o600 });
  const socket = path.join(dir, socketName);
  const proc = new Managed('latchkey', binary, ['--config', configFile, '--listen', `unix:${socket}`, ...args], {
    logFile: path.join(dir, 'latchkey.log'),
    env: { ...process.env, ...sanitizerEnv(), ...env },
  });
  try {
    // LATCHKEY_E2E_START_TIMEOUT_MS: more time under valgrind (tests/soak/memcheck.sh).
    await waitForConnect({ path: socket }, { isAlive: () => proc.alive, what: 'latchkey', timeoutMs: Number(process.env.LATCHKEY_E2E_START_TIMEOUT_MS ?? 15000) });
  } catch (err) {
    await proc.stop('SIGKILL');
    throw new Error(`${err.message}\n${proc.tail()}`);
  }

  const lk = {
    proc,
    socket,
    configFile,
    binary,
    // Every stderr line that parses as a JSON object.
    logs() {
      return proc.stderrLines.flatMap((line) => {
        try { const v = JSON.parse(line); return v && typeof v === 'object' ? [v] : []; } catch { return []; }
      });
    },
    // Resolves with the first log object for which predicate is true (or whose event equals it).
    async waitForLog(predicate, { timeoutMs = 5000 } = {}) {
      const test = typeof predicate === 'string' ? (o) => o.event === predicate : predicate;
      const line = await proc.waitForLine((l) => {
        try { return test(JSON.parse(l)); } catch { return false; }
      }, { timeoutMs, what: `log ${typeof predicate === 'string' ? `event "${predicate}"` : 'line'}` });
      return JSON.parse(line);
    },
    sanitizerReport() { return proc.lines.filter((l) => SANITIZER.test(l)); },
    tail: (n) => proc.tail(n),
    // SIGTERM, wait for the exit. Throws when a sanitizer reported anything during the run.
    async stop({ signal = 'SIGTERM', graceMs = 15000 } = {}) {
      const result = await proc.stop(signal, graceMs);
      const report = lk.sanitizerReport();
      if (report.length) throw new Error(`sanitizer report from latchkey:\n${report.join('\n')}\n${proc.tail(80)}`);
      if (proc.killedAfterGrace) throw new Error(`latchkey did not exit within ${graceMs} ms of ${signal}\n${proc.tail()}`);
      return result;
    },
  };
  return lk;
}

// One request as plain CGI: environment in, "Status: ..." + headers + body out on stdout.
// stdin is /dev/null unless body is given (then a pipe: not a socket either).
export function runCgi({ env, args = [], body, binary = latchkeyBinary(), timeoutMs = 20000 }) {
  const result = spawnSync(binary, args, {
    env: { PATH: process.env.PATH, ...sanitizerEnv(), ...env },
    input: body,
    stdio: [body === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    timeout: timeoutMs,
  });
  const stdout = result.stdout ?? Buffer.alloc(0);
  const text = stdout.toString('latin1');
  const split = text.search(/\r?\n\r?\n/);
  const head = split >= 0 ? text.slice(0, split) : text;
  const headers = {};
  for (const line of head.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const body_ = split >= 0 ? stdout.subarray(Buffer.byteLength(text.slice(0, split), 'latin1')).toString('utf8').replace(/^\r?\n\r?\n/, '') : '';
  return {
    code: result.status,
    signal: result.signal,
    error: result.error,
    stdout: text,
    stderr: (result.stderr ?? '').toString(),
    status: headers.status ? Number(headers.status.split(' ')[0]) : undefined,
    headers,
    body: body_,
  };
}

// A valid session cookie value from build/mint_cookie (made by the project for tests), for the
// deployment of configFile (its secret, provider, issuer, client_id and cookie name);
// secretB64 signs under another secret instead. Optional: lifetime (seconds, negative =
// already expired), accessToken, refreshToken, accessExpiresAt (unix seconds; in the past = a
// refresh is due).
export function mintCookie({ configFile, secretB64, sub, email, name, lifetime, accessToken, refreshToken, accessExpiresAt }) {
  if (!fs.existsSync(MINT_COOKIE)) throw new Error(`${MINT_COOKIE} does not exist: run make first`);
  const args = ['--config', configFile, '--sub', sub, '--email', email, '--name', name];
  if (secretB64) args.push('--secret-b64', secretB64);
  const optional = { '--lifetime': lifetime, '--access-token': accessToken, '--refresh-token': refreshToken, '--access-expires-at': accessExpiresAt };
  for (const [flag, value] of Object.entries(optional)) {
    if (value !== undefined) args.push(flag, String(value));
  }
  const r = spawnSync(MINT_COOKIE, args, { encoding: 'utf8', env: { ...process.env, ...sanitizerEnv() } });
  if (r.status !== 0) throw new Error(`mint_cookie failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

// latchkey --config FILE --check with config written to dir/check.conf: {code, stdout, stderr}.
// Asynchronous, so a provider running in the test process can answer it.
export function runCheck({ dir, config, binary = latchkeyBinary(), timeoutMs = 30000 }) {
  const configFile = path.join(dir, 'check.conf');
  fs.writeFileSync(configFile, configText(config), { mode: 0o600 });
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['--config', configFile, '--check'], {
      env: { PATH: process.env.PATH, ...sanitizerEnv() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, output: `${stdout}${stderr}` });
    });
  });
}
