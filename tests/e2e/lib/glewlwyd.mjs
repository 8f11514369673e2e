// Glewlwyd (Debian's /usr/bin/glewlwyd, an independent OpenID provider written in C) for the
// interop tests: started on 127.0.0.1 with a fresh SQLite database in a mkdtemp directory, then
// configured through its admin REST API: an OpenID Connect plugin instance, the scopes, a user
// and a confidential client. A user signs in through its REST auth API (no JavaScript app).
// LATCHKEY_E2E_GLEWLWYD_LOG=DEBUG makes Glewlwyd log more (its lines appear on failures).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { Managed, sleep } from './process.mjs';
import { freePort, waitForConnect } from './ports.mjs';
import { Client } from './client.mjs';

export const GLEWLWYD_BINARY = '/usr/bin/glewlwyd';
const SCHEMA = '/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3';
const ADMIN = { username: 'admin', password: 'password' };  // the schema's initial admin
export const GLEWLWYD_USER = { username: 'dana', password: 'dana-passw0rd', name: 'Dana Glewlwyd', email: 'dana@example.com' };
// A user without the email_verified property: Glewlwyd then sends no such claim.
export const GLEWLWYD_UNVERIFIED_USER = { username: 'erin', password: 'erin-passw0rd', name: 'Erin Unverified', email: 'erin@example.com' };
export const PLUGIN = 'oidc';

export const glewlwydAvailable = () => fs.existsSync(GLEWLWYD_BINARY) && fs.existsSync(SCHEMA);

// Glewlwyd's configuration file (libconfig syntax), everything local to dir. Glewlwyd 2.7.5
// refuses to start ("secure connection is active") when the secure_connection_*_file keys
// are absent, even with use_secure_connection=false.
function configText({ port, dir }) {
  return `port=${port}
bind_address="127.0.0.1"
external_url="http://127.0.0.1:${port}"
login_url="login.html"
api_prefix="api"
allow_origin="*"
log_mode="console"
log_level="${process.env.LATCHKEY_E2E_GLEWLWYD_LOG ?? 'WARNING'}"
cookie_secure=0
cookie_same_site="empty"
session_expiration=3600
session_key="GLEWLWYD2_SESSION_ID"
admin_session_authentication="cookie"
profile_session_authentication="cookie"
allow_multiple_user_per_session=true
login_api_enabled=true
plugin_api_run_enabled=""
add_x_frame_option_header_deny=true
max_post_size=16778240
admin_scope="g_admin"
profile_scope="g_profile"
user_module_path="/usr/lib/glewlwyd/user"
client_module_path="/usr/lib/glewlwyd/client"
user_auth_scheme_module_path="/usr/lib/glewlwyd/scheme"
plugin_module_path="/usr/lib/glewlwyd/plugin"
use_secure_connection=false
secure_connection_key_file=""
secure_connection_pem_file=""
secure_connection_ca_file=""
hash_algorithm = "SHA512"
database = { type = "sqlite3"; path = "${path.join(dir, 'glewlwyd.db')}"; };
`;
}

// The OpenID Connect plugin's parameters (the admin web app's defaults, trimmed to what
// matters): RS256 with key, code and refresh grants, PKCE, revocation by the client itself,
// e-mail always in the ID token. Glewlwyd sends no email_verified unless a claim maps one.
function pluginParameters({ issuer, keyPem, certPem, accessTokenSeconds, emailVerifiedClaim }) {
  return {
    iss: issuer,
    'jwt-type': 'rsa',
    'jwt-key-size': '256',
    key: keyPem,
    cert: certPem,
    'access-token-duration': accessTokenSeconds,
    'refresh-token-duration': 1209600,
    'code-duration': 600,
    'refresh-token-rolling': true,
    'allow-non-oidc': false,
    'auth-type-code-enabled': true,
    'auth-type-code-revoke-replayed': false,
    'auth-type-token-enabled': false,
    'auth-type-id-token-enabled': true,
    'auth-type-none-enabled': false,
    'auth-type-password-enabled': false,
    'auth-type-client-enabled': false,
    'auth-type-device-enabled': false,
    'auth-type-refresh-enabled': true,
    scope: [],
    'additional-parameters': [],
    claims: emailVerifiedClaim
      ? [{ name: 'email_verified', 'user-property': 'email_verified', type: 'boolean', 'boolean-value-true': '1', 'boolean-value-false': '0', mandatory: true, 'on-demand': false, scope: [] }]
      : [],
    'jwks-show': true,
    'request-parameter-allow': false,
    'secret-type': 'pairwise',
    'address-claim': { type: 'no', mandatory: false },
    'name-claim': 'mandatory',
    'name-claim-scope': [],
    'email-claim': 'mandatory',
    'email-claim-scope': [],
    'scope-claim': 'no',
    'allowed-scope': ['openid', 'email', 'profile'],
    'pkce-allowed': true,
    'pkce-method-plain-allowed': false,
    'introspection-revocation-allowed': true,
    'introspection-revocation-auth-scope': [],
    'introspection-revocation-allow-target-client': true,
    'register-client-allowed': false,
    'session-management-allowed': false,
  };
}

// Starts Glewlwyd and configures it. Returns {issuer, clients, stop(), ...}.
// clients: [{id, secret}] registered as confidential clients with redirectUris.
// emailVerifiedClaim: release email_verified (a user property, "1") in ID tokens.
export async function startGlewlwyd({ redirectUris, clients, accessTokenSeconds = 3600, emailVerifiedClaim = true } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-glewlwyd-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // The database user backend also stores an email_verified property, so the OIDC plugin
  // can release it as a claim (a module's data format is read when the module starts).
  const userFormat = JSON.stringify({ 'use-glewlwyd-connection': true, 'data-format': { email_verified: { multiple: false, read: true, write: true, 'profile-read': true, 'profile-write': false } } });
  const schema = `${fs.readFileSync(SCHEMA, 'utf8')}\nUPDATE g_user_module_instance SET gumi_parameters = '${userFormat}' WHERE gumi_name = 'database';\n`;
  execFileSync('sqlite3', [path.join(dir, 'glewlwyd.db')], { input: schema });
  fs.writeFileSync(path.join(dir, 'glewlwyd.conf'), configText({ port, dir }));
  const proc = new Managed('glewlwyd', GLEWLWYD_BINARY, ['--config-file', path.join(dir, 'glewlwyd.conf')], {
    cwd: dir,
    logFile: path.join(dir, 'glewlwyd.log'),
  });
  const gl = { dir, port, base, proc, issuer: `${base}/api/${PLUGIN}`, clients };
  gl.stop = async () => {
    await proc.stop('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForConnect({ port, host: '127.0.0.1' }, { isAlive: () => proc.alive, what: 'glewlwyd' });
    const admin = new Client(base);
    await expectOk(admin.post('/api/auth/', json(ADMIN)), 'admin sign-in');
    const api = (method, p, body) => expectOk(admin.request(method, p, json(body)), `${method} ${p}`);
    for (const name of ['email', 'profile']) {
      await api('POST', '/api/scope/', { name, display_name: name, description: name, password_required: false, scheme: {} });
    }
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyPem = privateKey.export({ format: 'pem', type: 'pkcs1' });
    const certPem = publicKey.export({ format: 'pem', type: 'spki' });
    await api('POST', '/api/mod/plugin/', {
      module: 'oidc', name: PLUGIN, display_name: 'OIDC', enabled: true,
      parameters: pluginParameters({ issuer: gl.issuer, keyPem, certPem, accessTokenSeconds, emailVerifiedClaim }),
    });
    for (const user of [GLEWLWYD_USER, GLEWLWYD_UNVERIFIED_USER]) {
      await api('POST', '/api/user/', {
        username: user.username, password: user.password, name: user.name, email: user.email,
        ...(user === GLEWLWYD_USER ? { email_verified: '1' } : {}),
        scope: ['openid', 'email', 'profile'], enabled: true,
      });
    }
    // password is what the token endpoint checks; Glewlwyd takes the client credentials
    // from Basic without form-decoding them (RFC 6749 §2.3.1 says it should).
    for (const { id, secret } of clients) {
      await api('POST', '/api/client/', {
        client_id: id, name: id, confidential: true, password: secret,
        token_endpoint_auth_method: ['client_secret_basic', 'client_secret_post'],
        redirect_uri: redirectUris, authorization_type: ['code', 'refresh_token'],
        scope: [], enabled: true,
      });
    }
    await waitForDiscovery(gl);
  } catch (err) {
    err.message = `${err.message}\n${proc.tail()}`;
    await gl.stop().catch(() => {});
    throw err;
  }
  return gl;
}

const json = (body) => ({ headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

async function expectOk(pending, what) {
  const r = await pending;
  if (r.status < 200 || r.status >= 300) throw new Error(`glewlwyd ${what}: HTTP ${r.status} ${r.body.slice(0, 500)}`);
  return r;
}

async function waitForDiscovery(gl) {
  const url = `${gl.issuer}/.well-known/openid-configuration`;
  for (let i = 0; i < 100; i++) {
    const res = await fetch(url).catch(() => null);
    if (res?.ok) return;
    await sleep(100);
  }
  throw new Error(`glewlwyd: no discovery document at ${url}`);
}

// The user signs in at Glewlwyd (its REST auth API, as its login page would) in client's
// cookie jar, and grants clientId the scopes.
export async function glewlwydUserSession(gl, client, clientId, user = GLEWLWYD_USER, scopes = 'openid email profile') {
  await expectOk(client.post(`${gl.base}/api/auth/`, json({ username: user.username, password: user.password })), 'user sign-in');
  await expectOk(client.request('PUT', `${gl.base}/api/auth/grant/${encodeURIComponent(clientId)}`, json({ scope: scopes })), 'grant');
}

// From latchkey's redirect to the authorization endpoint to the redirect back (returned, not
// requested). Glewlwyd sends a browser to its login page with callback_url; that page, once
// the user is signed in and has granted the scopes, continues to callback_url&g_continue.
export async function authorizeAtGlewlwyd(gl, client, authorizeUrl) {
  let r = await client.get(authorizeUrl);
  if (r.status === 302 && r.location && new URL(r.location).pathname.endsWith('/login.html')) {
    const callback = new URL(r.location).searchParams.get('callback_url');
    r = await client.get(`${callback}&g_continue`);
  }
  if (r.status !== 302 || !r.location || r.location.startsWith(gl.base)) {
    throw new Error(`glewlwyd did not redirect back (${r.status} ${r.location ?? ''} ${r.body.slice(0, 300)})\n${client.describe()}`);
  }
  return r.location;
}

// The user's refresh tokens as Glewlwyd's profile API lists them: [{enabled, ...}].
export async function glewlwydRefreshTokens(gl, client) {
  const r = await expectOk(client.get(`${gl.base}/api/${PLUGIN}/token/`), 'token list');
  return JSON.parse(r.body);
}
