// A scriptable OpenID provider for the e2e tests: it does what a real provider will not
// (tampered ID tokens, broken token answers, garbage JWKS, endpoints that hang) so the tests
// can prove latchkey refuses each one. Plain node:http and node:crypto, no npm packages.
//
// In-process use (the tests import it):
//   const fake = await startFakeProvider({ clientId, clientSecret });
//   fake.script({ idToken: { claims: { iss: 'https://evil' } } });   // next sign-ins
//   fake.counts.jwks                                                  // what latchkey fetched
//   await fake.stop();
//
// Endpoints: /.well-known/openid-configuration, /jwks, /authorize (no forms: it redirects
// straight back to redirect_uri with a code and the given state), /token (authorization_code
// and refresh_token grants; a refresh rotates the refresh token), /userinfo, /revoke,
// and POST /_control (a JSON scenario, the same as script()) for use from another process.
//
// A scenario (every part optional; script() replaces the previous scenario):
//   authorize: { error, errorDescription }            redirect back with error= instead of code=
//   idToken:   { alg: 'RS256'|'ES256', claims: {...}, omit: ['nonce', ...],
//                tamper: 'signature'|'none'|'none-signed'|'hs256-pem'|'hs256-jwk', kid }
//   token:     { status, body, contentType, headers, omit: ['access_token', ...], hang: true,
//                drop: true, hugeBytes: n, hugeWithLength: bool, error: 'invalid_client' }
//   userinfo:  { sub, status, body }
//   jwks:      { body }                                 served as is (e.g. garbage)
//   discovery: { ...fields }                            merged into the discovery document
//   discoveryBody: '...'                                served instead of the document
import http from 'node:http';
import crypto from 'node:crypto';

export const FAKE_CLIENT_ID = 'latchkey-fake-client';
export const FAKE_CLIENT_SECRET = 'fake-secret-0123456789';
export const FAKE_USER = { sub: 'fake-user-0001', email: 'carol@example.com', name: 'Carol Fake' };

export const b64url = (buf) => Buffer.from(buf).toString('base64url');

// One signing key with its public JWK. RSA 2048 for RS256, P-256 for ES256.
export function newSigningKey(alg = 'RS256', kid = `${alg.toLowerCase()}-${crypto.randomBytes(6).toString('hex')}`) {
  const { privateKey, publicKey } = alg === 'ES256'
    ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, publicKey, jwk };
}

// A compact JWS of header and payload signed by key (RFC 7515 §7.1); ES256 signatures are
// r || s as RFC 7518 §3.4 requires (node's ieee-p1363 encoding).
export function signJws(header, payload, key) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const sig = key.alg === 'ES256'
    ? crypto.sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
    : crypto.sign('sha256', Buffer.from(input), key.privateKey);
  return `${input}.${b64url(sig)}`;
}

// The ID token a scenario asks for: correct by default, then each requested tampering.
function makeIdToken({ issuer, clientId, nonce, keys, spec = {} }) {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: issuer,
    sub: FAKE_USER.sub,
    aud: clientId,
    exp: now + 300,
    iat: now,
    nonce,
    email: FAKE_USER.email,
    email_verified: true,
    name: FAKE_USER.name,
    ...(spec.claims ?? {}),
  };
  for (const name of spec.omit ?? []) delete claims[name];
  const key = keys.find((k) => k.alg === (spec.alg ?? 'RS256'));
  const kid = spec.kid ?? key.kid;
  const header = { alg: key.alg, typ: 'JWT', kid };
  const unsigned = (h) => `${b64url(JSON.stringify(h))}.${b64url(JSON.stringify(claims))}`;
  const hmac = (secret, h) => {
    const input = unsigned(h);
    return `${input}.${b64url(crypto.createHmac('sha256', secret).update(input).digest())}`;
  };
  switch (spec.tamper) {
    case undefined:
      return signJws(header, claims, key);
    case 'signature': {
      // A real signature with one bit flipped: right length, wrong value.
      const [h, p, s] = signJws(header, claims, key).split('.');
      const sig = Buffer.from(s, 'base64url');
      sig[sig.length >> 1] ^= 0x01;
      return `${h}.${p}.${b64url(sig)}`;
    }
    case 'none':  // the classic unsecured JWS (RFC 7519 §6): empty signature part
      return `${unsigned({ alg: 'none', typ: 'JWT' })}.`;
    case 'none-signed':  // alg none, but a signature part so a parser cannot stop at "empty"
      return `${unsigned({ alg: 'none', typ: 'JWT', kid })}.${b64url(crypto.randomBytes(32))}`;
    case 'hs256-pem':  // RS256 → HS256 confusion (RFC 8725 §2.1): the public key PEM as secret
      return hmac(key.publicKey.export({ format: 'pem', type: 'spki' }), { alg: 'HS256', typ: 'JWT', kid });
    case 'hs256-jwk':  // the same with the JWK JSON as published in the JWKS
      return hmac(JSON.stringify(key.jwk), { alg: 'HS256', typ: 'JWT', kid });
    default:
      throw new Error(`fake provider: unknown idToken.tamper ${spec.tamper}`);
  }
}

export function readBody(req, limit = 1 << 20) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) { reject(new Error('request body too large')); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res, status, value, headers = {}) {
  const body = typeof value === 'string' ? value : JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(body);
}

// Client authentication at the token endpoint: client_secret_basic (RFC 6749 §2.3.1, both
// parts form-encoded) or client_secret_post.
export function clientCredentials(req, form) {
  const auth = req.headers.authorization ?? '';
  if (auth.startsWith('Basic ')) {
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) return { id: null, secret: null, method: 'basic' };
    const dec = (s) => decodeURIComponent(s.replace(/\+/g, ' '));
    return { id: dec(decoded.slice(0, i)), secret: dec(decoded.slice(i + 1)), method: 'basic' };
  }
  return { id: form.get('client_id'), secret: form.get('client_secret'), method: 'post' };
}

// RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) == code_challenge.
export function pkceMatches(verifier, challenge) {
  if (!verifier || !challenge) return false;
  return b64url(crypto.createHash('sha256').update(verifier).digest()) === challenge;
}

// Streams n bytes of a JSON-looking body (an endless access_token string), with or without
// a Content-Length, stopping when the client hangs up (latchkey caps provider answers).
function sendHuge(res, n, withLength) {
  const head = '{"access_token":"';
  const headers = { 'content-type': 'application/json' };
  if (withLength) headers['content-length'] = String(n);
  res.writeHead(200, headers);
  const chunk = Buffer.alloc(64 * 1024, 'a');
  let sent = 0;
  res.on('error', () => {});
  const pump = () => {
    while (sent < n && !res.destroyed) {
      const part = sent === 0 ? Buffer.from(head) : chunk.subarray(0, Math.min(chunk.length, n - sent));
      sent += part.length;
      if (!res.write(part)) { res.once('drain', pump); return; }
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

export async function startFakeProvider({ port = 0, host = '127.0.0.1', clientId = FAKE_CLIENT_ID, clientSecret = FAKE_CLIENT_SECRET } = {}) {
  const keys = [newSigningKey('RS256'), newSigningKey('ES256')];
  let scenario = {};
  const codes = new Map();          // code -> {nonce, challenge, redirectUri, used}
  const accessTokens = new Set();
  const counts = { discovery: 0, jwks: 0, authorize: 0, token: 0, userinfo: 0, revoke: 0 };
  const tokenRequests = [];         // {grant, clientAuth, codeOk, pkceOk, redirectUri}
  let issuer;

  const discovery = () => ({
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    userinfo_endpoint: `${issuer}/userinfo`,
    jwks_uri: `${issuer}/jwks`,
    revocation_endpoint: `${issuer}/revoke`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256', 'ES256'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    ...(scenario.discovery ?? {}),
  });

  async function token(req, res) {
    counts.token++;
    const form = new URLSearchParams(await readBody(req));
    const cred = clientCredentials(req, form);
    const s = scenario.token ?? {};
    const record = { grant: form.get('grant_type'), clientAuth: cred.method, redirectUri: form.get('redirect_uri') };
    tokenRequests.push(record);
    if (s.hang) return;  // never answers; stop() closes the socket
    if (s.drop) {  // headers and half a body, then the connection is cut
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
      res.write('{"access_token":"abc');
      setTimeout(() => res.destroy(), 50);
      return;
    }
    if (s.hugeBytes) return sendHuge(res, s.hugeBytes, s.hugeWithLength);
    if (s.status || s.body !== undefined) {
      res.writeHead(s.status ?? 200, { 'content-type': s.contentType ?? 'application/json', ...(s.headers ?? {}) });
      return res.end(s.body ?? '');
    }
    if (s.error || cred.id !== clientId || cred.secret !== clientSecret) {
      const error = s.error ?? 'invalid_client';
      return sendJson(res, error === 'invalid_client' ? 401 : 400, { error, error_description: 'refused by the fake provider' });
    }
    if (record.grant === 'refresh_token') {
      // RFC 6749 §6, rotating the refresh token as many providers do.
      const accessToken = b64url(crypto.randomBytes(24));
      accessTokens.add(accessToken);
      return sendJson(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, refresh_token: b64url(crypto.randomBytes(18)) });
    }
    if (record.grant !== 'authorization_code') return sendJson(res, 400, { error: 'unsupported_grant_type' });
    const entry = codes.get(form.get('code') ?? '');
    record.codeOk = Boolean(entry && !entry.used);
    record.pkceOk = Boolean(entry && pkceMatches(form.get('code_verifier'), entry.challenge));
    if (!entry || entry.used || !record.pkceOk || entry.redirectUri !== record.redirectUri) {
      if (entry) entry.used = true;  // RFC 6749 §4.1.2: a code is single-use
      return sendJson(res, 400, { error: 'invalid_grant' });
    }
    entry.used = true;
    const accessToken = b64url(crypto.randomBytes(24));
    accessTokens.add(accessToken);
    const answer = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: 3600,
      id_token: makeIdToken({ issuer, clientId, nonce: entry.nonce, keys, spec: scenario.idToken }),
    };
    for (const name of s.omit ?? []) delete answer[name];
    return sendJson(res, 200, answer);
  }

  function userinfo(req, res) {
    counts.userinfo++;
    const s = scenario.userinfo ?? {};
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || !accessTokens.has(auth.slice(7))) {
      return sendJson(res, 401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    if (s.status || s.body !== undefined) return sendJson(res, s.status ?? 200, s.body ?? '');
    return sendJson(res, 200, { sub: s.sub ?? FAKE_USER.sub, email: s.email ?? FAKE_USER.email, email_verified: true, name: FAKE_USER.name });
  }

  function authorize(url, res) {
    counts.authorize++;
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri');
    if (!redirectUri || q.get('client_id') !== clientId || q.get('response_type') !== 'code') {
      return sendJson(res, 400, { error: 'invalid_request' });
    }
    const back = new URL(redirectUri);
    const a = scenario.authorize ?? {};
    if (a.error) {
      back.searchParams.set('error', a.error);
      if (a.errorDescription !== undefined) back.searchParams.set('error_description', a.errorDescription);
    } else {
      const code = b64url(crypto.randomBytes(18));
      codes.set(code, { nonce: q.get('nonce'), challenge: q.get('code_challenge'), method: q.get('code_challenge_method'), redirectUri, used: false });
      back.searchParams.set('code', code);
    }
    if (q.has('state')) back.searchParams.set('state', q.get('state'));
    res.writeHead(302, { location: back.toString() });
    return res.end();
  }

  async function handle(req, res) {
    const url = new URL(req.url, issuer);
    // Discovery under any path, so a configured issuer may carry one (Entra ID's
    // https://login.microsoftonline.com/organizations/v2.0).
    const route = url.pathname.endsWith('/.well-known/openid-configuration')
      ? `${req.method} /.well-known/openid-configuration`
      : `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /.well-known/openid-configuration':
        counts.discovery++;
        if (scenario.discoveryBody !== undefined) return sendJson(res, 200, scenario.discoveryBody);
        return sendJson(res, 200, discovery());
      case 'GET /jwks':
        counts.jwks++;
        if (scenario.jwks?.body !== undefined) return sendJson(res, 200, scenario.jwks.body);
        return sendJson(res, 200, { keys: keys.map((k) => k.jwk) });
      case 'GET /authorize':
        return authorize(url, res);
      case 'POST /token':
        return token(req, res);
      case 'GET /userinfo':
      case 'POST /userinfo':
        return userinfo(req, res);
      case 'POST /revoke':
        counts.revoke++;
        await readBody(req);
        res.writeHead(200);
        return res.end();
      case 'POST /_control':
        fake.script(JSON.parse(await readBody(req) || '{}'));
        return sendJson(res, 200, { ok: true });
      default:
        return sendJson(res, 404, { error: 'not_found' });
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: String(err.message) });
      else res.destroy();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const actualPort = server.address().port;
  issuer = `http://${host}:${actualPort}`;

  const fake = {
    issuer,
    port: actualPort,
    clientId,
    clientSecret,
    counts,
    tokenRequests,
    keys,
    // Replaces the scenario for every request from now on.
    script(next = {}) { scenario = structuredClone(next); },
    // Key rotation: a new RS256 key with a new kid signs from now on; the JWKS publishes the
    // new key (and the ES256 one), the old RS256 key is gone.
    rotateKey() {
      const i = keys.findIndex((k) => k.alg === 'RS256');
      keys[i] = newSigningKey('RS256');
      return keys[i].kid;
    },
    // The code issued for a redirect, for replay tests: {used, ...} or undefined.
    code: (code) => codes.get(code),
    async stop() {
      server.closeAllConnections();  // hanging token requests too
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return fake;
}
