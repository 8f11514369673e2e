// Measuring helpers shared by the fault, concurrency, refusal and soak tests: latency
// percentiles, a process's resident memory, request loops that run until told to stop.
import fs from 'node:fs';
import { RELEASE_BINARY } from '../e2e/lib/paths.mjs';

// The binary to measure memory on: LATCHKEY_BIN when set (e.g. the valgrind wrapper of
// `make soak`), else the release build. RSS means something only for the release build:
// ASan keeps freed memory in quarantine, valgrind adds its shadow memory.
export const measuredBinary = () => process.env.LATCHKEY_BIN ?? RELEASE_BINARY;
export const rssIsMeaningful = () => measuredBinary() === RELEASE_BINARY;

// Running under valgrind (or another slow wrapper): time bounds are scaled by this factor.
export const slowFactor = () => Number(process.env.LATCHKEY_E2E_SLOW_FACTOR ?? 1);

// VmRSS of pid in KiB (/proc/<pid>/status).
export function rssKiB(pid) {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)\s+kB/m);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

// {n, p50, p90, p99, max} of a list of milliseconds.
export function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (v) => Math.round(v * 10) / 10;
  return { n: sorted.length, p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), max: round(sorted.at(-1)) };
}

// Runs `workers` loops of `once()` until stop() is called; each result (with start/end times
// in ms from performance.now()) is kept. Returns {results, stop}: await stop() to end.
export function loop(workers, once) {
  const results = [];
  let running = true;
  const done = Array.from({ length: workers }, async () => {
    while (running) {
      const start = performance.now();
      let status;
      try { status = await once(); } catch (err) { status = `error: ${err.cause?.code ?? err.message}`; }
      results.push({ start, end: performance.now(), status });
    }
  });
  return { results, stop: async () => { running = false; await Promise.all(done); return results; } };
}

// GET url with only the given Cookie header (no jar), returning the status; the body is
// read so the connection can be reused.
export async function getStatus(url, cookie) {
  const res = await fetch(url, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
  await res.arrayBuffer();
  return res.status;
}
