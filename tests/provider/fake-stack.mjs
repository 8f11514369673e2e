// nginx + latchkey in front of a fake provider running in the test process (fake-provider.mjs
// or fake-github.mjs), built from the e2e harness parts (tests/e2e/lib). One stack per test
// file or per scenario that needs a fresh latchkey (empty JWKS cache); stop() in after().
// Also the helpers every hostile-provider test uses: walk a sign-in to the callback, and
// assert a refusal (status, HTML page, no session cookie, the log line with its reason).
import assert from 'node:assert/strict';
import { workDir } from '../e2e/lib/paths.mjs';
import { freePort } from '../e2e/lib/ports.mjs';
import { startLatchkey, newCookieSecret } from '../e2e/lib/latchkey.mjs';
import { startNginx } from '../e2e/lib/nginx.mjs';
import { Client } from '../e2e/lib/client.mjs';
import { assertHtmlPage, sessionSetCookie } from '../e2e/lib/assertions.mjs';
import { sleep } from '../e2e/lib/process.mjs';
import { startFakeProvider } from './fake-provider.mjs';
import { startFakeGithub } from './fake-github.mjs';

export const SESSION_COOKIE = 'latchkey';

// kind: 'oidc' (fake OpenID provider) or 'github' (fake GitHub Enterprise layout).
// binary: the latchkey to run (default: the harness's choice, see tests/e2e/lib/paths.mjs).
// config: overrides, or a function of the started fake that returns them.
export async function startFakeStack(name, { kind = 'oidc', config = {}, latchkeyArgs = [], binary } = {}) {
  const dir = workDir(name);
  const stack = { dir, started: [] };
  stack.stop = async () => {
    const errors = [];
    for (const part of stack.started.reverse()) {
      try { await part.stop(); } catch (err) { errors.push(err); }
    }
    stack.started = [];
    if (errors.length) throw errors.length === 1 ? errors[0] : new AggregateError(errors, errors.map((e) => e.message).join('\n'));
  };
  try {
    stack.fake = kind === 'github' ? await startFakeGithub() : await startFakeProvider();
    stack.started.push(stack.fake);
    const port = await freePort();
    stack.url = `http://127.0.0.1:${port}`;
    stack.redirectUri = `${stack.url}/login/authorized`;
    stack.config = {
      ...(kind === 'github' ? { provider: 'github' } : {}),
      issuer: stack.fake.issuer,
      client_id: stack.fake.clientId,
      client_secret: stack.fake.clientSecret,
      redirect_uri: stack.redirectUri,
      cookie_secret: newCookieSecret(),
      log_level: 'debug',
      ...(typeof config === 'function' ? config(stack.fake) : config),
    };
    stack.latchkey = await startLatchkey({ dir, config: stack.config, args: latchkeyArgs, binary });
    stack.started.push(stack.latchkey);
    stack.nginx = await startNginx({ dir, latchkeySocket: stack.latchkey.socket, port });
    stack.started.push(stack.nginx);
  } catch (err) {
    await stack.stop().catch(() => {});
    throw err;
  }
  stack.client = () => new Client(stack.url);
  stack.diagnostics = () => `${stack.latchkey?.tail(30) ?? ''}\n--- nginx-error.log (tail) ---\n${stack.nginx?.errorTail() ?? ''}`;
  return stack;
}

// /login on latchkey, then the fake's authorization endpoint, which redirects straight back.
// Returns the callback URL (not yet requested).
export async function toCallback(stack, client, { rd } = {}) {
  const login = await client.get(rd === undefined ? '/login' : `/login?rd=${encodeURIComponent(rd)}`);
  assert.equal(login.status, 302, `/login should redirect to the provider\n${login.body.slice(0, 300)}`);
  const atProvider = await client.get(login.location);
  assert.equal(atProvider.status, 302, `the fake's authorize should redirect back (${atProvider.status}: ${atProvider.body.slice(0, 300)})`);
  assert.ok(atProvider.location.startsWith(stack.redirectUri), `back to the callback: ${atProvider.location}`);
  return atProvider.location;
}

// A whole sign-in attempt; returns latchkey's answer to the callback plus the time it took.
export async function attemptSignIn(stack, client = stack.client(), opts) {
  const callbackUrl = await toCallback(stack, client, opts);
  const started = Date.now();
  const response = await client.get(callbackUrl);
  return { callbackUrl, response, ms: Date.now() - started };
}

// The JSON log lines latchkey wrote from index `from` on, polled until one satisfies test.
export async function waitForLogSince(stack, from, test, { timeoutMs = 3000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = stack.latchkey.logs().slice(from).find(test);
    if (found) return found;
    if (Date.now() > deadline) return null;
    await sleep(25);
  }
}

export const logMark = (stack) => stack.latchkey.logs().length;

// A refused sign-in as SPEC says: an HTML error page with the status, no session cookie
// (no Set-Cookie of it with a value, none in the jar), and a sign_in_failed log line
// (or `event`) whose reason is the expected one. Returns the log line.
export async function assertRefused(stack, response, { status, reason, event = 'sign_in_failed', mark, client }) {
  const where = `${response.method} ${response.url}`;
  assert.equal(response.status, status, `${where}: status (body: ${response.body.slice(0, 800)})`);
  assertHtmlPage(response);
  assert.equal(sessionSetCookie(response, SESSION_COOKIE), null, `${where}: no session cookie may be set: ${JSON.stringify(response.setCookies)}`);
  if (client) assert.equal(client.jar.get(SESSION_COOKIE), undefined, 'no session cookie in the browser');
  const line = await waitForLogSince(stack, mark ?? 0, (o) => o.event === event && o.reason === reason);
  const recent = stack.latchkey.logs().slice(mark ?? 0).map((o) => JSON.stringify(o)).join('\n');
  assert.ok(line, `expected a log line event=${event} reason=${reason}; latchkey logged:\n${recent}`);
  assert.equal(typeof line.time, 'string', `log line has a time: ${JSON.stringify(line)}`);
  return line;
}

// A successful callback: 302 with the session cookie.
export function assertSignedIn(response, client) {
  assert.equal(response.status, 302, `the callback should redirect after sign-in (got ${response.status}: ${response.body.slice(0, 600)})`);
  assert.ok(sessionSetCookie(response, SESSION_COOKIE), `session cookie set: ${JSON.stringify(response.setCookies)}`);
  if (client) assert.ok(client.jar.get(SESSION_COOKIE), 'the browser keeps the session cookie');
}
