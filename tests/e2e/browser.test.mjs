// A real browser through the whole sign-in: Debian's chromium driven by playwright-core, through
// the shipped nginx config → latchkey → the local OpenID provider's login page → back. It
// checks what only a browser can: cookie attributes as the browser stored them, that the
// browser follows every redirect and form post, that the pages render without a console error
// or a Content-Security-Policy violation, that they fit a phone and show a keyboard focus ring.
// It also takes the README's screenshots (docs/screenshots/*.png): written when missing, or
// always with UPDATE_SCREENSHOTS=1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startStack } from './lib/stack.mjs';
import { REPO } from './lib/paths.mjs';
import { DEMO_ACCOUNT } from './lib/provider.mjs';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(REPO, 'docs/screenshots');
const SESSION_COOKIE = 'latchkey';

let stack, context, page;
// Everything the browser reported: {kind, text, url}. url is the page the message belongs to.
const reports = [];

before(async () => {
  stack = await startStack('browser', { config: { provider_name: 'the demo provider' } });
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
      err.message += `\n${stack.diagnostics()}`;
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

const onLatchkey = (url) => url.startsWith(`${stack.url}/`) || url === stack.url;

// The reports from latchkey's own pages (the provider's pages are its own business), minus
// those a test expects. The test site has no favicon: nginx's 404 for the browser's automatic
// /favicon.ico request is about the site, not latchkey.
function latchkeyReports({ allow = [] } = {}) {
  return reports.filter((r) => onLatchkey(r.url) && !r.url.endsWith('/favicon.ico') && !allow.some((re) => re.test(r.text)));
}

function assertNoReports(what, opts) {
  const found = latchkeyReports(opts);
  assert.deepEqual(found, [], `${what}: console errors or CSP violations on latchkey's pages`);
}

// The first response of a navigation (before the browser followed any redirect).
async function firstHop(response) {
  let request = response.request();
  while (request.redirectedFrom()) request = request.redirectedFrom();
  return request.response();
}

async function assertFitsPhone(what) {
  await page.setViewportSize({ width: 320, height: 640 });
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth,
  }));
  assert.ok(scrollWidth <= clientWidth, `${what}: no sideways scrolling on a 320px phone (${scrollWidth} > ${clientWidth})`);
  await page.setViewportSize({ width: 720, height: 560 });
}

browserTest('signed out: the welcome page, keyboard focus visible, fits a phone', async () => {
  const response = await page.goto(`${stack.url}/`);
  assert.equal(response.status(), 200);
  const csp = response.headers()['content-security-policy'] ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /style-src 'sha256-/);
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await assert.doesNotReject(page.getByRole('heading', { level: 1, name: 'Welcome' }).waitFor({ timeout: 5000 }));
  const signIn = page.getByRole('link', { name: /^Sign in with / });
  assert.equal(await signIn.count(), 1);
  assert.equal(await signIn.getAttribute('href'), '/login');
  // The stylesheet applied (the CSP hash matched): the link is drawn as a button.
  const look = await signIn.evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(look, 'rgb(29, 78, 216)', 'the inline stylesheet was applied');

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
  await assertFitsPhone('signed-out page');
  assertNoReports('signed-out page');
});

browserTest('sign in through the provider, see "Logged in as", cookie attributes, protected page', async () => {
  await page.goto(`${stack.url}/`);
  await page.getByRole('link', { name: /^Sign in with / }).click();
  await page.waitForURL((u) => !onLatchkey(u.toString()), { timeout: 15000 });

  // The provider: its login form, then a consent screen if it shows one, until it sends the
  // browser back to latchkey's callback (which redirects to /).
  const providerOrigin = new URL(stack.provider.issuer).origin;
  for (let step = 0; step < 5 && !onLatchkey(page.url()); step++) {
    assert.equal(new URL(page.url()).origin, providerOrigin, `expected the provider's page, at ${page.url()}`);
    const login = page.locator('input[name="login"]');
    if (await login.count()) {
      await login.fill(DEMO_ACCOUNT.login);
      await page.locator('input[name="password"]').fill(DEMO_ACCOUNT.password);
    }
    const submit = page.locator('button[type="submit"], input[type="submit"]').filter({ hasText: /sign in|log ?in|continue|allow|authorize|consent/i });
    const button = (await submit.count()) ? submit.first() : page.locator('button[type="submit"]').first();
    const before_ = page.url();
    await Promise.all([page.waitForURL((u) => u.toString() !== before_, { timeout: 15000 }), button.click()]);
  }
  await page.waitForURL(`${stack.url}/`, { timeout: 15000 });

  await page.getByRole('heading', { level: 1, name: `Logged in as ${DEMO_ACCOUNT.login}` }).waitFor({ timeout: 5000 });
  const text = await page.locator('main').innerText();
  assert.ok(text.includes(DEMO_ACCOUNT.name), `the name is shown: ${text}`);
  assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 1);
  assert.equal(await page.locator('form:has(button)').getAttribute('method'), 'post');
  await readmeScreenshot('signed-in.png');
  await assertFitsPhone('signed-in page');

  // The cookie as the browser keeps it (RFC 6265bis): HttpOnly, SameSite=Lax, Path=/, host-only.
  const cookies = await context.cookies(stack.url);
  const session = cookies.find((c) => c.name === SESSION_COOKIE);
  assert.ok(session, `session cookie in the jar: ${cookies.map((c) => c.name).join(', ')}`);
  assert.equal(session.httpOnly, true, 'HttpOnly');
  assert.equal(session.sameSite, 'Lax', 'SameSite');
  assert.equal(session.path, '/', 'Path');
  assert.equal(session.domain, '127.0.0.1', 'host-only cookie for the site');
  assert.equal(session.secure, false, 'no Secure over http (redirect_uri is http on loopback)');
  assert.equal(await page.evaluate(() => document.cookie.includes('latchkey=')), false, 'script cannot read it');

  // The auth_request-protected location lets the browser in.
  const app = await page.goto(`${stack.url}/app/`);
  assert.equal(app.status(), 200);
  assert.equal((await firstHop(app)).status(), 200, 'no detour through /login');
  assert.match(await page.locator('body').innerText(), /protected app page/);

  await page.goto(`${stack.url}/`);
  assertNoReports('sign-in');
});

browserTest('sign out: the session cookie is gone and the protected page asks to sign in again', async () => {
  await page.goto(`${stack.url}/`);
  await Promise.all([page.waitForURL(`${stack.url}/`), page.getByRole('button', { name: 'Sign out' }).click()]);
  await page.getByRole('heading', { level: 1, name: 'Welcome' }).waitFor({ timeout: 5000 });
  const cookies = await context.cookies(stack.url);
  assert.equal(cookies.find((c) => c.name === SESSION_COOKIE), undefined, 'the session cookie was removed');

  // The first answer for the protected page is the redirect to sign in. (The browser then
  // goes on to the provider, which may still remember Alice; that is the provider's session.)
  const app = await page.goto(`${stack.url}/app/`);
  const first = await firstHop(app);
  assert.equal(first.status(), 302);
  const target = new URL(first.headers().location, stack.url);
  assert.equal(`${target.origin}${target.pathname}${target.search}`, `${stack.url}/login?rd=/app/`);
  assertNoReports('sign-out');
});

browserTest('an error page: plain words, a way back, no console error', async () => {
  const response = await page.goto(`${stack.url}/login/authorized?error=access_denied&state=x`);
  assert.equal(response.status(), 403);
  await page.getByRole('heading', { level: 1, name: 'Sign-in was cancelled' }).waitFor({ timeout: 5000 });
  assert.equal(await page.getByRole('link', { name: 'Sign in again' }).getAttribute('href'), '/login');
  assert.equal(await page.getByRole('link', { name: 'Back to the start page' }).getAttribute('href'), '/');
  await readmeScreenshot('error.png');
  await assertFitsPhone('error page');
  // Chrome logs every 4xx/5xx document as "Failed to load resource"; that one is the point here.
  assertNoReports('error page', { allow: [/^Failed to load resource: the server responded with a status of 403/] });
});

test('no console error or CSP violation on any latchkey page during the whole run', () => {
  const unexpected = latchkeyReports({ allow: [/^Failed to load resource: the server responded with a status of 403/] });
  assert.deepEqual(unexpected, []);
  // For the record: what the provider's own pages logged (not latchkey's to fix).
  const other = reports.filter((r) => !onLatchkey(r.url));
  if (other.length) console.log(`provider pages reported: ${JSON.stringify(other)}`);
});
