// An e-mail address the provider has not verified (email_verified false or absent) is never
// passed on as if it were proven, through the real nginx in front of latchkey: refused with a
// 403 page by default; with allow_unverified_email the account signs in and the address
// appears in no /auth header, page or /userinfo. Provider: tests/provider/fake-provider.mjs
// (a real provider will not send such tokens on demand).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeStack, attemptSignIn, assertRefused, assertSignedIn, logMark } from '../provider/fake-stack.mjs';
import { FAKE_USER } from '../provider/fake-provider.mjs';

const UNVERIFIED = [
  ['email_verified false', { idToken: { claims: { email_verified: false } } }],
  ['email_verified absent', { idToken: { omit: ['email_verified'] } }],
];

describe('default: refused', () => {
  let stack;
  before(async () => { stack = await startFakeStack('unverified-email-default'); });
  after(async () => { await stack?.stop(); });

  for (const [what, scenario] of UNVERIFIED) {
    test(`${what} → 403, no session`, async () => {
      stack.fake.script(scenario);
      const client = stack.client();
      const mark = logMark(stack);
      const { response } = await attemptSignIn(stack, client);
      await assertRefused(stack, response, { status: 403, reason: 'email_not_verified', event: 'sign_in_refused', mark, client });
      assert.match(response.body, /verified/);
      assert.equal((await client.get('/_latchkey/auth')).status, 401);
    });
  }
});

describe('allow_unverified_email = true: signed in without the address', () => {
  let stack;
  before(async () => { stack = await startFakeStack('unverified-email-allowed', { config: { allow_unverified_email: 'true' } }); });
  after(async () => { await stack?.stop(); });

  for (const [what, scenario] of UNVERIFIED) {
    test(`${what} → signed in, address in no header, page or /userinfo`, async () => {
      stack.fake.script(scenario);
      const client = stack.client();
      const { response } = await attemptSignIn(stack, client);
      assertSignedIn(response, client);
      const auth = await client.get('/_latchkey/auth');
      assert.equal(auth.status, 200);
      assert.equal(auth.header('x-auth-request-user'), FAKE_USER.sub);
      assert.ok(!auth.header('x-auth-request-email'), `X-Auth-Request-Email: ${auth.header('x-auth-request-email')}`);
      for (const path of ['/userinfo', '/']) {
        const r = await client.get(path);
        assert.equal(r.status, 200, path);
        assert.ok(!r.body.includes(FAKE_USER.email), `${path} shows the unverified address:\n${r.body}`);
      }
    });
  }

  // A verified address in the same deployment is passed on as always.
  test('a verified address is still passed on', async () => {
    stack.fake.script({});
    const client = stack.client();
    const { response } = await attemptSignIn(stack, client);
    assertSignedIn(response, client);
    assert.equal((await client.get('/_latchkey/auth')).header('x-auth-request-email'), FAKE_USER.email);
  });
});
