// Rate of refusals (issue 7, item 5): a client hammering the OAuth callback with garbage,
// 10 000 requests through nginx. Every answer is a 4xx, every request leaves one refusal log
// line (sign_in_failed, bad_request or request_refused), and latchkey's memory does not grow:
// VmRSS after the 10 000 within 1 MiB of VmRSS after a warm-up of 1 000. Runs the release
// build (ASan's quarantine would hide or fake growth) unless LATCHKEY_BIN says otherwise;
// RSS is only asserted for the release build.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startFakeStack } from '../provider/fake-stack.mjs';
import { withLogs } from './lib/assertions.mjs';
import { measuredBinary, rssIsMeaningful, rssKiB } from '../soak/lib.mjs';

const REQUESTS = 10000;
const WARM_UP = 1000;
const PARALLEL = 16;
const RSS_BOUND_KIB = 1024;
const REFUSAL_EVENTS = new Set(['sign_in_failed', 'bad_request', 'request_refused']);

let stack;
before(async () => {
  stack = await startFakeStack('refusals', { binary: measuredBinary(), config: { log_level: 'info' } });
});
after(async () => { await stack?.stop(); });

// Deterministic garbage: request i of many shapes a scanner or a broken client sends.
function garbage(i) {
  const rnd = crypto.createHash('sha256').update(`garbage-${i}`).digest();
  const hex = rnd.toString('hex');
  const b64 = rnd.toString('base64url');
  const bytes = [...rnd].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
  const shapes = [
    () => ({ q: '' }),
    () => ({ q: `?${bytes}` }),
    () => ({ q: `?state=${b64}&code=${hex}` }),
    () => ({ q: `?state=${b64}&code=${hex}`, cookie: `latchkey_login_${hex.slice(0, 8)}=${b64}; latchkey=${b64}` }),
    () => ({ q: `?error=access_denied&error_description=${bytes}&state=${b64}` }),
    () => ({ q: `?state=${b64}&state=${hex}&code=a&code=b` }),
    () => ({ q: `?code=${hex}` }),
    () => ({ q: `?state=%zz%&code=%` }),
    () => ({ q: `?state=${'A'.repeat(3000 + rnd[0])}&code=${'B'.repeat(2000)}` }),
    () => ({ q: `?state=${b64}&code=${hex}`, cookie: `${'x'.repeat(40)}=${'y'.repeat(3000)}; latchkey=v1.${b64}.${hex}` }),
    () => ({ q: `?state=${encodeURIComponent('<script>alert(1)</script>')}&code=${encodeURIComponent('"\u0000\r\n')}` }),
    () => ({ q: `?${'&'.repeat(200)}=${'='.repeat(100)}` }),
  ];
  return shapes[i % shapes.length]();
}

async function hammer(url, from, count) {
  const statuses = {};
  let next = from;
  const worker = async () => {
    while (next < from + count) {
      const i = next++;
      const { q, cookie } = garbage(i);
      const res = await fetch(`${url}/login/authorized${q}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return statuses;
}

const refusalLines = () => stack.latchkey.logs().filter((o) => REFUSAL_EVENTS.has(o.event)).length;

test(`${REQUESTS} garbage callbacks: each a 4xx, each logged, no memory growth`, async (tt) => withLogs(stack, async () => {
  const pid = stack.latchkey.proc.child.pid;
  await hammer(stack.url, 0, WARM_UP);
  // Let the last log lines arrive before counting from here.
  await new Promise((r) => setTimeout(r, 200));
  const rssBefore = rssKiB(pid);
  const linesBefore = refusalLines();

  const started = Date.now();
  const statuses = await hammer(stack.url, WARM_UP, REQUESTS);
  const ms = Date.now() - started;
  await new Promise((r) => setTimeout(r, 300));
  const rssAfter = rssKiB(pid);
  const logged = refusalLines() - linesBefore;
  const unparsed = stack.latchkey.proc.stderrLines.filter((l) => { try { JSON.parse(l); return false; } catch { return true; } });

  console.log(`# ${REQUESTS} garbage callbacks in ${ms} ms (${Math.round(REQUESTS / (ms / 1000))}/s): statuses ${JSON.stringify(statuses)}, ` +
    `${logged} refusal log lines, VmRSS ${rssBefore} KiB -> ${rssAfter} KiB (${rssAfter - rssBefore >= 0 ? '+' : ''}${rssAfter - rssBefore} KiB)`);
  const non4xx = Object.keys(statuses).filter((s) => Number(s) < 400 || Number(s) >= 500);
  assert.deepEqual(non4xx, [], `every answer a 4xx: ${JSON.stringify(statuses)}`);
  assert.equal(Object.values(statuses).reduce((a, b) => a + b, 0), REQUESTS);
  assert.deepEqual(unparsed.slice(0, 3), [], 'every log line is one JSON object (no interleaving)');
  assert.equal(logged, REQUESTS, 'one refusal log line per garbage request');
  if (rssIsMeaningful()) {
    assert.ok(rssAfter - rssBefore <= RSS_BOUND_KIB, `VmRSS grew by ${rssAfter - rssBefore} KiB (bound ${RSS_BOUND_KIB} KiB)`);
  }
})(tt));
