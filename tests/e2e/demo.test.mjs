// make demo: it installs only what the demo needs (no browser, Apache, valgrind or clang), and
// when run over SSH it prints the port forwards that reach it from the visitor's own computer.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { REPO } from './lib/paths.mjs';
import { Managed } from './lib/process.mjs';
import { freePorts } from './lib/ports.mjs';

const running = [];
after(async () => { for (const p of running) await p.stop('SIGINT', 15000); });

test('the demo profile of tools/deps.sh holds no test toolchain', () => {
  const list = (profile) => spawnSync('tools/deps.sh', profile ? [profile] : [], {
    cwd: REPO, encoding: 'utf8', env: { ...process.env, DEPS_PRINT: '1' },
  }).stdout.split('\n').filter(Boolean);
  const demo = list('--demo');
  for (const needed of ['g++', 'make', 'libfcgi-dev', 'libcurl4-openssl-dev', 'nodejs']) assert.ok(demo.includes(needed), needed);
  for (const notNeeded of ['chromium', 'apache2', 'valgrind', 'clang', 'lintian', 'libgtest-dev']) {
    assert.ok(!demo.includes(notNeeded), `${notNeeded} is not installed for the demo`);
  }
  const all = list('');
  for (const p of ['chromium', 'apache2', 'lintian', 'debhelper']) assert.ok(all.includes(p), `make test installs ${p}`);
});

test('over SSH the demo prints the ssh -L line for both of its ports', async () => {
  const [sitePort, providerPort] = await freePorts(2);
  const demo = new Managed('demo', 'tools/demo.sh', [], {
    cwd: REPO,
    env: { ...process.env, DEMO_PORT: String(sitePort), DEMO_PROVIDER_PORT: String(providerPort), SSH_CONNECTION: '198.51.100.7 50022 192.0.2.10 2222' },
  });
  running.push(demo);
  const line = await demo.waitForLine((l) => l.includes('ssh -N -L'), { timeoutMs: 60000, what: 'the ssh hint' });
  const site = demo.lines.find((l) => /Open http:\/\/127\.0\.0\.1:\d+\//.test(l)).match(/127\.0\.0\.1:(\d+)/)[1];
  const provider = demo.lines.find((l) => /Provider: http:\/\/127\.0\.0\.1:\d+/.test(l)).match(/127\.0\.0\.1:(\d+)/)[1];
  assert.match(line, new RegExp(`-L ${site}:127\\.0\\.0\\.1:${site} -L ${provider}:127\\.0\\.0\\.1:${provider} -p 2222 \\S+@192\\.0\\.2\\.10$`));
});
