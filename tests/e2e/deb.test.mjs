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
import { fastcgiRequest, cgiParams } from './lib/fastcgi.mjs';
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

const SOCKET_DROP_IN_DIR = '/etc/systemd/system/latchkey.socket.d';
const AVAILABLE_PROVIDER = '/etc/apache2/conf-available/latchkey.conf';
const ENABLED_PROVIDER = '/etc/apache2/conf-enabled/latchkey.conf';
const AUTHNZ_SITE = '/usr/share/latchkey/apache/latchkey-authnz-fcgi.conf';

// The addresses latchkey.socket listens on with its drop-ins: each ListenStream= adds one, an
// empty one clears the list (systemd.socket(5)).
function listenStreams(...units) {
  const streams = [];
  for (const text of units) {
    for (const [, value] of text.matchAll(/^ListenStream=(.*)$/gm)) {
      if (value === '') streams.length = 0;
      else streams.push(value);
    }
  }
  return streams;
}

// A latchkey cookie with one character of its signature changed.
function tampered(value) {
  const i = value.length - 2;
  return value.slice(0, i) + (value[i] === 'A' ? 'B' : 'A') + value.slice(i + 1);
}

describe('Debian package', { skip }, () => {
  const dir = workDir('deb');
  let deb;
  const running = [];

  // What `latchkey init` printed: its numbered next steps (without their # notes), and the
  // web-server lines.
  const initSteps = (out) => out.slice(out.indexOf('\nNext:\n')).split('\n').filter((l) => /^  \d+\. /.test(l))
    .map((l) => l.replace(/^  \d+\. /, '').replace(/\s+#.*$/, ''));
  const snippetOf = (out) => out.slice(out.indexOf('Web server configuration:\n') + 'Web server configuration:\n'.length, out.indexOf('\nNext:\n'));
  // The NAME=value lines printed after `heading` (up to the next # line): a script's CHANGE lines.
  const changeLinesAfter = (snippet, heading) => {
    const from = snippet.indexOf(heading);
    assert.ok(from >= 0, `the printed lines name ${heading}:\n${snippet}`);
    const lines = [];
    for (const line of snippet.slice(from).split('\n').slice(1)) {
      if (!/^[A-Z_]+=/.test(line)) break;
      lines.push(line);
    }
    return lines;
  };
  // An installed script with its CHANGE lines replaced by the printed ones, as an admin edits it.
  const withLines = (text, lines) => lines.reduce((t, line) => {
    const name = line.slice(0, line.indexOf('='));
    const at = new RegExp(`^${name}=.*$`, 'm');
    assert.match(t, at, `the script has a ${name}= line`);
    return t.replace(at, line);
  }, text);

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
  async function startInstalledService(conf, name, tcpPort) {
    const credentials = path.join(dir, `${name}-credentials`);
    fs.mkdirSync(credentials, { mode: 0o750 });
    fs.copyFileSync(conf, path.join(credentials, 'latchkey.conf'));
    run('chgrp', ['-R', 'latchkey', credentials]);
    const unit = fs.readFileSync('/lib/systemd/system/latchkey.service', 'utf8');
    const argv = unit.match(/^ExecStart=(.+)$/m)[1].replace(/%d/g, credentials).split(/\s+/);
    const socket = path.join(dir, `${name}.sock`);
    const service = new Managed(`latchkey (${name})`, 'systemd-socket-activate',
      ['-l', socket, ...(tcpPort ? ['-l', `127.0.0.1:${tcpPort}`] : []), 'setpriv', '--reuid=latchkey', '--regid=latchkey', '--init-groups', '--', ...argv],
      { logFile: path.join(dir, `latchkey-${name}.log`) });
    running.push({ stop: () => service.stop('SIGTERM', 10000) });
    await waitForConnect(tcpPort ? { host: '127.0.0.1', port: tcpPort } : { path: socket }, { isAlive: () => service.alive, what: `latchkey (${name})` });
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
    // The mod_authnz_fcgi steps: the socket drop-in and (if the purge test did not run) a2enconf.
    fs.rmSync(SOCKET_DROP_IN_DIR, { recursive: true, force: true });
    fs.rmSync(ENABLED_PROVIDER, { force: true });
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
    assert.match(conffiles, /^\/etc\/apache2\/conf-available\/latchkey\.conf$/m, 'where a2enconf finds it');
    const listing = run('dpkg-deb', ['-c', deb]);
    for (const file of ['./usr/bin/latchkey', './usr/share/man/man8/latchkey.8.gz',
      './lib/systemd/system/latchkey.service', './lib/systemd/system/latchkey.socket',
      './usr/share/latchkey/nginx/latchkey.conf', './usr/share/latchkey/nginx/protect.conf',
      './usr/share/latchkey/apache/latchkey-proxy-fcgi.conf', './usr/share/latchkey/apache/latchkey-fcgid-gate.conf',
      `.${AVAILABLE_PROVIDER}`, `.${AUTHNZ_SITE}`,
      './usr/share/latchkey/apache/htaccess-protect-folder', './usr/share/latchkey/apache/latchkey-gate.cgi',
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
    assert.equal(fs.readFileSync(AVAILABLE_PROVIDER, 'utf8'), fs.readFileSync(path.join(REPO, 'apache/latchkey-authnz-provider.conf'), 'utf8'),
      'the server-level part of the authnz gate, for a2enconf');
    assert.ok(!fs.existsSync(ENABLED_PROVIDER), 'and not enabled at install');
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
    assert.ok(first.location.startsWith(`${provider.issuer}/`), `signed out: straight to the provider, got ${first.location}`);
    const back = await client.get(await authorizeAtProvider(client, first.location));
    assert.equal(back.status, 302, `the callback: ${back.status}\n${service.tail(20)}`);
    assert.equal(back.location, `${site}/private/index.html?a=1&b=2`, 'back to exactly the page asked for');
    const page = await client.get('/private/index.html?a=1&b=2');
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
  // printed lines. Apache never reads the configuration, so there is no adduser step. Then the
  // folder behind the sign-in the printed lines point to: the commands at the head of the
  // installed latchkey-authnz-fcgi.conf, run as written (systemd's part played as above, Apache's
  // a2enmod by the test's own module list), and that file in place of the printed lines.
  test('the admin quick start for mod_proxy_fcgi: init, the service, the printed lines, sign in, the authnz folder gate', { skip: apacheAvailable(['proxy', 'proxy_fcgi', 'authnz_fcgi']) ? false : 'mod_proxy_fcgi or mod_authnz_fcgi missing' }, async () => {
    const conf = '/etc/latchkey/proxy.conf';
    const { port, site, provider, out, steps } = await initSite('apache-proxy-fcgi', conf);
    assert.ok(!steps.some((l) => l.startsWith('adduser')), `Apache does not read the file:\n${out}`);
    assert.match(run('/usr/bin/latchkey', ['--config', conf, '--check']), /configuration OK/);
    const { service, socket } = await startInstalledService(conf, 'proxy');
    run('chgrp', ['www-data', socket]);
    fs.chmodSync(socket, 0o660);

    const apacheDir = path.join(dir, 'proxy-apache');
    fs.mkdirSync(path.join(apacheDir, 'www'), { recursive: true });
    const snippet = snippetOf(out);
    const apache = await startApache({
      dir: apacheDir, port, modules: ['proxy', 'proxy_fcgi'], user: 'www-data', group: 'www-data',
      site: `DocumentRoot ${apacheDir}/www\n<Directory ${apacheDir}/www>\n    Require all granted\n</Directory>\n${snippet.replaceAll('/run/latchkey/latchkey.sock', socket)}`,
    });
    running.push(apache);

    const client = new Client(site);
    await signIn(client);
    const me = await client.get('/userinfo');
    assert.equal(me.status, 200, `${client.describe()}\n${service.tail(20)}\n${apache.errorTail()}`);
    assert.equal(JSON.parse(me.body).email, DEMO_ACCOUNT.login);

    // The folder: what the printed lines say, then the file's own commands.
    assert.match(snippet, new RegExp(`^# and a folder behind the sign-in: ${AUTHNZ_SITE}\\n# in place of these lines`, 'm'));
    const site_ = fs.readFileSync(AUTHNZ_SITE, 'utf8');
    const head = site_.slice(0, site_.indexOf('\n\n'));
    const commands = head.slice(head.indexOf('as root:\n') + 'as root:\n'.length, head.indexOf('\n# (and'))
      .split('\n').map((l) => l.replace(/^#   /, ''));
    assert.ok(commands.length >= 3, `commands at the head of ${AUTHNZ_SITE}:\n${head}`);
    assert.ok(fs.readFileSync(path.join(REPO, 'README.md'), 'utf8').includes(`\n\`\`\`sh\n${commands.join('\n')}\n\`\`\`\n`),
      `the README gives the same commands:\n${commands.join('\n')}`);
    assert.ok(!fs.existsSync(SOCKET_DROP_IN_DIR), `${SOCKET_DROP_IN_DIR} exists before the test`);
    let modules = null;
    let restartSocket = false;
    for (const command of commands) {
      if (/^(mkdir|printf) /.test(command)) {
        run('sh', ['-c', command]);
      } else if (command === 'systemctl daemon-reload && systemctl restart latchkey.socket') {
        restartSocket = true;  // played below: stopping the socket stops the service
      } else if (command.startsWith('a2enmod ')) {
        const [enmod, enconf, ...rest] = command.split(' && ');
        assert.deepEqual(rest, [], command);
        modules = enmod.split(/\s+/).slice(1);
        assert.equal(enconf, 'a2enconf latchkey');
        run('sh', ['-c', enconf]);  // the real one: it finds the packaged file
      } else {
        assert.equal(command, 'apache2ctl configtest && systemctl reload apache2', 'a command the test does not know');
      }
    }
    assert.ok(restartSocket && modules, `the commands move the socket and enable the modules:\n${commands.join('\n')}`);
    assert.equal(fs.readlinkSync(ENABLED_PROVIDER), '../conf-available/latchkey.conf');
    const dropIns = fs.readdirSync(SOCKET_DROP_IN_DIR).map((f) => fs.readFileSync(path.join(SOCKET_DROP_IN_DIR, f), 'utf8'));
    const streams = listenStreams(fs.readFileSync('/lib/systemd/system/latchkey.socket', 'utf8'), ...dropIns);
    assert.deepEqual(streams, ['/run/latchkey/latchkey.sock', '127.0.0.1:9000'], 'latchkey.socket keeps its unix socket and adds loopback TCP');

    // systemctl restart latchkey.socket: both sockets, with a free port in place of 9000 (and
    // the socket path as above); Apache restarted with the enabled provider and the per-site file in place of the
    // printed lines (authn_core and authz_user: Debian's default modules).
    await service.stop('SIGTERM', 10000);
    await apache.stop();
    const tcpPort = await freePort();
    const tcp = await startInstalledService(conf, 'proxy-tcp', tcpPort);
    const here = (text) => text.replaceAll('127.0.0.1:9000', `127.0.0.1:${tcpPort}`);
    const gateDir = path.join(dir, 'proxy-authnz-apache');
    fs.mkdirSync(path.join(gateDir, 'www/private'), { recursive: true });
    fs.writeFileSync(path.join(gateDir, 'www/private/x.html'), '<!doctype html><p>authnz private page</p>\n');
    const gate = await startApache({
      dir: gateDir, port, modules: [...modules, 'authn_core', 'authz_user'], user: 'www-data', group: 'www-data',
      site: `${here(fs.readFileSync(ENABLED_PROVIDER, 'utf8'))}\n<VirtualHost 127.0.0.1:${port}>\nDocumentRoot ${gateDir}/www\n<Directory ${gateDir}/www>\n    Require all granted\n</Directory>\n${here(site_)}\n</VirtualHost>`,
    });
    running.push(gate);

    const visitor = new Client(site);
    const first = await visitor.get('/private/x.html?a=1&b=2');
    assert.equal(first.status, 302, `signed out: sent to sign in\n${visitor.describe()}\n${gate.errorTail()}`);
    assert.ok(first.location.startsWith(provider.issuer), first.location);
    const back = await visitor.get(await authorizeAtProvider(visitor, first.location));
    assert.equal(back.location, `${site}/private/x.html?a=1&b=2`, `${visitor.describe()}\n${tcp.service.tail(20)}`);
    const page = await visitor.get(back.location);
    assert.equal(page.status, 200, `${visitor.describe()}\n${gate.errorTail()}`);
    assert.match(page.body, /authnz private page/);
    assert.equal(page.header('cache-control'), 'private, no-store');

    const forger = new Client(site);
    forger.jar.set(site, 'latchkey', tampered(visitor.jar.get('latchkey').value));
    const forged = await forger.get('/private/x.html?a=1&b=2');
    assert.equal(forged.status, 302, 'a tampered cookie is sent to sign in');
    assert.doesNotMatch(forged.body, /authnz private page/);

    // The same service still answers on the unix socket (nginx or mod_proxy_fcgi keep it).
    const health = fastcgiRequest(tcp.socket);
    await health.sendBegin();
    await health.sendParams(cgiParams('/healthz'));
    await health.finish();
    assert.equal((await health.response).status, 200, tcp.service.tail(20));
  });

  // The quick start for plain CGI: the installed wrapper with its CHANGE lines set as printed,
  // the installed .htaccess, Apache's www-data children running latchkey for each request and
  // reading the file through the latchkey group. Then the folder the printed lines describe:
  // the installed htaccess-protect-folder and latchkey-gate.cgi, its CHANGE lines as printed
  // (the folder on disk is the test's, as the socket paths above).
  test('the admin quick start for plain CGI: init, adduser, the installed wrapper and .htaccess, sign in, the folder gate', { skip: apacheAvailable(['cgid', 'rewrite']) ? false : 'mod_cgid missing' }, async () => {
    const conf = '/etc/latchkey/cgi.conf';
    const { port, site, provider, out, steps } = await initSite('apache-cgi', conf);
    assert.equal(steps.find((l) => l.startsWith('adduser')), 'adduser www-data latchkey');
    run('sh', ['-c', 'adduser --quiet www-data latchkey']);
    assert.match(run('setpriv', ['--reuid=www-data', '--regid=www-data', '--init-groups', '/usr/bin/latchkey', '--config', conf, '--check']), /configuration OK/, 'www-data reads it');
    const snippet = snippetOf(out);
    const wrapperLines = changeLinesAfter(snippet, '/usr/share/latchkey/apache/latchkey.cgi, its CHANGE lines:');
    assert.deepEqual(wrapperLines, ['LATCHKEY=/usr/bin/latchkey', `CONFIG=${conf}`]);
    const gateLines = changeLinesAfter(snippet, '/usr/share/latchkey/apache/latchkey-gate.cgi, its CHANGE lines:');
    assert.deepEqual(gateLines.slice(0, 3), [...wrapperLines, 'PROTECTED_URL=/private']);

    const apacheDir = path.join(dir, 'cgi-apache');
    const pub = path.join(apacheDir, 'public_html');
    fs.mkdirSync(path.join(pub, 'latchkey'), { recursive: true });
    fs.mkdirSync(path.join(pub, 'private'), { recursive: true });
    const installed = (file) => fs.readFileSync(`/usr/share/latchkey/apache/${file}`, 'utf8');
    fs.writeFileSync(path.join(pub, 'latchkey/latchkey.cgi'), withLines(installed('latchkey.cgi'), wrapperLines), { mode: 0o755 });
    fs.copyFileSync('/usr/share/latchkey/apache/htaccess-cgi', path.join(pub, '.htaccess'));
    fs.writeFileSync(path.join(pub, 'latchkey/.htaccess'), 'Options +ExecCGI\nAddHandler cgi-script .cgi\n');
    assert.match(snippet, /^# public_html\/private\/\.htaccess: \/usr\/share\/latchkey\/apache\/htaccess-protect-folder$/m);
    fs.copyFileSync('/usr/share/latchkey/apache/htaccess-protect-folder', path.join(pub, 'private/.htaccess'));
    const gateScript = withLines(installed('latchkey-gate.cgi'), gateLines.map((l) => l.replace('/path/to/public_html', pub)));
    fs.writeFileSync(path.join(pub, 'latchkey/latchkey-gate.cgi'), gateScript, { mode: 0o755 });
    fs.writeFileSync(path.join(pub, 'private/x.html'), '<!doctype html><p>cgi private page</p>\n');
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

    const visitor = new Client(site);
    const first = await visitor.get('/private/x.html?a=1&b=2');
    assert.equal(first.status, 302, `signed out: sent to sign in\n${visitor.describe()}\n${apache.errorTail()}`);
    const login = await visitor.get(first.location);
    assert.equal(login.status, 302, `${visitor.describe()}\n${apache.errorTail()}`);
    assert.ok(login.location.startsWith(provider.issuer), login.location);
    const back = await visitor.get(await authorizeAtProvider(visitor, login.location));
    assert.equal(back.location, `${site}/private/x.html?a=1&b=2`, visitor.describe());
    const page = await visitor.get(back.location);
    assert.equal(page.status, 200, `${visitor.describe()}\n${apache.errorTail()}`);
    assert.match(page.body, /cgi private page/);

    const forger = new Client(site);
    forger.jar.set(site, 'latchkey', tampered(visitor.jar.get('latchkey').value));
    const forged = await forger.get('/private/x.html?a=1&b=2');
    assert.equal(forged.status, 302, 'a tampered cookie is sent to sign in');
    assert.doesNotMatch(forged.body, /cgi private page/);
  });

  // apt purge: the package, the configuration it holds secrets in, and the a2enconf link to the
  // Apache conffile it removes (a dangling link would stop Apache).
  test('apt purge removes the package, its configuration and the enabled Apache conf', () => {
    run('apt-get', ['purge', '-y', '-q', '-o', 'DPkg::Lock::Timeout=600', 'latchkey'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    assert.ok(!fs.existsSync('/usr/bin/latchkey'));
    assert.ok(!fs.existsSync(AVAILABLE_PROVIDER), 'the conffile is gone');
    assert.throws(() => fs.lstatSync(ENABLED_PROVIDER), { code: 'ENOENT' }, 'and its a2enconf link');
    assert.ok(!fs.existsSync('/etc/latchkey/latchkey.conf'));
  });
});
