// Two providers at once behind the shipped nginx server block: the local OpenID provider
// (tests/provider/dev-provider.mjs, "corp") and the fake GitHub (tests/provider/fake-github.mjs,
// "github"). The picker page, each provider's sign-in and rules, /userinfo naming the provider,
// each provider failing alone while the other still signs in, and --check per provider.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { workDir } from './lib/paths.mjs';
import { freePort } from './lib/ports.mjs';
import { startProvider, DEMO_ACCOUNT, OTHER_ACCOUNT, CLIENT_ID, CLIENT_SECRET } from './lib/provider.mjs';
import { startLatchkey, newCookieSecret, runCheck } from './lib/latchkey.mjs';
import { startNginx } from './lib/nginx.mjs';
import { startGateNginx, startEchoUpstream } from './lib/gate.mjs';
import { Client, visibleText } from './lib/client.mjs';
import { authorizeAtProvider } from './lib/signin.mjs';
import { startFakeGithub, GITHUB_USER } from '../provider/fake-github.mjs';

const dir = workDir('providers');
let corp;
let github;
let latchkey;
let nginx;
let gate;
let upstream;
let url;
let config;

before(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  corp = await startProvider({ dir, redirectUris: [`${url}/login/authorized`] });
  github = await startFakeGithub();
  config = {
    providers: 'corp github',
    redirect_uri: `${url}/login/authorized`,
    cookie_secret: newCookieSecret(),
    log_level: 'debug',
    'corp.issuer': corp.issuer,
    'corp.client_id': CLIENT_ID,
    'corp.client_secret': CLIENT_SECRET,
    'corp.provider_name': 'Corp SSO',
    // A rule of corp's only: bob@example.org may not sign in there.
    'corp.allowed_domains': 'example.com',
    'github.provider': 'github',
    'github.issuer': github.issuer,
    'github.client_id': github.clientId,
  };
  // github's secret comes from the environment (LATCHKEY_<NAME>__<KEY>).
  latchkey = await startLatchkey({ dir, config, env: { LATCHKEY_GITHUB__CLIENT_SECRET: github.clientSecret } });
  nginx = await startNginx({ dir, latchkeySocket: latchkey.socket, port });
  // nginx/protect.conf in front of the same latchkey: its 401 starts the sign-in inside nginx.
  upstream = await startEchoUpstream();
  gate = await startGateNginx({ dir: workDir('providers-gate'), socket: latchkey.socket, root: dir, upstreamPort: upstream.port });
});

after(async () => {
  await gate?.stop();
  await upstream?.stop();
  await nginx?.stop();
  await latchkey?.stop();
  await github?.stop();
  await corp?.stop();
});

const diagnostics = () => `${latchkey?.tail(30) ?? ''}\n--- nginx-error.log (tail) ---\n${nginx?.errorTail() ?? ''}`;
const t = (name, fn) => test(name, async () => {
  try {
    await fn();
  } catch (err) {
    err.message = `${err.message}\n${diagnostics()}`;
    throw err;
  } finally {
    github.script({});
  }
});

// The links of the "Sign in with ..." buttons on a page: [{text, href}].
function buttons(html) {
  return [...html.matchAll(/<a class="button" href="([^"]*)">Sign in with ([^<]*)<\/a>/g)]
    .map((m) => ({ href: m[1].replaceAll('&amp;', '&'), text: m[2] }));
}

// /login?provider=NAME through the provider to the callback URL (not yet requested).
async function toCallback(client, name, account = DEMO_ACCOUNT, { rd } = {}) {
  const login = await client.get(`/login?provider=${name}${rd ? `&rd=${encodeURIComponent(rd)}` : ''}`);
  assert.equal(login.status, 302, `/login?provider=${name} redirects to the provider (${login.status}: ${login.body.slice(0, 300)})`);
  if (name === 'github') {
    const back = await client.get(login.location);
    assert.equal(back.status, 302, `fake GitHub redirects back (${back.status})`);
    return back.location;
  }
  return authorizeAtProvider(client, login.location, account);
}

async function signIn(name, account) {
  const client = new Client(url);
  const done = await client.get(await toCallback(client, name, account));
  assert.equal(done.status, 302, `callback of ${name} (${done.status}: ${visibleText(done.body).slice(0, 300)})`);
  assert.ok(client.jar.get('latchkey'), 'session cookie set');
  return client;
}

t('/login without a provider shows one button per provider, in the configured order', async () => {
  const page = await new Client(url).get('/login');
  assert.equal(page.status, 200);
  assert.deepEqual(buttons(page.body), [
    { text: 'Corp SSO', href: '/login?provider=corp' },
    { text: 'GitHub', href: '/login?provider=github' },
  ]);
  const home = await new Client(url).get('/');
  assert.equal(buttons(home.body).length, 2, 'the start page offers both too');
});

t('the gate keeps the whole return address through the picker', async () => {
  const client = new Client(url);
  const gate = await client.get('/app/?a=1&b=2');
  assert.equal(gate.status, 302);
  const picker = await client.get(gate.location);
  assert.equal(picker.status, 200, `picker (${picker.status})`);
  const corpButton = buttons(picker.body).find((b) => b.text === 'Corp SSO');
  assert.equal(corpButton.href, `/login?provider=corp&rd=${encodeURIComponent('/app/?a=1&b=2')}`);
  const login = await client.get(corpButton.href);
  assert.equal(login.status, 302);
  const done = await client.get(await authorizeAtProvider(client, login.location, DEMO_ACCOUNT));
  assert.equal(done.status, 302);
  assert.equal(new URL(done.location).pathname + new URL(done.location).search, '/app/?a=1&b=2');
  assert.equal((await client.get('/app/?a=1&b=2')).status, 200, 'signed in, the gate lets the visitor through');
});

t('protect.conf: the gate\'s 401 is the picker (status 401), the original URI carried through it', async () => {
  const client = new Client(gate.url);
  const picker = await client.get('/report?a=1&b=2');
  assert.equal(picker.status, 401, `the gate's own sign-in start (${picker.status})`);
  const github = buttons(picker.body).find((b) => b.text === 'GitHub');
  assert.equal(github.href, `/login?provider=github&rd=${encodeURIComponent('/report?a=1&b=2')}`);
  const login = await client.get(github.href);
  assert.equal(login.status, 302);
  const back = await client.get(login.location);
  const done = await client.get(back.location);
  assert.equal(done.status, 302);
  const landed = new URL(done.location);
  assert.equal(landed.pathname + landed.search, '/report?a=1&b=2');
  const app = await client.get(`${gate.url}/report?a=1&b=2`);
  assert.equal(app.status, 200, 'signed in, the gate lets the visitor through to the application');
  assert.equal(JSON.parse(app.body).url, '/report?a=1&b=2');
});

t('the OpenID provider signs in; /userinfo and the page name it', async () => {
  const client = await signIn('corp', DEMO_ACCOUNT);
  const info = JSON.parse((await client.get('/userinfo')).body);
  assert.equal(info.email, DEMO_ACCOUNT.login);
  assert.equal(info.provider, 'corp');
  assert.equal(info.provider_name, 'Corp SSO');
  assert.match(visibleText((await client.get('/')).body), /Signed in with\s*Corp SSO/);
  const whoami = await client.get('/_whoami/');
  assert.equal(whoami.status, 200);
  assert.equal(whoami.header('x-test-email'), DEMO_ACCOUNT.login);
  const line = await latchkey.waitForLog((o) => o.event === 'sign_in' && o.email === DEMO_ACCOUNT.login);
  assert.equal(line.provider, 'corp');
});

t('GitHub signs in; /userinfo and the page name it', async () => {
  const client = await signIn('github');
  const info = JSON.parse((await client.get('/userinfo')).body);
  assert.equal(info.sub, String(GITHUB_USER.id));
  assert.equal(info.provider, 'github');
  assert.equal(info.provider_name, 'GitHub');
  assert.match(visibleText((await client.get('/')).body), /Signed in with\s*GitHub/);
  assert.equal((await client.get('/_whoami/')).header('x-test-email'), GITHUB_USER.email);
});

t("a provider's own rule refuses on that provider only", async () => {
  const client = new Client(url);
  const refused = await client.get(await toCallback(client, 'corp', OTHER_ACCOUNT));
  assert.equal(refused.status, 403, `bob@example.org at corp (${refused.status})`);
  assert.equal(client.jar.get('latchkey'), undefined);
  await latchkey.waitForLog((o) => o.event === 'sign_in_refused' && o.email === OTHER_ACCOUNT.login);
  // The same address through GitHub, which has no such rule, is let in.
  github.script({ emails: [{ email: OTHER_ACCOUNT.login, primary: true, verified: true, visibility: 'public' }] });
  const viaGithub = await signIn('github');
  assert.equal(JSON.parse((await viaGithub.get('/userinfo')).body).email, OTHER_ACCOUNT.login);
});

t('an unknown provider name is a 400 page and a log line', async () => {
  const r = await new Client(url).get('/login?provider=gitlab');
  assert.equal(r.status, 400);
  assert.match(visibleText(r.body), /Unknown sign-in provider/);
  await latchkey.waitForLog((o) => o.event === 'sign_in_failed' && o.reason === 'unknown_provider' && o.provider === 'gitlab');
});

t('--check checks each provider and names it', async () => {
  const check = await runCheck({ dir, config: { ...config, 'github.client_secret': github.clientSecret } });
  assert.equal(check.code, 0, check.output);
  assert.match(check.stdout, /provider corp:\n[^]*provider github:\n[^]*configuration OK/);
});

t('GitHub down: its sign-in fails with a 502 page, the OpenID provider still signs in', async () => {
  const client = new Client(url);
  const callback = await toCallback(client, 'github');
  const port = new URL(github.issuer).port;
  await github.stop();
  try {
    const failed = await client.get(callback);
    assert.equal(failed.status, 502, `callback with GitHub down (${failed.status})`);
    assert.equal(client.jar.get('latchkey'), undefined);
    const other = await signIn('corp', DEMO_ACCOUNT);
    assert.equal(JSON.parse((await other.get('/userinfo')).body).provider, 'corp');
  } finally {
    github = await startFakeGithub({ port: Number(port) });
  }
  // Back up: GitHub signs in again.
  await signIn('github');
});

t('the OpenID provider down: its sign-in fails, GitHub still signs in; --check names it', async () => {
  const client = new Client(url);
  const callback = await toCallback(client, 'corp', DEMO_ACCOUNT);
  await corp.stop();
  const failed = await client.get(callback);
  assert.equal(failed.status, 502, `callback with corp down (${failed.status})`);
  assert.equal(client.jar.get('latchkey'), undefined);
  const other = await signIn('github');
  assert.equal(JSON.parse((await other.get('/userinfo')).body).provider, 'github');

  const check = await runCheck({ dir, config: { ...config, 'github.client_secret': github.clientSecret } });
  assert.equal(check.code, 1, check.output);
  assert.match(check.output, /check failed for provider corp/);
  assert.match(check.output, /provider github:/, 'github is still checked and reported');
});
