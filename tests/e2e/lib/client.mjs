// A browser-like HTTP client for the tests: fetch with redirect:'manual', a cookie jar that
// behaves like a browser's (cookies belong to a host, not a host:port, so the provider's and
// latchkey's cookies share one jar on 127.0.0.1, as they would in a real browser), and an
// explicit followRedirects. With `resolve`, named hosts are reached at a local address with
// their name in the Host header (curl --resolve, with TLS ended in front of that address), so
// one nginx on 127.0.0.1 can play auth.example.com and app1.example.com.
import http from 'node:http';

export class CookieJar {
  constructor() { this.cookies = []; }

  // Stores the Set-Cookie headers of a response from url (RFC 6265 §5.2/5.3, the parts we need).
  store(url, setCookieHeaders) {
    const u = new URL(url);
    for (const header of setCookieHeaders) {
      const [pair, ...attrs] = header.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const cookie = {
        name: pair.slice(0, eq).trim(),
        value: pair.slice(eq + 1).trim(),
        host: u.hostname,
        path: '/',
        expires: Infinity,
        secure: false,
        httpOnly: false,
        sameSite: undefined,
        raw: header,
      };
      const slash = u.pathname.lastIndexOf('/');
      cookie.path = slash > 0 ? u.pathname.slice(0, slash) : '/';
      for (const attr of attrs) {
        const [k, ...rest] = attr.split('=');
        const key = k.trim().toLowerCase();
        const val = rest.join('=').trim();
        if (key === 'path' && val.startsWith('/')) cookie.path = val;
        // RFC 6265 §5.3 step 6: a Domain the host is in widens the cookie to that domain.
        else if (key === 'domain' && val) {
          const domain = val.replace(/^\./, '').toLowerCase();
          if (u.hostname !== domain && !u.hostname.endsWith(`.${domain}`)) { cookie.rejected = true; break; }
          cookie.host = domain;
          cookie.domainWide = true;
        }
        else if (key === 'max-age') cookie.expires = Date.now() + Number(val) * 1000;
        else if (key === 'expires' && cookie.expires === Infinity) cookie.expires = Date.parse(val);
        else if (key === 'secure') cookie.secure = true;
        else if (key === 'httponly') cookie.httpOnly = true;
        else if (key === 'samesite') cookie.sameSite = val;
      }
      if (cookie.rejected) continue;
      this.cookies = this.cookies.filter((c) => !(c.name === cookie.name && c.host === cookie.host && c.path === cookie.path));
      if (cookie.expires > Date.now()) this.cookies.push(cookie);
    }
  }

  // The Cookie header a browser would send to url.
  header(url) {
    const u = new URL(url);
    const now = Date.now();
    this.cookies = this.cookies.filter((c) => c.expires > now);
    return this.cookies
      .filter((c) => c.host === u.hostname || (c.domainWide && u.hostname.endsWith(`.${c.host}`)))
      .filter((c) => u.pathname === c.path || u.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .filter((c) => !c.secure || u.protocol === 'https:')
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  get(name) { return this.cookies.find((c) => c.name === name); }
  set(url, name, value) { this.store(url, [`${name}=${value}; Path=/`]); }
  delete(name) { this.cookies = this.cookies.filter((c) => c.name !== name); }
  clone() { const jar = new CookieJar(); jar.cookies = this.cookies.map((c) => ({ ...c })); return jar; }
}

export class Client {
  // resolve: {'app1.example.com': 'http://127.0.0.1:8080', ...}
  constructor(baseUrl, { jar = new CookieJar(), resolve = {} } = {}) {
    this.baseUrl = baseUrl;
    this.jar = jar;
    this.resolve = resolve;
    this.history = [];  // "GET url -> status" lines, for failure messages
  }

  async request(method, target, { headers = {}, body, form } = {}) {
    const url = new URL(target, this.baseUrl).toString();
    const h = { ...headers };
    const cookie = this.jar.header(url);
    if (cookie && !Object.keys(h).some((k) => k.toLowerCase() === 'cookie')) h.cookie = cookie;
    if (form) {
      body = new URLSearchParams(form).toString();
      h['content-type'] = 'application/x-www-form-urlencoded';
    }
    const target_ = this.resolve[new URL(url).hostname];
    const res = target_ ? await requestVia(target_, url, { method, headers: h, body })
      : await fetch(url, { method, headers: h, body, redirect: 'manual' });
    const setCookies = res.headers.getSetCookie();
    this.jar.store(url, setCookies);
    const text = await res.text();
    const out = {
      method,
      url,
      status: res.status,
      headers: res.headers,
      body: text,
      setCookies,
      location: res.headers.get('location') ? new URL(res.headers.get('location'), url).toString() : null,
      header: (name) => res.headers.get(name),
    };
    this.history.push(`${method} ${url} -> ${res.status}${out.location ? ` (Location: ${out.location})` : ''}`);
    return out;
  }

  get(target, opts) { return this.request('GET', target, opts); }
  post(target, opts) { return this.request('POST', target, opts); }

  // The Set-Cookie of response for cookie name, parsed: {value, attrs:{lowercased: value|true}}.
  static setCookie(response, name) {
    const raw = response.setCookies.find((h) => h.split('=')[0].trim() === name);
    if (!raw) return null;
    const [pair, ...attrs] = raw.split(';');
    const parsed = { raw, value: pair.slice(pair.indexOf('=') + 1).trim(), attrs: {} };
    for (const a of attrs) {
      const [k, ...v] = a.split('=');
      parsed.attrs[k.trim().toLowerCase()] = v.length ? v.join('=').trim() : true;
    }
    return parsed;
  }

  describe() { return `request history:\n  ${this.history.slice(-15).join('\n  ')}`; }
}

// One request to `via` (http://ip:port) for the URL url, its host in the Host header. Returns
// what the Client reads of a fetch Response.
function requestVia(via, url, { method, headers, body }) {
  const u = new URL(url);
  const to = new URL(via);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: to.hostname, port: to.port, method, path: `${u.pathname}${u.search}`, headers: { ...headers, host: u.host } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const h = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) h.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode, headers: h, text: async () => text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

// Follows 3xx Locations (GET each) until a non-redirect, at most max hops. Returns the last
// response; every hop is in client.history.
export async function followRedirects(client, response, { max = 10 } = {}) {
  let r = response;
  for (let i = 0; r.status >= 300 && r.status < 400 && r.location; i++) {
    if (i >= max) throw new Error(`more than ${max} redirects\n${client.describe()}`);
    r = await client.get(r.location);
  }
  return r;
}

// Page text with tags removed and whitespace collapsed, for "Logged in as ..." checks.
export function visibleText(html) {
  return html.replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>')
    .replace(/&quot;|&#34;|&#x22;/g, '"').replace(/&#39;|&#x27;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
}
