// latchkey as the CGI script itself behind a real Apache httpd with mod_cgi (no wrapper), as a
// site owner may install it with ScriptAlias and SetEnv. For a query string without '=',
// Apache passes its words as command-line arguments (RFC 3875 §4.4; the php-cgi
// CVE-2012-1823 pattern). latchkey must ignore them all: "?--config+/dev/stdin+--check" with a
// configuration in the body would otherwise send the client id and secret to a provider the
// attacker named, and "?--version" / "?--help" would answer instead of the route.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { workDir, binaryForServers } from './lib/paths.mjs';
import { freePort } from './lib/ports.mjs';
import { newCookieSecret, sanitizerEnv } from './lib/latchkey.mjs';
import { Client } from './lib/client.mjs';
import { startApache, apacheAvailable } from './lib/apache.mjs';
import { startFakeProvider } from '../provider/fake-provider.mjs';

const skip = apacheAvailable(['cgi', 'alias', 'env']) ? false : 'apache2 or mod_cgi is not installed (make deps)';
const SANITIZER = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Undefined|Leak)Sanitizer/;
const CLIENT_ID = 'owner-client-id';
const CLIENT_SECRET = 'owner-client-secret-do-not-leak';

let dir, apache, attacker, url;

before(async () => {
  if (skip) return;
  dir = workDir('cgi-arguments');
  // The attacker's "provider": it answers discovery, JWKS and token requests and counts them.
  attacker = await startFakeProvider({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  // The site owner's settings, for Google: in the environment Apache gives the CGI program.
  const owner = {
    LATCHKEY_CLIENT_ID: CLIENT_ID,
    LATCHKEY_CLIENT_SECRET: CLIENT_SECRET,
    LATCHKEY_REDIRECT_URI: `${url}/login/authorized`,
    LATCHKEY_COOKIE_SECRET: newCookieSecret(),
    ...sanitizerEnv(),
  };
  const binary = binaryForServers(dir);  // Apache's children (nobody under root) execute it
  fs.mkdirSync(path.join(dir, 'www'), { recursive: true });
  apache = await startApache({
    dir, port, modules: ['cgi', 'alias', 'env'],
    site: `DocumentRoot ${dir}/www
ScriptAliasMatch "^/(login|login/authorized|logout|userinfo|healthz)$" "${binary}"
<Directory "${path.dirname(binary)}">
    Require all granted
</Directory>
${Object.entries(owner).map(([k, v]) => `SetEnv ${k} "${v}"`).join('\n')}
`,
  });
});

after(async () => {
  await apache?.stop();
  await attacker?.stop();
  const log = path.join(dir ?? '', 'logs/error.log');
  if (fs.existsSync(log)) {
    const bad = fs.readFileSync(log, 'utf8').split('\n').filter((l) => SANITIZER.test(l));
    if (bad.length) throw new Error(`sanitizer report in ${log}:\n${bad.join('\n')}`);
  }
});

const diag = (client) => `${client.describe()}\n--- error.log ---\n${apache.errorTail()}`;

describe('Apache mod_cgi with latchkey as the script', { skip }, () => {
  // The deployment works: the route answers without any query words.
  test('GET /healthz answers ok', async () => {
    const client = new Client(url);
    const r = await client.get('/healthz');
    assert.equal(r.status, 200, diag(client));
    assert.equal(r.body.trim(), 'ok');
  });

  // The attack of the report: a configuration in the body, named by the query words, and
  // --check to reach its "provider" with the owner's client credentials.
  for (const route of ['/healthz', '/login']) {
    test(`POST ${route}?--config+/dev/stdin+--check never reaches the attacker's provider`, async () => {
      const client = new Client(url);
      const r = await client.post(`${route}?--config+/dev/stdin+--check`, {
        headers: { 'content-type': 'text/plain' },
        body: `issuer = ${attacker.issuer}\n`,
      });
      assert.deepEqual(attacker.counts, { discovery: 0, jwks: 0, authorize: 0, token: 0, userinfo: 0, revoke: 0 },
        `the request made latchkey call the attacker's provider\n${diag(client)}`);
      assert.ok(r.status < 500, `answered ${r.status}: the arguments changed what the program did\n${diag(client)}`);
      assert.doesNotMatch(r.body, /configuration OK|check failed|token endpoint/);
    });
  }

  // --version, --help and a --config that does not exist change nothing either: the route
  // answers as it would without them.
  for (const words of ['--version', '--help', '-h', '--config+/nonexistent', '--check', '--listen+127.0.0.1:1']) {
    test(`GET /healthz?${words} is the ordinary answer`, async () => {
      const client = new Client(url);
      const r = await client.get(`/healthz?${words}`);
      assert.equal(r.status, 200, diag(client));
      assert.equal(r.body.trim(), 'ok');
    });
  }
});
