// Refresh single-flight across processes through the real pieces: two latchkey processes
// behind two nginx share one SQLite session store, in front of the oidc-provider, which
// rotates refresh tokens. A browser's old cookie reaches both after its access token expired:
// the provider sees one refresh_token grant, and both processes hand out the new session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startStack } from './lib/stack.mjs';
import { startLatchkey } from './lib/latchkey.mjs';
import { startNginx } from './lib/nginx.mjs';
import { freePort } from './lib/ports.mjs';
import { workDir } from './lib/paths.mjs';
import { Client } from './lib/client.mjs';
import { signIn } from './lib/signin.mjs';
import { sessionSetCookie } from './lib/assertions.mjs';
import { DEMO_ACCOUNT } from './lib/provider.mjs';
import { sleep } from './lib/process.mjs';

const ACCESS_TOKEN_TTL = 2;
let stack;
let second;

before(async () => {
  const storeDir = workDir('refresh_shared-store');
  stack = await startStack('refresh_shared', {
    provider: { accessTokenTTL: ACCESS_TOKEN_TTL },
    config: { session_store: `sqlite:${path.join(storeDir, 'state.db')}` },
  });
  const dir = workDir('refresh_shared-second');
  const port = await freePort();
  const latchkey = await startLatchkey({ dir, config: stack.config });
  const nginx = await startNginx({ dir, latchkeySocket: latchkey.socket, port });
  second = { latchkey, nginx, url: `http://127.0.0.1:${port}` };
});

after(async () => {
  await second?.nginx.stop().catch(() => {});
  await second?.latchkey.stop().catch(() => {});
  await stack?.stop();
});

test('the old cookie at a second process takes the first one\'s refresh: one grant, both renewed', async () => {
  const first = stack.client();
  await signIn(first);
  // The same browser state, sent to the other process (as a load balancer would).
  const other = new Client(second.url, { jar: first.jar.clone() });
  await sleep((ACCESS_TOKEN_TTL + 1) * 1000);
  const grantsBefore = (await stack.provider.grants()).refresh_token ?? 0;

  const a = await first.get('/_latchkey/auth');
  assert.equal(a.status, 200, stack.diagnostics());
  assert.ok(sessionSetCookie(a), 'the first process renewed the session');
  const b = await other.get('/_latchkey/auth');
  assert.equal(b.status, 200, second.latchkey.tail(30));
  assert.ok(sessionSetCookie(b), 'the second process renewed the session too');
  assert.equal(b.header('x-auth-request-email'), DEMO_ACCOUNT.login);
  assert.equal((await stack.provider.grants()).refresh_token ?? 0, grantsBefore + 1,
    'the provider saw exactly one refresh_token grant');
  assert.ok(second.latchkey.logs().some((o) => o.event === 'session_refreshed'), 'logged as a refresh');

  // The renewed cookie from the second process works on the first, and no further grant is made.
  const back = new Client(stack.url, { jar: other.jar.clone() });
  const again = await back.get('/_latchkey/auth');
  assert.equal(again.status, 200);
  assert.equal((await stack.provider.grants()).refresh_token ?? 0, grantsBefore + 1);
});
