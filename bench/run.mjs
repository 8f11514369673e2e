#!/usr/bin/env node
// latchkey's benchmark suite (issue 6). `make bench` runs it; see bench/README.md.
//
// Everything runs on 127.0.0.1 in tests/out/bench/: the dev OpenID provider, latchkey (release
// build), nginx from the shipped nginx/latchkey.conf, a bare libfcgi 204 program (bench/
// bare_fcgi.c), and two Apache + mod_auth_openidc instances (client-cookie and server-cache
// sessions) against the same provider. The servers come from tests/e2e/lib/, so what is
// measured is what the end-to-end tests run. Taken from the other shipped recipes, at run time:
// the sign-in that starts inside nginx (nginx/protect.conf's @latchkey_sign_in, instead of
// latchkey.conf's 302 to /login?rd=) and the decision cache (nginx/protect-cached.conf's /auth
// location and cache zone, in front of a latchkey with auth_cache_seconds = 2).
// Session stores: /auth with SQLite and with Redis, and how long a sign-out on one latchkey
// takes to reach a second one sharing the Redis store.
//
// Throughput: wrk, every target once per round, rounds interleaved (A B C ... A B C ...),
// medians of BENCH_ROUNDS (default 3) runs of BENCH_SECONDS (default 5) each.
// Sign-ins: complete sign-ins through the provider's login form with a fresh cookie jar each
// (one at a time, then 4 in parallel), interleaved latchkey / mod_auth_openidc (both modes) /
// the provider alone. Then callgrind instruction counts, RSS, CGI wall time.
// Writes bench/RESULTS.md (and bench/results.json).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { REPO, workDir, findProgram, RELEASE_BINARY as BUILT_BINARY } from '../tests/e2e/lib/paths.mjs';
import { freePort, waitForConnect } from '../tests/e2e/lib/ports.mjs';
import { Managed, sleep } from '../tests/e2e/lib/process.mjs';
import { startProvider, CLIENT_ID, CLIENT_SECRET, DEMO_ACCOUNT } from '../tests/e2e/lib/provider.mjs';
import { startLatchkey, newCookieSecret, configText } from '../tests/e2e/lib/latchkey.mjs';
import { startNginx, adaptConf, FASTCGI_PARAMS } from '../tests/e2e/lib/nginx.mjs';
import { startRedis } from '../tests/e2e/lib/redis.mjs';
import { startApache, isRoot, uidOf, RUN_USER } from '../tests/e2e/lib/apache.mjs';
import { Client } from '../tests/e2e/lib/client.mjs';
import { authorizeAtProvider } from '../tests/e2e/lib/signin.mjs';
import { fastcgiRequest, cgiParams } from '../tests/e2e/lib/fastcgi.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const SIGNIN_SECONDS = Number(process.env.BENCH_SIGNIN_SECONDS || 6);
// BENCH_ONLY=wrk,signin,revocation,cgi,callgrind runs only those parts (for working on one figure).
const ONLY = new Set((process.env.BENCH_ONLY || 'wrk,signin,revocation,cgi,callgrind').split(','));
// BENCH_COMPARE=/path/to/another/latchkey adds that build's /auth as a target next to this
// one's, same config, same nginx, interleaved (for deciding a change).
// A partial or modified run (BENCH_ONLY, BENCH_THREADS or BENCH_COMPARE set) writes
// bench/results-partial.json only and leaves RESULTS.md alone.
// BENCH_THREADS=N starts the measured latchkey with --threads N (default: its own, 2 x cores).
const THREADS = Number(process.env.BENCH_THREADS || 0);
// BENCH_TARGETS=static,protected_cached,latchkey,...: measure only these wrk targets and
// relying parties (keys as in results.json), for quick comparisons while tuning.
const TARGETS = process.env.BENCH_TARGETS ? new Set(process.env.BENCH_TARGETS.split(',')) : null;
const selected = ([key]) => !TARGETS || TARGETS.has(key);
const COMPARE = process.env.BENCH_COMPARE ? path.resolve(process.env.BENCH_COMPARE) : '';
const WRK_THREADS = 2;
const WRK_CONNECTIONS = 64;
const BARE = path.join(REPO, 'build/bench/bare_fcgi');
// A private copy of build/latchkey, taken at start: the build tree may be relinked meanwhile.
const RELEASE_BINARY = path.join(REPO, 'build/bench/latchkey');
const OUT_MD = path.join(REPO, 'bench/RESULTS.md');
const PARTIAL = Boolean(COMPARE || THREADS || process.env.BENCH_ONLY || TARGETS);
const OUT_JSON = path.join(REPO, PARTIAL ? 'bench/results-partial.json' : 'bench/results.json');
// latchkey's auth_cache_seconds for the cached gate (protect-cached.conf's suggested value).
const AUTH_CACHE_SECONDS = 2;
// Sign-outs timed across two instances sharing the Redis store.
const REVOCATIONS = 5;
// Round 1's last full run: the gate without the cache is held to its figures.
const ROUND1_COMMIT = 'f310cd4';

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fmt = (x, d = 0) => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
// A read-out from the provider; retried once, as a pooled keep-alive connection may just
// have been closed by the server.
async function getJson(url) {
  try { return await (await fetch(url)).json(); } catch { await sleep(100); return (await fetch(url)).json(); }
}
const log = (...a) => console.log('[bench]', ...a);

// ---------------------------------------------------------------------------------------------
// Process CPU (user+system, ms) and memory from /proc.
function cpuMs(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / clockTicks();
}
let ticks;
function clockTicks() { ticks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()); return ticks; }
function treePids(root) {
  const kids = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch { /* gone */ }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(kids.get(out[i]) || []));
  return out;
}
function treeCpuMs(root) { return treePids(root).reduce((sum, pid) => { try { return sum + cpuMs(pid); } catch { return sum; } }, 0); }
function status(pid, key) {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) : undefined;
}

// ---------------------------------------------------------------------------------------------
// wrk: requests/s, and the non-2xx/3xx count so a broken setup cannot pass as fast.
function wrk(url, headers = {}) {
  const args = ['-t', String(WRK_THREADS), '-c', String(WRK_CONNECTIONS), '-d', `${SECONDS}s`, '--latency'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push(url);
  const out = execFileSync('wrk', args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  const rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)[1]);
  const requests = Number(out.match(/(\d+) requests in/)[1]);
  const bad = Number(out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] || 0);
  const errors = out.match(/Socket errors: (.*)/)?.[1];
  const p50 = out.match(/^\s+50%\s+(\S+)/m)?.[1];
  const p99 = out.match(/^\s+99%\s+(\S+)/m)?.[1];
  return { rps, requests, bad, errors, p50, p99 };
}

// ---------------------------------------------------------------------------------------------
// Apache + mod_auth_openidc, the usual configuration from its README, protecting the same
// static file nginx serves. Its MPM gets 64 worker threads (the 64 wrk connections) and the
// same keep-alive limit as nginx's default (1000), so it is not starved by our settings.
async function startModAuthOpenidc({ dir, port, issuer, root, sessionType }) {
  fs.mkdirSync(dir, { recursive: true });
  if (isRoot) fs.chownSync(dir, uidOf(RUN_USER), 0);
  const site = `
StartServers 2
ServerLimit 2
ThreadsPerChild 32
MaxRequestWorkers 64
MinSpareThreads 32
MaxSpareThreads 64
KeepAlive On
MaxKeepAliveRequests 1000
DocumentRoot ${root}
<Directory ${root}>
    Require all granted
</Directory>
OIDCProviderMetadataURL ${issuer}/.well-known/openid-configuration
OIDCClientID ${CLIENT_ID}
OIDCClientSecret ${CLIENT_SECRET}
OIDCRedirectURI http://127.0.0.1:${port}/app/redirect_uri
OIDCCryptoPassphrase ${crypto.randomBytes(24).toString('hex')}
OIDCScope "${SIGNIN_SCOPES}"
OIDCPKCEMethod S256
OIDCProviderTokenEndpointAuth client_secret_basic
OIDCSessionType ${sessionType}
OIDCSessionInactivityTimeout 28800
OIDCSessionMaxDuration 28800
<Location /app/>
    AuthType openid-connect
    # Sign in even when the request does not look like a browser navigation (node's fetch
    # always sends Sec-Fetch-Mode: cors, which would get a 401 instead of the redirect).
    OIDCUnAuthAction auth true
    Require valid-user
</Location>
`;
  const apache = await startApache({ dir, port, modules: ['auth_openidc', 'authn_core', 'authz_user'], site });
  return { ...apache, redirectUri: `http://127.0.0.1:${port}/app/redirect_uri`, sessionType };
}

// ---------------------------------------------------------------------------------------------
// Complete sign-ins. Each starts from a fresh browser (cookie jar) at the protected page and
// ends on it, 200: page -> 302 straight to the provider's authorize (latchkey: nginx answers the
// 401 with latchkey's /login; mod_auth_openidc: its own redirect) -> login form -> POST ->
// callback at the relying party -> 302 -> page.
const HTML = { accept: 'text/html,application/xhtml+xml' };
async function signInThrough(name, baseUrl, issuer) {
  const c = new Client(baseUrl);
  let r = await c.get('/app/index.html', { headers: HTML });
  if (r.status !== 302 || !r.location?.startsWith(`${issuer}/`)) throw new Error(`${name}: protected page gave ${r.status} (${r.location}), not a redirect to the provider: ${r.body.slice(0, 200)}`);
  const cb = await authorizeAtProvider(c, r.location);
  r = await c.get(cb, { headers: HTML });
  if (r.status !== 302) throw new Error(`${name}: callback gave ${r.status}: ${r.body.slice(0, 300)}`);
  r = await c.get(r.location, { headers: HTML });
  if (r.status !== 200) throw new Error(`${name}: page after sign-in gave ${r.status}`);
  return c;
}
// The browser's requests of one sign-in, origins named, queries and the provider's random
// interaction ids dropped: the round trips.
const hops = (client, names) => client.history.map((h) => Object.entries(names).reduce((line, [origin, name]) => line.replaceAll(origin, name),
  h.replace(/ \(Location: .*\)$/, '').replace(/\?\S*/, '').replace(/\/[\w-]{16,}/g, '/…')));
// The provider alone: what any relying party's sign-in costs the provider, with the relying
// party's part done by this script at (nearly) no cost: the browser's steps at the provider,
// then the back-channel code exchange (client_secret_basic, PKCE) and the JWKS fetch.
// What every relying party in the sign-in runs asks for (mod_auth_openidc's OIDCScope above).
const SIGNIN_SCOPES = 'openid email profile';
const SIGNIN_WARMUP = 100;
function providerAlone(issuer, redirectUri) {
  const basic = Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64');
  return async () => {
    const c = new Client(issuer);
    const verifier = crypto.randomBytes(32).toString('base64url');
    const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
    const q = new URLSearchParams({
      response_type: 'code', client_id: CLIENT_ID, redirect_uri: redirectUri, scope: SIGNIN_SCOPES,
      state: crypto.randomBytes(16).toString('base64url'), nonce: crypto.randomBytes(16).toString('base64url'),
      code_challenge: challenge, code_challenge_method: 'S256',
    });
    const cb = new URL(await authorizeAtProvider(c, `${issuer}/auth?${q}`));
    const code = cb.searchParams.get('code');
    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }),
    });
    if (res.status !== 200) throw new Error(`provider alone: token endpoint ${res.status}`);
    await res.json();
    const jwks = await fetch(`${issuer}/jwks`);
    await jwks.json();
  };
}

// Runs fn repeatedly with `parallel` loops for SIGNIN_SECONDS; sign-ins per second, and the
// CPU the given process tree used per sign-in.
async function signInRate(fn, parallel, cpuRoot) {
  const cpu0 = cpuRoot ? treeCpuMs(cpuRoot) : 0;
  const t0 = performance.now();
  const deadline = t0 + SIGNIN_SECONDS * 1000;
  let done = 0, failed = 0, lastError;
  // A sign-in that fails (a reset connection on an overloaded machine) is counted, not fatal;
  // more than a few mean a broken setup.
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (performance.now() < deadline) {
      try { await fn(); done += 1; } catch (err) { failed += 1; lastError = err; if (failed > 5) throw err; }
    }
  }));
  if (failed) console.error(`[bench] ${failed} failed sign-in(s): ${lastError.message}`);
  const secs = (performance.now() - t0) / 1000;
  const cpu = cpuRoot ? treeCpuMs(cpuRoot) - cpu0 : undefined;
  return { rate: done / secs, count: done, failed, cpuPerSignInMs: cpu === undefined ? undefined : cpu / done };
}

// ---------------------------------------------------------------------------------------------
// Pieces of the shipped nginx recipes, read at run time so the bench measures what ships. A
// piece that is gone throws: the bench must never quietly measure something else.
function recipe(file) { return fs.readFileSync(path.join(REPO, file), 'utf8'); }
// `location NAME { ... }` of file, nested blocks included.
function locationBlock(file, name) {
  const text = recipe(file);
  const start = text.indexOf(`location ${name} {`);
  if (start < 0) throw new Error(`${file} no longer has location ${name}`);
  let depth = 0;
  for (let i = text.indexOf('{', start); i < text.length; i++) {
    if (text[i] === '{') depth += 1;
    else if (text[i] === '}' && --depth === 0) return text.slice(start, i + 1);
  }
  throw new Error(`${file}: location ${name} is not closed`);
}

// The decision cache as nginx/protect-cached.conf sets it up: its http-level cache zone (in
// dir), its /auth location (key and all) as /_bench/auth-cached in front of cachedSocket, and a
// copy of latchkey.conf's protected /app/ location asking that one instead of /auth, so the
// cached and the uncached page differ in the gate's cache only.
function cachedGate({ dir, cachedSocket }) {
  const zone = recipe('nginx/protect-cached.conf').match(/^fastcgi_cache_path [^;]*;/m)?.[0];
  if (!zone) throw new Error('nginx/protect-cached.conf no longer has its fastcgi_cache_path');
  const httpConf = adaptConf(zone, [['cache path', /\/var\/cache\/nginx\/latchkey /, `${dir}/auth-cache `]], 'protect-cached.conf cache zone');
  const auth = adaptConf(locationBlock('nginx/protect-cached.conf', '= /auth'), [
    // latchkey routes on DOCUMENT_URI: this location is its /auth (the first of a repeated
    // fastcgi_param counts, so before the include).
    ['location name', /location = \/auth \{/, 'location = /_bench/auth-cached {\n        fastcgi_param DOCUMENT_URI /auth;'],
    ['socket path', /unix:\/run\/latchkey\/latchkey\.sock/, `unix:${cachedSocket}`],
    ['fastcgi_params include', /include fastcgi_params;/, `include ${FASTCGI_PARAMS};`],
    ['cache', /fastcgi_cache latchkey_auth;/, 'fastcgi_cache latchkey_auth;'],
    ['cache key', /fastcgi_cache_key "[^"]*\$http_cookie";/, (key) => key],
  ], 'protect-cached.conf /auth');
  const page = adaptConf(locationBlock('nginx/latchkey.conf', '/app/'), [
    ['location name', /location \/app\/ \{/, 'location /_bench/cached/ {'],
    ['gate', /auth_request \/auth;/, 'auth_request /_bench/auth-cached;'],
    ['document root', /root \/var\/www\/html;/, `alias ${dir}/www/app/;`],
  ], 'latchkey.conf /app/');
  return { httpConf, serverConf: `${auth}\n${page}\n` };
}

// latchkey's count of /auth answers it gave with 200, from its /metrics (metrics = true),
// straight over its socket.
async function authAnswers(socket) {
  const r = await fcgi(socket, cgiParams('/metrics'));
  const m = r.body.match(/^latchkey_auth_answers_total\{status="200"\} (\d+)$/m);
  if (!m) throw new Error(`latchkey /metrics has no /auth count: ${r.status} ${r.body.slice(0, 200)}`);
  return Number(m[1]);
}

// One sign-out timed across instances: a sign-in at instance `a` (its nginx location prefix;
// the callback is handed to it there, with the login cookie, which is scoped to /login), a
// sign-out there, then /auth with the old cookie on instance `b` every 10 ms until it refuses
// it. Milliseconds from the sign-out's answer to b's first 401.
async function revocationDelayMs({ nginxUrl, a, b }) {
  const c = new Client(nginxUrl);
  let r = await c.get(`${a}/login?rd=/app/`, { headers: HTML });
  if (r.status !== 302) throw new Error(`revocation: ${a}/login gave ${r.status}`);
  const cb = new URL(await authorizeAtProvider(c, r.location));
  r = await c.get(`${a}/login/authorized${cb.search}`, { headers: { ...HTML, cookie: c.jar.header(`${nginxUrl}/login/authorized`) } });
  if (r.status !== 302) throw new Error(`revocation: ${a} callback gave ${r.status}: ${r.body.slice(0, 300)}`);
  const cookie = c.jar.header(`${nginxUrl}/`);
  const authOnB = async () => (await fetch(`${nginxUrl}${b}/auth`, { headers: { cookie } })).status;
  if (await authOnB() !== 200) throw new Error('revocation: the second instance refuses the fresh session');
  r = await c.post(`${a}/logout`);
  if (r.status !== 302) throw new Error(`revocation: ${a}/logout gave ${r.status}`);
  const t0 = performance.now();
  for (;;) {
    const status = await authOnB();
    const ms = performance.now() - t0;
    if (status === 401) return ms;
    if (status !== 200 || ms > 10000) throw new Error(`revocation: ${b}/auth still ${status} ${fmt(ms)} ms after the sign-out`);
    await sleep(10);
  }
}

// The gate without the cache against round 1's last full run (its results.json in git), as
// same-run ratios; undefined without the git history.
function round1Reference() {
  try {
    const r = JSON.parse(execFileSync('git', ['-C', REPO, 'show', `${ROUND1_COMMIT}:bench/results.json`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 24 }));
    const w = (k) => r.wrk[k].median;
    return { commit: ROUND1_COMMIT, protectedOverStatic: w('protected_latchkey') / w('static'), protectedOverApache: w('protected_latchkey') / Math.max(w('protected_cc'), w('protected_sc')) };
  } catch { return undefined; }
}

// ---------------------------------------------------------------------------------------------
// callgrind: a separate latchkey under valgrind with --threads 1, driven straight over
// FastCGI (no nginx) with the params nginx's fastcgi_params sends.
async function fcgi(socket, params) {
  const req = fastcgiRequest(socket);
  await req.sendBegin();
  await req.sendParams(params);
  await req.finish();
  return req.response;
}

// callgrind_annotate --tree=calling: every function's self cost ("*" lines) and the inclusive
// cost of each call it makes (">" lines under it), with the ELF object of each.
function annotateTree(file) {
  const out = execFileSync('callgrind_annotate', ['--inclusive=no', '--tree=calling', '--threshold=100', '--auto=no', file], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const fns = [];
  let total = 0;
  for (const line of out.split('\n')) {
    const t = line.match(/^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?PROGRAM TOTALS/);
    if (t) total = Number(t[1].replace(/,/g, ''));
    const m = line.match(/^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?([*>])\s+(?:\S*?):(.*?)(?: \([\d,]+x\))? \[(.*)\]$/);
    if (!m) continue;
    const row = { cost: Number(m[1].replace(/,/g, '')), fn: m[3], ob: m[4] };
    if (m[2] === '*') fns.push({ ...row, calls: [] });
    else fns.at(-1)?.calls.push(row);
  }
  return { total, fns };
}

const bucketOf = (ob) => (/\/latchkey$/.test(ob) ? 'latchkey' : /libfcgi/.test(ob) ? 'libfcgi' : /libc\.so|ld-linux/.test(ob) ? 'libc'
  : /libstdc\+\+|libgcc/.test(ob) ? 'libstdcxx' : /libcrypto|libssl/.test(ob) ? 'libcrypto' : /libcurl/.test(ob) ? 'libcurl' : 'other');

// One dump of the worker thread:
//   own:   instructions of latchkey's own code (self cost of every function in the latchkey
//          ELF, including the C++ library templates inlined into it);
//   path:  own + everything latchkey's code calls in other libraries (libc's malloc/memcpy,
//          libstdc++, OpenSSL's HMAC), but not libfcgi (accept, reading the params records,
//          writing and finishing the request) nor what libfcgi calls;
//   total: the whole worker thread, libfcgi included. Kernel time is never counted.
// (callgrind_annotate shows the thread's root frames with the whole total as "self" in a
// zeroed dump; those rows are skipped.)
function summarize(file) {
  const { total, fns } = annotateTree(file);
  const byCallee = { latchkey: 0, libfcgi: 0, libc: 0, libstdcxx: 0, libcrypto: 0, libcurl: 0, other: 0 };
  let own = 0;
  const top = [];
  for (const f of fns) {
    if (bucketOf(f.ob) !== 'latchkey' || f.cost >= 0.9 * total) continue;
    own += f.cost;
    top.push(f);
    for (const c of f.calls) {
      const b = bucketOf(c.ob);
      if (b !== 'latchkey') byCallee[b] += c.cost;
    }
  }
  byCallee.latchkey = own;
  const path = own + Object.entries(byCallee).filter(([k]) => k !== 'latchkey' && k !== 'libfcgi').reduce((a, [, v]) => a + v, 0);
  top.sort((a, b) => b.cost - a.cost);
  return { total, own, path, buckets: byCallee, top: top.slice(0, 10) };
}

// Counts the worker thread's instructions over `count` requests made by `drive`, after
// `warm` unmeasured ones: callgrind_control -z before, -d after (callgrind handles commands
// when a thread runs, at the latest at the signal thread's 200 ms tick).
async function callgrindRoute({ dir, name, config, count, warm, drive }) {
  const cgDir = path.join(dir, `callgrind-${name}`);
  fs.mkdirSync(cgDir, { recursive: true });
  const configFile = path.join(cgDir, 'latchkey.conf');
  fs.writeFileSync(configFile, configText(config), { mode: 0o600 });
  const socket = path.join(cgDir, 'cg.sock');
  const proc = new Managed(`callgrind-${name}`, 'valgrind', ['--tool=callgrind', '--separate-threads=yes',
    `--callgrind-out-file=${cgDir}/callgrind.out.%p`, RELEASE_BINARY, '--config', configFile, '--listen', `unix:${socket}`, '--threads', '1'],
  { cwd: cgDir, logFile: path.join(cgDir, 'valgrind.log') });
  await waitForConnect({ path: socket }, { isAlive: () => proc.alive, what: 'latchkey under callgrind', timeoutMs: 60000 });
  for (let i = 0; i < warm; i++) await drive(socket, i);
  const ctl = (flag) => execFileSync('callgrind_control', [flag, String(proc.child.pid)], { cwd: cgDir, encoding: 'utf8' });
  ctl('-z');
  await sleep(600);
  for (let i = 0; i < count; i++) await drive(socket, warm + i);
  await sleep(600);
  ctl('-d');
  await sleep(600);
  await proc.stop('SIGTERM', 30000);
  // With --separate-threads: .../callgrind.out.PID.N-TT; the dumped parts are numbered .1.
  const files = fs.readdirSync(cgDir).filter((f) => /^callgrind\.out\.\d+\.1-\d+$/.test(f));
  let worker = null;
  for (const f of files) {
    const sum = summarize(path.join(cgDir, f));
    // The worker thread is the one that called into libfcgi.
    if (sum.buckets.libfcgi > 0 && (!worker || sum.total > worker.total)) worker = { file: f, ...sum };
  }
  if (!worker) throw new Error(`callgrind ${name}: no worker thread dump in ${cgDir} (${files.join(', ')})`);
  const per = (x) => Math.round(x / count);
  return {
    count,
    perRequestTotal: per(worker.total),
    perRequestOwn: per(worker.own),
    perRequestPath: per(worker.path),
    perRequest: Object.fromEntries(Object.entries(worker.buckets).map(([k, v]) => [k, per(v)])),
    top: worker.top.map((t) => ({ fn: t.fn, cost: per(t.cost) })),
  };
}

// ---------------------------------------------------------------------------------------------
function versions() {
  const v = (cmd, args, re = /.*/) => {
    try {
      const r = spawnSync(cmd, args, { encoding: 'utf8' });
      return (`${r.stdout}${r.stderr}`.match(re) || [''])[0].trim();
    } catch { return 'n/a'; }
  };
  const pkg = (p) => v('dpkg-query', ['-W', '-f=${Version}', p]);
  return {
    latchkey: v(RELEASE_BINARY, ['--version']).split('\n')[0],
    git: v('git', ['-C', REPO, 'describe', '--always', '--dirty']),
    nginx: v(findProgram('nginx') ?? 'nginx', ['-v'], /nginx\/\S+/),
    apache2: pkg('apache2'),
    mod_auth_openidc: pkg('libapache2-mod-auth-openidc'),
    libfcgi: pkg('libfcgi0ldbl'),
    openssl: v('openssl', ['version']),
    wrk: v('wrk', ['-v'], /wrk \S+/),
    valgrind: v('valgrind', ['--version']),
    node: process.version,
    'oidc-provider': JSON.parse(fs.readFileSync(path.join(REPO, 'tests/node_modules/oidc-provider/package.json'), 'utf8')).version,
  };
}
function machine() {
  const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) || [, '?'])[1];
  const memGiB = (os.totalmem() / 2 ** 30).toFixed(1);
  return `${os.cpus().length} cores (${cpu}), ${memGiB} GiB RAM, Linux ${os.release()}, load average at start ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`;
}

// ---------------------------------------------------------------------------------------------
async function main() {
  for (const f of [BUILT_BINARY, BARE]) if (!fs.existsSync(f)) throw new Error(`${f} is missing: run make bench`);
  fs.copyFileSync(BUILT_BINARY, `${RELEASE_BINARY}.tmp`);
  fs.chmodSync(`${RELEASE_BINARY}.tmp`, 0o755);
  fs.renameSync(`${RELEASE_BINARY}.tmp`, RELEASE_BINARY);
  const dir = workDir('bench');
  const started = [];
  const stopAll = async () => { for (const s of started.reverse()) { try { await s.stop(); } catch (e) { console.error(e.message); } } };
  process.on('SIGINT', () => { stopAll().finally(() => process.exit(130)); });
  const results = { load: os.loadavg(), machine: machine(), versions: versions(), seconds: SECONDS, rounds: ROUNDS, signinSeconds: SIGNIN_SECONDS, wrkShape: `-t${WRK_THREADS} -c${WRK_CONNECTIONS}`, sharedLibraries: execFileSync('ldd', [BUILT_BINARY], { encoding: 'utf8' }).trim().split('\n').length, wrk: {}, signins: {}, notes: [], round1: round1Reference() };
  try {
    const [nginxPort, ccPort, scPort, signinPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const nginxUrl = `http://127.0.0.1:${nginxPort}`;
    const redirectUri = `${nginxUrl}/login/authorized`;
    const signinUrl = `http://127.0.0.1:${signinPort}`;
    const provider = await startProvider({ dir, redirectUris: [redirectUri, `${signinUrl}/login/authorized`, `http://127.0.0.1:${ccPort}/app/redirect_uri`, `http://127.0.0.1:${scPort}/app/redirect_uri`, 'http://127.0.0.1/alone'] });
    started.push(provider);
    // The groups scope gives the session two groups (a group cookie beside the session one),
    // so /auth with and without a per-location group rule read the same cookies; bearer
    // tokens on for the JWT target.
    const config = { issuer: provider.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uri: redirectUri, cookie_secret: newCookieSecret(), log_level: 'info', scopes: 'openid email profile groups', bearer_tokens: 'true' };
    const latchkey = await startLatchkey({ dir, config, binary: RELEASE_BINARY, args: THREADS ? ['--threads', String(THREADS)] : [] });
    started.push(latchkey);
    let compare;
    if (COMPARE) {
      fs.mkdirSync(path.join(dir, 'compare'), { recursive: true });
      compare = await startLatchkey({ dir: path.join(dir, 'compare'), config, binary: COMPARE });
      started.push(compare);
    }
    // The same configuration with the decision cache on (and /metrics, to count its /auth answers).
    fs.mkdirSync(path.join(dir, 'cached'), { recursive: true });
    const cached = await startLatchkey({ dir: path.join(dir, 'cached'), config: { ...config, auth_cache_seconds: AUTH_CACHE_SECONDS, metrics: 'true' }, binary: RELEASE_BINARY, args: THREADS ? ['--threads', String(THREADS)] : [] });
    started.push(cached);
    // The same configuration with each session store: /auth with a store against stateless /auth;
    // redis-peer is a second instance sharing the Redis store (sign-outs seen across instances).
    const redis = await startRedis({ dir });
    started.push(redis);
    const stores = {};
    for (const [name, where] of [['sqlite', `sqlite:${dir}/state.db`], ['redis', redis.url(0)], ['redis-peer', redis.url(0)]]) {
      fs.mkdirSync(path.join(dir, `store-${name}`), { recursive: true });
      stores[name] = await startLatchkey({ dir: path.join(dir, `store-${name}`), config: { ...config, session_store: where }, binary: RELEASE_BINARY, args: THREADS ? ['--threads', String(THREADS)] : [] });
      started.push(stores[name]);
    }
    const bareSock = path.join(dir, 'bare.sock');
    const bare = new Managed('bare_fcgi', BARE, [bareSock, String(2 * os.cpus().length)], { logFile: path.join(dir, 'bare.log') });
    started.push({ stop: () => bare.stop('SIGKILL') });
    await waitForConnect({ path: bareSock }, { isAlive: () => bare.alive, what: 'bare_fcgi' });
    // The same program closing connections as latchkey does (no lingering close): the floor
    // for latchkey's way of using libfcgi.
    const bareNlSock = path.join(dir, 'bare-nolinger.sock');
    const bareNl = new Managed('bare_fcgi', BARE, [bareNlSock, String(2 * os.cpus().length), 'no-linger'], { logFile: path.join(dir, 'bare-nolinger.log') });
    started.push({ stop: () => bareNl.stop('SIGKILL') });
    await waitForConnect({ path: bareNlSock }, { isAlive: () => bareNl.alive, what: 'bare_fcgi no-linger' });
    const gate = cachedGate({ dir, cachedSocket: cached.socket });
    const extraConf = `
    location = /_bench/204 { access_log off; return 204; }
    location = /_bench/bare { fastcgi_pass unix:${bareSock}; include /etc/nginx/fastcgi_params; }
    location = /_bench/bare-nolinger { fastcgi_pass unix:${bareNlSock}; include /etc/nginx/fastcgi_params; }
    location /_bench/static/ { alias ${dir}/www/app/; }
${Object.entries(stores).map(([name, lk]) => `    location /_bench/store-${name}/ { rewrite ^/_bench/store-${name}(/.*)$ $1 break; fastcgi_pass unix:${lk.socket}; include /etc/nginx/fastcgi_params; }`).join('\n')}
${compare ? `    location /_bench/compare/ { rewrite ^/_bench/compare(/.*)$ $1 break; fastcgi_pass unix:${compare.socket}; include /etc/nginx/fastcgi_params; }` : ''}
${gate.serverConf}`;
    // latchkey.conf with its sign-in start replaced by protect.conf's (the 401 answered by
    // latchkey's /login inside nginx), and the cache zone of protect-cached.conf.
    const rules = [
      ['sign-in start', /location @latchkey_sign_in \{[^}]*\}/, () => locationBlock('nginx/protect.conf', '@latchkey_sign_in')],
      ['server block', /^server \{/m, () => `${gate.httpConf}\n\nserver {`],
    ];
    const nginx = await startNginx({ dir, latchkeySocket: latchkey.socket, port: nginxPort, extraConf, rules });
    started.push(nginx);
    // The sign-in runs compare like with like: a latchkey asking the provider for exactly what
    // mod_auth_openidc and the provider-alone steps ask for (openid email profile: no groups
    // scope, so no group cookie), behind its own nginx with protect.conf's sign-in start.
    fs.mkdirSync(path.join(dir, 'signin'), { recursive: true });
    const signinLk = await startLatchkey({ dir: path.join(dir, 'signin'), config: { ...config, redirect_uri: `${signinUrl}/login/authorized`, scopes: SIGNIN_SCOPES, bearer_tokens: 'false' }, binary: RELEASE_BINARY, args: THREADS ? ['--threads', String(THREADS)] : [] });
    started.push(signinLk);
    const signinNginx = await startNginx({ dir: path.join(dir, 'signin'), latchkeySocket: signinLk.socket, port: signinPort, rules: [rules[0]] });
    started.push(signinNginx);
    const root = path.join(dir, 'www');
    const cc = await startModAuthOpenidc({ dir: path.join(dir, 'apache-cc'), port: ccPort, issuer: provider.issuer, root, sessionType: 'client-cookie' });
    started.push(cc);
    const sc = await startModAuthOpenidc({ dir: path.join(dir, 'apache-sc'), port: scPort, issuer: provider.issuer, root, sessionType: 'server-cache' });
    started.push(sc);
    if (isRoot) for (const d of [root, path.join(root, 'app')]) fs.chmodSync(d, 0o755);

    // One real session for each relying party (through the provider's form).
    const lk = await signInThrough('latchkey', nginxUrl, provider.issuer);
    const lkCookie = lk.jar.header(`${nginxUrl}/`);
    const ccClient = await signInThrough('mod_auth_openidc', cc.url, provider.issuer);
    const scClient = await signInThrough('mod_auth_openidc', sc.url, provider.issuer);
    results.signinHops = { latchkey: hops(lk, { [nginxUrl]: 'nginx', [provider.issuer]: 'provider' }), mod_auth_openidc: hops(scClient, { [sc.url]: 'apache', [provider.issuer]: 'provider' }) };
    log(`browser requests per sign-in: latchkey ${results.signinHops.latchkey.length}, mod_auth_openidc ${results.signinHops.mod_auth_openidc.length}`);
    const ccCookie = ccClient.jar.header(`${cc.url}/app/index.html`);
    const scCookie = scClient.jar.header(`${sc.url}/app/index.html`);
    log(`sessions: latchkey cookie ${lkCookie.length} B, mod_auth_openidc client-cookie ${ccCookie.length} B, server-cache ${scCookie.length} B`);
    results.cookieBytes = { latchkey: lkCookie.length, client_cookie: ccCookie.length, server_cache: scCookie.length };
    // A JWT signed by the provider's own key, as an API client would send (an hour to live).
    const now = Math.floor(Date.now() / 1000);
    const jwt = await (await fetch(`${provider.issuer}/test/sign`, { method: 'POST', body: JSON.stringify({ payload: { iss: provider.issuer, aud: CLIENT_ID, sub: 'bench-api', iat: now, exp: now + 3600, groups: ['staff'] } }) })).text();

    // --- throughput ------------------------------------------------------------------------------
    const targets = [
      ['nginx_204', 'nginx `return 204` (ceiling)', `${nginxUrl}/_bench/204`, {}],
      ['bare_fcgi', 'bare libfcgi 204 behind nginx (FastCGI floor)', `${nginxUrl}/_bench/bare`, {}],
      ['bare_fcgi_nolinger', 'bare libfcgi 204, closing as latchkey does (no linger)', `${nginxUrl}/_bench/bare-nolinger`, {}],
      ['auth', 'latchkey /auth, valid session', `${nginxUrl}/_latchkey/auth`, { Cookie: lkCookie }],
      ['auth_group_rule', 'latchkey /auth, valid session, per-location group rule', `${nginxUrl}/_latchkey/auth?allowed_groups=ops,staff`, { Cookie: lkCookie }],
      ['auth_bearer', 'latchkey /auth, Authorization: Bearer JWT', `${nginxUrl}/_latchkey/auth`, { Authorization: `Bearer ${jwt}` }],
      ['auth_sqlite', 'latchkey /auth, valid session, SQLite session store', `${nginxUrl}/_bench/store-sqlite/auth`, { Cookie: lkCookie }],
      ['auth_redis', 'latchkey /auth, valid session, Redis session store', `${nginxUrl}/_bench/store-redis/auth`, { Cookie: lkCookie }],
      ...(compare ? [['auth_compare', `BENCH_COMPARE build /auth (${COMPARE})`, `${nginxUrl}/_bench/compare/auth`, { Cookie: lkCookie }]] : []),
      ['home', 'latchkey / signed in (HTML page)', `${nginxUrl}/`, { Cookie: lkCookie }],
      ['login', 'latchkey /login (302 + login cookie)', `${nginxUrl}/login`, {}],
      ['healthz', 'latchkey /healthz', `${nginxUrl}/healthz`, {}],
      ['static', 'nginx static page, unprotected', `${nginxUrl}/_bench/static/index.html`, {}],
      ['protected_latchkey', 'page behind nginx auth_request → latchkey', `${nginxUrl}/app/index.html`, { Cookie: lkCookie }],
      ['protected_cached', `page behind nginx auth_request → latchkey, decision cache (auth_cache_seconds = ${AUTH_CACHE_SECONDS}; one visitor)`, `${nginxUrl}/_bench/cached/index.html`, { Cookie: lkCookie }],
      ['protected_cc', 'page behind Apache + mod_auth_openidc, client-cookie', `${cc.url}/app/index.html`, { Cookie: ccCookie }],
      ['protected_sc', 'page behind Apache + mod_auth_openidc, server-cache', `${sc.url}/app/index.html`, { Cookie: scCookie }],
    ].filter(selected);
    // Sanity: every target answers as expected before being measured.
    for (const [key, , url, headers] of targets) {
      const r = await fetch(url, { headers, redirect: 'manual' });
      const ok = key === 'login' ? r.status === 302 : key.endsWith('204') || key.startsWith('bare_fcgi') ? r.status === 204 : r.status === 200;
      if (!ok) throw new Error(`${key}: ${url} answered ${r.status}`);
    }
    let rssPeak = 0;
    for (const [key, label] of targets) results.wrk[key] = { label, runs: [] };
    for (let round = 1; round <= (ONLY.has('wrk') ? ROUNDS : 0); round++) {
      // CPU per request of the FastCGI program serving the target (user+system of its process),
      // steadier than req/s on a shared machine.
      const cpuPid = { bare_fcgi: bare.child.pid, bare_fcgi_nolinger: bareNl.child.pid, auth: latchkey.proc.child.pid, auth_group_rule: latchkey.proc.child.pid, auth_bearer: latchkey.proc.child.pid, healthz: latchkey.proc.child.pid, home: latchkey.proc.child.pid, auth_compare: compare?.proc.child.pid, auth_sqlite: stores.sqlite.proc.child.pid, auth_redis: stores.redis.proc.child.pid, protected_cached: cached.proc.child.pid };
      for (const [key, , url, headers] of targets) {
        const cpu0 = cpuPid[key] ? cpuMs(cpuPid[key]) : 0;
        const answers0 = key === 'protected_cached' ? await authAnswers(cached.socket) : 0;
        const r = wrk(url, headers);
        if (cpuPid[key]) r.cpuUsPerRequest = ((cpuMs(cpuPid[key]) - cpu0) * 1000) / (r.rps * SECONDS);
        // The cache must be what is measured: latchkey answers a few /auth per cache period
        // (the misses in flight when a kept decision expires), not one per page.
        if (key === 'protected_cached') {
          r.authAnswers = (await authAnswers(cached.socket)) - answers0;
          if (r.authAnswers > 0.05 * r.requests) throw new Error(`protected_cached: latchkey answered ${r.authAnswers} /auth for ${r.requests} pages: the decision cache is not used`);
          log(`round ${round} protected_cached: latchkey answered ${r.authAnswers} /auth for ${r.requests} pages`);
        }
        if (r.bad || r.errors) results.notes.push(`${key} round ${round}: ${r.bad} bad answers, socket errors ${r.errors || 'none'}`);
        results.wrk[key].runs.push(r);
        if (['auth', 'home', 'login', 'protected_latchkey'].includes(key)) rssPeak = Math.max(rssPeak, status(latchkey.proc.child.pid, 'VmRSS'));
        log(`round ${round} ${key}: ${fmt(r.rps)} req/s (p50 ${r.p50}, p99 ${r.p99})${r.cpuUsPerRequest ? `, ${fmt(r.cpuUsPerRequest, 1)} µs CPU/request` : ''}`);
      }
    }
    for (const v of Object.values(results.wrk)) {
      const xs = v.runs.map((r) => r.rps);
      Object.assign(v, { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });
      const cpu = v.runs.map((r) => r.cpuUsPerRequest).filter((x) => x !== undefined);
      if (cpu.length) Object.assign(v, { cpuUsMedian: median(cpu), cpuUsMin: Math.min(...cpu), cpuUsMax: Math.max(...cpu) });
    }
    for (const name of ONLY.has('wrk') && !TARGETS ? ['sqlite', 'redis'] : []) log(`/auth ${name} store / stateless: ${(results.wrk[`auth_${name}`].median / results.wrk.auth.median).toFixed(2)}`);
    const lkPid = latchkey.proc.child.pid;
    const pssKiB = Number(fs.readFileSync(`/proc/${lkPid}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+) kB/m)?.[1]);
    const mappedLibraries = new Set(fs.readFileSync(`/proc/${lkPid}/maps`, 'utf8').split('\n').map((l) => l.split(/\s+/)[5]).filter((f) => f && /\.so[.\d]*$/.test(f))).size;
    results.rss = { pssKiB, mappedLibraries, afterLoadKiB: status(latchkey.proc.child.pid, 'VmRSS'), peakSampledKiB: rssPeak, hwmKiB: status(latchkey.proc.child.pid, 'VmHWM'), anonKiB: status(latchkey.proc.child.pid, 'RssAnon'), fileKiB: status(latchkey.proc.child.pid, 'RssFile'), bareKiB: status(bare.child.pid, 'VmHWM'), threads: THREADS || 2 * os.cpus().length };

    // --- sign-ins --------------------------------------------------------------------------------
    const conn0 = await getJson(`${provider.issuer}/test/connections`);
    const grants0 = await getJson(`${provider.issuer}/test/grants`);
    const rps = [
      ['latchkey', () => signInThrough('latchkey', signinUrl, provider.issuer), signinLk.proc.child.pid],
      ['mod_auth_openidc_cc', () => signInThrough('mod_auth_openidc', cc.url, provider.issuer), cc.proc.child.pid],
      ['mod_auth_openidc_sc', () => signInThrough('mod_auth_openidc', sc.url, provider.issuer), sc.proc.child.pid],
      ['provider_alone', providerAlone(provider.issuer, 'http://127.0.0.1/alone'), undefined],
    ].filter(selected);
    for (const [key] of rps) results.signins[key] = { p1: [], p4: [], cpu1: [], cpu4: [] };
    // Unmeasured warm-up of every path first (node's JIT in the script and the provider, the
    // relying parties' caches and connections): otherwise round 1 charges it to whichever
    // relying party happens to come first.
    for (const [, fn] of ONLY.has('signin') ? rps : []) for (let i = 0; i < SIGNIN_WARMUP; i++) await fn();
    for (let round = 1; round <= (ONLY.has('signin') ? ROUNDS : 0); round++) {
      for (const parallel of [1, 4]) {
        for (const [key, fn, pid] of rps) {
          const r = await signInRate(fn, parallel, pid);
          results.signins[key][`p${parallel}`].push(r.rate);
          if (r.failed) results.notes.push(`sign-ins ${key} x${parallel} round ${round}: ${r.failed} failed`);
          if (r.cpuPerSignInMs !== undefined) results.signins[key][`cpu${parallel}`].push(r.cpuPerSignInMs);
          log(`round ${round} sign-ins ${key} x${parallel}: ${fmt(r.rate, 1)}/s (${r.count}), RP CPU ${fmt(r.cpuPerSignInMs, 2)} ms`);
        }
      }
    }
    const conn1 = await getJson(`${provider.issuer}/test/connections`);
    const grants1 = await getJson(`${provider.issuer}/test/grants`);
    results.providerConnections = { before: conn0.byAgent, after: conn1.byAgent, codeGrants: (grants1.authorization_code || 0) - (grants0.authorization_code || 0) };
    for (const v of Object.values(results.signins)) {
      for (const k of ['p1', 'p4', 'cpu1', 'cpu4']) {
        if (!v[k].length) continue;
        v[`${k}_median`] = median(v[k]); v[`${k}_min`] = Math.min(...v[k]); v[`${k}_max`] = Math.max(...v[k]);
      }
    }
    results.latchkeyThreads = THREADS || 2 * os.cpus().length;

    // --- revocation across instances -------------------------------------------------------------
    const revocationMs = [];
    for (let i = 0; i < (ONLY.has('revocation') ? REVOCATIONS : 0); i++) {
      revocationMs.push(await revocationDelayMs({ nginxUrl, a: '/_bench/store-redis', b: '/_bench/store-redis-peer' }));
      log(`sign-out ${i + 1} seen by the second instance after ${fmt(revocationMs.at(-1))} ms`);
    }
    if (revocationMs.length) results.revocation = { runsMs: revocationMs, maxMs: Math.max(...revocationMs), medianMs: median(revocationMs) };

    // --- CGI wall time ---------------------------------------------------------------------------
    const cgiEnv = {
      PATH: process.env.PATH, GATEWAY_INTERFACE: 'CGI/1.1', REQUEST_METHOD: 'GET', SCRIPT_NAME: '/auth', DOCUMENT_URI: '/auth',
      REQUEST_URI: '/auth', QUERY_STRING: '', SERVER_PROTOCOL: 'HTTP/1.1', REMOTE_ADDR: '127.0.0.1', SERVER_NAME: '127.0.0.1',
      SERVER_PORT: String(nginxPort), HTTP_HOST: `127.0.0.1:${nginxPort}`, HTTP_COOKIE: lkCookie,
    };
    // Batches of 20 runs from a shell loop (fork+exec as a web server does it), per-run wall
    // time of each batch; /bin/true the same way for the cost of starting any process here.
    const cgiConf = latchkey.configFile;
    const batch = (cmd) => {
      const t = performance.now();
      const r = spawnSync('sh', ['-c', `i=0; while [ $i -lt 20 ]; do ${cmd} </dev/null >/dev/null 2>&1; i=$((i+1)); done`], { env: cgiEnv });
      if (r.status !== 0) throw new Error(`CGI batch failed: ${r.stderr}`);
      return (performance.now() - t) / 20;
    };
    const cgiRuns = [], trueRuns = [];
    if (ONLY.has('cgi')) {
      const one = spawnSync(RELEASE_BINARY, [], { env: { ...cgiEnv, LATCHKEY_CONFIG: cgiConf }, stdio: ['ignore', 'pipe', 'pipe'] });
      if (!/^Status: 200/m.test(one.stdout.toString())) throw new Error(`CGI /auth: ${one.stdout.toString().slice(0, 200)} ${one.stderr.toString().slice(0, 300)}`);
      for (let i = 0; i < 5; i++) { cgiRuns.push(batch(`LATCHKEY_CONFIG=${cgiConf} ${RELEASE_BINARY}`)); trueRuns.push(batch('/bin/true')); }
      // Instructions of one whole CGI process, and how many of them the dynamic loader took.
      const cgOut = path.join(dir, 'callgrind-cgi.out');
      spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${cgOut}`, RELEASE_BINARY], { env: { ...cgiEnv, LATCHKEY_CONFIG: cgiConf }, stdio: 'ignore' });
      const incl = execFileSync('callgrind_annotate', ['--inclusive=yes', '--auto=no', cgOut], { encoding: 'utf8', maxBuffer: 1 << 26 });
      const num = (re) => Number((incl.match(re) || [, '0'])[1].replace(/,/g, ''));
      results.cgiInstructions = {
        total: num(/^\s*([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS/m),
        dynamicLoader: num(/^\s*([\d,]+)\s+\([^)]*\)\s+\S*:_dl_start \[/m),
        main: num(/^\s*([\d,]+)\s+\([^)]*\)\s+\S*:latchkey::runMain\(/m),
        pagesLoad: num(/^\s*([\d,]+)\s+\([^)]*\)\s+\S*:latchkey::Pages::load\(/m),
      };
    }
    results.cgi = { medianMs: median(cgiRuns), minMs: Math.min(...cgiRuns), maxMs: Math.max(...cgiRuns), trueMedianMs: median(trueRuns) };
    log(`CGI /auth: median ${fmt(results.cgi.medianMs, 2)} ms (/bin/true ${fmt(results.cgi.trueMedianMs, 2)} ms)`);

    // --- callgrind -------------------------------------------------------------------------------
    const nginxLike = (uri, extra) => cgiParams(uri, {
      SERVER_SOFTWARE: 'nginx/1.22.1', DOCUMENT_ROOT: '/var/www/html', REDIRECT_STATUS: '200', HTTP_HOST: `127.0.0.1:${nginxPort}`,
      SERVER_PORT: String(nginxPort), HTTP_USER_AGENT: 'Mozilla/5.0 (X11; Linux x86_64) bench', HTTP_ACCEPT: 'text/html,*/*;q=0.8',
      HTTP_ACCEPT_LANGUAGE: 'en', HTTP_ACCEPT_ENCODING: 'gzip, deflate', ...extra,
    });
    const N = Number(process.env.BENCH_CALLGRIND_REQUESTS || 200);
    const check = (want) => (r) => { if (r.status !== want) throw new Error(`callgrind driver: got ${r.status}, wanted ${want}`); return r; };
    results.callgrind = {};
    if (ONLY.has('callgrind')) {
    results.callgrind.auth = await callgrindRoute({ dir, name: 'auth', config, count: N, warm: 5,
      drive: async (s) => check(200)(await fcgi(s, nginxLike('/auth', { HTTP_COOKIE: lkCookie }))) });
    results.callgrind.home = await callgrindRoute({ dir, name: 'home', config, count: N, warm: 5,
      drive: async (s) => check(200)(await fcgi(s, nginxLike('/', { HTTP_COOKIE: lkCookie }))) });
    results.callgrind.healthz = await callgrindRoute({ dir, name: 'healthz', config, count: N, warm: 5,
      drive: async (s) => check(200)(await fcgi(s, nginxLike('/healthz'))) });
    // Callbacks: /login over FastCGI, the provider's form with a browser jar, then the callback
    // over FastCGI. The warm-up sign-ins fetch discovery and JWKS and open the connection.
    const CB = Number(process.env.BENCH_CALLGRIND_CALLBACKS || 20);
    results.callgrind.callback = await callgrindRoute({ dir, name: 'callback', config, count: CB, warm: 2,
      drive: async (s) => {
        const login = check(302)(await fcgi(s, nginxLike('/login?rd=/app/')));
        const setCookie = login.headers['set-cookie'].split(';')[0];
        const browser = new Client(provider.issuer);
        const cb = new URL(await authorizeAtProvider(browser, login.headers.location));
        check(302)(await fcgi(s, nginxLike(`/login/authorized${cb.search}`, { HTTP_COOKIE: setCookie })));
      } });
    }
    for (const [k, v] of Object.entries(results.callgrind)) log(`callgrind ${k}: ${fmt(v.perRequestOwn)} Ir in latchkey's own code, ${fmt(v.perRequestPath)} on its path incl. libc/OpenSSL, ${fmt(v.perRequestTotal)} in the worker thread`);
  } finally {
    await stopAll();
  }
  fs.writeFileSync(OUT_JSON, `${JSON.stringify(results, null, 2)}\n`);
  if (PARTIAL) { log(`wrote ${path.relative(REPO, OUT_JSON)}`); return; }
  // A hand-written analysis (what was profiled, what was fixed, why a target is missed) is
  // kept in bench/analysis.md and included in RESULTS.md.
  const analysis = path.join(REPO, 'bench/analysis.md');
  if (fs.existsSync(analysis)) results.analysis = fs.readFileSync(analysis, 'utf8').trim();
  const { writeResults } = await import('./report.mjs');
  fs.writeFileSync(OUT_MD, writeResults(results));
  log(`wrote ${path.relative(REPO, OUT_MD)}`);
}

await main();
