// The authorization paths of /auth, same run, as latchkey CPU time per request (steadier than
// req/s on a shared machine): a session with groups, without and with a per-location group
// rule, and a bearer JWT (verified once, then from the cache). 5 interleaved rounds of 4 s.
//   make build/latchkey && LATCHKEY_BIN=build/latchkey node bench/authz.mjs
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { startStack } from '../tests/e2e/lib/stack.mjs';
import { signIn } from '../tests/e2e/lib/signin.mjs';
import { CLIENT_ID } from '../tests/e2e/lib/provider.mjs';

const stack = await startStack('authz-bench', { config: { scopes: 'openid email profile groups', bearer_tokens: 'true', log_level: 'error' } });
try {
  const client = stack.client();
  await signIn(client);
  const cookie = client.jar.header(`${stack.url}/`);
  const now = Math.floor(Date.now() / 1000);
  const jwt = await (await fetch(`${stack.provider.issuer}/test/sign`, { method: 'POST', body: JSON.stringify({ payload: { iss: stack.provider.issuer, aud: CLIENT_ID, sub: 'bench', iat: now, exp: now + 3600, groups: ['staff'] } }) })).text();
  const targets = {
    auth: [`${stack.url}/_latchkey/auth`, { Cookie: cookie }],
    auth_group_rule: [`${stack.url}/_latchkey/auth?allowed_groups=ops,staff`, { Cookie: cookie }],
    auth_bearer: [`${stack.url}/_latchkey/auth`, { Authorization: `Bearer ${jwt}` }],
  };
  for (const [k, [u, h]] of Object.entries(targets)) {
    const r = await fetch(u, { headers: h });
    if (r.status !== 200) throw new Error(`${k} ${r.status}`);
  }
  const rps = {};
  const pid = stack.latchkey.proc.child.pid;
  const cpu = () => { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return Number(f[11]) + Number(f[12]); };
  for (let round = 0; round < 5; round++) {
    for (const [k, [u, h]] of Object.entries(targets)) {
      const args = ['-t', '2', '-c', '32', '-d', '4s'];
      for (const [hk, hv] of Object.entries(h)) args.push('-H', `${hk}: ${hv}`);
      const c0 = cpu();
      const out = execFileSync('wrk', [...args, u], { encoding: 'utf8' });
      const n = Number(out.match(/(\d+) requests in/)[1]);
      (rps[k] ??= []).push(((cpu() - c0) * 1e4) / n);  // µs of latchkey CPU per request
      if (/Non-2xx/.test(out)) console.log(k, 'non-2xx!');
    }
  }
  const med = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(JSON.stringify(rps));
  console.log(`CPU us/request: auth ${med(rps.auth).toFixed(1)}, group rule ${med(rps.auth_group_rule).toFixed(1)} (throughput-equivalent ${(med(rps.auth) / med(rps.auth_group_rule)).toFixed(3)}x), bearer ${med(rps.auth_bearer).toFixed(1)} (${(med(rps.auth) / med(rps.auth_bearer)).toFixed(3)}x)`);
} finally {
  await stack.stop();
}
