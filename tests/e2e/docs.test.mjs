// The docs match the code: every configuration key of the key table in src/config/keys.cc and every
// route of the route table in src/app/router.cc is in the README, the man page and
// `latchkey --help`, and nothing else is; --help words each default as the README does, and the
// numeric defaults agree with the man page; the man page renders without warnings from man and
// groff. A key or route added without its docs fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO, RELEASE_BINARY, findProgram } from './lib/paths.mjs';

const read = (file) => fs.readFileSync(path.join(REPO, file), 'utf8');
const sorted = (items) => [...new Set(items)].sort();

// The string literals of one C++ table, found by its name.
function tableFromSource(file, name, itemPattern) {
  const source = read(file);
  const table = source.match(new RegExp(`${name}\\s*=\\s*\\{([\\s\\S]*?)\\};`));
  assert.ok(table, `${file} has the table ${name}`);
  return [...table[1].matchAll(itemPattern)].map((m) => m[1]);
}

const KEYS = tableFromSource('src/config/keys.cc', 'kKeys', /"([a-z0-9_]+)"/g);
const ROUTES = tableFromSource('src/app/router.cc', 'kRoutes', /\{"(\/[^"]*)"/g);

// The part of a markdown file under a "## title" heading.
function markdownSection(text, title) {
  const start = text.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `README has a "## ${title}" section`);
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

// First cells of the markdown table rows in a section (header and rule rows dropped).
function firstCells(section) {
  return section.split('\n').filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l))
    .map((l) => l.split('|')[1].trim()).slice(1);
}

// The tag lines (the line after each .TP) of one man page section, with font escapes removed.
function manTags(text, section) {
  const start = text.indexOf(`\n.SH ${section}\n`);
  assert.ok(start >= 0, `man page has a ${section} section`);
  const end = text.indexOf('\n.SH ', start + 1);
  const lines = text.slice(start, end).split('\n');
  const tags = [];
  lines.forEach((line, i) => { if (line === '.TP' && lines[i + 1]) tags.push({ tag: lines[i + 1], body: lines.slice(i + 2) }); });
  return tags.map(({ tag, body }) => {
    const next = body.findIndex((l) => l === '.TP' || l.startsWith('.SH'));
    return { tag: tag.replace(/\\f[BIRP]/g, '').replace(/\\-/g, '-').replace(/^\.\w+\s*/, ''), body: body.slice(0, next < 0 ? undefined : next).join('\n').replace(/\\-/g, '-') };
  });
}

const routesIn = (text) => [...text.replace(/`/g, '').matchAll(/(?:^|[\s"])(\/[\w/.-]*)/g)].map((m) => m[1]);
const keysIn = (text) => [...text.matchAll(/[a-z][a-z0-9]*(?:_[a-z0-9]+)+|\b[a-z]+\b/g)].map((m) => m[0]).filter((w) => KEYS.includes(w));

function help() {
  const r = spawnSync(RELEASE_BINARY, ['--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const line = (label) => {
    const found = r.stdout.split('\n').find((l) => l.startsWith(label));
    assert.ok(found, `--help has a "${label}" line\n${r.stdout}`);
    return found.slice(label.length).trim().split(/\s+/);
  };
  const lines = r.stdout.split('\n');
  const start = lines.indexOf('Defaults:');
  assert.ok(start >= 0, `--help has a "Defaults:" block\n${r.stdout}`);
  const defaults = {};
  for (const l of lines.slice(start + 1)) {
    const m = l.match(/^ {2}([a-z0-9_]+) +(.+)$/);
    if (!m) break;
    defaults[m[1]] = m[2];
  }
  return { keys: line('Configuration keys:'), routes: line('Routes (under base_path):'), defaults };
}

const readme = read('README.md');
const man = read('man/latchkey.8');

test('the tables in the source are found', () => {
  assert.ok(KEYS.length >= 20 && KEYS.includes('client_id') && KEYS.includes('cookie_secret_file'), KEYS.join(' '));
  assert.ok(ROUTES.includes('/auth') && ROUTES.includes('/login/authorized'), ROUTES.join(' '));
});

test('README, man page and --help list every configuration key of src/config/keys.cc, and only those', () => {
  const readmeKeys = firstCells(markdownSection(readme, 'Configuration')).flatMap((cell) => [...cell.matchAll(/`([a-z0-9_]+)`/g)].map((m) => m[1]));
  assert.deepEqual(sorted(readmeKeys), sorted(KEYS), 'README configuration table');
  const manKeys = manTags(man, 'CONFIGURATION').flatMap(({ tag }) => tag.split(/[\s"/]+/).filter(Boolean));
  assert.deepEqual(sorted(manKeys), sorted(KEYS), 'man page CONFIGURATION tags');
  assert.deepEqual(sorted(help().keys), sorted(KEYS), 'latchkey --help');
});

test('README, man page and --help list every route of src/app/router.cc, and only those', () => {
  const readmeRoutes = firstCells(markdownSection(readme, 'What it does')).flatMap(routesIn);
  assert.deepEqual(sorted(readmeRoutes), sorted(ROUTES), 'README route table');
  const manRoutes = manTags(man, 'ROUTES').flatMap(({ tag }) => routesIn(tag));
  assert.deepEqual(sorted(manRoutes), sorted(ROUTES), 'man page ROUTES tags');
  assert.deepEqual(sorted(help().routes), sorted(ROUTES), 'latchkey --help');
});

test('--help gives each key the default of the README table, in the same words', () => {
  const { defaults } = help();
  assert.deepEqual(sorted(Object.keys(defaults)), sorted(KEYS), '--help Defaults: block');
  const rows = markdownSection(readme, 'Configuration').split('\n').filter((l) => l.startsWith('| `'));
  for (const row of rows) {
    const [, keyCell, , defaultCell] = row.split('|').map((c) => c.trim());
    for (const key of keysIn(keyCell)) assert.equal(defaults[key], defaultCell.replace(/`/g, ''), `default of ${key}`);
  }
});

test('numeric defaults agree between the README table and the man page', () => {
  const rows = markdownSection(readme, 'Configuration').split('\n').filter((l) => l.startsWith('| `'));
  const manBlocks = manTags(man, 'CONFIGURATION');
  let compared = 0;
  for (const row of rows) {
    const [, keyCell, , defaultCell] = row.split('|').map((c) => c.trim());
    const numbers = defaultCell.match(/\b\d+\b/g) ?? [];
    for (const key of keysIn(keyCell)) {
      const block = manBlocks.find(({ tag }) => tag.split(/[\s"/]+/).includes(key));
      for (const n of numbers) {
        assert.match(block.body, new RegExp(`Default:[^\\n]*\\b${n}\\b|Default:\\n[^\\n]*\\b${n}\\b`), `man page default of ${key} is ${n} as in the README`);
        compared += 1;
      }
    }
  }
  assert.ok(compared >= 2, 'the README gives numeric defaults to compare');
});

test('the man page renders without warnings (man -l, groff -ww)', () => {
  const page = path.join(REPO, 'man/latchkey.8');
  for (const tool of ['man', 'groff']) assert.ok(findProgram(tool), `${tool} is installed (man-db; make deps)`);
  const viaMan = spawnSync('man', ['--warnings', '-l', page], { encoding: 'utf8', env: { ...process.env, MANPAGER: 'cat', MANWIDTH: '80', LANG: 'C.UTF-8' } });
  assert.equal(viaMan.status, 0, viaMan.stderr);
  assert.equal(viaMan.stderr.trim(), '', 'man --warnings: no warnings');
  assert.match(viaMan.stdout, /CONFIGURATION/);
  const viaGroff = spawnSync('groff', ['-man', '-ww', '-z', page], { encoding: 'utf8' });
  assert.equal(viaGroff.status, 0, viaGroff.stderr);
  assert.equal(viaGroff.stderr.trim(), '', 'groff -ww: no warnings');
});
