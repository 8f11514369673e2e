// Starting custom templates from the built-in ones: `latchkey --print-templates DIR` writes
// them, latchkey serves them unchanged from templates_dir, and a template the pages' CSP would
// silently break stops start-up with a line naming the file and the reason. Runs the real
// binary (as CGI: one request, no provider needed for the signed-out page).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { workDir, latchkeyBinary } from './lib/paths.mjs';
import { runCgi, newCookieSecret, configText, sanitizerEnv } from './lib/latchkey.mjs';

const dir = workDir('templates');
const printTemplates = (target) => spawnSync(latchkeyBinary(), ['--print-templates', target], {
  encoding: 'utf8', env: { PATH: process.env.PATH, ...sanitizerEnv() },
});

// GET / as CGI with templates_dir set; returns runCgi's result.
function home(templatesDir) {
  const file = path.join(dir, 'latchkey.conf');
  fs.writeFileSync(file, configText({
    issuer: 'http://127.0.0.1:9', client_id: 'c', client_secret: 's',
    redirect_uri: 'http://127.0.0.1/login/authorized', cookie_secret: newCookieSecret(),
    templates_dir: templatesDir, site_name: 'Example Intranet',
  }));
  return runCgi({
    env: { LATCHKEY_CONFIG: file, GATEWAY_INTERFACE: 'CGI/1.1', REQUEST_METHOD: 'GET', REQUEST_URI: '/', QUERY_STRING: '', REMOTE_ADDR: '127.0.0.1', SERVER_NAME: 'localhost', SERVER_PORT: '80' },
  });
}

test('--print-templates writes the built-in pages, which latchkey then serves as they are', () => {
  const target = path.join(dir, 'exported');
  const first = printTemplates(target);
  assert.equal(first.status, 0, first.stderr);
  assert.deepEqual(fs.readdirSync(target).sort(), ['error.html', 'signed_in.html', 'signed_out.html']);
  assert.match(fs.readFileSync(path.join(target, 'signed_out.html'), 'utf8'), /<h1>\{\{heading\}\}<\/h1>/);

  const r = home(target);
  assert.equal(r.status, 200, r.stderr);
  assert.match(r.body, /<h1>Welcome to Example Intranet<\/h1>/);

  // An edited copy is never overwritten.
  fs.writeFileSync(path.join(target, 'error.html'), '<p>{{title}}</p>');
  const again = printTemplates(target);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /error\.html exists; kept as it is/);
  assert.equal(fs.readFileSync(path.join(target, 'error.html'), 'utf8'), '<p>{{title}}</p>');
});

test('a template the CSP would break stops start-up, naming the file and the reason', () => {
  const cases = [
    ['<img src="https://cdn.example/logo.png" alt="">', /signed_out\.html: loads src="https:\/\/cdn\.example\/logo\.png" from another site/],
    ['<a href="{{login_url}}" onclick="track()">Sign in</a>', /signed_out\.html: has an event handler attribute/],
    ['<style>@import url(/site.css);</style>', /signed_out\.html: uses @import/],
    ['<form action="https://evil.example/collect"><button>Go</button></form>', /signed_out\.html: has a form that posts to another site/],
  ];
  for (const [html, expected] of cases) {
    const custom = fs.mkdtempSync(path.join(dir, 'custom-'));
    fs.writeFileSync(path.join(custom, 'signed_out.html'), `<!doctype html><html lang="en"><title>x</title>${html}</html>`);
    const r = home(custom);
    assert.notEqual(r.code, 0, `refused: ${html}`);
    assert.match(r.stderr, expected);
  }
});
