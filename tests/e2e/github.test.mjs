// provider = github against a fake GitHub (Enterprise layout: issuer is the base URL, the API
// at ISSUER/api/v3): the token endpoint answers JSON because latchkey asks with Accept, the
// identity comes from /user and the primary verified address from /user/emails. Refusals end
// in an error page, a sign_in_failed log line and no session. Fake: tests/provider/fake-github.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeStack, attemptSignIn, assertRefused, assertSignedIn, logMark } from '../provider/fake-stack.mjs';
import { GITHUB_USER } from '../provider/fake-github.mjs';
import { visibleText } from './lib/client.mjs';

let stack;
before(async () => { stack = await startFakeStack('github', { kind: 'github' }); });
after(async () => { await stack?.stop(); });

const t = (name, fn) => test(name, async () => {
  try {
    await fn();
  } catch (err) {
    err.message = `${err.message}\n${stack.diagnostics()}`;
    throw err;
  } finally {
    stack.fake.script({});
  }
});

async function refused(scenario, { status, reason, event }) {
  stack.fake.script(scenario);
  const client = stack.client();
  const mark = logMark(stack);
  const { response } = await attemptSignIn(stack, client);
  const line = await assertRefused(stack, response, { status, reason, event, mark, client });
  assert.equal((await client.get('/_latchkey/auth')).status, 401, 'no session after a refused sign-in');
  return { response, line };
}

// The whole GitHub sign-in: JSON token answer (Accept), PKCE, client_secret_post, the numeric
// id as subject and the primary verified address as e-mail.
t('sign-in with the primary verified e-mail', async () => {
  const client = stack.client();
  const before_ = stack.fake.tokenRequests.length;
  const { response } = await attemptSignIn(stack, client);
  assertSignedIn(response, client);
  const req = stack.fake.tokenRequests[before_];
  assert.match(req.accept, /application\/json/, 'latchkey asks for JSON');
  assert.equal(req.clientOk, true, 'client_id and client_secret in the body');
  assert.equal(req.pkceOk, true, 'code_verifier matches the S256 challenge');
  assert.equal(stack.fake.counts.user, 1);
  assert.equal(stack.fake.counts.emails, 1);

  const home = await client.get('/');
  assert.match(visibleText(home.body), new RegExp(`Logged in as ${GITHUB_USER.email.replace('.', '\\.')}`));
  const auth = await client.get('/_latchkey/auth');
  assert.equal(auth.status, 200);
  assert.equal(auth.header('x-auth-request-user'), String(GITHUB_USER.id), 'the stable numeric id is the subject');
  assert.equal(auth.header('x-auth-request-email'), GITHUB_USER.email, 'the primary address, not the other verified one');
  assert.equal(auth.header('x-auth-request-name'), GITHUB_USER.name);
  const line = await stack.latchkey.waitForLog((o) => o.event === 'sign_in' && o.email === GITHUB_USER.email);
  assert.equal(line.sub, String(GITHUB_USER.id));
});

// An unverified primary address proves nothing (anyone can type any address), even when
// another address on the account is verified: the e-mail policy refuses it, as it refuses an
// OIDC email_verified=false.
t('unverified primary e-mail → 403 email_not_verified', async () => {
  await refused({ emails: [
    { email: 'someone-else@example.com', primary: true, verified: false, visibility: 'public' },
    { email: 'octocat-old@example.net', primary: false, verified: true, visibility: null },
  ] }, { status: 403, reason: 'email_not_verified', event: 'sign_in_refused' });
});

// No primary address at all.
t('no primary e-mail → 403 no_verified_email', async () => {
  await refused({ emails: [{ email: 'octocat-old@example.net', primary: false, verified: true, visibility: null }] },
    { status: 403, reason: 'no_verified_email' });
});

// GitHub reports a bad or used code as HTTP 200 with a JSON error.
t('token endpoint JSON error bad_verification_code → 400 token_endpoint_refused_grant', async () => {
  const { response } = await refused({ token: { error: 'bad_verification_code' } }, { status: 400, reason: 'token_endpoint_refused_grant' });
  assert.match(visibleText(response.body), /code/i, 'the page says the code was refused');
});

// GitHub's name for invalid_client.
t('token endpoint JSON error incorrect_client_credentials → 502 token_endpoint_refused_client', async () => {
  await refused({ token: { error: 'incorrect_client_credentials' } }, { status: 502, reason: 'token_endpoint_refused_client' });
});
