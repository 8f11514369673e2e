// Concurrency end to end (issue 7, item 3): right after the provider rotates its signing key,
// 200 sign-ins arrive at once. Every ID token carries the new kid, which latchkey's cached
// JWKS lacks; the refetch is single-flight (oidc_metadata.h), so the provider sees at most 2
// JWKS fetches, not 200, and every sign-in succeeds. The fake provider's authorization
// endpoint redirects straight back, so no browser is needed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeStack, attemptSignIn, toCallback, assertSignedIn } from '../provider/fake-stack.mjs';
import { withLogs } from './lib/assertions.mjs';

const SIGN_INS = 200;
const THREADS = 16;

let stack;
before(async () => {
  stack = await startFakeStack('concurrency', { latchkeyArgs: ['--threads', String(THREADS)] });
});
after(async () => { await stack?.stop(); });

// Runs fn over items with at most `width` in flight.
async function inBatches(items, width, fn) {
  const out = [];
  for (let i = 0; i < items.length; i += width) out.push(...await Promise.all(items.slice(i, i + width).map(fn)));
  return out;
}

test(`${SIGN_INS} sign-ins at once right after a key rotation: at most 2 JWKS fetches, all succeed`, async (tt) => withLogs(stack, async () => {
  // One sign-in first, so the old key set is cached (one fetch).
  const first = stack.client();
  assertSignedIn((await attemptSignIn(stack, first)).response, first);
  assert.equal(stack.fake.counts.jwks, 1, 'the first sign-in fetched the JWKS once');

  // Each visitor starts a sign-in and comes back from the provider with a code; the tokens
  // for these codes are minted when latchkey redeems them, i.e. with the new key.
  const clients = Array.from({ length: SIGN_INS }, () => stack.client());
  const callbacks = await inBatches(clients, 20, (c) => toCallback(stack, c));
  const newKid = stack.fake.rotateKey();
  const before_ = stack.fake.counts.jwks;

  const started = Date.now();
  const answers = await Promise.all(clients.map((c, i) => c.get(callbacks[i])));
  const ms = Date.now() - started;

  const fetches = stack.fake.counts.jwks - before_;
  const statuses = {};
  for (const r of answers) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  console.log(`# ${SIGN_INS} concurrent callbacks after rotation to ${newKid}: ${fetches} JWKS fetch(es), statuses ${JSON.stringify(statuses)}, ${ms} ms`);
  assert.ok(fetches >= 1, 'the new key set was fetched');
  assert.ok(fetches <= 2, `at most 2 JWKS fetches for ${SIGN_INS} sign-ins (got ${fetches})`);
  answers.forEach((r, i) => assertSignedIn(r, clients[i]));
  const signIns = stack.latchkey.logs().filter((o) => o.event === 'sign_in').length;
  assert.equal(signIns, SIGN_INS + 1, 'one sign_in log line per sign-in');
})(tt));
