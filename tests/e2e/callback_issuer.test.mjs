// RFC 9207 through nginx: where the provider's discovery says
// authorization_response_iss_parameter_supported, a callback without iss (or with another
// issuer's) is refused before its code reaches the token endpoint (mix-up attack). (An iss
// sent without that flag is checked too: tests/unit/oidc/oidc_provider_test.cc.) Provider:
// tests/provider/fake-provider.mjs, scripted before latchkey's first (cached) discovery.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeStack, toCallback, assertRefused, assertSignedIn, logMark } from '../provider/fake-stack.mjs';

let stack;
before(async () => { stack = await startFakeStack('callback-issuer'); });
after(async () => { await stack?.stop(); });

const withIss = (url, iss) => {
  const u = new URL(url);
  u.searchParams.set('iss', iss);
  return u.toString();
};

// Runs one sign-in at a provider that advertises iss, editing the callback URL.
async function callback({ edit }) {
  stack.fake.script({ discovery: { authorization_response_iss_parameter_supported: true } });
  const client = stack.client();
  const url = edit(await toCallback(stack, client));
  const tokenCalls = stack.fake.counts.token;
  const mark = logMark(stack);
  return { client, r: await client.get(url), tokenCalls, mark };
}

test('the provider advertises iss: without it, or with another issuer, refused unredeemed; with it, signed in', async () => {
  for (const edit of [(u) => u, (u) => withIss(u, 'https://evil.example')]) {
    const { client, r, tokenCalls, mark } = await callback({ edit });
    await assertRefused(stack, r, { status: 400, reason: 'callback_issuer_mismatch', mark, client });
    assert.equal(stack.fake.counts.token, tokenCalls, 'the code was not sent to the token endpoint');
  }
  const { client, r } = await callback({ edit: (u) => withIss(u, stack.fake.issuer) });
  assertSignedIn(r, client);
});
