// latchkey's routes without a sign-in, through the shipped nginx config to the binary on a
// unix socket: pages and their headers, /auth verdicts with a minted session cookie, hostile
// cookies, graceful SIGTERM, and plain CGI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { startStack } from './lib/stack.mjs';
import { startLatchkey, runCgi, mintCookie, configText } from './lib/latchkey.mjs';
import { fastcgiRequest, cgiParams } from './lib/fastcgi.mjs';
import { assertHtmlPage, localTarget, withLogs } from './lib/assertions.mjs';
import { visibleText } from './lib/client.mjs';
import { DEMO_ACCOUNT } from './lib/provider.mjs';

let stack, client, cookie;
const ALICE = { sub: DEMO_ACCOUNT.sub, email: DEMO_ACCOUNT.login, name: DEMO_ACCOUNT.name };

before(async () => {
  stack = await startStack('foundation');
  client = stack.client();
  cookie = `latchkey=${mintCookie({ configFile: stack.latchkey.configFile, ...ALICE })}`;
});
after(async () => { await stack?.stop(); });

const t = (name, fn) => test(name, (ctx) => withLogs(stack, fn)(ctx));

// Signed out, / is a welcome page with a sign-in link and every security header of SPEC.
t('GET / signed out: HTML welcome with sign-in link and security headers', async () => {
  const r = await client.get('/');
  assert.equal(r.status, 200);
  assertHtmlPage(r);
  assert.match(r.body, /href="[^"]*\/login[^"]*"/, 'a link to /login');
  assert.match(visibleText(r.body), /Sign in with/i);
});

// The health check answers "ok" for load balancers.
t('GET /healthz is 200 ok', async () => {
  const r = await client.get('/healthz');
  assert.equal(r.status, 200);
  assert.equal(r.body.trim(), 'ok');
});

// Unknown paths get latchkey's own HTML 404 (reached through the test pass-through location).
t('unknown path: HTML 404', async () => {
  const r = await client.get('/_latchkey/nope');
  assert.equal(r.status, 404);
  assertHtmlPage(r);
});

// Wrong methods are refused with 405 and an Allow header (RFC 9110 §15.5.6). /auth answers
// any method: inside an auth_request subrequest REQUEST_METHOD can be the visitor's.
t('wrong methods: 405 with Allow; /auth answers any method', async () => {
  for (const [method, p] of [['POST', '/healthz'], ['PUT', '/login'], ['DELETE', '/userinfo'], ['POST', '/login/authorized']]) {
    const r = await client.request(method, p, { body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(r.status, 405, `${method} ${p}`);
    assert.match(r.header('allow') ?? '', /GET/, `${method} ${p}: Allow header`);
  }
  const auth = await client.post('/_latchkey/auth', { form: { a: 'b' } });
  assert.equal(auth.status, 401, 'POST /auth without a session is a verdict, not a 405');
});

// Without a session, /auth says 401 with an empty body; nginx turns that into a sign-in
// redirect for the protected example location of the shipped config.
t('no session: /auth 401 empty, protected location redirects to /login?rd=', async () => {
  const r = await client.get('/_latchkey/auth');
  assert.equal(r.status, 401);
  assert.equal(r.body, '');
  assert.equal((await client.get('/_whoami/')).status, 401);
  const app = await client.get('/app/');
  assert.equal(app.status, 302);
  assert.equal(localTarget(app.location, stack.url), '/login?rd=/app/');
  const ui = await client.get('/userinfo');
  assert.equal(ui.status, 401);
});

// A valid session cookie: /auth answers 200 with the identity headers, which nginx hands on.
t('minted session cookie: /auth 200 with X-Auth-Request-*, protected pages served', async () => {
  const r = await client.get('/_latchkey/auth', { headers: { cookie } });
  assert.equal(r.status, 200);
  assert.equal(r.body, '');
  assert.equal(r.header('x-auth-request-user'), ALICE.sub);
  assert.equal(r.header('x-auth-request-email'), ALICE.email);
  assert.equal(r.header('x-auth-request-name'), ALICE.name);

  const who = await client.get('/_whoami/', { headers: { cookie } });
  assert.equal(who.status, 200);
  assert.equal(who.header('x-test-email'), ALICE.email);
  assert.equal(who.header('x-test-user'), ALICE.sub);

  const app = await client.get('/app/', { headers: { cookie } });
  assert.equal(app.status, 200);
  assert.match(app.body, /protected app page/);

  const home = await client.get('/', { headers: { cookie } });
  assert.equal(home.status, 200);
  assertHtmlPage(home);
  assert.match(visibleText(home.body), /Logged in as alice@example\.com/);
  assert.match(visibleText(home.body), /Alice Liddell/);

  const ui = await client.get('/userinfo', { headers: { cookie } });
  assert.equal(ui.status, 200);
  assert.match(ui.header('content-type') ?? '', /^application\/json/);
  const json = JSON.parse(ui.body);
  assert.equal(json.sub, ALICE.sub);
  assert.equal(json.email, ALICE.email);
  assert.equal(json.name, ALICE.name);
  assert.equal(typeof json.exp, 'number');
  assert.ok(json.exp > Date.now() / 1000, 'exp in the future');
});

// A POST to a protected location: the auth subrequest reaches latchkey as GET /auth without a
// body (the shipped /auth location sets the params itself), so the verdict is the session's.
t('POST to a protected location: verdict by session, never a 500', async () => {
  const signedOut = await client.post('/app/', { form: { field: 'x'.repeat(1000) } });
  assert.equal(signedOut.status, 302, 'signed out: off to sign in');
  const signedIn = await client.post('/_whoami/', { headers: { cookie }, form: { field: 'x'.repeat(1000) } });
  assert.equal(signedIn.header('x-test-email'), ALICE.email, `auth passed (status ${signedIn.status})`);
  assert.notEqual(signedIn.status, 500);
});

// A cookie signed with another secret, or altered by one character, counts as no cookie.
t('forged or altered session cookies are refused', async () => {
  const value = cookie.slice('latchkey='.length);
  const forged = mintCookie({ configFile: stack.latchkey.configFile, secretB64: crypto.randomBytes(32).toString('base64'), ...ALICE });
  const i = Math.floor(value.length / 2);
  const altered = value.slice(0, i) + (value[i] === 'A' ? 'B' : 'A') + value.slice(i + 1);
  for (const [what, v] of [['other secret', forged], ['one character changed', altered], ['truncated', value.slice(0, -5)], ['empty', '']]) {
    const r = await client.get('/_latchkey/auth', { headers: { cookie: `latchkey=${v}` } });
    assert.equal(r.status, 401, what);
  }
});

// Hostile Cookie headers: huge, thousands of pairs, odd bytes. Never a 5xx, and the server
// keeps serving afterwards. 100 KB is stopped by nginx (400); up to ~60 KB reaches latchkey.
t('oversized and garbage Cookie headers through nginx: no 5xx, still serving', async () => {
  const junk = crypto.randomBytes(75 * 1024).toString('base64');  // 100 KB
  const variants = [
    ['100 KB value (nginx refuses)', `latchkey=${junk}`],
    ['60 KB value', `latchkey=${junk.slice(0, 60 * 1024)}`],
    ['40 KB without equals', junk.slice(0, 40 * 1024)],
    ['4000 pairs', Array.from({ length: 4000 }, (_, i) => `c${i}=${i}`).join('; ')],
    ['many latchkey cookies', Array.from({ length: 300 }, () => `latchkey=${junk.slice(0, 40)}`).join('; ')],
    ['quotes and separators', 'latchkey="; ;;=;==;"\\";latchkey=%00%ff;=;;'],
    ['valid cookie after junk', `${Array.from({ length: 100 }, (_, i) => `j${i}=x`).join('; ')}; ${cookie}`],
  ];
  for (const [what, header] of variants) {
    for (const p of ['/_latchkey/auth', '/', '/userinfo']) {
      const r = await client.get(p, { headers: { cookie: header } });
      assert.ok(r.status < 500, `${what} on ${p}: got ${r.status}`);
    }
  }
  assert.equal((await client.get('/healthz')).status, 200);
  assert.equal((await client.get('/_latchkey/auth', { headers: { cookie } })).status, 200, 'a good cookie still works');
});

// The same straight to latchkey's socket, where nginx's limits do not apply: 100 KB and 1 MB of
// params (over the 32 KiB cap) get a 400, never a crash; the server keeps serving.
t('oversized FastCGI params straight to the socket: 400, still serving', async () => {
  for (const size of [100 * 1024, 1024 * 1024]) {
    const r = fastcgiRequest(stack.latchkey.socket);
    await r.sendBegin();
    await r.sendParams(cgiParams('/auth', { HTTP_COOKIE: `latchkey=${'A'.repeat(size)}` }));
    await r.finish();
    const answer = await r.response;
    assert.equal(answer.status, 400, `${size} bytes of params`);
  }
  const ok = fastcgiRequest(stack.latchkey.socket);
  await ok.sendBegin();
  await ok.sendParams(cgiParams('/healthz'));
  await ok.finish();
  assert.equal((await ok.response).status, 200);
});

// Logs are one JSON object per line and never contain the cookie value.
t('stderr is JSON lines without secrets', async () => {
  const lines = stack.latchkey.proc.stderrLines.filter((l) => l.trim() !== '');
  assert.ok(lines.length > 0, 'latchkey logged something');
  for (const line of lines) {
    let obj;
    assert.doesNotThrow(() => { obj = JSON.parse(line); }, `not JSON: ${line}`);
    assert.equal(typeof obj, 'object');
    assert.ok(obj.time && obj.event, `time and event in ${line}`);
    assert.ok(!line.includes(cookie.slice('latchkey='.length, 'latchkey='.length + 40)), `cookie value logged: ${line}`);
    assert.ok(!line.includes(stack.cookieSecret) && !line.includes('demo-secret'), `secret logged: ${line}`);
  }
});

// SIGTERM while 20 requests are in flight (accepted, params half sent): every one is answered,
// then latchkey exits 0. Talks FastCGI directly so nginx cannot retry or hide a dropped request.
t('SIGTERM finishes requests in flight and exits 0', async () => {
  const dir = path.join(stack.dir, 'sigterm');
  fs.mkdirSync(dir, { recursive: true });
  const lk = await startLatchkey({ dir, config: stack.config, args: ['--threads', '32'] });
  let stopped;
  try {
    const requests = Array.from({ length: 20 }, (_, i) => fastcgiRequest(lk.socket, { requestId: i + 1 }));
    const params = cgiParams('/healthz');
    const { REQUEST_METHOD, ...rest } = params;
    for (const r of requests) {
      await r.sendBegin();
      await r.sendParams(rest);  // everything but REQUEST_METHOD and the end of the params
    }
    await new Promise((r) => setTimeout(r, 300));
    const exit = lk.proc.exited;
    lk.proc.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    const sent = await Promise.allSettled(requests.map(async (r) => { await r.sendParams({ REQUEST_METHOD }); await r.finish(); }));
    const unsent = sent.map((s, i) => (s.status === 'rejected' ? `#${i}: ${s.reason.message}` : null)).filter(Boolean);
    assert.deepEqual(unsent, [], 'latchkey kept the connections of requests in flight open after SIGTERM');
    const answers = await Promise.allSettled(requests.map((r) => r.response));
    const failed = answers.map((a, i) => [a, i]).filter(([a]) => a.status !== 'fulfilled' || a.value.status !== 200);
    assert.deepEqual(failed.map(([a, i]) => `#${i}: ${a.status === 'fulfilled' ? a.value.status : a.reason.message}`), [], 'every request in flight is answered 200');
    const { code, signal } = await exit;
    stopped = true;
    assert.equal(signal, null, 'exited, not killed');
    assert.equal(code, 0);
  } finally {
    if (!stopped) await lk.stop({ signal: 'SIGKILL' }).catch(() => {});
    else await lk.stop();  // sanitizer report check
  }
});

// Plain CGI (shared hosting): configuration from LATCHKEY_* alone, one request, exit.
t('CGI: /healthz from the environment alone', async () => {
  const env = Object.fromEntries(Object.entries(stack.config).map(([k, v]) => [`LATCHKEY_${k.toUpperCase()}`, String(v)]));
  const r = runCgi({ env: { ...env, GATEWAY_INTERFACE: 'CGI/1.1', REQUEST_METHOD: 'GET', REQUEST_URI: '/healthz', SCRIPT_NAME: '/healthz', QUERY_STRING: '', REMOTE_ADDR: '127.0.0.1', SERVER_NAME: 'localhost', SERVER_PORT: '80' } });
  assert.equal(r.code, 0, `exit code; stderr:\n${r.stderr}`);
  assert.match(r.stdout, /^Status: 200/m, r.stdout);
  assert.equal(r.body.trim(), 'ok');
});

// CGI as Apache runs it: SCRIPT_NAME is the script, PATH_INFO the route, base_path the script.
t('CGI: Apache-style SCRIPT_NAME + PATH_INFO with base_path, file from LATCHKEY_CONFIG', async () => {
  const file = path.join(stack.dir, 'cgi.conf');
  fs.writeFileSync(file, configText({ ...stack.config, base_path: '/cgi-bin/latchkey', redirect_uri: `${stack.url}/cgi-bin/latchkey/login/authorized` }));
  const base = { GATEWAY_INTERFACE: 'CGI/1.1', REQUEST_METHOD: 'GET', SCRIPT_NAME: '/cgi-bin/latchkey', QUERY_STRING: '', REMOTE_ADDR: '127.0.0.1', SERVER_NAME: 'localhost', SERVER_PORT: '80' };
  const ok = runCgi({ env: { ...base, LATCHKEY_CONFIG: file, PATH_INFO: '/healthz', REQUEST_URI: '/cgi-bin/latchkey/healthz' } });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.status, 200, ok.stdout);
  const auth = runCgi({ env: { ...base, LATCHKEY_CONFIG: file, PATH_INFO: '/auth', REQUEST_URI: '/cgi-bin/latchkey/auth', HTTP_COOKIE: cookie } });
  assert.equal(auth.status, 200, auth.stdout);
  assert.equal(auth.headers['x-auth-request-email'], ALICE.email);
  const none = runCgi({ env: { ...base, LATCHKEY_CONFIG: file, PATH_INFO: '/auth', REQUEST_URI: '/cgi-bin/latchkey/auth' } });
  assert.equal(none.status, 401, none.stdout);
});
