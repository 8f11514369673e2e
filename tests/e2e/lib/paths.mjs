// Where things are: the repository, the binaries under test, the per-file run directories, and
// the server programs (nginx, apache2, redis-server, ...) as Debian installs them.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const TESTS = path.join(REPO, 'tests');

// The sanitizer build when it exists (every e2e request then doubles as an ASan/UBSan run),
// else the release build. LATCHKEY_BIN overrides both.
export function latchkeyBinary() {
  if (process.env.LATCHKEY_BIN) return process.env.LATCHKEY_BIN;
  const asan = path.join(REPO, 'build/asan/latchkey');
  return fs.existsSync(asan) ? asan : path.join(REPO, 'build/latchkey');
}

export const RELEASE_BINARY = path.join(REPO, 'build/latchkey');
export const MINT_COOKIE = path.join(REPO, 'build/mint_cookie');

// The servers the tests start read and execute files as other users (Apache's children as
// nobody when the tests run as root), and the clone may live in a 0700 home directory. So
// nothing is served from the clone: each test file gets a fresh run directory of mode 0755
// under RUN_BASE (LATCHKEY_TEST_TMP, default /tmp), and tests/out/<name> is a symlink to it
// for reading the logs. The previous run's directory is removed when the next run starts,
// not at the end, so the logs of a failed run stay there to read.
export const RUN_BASE = process.env.LATCHKEY_TEST_TMP || '/tmp';

export function workDir(name) {
  const link = path.join(TESTS, 'out', name);
  removePreviousRun(link, name);
  const dir = fs.mkdtempSync(path.join(RUN_BASE, `latchkey-${name}-`));
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(dir, link);
  return dir;
}

function removePreviousRun(link, name) {
  let stat;
  try { stat = fs.lstatSync(link); } catch { return; }
  if (stat.isSymbolicLink()) {
    const target = fs.readlinkSync(link);
    // Only a directory this function made, and only one of ours.
    if (path.basename(target).startsWith(`latchkey-${name}-`)) {
      try {
        if (fs.lstatSync(target).uid === process.getuid()) fs.rmSync(target, { recursive: true, force: true });
      } catch { /* already gone (/tmp cleaned at boot) */ }
    }
  }
  fs.rmSync(link, { recursive: true, force: true });
}

// The latchkey binary under test for servers that execute it as another user (CGI, mod_fcgid):
// a copy in dir when it lives in the repository, since they could not reach build/ inside a
// 0700 home directory. A program already outside the repository (LATCHKEY_BIN, e.g. the
// valgrind wrapper in its own run directory) is used where it is.
export function binaryForServers(dir, source = latchkeyBinary()) {
  if (path.relative(REPO, path.resolve(source)).startsWith('..')) return source;
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true, mode: 0o755 });
  const copy = path.join(bin, path.basename(source));
  fs.copyFileSync(source, copy);
  fs.chmodSync(copy, 0o755);
  return copy;
}

// Debian installs servers in /usr/sbin, which is not on an ordinary user's PATH.
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

// The absolute path of a program found on PATH or in the sbin directories; undefined if none.
export function findProgram(name) {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SBIN_DIRS];
  for (const d of dirs) {
    const candidate = path.join(d, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch { /* not here */ }
  }
  return undefined;
}

// Like findProgram, but a missing program is an error that says how to get it.
export function requireProgram(name, pkg = name) {
  const found = findProgram(name);
  if (!found) throw new Error(`${name} is not installed (Debian package ${pkg}; make deps)`);
  return found;
}
