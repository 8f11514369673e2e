// Soak (issue 7, item 4): nginx + the release latchkey + the fake provider; one real sign-in
// for a session cookie; wrk at CONNECTIONS connections alternating the auth_request gate
// (/_whoami/ -> latchkey /auth) and the home page (/), first WARMUP seconds, then SECONDS.
// Passes when wrk saw no socket error (connect, read, write, timeout) and no 5xx in either
// run, no other non-2xx in the main run, and latchkey's VmRSS after the run is within 1 MiB
// of its VmRSS after the warm-up.
//
//   node soak/soak.mjs [--seconds 60] [--warmup 10] [--connections 256]
// Writes tests/out/soak/result.json; exit code 0 when it passed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startFakeStack, attemptSignIn, assertSignedIn, SESSION_COOKIE } from '../provider/fake-stack.mjs';
import { RELEASE_BINARY } from '../e2e/lib/paths.mjs';
import { rssKiB } from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '10' },
    connections: { type: 'string', default: '256' },
    name: { type: 'string', default: 'soak' },
  },
});
const RSS_BOUND_KIB = 1024;
const LUA = path.join(path.dirname(fileURLToPath(import.meta.url)), 'wrk-mix.lua');

function wrk(url, seconds, connections, cookie) {
  return new Promise((resolve, reject) => {
    const args = ['-t', '2', '-c', String(connections), '-d', `${seconds}s`, '--timeout', '10s', '-s', LUA, '-H', `Cookie: ${cookie}`, url];
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('WRK_RESULT '));
      if (code !== 0 || !line) reject(new Error(`wrk failed (exit ${code}):\n${out}`));
      else resolve({ ...JSON.parse(line.slice('WRK_RESULT '.length)), text: out });
    });
  });
}

const stack = await startFakeStack(opts.name, { binary: RELEASE_BINARY, config: { log_level: 'info' } });
let passed = false;
try {
  // The test nginx allows 512 connections per worker; at 256 client connections one worker
  // may need 256 + 256 upstream ones. Raise the limit and reload, so nginx does not reuse
  // (close) connections and the run measures latchkey, not the test config.
  const confFile = path.join(stack.dir, 'nginx.conf');
  fs.writeFileSync(confFile, fs.readFileSync(confFile, 'utf8').replace(/worker_connections \d+;/, 'worker_connections 4096;'));
  process.kill(stack.nginx.proc.child.pid, 'SIGHUP');
  await stack.nginx.proc.waitForLine(() => false, { timeoutMs: 1500 }).catch(() => {});
  if (!/worker_connections 4096/.test(fs.readFileSync(confFile, 'utf8'))) throw new Error('nginx.conf has no worker_connections line to raise');
  const client = stack.client();
  const { response } = await attemptSignIn(stack, client);
  assertSignedIn(response, client);
  const cookie = `${SESSION_COOKIE}=${client.jar.get(SESSION_COOKIE).value}`;
  const pid = stack.latchkey.proc.child.pid;
  const rssStart = rssKiB(pid);

  const connections = Number(opts.connections);
  const warm = await wrk(stack.url, Number(opts.warmup), connections, cookie);
  const rssWarm = rssKiB(pid);
  const run = await wrk(stack.url, Number(opts.seconds), connections, cookie);
  const rssAfter = rssKiB(pid);

  const socketErrorsOf = (r) => Object.values(r.errors).reduce((a, b) => a + b, 0) - r.errors.status;
  const socketErrors = socketErrorsOf(run) + socketErrorsOf(warm);
  const result = {
    seconds: Number(opts.seconds),
    warmup_seconds: Number(opts.warmup),
    connections,
    requests: run.requests,
    requests_per_second: Math.round(run.requests / (run.duration_us / 1e6)),
    errors: run.errors,
    status: run.status,
    latency_ms: run.latency_ms,
    warmup: { requests: warm.requests, errors: warm.errors, status: warm.status },
    rss_kib: { start: rssStart, after_warmup: rssWarm, after_run: rssAfter, growth: rssAfter - rssWarm },
    latchkey_alive: stack.latchkey.proc.alive,
  };
  const problems = [];
  if (socketErrors !== 0) problems.push(`${socketErrors} socket errors: warm-up ${JSON.stringify(warm.errors)}, run ${JSON.stringify(run.errors)}`);
  if (run.status['5xx'] + warm.status['5xx'] !== 0) problems.push(`${run.status['5xx'] + warm.status['5xx']} 5xx answers`);
  if (run.status['2xx'] !== run.requests) problems.push(`non-2xx answers: ${JSON.stringify(run.status)}`);
  if (Math.abs(rssAfter - rssWarm) > RSS_BOUND_KIB) problems.push(`VmRSS ${rssWarm} KiB after warm-up, ${rssAfter} KiB after the run (bound ±${RSS_BOUND_KIB} KiB)`);
  if (!stack.latchkey.proc.alive) problems.push('latchkey exited');
  result.problems = problems;
  passed = problems.length === 0;
  fs.writeFileSync(path.join(stack.dir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(run.text.split('\n').filter((l) => !l.startsWith('WRK_RESULT')).join('\n'));
  console.log(`soak result (${path.join(stack.dir, 'result.json')}):\n${JSON.stringify(result, null, 2)}`);
  console.log(passed ? 'SOAK PASSED' : `SOAK FAILED:\n  ${problems.join('\n  ')}`);
} catch (err) {
  console.error(`soak: ${err.stack ?? err}\n${stack.diagnostics()}`);
} finally {
  await stack.stop().catch((err) => { console.error(`soak: stopping: ${err.message}`); passed = false; });
}
process.exit(passed ? 0 : 1);
