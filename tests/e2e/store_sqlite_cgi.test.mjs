// The embedded SQLite store with latchkey as plain CGI (shared hosting): every request is a new
// process, so only the store can remember that a callback was already used or that a session
// was signed out. Real provider, real CGI processes, one state file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { workDir } from './lib/paths.mjs';
import { freePort } from './lib/ports.mjs';
import { startProvider, DEMO_ACCOUNT, CLIENT_ID, CLIENT_SECRET } from './lib/provider.mjs';
import { runCgi, configText, newCookieSecret } from './lib/latchkey.mjs';
import { Client } from './lib/client.mjs';
import { authorizeAtProvider } from './lib/signin.mjs';

let provider, configFile, stateFile;

before(async () => {
  const dir = workDir('store-sqlite-cgi');
  const port = await freePort();  // only names the redirect URI: the CGI runs without a server
  const redirectUri = `http://127.0.0.1:${port}/login/authorized`;
  provider = await startProvider({ dir, redirectUris: [redirectUri] });
  fs.mkdirSync(path.join(dir, 'state'));
  stateFile = path.join(dir, 'state', 'state.db');
  configFile = path.join(dir, 'latchkey.conf');
  fs.writeFileSync(configFile, configText({
    issuer: provider.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
    redirect_uri: redirectUri, cookie_secret: newCookieSecret(), log_level: 'debug',
    session_store: `sqlite:${stateFile}`,
  }), { mode: 0o600 });
});
after(async () => { await provider?.stop(); });

// One request in a fresh latchkey process, as a web server runs a CGI program.
function cgi(method, route, { query = '', cookie } = {}) {
  // In CGI mode the command line is ignored: the site owner names the file in the environment.
  const r = runCgi({
    env: {
      LATCHKEY_CONFIG: configFile,
      GATEWAY_INTERFACE: 'CGI/1.1', REQUEST_METHOD: method,
      REQUEST_URI: query ? `${route}?${query}` : route, SCRIPT_NAME: route, QUERY_STRING: query,
      REMOTE_ADDR: '127.0.0.1', SERVER_NAME: '127.0.0.1', SERVER_PORT: '80', CONTENT_LENGTH: '0',
      ...(cookie ? { HTTP_COOKIE: cookie } : {}),
    },
  });
  assert.equal(r.code, 0, `CGI exit code ${r.code}\n${r.stderr}`);
  r.cookies = [...r.stdout.matchAll(/^Set-Cookie: ([^=]+)=([^;\r\n]*)/gim)].map((m) => ({ name: m[1], value: m[2] }));
  r.logs = r.stderr.split('\n').flatMap((l) => { try { return [JSON.parse(l)]; } catch { return []; } });
  return r;
}

// /login and the provider's form: the callback's query and the login cookie to send with it.
async function startSignIn() {
  const login = cgi('GET', '/login');
  assert.equal(login.status, 302, login.stdout);
  const loginCookie = login.cookies.find((c) => c.name.startsWith('latchkey-login-'));
  assert.ok(loginCookie, `a login cookie: ${login.stdout}`);
  const callback = new URL(await authorizeAtProvider(new Client(provider.issuer), login.headers.location, DEMO_ACCOUNT));
  return { query: callback.search.slice(1), cookie: `${loginCookie.name}=${loginCookie.value}` };
}

test('a callback replayed in another CGI process is refused before the code is redeemed again', async () => {
  const flow = await startSignIn();
  const first = cgi('GET', '/login/authorized', flow);
  assert.equal(first.status, 302, first.stdout + first.stderr);
  assert.ok(first.cookies.some((c) => c.name === 'latchkey' && c.value), 'the first process signs in');
  const replay = cgi('GET', '/login/authorized', flow);
  assert.equal(replay.status, 400, replay.stdout);
  const refusal = replay.logs.find((o) => o.event === 'sign_in_failed');
  assert.equal(refusal?.reason, 'state_mismatch', replay.stderr);
  assert.match(refusal.detail, /already completed/, 'refused by the shared guard, not by the provider');
  const mode = spawnSync('sqlite3', [stateFile, 'PRAGMA journal_mode;'], { encoding: 'utf8' });
  assert.equal(mode.stdout.trim(), 'wal', `the state file is in WAL mode: ${mode.stderr}`);
});

test('sign-out in one CGI process: the old cookie is refused by the next', async () => {
  const flow = await startSignIn();
  const signedIn = cgi('GET', '/login/authorized', flow);
  const session = signedIn.cookies.find((c) => c.name === 'latchkey');
  const cookie = `latchkey=${session.value}`;
  assert.equal(cgi('GET', '/auth', { cookie }).status, 200);
  const out = cgi('POST', '/logout', { cookie });
  assert.equal(out.status, 302, out.stdout);
  const after_ = cgi('GET', '/auth', { cookie });
  assert.equal(after_.status, 401, after_.stdout);
  assert.ok(after_.logs.some((o) => o.event === 'cookie_refused' && o.reason === 'session_revoked'), after_.stderr);
});

test('a state file that cannot be opened stops latchkey with a clear line', async () => {
  const bad = path.join(path.dirname(configFile), 'bad.conf');
  fs.writeFileSync(bad, fs.readFileSync(configFile, 'utf8').replace(/^session_store = .*$/m, 'session_store = sqlite:/nonexistent-dir/state.db'), { mode: 0o600 });
  const r = runCgi({ env: { LATCHKEY_CONFIG: bad, GATEWAY_INTERFACE: 'CGI/1.1', REQUEST_METHOD: 'GET', REQUEST_URI: '/auth', SCRIPT_NAME: '/auth', QUERY_STRING: '' } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /session_store: sqlite: cannot open \/nonexistent-dir\/state\.db/);
});
