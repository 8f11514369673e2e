// `latchkey --check` as an admin reads it: against the local provider, the steps that passed,
// the one that failed and the redirect URI each on a line of their own, then the verdict on the
// last line; a refused configuration lists its problems without "not starting" (--check
// starts nothing). Relative *_file paths are read from $CREDENTIALS_DIRECTORY (systemd's
// LoadCredential=), as deploy/latchkey.service uses them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { workDir, latchkeyBinary } from './lib/paths.mjs';
import { startProvider, CLIENT_ID, CLIENT_SECRET } from './lib/provider.mjs';
import { configText, newCookieSecret, sanitizerEnv } from './lib/latchkey.mjs';

const dir = workDir('check');
const REDIRECT_URI = 'http://127.0.0.1:8080/login/authorized';
let provider;
before(async () => { provider = await startProvider({ dir, redirectUris: [REDIRECT_URI] }); });
after(async () => { await provider?.stop(); });

function check(config, env = {}) {
  const file = path.join(dir, `check-${Math.random().toString(36).slice(2)}.conf`);
  fs.writeFileSync(file, configText(config), { mode: 0o600 });
  const r = spawnSync(latchkeyBinary(), ['--config', file, '--check'], {
    encoding: 'utf8', timeout: 30000, env: { PATH: process.env.PATH, ...sanitizerEnv(), ...env },
  });
  return { status: r.status, out: r.stdout, err: r.stderr, lines: r.stderr.split('\n').filter(Boolean) };
}

const good = () => ({
  issuer: provider.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
  redirect_uri: REDIRECT_URI, cookie_secret: newCookieSecret(),
});

test('--check passes with the right credentials and says what it checked', () => {
  const r = check(good());
  assert.equal(r.status, 0, r.err);
  assert.match(r.out, /^discovery: .* ok, issuer /m);
  assert.match(r.out, /^token endpoint: .* accepted the client credentials$/m);
  assert.match(r.out, new RegExp(`^Register this redirect URI at the provider: ${REDIRECT_URI}$`, 'm'));
  assert.match(r.out, /configuration OK\n$/);
});

test('--check with a wrong client secret: every step on its own line, the verdict last', () => {
  const r = check({ ...good(), client_secret: 'wrong-secret' });
  assert.equal(r.status, 1, r.err);
  assert.match(r.lines[0], /^discovery: .* ok, issuer /, r.err);
  assert.match(r.lines[1], /^jwks: \d+ usable keys at /, r.err);
  assert.match(r.lines[2], /^the token endpoint refused the client: wrong client_id or client_secret: /, r.err);
  assert.equal(r.lines[3], `Register this redirect URI at the provider: ${REDIRECT_URI}`);
  assert.equal(r.lines.at(-1), 'latchkey: check failed (token_endpoint_refused_client)');
  assert.equal(r.lines.length, 5, r.err);
  assert.doesNotMatch(r.err, /not starting/);
});

test('--check with an unreachable provider names the failed step, then the verdict', () => {
  const r = check({ ...good(), issuer: 'http://127.0.0.1:9' });
  assert.equal(r.status, 1, r.err);
  assert.match(r.lines[0], /^discovery at http:\/\/127\.0\.0\.1:9\/\.well-known\/openid-configuration failed: /, r.err);
  assert.equal(r.lines.at(-1), 'latchkey: check failed (provider_unreachable)');
});

test('--check with a refused configuration: one line per problem, no "not starting"', () => {
  const { client_secret: _unused, ...config } = good();
  const r = check({ ...config, session_lifetime: 'soon' });
  assert.equal(r.status, 1, r.err);
  assert.ok(r.lines.some((l) => l.startsWith('latchkey: client_secret: missing')), r.err);
  assert.ok(r.lines.some((l) => l.startsWith('latchkey: session_lifetime: ')), r.err);
  assert.equal(r.lines.at(-1), 'latchkey: configuration refused (2 problems)');
  assert.doesNotMatch(r.err, /not starting/);
});

test('relative *_file paths are systemd credentials: read from $CREDENTIALS_DIRECTORY', () => {
  const creds = path.join(dir, 'credentials');
  fs.mkdirSync(creds, { mode: 0o700 });
  fs.writeFileSync(path.join(creds, 'client_secret'), `${CLIENT_SECRET}\n`, { mode: 0o400 });
  fs.writeFileSync(path.join(creds, 'cookie_secret'), `${newCookieSecret()}\n`, { mode: 0o400 });
  const { client_secret: _a, cookie_secret: _b, ...config } = good();
  const files = { ...config, client_secret_file: 'client_secret', cookie_secret_file: 'cookie_secret' };
  const r = check(files, { CREDENTIALS_DIRECTORY: creds });
  assert.equal(r.status, 0, r.err);
  assert.match(r.out, /accepted the client credentials/);
  // Without the variable the same names are paths relative to the working directory.
  const without = check(files);
  assert.equal(without.status, 1);
  assert.match(without.err, /^latchkey: client_secret_file: cannot read client_secret \(/m);
});
