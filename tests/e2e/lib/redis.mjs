// A private redis-server (the Debian package) on 127.0.0.1 and a free port, its files in a
// fresh mkdtemp directory under the test's work directory. Append-only persistence is on, so a
// stop and start (restart()) keeps the data, as a production Redis configured for latchkey
// must. stop() ends it; restart() stops it and starts it again on the same port.
import fs from 'node:fs';
import path from 'node:path';
import { Managed } from './process.mjs';
import { freePort, waitForConnect } from './ports.mjs';

export async function startRedis({ dir, password } = {}) {
  const dataDir = fs.mkdtempSync(path.join(dir, 'redis-'));
  const port = await freePort();
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--daemonize', 'no',
    '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--logfile', '',
    ...(password ? ['--requirepass', password] : []),
  ];
  const redis = { port, dataDir, proc: null };
  const launch = async () => {
    redis.proc = new Managed('redis-server', 'redis-server', args, { logFile: path.join(dataDir, 'redis.log') });
    try {
      await redis.proc.waitForLine((l) => l.includes('Ready to accept connections'), { timeoutMs: 10000, what: 'redis ready' });
      await waitForConnect({ host: '127.0.0.1', port }, { isAlive: () => redis.proc.alive, what: 'redis-server' });
    } catch (err) {
      await redis.proc.stop('SIGKILL');
      throw err;
    }
  };
  await launch();
  const auth = password ? `:${encodeURIComponent(password)}@` : '';
  redis.url = (db = 0) => `redis://${auth}127.0.0.1:${port}/${db}`;
  redis.stop = () => redis.proc.stop('SIGTERM', 5000);
  redis.restart = async () => { await redis.stop(); await launch(); };
  redis.tail = (n) => redis.proc.tail(n);
  return redis;
}
