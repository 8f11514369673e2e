// A provider that misbehaves: tampered ID tokens (OIDC Core §3.1.3.7), broken token answers,
// garbage JWKS, a token endpoint that never answers. Each must end in an error page with the
// right status, a sign_in_failed log line naming the check, and no session. What must still
// work: ES256 tokens, userinfo filling in a missing e-mail, and a key rotation (one JWKS
// refetch). The provider is tests/provider/fake-provider.mjs, scripted per test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeStack, attemptSignIn, toCallback, assertRefused, assertSignedIn, logMark } from '../provider/fake-stack.mjs';
import { FAKE_USER } from '../provider/fake-provider.mjs';
import { visibleText } from './lib/client.mjs';
import { sleep } from './lib/process.mjs';

const HTTP_TIMEOUT = 2;
const now = () => Math.floor(Date.now() / 1000);

let main;    // the stack most tests share (JWKS fetched once and cached)
let kid;     // fresh latchkey for the unknown-kid refetch count
let rotate;  // fresh latchkey for the key rotation
let rotateMany;  // and for the rotation seen by concurrent callbacks (refetches are rate-limited)
let jwks;    // fresh latchkey that has never seen a good JWKS
before(async () => {
  main = await startFakeStack('hostile-provider', { config: { http_timeout: HTTP_TIMEOUT, trusted_audiences: 'another-client' } });
  kid = await startFakeStack('hostile-provider-kid');
  rotate = await startFakeStack('hostile-provider-rotation');
  rotateMany = await startFakeStack('hostile-provider-rotation-many', { latchkeyArgs: ['--threads', '8'] });
  jwks = await startFakeStack('hostile-provider-jwks');
});
after(async () => {
  const errors = [];
  for (const s of [main, kid, rotate, rotateMany, jwks]) {
    try { await s?.stop(); } catch (err) { errors.push(err); }
  }
  if (errors.length) throw errors[0];
});

// Runs fn; on failure the message ends with the stack's logs.
const t = (name, stackOf, fn) => test(name, async () => {
  const stack = stackOf();
  try {
    await fn(stack);
  } catch (err) {
    err.message = `${err.message}\n${stack.diagnostics()}`;
    throw err;
  } finally {
    stack.fake.script({});
  }
});

// One sign-in against the scripted provider that must be refused: status, page, log reason,
// no session (neither Set-Cookie nor a working /auth), the flow's login cookie deleted, and
// the code never in the log.
async function refused(stack, scenario, { status, reason }) {
  stack.fake.script(scenario);
  const client = stack.client();
  const mark = logMark(stack);
  const attempt = await attemptSignIn(stack, client);
  const line = await assertRefused(stack, attempt.response, { status, reason, mark, client });
  assert.deepEqual(client.jar.cookies.filter((c) => c.name.startsWith('latchkey-login-')).map((c) => c.name), [],
    "the flow's login cookie is deleted: this sign-in cannot be retried with the same state");
  assert.equal((await client.get('/_latchkey/auth')).status, 401, 'no session after a refused sign-in');
  const code = new URL(attempt.callbackUrl).searchParams.get('code');
  for (const l of stack.latchkey.proc.lines) assert.ok(!l.includes(code), `authorization code logged: ${l}`);
  return { ...attempt, line };
}

async function signsIn(stack, scenario = {}) {
  stack.fake.script(scenario);
  const client = stack.client();
  const { response } = await attemptSignIn(stack, client);
  assertSignedIn(response, client);
  const home = await client.get('/');
  assert.match(visibleText(home.body), new RegExp(`Logged in as ${FAKE_USER.email.replace('.', '\\.')}`));
  return client;
}

// The baseline: an honest RS256 provider signs in, so every refusal below is caused by the
// one thing each scenario breaks. PKCE and client_secret_basic reach the token endpoint.
t('honest RS256 provider: sign-in succeeds, PKCE verified by the provider', () => main, async (s) => {
  const before_ = s.fake.tokenRequests.length;
  await signsIn(s);
  const req = s.fake.tokenRequests[before_];
  assert.equal(req.grant, 'authorization_code');
  assert.equal(req.pkceOk, true, 'code_verifier matches the S256 code_challenge');
  assert.equal(req.clientAuth, 'basic', 'client_secret_basic when discovery offers it');
  assert.equal(req.redirectUri, s.redirectUri);
});

// RFC 7518 §3.4: an ES256 token (r||s signature) from a P-256 key in the JWKS is accepted.
t('ES256-signed ID token: sign-in succeeds', () => main, async (s) => {
  await signsIn(s, { idToken: { alg: 'ES256' } });
});

// OIDC Core §5.3.2: when the ID token has no e-mail, userinfo (with the same sub) fills it in.
t('ID token without e-mail: userinfo supplies it, sign-in succeeds', () => main, async (s) => {
  const calls = s.fake.counts.userinfo;
  await signsIn(s, { idToken: { omit: ['email', 'email_verified'] } });
  assert.equal(s.fake.counts.userinfo, calls + 1, 'userinfo was called once');
});

// One flipped bit in an RS256 signature.
t('bad signature → 401 id_token_bad_signature', () => main, async (s) => {
  await refused(s, { idToken: { tamper: 'signature' } }, { status: 401, reason: 'id_token_bad_signature' });
});

// Same with ES256: the r||s signature does not verify.
t('bad ES256 signature → 401 id_token_bad_signature', () => main, async (s) => {
  await refused(s, { idToken: { alg: 'ES256', tamper: 'signature' } }, { status: 401, reason: 'id_token_bad_signature' });
});

// RFC 7519 §6 unsecured JWS: refused before any claim is read. With the classic empty
// signature part the parser refuses it as malformed; with a signature part, the alg check does.
t('alg none → 401 (empty signature: id_token_malformed; with a signature: id_token_alg_not_allowed)', () => main, async (s) => {
  const r = await refused(s, { idToken: { tamper: 'none' } }, { status: 401, reason: 'id_token_malformed' });
  assert.match(r.line.detail, /unsecured|empty/i, 'the log says why');
  await refused(s, { idToken: { tamper: 'none-signed' } }, { status: 401, reason: 'id_token_alg_not_allowed' });
});

// RFC 8725 §2.1 algorithm confusion: HS256 keyed with the provider's public key (PEM or the
// published JWK JSON) must not verify.
t('HS256 signed with the provider public key → 401 id_token_alg_not_allowed', () => main, async (s) => {
  await refused(s, { idToken: { tamper: 'hs256-pem' } }, { status: 401, reason: 'id_token_alg_not_allowed' });
  await refused(s, { idToken: { tamper: 'hs256-jwk' } }, { status: 401, reason: 'id_token_alg_not_allowed' });
});

// §3.1.3.7 step 2.
t('wrong iss → 401 id_token_issuer_mismatch', () => main, async (s) => {
  await refused(s, { idToken: { claims: { iss: 'https://evil.example.com' } } }, { status: 401, reason: 'id_token_issuer_mismatch' });
});

// §3.1.3.7 step 3: a token minted for another client.
t('wrong aud → 401 id_token_audience_mismatch', () => main, async (s) => {
  await refused(s, { idToken: { claims: { aud: 'some-other-client' } } }, { status: 401, reason: 'id_token_audience_mismatch' });
});

// §3.1.3.7 step 3: an extra audience not listed in trusted_audiences is refused, even with
// azp naming us.
t('an untrusted extra audience → 401 id_token_audience_mismatch', () => main, async (s) => {
  await refused(s, { idToken: { claims: { aud: [s.fake.clientId, 'stranger'], azp: s.fake.clientId } } }, { status: 401, reason: 'id_token_audience_mismatch' });
});

// §3.1.3.7 steps 4-5: with several (trusted) audiences, azp must be present and be us.
t('several audiences without azp, or azp of another client → 401 id_token_azp_mismatch', () => main, async (s) => {
  await refused(s, { idToken: { claims: { aud: [s.fake.clientId, 'another-client'] } } }, { status: 401, reason: 'id_token_azp_mismatch' });
  await refused(s, { idToken: { claims: { aud: [s.fake.clientId, 'another-client'], azp: 'another-client' } } }, { status: 401, reason: 'id_token_azp_mismatch' });
});

// §3.1.3.7 step 9.
t('expired ID token → 401 id_token_expired', () => main, async (s) => {
  await refused(s, { idToken: { claims: { iat: now() - 3600, exp: now() - 1800 } } }, { status: 401, reason: 'id_token_expired' });
});

// §3.1.3.7 step 10: an ID token issued an hour ago but still valid is older than
// id_token_max_age (300 s): a stockpiled or replayed token, refused.
t('iat older than id_token_max_age → 401 id_token_too_old', () => main, async (s) => {
  await refused(s, { idToken: { claims: { iat: now() - 3600, exp: now() + 600 } } }, { status: 401, reason: 'id_token_too_old' });
});

// §3.1.3.7 step 10: issued an hour from now.
t('iat in the future → 401 id_token_issued_in_future', () => main, async (s) => {
  await refused(s, { idToken: { claims: { iat: now() + 3600, exp: now() + 7200 } } }, { status: 401, reason: 'id_token_issued_in_future' });
});

// RFC 7519 §4.1.5: a token not yet valid.
t('nbf in the future → 401 id_token_issued_in_future', () => main, async (s) => {
  await refused(s, { idToken: { claims: { nbf: now() + 3600 } } }, { status: 401, reason: 'id_token_issued_in_future' });
});

// §3.1.3.7 step 11: we sent a nonce, so the token must carry it.
t('nonce missing → 401 id_token_missing_claim', () => main, async (s) => {
  const r = await refused(s, { idToken: { omit: ['nonce'] } }, { status: 401, reason: 'id_token_missing_claim' });
  assert.match(r.line.detail, /nonce/);
});

// A token from another login attempt (replayed ID token).
t('nonce wrong → 401 id_token_nonce_mismatch', () => main, async (s) => {
  await refused(s, { idToken: { claims: { nonce: 'a-nonce-from-another-sign-in-000000' } } }, { status: 401, reason: 'id_token_nonce_mismatch' });
});

// RFC 6749 §5.1: access_token is required.
t('token response without access_token → 502 token_response_invalid', () => main, async (s) => {
  await refused(s, { token: { omit: ['access_token'] } }, { status: 502, reason: 'token_response_invalid' });
});

// A token response without the ID token (scope without openid, or a broken provider).
t('token response without id_token → 502 token_response_invalid', () => main, async (s) => {
  await refused(s, { token: { omit: ['id_token'] } }, { status: 502, reason: 'token_response_invalid' });
});

t('token endpoint 500 → 502 provider_bad_response', () => main, async (s) => {
  await refused(s, { token: { status: 500, contentType: 'text/html', body: '<h1>Internal Server Error</h1>' } }, { status: 502, reason: 'provider_bad_response' });
});

t('token endpoint answers non-JSON → 502 provider_bad_response', () => main, async (s) => {
  await refused(s, { token: { status: 200, contentType: 'text/html', body: '<html>hello, this is not JSON</html>' } }, { status: 502, reason: 'provider_bad_response' });
});

// The 1 MB cap on provider answers: a 20 MB body, streamed (chunked) and with Content-Length.
t('token endpoint answers 20 MB → 502 provider_bad_response', () => main, async (s) => {
  const r = await refused(s, { token: { hugeBytes: 20 * 1024 * 1024 } }, { status: 502, reason: 'provider_bad_response' });
  assert.match(r.line.detail, /larger than/);
  const r2 = await refused(s, { token: { hugeBytes: 20 * 1024 * 1024, hugeWithLength: true } }, { status: 502, reason: 'provider_bad_response' });
  assert.match(r2.line.detail, /larger than/);
});

// http_timeout bounds every provider call: a token endpoint that accepts and never answers
// gives the visitor an error page within http_timeout + 2 s.
t(`token endpoint never answers → 502 provider_unreachable within http_timeout (${HTTP_TIMEOUT} s) + 2 s`, () => main, async (s) => {
  const r = await refused(s, { token: { hang: true } }, { status: 502, reason: 'provider_unreachable' });
  assert.ok(r.ms < (HTTP_TIMEOUT + 2) * 1000, `error page after ${r.ms} ms`);
  assert.ok(r.ms >= (HTTP_TIMEOUT - 0.5) * 1000, `it did wait for the provider (${r.ms} ms)`);
  assert.match(r.line.detail, /timed out/);
});

// The connection is cut in the middle of the token answer.
t('token endpoint drops the connection mid-body → 502 provider_unreachable', () => main, async (s) => {
  await refused(s, { token: { drop: true } }, { status: 502, reason: 'provider_unreachable' });
});

// Redirects are not followed (a code must not travel to wherever the provider points).
t('token endpoint answers a redirect → 502 provider_bad_response', () => main, async (s) => {
  await refused(s, { token: { status: 302, headers: { location: 'http://127.0.0.1:9/steal' }, body: '' } }, { status: 502, reason: 'provider_bad_response' });
});

// invalid_client at the token endpoint: the site's credentials are wrong.
t('token endpoint refuses the client (invalid_client) → 502 token_endpoint_refused_client', () => main, async (s) => {
  await refused(s, { token: { error: 'invalid_client' } }, { status: 502, reason: 'token_endpoint_refused_client' });
});

// OIDC Core §5.3.2: userinfo about someone else (token substitution) must not be used.
t('userinfo sub differs from the ID token sub → 401 userinfo_subject_mismatch', () => main, async (s) => {
  const calls = s.fake.counts.userinfo;
  await refused(s, { idToken: { omit: ['email', 'email_verified'] }, userinfo: { sub: 'someone-else-9999', email: 'mallory@example.com' } },
    { status: 401, reason: 'userinfo_subject_mismatch' });
  assert.equal(s.fake.counts.userinfo, calls + 1, 'userinfo was called');
});

// Without an e-mail in the ID token the sign-in needs userinfo; a broken one stops it.
t('userinfo answers 500 when it is needed → 502 userinfo_failed', () => main, async (s) => {
  await refused(s, { idToken: { omit: ['email', 'email_verified'] }, userinfo: { status: 500, body: 'oops' } }, { status: 502, reason: 'userinfo_failed' });
});

// A kid the JWKS lacks triggers exactly one refetch (the provider may have rotated), then fails.
t('unknown kid → 401 id_token_unknown_kid after exactly one JWKS refetch', () => kid, async (s) => {
  await signsIn(s);
  const fetched = s.fake.counts.jwks;
  assert.equal(fetched, 1, 'one JWKS fetch for the first sign-in');
  await refused(s, { idToken: { kid: 'no-such-kid-2024' } }, { status: 401, reason: 'id_token_unknown_kid' });
  assert.equal(s.fake.counts.jwks, fetched + 1, 'exactly one refetch');
  // Made-up kids right after are rate-limited: no new fetch per token.
  await refused(s, { idToken: { kid: 'another-made-up-kid' } }, { status: 401, reason: 'id_token_unknown_kid' });
  assert.equal(s.fake.counts.jwks, fetched + 1, 'no refetch flood');
});

// OIDC Core §10.1.1: the provider rotates to a new kid; latchkey refetches once and signs in.
t('key rotation: new kid, one JWKS refetch, sign-in succeeds', () => rotate, async (s) => {
  await signsIn(s);
  assert.equal(s.fake.counts.jwks, 1);
  s.fake.rotateKey();
  await signsIn(s);
  assert.equal(s.fake.counts.jwks, 2, 'exactly one extra JWKS fetch');
  await signsIn(s);
  assert.equal(s.fake.counts.jwks, 2, 'the new key set is cached');
});

// Single-flight: six callbacks signed with a new kid arrive at once on different threads;
// the JWKS is fetched once for all of them, and all sign in.
t('key rotation under concurrent callbacks: one JWKS refetch for all', () => rotateMany, async (s) => {
  await signsIn(s);
  s.fake.rotateKey();
  const before_ = s.fake.counts.jwks;
  const flows = await Promise.all(Array.from({ length: 6 }, async () => {
    const client = s.client();
    return { client, cb: await toCallback(s, client) };
  }));
  const answers = await Promise.all(flows.map(({ client, cb }) => client.get(cb)));
  answers.forEach((r, i) => assertSignedIn(r, flows[i].client));
  assert.equal(s.fake.counts.jwks, before_ + 1, 'exactly one JWKS fetch for six callbacks');
});

// Discovery §4.3 and a JWKS that is not a key set, on a latchkey that has cached neither:
// /login itself fails on a bad discovery document; a garbage JWKS fails the callback. A failure
// is remembered for 5 s (OidcMetadataCache::kFailureMemorySeconds), so each case waits that
// out; once the provider is fixed, sign-in works.
const FAILURE_MEMORY_MS = 5200;
t('discovery issuer mismatch or garbage → 502 at /login; JWKS garbage → 502 jwks_invalid', () => jwks, async (s) => {
  for (const [scenario, reason, wait] of [
    [{ discovery: { issuer: 'https://evil.example.com' } }, 'discovery_issuer_mismatch', 0],
    [{ discoveryBody: '<html>not a discovery document</html>' }, 'discovery_failed', FAILURE_MEMORY_MS],
  ]) {
    await sleep(wait);
    s.fake.script(scenario);
    const mark = logMark(s);
    const client = s.client();
    const r = await client.get('/login');
    await assertRefused(s, r, { status: 502, reason, mark, client });
  }
  await sleep(FAILURE_MEMORY_MS);
  await refused(s, { jwks: { body: 'this is not a key set <html>' } }, { status: 502, reason: 'jwks_invalid' });
  await sleep(FAILURE_MEMORY_MS);
  await refused(s, { jwks: { body: '{"keys":"nope"}' } }, { status: 502, reason: 'jwks_invalid' });
  await sleep(FAILURE_MEMORY_MS);
  await signsIn(s);
});
