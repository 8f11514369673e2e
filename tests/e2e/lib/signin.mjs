// Signing in without a browser: the same requests a browser makes, through nginx to latchkey
// and to the dev provider's login form (tests/provider/dev-provider.mjs).
import assert from 'node:assert/strict';
import { DEMO_ACCOUNT } from './provider.mjs';

// GET /login[?rd=] on latchkey: must be a 302 to the provider's authorization endpoint.
// Returns that URL (the start of one "tab").
export async function beginSignIn(client, { rd, loginPath = '/login' } = {}) {
  const target = rd === undefined ? loginPath : `${loginPath}?rd=${encodeURIComponent(rd)}`;
  const r = await client.get(target);
  assert.equal(r.status, 302, `GET ${target} should redirect to the provider\n${r.body.slice(0, 500)}\n${client.describe()}`);
  assert.ok(r.location, 'the redirect has a Location');
  return r.location;
}

// Walks the provider from its authorization endpoint: its redirects, its login form (if the
// provider has no session yet), until it redirects back to a URL outside the provider: the
// callback with code and state, which is returned without being requested.
export async function authorizeAtProvider(client, authorizeUrl, account = DEMO_ACCOUNT) {
  const providerOrigin = new URL(authorizeUrl).origin;
  let r = await client.get(authorizeUrl);
  for (let hop = 0; hop < 12; hop++) {
    if (r.status >= 300 && r.status < 400 && r.location) {
      if (new URL(r.location).origin !== providerOrigin) return r.location;
      r = await client.get(r.location);
      continue;
    }
    const form = r.body.match(/<form[^>]*action="([^"]*\/interaction\/[^"]*\/login)"/);
    if (r.status === 200 && form) {
      r = await client.post(new URL(form[1], r.url).toString(), { form: { login: account.login, password: account.password } });
      continue;
    }
    break;
  }
  throw new Error(`the provider did not redirect back (last answer ${r.status}: ${r.body.slice(0, 400)})\n${client.describe()}`);
}

// Requests the callback URL through nginx; returns latchkey's answer (not followed).
export function finishSignIn(client, callbackUrl) {
  return client.get(callbackUrl);
}

// The whole sign-in. Returns {callbackUrl, response}; asserts latchkey answered the callback
// with a redirect that sets the session cookie.
export async function signIn(client, account = DEMO_ACCOUNT, { rd, sessionCookie = 'latchkey' } = {}) {
  const authorizeUrl = await beginSignIn(client, { rd });
  const callbackUrl = await authorizeAtProvider(client, authorizeUrl, account);
  const response = await finishSignIn(client, callbackUrl);
  assert.equal(response.status, 302, `the callback should redirect after sign-in (got ${response.status}: ${response.body.slice(0, 600)})\n${client.describe()}`);
  assert.ok(client.jar.get(sessionCookie), `the callback should set the ${sessionCookie} cookie (Set-Cookie: ${JSON.stringify(response.setCookies)})`);
  return { authorizeUrl, callbackUrl, response };
}

// Hidden inputs and action of the dev provider's logout confirmation form (its end_session
// endpoint): { url, fields } to POST.
export function logoutForm(html, base) {
  const form = html.match(/<form[^>]*id="op\.logoutForm"[^>]*>([\s\S]*?)<\/form>/);
  assert.ok(form, `the provider's logout confirmation form:\n${html.slice(0, 800)}`);
  const action = form[0].match(/action="([^"]+)"/)[1];
  const fields = Object.fromEntries([...form[1].matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  return { url: new URL(action, base).toString(), fields };
}
