// provider = github with allowed_github_orgs: organisation and team memberships from the
// (fake) GitHub API with the read:org scope, as groups "org" and "org/team"; the site-wide
// rule at sign-in, per-location group rules at /auth, paging of long membership lists.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeStack, attemptSignIn, assertRefused, assertSignedIn, logMark } from '../provider/fake-stack.mjs';

let stack;
before(async () => {
  stack = await startFakeStack('github_orgs', { kind: 'github', config: { allowed_github_orgs: 'acme/devs other-org' } });
});
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

// A member of team acme/devs signs in; /auth names org and team as groups, and a location
// for another team answers 403.
t('a team member signs in; groups are org and org/team', async () => {
  const client = stack.client();
  const { response } = await attemptSignIn(stack, client);
  assertSignedIn(response, client);
  assert.ok(stack.fake.counts.orgs >= 1 && stack.fake.counts.teams >= 1);
  const auth = await client.get('/_latchkey/auth');
  assert.equal(auth.status, 200);
  assert.equal(auth.header('x-auth-request-groups'), 'acme,acme/devs');
  assert.equal((await client.get('/_latchkey/auth?allowed_groups=acme/devs')).status, 200);
  const other = await client.get('/_latchkey/auth?allowed_groups=acme/ops');
  assert.equal(other.status, 403);
  assert.match(other.header('x-auth-request-denied'), /^allowed_groups: .*acme\/ops/);
});

// Only an org member, not in the team: the sign-in is refused with a page naming the rule.
t('an org member outside the allowed team is refused at sign-in', async () => {
  stack.fake.script({ teams: [] });
  const client = stack.client();
  const mark = logMark(stack);
  const { response } = await attemptSignIn(stack, client);
  await assertRefused(stack, response, { status: 403, reason: 'access_denied', event: 'sign_in_refused', mark, client });
  assert.match(response.body, /allowed_github_orgs/);
  assert.match(response.body, /acme\/devs/);
});

// 250 organisations: the allowed one on the third page is still found.
t('memberships are read across pages', async () => {
  const orgs = Array.from({ length: 250 }, (_, i) => ({ login: i === 249 ? 'Other-Org' : `org-${i}`, id: i + 10 }));
  stack.fake.script({ orgs, teams: [] });
  const client = stack.client();
  const { response } = await attemptSignIn(stack, client);
  assertSignedIn(response, client);
  const auth = await client.get('/_latchkey/auth?allowed_groups=other-org');
  assert.equal(auth.status, 200);
});
