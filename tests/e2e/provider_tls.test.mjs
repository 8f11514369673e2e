// Provider calls use TLS 1.2 or newer (RFC 8996, RFC 9325 §3.1.1), even where the system's
// OpenSSL configuration still allows TLS 1.0/1.1 (older distributions, SECLEVEL=0 setups):
// `latchkey --check` against a real `openssl s_server` that speaks only TLS 1.1 must fail at
// the handshake instead of talking to it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { workDir, latchkeyBinary } from './lib/paths.mjs';
import { freePort, waitForConnect } from './lib/ports.mjs';
import { Managed } from './lib/process.mjs';
import { newCookieSecret, configText, sanitizerEnv } from './lib/latchkey.mjs';

const OPENSSL = '/usr/bin/openssl';
const skip = fs.existsSync(OPENSSL) ? false : 'the openssl command is not installed (make deps)';
let dir, server, port, weakConf, configFile;

before(async () => {
  if (skip) return;
  dir = workDir('provider-tls');
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const made = spawnSync(OPENSSL, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  // A system that still allows the old protocols, for the server and for latchkey alike.
  weakConf = path.join(dir, 'openssl-weak.cnf');
  fs.writeFileSync(weakConf, `openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
MinProtocol = TLSv1
CipherString = DEFAULT@SECLEVEL=0
`);
  port = await freePort();
  server = new Managed('openssl s_server -tls1_1', OPENSSL,
    ['s_server', '-accept', String(port), '-tls1_1', '-cert', cert, '-key', key, '-www', '-cipher', 'DEFAULT@SECLEVEL=0'],
    { logFile: path.join(dir, 's_server.log'), env: { ...process.env, OPENSSL_CONF: weakConf } });
  await waitForConnect({ host: '127.0.0.1', port }, { isAlive: () => server.alive, what: 'openssl s_server' });
  configFile = path.join(dir, 'latchkey.conf');
  fs.writeFileSync(configFile, configText({
    issuer: `https://127.0.0.1:${port}`, client_id: 'tls-client', client_secret: 'tls-secret',
    redirect_uri: 'http://127.0.0.1:1/login/authorized', cookie_secret: newCookieSecret(), ca_file: cert,
    http_timeout: 5,
  }), { mode: 0o600 });
});

after(async () => { await server?.stop('SIGTERM', 5000); });

// The TLS 1.1-only server is refused at the handshake: the check never gets to read the
// server's answer (which is an HTML status page, not a discovery document).
test('--check refuses a provider that speaks only TLS 1.1', { skip }, () => {
  const r = spawnSync(latchkeyBinary(), ['--config', configFile, '--check'], {
    encoding: 'utf8', timeout: 30000, env: { PATH: process.env.PATH, OPENSSL_CONF: weakConf, ...sanitizerEnv() },
  });
  assert.equal(r.status, 1, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /tls|ssl|protocol version|handshake/i, r.stderr);
  assert.doesNotMatch(r.stderr, /JSON|answered 200|discovery answered/i, `latchkey talked TLS 1.1 with the provider:\n${r.stderr}`);
});
