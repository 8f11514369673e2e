// One test file's servers: the dev provider, latchkey on a unix socket, nginx in front, each on
// its own free port and in its run directory (lib/paths.mjs workDir: under /tmp, linked from
// tests/out/<name>). stop() stops all that started, in reverse order,
// and fails when latchkey's sanitizers reported anything.
import { workDir } from './paths.mjs';
import { freePort } from './ports.mjs';
import { startProvider, CLIENT_ID, CLIENT_SECRET } from './provider.mjs';
import { startLatchkey, newCookieSecret } from './latchkey.mjs';
import { startNginx } from './nginx.mjs';
import { Client } from './client.mjs';

export async function startStack(name, { provider: providerOpts = {}, config: configOverrides = {}, latchkeyArgs = [], latchkeyEnv = {} } = {}) {
  const dir = workDir(name);
  const stack = { dir, started: [] };
  stack.stop = async () => {
    const errors = [];
    for (const part of stack.started.reverse()) {
      try { await part.stop(); } catch (err) { errors.push(err); }
    }
    stack.started = [];
    if (errors.length) throw errors.length === 1 ? errors[0] : new AggregateError(errors, errors.map((e) => e.message).join('\n'));
  };
  try {
    const port = await freePort();
    stack.url = `http://127.0.0.1:${port}`;
    stack.redirectUri = `${stack.url}/login/authorized`;
    // backchannelLogout: true registers this stack's /backchannel-logout at the provider.
    const { backchannelLogout, ...restOpts } = providerOpts;
    stack.provider = await startProvider({
      dir, redirectUris: [stack.redirectUri],
      ...(backchannelLogout ? { backchannelLogoutUri: `${stack.url}/backchannel-logout` } : {}),
      ...restOpts,
    });
    stack.started.push(stack.provider);
    stack.cookieSecret = newCookieSecret();
    stack.config = {
      issuer: stack.provider.issuer,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uri: stack.redirectUri,
      cookie_secret: stack.cookieSecret,
      log_level: 'debug',
      ...configOverrides,
    };
    stack.latchkey = await startLatchkey({ dir, config: stack.config, args: latchkeyArgs, env: latchkeyEnv });
    stack.started.push(stack.latchkey);
    stack.nginx = await startNginx({ dir, latchkeySocket: stack.latchkey.socket, port });
    stack.started.push(stack.nginx);
  } catch (err) {
    await stack.stop().catch(() => {});
    throw err;
  }
  stack.client = () => new Client(stack.url);
  // Context for a failure message: latchkey's last log lines and nginx's error log.
  stack.diagnostics = () => `${stack.latchkey?.tail(30) ?? ''}\n--- nginx-error.log (tail) ---\n${stack.nginx?.errorTail() ?? ''}`;
  return stack;
}
