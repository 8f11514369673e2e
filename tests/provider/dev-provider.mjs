#!/usr/bin/env node
// A local OpenID provider for development (`make demo`) and the end-to-end tests.
//
// It is panva's oidc-provider (a certified OpenID Provider) with:
//   - one static confidential client (client_secret_basic, authorization_code + refresh_token),
//   - PKCE S256 required, token revocation enabled, RS256 ID tokens,
//   - its own tiny login page instead of oidc-provider's dev interactions, so the form is
//     stable for tests that sign in without a browser: GET /interaction/:uid shows a form with
//     `login` and `password`; POST /interaction/:uid/login checks a fixed account and grants
//     every requested scope at once (there is no separate consent screen),
//   - test-only read-outs: GET /test/revocations and GET /test/grants (JSON counters), so a test
//     can see that latchkey revoked a token on /logout or used its refresh token; and
//     POST /test/token-delay?ms=N, which makes the token endpoint answer N ms late (GET tells
//     the delay and how many token requests arrived so far).
//
// It listens on loopback only and keeps everything in memory: it is not a production provider.
//
// Environment (all optional):
//   DEV_PROVIDER_HOST            127.0.0.1
//   DEV_PROVIDER_PORT            9090
//   DEV_PROVIDER_ISSUER          http://HOST:PORT
//   DEV_PROVIDER_CLIENT_ID       latchkey-demo
//   DEV_PROVIDER_CLIENT_SECRET   demo-secret
//   DEV_PROVIDER_CLIENT_JWKS     a JSON JWKS of the client's public keys: the client then
//                                authenticates with private_key_jwt (RFC 7523) and has no secret
//   DEV_PROVIDER_REDIRECT_URIS   space-separated; http://127.0.0.1:8080/login/authorized
//   DEV_PROVIDER_POST_LOGOUT_REDIRECT_URIS  space-separated; none by default (RP-initiated logout)
//   DEV_PROVIDER_ACCESS_TOKEN_TTL  seconds an access token lives; 3600 (tests use 2)
//   DEV_PROVIDER_ID_TOKEN_CLAIMS   "all" (default): e-mail and name inside the ID token, as Google
//                                  does; "minimal": only sub in the ID token (claims via userinfo)
//   DEV_PROVIDER_BACKCHANNEL_LOGOUT_URI  the client's backchannel_logout_uri (with
//                                  backchannel_logout_session_required): Back-Channel Logout 1.0 on,
//                                  ID tokens carry sid, and ending the session at the provider
//                                  POSTs a logout token there
//   DEV_PROVIDER_REFRESH_TOKENS    "0": no refresh tokens (Google's default); "1" (default): always
//
// Accounts (login / password):
//   alice@example.com / wonderland   name "Alice Liddell"
//   bob@example.org   / builder      name "Bob Builder"       (another domain: allow-list tests)
//   mallory@example.com / mallory    name with HTML in it     (escaping tests)
//   crowd@example.com / crowd        in 500 groups of 40 characters (cookie size tests)
// With the "groups" scope the ID token and userinfo also carry groups, department and
// preferred_username (alice: staff + admins, engineering; bob: staff, sales).
//
// POST /test/sign (JSON {header, payload}) signs a JWT with the provider's own key (RS256,
// its kid unless header.kid is given): bearer-token tests craft valid and broken tokens.
import http from 'node:http';
import crypto from 'node:crypto';
import { once } from 'node:events';
import Provider from 'oidc-provider';
import { GROUP_CLAIMS } from './dev-provider-groups.mjs';

const env = process.env;
const host = env.DEV_PROVIDER_HOST || '127.0.0.1';
const port = Number(env.DEV_PROVIDER_PORT || 9090);
const issuer = env.DEV_PROVIDER_ISSUER || `http://${host}:${port}`;
const clientId = env.DEV_PROVIDER_CLIENT_ID || 'latchkey-demo';
const clientSecret = env.DEV_PROVIDER_CLIENT_SECRET || 'demo-secret';
const clientJwks = env.DEV_PROVIDER_CLIENT_JWKS ? JSON.parse(env.DEV_PROVIDER_CLIENT_JWKS) : null;
const redirectUris = (env.DEV_PROVIDER_REDIRECT_URIS || 'http://127.0.0.1:8080/login/authorized')
  .split(/\s+/).filter(Boolean);
const postLogoutRedirectUris = (env.DEV_PROVIDER_POST_LOGOUT_REDIRECT_URIS || '').split(/\s+/).filter(Boolean);
const accessTokenTtl = Number(env.DEV_PROVIDER_ACCESS_TOKEN_TTL || 3600);
const idTokenClaims = env.DEV_PROVIDER_ID_TOKEN_CLAIMS || 'all';
const backchannelLogoutUri = env.DEV_PROVIDER_BACKCHANNEL_LOGOUT_URI || '';
const refreshTokens = env.DEV_PROVIDER_REFRESH_TOKENS !== '0';
// Subjects removed by POST /test/remove-account?sub=: their tokens stop working (userinfo
// answers 401 invalid_token, a refresh invalid_grant), as when an administrator deletes a user.
const removedAccounts = new Set();

export const ACCOUNTS = {
  'alice@example.com': {
    password: 'wonderland', sub: 'alice-0001', name: 'Alice Liddell',
  },
  'bob@example.org': {
    password: 'builder', sub: 'bob-0002', name: 'Bob Builder',
  },
  'mallory@example.com': {
    password: 'mallory', sub: 'mallory-0003', name: '<script>alert("x")</script> & Mallory',
  },
  'crowd@example.com': {
    password: 'crowd', sub: 'crowd-0004', name: 'Many Groups',
  },
};
const accountsBySub = new Map(Object.entries(ACCOUNTS).map(([email, a]) => [a.sub, { email, ...a }]));

// A fresh RS256 signing key per run: tokens from an earlier run must not verify.
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid: `dev-${crypto.randomUUID()}`, use: 'sig', alg: 'RS256' };

const counters = { revocations: 0, revokedKinds: [], grants: {} };
let tokenDelayMs = 0;  // set by POST /test/token-delay?ms=N: a slow token endpoint
let tokenRequests = 0;  // token requests received (counted before the delay)

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    ...(clientJwks
      ? { jwks: clientJwks, token_endpoint_auth_method: 'private_key_jwt' }
      : { client_secret: clientSecret, token_endpoint_auth_method: 'client_secret_basic' }),
    redirect_uris: redirectUris,
    post_logout_redirect_uris: postLogoutRedirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    id_token_signed_response_alg: 'RS256',
    ...(backchannelLogoutUri
      ? { backchannel_logout_uri: backchannelLogoutUri, backchannel_logout_session_required: true }
      : {}),
  }],
  jwks: { keys: [signingJwk] },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  scopes: ['openid', 'email', 'profile', 'offline_access', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups', 'department', 'preferred_username'],
  },
  // false: scope claims go into the ID token too (Google's behaviour), not only to userinfo.
  conformIdTokenClaims: idTokenClaims !== 'all',
  findAccount(_ctx, sub) {
    const account = accountsBySub.get(sub);
    if (!account || removedAccounts.has(sub)) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, email: account.email, email_verified: true, name: account.name, ...(GROUP_CLAIMS[account.email] ?? {}) };
      },
    };
  },
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    backchannelLogout: { enabled: Boolean(backchannelLogoutUri) },
  },
  pkce: { required: () => true },
  // A refresh token whenever the client may use one, even without offline_access, so that a
  // relying party asking only for "openid email profile" can still be tested on refresh.
  issueRefreshToken: async (_ctx, client) => refreshTokens && client.grantTypeAllowed('refresh_token'),
  expiresWithSession: async () => false,
  interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: {
    AccessToken: accessTokenTtl,
    AuthorizationCode: 60,
    IdToken: 3600,
    Interaction: 600,
    Grant: 14 * 24 * 3600,
    RefreshToken: 14 * 24 * 3600,
    Session: 14 * 24 * 3600,
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!doctype html><title>dev provider error</title><pre>${escapeHtml(JSON.stringify(out, null, 2))}</pre>`;
  },
});

provider.on('grant.success', (ctx) => {
  const type = ctx.oidc.params?.grant_type || 'unknown';
  counters.grants[type] = (counters.grants[type] || 0) + 1;
});
// Count revocations that found a token (RFC 7009 answers 200 even for unknown tokens).
provider.use(async (ctx, next) => {
  if (ctx.path === '/token') tokenRequests += 1;
  if (ctx.path === '/token' && tokenDelayMs > 0) await new Promise((r) => setTimeout(r, tokenDelayMs));
  await next();
  if (ctx.path === '/token/revocation' && ctx.status === 200) {
    const entities = ctx.oidc?.entities || {};
    const kind = entities.RefreshToken ? 'refresh_token' : entities.AccessToken ? 'access_token' : null;
    if (kind) {
      counters.revocations += 1;
      counters.revokedKinds.push(kind);
    }
  }
});
provider.on('server_error', (_ctx, err) => console.error('dev-provider server_error:', err));
provider.on('backchannel.success', (_ctx, client) => console.log(`dev-provider: back-channel logout sent to ${client.backchannelLogoutUri}`));
provider.on('backchannel.error', (_ctx, err) => console.error('dev-provider: back-channel logout failed:', err.message));

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

function loginPage(uid, clientName, error) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dev provider — sign in</title>
<style>body{font-family:sans-serif;max-width:24rem;margin:3rem auto}label,input,button{display:block;width:100%;margin:.4rem 0}.err{color:#b00}</style>
</head><body>
<h1>Dev provider</h1>
<p>Sign in to continue to <b>${escapeHtml(clientName)}</b>.</p>
${error ? `<p class="err">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
  <label>E-mail <input name="login" value="alice@example.com" autofocus></label>
  <label>Password <input name="password" type="password" placeholder="wonderland"></label>
  <button type="submit">Sign in</button>
</form>
<p><small>Demo account: alice@example.com / wonderland</small></p>
</body></html>`;
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 16 * 1024) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res, status, type, body) {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

// Grants every scope the client asked for, and finishes the interaction (login and consent).
async function finish(req, res, details, accountId) {
  // A grant belongs to one account: after prompt=login the visitor may have signed in as
  // another one ("use another account"), whose grant is a new one.
  const sameAccount = !details.session || details.session.accountId === accountId;
  const grant = details.grantId && sameAccount
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(String(details.params.scope || 'openid'));
  const grantId = await grant.save();
  const result = { consent: { grantId } };
  if (details.prompt.name === 'login') result.login = { accountId };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
}

async function interactions(req, res, url) {
  const m = url.pathname.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (!m) return send(res, 404, 'text/plain', 'not found');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== m[1]) return send(res, 400, 'text/plain', 'interaction mismatch');
  const client = await provider.Client.find(details.params.client_id);
  const clientName = client?.clientName || details.params.client_id;

  if (req.method === 'GET' && !m[2]) {
    // Already signed in at the provider: only consent is missing, which this provider gives.
    if (details.prompt.name !== 'login') return finish(req, res, details, details.session.accountId);
    return send(res, 200, 'text/html; charset=utf-8', loginPage(details.uid, clientName));
  }
  if (req.method === 'POST' && m[2]) {
    const form = await readForm(req);
    const email = (form.get('login') || '').trim().toLowerCase();
    const account = ACCOUNTS[email];
    if (!account || account.password !== form.get('password')) {
      return send(res, 401, 'text/html; charset=utf-8', loginPage(details.uid, clientName, 'Wrong e-mail or password.'));
    }
    return finish(req, res, details, account.sub);
  }
  res.setHeader('Allow', m[2] ? 'POST' : 'GET');
  return send(res, 405, 'text/plain', 'method not allowed');
}

// Connections counted again by the User-Agent product of their first request ("curl",
// "mod_auth_openidc", "node"), so a benchmark can tell the relying party's from the browser's.
const connectionsByAgent = {};
function countConnection(req) {
  if (req.socket.devProviderCounted) return;
  req.socket.devProviderCounted = true;
  const agent = (req.headers['user-agent'] || '-').split(/[\s/]/)[0];
  connectionsByAgent[agent] = (connectionsByAgent[agent] || 0) + 1;
}

const providerCallback = provider.callback();
const server = http.createServer(async (req, res) => {
  countConnection(req);
  const url = new URL(req.url, issuer);
  try {
    if (url.pathname.startsWith('/interaction/')) return await interactions(req, res, url);
    if (url.pathname === '/test/revocations' && req.method === 'GET') {
      return send(res, 200, 'application/json', JSON.stringify({ count: counters.revocations, kinds: counters.revokedKinds }));
    }
    if (url.pathname === '/test/token-delay' && (req.method === 'POST' || req.method === 'GET')) {
      if (req.method === 'POST') tokenDelayMs = Math.max(0, Number(url.searchParams.get('ms')) || 0);
      return send(res, 200, 'application/json', JSON.stringify({ ms: tokenDelayMs, requests: tokenRequests }));
    }
    if (url.pathname === '/test/connections' && req.method === 'GET') {
      return send(res, 200, 'application/json', JSON.stringify({ connections, byAgent: connectionsByAgent }));
    }
    if (url.pathname === '/test/sign' && req.method === 'POST') {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const { header = {}, payload } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: signingJwk.kid, ...header })}.${b64(payload)}`;
      const signature = crypto.sign('sha256', Buffer.from(input), privateKey).toString('base64url');
      return send(res, 200, 'application/jwt', `${input}.${signature}`);
    }
    if (url.pathname === '/test/remove-account' && req.method === 'POST') {
      removedAccounts.add(url.searchParams.get('sub'));
      return send(res, 200, 'application/json', JSON.stringify({ removed: [...removedAccounts] }));
    }
    if (url.pathname === '/test/grants' && req.method === 'GET') {
      return send(res, 200, 'application/json', JSON.stringify(counters.grants));
    }
    return providerCallback(req, res);
  } catch (err) {
    console.error('dev-provider error:', err);
    if (!res.headersSent) send(res, 400, 'text/plain', `dev provider: ${err.message}`);
    else res.end();
  }
});

// TCP connections accepted so far (GET /test/connections): shows whether a relying party
// reuses its connection to a warm provider (bench/).
let connections = 0;
server.on('connection', () => { connections += 1; });
server.listen(port, host);
await once(server, 'listening');
console.log(`dev-provider: issuer ${issuer} client_id ${clientId} redirect_uris ${redirectUris.join(' ')} access_token_ttl ${accessTokenTtl}s`);

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
