// A real browser through every state a visitor can meet: Debian's chromium driven by
// playwright-core, through the shipped nginx configs → latchkey → the local OpenID provider's
// login page → back. It checks what only a browser can: cookie attributes as the browser
// stored them, that the browser follows every redirect and form post, that no page is a dead
// end, that the back button after sign-out does not bring a protected page back from the
// cache, and on every page state: axe-core finds no accessibility violation, no console error
// or Content-Security-Policy violation, and no sideways scrolling on 390px and 320px phones.
//
// Two sites: nginx/latchkey.conf (latchkey's pages at /, a protected /app/, branding keys
// set) and nginx/protect.conf (a gate in front of the whole site, allowed_emails set).
// It also takes the README's screenshots (docs/screenshots/*.png): written when missing, or
// always with UPDATE_SCREENSHOTS=1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { startStack } from './lib/stack.mjs';
import { REPO, workDir } from './lib/paths.mjs';
import { freePort } from './lib/ports.mjs';
import { startProvider, DEMO_ACCOUNT, OTHER_ACCOUNT, CLIENT_ID, CLIENT_SECRET } from './lib/provider.mjs';
import { startLatchkey, newCookieSecret, mintCookie } from './lib/latchkey.mjs';
import { startGateNginx, startEchoUpstream } from './lib/gate.mjs';
import { startNginx } from './lib/nginx.mjs';
import { startFakeGithub } from '../provider/fake-github.mjs';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(REPO, 'docs/screenshots');
const SESSION_COOKIE = 'latchkey';
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SITE_NAME = 'Example Intranet';
const FOOTER = 'Questions? Write to it@example.com';
// A small key drawn in SVG, inlined as the logo (logo_url accepts data:image URLs).
const LOGO = `data:image/svg+xml;base64,${Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="32" viewBox="0 0 120 32">'
  + '<circle cx="12" cy="16" r="8" fill="none" stroke="#1d4ed8" stroke-width="4"/>'
  + '<path d="M20 16h22v6M34 16v5" fill="none" stroke="#1d4ed8" stroke-width="4"/></svg>').toString('base64')}`;
const REPORT = '/private/report.html';
const REPORT_TEXT = 'quarterly report, staff only';

let stack, gate, multi, context, page;
// Everything the browser reported: {kind, text, url}. url is the page the message belongs to.
const reports = [];

// nginx/protect.conf in front of its own latchkey and provider, letting only Alice in.
async function startGate() {
  const dir = workDir('browser-gate');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const g = { url, started: [] };
  g.provider = await startProvider({ dir, redirectUris: [`${url}/login/authorized`] });
  g.started.push(g.provider);
  g.secret = newCookieSecret();
  g.latchkey = await startLatchkey({
    dir,
    config: {
      issuer: g.provider.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
      redirect_uri: `${url}/login/authorized`, cookie_secret: g.secret, log_level: 'debug',
      allowed_emails: DEMO_ACCOUNT.login, provider_name: 'the demo provider',
    },
  });
  g.started.push(g.latchkey);
  g.upstream = await startEchoUpstream();
  g.started.push(g.upstream);
  const root = path.join(dir, 'www');
  fs.mkdirSync(path.join(root, 'private'), { recursive: true });
  fs.writeFileSync(path.join(root, REPORT), `<!doctype html><html lang="en"><title>Report</title><main><h1>Report</h1><p>${REPORT_TEXT}</p></main></html>\n`);
  g.nginx = await startGateNginx({ dir, socket: g.latchkey.socket, root, upstreamPort: g.upstream.port, port });
  g.started.push(g.nginx);
  g.accessLog = path.join(dir, 'nginx-access.log');
  g.stop = async () => { for (const part of g.started.reverse()) await part.stop(); };
  return g;
}

// nginx/latchkey.conf in front of a latchkey with two providers: the local OpenID provider
// ("corp") and the fake GitHub.
async function startMulti() {
  const dir = workDir('browser-providers');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const m = { url, started: [] };
  m.provider = await startProvider({ dir, redirectUris: [`${url}/login/authorized`] });
  m.started.push(m.provider);
  m.github = await startFakeGithub();
  m.started.push(m.github);
  m.latchkey = await startLatchkey({
    dir,
    config: {
      providers: 'corp github', redirect_uri: `${url}/login/authorized`, cookie_secret: newCookieSecret(),
      site_name: SITE_NAME, log_level: 'debug',
      'corp.issuer': m.provider.issuer, 'corp.client_id': CLIENT_ID, 'corp.client_secret': CLIENT_SECRET,
      'corp.provider_name': 'Corp SSO',
      'github.provider': 'github', 'github.issuer': m.github.issuer, 'github.client_id': m.github.clientId,
      'github.client_secret': m.github.clientSecret,
    },
  });
  m.started.push(m.latchkey);
  m.nginx = await startNginx({ dir, latchkeySocket: m.latchkey.socket, port });
  m.started.push(m.nginx);
  m.stop = async () => { for (const part of m.started.reverse()) await part.stop(); };
  return m;
}

before(async () => {
  stack = await startStack('browser', {
    config: { provider_name: 'the demo provider', site_name: SITE_NAME, footer_text: FOOTER, logo_url: LOGO },
  });
  gate = await startGate();
  multi = await startMulti();
  const userData = path.join(stack.dir, 'chromium-profile');  // fresh: workDir emptied it
  context = await chromium.launchPersistentContext(userData, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),  // chromium refuses root otherwise
      '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-default-apps',
      '--disable-features=Translate,MediaRouter,OptimizationHints',
    ],
    viewport: { width: 720, height: 560 },
    deviceScaleFactor: 1,
    colorScheme: 'light',
    locale: 'en-US',
    timeout: 60000,
  });
  // CSP violations, also as events: the console message is Chrome's wording, the event is
  // the standard. The init script runs through the DevTools protocol, which the page's CSP
  // does not govern, so it works on pages that allow no script.
  await context.exposeBinding('__latchkeyTestCspViolation', ({ frame }, v) => {
    reports.push({ kind: 'csp-violation', text: `${v.directive} blocked ${v.blocked}`, url: frame.url() });
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__latchkeyTestCspViolation({ directive: e.violatedDirective, blocked: e.blockedURI || 'inline' });
    });
  });
  page = context.pages()[0] ?? await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') {
      reports.push({ kind: `console-${msg.type()}`, text: msg.text(), url: msg.location().url || page.url() });
    }
  });
  page.on('pageerror', (err) => reports.push({ kind: 'pageerror', text: err.message, url: page.url() }));
});

after(async () => {
  await context?.close().catch(() => {});
  await multi?.stop();
  await gate?.stop();
  await stack?.stop();
});

// Runs a test body; on failure saves a screenshot and the page's HTML under tests/out/browser/
// and appends the servers' logs to the message.
function browserTest(name, fn) {
  test(name, async () => {
    try {
      await fn();
    } catch (err) {
      const slug = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 60);
      const shot = path.join(stack.dir, `failure-${slug}.png`);
      try {
        await page.screenshot({ path: shot, fullPage: true });
        fs.writeFileSync(path.join(stack.dir, `failure-${slug}.html`), await page.content());
        err.message += `\nscreenshot: ${shot} (page ${page.url()})`;
      } catch (shotErr) {
        err.message += `\n(no screenshot: ${shotErr.message})`;
      }
      err.message += `\n${stack.diagnostics()}\n--- gate latchkey ---\n${gate?.latchkey.tail(20)}\n--- gate nginx ---\n${gate?.nginx.errorTail()}`;
      throw err;
    }
  });
}

// README screenshots: only when asked for, or when the file is not there yet.
async function readmeScreenshot(file) {
  const target = path.join(SCREENSHOTS, file);
  if (process.env.UPDATE_SCREENSHOTS !== '1' && fs.existsSync(target)) return;
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: target });
}

const onSite = (url, base) => url.startsWith(`${base}/`) || url === base;
const onOurs = (url) => onSite(url, stack.url) || onSite(url, gate.url) || onSite(url, multi.url);

// The reports from our sites' pages (the provider's pages are its own business), minus those
// a test expects. The test sites have no favicon: nginx's 404 for the browser's automatic
// /favicon.ico request is about the site, not latchkey. Chrome logs every 4xx/5xx document as
// "Failed to load resource"; an error page's own status is the point of that page.
const EXPECTED = [/^Failed to load resource: the server responded with a status of (40[0-9]|41[0-9]|50[0-9])/];
function ourReports() {
  return reports.filter((r) => onOurs(r.url) && !r.url.endsWith('/favicon.ico') && !EXPECTED.some((re) => re.test(r.text)));
}

// The first response of a navigation (before the browser followed any redirect).
async function firstHop(response) {
  let request = response.request();
  while (request.redirectedFrom()) request = request.redirectedFrom();
  return request.response();
}

// What every page state must pass: axe-core (all its rules: WCAG 2.x A/AA and best
// practices) with no violation, no sideways scrolling on 390px and 320px wide phones, and no
// console error or CSP violation. axe is evaluated through the DevTools protocol, which the
// page's CSP (no script at all) does not govern.
async function assertGoodPage(what) {
  await page.evaluate(AXE_SOURCE);
  const { violations } = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const found = violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(found, [], `${what}: axe-core violations`);
  const original = page.viewportSize();
  for (const width of [390, 320]) {
    await page.setViewportSize({ width, height: 800 });
    const { scrollWidth, clientWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth,
    }));
    assert.ok(scrollWidth <= clientWidth, `${what}: no sideways scrolling on a ${width}px phone (${scrollWidth} > ${clientWidth})`);
  }
  await page.setViewportSize(original);
  assert.deepEqual(ourReports(), [], `${what}: console errors or CSP violations`);
}

// How often nginx (gate) was asked for the protected report.
const reportRequests = () => fs.readFileSync(gate.accessLog, 'utf8').split('\n').filter((l) => l.includes(`GET ${REPORT} `)).length;

const heading = (name) => page.getByRole('heading', { level: 1, name }).waitFor({ timeout: 5000 });

// The provider's login form (and consent screen, if any), until it sends the browser back.
async function signInAtProvider(base, providerIssuer, account) {
  await page.waitForURL((u) => !onSite(u.toString(), base), { timeout: 15000 });
  const providerOrigin = new URL(providerIssuer).origin;
  for (let step = 0; step < 5 && !onSite(page.url(), base); step++) {
    assert.equal(new URL(page.url()).origin, providerOrigin, `expected the provider's page, at ${page.url()}`);
    const login = page.locator('input[name="login"]');
    if (await login.count()) {
      await login.fill(account.login);
      await page.locator('input[name="password"]').fill(account.password);
    }
    const submit = page.locator('button[type="submit"], input[type="submit"]').filter({ hasText: /sign in|log ?in|continue|allow|authorize|consent/i });
    const button = (await submit.count()) ? submit.first() : page.locator('button[type="submit"]').first();
    const before_ = page.url();
    await Promise.all([page.waitForURL((u) => u.toString() !== before_, { timeout: 15000 }), button.click()]);
  }
}

// ---- nginx/latchkey.conf: latchkey's own pages at /, branding set ------------------------------

let callbackUrl;  // the callback of the sign-in below, replayed later

browserTest('signed out: the welcome page names the site, keyboard focus visible', async () => {
  const response = await page.goto(`${stack.url}/`);
  assert.equal(response.status(), 200);
  const csp = response.headers()['content-security-policy'] ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /style-src 'sha256-/);
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await heading(`Welcome to ${SITE_NAME}`);
  assert.match(await page.locator('footer').innerText(), new RegExp(FOOTER.replace('?', '\\?')));
  // The logo is drawn (the CSP allows data: images): it has a size.
  const logo = await page.locator('img.logo').evaluate((img) => ({ w: img.naturalWidth, alt: img.alt }));
  assert.equal(logo.w, 120);
  assert.equal(logo.alt, SITE_NAME);
  const signIn = page.getByRole('link', { name: /^Sign in with / });
  assert.equal(await signIn.getAttribute('href'), '/login');
  // The stylesheet applied (the CSP hash matched): the link is drawn as a button.
  assert.equal(await signIn.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(29, 78, 216)');

  // Tab reaches the sign-in button first, and it shows a focus ring.
  await page.keyboard.press('Tab');
  const focus = await page.evaluate(() => {
    const el = document.activeElement;
    const s = getComputedStyle(el);
    return { text: el.textContent, outline: s.outlineStyle, width: parseFloat(s.outlineWidth) };
  });
  assert.match(focus.text, /^Sign in with /);
  assert.notEqual(focus.outline, 'none', 'a visible focus ring');
  assert.ok(focus.width >= 2, `focus ring at least 2px (${focus.width})`);
  await page.evaluate(() => document.activeElement.blur());

  await readmeScreenshot('signed-out.png');
  await assertGoodPage('welcome page');
});

browserTest('sign in from a protected page: back on it, then "Logged in as", cookie attributes', async () => {
  page.on('request', (r) => { if (r.url().includes('/login/authorized?')) callbackUrl = r.url(); });
  await page.goto(`${stack.url}/app/`);
  await signInAtProvider(stack.url, stack.provider.issuer, DEMO_ACCOUNT);
  await page.waitForURL(`${stack.url}/app/`, { timeout: 15000 });
  assert.match(await page.locator('body').innerText(), /protected app page/, 'rd kept: back on the page first asked for');

  await page.goto(`${stack.url}/`);
  await heading(`Logged in as ${DEMO_ACCOUNT.login}`);
  assert.ok((await page.locator('main').innerText()).includes(DEMO_ACCOUNT.name));
  assert.equal(await page.locator('form:has(button)').getAttribute('method'), 'post');
  await readmeScreenshot('signed-in.png');
  await assertGoodPage('signed-in page');

  // The cookie as the browser keeps it (RFC 6265bis): HttpOnly, SameSite=Lax, Path=/, host-only.
  const session = (await context.cookies(stack.url)).find((c) => c.name === SESSION_COOKIE);
  assert.ok(session, 'session cookie in the jar');
  assert.equal(session.httpOnly, true, 'HttpOnly');
  assert.equal(session.sameSite, 'Lax', 'SameSite');
  assert.equal(session.path, '/', 'Path');
  assert.equal(session.domain, '127.0.0.1', 'host-only cookie for the site');
  assert.equal(session.secure, false, 'no Secure over http (redirect_uri is http on loopback)');

  // The protected location: straight in, and marked for no cache to keep.
  const app = await page.goto(`${stack.url}/app/`);
  assert.equal((await firstHop(app)).status(), 200, 'no detour through /login');
  assert.equal(app.headers()['cache-control'], 'private, no-store');
});

browserTest('a replayed callback of a signed-in visitor offers "Continue", not a cookie problem', async () => {
  assert.ok(callbackUrl, 'the sign-in went through the callback');
  const response = await page.goto(callbackUrl);
  assert.equal(response.status(), 200);
  await heading('You are already signed in');
  const go = page.getByRole('link', { name: 'Continue' });
  assert.equal(await go.getAttribute('href'), '/');
  assert.equal(await page.getByText(/cookie/i).count(), 0, 'cookies are not blamed');
  await assertGoodPage('already signed in');
  await Promise.all([page.waitForURL(`${stack.url}/`), go.click()]);
  await heading(`Logged in as ${DEMO_ACCOUNT.login}`);
});

browserTest('an error page keeps rd, labels and shortens the provider\'s text, shows a request id', async () => {
  // A sign-in started for /app/ (its login cookie lands in the browser's jar), which the
  // provider answers with an error and a long unbroken description.
  const start = await context.request.get(`${stack.url}/login?rd=/app/`, { maxRedirects: 0 });
  const state = new URL(start.headers().location).searchParams.get('state');
  const long = `The_user_declined_${'x'.repeat(400)}`;
  const response = await page.goto(`${stack.url}/login/authorized?error=access_denied&state=${state}&error_description=${long}`);
  assert.equal(response.status(), 403);
  await heading('Sign-in was cancelled');
  assert.equal(await page.getByRole('link', { name: 'Sign in again' }).getAttribute('href'), '/login?rd=%2Fapp%2F');
  const said = await page.locator('blockquote').innerText();
  assert.match(said, /^the demo provider said:/);
  assert.ok(said.length < 220 && said.endsWith('\u2026'), `shortened: ${said.length} characters`);
  const id = await page.locator('code').innerText();
  // nginx's $request_id (32 hex digits) when the recipe sends it, else latchkey's own.
  assert.match(id, /^[A-Za-z0-9._-]{1,64}$/);
  assert.equal(response.headers()['x-request-id'], id);
  const line = stack.latchkey.tail(400).split('\n').find((l) => l.includes(`"request_id":"${id}"`));
  assert.ok(line?.includes('"event":"sign_in_failed"'), `the log line carries the id: ${line}`);
  await readmeScreenshot('error.png');
  await assertGoodPage('error page with a long provider text');
});

browserTest('sign out lands on "You have signed out", with a way back in', async () => {
  await page.goto(`${stack.url}/`);
  await Promise.all([page.waitForURL(`${stack.url}/`), page.getByRole('button', { name: 'Sign out' }).click()]);
  await heading('You have signed out');
  assert.equal((await context.cookies(stack.url)).find((c) => c.name === SESSION_COOKIE), undefined, 'session cookie removed');
  assert.equal(await page.getByRole('link', { name: /^Sign in with / }).getAttribute('href'), '/login');
  await readmeScreenshot('you-signed-out.png');
  await assertGoodPage('signed-out landing');
});

browserTest('a tampered or expired session says that the session ended', async () => {
  await context.addCookies([{ name: SESSION_COOKIE, value: 'v1.tampered.value', url: stack.url }]);
  await page.goto(`${stack.url}/`);
  await heading('Your session has ended');
  assert.equal((await context.cookies(stack.url)).find((c) => c.name === SESSION_COOKIE), undefined, 'the dead cookie is cleared');
  await assertGoodPage('session ended');
});

browserTest('nginx\'s own 404 and 413 are latchkey-styled pages through the shipped config', async () => {
  const notFound = await page.goto(`${stack.url}/no/such/page`);
  assert.equal(notFound.status(), 404);
  await heading('Page not found');
  await assertGoodPage('nginx 404');

  // A body over client_max_body_size on latchkey's location: nginx answers 413 itself.
  await page.route(`${stack.url}/logout`, (route) => route.continue({ method: 'POST', postData: 'x='.padEnd(20000, 'x'), headers: { ...route.request().headers(), 'content-type': 'application/x-www-form-urlencoded' } }));
  const tooLarge = await page.goto(`${stack.url}/logout`);
  await page.unroute(`${stack.url}/logout`);
  assert.equal(tooLarge.status(), 413);
  await heading('Request too large');
  await assertGoodPage('nginx 413');
});

browserTest('a dead provider: a quick page that says it is not answering, rd kept; nginx\'s 502', async () => {
  // A sign-in under way for /app/ when the provider goes down: redeeming the code finds the
  // connection refused, which is certain at once.
  const start = await context.request.get(`${stack.url}/login?rd=/app/`, { maxRedirects: 0 });
  const state = new URL(start.headers().location).searchParams.get('state');
  await stack.provider.stop();
  const started = Date.now();
  // iss as the provider sends it (RFC 9207: it advertises the parameter).
  const response = await page.goto(`${stack.url}/login/authorized?code=c1&state=${state}&iss=${encodeURIComponent(stack.provider.issuer)}`);
  const took = Date.now() - started;
  assert.equal(response.status(), 502);
  await heading('the demo provider is not answering');
  assert.ok(took < 3000, `answered in ${took} ms`);
  assert.equal(await page.getByRole('link', { name: 'Sign in again' }).getAttribute('href'), '/login?rd=%2Fapp%2F');
  await assertGoodPage('provider not answering');

  await stack.latchkey.stop();
  const gone = await page.goto(`${stack.url}/login`);
  assert.equal(gone.status(), 502);
  await heading('This site is not answering');
  await assertGoodPage('nginx 502');
});

// ---- nginx/protect.conf: the whole site behind the gate, only Alice allowed -------------------

browserTest('gate: a refused account is signed out and can really use another account', async () => {
  // Cookies belong to a host, not a port: start without the first site's flag and cookies.
  await context.clearCookies();
  await page.goto(`${gate.url}${REPORT}`);
  await signInAtProvider(gate.url, gate.provider.issuer, OTHER_ACCOUNT);
  await heading('This account is not allowed in');
  assert.equal((await context.cookies(gate.url)).find((c) => c.name === SESSION_COOKIE), undefined, 'no session');
  const other = page.getByRole('link', { name: 'Use another account' });
  assert.equal(await other.getAttribute('href'), `/login?prompt=select_account&rd=${encodeURIComponent(REPORT)}`);
  assert.equal(await page.getByRole('link', { name: 'Back to the start page' }).count(), 0, 'no loop back to the same page');
  await readmeScreenshot('not-allowed.png');
  await assertGoodPage('account not allowed');

  // The provider asks for an account again (it would otherwise reuse Bob's session at once).
  await other.click();
  await page.locator('input[name="login"]').waitFor({ timeout: 15000 });
  await signInAtProvider(gate.url, gate.provider.issuer, DEMO_ACCOUNT);
  await page.waitForURL(`${gate.url}${REPORT}`, { timeout: 15000 });
  assert.match(await page.locator('body').innerText(), new RegExp(REPORT_TEXT));
});

browserTest('gate: nginx\'s own 404 and 403 are styled, with their status', async () => {
  const notFound = await page.goto(`${gate.url}/private/missing.html`);
  assert.equal(notFound.status(), 404);
  await heading('Page not found');
  assert.equal(notFound.headers()['cache-control'], 'private, no-store');
  await assertGoodPage('gate 404');
  const forbidden = await page.goto(`${gate.url}/private/`);  // a folder without an index
  assert.equal(forbidden.status(), 403);
  await heading('Access denied');
  await assertGoodPage('gate 403');
});

browserTest('gate: sign-out lands on "You have signed out"; the back button does not show the protected page', async () => {
  const report = await page.goto(`${gate.url}${REPORT}`);
  assert.equal(report.status(), 200);
  assert.equal(report.headers()['cache-control'], 'private, no-store');
  await page.goto(`${gate.url}/signed-out`);
  await heading(`Logged in as ${DEMO_ACCOUNT.login}`);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/signed-out' && u.search === '?rd=/'),
    page.getByRole('button', { name: 'Sign out' }).click(),
  ]);
  await heading('You have signed out');
  await assertGoodPage('gate: signed out');

  const asked = reportRequests();
  await page.goBack();  // the signed-in /signed-out page, asked again
  await page.goBack();  // the protected report
  await heading('You have signed out');
  assert.doesNotMatch(await page.locator('body').innerText(), new RegExp(REPORT_TEXT), 'the protected page is not shown again');
  assert.equal(new URL(page.url()).searchParams.get('rd'), REPORT, 'signing in again would lead back to it');
  assert.equal(reportRequests(), asked + 1, 'the browser asked nginx again instead of using its cache');
});

browserTest('gate: a session whose account is no longer allowed ends on latchkey\'s page', async () => {
  const cookie = mintCookie({ configFile: gate.latchkey.configFile, sub: OTHER_ACCOUNT.sub, email: OTHER_ACCOUNT.login, name: OTHER_ACCOUNT.name });
  await context.addCookies([{ name: SESSION_COOKIE, value: cookie, url: gate.url }]);
  const response = await page.goto(`${gate.url}${REPORT}`);
  assert.equal(response.status(), 403);
  await heading('This account is not allowed in');
  assert.equal((await context.cookies(gate.url)).find((c) => c.name === SESSION_COOKIE), undefined, 'latchkey\'s session ended');
  assert.equal(await page.getByRole('link', { name: 'Use another account' }).getAttribute('href'),
    `/login?prompt=select_account&rd=${encodeURIComponent(REPORT)}`);
  assert.doesNotMatch(await page.locator('body').innerText(), new RegExp(REPORT_TEXT));
  await assertGoodPage('gate: session no longer allowed');
});

// ---- two providers: the picker page ------------------------------------------------------------

browserTest('two providers: a protected page offers both; picking one signs in with it and lands back', async () => {
  await context.clearCookies();
  const response = await page.goto(`${multi.url}/app/?a=1&b=2`);
  assert.equal(response.status(), 200);
  await heading(`Sign in to ${SITE_NAME}`);
  const choices = page.getByRole('link', { name: /^Sign in with / });
  assert.deepEqual(await choices.allInnerTexts(), ['Sign in with Corp SSO', 'Sign in with GitHub']);
  // Tab reaches the first provider's button first.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Sign in with Corp SSO');
  await readmeScreenshot('choose-provider.png');
  await assertGoodPage('provider picker');

  await page.getByRole('link', { name: 'Sign in with Corp SSO' }).click();
  await signInAtProvider(multi.url, multi.provider.issuer, DEMO_ACCOUNT);
  await page.waitForURL(`${multi.url}/app/?a=1&b=2`, { timeout: 15000 });
  assert.match(await page.locator('body').innerText(), /protected app page/);
  await page.goto(`${multi.url}/`);
  await heading(`Logged in as ${DEMO_ACCOUNT.login}`);
  assert.match(await page.locator('main').innerText(), /Signed in with\s*Corp SSO/);
  await assertGoodPage('signed in with one of two providers');

  // Signed out, the other provider: GitHub's page redirects straight back.
  await Promise.all([page.waitForURL(`${multi.url}/`), page.getByRole('button', { name: 'Sign out' }).click()]);
  await Promise.all([page.waitForURL(`${multi.url}/`), page.getByRole('link', { name: 'Sign in with GitHub' }).click()]);
  await heading(/^Logged in as /);
  assert.match(await page.locator('main').innerText(), /Signed in with\s*GitHub/);
});

test('no console error or CSP violation on any of our pages during the whole run', () => {
  assert.deepEqual(ourReports(), []);
  // For the record: what the provider's own pages logged (not latchkey's to fix).
  const other = reports.filter((r) => !onOurs(r.url));
  if (other.length) console.log(`provider pages reported: ${JSON.stringify(other)}`);
});
