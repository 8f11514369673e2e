// nginx running the shipped nginx/protect.conf (latchkey as an auth_request gate), and a tiny
// upstream application that echoes the request headers it received, so a test sees exactly
// what a protected application would see.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { errorPagesIn, FASTCGI_PARAMS, runNginx } from './nginx.mjs';
import { REPO } from './paths.mjs';
import { freePort } from './ports.mjs';

export const PROTECT_CONF = path.join(REPO, 'nginx/protect.conf');

// The shipped file with only what a test machine must change. Each rule must match: when the
// shipped file changes shape the test says so instead of testing something else.
export function adaptProtectConf(text, { socket, port, root, upstreamPort, errorPages }) {
  const rules = [
    ['socket path', /unix:\/run\/latchkey\/latchkey\.sock/g, `unix:${socket}`],
    ['TLS listen', /^(\s*)listen 443 ssl;.*$/m, `$1listen 127.0.0.1:${port};`],
    ['IPv6 listen', /^\s*listen \[::\]:443 ssl;.*\n/m, ''],
    ['certificate lines', /^\s*ssl_certificate(_key)?\s.*\n/gm, ''],
    ['fastcgi_params include', /include fastcgi_params;/g, `include ${FASTCGI_PARAMS};`],
    ['document root', /root \/var\/www\/html;/g, `root ${root};`],
    ['error pages', /\/usr\/share\/latchkey\/error-pages\//g, `${errorPages}/`],
    ['upstream address', /proxy_pass http:\/\/127\.0\.0\.1:3000;/g, `proxy_pass http://127.0.0.1:${upstreamPort};`],
  ];
  let out = text;
  for (const [what, re, replacement] of rules) {
    if (!re.test(out)) throw new Error(`nginx/protect.conf no longer has the ${what} the test adapts (${re})`);
    re.lastIndex = 0;
    out = out.replace(re, replacement);
  }
  return out;
}

// nginx/protect.conf in front of latchkey's socket, the static root and the upstream.
export async function startGateNginx({ dir, socket, root, upstreamPort, port }) {
  port ??= await freePort();
  const serverConf = adaptProtectConf(fs.readFileSync(PROTECT_CONF, 'utf8'), { socket, port, root, upstreamPort, errorPages: errorPagesIn(dir) });
  return runNginx({ dir, serverConf, port });
}

// An HTTP application that answers every request with JSON of what it received.
// maxHeaderSize: node's default (16 KB) refuses the groups header of a person in hundreds.
export async function startEchoUpstream({ maxHeaderSize } = {}) {
  const requests = [];
  const server = http.createServer({ maxHeaderSize }, (req, res) => {
    const seen = { method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders };
    requests.push(seen);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(seen));
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    requests,
    stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
