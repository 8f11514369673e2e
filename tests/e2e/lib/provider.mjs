// Starts tests/provider/dev-provider.mjs (the local OpenID provider) on a free loopback port.
import path from 'node:path';
import { Managed } from './process.mjs';
import { TESTS } from './paths.mjs';
import { freePort } from './ports.mjs';

export const DEMO_ACCOUNT = { login: 'alice@example.com', password: 'wonderland', sub: 'alice-0001', name: 'Alice Liddell' };
export const OTHER_ACCOUNT = { login: 'bob@example.org', password: 'builder', sub: 'bob-0002', name: 'Bob Builder' };
export const CLIENT_ID = 'latchkey-demo';
export const CLIENT_SECRET = 'demo-secret';

// clientJwks: the client's public JWKS; it then authenticates with private_key_jwt.
// backchannelLogoutUri: Back-Channel Logout 1.0 on, logout tokens POSTed there; refreshTokens
// false: none issued (as Google by default).
export async function startProvider({ dir, port, redirectUris = [], postLogoutRedirectUris = [], accessTokenTTL = 3600, idTokenClaims = 'all', clientId = CLIENT_ID, clientSecret = CLIENT_SECRET, clientJwks, backchannelLogoutUri = '', refreshTokens = true } = {}) {
  port ??= await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const proc = new Managed('dev-provider', process.execPath, [path.join(TESTS, 'provider/dev-provider.mjs')], {
    cwd: TESTS,
    logFile: path.join(dir, 'provider.log'),
    env: {
      ...process.env,
      DEV_PROVIDER_PORT: String(port),
      DEV_PROVIDER_CLIENT_ID: clientId,
      DEV_PROVIDER_CLIENT_SECRET: clientSecret,
      DEV_PROVIDER_REDIRECT_URIS: redirectUris.join(' '),
      DEV_PROVIDER_POST_LOGOUT_REDIRECT_URIS: postLogoutRedirectUris.join(' '),
      DEV_PROVIDER_ACCESS_TOKEN_TTL: String(accessTokenTTL),
      DEV_PROVIDER_ID_TOKEN_CLAIMS: idTokenClaims,
      DEV_PROVIDER_BACKCHANNEL_LOGOUT_URI: backchannelLogoutUri,
      DEV_PROVIDER_REFRESH_TOKENS: refreshTokens ? '1' : '0',
      ...(clientJwks ? { DEV_PROVIDER_CLIENT_JWKS: JSON.stringify(clientJwks) } : {}),
    },
  });
  const discovery = `${issuer}/.well-known/openid-configuration`;
  const deadline = Date.now() + 15000;
  for (;;) {
    try {
      const res = await fetch(discovery);
      if (res.ok) {
        const meta = await res.json();
        if (meta.issuer === issuer) break;
      }
    } catch { /* not up yet */ }
    if (!proc.alive) throw new Error(`dev provider exited during start-up\n${proc.tail()}`);
    if (Date.now() > deadline) {
      await proc.stop('SIGKILL');
      throw new Error(`dev provider did not answer ${discovery} within 15 s\n${proc.tail()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const json = async (p, init) => {
    const res = await fetch(`${issuer}${p}`, init);
    if (!res.ok) throw new Error(`dev provider ${p}: HTTP ${res.status}`);
    return res.json();
  };
  return {
    issuer,
    port,
    clientId,
    clientSecret,
    proc,
    // {count, kinds}: revocations that found a token (RFC 7009 requests for unknown tokens
    // are not counted).
    revocations: () => json('/test/revocations'),
    // {authorization_code: n, refresh_token: n}: successful token requests by grant type.
    grants: () => json('/test/grants'),
    // Every token request from now on waits ms before being answered (slow provider).
    setTokenDelay: (ms) => json(`/test/token-delay?ms=${ms}`, { method: 'POST' }),
    // {ms, requests}: the current delay and the number of token requests received so far.
    tokenEndpoint: () => json('/test/token-delay'),
    // The account's tokens stop working at once (userinfo 401, refresh invalid_grant).
    removeAccount: (sub) => json(`/test/remove-account?sub=${encodeURIComponent(sub)}`, { method: 'POST' }),
    stop: () => proc.stop('SIGTERM'),
  };
}
