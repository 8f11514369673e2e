// Assertions shared by the e2e tests, with failure messages that carry latchkey's log tail.
import assert from 'node:assert/strict';

// SPEC "Routes": every HTML page carries these headers.
export function assertHtmlPage(res, context = '') {
  const where = `${res.method} ${res.url} (${res.status}) ${context}`;
  assert.match(res.header('content-type') ?? '', /^text\/html;\s*charset=utf-8$/i, `${where}: Content-Type`);
  assert.match(res.header('cache-control') ?? '', /no-store/, `${where}: Cache-Control`);
  assert.equal(res.header('x-content-type-options'), 'nosniff', `${where}: X-Content-Type-Options`);
  assert.equal(res.header('x-frame-options'), 'DENY', `${where}: X-Frame-Options`);
  assert.equal(res.header('referrer-policy'), 'no-referrer', `${where}: Referrer-Policy`);
  const csp = res.header('content-security-policy') ?? '';
  assert.ok(csp.length > 0, `${where}: Content-Security-Policy missing`);
  assert.match(csp, /default-src 'none'|default-src 'self'/, `${where}: CSP should restrict default-src: ${csp}`);
  assert.match(csp, /frame-ancestors 'none'/, `${where}: CSP should forbid framing: ${csp}`);
}

// The session cookie's Set-Cookie, if the response has one with a non-empty value.
export function sessionSetCookie(res, name = 'latchkey') {
  const raw = res.setCookies.find((h) => h.split('=')[0].trim() === name);
  if (!raw) return null;
  const value = raw.slice(raw.indexOf('=') + 1).split(';')[0].trim();
  return value ? raw : null;
}

// Same origin as base, and the path+query of a Location.
export function localTarget(location, base) {
  const u = new URL(location, base);
  assert.equal(u.origin, new URL(base).origin, `redirect leaves the site: ${location}`);
  return `${u.pathname}${u.search}`;
}

// Wraps a test body so that a failure message ends with the servers' logs.
export function withLogs(stack, fn) {
  return async (t) => {
    try {
      await fn(t);
    } catch (err) {
      err.message = `${err.message}\n${stack.diagnostics()}`;
      throw err;
    }
  };
}
