// Where things are: the repository, the binaries under test, the per-file work directories.
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

// A fresh tests/out/<name>/ (gitignored). It is emptied at the start of a run, not at the end,
// so the logs of a failed run stay there to read.
export function workDir(name) {
  const dir = path.join(TESTS, 'out', name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
