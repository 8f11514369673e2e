// A child process whose output is kept line by line (and copied to a log file in the work
// directory), with helpers to wait for a line and to stop it.
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import readline from 'node:readline';

export class Managed {
  constructor(name, command, args, { env = process.env, cwd, logFile, stdin = 'ignore' } = {}) {
    this.name = name;
    this.command = command;
    this.args = args;
    this.lines = [];           // every stdout/stderr line, in arrival order
    this.stderrLines = [];
    this.exitCode = undefined;
    this.signal = undefined;
    this.waiters = new Set();
    this.log = logFile ? fs.createWriteStream(logFile, { flags: 'a' }) : null;
    this.child = spawn(command, args, { env, cwd, stdio: [stdin, 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.spawnError = err;
        this.exitCode = -1;
        this.push('stderr', `spawn failed: ${err.message}`);
        resolve({ code: -1, signal: null });
      });
      this.child.once('close', (code, signal) => {
        this.exitCode = code;
        this.signal = signal;
        this.log?.end();
        resolve({ code, signal });
      });
    });
    for (const stream of ['stdout', 'stderr']) {
      readline.createInterface({ input: this.child[stream] }).on('line', (line) => this.push(stream, line));
    }
  }

  push(stream, line) {
    this.lines.push(line);
    if (stream === 'stderr') this.stderrLines.push(line);
    this.log?.write(`${line}\n`);
    for (const waiter of this.waiters) waiter(line);
  }

  get alive() { return this.exitCode === undefined; }

  tail(count = 40) {
    return `--- last ${count} lines of ${this.name} (${this.command}) ---\n${this.lines.slice(-count).join('\n')}\n--- end of ${this.name} ---`;
  }

  // Resolves with the first line (already seen or coming) for which predicate is true.
  waitForLine(predicate, { timeoutMs = 10000, what = 'a matching line' } = {}) {
    const seen = this.lines.find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const done = (fn, value) => { clearTimeout(timer); this.waiters.delete(check); fn(value); };
      const check = (line) => { if (predicate(line)) done(resolve, line); };
      const timer = setTimeout(() => done(reject, new Error(`${this.name}: no ${what} within ${timeoutMs} ms\n${this.tail()}`)), timeoutMs);
      this.waiters.add(check);
      this.exited.then(() => done(reject, new Error(`${this.name} exited (code ${this.exitCode}, signal ${this.signal}) before ${what}\n${this.tail()}`)));
    });
  }

  // Sends signal and waits for the exit; SIGKILL after graceMs. Returns {code, signal}.
  async stop(signal = 'SIGTERM', graceMs = 10000) {
    if (!this.alive) return { code: this.exitCode, signal: this.signal };
    this.child.kill(signal);
    const timer = setTimeout(() => {
      if (this.alive) {
        this.killedAfterGrace = true;
        this.child.kill('SIGKILL');
      }
    }, graceMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Stops every started part (servers, upstreams), last started first; throws the first failure
// after trying them all.
export async function stopAll(parts) {
  const errors = [];
  for (const part of parts.reverse()) {
    try { await part.stop(); } catch (err) { errors.push(err); }
  }
  parts.length = 0;
  if (errors.length) throw errors[0];
}
