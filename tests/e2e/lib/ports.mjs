// Free TCP ports on 127.0.0.1: listen on port 0, read the port the kernel chose, close.
import net from 'node:net';

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function freePorts(count) {
  const ports = new Set();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

// Resolves once something accepts connections at {port, host} or {path} (a unix socket).
export async function waitForConnect(target, { timeoutMs = 15000, isAlive = () => true, what = 'server' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(target);
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (!isAlive()) throw new Error(`${what} exited before accepting connections`);
    if (Date.now() > deadline) throw new Error(`${what} did not accept connections at ${JSON.stringify(target)} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
