// What a packager gets: `make install DESTDIR=... PREFIX=/usr` lays out the binary, the example
// configuration (0640), the nginx and Apache recipes, the systemd units naming the installed
// paths and the man page; every configuration key latchkey knows is documented in the man page
// and in the example, and the example is a configuration latchkey accepts once its
// placeholders are filled in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO, RELEASE_BINARY, workDir } from './lib/paths.mjs';
import { Managed } from './lib/process.mjs';
import { waitForConnect } from './lib/ports.mjs';
import { newCookieSecret } from './lib/latchkey.mjs';
import { fastcgiRequest, cgiParams } from './lib/fastcgi.mjs';

const dir = workDir('install');
const binary = process.env.LATCHKEY_BIN ?? RELEASE_BINARY;

function configKeys() {
  const help = spawnSync(binary, ['--help'], { encoding: 'utf8' });
  const line = `${help.stdout}${help.stderr}`.split('\n').find((l) => l.startsWith('Configuration keys:'));
  assert.ok(line, `latchkey --help lists the configuration keys\n${help.stdout}`);
  return line.slice('Configuration keys:'.length).trim().split(/\s+/);
}

// The files land where packagers and the units expect them, with the right modes.
test('make install DESTDIR PREFIX=/usr lays out every file', () => {
  const dest = path.join(dir, 'root');
  // INSTALL_TEST_BUILD_DIR: another build directory (make BUILD=...) to install from.
  const build = process.env.INSTALL_TEST_BUILD_DIR ? [`BUILD=${process.env.INSTALL_TEST_BUILD_DIR}`] : [];
  const r = spawnSync('make', ['-s', 'install', `DESTDIR=${dest}`, 'PREFIX=/usr', ...build], { cwd: REPO, encoding: 'utf8', timeout: 600000 });
  assert.equal(r.status, 0, `make install failed:\n${r.stdout}\n${r.stderr}`);
  const mode = (p) => fs.statSync(path.join(dest, p)).mode & 0o777;
  const expected = {
    'usr/bin/latchkey': 0o755,
    'etc/latchkey/latchkey.conf.example': 0o640,
    'usr/lib/systemd/system/latchkey.service': 0o644,
    'usr/lib/systemd/system/latchkey.socket': 0o644,
    'usr/share/man/man8/latchkey.8': 0o644,
    'usr/share/latchkey/nginx/latchkey.conf': 0o644,
    'usr/share/latchkey/nginx/protect.conf': 0o644,
    'usr/share/latchkey/nginx/central-app.conf': 0o644,
    'usr/share/latchkey/nginx/nginx-systemd.conf': 0o644,
    'usr/share/latchkey/apache/latchkey-proxy-fcgi.conf': 0o644,
    'usr/share/latchkey/apache/latchkey-fcgid.conf': 0o644,
    'usr/share/latchkey/apache/latchkey-fcgid-gate.conf': 0o644,
    'usr/share/latchkey/apache/latchkey-authnz-fcgi.conf': 0o644,
    'usr/share/latchkey/apache/latchkey-authnz-provider.conf': 0o644,
    'usr/share/latchkey/apache/htaccess-cgi': 0o644,
    'usr/share/latchkey/apache/htaccess-protect-folder': 0o644,
    'usr/share/latchkey/apache/latchkey.cgi': 0o755,
    'usr/share/latchkey/apache/latchkey-gate.cgi': 0o755,
  };
  for (const [file, m] of Object.entries(expected)) {
    assert.ok(fs.existsSync(path.join(dest, file)), `${file} is installed`);
    assert.equal(mode(file).toString(8), m.toString(8), `${file} mode`);
  }
  assert.equal(mode('etc/latchkey').toString(8), '750', '/etc/latchkey is not world-readable');
  // Stripped when installed, while build/ keeps the debug information.
  const sections = (file) => spawnSync('readelf', ['-S', '-W', file], { encoding: 'utf8' }).stdout;
  assert.doesNotMatch(sections(path.join(dest, 'usr/bin/latchkey')), /\.debug_info|\.symtab/, 'installed binary is stripped');
  assert.match(sections(path.join(REPO, process.env.INSTALL_TEST_BUILD_DIR ?? 'build', 'latchkey')), /\.debug_info/, 'build/latchkey keeps its debug information');
  const unit = fs.readFileSync(path.join(dest, 'usr/lib/systemd/system/latchkey.service'), 'utf8');
  assert.match(unit, /^ExecStart=\/usr\/bin\/latchkey --config %d\/latchkey\.conf$/m);
  assert.match(unit, /^LoadCredential=latchkey\.conf:\/etc\/latchkey\/latchkey\.conf$/m);
  const socket = fs.readFileSync(path.join(dest, 'usr/lib/systemd/system/latchkey.socket'), 'utf8');
  assert.match(socket, /^SocketMode=0660$/m);
  assert.match(socket, /^SocketGroup=www-data$/m);
});

// The man page renders without groff warnings and lists every key with its default.
test('man page and example configuration document every configuration key', () => {
  const keys = configKeys();
  const man = fs.readFileSync(path.join(REPO, 'man/latchkey.8'), 'utf8').replace(/\\-/g, '-');
  const example = fs.readFileSync(path.join(REPO, 'deploy/latchkey.conf.example'), 'utf8');
  for (const key of keys) {
    assert.match(man, new RegExp(`^\\.(B|BR) ${key}\\b|^\\.BR \\S+ " / " ${key}\\b`, 'm'), `man page documents ${key}`);
    assert.match(example, new RegExp(`^#?${key} =`, 'm'), `example configuration has ${key}`);
  }
  if (spawnSync('sh', ['-c', 'command -v man']).status === 0) {
    const r = spawnSync('man', ['--warnings', '-l', path.join(REPO, 'man/latchkey.8')], { encoding: 'utf8', env: { ...process.env, MANPAGER: 'cat', MANWIDTH: '100' } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', 'no groff warnings');
  }
});

// With the placeholders filled in (here through LATCHKEY_* variables), the example starts.
test('the example configuration is accepted once its placeholders are filled in', async () => {
  const socket = path.join(dir, 'example.sock');
  const proc = new Managed('latchkey', binary, ['--config', path.join(REPO, 'deploy/latchkey.conf.example'), '--listen', `unix:${socket}`], {
    // The state directory is the deployment's (StateDirectory= of the unit): one of the test's.
    env: { PATH: process.env.PATH, LATCHKEY_COOKIE_SECRET: newCookieSecret(), LATCHKEY_SESSION_STORE: `sqlite:${dir}/state.db` },
    logFile: path.join(dir, 'example.log'),
  });
  try {
    await waitForConnect({ path: socket }, { isAlive: () => proc.alive, what: 'latchkey with the example configuration', timeoutMs: 10000 });
    const req = fastcgiRequest(socket);
    await req.sendBegin();
    await req.sendParams(cgiParams('/healthz'));
    await req.finish();
    assert.equal((await req.response).status, 200);
  } catch (err) {
    throw new Error(`${err.message}\n${proc.tail()}`);
  } finally {
    await proc.stop('SIGTERM', 10000);
  }
});
