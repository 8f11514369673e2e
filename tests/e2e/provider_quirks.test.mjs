// What real providers do off the standard, scripted on the fake provider: a used code answered
// 403 invalid_code (Glewlwyd) instead of 400 invalid_grant, --check judging the client by what
// the token endpoint says about it, Entra ID's multi-tenant issuer template (allowed only for
// the tenants in allowed_tenants), and an email_verified that is not a boolean.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeStack, attemptSignIn, assertRefused, assertSignedIn, logMark } from '../provider/fake-stack.mjs';
import { runCheck } from './lib/latchkey.mjs';
import { visibleText } from './lib/client.mjs';

const TENANT_A = '9188040d-6c67-4c5b-b112-36a304b66dad';
const TENANT_B = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const STRANGER = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';

let main;      // allowed_domains set, so an unverified address is refused
let tenants;   // issuer .../organizations/v2.0 with allowed_tenants
let noList;    // the same issuer without allowed_tenants
before(async () => {
  main = await startFakeStack('provider-quirks', { config: { allowed_domains: 'example.com' } });
  const organizations = (fake) => `${fake.issuer}/organizations/v2.0`;
  tenants = await startFakeStack('provider-quirks-tenants', {
    config: (fake) => ({ issuer: organizations(fake), allowed_tenants: `${TENANT_A} ${TENANT_B}` }),
  });
  noList = await startFakeStack('provider-quirks-no-tenants', { config: (fake) => ({ issuer: organizations(fake) }) });
});
after(async () => {
  const errors = [];
  for (const s of [main, tenants, noList]) {
    try { await s?.stop(); } catch (err) { errors.push(err); }
  }
  if (errors.length) throw errors[0];
});

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

// Glewlwyd answers a used or expired code with 403 {"error":"invalid_code"}: the visitor gets
// the 400 "already used or has expired" page, not a 502 "unusable answer".
t('403 invalid_code for the code gives the 400 "already used" page', () => main, async (stack) => {
  stack.fake.script({ token: { status: 403, body: '{"error":"invalid_code"}' } });
  const client = stack.client();
  const mark = logMark(stack);
  const attempt = await attemptSignIn(stack, client);
  await assertRefused(stack, attempt.response, { status: 400, reason: 'token_endpoint_refused_grant', mark, client });
  assert.match(visibleText(attempt.response.body), /already used or has expired/);
});

// --check: what the answer says about the client decides, whatever the status.
t('--check judges the client by the token endpoint\'s error', () => main, async (stack) => {
  const check = (token) => {
    stack.fake.script({ token });
    return runCheck({ dir: stack.dir, config: stack.config });
  };
  const standard = await check({ status: 400, body: '{"error":"invalid_grant"}' });
  assert.equal(standard.code, 0, standard.output);
  assert.doesNotMatch(standard.stdout, /off-standard/);
  for (const answer of [{ status: 403, body: '{"error":"invalid_code"}' }, { status: 401, body: '{"error":"expired_code"}' }]) {
    const r = await check(answer);
    assert.equal(r.code, 0, r.output);
    assert.match(r.stdout, new RegExp(`answered ${answer.status} error=${JSON.parse(answer.body).error}, not RFC 6749 section 5.2's 400 invalid_grant; the provider answers off-standard`));
  }
  for (const answer of [{ status: 400, body: '{"error":"invalid_client"}' }, { status: 403, body: '{"error":"unauthorized_client"}' }, { status: 401, body: '' }]) {
    const r = await check(answer);
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /refused the client: wrong client_id or client_secret: .*using client_secret_basic/);
  }
  for (const answer of [{ status: 500, body: '{"error":"server_error"}' }, { status: 403, body: '<html>forbidden</html>' }]) {
    const r = await check(answer);
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /unexpected answer from the token endpoint/);
  }
});

// email_verified "yes" is neither a boolean nor "true"/"false": the refusal says so and how
// to make the provider send the claim.
t('email_verified of the wrong type: the refusal names the claim', () => main, async (stack) => {
  stack.fake.script({ idToken: { claims: { email_verified: 'yes' } } });
  const client = stack.client();
  const mark = logMark(stack);
  const attempt = await attemptSignIn(stack, client);
  await assertRefused(stack, attempt.response, { status: 403, reason: 'email_not_verified', event: 'sign_in_refused', mark, client });
  const text = visibleText(attempt.response.body);
  assert.match(text, /the ID token's email_verified is the string "yes", not the JSON boolean true/);
  assert.match(text, /Make the provider send email_verified as a JSON boolean/);
});

// "true" as a string is tolerated (some providers quote booleans).
t('email_verified "true" as a string is accepted', () => main, async (stack) => {
  stack.fake.script({ idToken: { claims: { email_verified: 'true' } } });
  const client = stack.client();
  const attempt = await attemptSignIn(stack, client);
  assertSignedIn(attempt.response, client);
});

// Entra ID multi-tenant: discovery at .../organizations/v2.0 gives the issuer template
// .../{tenantid}/v2.0; each ID token carries its real tenant.
function entraScenario(stack, tenant) {
  return {
    discovery: { issuer: `${stack.fake.issuer}/{tenantid}/v2.0` },
    idToken: { claims: { iss: `${stack.fake.issuer}/${tenant}/v2.0`, tid: tenant } },
  };
}

t('issuer template: ID tokens only from allowed_tenants', () => tenants, async (stack) => {
  for (const tenant of [TENANT_A, TENANT_B]) {
    stack.fake.script(entraScenario(stack, tenant));
    const client = stack.client();
    assertSignedIn((await attemptSignIn(stack, client)).response, client);
  }
  for (const iss of [`${stack.fake.issuer}/${STRANGER}/v2.0`, `${stack.fake.issuer}/{tenantid}/v2.0`, `${stack.fake.issuer}/organizations/v2.0`]) {
    stack.fake.script({ ...entraScenario(stack, TENANT_A), idToken: { claims: { iss } } });
    const client = stack.client();
    const mark = logMark(stack);
    const attempt = await attemptSignIn(stack, client);
    await assertRefused(stack, attempt.response, { status: 401, reason: 'id_token_issuer_mismatch', mark, client });
  }
  stack.fake.script(entraScenario(stack, TENANT_A));
  const r = await runCheck({ dir: stack.dir, config: stack.config });
  assert.equal(r.code, 0, r.output);
  assert.match(r.stdout, /multi-tenant template .*\{tenantid\}\/v2\.0; ID tokens accepted only from 2 tenant\(s\) of allowed_tenants/);
});

// Without allowed_tenants the template is an issuer mismatch: never any tenant by accident.
t('issuer template without allowed_tenants is refused', () => noList, async (stack) => {
  stack.fake.script(entraScenario(stack, TENANT_A));
  const r = await runCheck({ dir: stack.dir, config: stack.config });
  assert.equal(r.code, 1, r.output);
  assert.match(r.output, /multi-tenant template: list the tenants to let in with allowed_tenants/);
  const client = stack.client();
  const login = await client.get('/login');
  assert.equal(login.status, 502, 'no sign-in starts against an unconfigured template');
});
