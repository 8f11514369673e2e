// The Debian package: `make deb` builds it with dpkg-buildpackage and lintian passes it; apt
// installs it (the latchkey user and group, the private /etc/latchkey, libcurl4 pulled in);
// and the installed program, started the way the installed latchkey.socket/.service start
// it, signs a visitor in through nginx. At the end the package is purged again.
//
// systemd is rarely PID 1 where tests run (containers), so the socket unit's part is played
// by systemd-socket-activate, with the ExecStart= and User of the installed unit, and the
// configuration handed over in a credentials directory, as LoadCredential= does.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO, workDir } from './lib/paths.mjs';
import { freePort, waitForConnect } from './lib/ports.mjs';
import { Managed } from './lib/process.mjs';
import { configText, newCookieSecret } from './lib/latchkey.mjs';
import { startProvider, CLIENT_ID, CLIENT_SECRET, DEMO_ACCOUNT } from './lib/provider.mjs';
import { startNginx, runNginx, FASTCGI_PARAMS } from './lib/nginx.mjs';
import { Client } from './lib/client.mjs';
import { signIn, authorizeAtProvider } from './lib/signin.mjs';
import { startApache, apacheAvailable } from './lib/apache.mjs';

const has = (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed (${r.status}):\n${(r.stdout ?? '').slice(-3000)}\n${(r.stderr ?? '').slice(-3000)}`);
  return r.stdout;
};

const missing = ['dpkg-buildpackage', 'dh', 'lintian', 'systemd-socket-activate', 'setpriv'].filter((t) => !has(t));
const skip = process.getuid?.() !== 0 ? 'installing a package needs root'
  : missing.length ? `missing ${missing.join(', ')} (tools/deps.sh)` : false;

describe('Debian package', { skip }, () => {
  const dir = workDir('deb');
  let deb;
  const running = [];

  // What `latchkey init` printed: its numbered next steps (without their # notes), and the
  // web-server lines.
  const initSteps = (out) => out.slice(out.indexOf('\nNext:\n')).split('\n').filter((l) => /^  \d+\. /.test(l))
    .map((l) => l.replace(/^  \d+\. /, '').replace(/\s+#.*$/, ''));
  const snippetOf = (out) => out.slice(out.indexOf('Web server configuration:\n') + 'Web server configuration:\n'.length, out.indexOf('\nNext:\n'));

  // `latchkey init --server SERVER` for a site on a free port with a local provider, as root:
  // the file is root:latchkey 0640, and the printed step appends the client secret (typed on
  // its standard input).
  async function initSite(server, conf) {
    const port = await freePort();
    const site = `http://127.0.0.1:${port}`;
    const provider = await startProvider({ dir, redirectUris: [`${site}/login/authorized`] });
    running.push(provider);
    const out = run('/usr/bin/latchkey', ['init', '--server', server, '--site', site, '--issuer', provider.issuer, '--client-id', CLIENT_ID, '--config', conf]);
    assert.equal(run('stat', ['-c', '%a %U:%G', conf]).trim(), '640 root:latchkey');
    const steps = initSteps(out);
    run('sh', ['-c', steps.find((l) => l.includes('client_secret'))], { input: `${CLIENT_SECRET}\n` });
    return { port, site, provider, out, steps };
  }

  // The installed units' start: the configuration handed over as a credential (LoadCredential=),
  // latchkey as the latchkey user, on a socket held the way latchkey.socket holds it.
  async function startInstalledService(conf, name) {
    const credentials = path.join(dir, `${name}-credentials`);
    fs.mkdirSync(credentials, { mode: 0o750 });
    fs.copyFileSync(conf, path.join(credentials, 'latchkey.conf'));
    run('chgrp', ['-R', 'latchkey', credentials]);
    const unit = fs.readFileSync('/lib/systemd/system/latchkey.service', 'utf8');
    const argv = unit.match(/^ExecStart=(.+)$/m)[1].replace(/%d/g, credentials).split(/\s+/);
    const socket = path.join(dir, `${name}.sock`);
    const service = new Managed(`latchkey (${name})`, 'systemd-socket-activate',
      ['-l', socket, 'setpriv', '--reuid=latchkey', '--regid=latchkey', '--init-groups', '--', ...argv],
      { logFile: path.join(dir, `latchkey-${name}.log`) });
    running.push({ stop: () => service.stop('SIGTERM', 10000) });
    await waitForConnect({ path: socket }, { isAlive: () => service.alive, what: `latchkey (${name})` });
    return { service, socket };
  }

  before(() => {
    // Builds in build/deb/src (a copy of the tree), then lintian --fail-on error,warning.
    const out = run('make', ['--no-print-directory', 'deb'], { cwd: REPO, timeout: 30 * 60 * 1000 });
    fs.writeFileSync(path.join(dir, 'make-deb.log'), out);
    const debDir = path.join(REPO, 'build/deb');
    const name = fs.readdirSync(debDir).find((f) => /^latchkey_[^_]+_[a-z0-9]+\.deb$/.test(f));
    assert.ok(name, `no .deb in ${debDir}`);
    deb = path.join(debDir, name);
  });

  after(async () => {
    for (const p of running.reverse()) await p.stop();
    // The fcgid quick start added www-data to the latchkey group and wrote its own file.
    spawnSync('gpasswd', ['-d', 'www-data', 'latchkey'], { encoding: 'utf8' });
    for (const file of ['fcgid.conf', 'proxy.conf', 'cgi.conf']) fs.rmSync(`/etc/latchkey/${file}`, { force: true });
    if (deb) spawnSync('apt-get', ['purge', '-y', '-q', '-o', 'DPkg::Lock::Timeout=600', 'latchkey'], { encoding: 'utf8' });
  });

  // libcurl is dlopened, so it must be named by hand; the config template is a conffile,
  // private (0640); the units, man page, snippets and docs are where Debian puts them.
  test('the package declares what it needs and ships each file in its place', () => {
    const depends = run('dpkg-deb', ['-f', deb, 'Depends']);
    assert.match(depends, /\blibcurl4\b/);
    assert.match(depends, /\blibfcgi0ldbl\b/, 'shlibs found libfcgi');
    assert.match(depends, /\badduser\b/);
    const conffiles = run('dpkg-deb', ['-I', deb, 'conffiles']);
    assert.match(conffiles, /^\/etc\/latchkey\/latchkey\.conf\.example$/m);
    const listing = run('dpkg-deb', ['-c', deb]);
    for (const file of ['./usr/bin/latchkey', './usr/share/man/man8/latchkey.8.gz',
      './lib/systemd/system/latchkey.service', './lib/systemd/system/latchkey.socket',
      './usr/share/latchkey/nginx/latchkey.conf', './usr/share/latchkey/nginx/protect.conf',
      './usr/share/latchkey/apache/latchkey-proxy-fcgi.conf', './usr/share/latchkey/apache/latchkey-fcgid-gate.conf',
      './usr/share/doc/latchkey/README.md.gz',
      './usr/share/doc/latchkey/copyright']) {
      assert.ok(listing.split('\n').some((l) => l.endsWith(` ${file}`)), `${file} is in the package`);
    }
    assert.match(listing, /^-rw-r----- root\/root .* \.\/etc\/latchkey\/latchkey\.conf\.example$/m);
    assert.match(listing, /^drwxr-x--- root\/root .* \.\/etc\/latchkey\/$/m);
  });

  // postinst: a latchkey system user and group, which may read /etc/latchkey.
  test('apt installs it: the latchkey user, root:latchkey 0750/0640', () => {
    run('apt-get', ['install', '-y', '-q', '-o', 'DPkg::Lock::Timeout=600', deb], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    assert.match(run('getent', ['passwd', 'latchkey']), /^latchkey:x:\d+:\d+:.*:\/nonexistent:\/usr\/sbin\/nologin$/m);
    assert.equal(run('stat', ['-c', '%a %U:%G', '/etc/latchkey']).trim(), '750 root:latchkey');
    assert.equal(run('stat', ['-c', '%a %U:%G', '/etc/latchkey/latchkey.conf.example']).trim(), '640 root:latchkey');
    assert.match(run('/usr/bin/latchkey', ['--version']), /^latchkey \d/);
  });

  test('the installed service signs a visitor in through nginx', async () => {
    const unit = fs.readFileSync('/lib/systemd/system/latchkey.service', 'utf8');
    assert.match(unit, /^ExecStart=\/usr\/bin\/latchkey --config %d\/latchkey\.conf$/m, 'the unit starts latchkey with its credential');
    const socketUnit = fs.readFileSync('/lib/systemd/system/latchkey.socket', 'utf8');
    assert.match(socketUnit, /^ListenStream=\/run\/latchkey\/latchkey\.sock$/m);

    const port = await freePort();
    const site = `http://127.0.0.1:${port}`;
    const provider = await startProvider({ dir, redirectUris: [`${site}/login/authorized`] });
    running.push(provider);
    const conf = path.join(dir, 'installed.conf');
    fs.writeFileSync(conf, configText({
      issuer: provider.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
      redirect_uri: `${site}/login/authorized`, cookie_secret: newCookieSecret(), log_level: 'info',
    }), { mode: 0o640 });
    const { service, socket } = await startInstalledService(conf, 'installed');
    const nginx = await startNginx({ dir, latchkeySocket: socket, port });
    running.push(nginx);

    const client = new Client(site);
    assert.equal((await client.get('/app/index.html')).status, 302, 'signed out: sent to sign in');
    await signIn(client);
    const page = await client.get('/app/index.html');
    assert.equal(page.status, 200, `${page.status}\n${service.tail(20)}`);
    assert.match(page.body, /protected app page/);
    const signInLine = service.stderrLines.map((l) => { try { return JSON.parse(l); } catch { return {}; } })
      .find((l) => l.event === 'sign_in');
    assert.ok(signInLine, `the installed latchkey logged the sign-in\n${service.tail(20)}`);
    // systemd-socket-activate and setpriv exec into latchkey: one process, the unit's user.
    assert.equal(run('ps', ['-o', 'user=', '-p', String(service.child.pid)]).trim(), 'latchkey');
  });

  // The README's quick start for admins, as written: latchkey init --server nginx, the printed
  // command that appends the client secret (fed on stdin, as typed), --check, the printed nginx
  // lines included in a server block, the service started as the unit starts it; sign in.
  // Only the socket path of the printed lines is the test's (systemd's /run/latchkey is not),
  // and nginx's prefix is a test directory holding a copy of /etc/nginx/fastcgi_params.
  test('the admin quick start: latchkey init, client secret, --check, include, sign in', async () => {
    const conf = '/etc/latchkey/latchkey.conf';
    assert.ok(!fs.existsSync(conf), `${conf} exists before the test`);
    const port = await freePort();
    const site = `http://127.0.0.1:${port}`;
    const provider = await startProvider({ dir, redirectUris: [`${site}/login/authorized`] });
    running.push(provider);
    const init = ['init', '--server', 'nginx', '--site', site, '--issuer', provider.issuer, '--client-id', CLIENT_ID];
    const out = run('/usr/bin/latchkey', init);
    assert.equal(run('stat', ['-c', '%a %U:%G', conf]).trim(), '640 root:latchkey');
    const secret = fs.readFileSync(conf, 'utf8').match(/^cookie_secret = (\S+)$/m)?.[1];
    assert.ok(secret && Buffer.from(secret, 'base64').length === 32, 'a 32-byte cookie secret');
    assert.ok(!out.includes(secret), 'the secret is never printed');
    assert.match(out, new RegExp(`Register this redirect URI at the provider:\\n  ${site}/login/authorized\\n`));
    const again = spawnSync('/usr/bin/latchkey', init, { encoding: 'utf8' });
    assert.equal(again.status, 1, 'an existing configuration is kept');
    assert.match(again.stderr, /exists; kept as it is/);
    assert.ok(fs.readFileSync(conf, 'utf8').includes(secret));

    // Next step 1, exactly as printed, with the secret typed on its standard input.
    const steps = out.slice(out.indexOf('\nNext:\n')).split('\n').filter((l) => /^  \d+\. /.test(l)).map((l) => l.replace(/^  \d+\. /, ''));
    const appendSecret = steps.find((l) => l.includes('client_secret'))?.replace(/\s+#.*$/, '');
    assert.ok(appendSecret, `a step sets the client secret:\n${out}`);
    run('sh', ['-c', appendSecret], { input: `${CLIENT_SECRET}\n` });
    const check = steps.find((l) => l.includes('--check'));
    assert.equal(check, `latchkey --config ${conf} --check`);
    assert.match(run('/usr/bin/latchkey', ['--config', conf, '--check']), /configuration OK/);

    const { service, socket } = await startInstalledService(conf, 'init');

    // The printed nginx lines in a server block for the site, a page in the protected folder.
    const snippet = snippetOf(out);
    assert.match(snippet, /auth_request \/auth;/);
    const nginxDir = path.join(dir, 'init-nginx');
    fs.mkdirSync(path.join(nginxDir, 'www/private'), { recursive: true });
    fs.writeFileSync(path.join(nginxDir, 'www/private/index.html'), '<!doctype html><p>private page</p>\n');
    fs.writeFileSync(path.join(nginxDir, 'latchkey-snippet.conf'), snippet.replaceAll('/run/latchkey/latchkey.sock', socket));
    // `include fastcgi_params` is relative to nginx's prefix (/etc/nginx), here the test's.
    fs.copyFileSync(FASTCGI_PARAMS, path.join(nginxDir, 'fastcgi_params'));
    const nginx = await runNginx({
      dir: nginxDir, port,
      serverConf: `server {\n    listen 127.0.0.1:${port};\n    server_name 127.0.0.1;\n    root ${nginxDir}/www;\n    include ${nginxDir}/latchkey-snippet.conf;\n}\n`,
    });
    running.push(nginx);

    const client = new Client(site);
    const first = await client.get('/private/index.html?a=1&b=2');
    assert.equal(first.status, 302, 'signed out: sent to sign in');
    assert.equal(first.location, `${site}/login?rd=/private/index.html?a=1&b=2`);
    await signIn(client, undefined, { rd: '/private/index.html' });
    const page = await client.get('/private/index.html');
    assert.equal(page.status, 200, `${page.status}\n${service.tail(20)}\n${nginx.errorTail()}`);
    assert.match(page.body, /private page/);
    assert.equal(page.header('cache-control'), 'private, no-store');
  });
  // The same quick start for Apache + mod_fcgid, with the installed gate: init writes the file
  // root:latchkey 0640 in root:latchkey 0750, the printed steps put www-data in the group, and
  // Apache's www-data children run latchkey (the printed wrapper) as the folder's gate.
  test('the admin quick start for mod_fcgid: init, adduser, the installed gate, sign in', { skip: apacheAvailable(['fcgid', 'headers']) ? false : 'mod_fcgid missing' }, async () => {
    const conf = '/etc/latchkey/fcgid.conf';
    const { port, site, provider, out, steps } = await initSite('apache-fcgid', conf);
    assert.equal(run('stat', ['-c', '%a %U:%G', '/etc/latchkey']).trim(), '750 root:latchkey');
    assert.equal(steps.find((l) => l.startsWith('adduser')), 'adduser www-data latchkey');
    run('sh', ['-c', 'adduser --quiet www-data latchkey']);
    assert.match(run('setpriv', ['--reuid=www-data', '--regid=www-data', '--init-groups', '/usr/bin/latchkey', '--config', conf, '--check']), /configuration OK/, 'www-data reads it');

    // The printed wrapper and lines, in a test directory instead of /usr/lib/cgi-bin.
    const snippet = snippetOf(out);
    const apacheDir = path.join(dir, 'init-apache');
    const bin = path.join(apacheDir, 'cgi-bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.mkdirSync(path.join(apacheDir, 'www/private'), { recursive: true });
    fs.writeFileSync(path.join(apacheDir, 'www/private/index.html'), '<!doctype html><p>fcgid private page</p>\n');
    const here = (text) => text.replaceAll('/usr/lib/cgi-bin', bin);
    const writeWrapper = steps.find((l) => l.includes('latchkey.fcgi'));
    assert.ok(writeWrapper, `a step writes the wrapper:\n${out}`);
    run('sh', ['-c', here(writeWrapper)]);
    assert.equal(fs.readFileSync(path.join(bin, 'latchkey.fcgi'), 'utf8'), `#!/bin/sh\nexec /usr/bin/latchkey --config ${conf}\n`);
    const gate = fs.readFileSync('/usr/share/latchkey/apache/latchkey-fcgid-gate.conf', 'utf8');
    const apache = await startApache({
      dir: apacheDir, port, modules: ['fcgid', 'headers'], user: 'www-data', group: 'www-data',
      site: `DocumentRoot ${apacheDir}/www\n<Directory ${apacheDir}/www>\n    Require all granted\n</Directory>\nFcgidIPCDir ${apacheDir}/run\nFcgidProcessTableFile ${apacheDir}/run/fcgid_shm\n${here(snippet)}\n${here(gate)}`,
    });
    running.push(apache);

    const client = new Client(site);
    const first = await client.get('/private/index.html?a=1&b=2');
    assert.equal(first.status, 302, `${client.describe()}\n${apache.errorTail()}`);
    assert.ok(first.location.startsWith(provider.issuer), first.location);
    const back = await client.get(await authorizeAtProvider(client, first.location));
    assert.equal(back.location, `${site}/private/index.html?a=1&b=2`);
    const page = await client.get(back.location);
    assert.equal(page.status, 200, `${client.describe()}\n${apache.errorTail()}`);
    assert.match(page.body, /fcgid private page/);
  });
  // The quick start for Apache + mod_proxy_fcgi: the installed service on its socket (group
  // www-data, 0660, as latchkey.socket makes it), Apache passing latchkey's pages to it with the
  // printed lines. Apache never reads the configuration, so there is no adduser step.
  test('the admin quick start for mod_proxy_fcgi: init, the service, the printed lines, sign in', { skip: apacheAvailable(['proxy', 'proxy_fcgi']) ? false : 'mod_proxy_fcgi missing' }, async () => {
    const conf = '/etc/latchkey/proxy.conf';
    const { port, site, out, steps } = await initSite('apache-proxy-fcgi', conf);
    assert.ok(!steps.some((l) => l.startsWith('adduser')), `Apache does not read the file:\n${out}`);
    assert.match(run('/usr/bin/latchkey', ['--config', conf, '--check']), /configuration OK/);
    const { service, socket } = await startInstalledService(conf, 'proxy');
    run('chgrp', ['www-data', socket]);
    fs.chmodSync(socket, 0o660);

    const apacheDir = path.join(dir, 'proxy-apache');
    fs.mkdirSync(path.join(apacheDir, 'www'), { recursive: true });
    const apache = await startApache({
      dir: apacheDir, port, modules: ['proxy', 'proxy_fcgi'], user: 'www-data', group: 'www-data',
      site: `DocumentRoot ${apacheDir}/www\n<Directory ${apacheDir}/www>\n    Require all granted\n</Directory>\n${snippetOf(out).replaceAll('/run/latchkey/latchkey.sock', socket)}`,
    });
    running.push(apache);

    const client = new Client(site);
    await signIn(client);
    const me = await client.get('/userinfo');
    assert.equal(me.status, 200, `${client.describe()}\n${service.tail(20)}\n${apache.errorTail()}`);
    assert.equal(JSON.parse(me.body).email, DEMO_ACCOUNT.login);
  });

  // The quick start for plain CGI: the installed wrapper with its two paths set as printed, the
  // installed .htaccess, Apache's www-data children running latchkey for each request and
  // reading the file through the latchkey group.
  test('the admin quick start for plain CGI: init, adduser, the installed wrapper and .htaccess, sign in', { skip: apacheAvailable(['cgid', 'rewrite']) ? false : 'mod_cgid missing' }, async () => {
    const conf = '/etc/latchkey/cgi.conf';
    const { port, site, out, steps } = await initSite('apache-cgi', conf);
    assert.equal(steps.find((l) => l.startsWith('adduser')), 'adduser www-data latchkey');
    run('sh', ['-c', 'adduser --quiet www-data latchkey']);
    assert.match(run('setpriv', ['--reuid=www-data', '--regid=www-data', '--init-groups', '/usr/bin/latchkey', '--config', conf, '--check']), /configuration OK/, 'www-data reads it');
    assert.equal(snippetOf(out).match(/^LATCHKEY_CONFIG=(.+)$/m)?.[1], conf, `the wrapper's configuration:\n${out}`);

    const apacheDir = path.join(dir, 'cgi-apache');
    const pub = path.join(apacheDir, 'public_html');
    fs.mkdirSync(path.join(pub, 'latchkey'), { recursive: true });
    const wrapper = fs.readFileSync('/usr/share/latchkey/apache/latchkey.cgi', 'utf8')
      .replace(/^LATCHKEY=\S+/m, 'LATCHKEY=/usr/bin/latchkey').replace(/^CONFIG=\S+/m, `CONFIG=${conf}`);
    fs.writeFileSync(path.join(pub, 'latchkey/latchkey.cgi'), wrapper, { mode: 0o755 });
    fs.copyFileSync('/usr/share/latchkey/apache/htaccess-cgi', path.join(pub, '.htaccess'));
    fs.writeFileSync(path.join(pub, 'latchkey/.htaccess'), 'Options +ExecCGI\nAddHandler cgi-script .cgi\n');
    const apache = await startApache({
      dir: apacheDir, port, modules: ['cgid', 'rewrite'], user: 'www-data', group: 'www-data',
      site: `DocumentRoot ${pub}\n<Directory ${pub}>\n    AllowOverride All\n    Require all granted\n</Directory>`,
    });
    running.push(apache);

    const client = new Client(site);
    await signIn(client);
    const me = await client.get('/userinfo');
    assert.equal(me.status, 200, `${client.describe()}\n${apache.errorTail()}`);
    assert.equal(JSON.parse(me.body).email, DEMO_ACCOUNT.login);
  });
});
