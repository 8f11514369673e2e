// Turns bench/results.json (written by bench/run.mjs) into bench/RESULTS.md.
const f0 = (x) => (x === undefined || x === null || Number.isNaN(x) ? 'n/a' : Math.round(x).toLocaleString('en-US'));
const f1 = (x) => (x === undefined || x === null || Number.isNaN(x) ? 'n/a' : x.toFixed(1));
const f2 = (x) => (x === undefined || x === null || Number.isNaN(x) ? 'n/a' : x.toFixed(2));
const ratio = (a, b) => (a && b ? a / b : NaN);
const verdict = (ok) => (ok === undefined || Number.isNaN(ok) ? 'not measured' : ok ? '**met**' : '**missed**');

export function targets(r) {
  const w = (k) => r.wrk[k]?.median;
  const betterApache = Math.max(w('protected_cc') || 0, w('protected_sc') || 0);
  const s = r.signins;
  const betterMod = Math.max(s.mod_auth_openidc_cc?.p1_median || 0, s.mod_auth_openidc_sc?.p1_median || 0);
  const betterMod4 = Math.max(s.mod_auth_openidc_cc?.p4_median || 0, s.mod_auth_openidc_sc?.p4_median || 0);
  const cg = r.callgrind?.auth;
  const r1 = r.round1;
  const t = [
    ['/auth ≥ 0.9 × bare libfcgi', ratio(w('auth'), w('bare_fcgi')), (x) => x >= 0.9, (x) => `${f2(x)} ×`],
    ['(for reference) /auth ≥ 0.9 × bare libfcgi closing as latchkey does', ratio(w('auth'), w('bare_fcgi_nolinger')), (x) => x >= 0.9, (x) => `${f2(x)} ×`],
    ['protected page ≥ 1.5 × Apache + mod_auth_openidc (better mode)', ratio(w('protected_latchkey'), betterApache), (x) => x >= 1.5, (x) => `${f2(x)} ×`],
    ['protected page with the decision cache ≥ 0.7 × the unprotected static page', ratio(w('protected_cached'), w('static')), (x) => x >= 0.7, (x) => `${f2(x)} ×`],
    ['protected page with the decision cache ≥ 3 × Apache + mod_auth_openidc (better mode)', ratio(w('protected_cached'), betterApache), (x) => x >= 3, (x) => `${f2(x)} ×`],
    ...(r1 ? [[`protected page without the cache unchanged from round 1: ÷ static page ≥ 0.9 × its ${f2(r1.protectedOverStatic)} × (${r1.commit}; ÷ Apache then ${f2(r1.protectedOverApache)} ×)`,
      ratio(w('protected_latchkey'), w('static')), (x) => x >= 0.9 * r1.protectedOverStatic, (x) => `${f2(x)} ×`]] : []),
    ['sign-ins/s ≥ 1.25 × mod_auth_openidc, one at a time', ratio(s.latchkey?.p1_median, betterMod), (x) => x >= 1.25, (x) => `${f2(x)} ×`],
    ['sign-ins/s ≥ 1.25 × mod_auth_openidc, 4 in parallel', ratio(s.latchkey?.p4_median, betterMod4), (x) => x >= 1.25, (x) => `${f2(x)} ×`],
    ['/auth with the SQLite session store ≥ 0.9 × stateless /auth', ratio(w('auth_sqlite'), w('auth')), (x) => x >= 0.9, (x) => `${f2(x)} ×`],
    ['/auth with the Redis session store ≥ 0.85 × stateless /auth', ratio(w('auth_redis'), w('auth')), (x) => x >= 0.85, (x) => `${f2(x)} ×`],
    [`sign-out seen by a second instance sharing the Redis store ≤ 1 s (slowest of ${r.revocation?.runsMs.length ?? 0})`, r.revocation?.maxMs, (x) => x <= 1000, (x) => `${f0(x)} ms`],
    ['latchkey CPU per sign-in ≤ 1 ms (one at a time)', s.latchkey?.cpu1_median, (x) => x <= 1, (x) => `${f2(x)} ms`],
    ['≤ 20,000 instructions of latchkey\'s own code per /auth', cg?.perRequestOwn, (x) => x <= 20000, (x) => f0(x)],
    ['RSS ≤ 8 MiB under load', r.rss?.hwmKiB / 1024, (x) => x <= 8, (x) => `${f1(x)} MiB`],
    ['CGI-mode /auth ≤ 5 ms wall', r.cgi?.medianMs, (x) => x <= 5, (x) => `${f1(x)} ms`],
  ];
  // null: a figure that was NaN when results.json was written (a part not run).
  return t.map(([name, value, ok, show]) => ({ name, value, shown: show(value), met: value === undefined || value === null || Number.isNaN(value) ? undefined : ok(value) }));
}

export function writeResults(r) {
  const L = [];
  L.push('# latchkey benchmark results', '');
  L.push('Written by `make bench` (bench/run.mjs); the raw figures are in bench/results.json.', '');
  L.push(`- Machine: ${r.machine}`);
  if ((r.load?.[0] ?? 99) > 2) L.push(`- Shared machine: other jobs (compilers, test suites of other developers) were running on the same cores during this run, so absolute figures are low and noisy (±20% or more between runs). Only the same-run ratios count; every target below is one.`);
  else L.push(`- The machine was otherwise idle at the start (load average ${r.load.map((x) => x.toFixed(1)).join(' ')}), but wrk, nginx, Apache, latchkey and the provider share its 2 cores, so figures still vary ±10–20% between rounds. Only the same-run ratios count; every target below is one.`);
  L.push(`- Method: wrk ${r.wrkShape}, ${r.seconds} s per run, every target once per round, ${r.rounds} rounds interleaved (A B C … A B C …); the figure is the median, with min–max of the rounds. wrk, nginx, Apache, latchkey and the provider all share the same cores.`);
  L.push(`- Versions: ${Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join('; ')}`);
  L.push('');
  L.push('## Targets', '', '| target | this run | verdict |', '|---|---|---|');
  for (const t of targets(r)) L.push(`| ${t.name} | ${t.shown} | ${verdict(t.met)} |`);
  L.push('');
  L.push('## Requests per second', '', 'CPU/request is the user+system time of the FastCGI program serving the target (latchkey\'s process, or the bare program) divided by the requests of the run: it excludes nginx and wrk, and is steadier than req/s on a shared machine.', '');
  L.push('| what | median req/s | min–max | p50 / p99 latency (last round) | FastCGI program CPU/request (median, min–max) |', '|---|---:|---:|---|---:|');
  for (const v of Object.values(r.wrk)) {
    if (!v.runs.length) continue;
    const last = v.runs.at(-1);
    const cpu = v.cpuUsMedian === undefined ? '' : `${f1(v.cpuUsMedian)} µs (${f1(v.cpuUsMin)}–${f1(v.cpuUsMax)})`;
    L.push(`| ${v.label} | ${f0(v.median)} | ${f0(v.min)}–${f0(v.max)} | ${last.p50} / ${last.p99} | ${cpu} |`);
  }
  L.push('');
  const cachedRuns = r.wrk.protected_cached?.runs.filter((x) => x.authAnswers !== undefined) ?? [];
  if (cachedRuns.length) L.push(`The decision cache at work: nginx/protect-cached.conf's /auth location and cache zone, a latchkey with auth_cache_seconds = 2, and one visitor's cookie on all ${r.wrkShape} connections; latchkey answered ${cachedRuns.map((x) => `${f0(x.authAnswers)} /auth for ${f0(x.requests)} pages`).join(', ')} (the bench fails above 5 %). With many visitors each one's first page per 2 s is a miss and costs what the uncached page does.`, '');
  L.push(`Session cookies used: latchkey ${r.cookieBytes?.latchkey} bytes; mod_auth_openidc client-cookie ${r.cookieBytes?.client_cookie} bytes, server-cache ${r.cookieBytes?.server_cache} bytes (Cookie header).`);
  if (r.notes.length) L.push('', 'Notes from the runs:', ...r.notes.map((n) => `- ${n}`));
  L.push('');
  L.push('## Complete sign-ins', '');
  L.push(`Each sign-in is a fresh browser (cookie jar, node fetch) starting at the protected page and ending on it with 200: page → redirect → provider authorize → login form → POST → callback at the relying party → page. ${r.signinSeconds} s per run, ${r.rounds} rounds interleaved; the provider is the same process for all. "Provider alone" is the same browser steps at the provider plus the back-channel code exchange and JWKS fetch done by the script itself: what a relying party that cost nothing would reach. Every relying party and the provider-alone steps ask for the same scopes (openid email profile), with PKCE S256 and client_secret_basic; the latchkey signed in here is its own process behind its own nginx (protect.conf's sign-in start), so that the groups scope of the /auth targets above is not part of its sign-ins. CPU is user+system time of the relying party's processes (latchkey's one process; Apache's parent and children) divided by sign-ins.`, '');
  L.push('| relying party | sign-ins/s, 1 at a time | min–max | 4 in parallel | min–max | RP CPU/sign-in (1 / 4) | RP share of one sign-in (1 at a time) |', '|---|---:|---:|---:|---:|---:|---:|');
  const alone = r.signins.provider_alone?.p1_median;
  for (const [k, v] of Object.entries(r.signins)) {
    if (!v.p1.length) continue;
    const ms = 1000 / v.p1_median - 1000 / alone;
    // A negative share means the provider-alone runs were slowed by something else (noise):
    // no figure rather than a wrong one; the RP CPU column is the robust measure.
    const share = k === 'provider_alone' ? '—' : ms >= 0 ? `${f1(ms)} ms` : 'n/a (noise)';
    const cpu = v.cpu1.length ? `${f2(v.cpu1_median)} / ${f2(v.cpu4_median)} ms` : '—';
    L.push(`| ${k.replace(/_/g, ' ').replace('cc', 'client-cookie').replace('sc', 'server-cache')} | ${f1(v.p1_median)} | ${f1(v.p1_min)}–${f1(v.p1_max)} | ${f1(v.p4_median)} | ${f1(v.p4_min)}–${f1(v.p4_max)} | ${cpu} | ${share} |`);
  }
  L.push('');
  const pc = r.providerConnections;
  if (pc) {
    const d = (a) => (pc.after?.[a] || 0) - (pc.before?.[a] || 0);
    L.push(`TLS: the dev provider speaks plain http on loopback, so there is no TLS handshake to count. Connection reuse is shown instead by counting TCP connections at the provider, by the User-Agent of their first request: during the sign-in runs (${pc.codeGrants} authorization-code grants in all) latchkey opened ${d('latchkey')} new connections (its libcurl handle per worker thread keeps the connection; ${r.latchkeyThreads} worker threads), mod_auth_openidc ${d('mod_auth_openidc')}, the script's browser and provider-alone steps ${d('node')}. With https the same reused connection means no new TLS handshake to a warm provider.`, '');
  }
  const hops = r.signinHops;
  if (hops) {
    L.push(`Browser requests per complete sign-in (one sign-in each, query strings dropped): latchkey ${hops.latchkey.length}, mod_auth_openidc ${hops.mod_auth_openidc.length}. nginx answers the protected page's 401 with latchkey's /login itself (nginx/protect.conf's \`@latchkey_sign_in\`), so the first answer already sends the browser to the provider, as mod_auth_openidc's does; both end with the callback's 302 back to the page.`, '');
    const n = Math.max(hops.latchkey.length, hops.mod_auth_openidc.length);
    L.push('| # | latchkey | mod_auth_openidc |', '|---:|---|---|');
    for (let i = 0; i < n; i++) L.push(`| ${i + 1} | ${hops.latchkey[i] ?? ''} | ${hops.mod_auth_openidc[i] ?? ''} |`);
    L.push('');
  }
  if (r.revocation) {
    L.push('## Sign-out across instances', '');
    L.push(`Two latchkey instances sharing one Redis store (a redis-server on 127.0.0.1 started by the bench); a sign-in and a POST /logout on the first, then /auth with the cookie from before the sign-out on the second every 10 ms until it answers 401. ${r.revocation.runsMs.length} sign-outs: ${r.revocation.runsMs.map((x) => `${f0(x)} ms`).join(', ')} (median ${f0(r.revocation.medianMs)} ms, slowest ${f0(r.revocation.maxMs)} ms) from the sign-out's answer to the first refusal.`, '');
  }
  L.push('## Instructions per request inside latchkey (callgrind)', '');
  L.push('A separate latchkey (release build) under `valgrind --tool=callgrind --separate-threads=yes` with `--threads 1`, driven straight over its FastCGI socket with the params nginx sends; counters zeroed after warm-up requests (`callgrind_control -z`), dumped after N requests (`-d`); only the worker thread is counted. Columns:', '');
  L.push('- **own code**: instructions in functions of the latchkey executable itself (including C++ library templates inlined into it); this is the figure the ≤ 20,000 target is checked against;');
  L.push('- **+ libc / libstdc++ / OpenSSL**: inclusive cost of the calls latchkey\'s code makes into those libraries (malloc/free, memcpy, HMAC-SHA256; valgrind hides SHA extensions from OpenSSL, so its SHA-256 is slower here than natively);');
  L.push('- **latchkey path**: own code + those calls, i.e. everything done for the request except libfcgi;');
  L.push('- **libfcgi**: inclusive cost of libfcgi\'s entry points called by latchkey (accept, reading the params records, writing and finishing the request);');
  L.push('- **worker thread**: everything the thread executed per request. System-call time in the kernel is never counted.', '');
  L.push('| route | requests | own code | + libc | + libstdc++ | + OpenSSL | + libcurl | latchkey path | libfcgi | worker thread |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [k, v] of Object.entries(r.callgrind || {})) {
    const p = v.perRequest;
    L.push(`| ${k === 'callback' ? '/login + callback (one sign-in)' : `/${k === 'home' ? '' : k}`} | ${v.count} | ${f0(v.perRequestOwn)} | ${f0(p.libc)} | ${f0(p.libstdcxx)} | ${f0(p.libcrypto)} | ${f0(p.libcurl)} | ${f0(v.perRequestPath)} | ${f0(p.libfcgi)} | ${f0(v.perRequestTotal)} |`);
  }
  const auth = r.callgrind?.auth;
  if (auth) {
    L.push('', 'Where /auth\'s own instructions go (per request):', '');
    for (const t of auth.top.slice(0, 8)) L.push(`- ${f0(t.cost)}  \`${t.fn.replace(/std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >/g, 'std::string').slice(0, 140)}\``);
  }
  L.push('', '## Memory', '');
  if (r.rss) L.push(`latchkey (${r.rss.threads} worker threads) after the throughput runs: VmRSS ${f1(r.rss.afterLoadKiB / 1024)} MiB, peak (VmHWM) ${f1(r.rss.hwmKiB / 1024)} MiB; of the resident set, ${f1(r.rss.anonKiB / 1024)} MiB is the process's own memory (RssAnon: heap, stacks) and ${f1(r.rss.fileKiB / 1024)} MiB mapped files (RssFile: the executable and shared libraries, shared with every other process using them)${r.rss.pssKiB ? `; its proportional share (Pss, shared pages divided among the processes mapping them) is ${f1(r.rss.pssKiB / 1024)} MiB, across ${r.rss.mappedLibraries} mapped shared libraries` : ''}. The bare libfcgi program peaked at ${f1(r.rss.bareKiB / 1024)} MiB.`);
  L.push('', '## CGI mode', '');
  if (r.cgi?.medianMs !== undefined) {
    L.push(`One /auth as plain CGI (process start, configuration, answer, exit), from a shell loop as a web server forks it: median ${f1(r.cgi.medianMs)} ms per request over 5 batches of 20 (batch means ${f1(r.cgi.minMs)}–${f1(r.cgi.maxMs)} ms). Starting /bin/true the same way: ${f2(r.cgi.trueMedianMs)} ms.`);
  }
  if (r.cgiInstructions) {
    const c = r.cgiInstructions;
    L.push('', `Instructions of one CGI /auth process: ${f0(c.total)}, of which the dynamic loader (loading and relocating the executable's ${r.sharedLibraries ?? ''} shared libraries; libcurl is not among them, it is loaded only when a request talks to the provider) ${f0(c.dynamicLoader)} and latchkey's main ${f0(c.main)} (Pages::load ${f0(c.pagesLoad)}, most of it OpenSSL 3's one-time initialisation at its first digest).`);
  }
  if (r.analysis) L.push('', '## Analysis', '', r.analysis);
  L.push('');
  return L.join('\n');
}

// `node bench/report.mjs` rewrites RESULTS.md from results.json and analysis.md (after
// editing the analysis, without measuring again).
if (import.meta.url === `file://${process.argv[1]}`) {
  const fs = await import('node:fs');
  const dir = new URL('.', import.meta.url).pathname;
  const results = JSON.parse(fs.readFileSync(`${dir}results.json`, 'utf8'));
  if (fs.existsSync(`${dir}analysis.md`)) results.analysis = fs.readFileSync(`${dir}analysis.md`, 'utf8').trim();
  fs.writeFileSync(`${dir}RESULTS.md`, writeResults(results));
  console.log(`wrote ${dir}RESULTS.md`);
}
