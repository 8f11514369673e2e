// A fake GitHub (Enterprise Server layout) for the e2e tests: latchkey's github provider takes
// `issuer` as the base URL, with the OAuth endpoints at ISSUER/login/oauth/... and the REST
// API at ISSUER/api/v3. Plain node:http, no npm packages.
//
//   const gh = await startFakeGithub({ clientId, clientSecret });
//   gh.script({ emails: [{ email, primary: true, verified: false }] });
//
// Like the real one, the token endpoint answers form-encoded unless the request says
// Accept: application/json, and reports a bad code as HTTP 200 {"error":"bad_verification_code"}.
// A scenario: { emails: [...], user: {...}, token: { error }, orgs: [...], teams: [...] };
// script() replaces it. /user/orgs and /user/teams page like GitHub's (per_page, page).
import http from 'node:http';
import crypto from 'node:crypto';
import { b64url, pkceMatches, readBody } from './fake-provider.mjs';

export const GITHUB_CLIENT_ID = 'Iv1.fakegithubclient';
export const GITHUB_CLIENT_SECRET = 'fake-github-secret-0123456789';
export const GITHUB_USER = { id: 583231, login: 'octocat', name: 'The Octocat', email: 'octocat@example.com' };

export async function startFakeGithub({ port = 0, host = '127.0.0.1', clientId = GITHUB_CLIENT_ID, clientSecret = GITHUB_CLIENT_SECRET } = {}) {
  let scenario = {};
  const codes = new Map();
  const tokens = new Set();
  const counts = { authorize: 0, token: 0, user: 0, emails: 0, orgs: 0, teams: 0 };
  const defaultOrgs = () => [{ login: 'Acme', id: 1 }];
  const defaultTeams = () => [{ slug: 'devs', name: 'Devs', organization: { login: 'Acme', id: 1 } }];
  const page = (list, url) => {
    const per = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
    const n = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    return list.slice((n - 1) * per, n * per);
  };
  const tokenRequests = [];  // {accept, pkceOk, clientOk}

  const defaultEmails = () => [
    { email: 'octocat-old@example.net', primary: false, verified: true, visibility: null },
    { email: GITHUB_USER.email, primary: true, verified: true, visibility: 'public' },
  ];

  // The token answer in the format the client asked for (GitHub's OAuth docs).
  function tokenAnswer(req, res, value) {
    const json = (req.headers.accept ?? '').includes('application/json');
    const body = json ? JSON.stringify(value) : new URLSearchParams(value).toString();
    res.writeHead(200, { 'content-type': json ? 'application/json; charset=utf-8' : 'application/x-www-form-urlencoded; charset=utf-8' });
    res.end(body);
  }

  function api(req, res, value) {
    const auth = req.headers.authorization ?? '';
    const token = auth.replace(/^(Bearer|token) /, '');
    if (!tokens.has(token)) {
      res.writeHead(401, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ message: 'Bad credentials' }));
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    return res.end(JSON.stringify(value));
  }

  async function handle(req, res, base) {
    const url = new URL(req.url, base);
    switch (`${req.method} ${url.pathname}`) {
      case 'GET /login/oauth/authorize': {
        counts.authorize++;
        const q = url.searchParams;
        if (q.get('client_id') !== clientId || !q.get('redirect_uri')) {
          res.writeHead(404);
          return res.end('unknown client');
        }
        const back = new URL(q.get('redirect_uri'));
        const code = crypto.randomBytes(10).toString('hex');
        codes.set(code, { challenge: q.get('code_challenge'), redirectUri: q.get('redirect_uri'), used: false });
        back.searchParams.set('code', code);
        if (q.has('state')) back.searchParams.set('state', q.get('state'));
        res.writeHead(302, { location: back.toString() });
        return res.end();
      }
      case 'POST /login/oauth/access_token': {
        counts.token++;
        const form = new URLSearchParams(await readBody(req));
        const entry = codes.get(form.get('code') ?? '');
        const record = {
          accept: req.headers.accept ?? '',
          clientOk: form.get('client_id') === clientId && form.get('client_secret') === clientSecret,
          pkceOk: Boolean(entry && pkceMatches(form.get('code_verifier'), entry.challenge)),
        };
        tokenRequests.push(record);
        if (!record.clientOk) {
          return tokenAnswer(req, res, { error: 'incorrect_client_credentials', error_description: 'The client_id and/or client_secret passed are incorrect.' });
        }
        const error = scenario.token?.error ?? (!entry || entry.used || !record.pkceOk ? 'bad_verification_code' : null);
        if (entry) entry.used = true;
        if (error) {
          return tokenAnswer(req, res, { error, error_description: 'The code passed is incorrect or expired.', error_uri: 'https://docs.github.com/apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code' });
        }
        const token = `gho_${b64url(crypto.randomBytes(18))}`;
        tokens.add(token);
        return tokenAnswer(req, res, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
      }
      case 'GET /api/v3/user':
        counts.user++;
        return api(req, res, { login: GITHUB_USER.login, id: GITHUB_USER.id, name: GITHUB_USER.name, avatar_url: 'https://avatars.example.com/u/583231', ...(scenario.user ?? {}) });
      case 'GET /api/v3/user/orgs':
        counts.orgs++;
        return api(req, res, page(scenario.orgs ?? defaultOrgs(), url));
      case 'GET /api/v3/user/teams':
        counts.teams++;
        return api(req, res, page(scenario.teams ?? defaultTeams(), url));
      case 'GET /api/v3/user/emails':
        counts.emails++;
        return api(req, res, scenario.emails ?? defaultEmails());
      default:
        res.writeHead(404, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ message: 'Not Found' }));
    }
  }

  let base;
  const server = http.createServer((req, res) => {
    handle(req, res, base).catch(() => { if (!res.headersSent) { res.writeHead(500); res.end(); } else res.destroy(); });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  base = `http://${host}:${server.address().port}`;
  return {
    issuer: base,
    port: server.address().port,
    clientId,
    clientSecret,
    counts,
    tokenRequests,
    script(next = {}) { scenario = structuredClone(next); },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
