// latchkey without --listen: it serves FastCGI on a listening socket somebody else made.
//  - systemd socket activation (LISTEN_FDS=1, LISTEN_PID = its own pid, the socket on fd 3),
//    driven by systemd-socket-activate, which does exactly what systemd does for latchkey.socket;
//  - the FastCGI convention of a listening socket on fd 0, as spawn-fcgi and mod_fcgid do.
// Each serves /healthz and /login over FastCGI (tests/e2e/lib/fastcgi.mjs); socket
// activation meant for another process (wrong LISTEN_PID) is not taken.
import { test, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { workDir, latchkeyBinary } from './lib/paths.mjs';
import { waitForConnect, freePort } from './lib/ports.mjs';
import { Managed, sleep } from './lib/process.mjs';
import { configText, newCookieSecret, sanitizerEnv } from './lib/latchkey.mjs';
import { fastcgiRequest, cgiParams } from './lib/fastcgi.mjs';

const has = (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const dir = workDir('socket-activation');
// /healthz and /login need no provider at start-up: the issuer is only reached on demand.
const configFile = path.join(dir, 'latchkey.conf');
fs.writeFileSync(configFile, configText({
  issuer: 'http://127.0.0.1:9/', client_id: 'socket-test', client_secret: 'not-used',
  redirect_uri: 'http://127.0.0.1:8080/login/authorized', cookie_secret: newCookieSecret(), log_level: 'debug',
}), { mode: 0o600 });

const running = [];
after(async () => {
  for (const p of running) await p.stop('SIGTERM', 10000);
  const reports = running.flatMap((p) => p.lines.filter((l) => /ERROR: AddressSanitizer|runtime error:/.test(l)));
  assert.deepEqual(reports, [], 'no sanitizer reports');
});

async function fcgiGet(socket, uri) {
  const req = fastcgiRequest(socket);
  await req.sendBegin();
  await req.sendParams(cgiParams(uri));
  await req.finish();
  return req.response;
}

async function servesOn(socket, proc) {
  await waitForConnect(typeof socket === 'string' ? { path: socket } : socket, { isAlive: () => proc.alive, what: proc.name });
  const health = await fcgiGet(socket, '/healthz');
  assert.equal(health.status, 200, `${JSON.stringify(health)}\n${proc.tail()}`);
  assert.equal(health.body.trim(), 'ok');
  // A second request on a new connection: the same process keeps serving.
  const again = await fcgiGet(socket, '/healthz');
  assert.equal(again.status, 200);
  assert.ok(proc.alive, `${proc.name} still runs\n${proc.tail()}`);
}

describe('systemd socket activation (LISTEN_FDS)', { skip: has('systemd-socket-activate') ? false : 'systemd-socket-activate missing (package systemd; make deps)' }, () => {
  // systemd-socket-activate binds the socket, passes it as fd 3 with LISTEN_FDS=1 and
  // LISTEN_PID set to the pid it execs into: latchkey must serve on it without --listen.
  test('latchkey serves on the socket systemd passes as fd 3', async () => {
    const socket = path.join(dir, 'activated.sock');
    const env = Object.entries(sanitizerEnv()).flatMap(([k, v]) => ['-E', `${k}=${v}`]);
    const proc = new Managed('systemd-socket-activate', 'systemd-socket-activate',
      ['-l', socket, ...env, latchkeyBinary(), '--config', configFile], { logFile: path.join(dir, 'activated.log') });
    running.push(proc);
    await servesOn(socket, proc);
  });

  // latchkey.socket with two ListenStream= lines (a unix socket for nginx or mod_proxy_fcgi,
  // 127.0.0.1:9000 for mod_authnz_fcgi, which speaks TCP only): LISTEN_FDS=2, fds 3 and 4,
  // and latchkey serves on both.
  test('latchkey serves on every socket systemd passes (unix and TCP)', async () => {
    const socket = path.join(dir, 'activated-two.sock');
    const port = await freePort();
    const env = Object.entries(sanitizerEnv()).flatMap(([k, v]) => ['-E', `${k}=${v}`]);
    const proc = new Managed('systemd-socket-activate (2 sockets)', 'systemd-socket-activate',
      ['-l', socket, '-l', `127.0.0.1:${port}`, ...env, latchkeyBinary(), '--config', configFile], { logFile: path.join(dir, 'activated-two.log') });
    running.push(proc);
    await servesOn(socket, proc);
    await servesOn({ host: '127.0.0.1', port }, proc);
    // Connections on both at once: every worker waits on both sockets.
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => fcgiGet(i % 2 ? socket : { host: '127.0.0.1', port }, '/healthz')));
    assert.deepEqual(answers.map((a) => a.status), Array(20).fill(200));
    assert.ok(proc.lines.some((l) => /"event":"listening".*"sockets":"2"/.test(l)), proc.tail());
  });
});

describe('inherited listening socket on fd 0', { skip: has('spawn-fcgi') ? false : 'spawn-fcgi missing (make deps)' }, () => {
  // spawn-fcgi (like mod_fcgid) binds the socket and execs latchkey with it as stdin.
  test('latchkey under spawn-fcgi serves on fd 0', async () => {
    const socket = path.join(dir, 'spawned.sock');
    const proc = new Managed('spawn-fcgi', 'spawn-fcgi', ['-n', '-s', socket, '-M', '0660', '--', latchkeyBinary(), '--config', configFile], {
      logFile: path.join(dir, 'spawned.log'),
      env: { ...process.env, ...sanitizerEnv() },
    });
    running.push(proc);
    await servesOn(socket, proc);
    const login = await fcgiGet(socket, '/login?rd=/x');
    assert.ok([302, 502].includes(login.status), `login answers (302, or 502 since the test issuer is unreachable): ${login.status}`);
  });
});

describe('spawn-fcgi as the README gives it, logs kept', { skip: has('spawn-fcgi') ? false : 'spawn-fcgi missing (make deps)' }, () => {
  // In its forking mode spawn-fcgi points the program's stderr at /dev/null; the README's
  // recipe wraps latchkey in `sh -c 'exec latchkey ... 2>>LOG'` so the JSON lines survive.
  test('forking spawn-fcgi with the sh wrapper: latchkey serves and its log lines reach the file', async () => {
    const socket = path.join(dir, 'forked.sock');
    const pidFile = path.join(dir, 'forked.pid');
    const log = path.join(dir, 'forked-latchkey.log');
    const r = spawnSync('spawn-fcgi', ['-s', socket, '-M', '0660', '-P', pidFile, '--', '/bin/sh', '-c',
      `exec ${latchkeyBinary()} --config ${configFile} 2>>${log}`], { encoding: 'utf8', env: { ...process.env, ...sanitizerEnv() } });
    assert.equal(r.status, 0, r.stderr);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    try {
      const alive = { name: 'forked latchkey', get alive() { try { process.kill(pid, 0); return true; } catch { return false; } }, tail: () => fs.readFileSync(log, 'utf8') };
      await servesOn(socket, alive);
      // The workers may answer before the main thread has logged (valgrind runs threads one at
      // a time): wait for the line rather than read once.
      const events = () => fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).event);
      for (let i = 0; i < 100 && !events().includes('listening'); i++) await sleep(100);
      assert.ok(events().includes('listening'), `latchkey's start-up line is in the log file: ${events()}`);
    } finally {
      process.kill(pid, 'SIGTERM');
    }
  });
});

describe('no socket to serve on', () => {
  // LISTEN_FDS meant for another process (LISTEN_PID not ours) is ignored, and with nothing on
  // fd 0 either, latchkey stops with exit code 1 and says how to give it a socket.
  test('LISTEN_PID of another process: refuses to start, explains', () => {
    const r = spawnSync(latchkeyBinary(), ['--config', configFile], {
      env: { PATH: process.env.PATH, ...sanitizerEnv(), LISTEN_FDS: '1', LISTEN_PID: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 15000,
      encoding: 'utf8',
    });
    assert.equal(r.status, 1, `exit code (stderr: ${r.stderr})`);
    assert.match(r.stderr, /--listen/);
  });
});
