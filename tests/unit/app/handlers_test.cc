// The routes, driven as plain functions with a fake provider and clock.
#include <gtest/gtest.h>

#include <thread>

#include "latchkey/session/revocation_cache.h"
#include "latchkey/store/session_store.h"
#include "latchkey/util/crypto.h"
#include "support/app_test_support.h"
#include "support/temp_dir.h"

namespace latchkey {
namespace {

using testing::cookiePair;
using testing::headerValues;
using testing::TestEnv;

// Starts a sign-in and returns the request the browser would send back to the callback.
Request callbackFor(TestEnv& env, std::string rd = "/") {
  Deps deps = env.deps();
  Response login = handleLogin(env.get("/login?rd=" + rd), deps);
  auto cookies = headerValues(login, "Set-Cookie");
  EXPECT_FALSE(cookies.empty());
  auto [name, value] = cookiePair(cookies.back());
  Request callback =
      env.get("/login/authorized?code=the-code&state=" + env.provider.last_authorization.state);
  callback.cookies.emplace_back(name, value);
  return callback;
}

// rd first in the query string takes all the rest, so an unencoded return address from a web
// server's redirect (nginx's $request_uri, Apache's ErrorDocument) keeps every parameter;
// elsewhere in the query, rd is an ordinary parameter.
TEST(Login, ReturnAddressKeepsTheWholeQueryString) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/x?a=1&b=2", "/x?a=1&b=2"},
      {"/private/x%3Fa=1&b=2%2B3", "/private/x?a=1&b=2+3"},
      {"/x?q=a+b", "/x?q=a+b"},
      {"//evil.example/?a=1&b=2", "/"},
  };
  for (const auto& [rd, expected] : cases) {
    TestEnv env;
    Deps deps = env.deps();
    Response r = handleCallback(callbackFor(env, rd), deps);
    EXPECT_EQ(r.header("Location").value_or(""), expected) << "rd=" << rd;
  }
  TestEnv env;
  Deps deps = env.deps();
  Response login = handleLogin(env.get("/login?x=1&rd=%2Fy%3Fa%3D1&b=2"), deps);
  auto [name, value] = cookiePair(headerValues(login, "Set-Cookie").back());
  Request callback =
      env.get("/login/authorized?code=the-code&state=" + env.provider.last_authorization.state);
  callback.cookies.emplace_back(name, value);
  EXPECT_EQ(handleCallback(callback, deps).header("Location").value_or(""), "/y?a=1");
}

// Started from nginx's 401 with the return URI as a server parameter: it wins over rd and keeps
// the whole query; it passes the same open-redirect check as rd.
TEST(Login, ReturnUriParameterFromTheWebServer) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/x?a=1&b=2", "/x?a=1&b=2"},
      {"//evil.example/", "/"},
      {"https://app1.example.com/x?a=1&b=2", "https://app1.example.com/x?a=1&b=2"},
      {"https://evil.example/", "/"},
  };
  for (const auto& [uri, expected] : cases) {
    Config config = testing::testConfig();
    config.allowed_redirect_domains.push_back(parseRedirectHost("app1.example.com").value());
    TestEnv env(config);
    Deps deps = env.deps();
    Request login_request = env.get("/login?rd=/ignored");
    login_request.return_uri = uri;
    Response login = handleLogin(login_request, deps);
    auto [name, value] = cookiePair(headerValues(login, "Set-Cookie").back());
    Request callback =
        env.get("/login/authorized?code=the-code&state=" + env.provider.last_authorization.state);
    callback.cookies.emplace_back(name, value);
    EXPECT_EQ(handleCallback(callback, deps).header("Location").value_or(""), expected) << uri;
  }
}

// An unknown path is an HTML 404 with the security headers.
TEST(Router, UnknownPathIsHtml404) {
  TestEnv env;
  Deps deps = env.deps();
  Response r = route(env.get("/nope"), deps);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.header("Content-Type").value_or(""), "text/html; charset=utf-8");
  EXPECT_EQ(r.header("X-Frame-Options").value_or(""), "DENY");
}

// A known route with the wrong method is a 405 that says which methods it takes.
TEST(Router, WrongMethodIs405WithAllow) {
  TestEnv env;
  Deps deps = env.deps();
  Request request = env.get("/login");
  request.method = "POST";
  Response r = route(request, deps);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow").value_or(""), "GET, HEAD");
}

// /auth answers whatever method the visitor used (auth_request passes the main method).
TEST(Router, AuthAcceptsAnyMethod) {
  TestEnv env;
  Deps deps = env.deps();
  Request request = env.get("/auth");
  request.method = "DELETE";
  EXPECT_EQ(route(request, deps).status, 401);
}

// Signed out, / offers the sign-in link with the provider's name.
TEST(Home, SignedOutShowsSignInLink) {
  TestEnv env;
  Deps deps = env.deps();
  Response r = handleHome(env.get("/"), deps);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("href=\"/login\""), std::string::npos);
  EXPECT_NE(r.body.find("Sign in with idp.example"), std::string::npos);
  EXPECT_NE(r.header("Content-Security-Policy").value_or("").find("style-src 'sha256-"),
            std::string::npos);
}

// Signed in, / says who, with every value escaped.
TEST(Home, SignedInShowsEscapedIdentity) {
  TestEnv env;
  Session s;
  s.sub = "x";
  s.email = "a<b>@example.com";
  s.email_verified = true;
  s.name = "<script>alert(1)</script>";
  Request request = env.get("/");
  request.cookies.emplace_back(env.names.session, env.sessionCookie(s));
  Deps deps = env.deps();
  Response r = handleHome(request, deps);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("Logged in as a&lt;b&gt;@example.com"), std::string::npos);
  EXPECT_EQ(r.body.find("<script>alert"), std::string::npos);
}

// /auth without a cookie is 401 with an empty body.
TEST(Auth, NoCookieIs401) {
  TestEnv env;
  Deps deps = env.deps();
  Response r = handleAuth(env.get("/auth"), deps);
  EXPECT_EQ(r.status, 401);
  EXPECT_TRUE(r.body.empty());
}

// /auth with a valid session answers 200 with the X-Auth-Request-* headers.
TEST(Auth, ValidSessionGivesIdentityHeaders) {
  TestEnv env;
  Request request = env.get("/auth");
  request.cookies.emplace_back(env.names.session, env.sessionCookie());
  Deps deps = env.deps();
  Response r = handleAuth(request, deps);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("X-Auth-Request-User").value_or(""), "sub-1");
  EXPECT_EQ(r.header("X-Auth-Request-Email").value_or(""), "alice@example.com");
  EXPECT_EQ(r.header("X-Auth-Request-Name").value_or(""), "Alice");
  EXPECT_TRUE(headerValues(r, "Set-Cookie").empty());
  EXPECT_EQ(env.provider.refresh_calls, 0);
}

// A tampered cookie counts as no cookie, and is cleared.
TEST(Auth, TamperedCookieIs401AndCleared) {
  TestEnv env;
  std::string cookie = env.sessionCookie();
  cookie[cookie.size() / 2] = cookie[cookie.size() / 2] == 'A' ? 'B' : 'A';
  Request request = env.get("/auth");
  request.cookies.emplace_back(env.names.session, cookie);
  Deps deps = env.deps();
  Response r = handleAuth(request, deps);
  EXPECT_EQ(r.status, 401);
  ASSERT_EQ(headerValues(r, "Set-Cookie").size(), 1u);
  EXPECT_NE(headerValues(r, "Set-Cookie")[0].find("Max-Age=0"), std::string::npos);
}

// A site that lets only corp.example in, so the test session's address is refused.
Config corpOnlyConfig() {
  auto config = testing::testConfig();
  config.allowed_domains = {"corp.example"};
  return config;
}

// A valid session whose address is no longer allowed is 403, not 401.
TEST(Auth, SessionNoLongerAllowedIs403) {
  TestEnv env(corpOnlyConfig());
  Request request = env.get("/auth");
  request.cookies.emplace_back(env.names.session, env.sessionCookie());
  Deps deps = env.deps();
  EXPECT_EQ(handleAuth(request, deps).status, 403);
}

// An expired access token with a refresh token is refreshed once, and the new session
// comes back as exactly one Set-Cookie.
TEST(Auth, ExpiredAccessTokenIsRefreshed) {
  TestEnv env;
  Session s;
  s.sub = "sub-1";
  s.email = "alice@example.com";
  s.email_verified = true;
  s.access_token = "access-1";
  s.refresh_token = "refresh-1";
  s.access_expires_at = env.clock.now() - 1;
  Request request = env.get("/auth");
  request.cookies.emplace_back(env.names.session, env.sessionCookie(s));
  Deps deps = env.deps();
  Response r = handleAuth(request, deps);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(env.provider.refresh_calls, 1);
  EXPECT_EQ(env.provider.last_refresh_token, "refresh-1");
  auto cookies = headerValues(r, "Set-Cookie");
  ASSERT_EQ(cookies.size(), 1u);
  auto reopened = env.codec.openSession(cookiePair(cookies[0]).second, env.clock.now());
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->access_token, "access-2");
  EXPECT_EQ(reopened->refresh_token, "refresh-2");
}

// A failed refresh ends the session.
TEST(Auth, FailedRefreshEndsSession) {
  TestEnv env;
  env.provider.refresh_result = makeError(Errc::kRefreshFailed, "invalid_grant");
  Session s;
  s.sub = "sub-1";
  s.refresh_token = "refresh-1";
  s.access_expires_at = env.clock.now() - 1;
  Request request = env.get("/auth");
  request.cookies.emplace_back(env.names.session, env.sessionCookie(s));
  Deps deps = env.deps();
  Response r = handleAuth(request, deps);
  EXPECT_EQ(r.status, 401);
  ASSERT_EQ(headerValues(r, "Set-Cookie").size(), 1u);
  EXPECT_NE(headerValues(r, "Set-Cookie")[0].find("Max-Age=0"), std::string::npos);
}

// /auth for a browser holding this session (the default test session when empty).
Response authWith(TestEnv& env, const Session& session = {}) {
  Request request = env.get("/auth");
  request.cookies.emplace_back(env.names.session, env.sessionCookie(session));
  Deps deps = env.deps();
  return handleAuth(request, deps);
}

// A session with a refresh token whose access token has already expired.
Session refreshDue(const TestEnv& env) {
  Session s;
  s.sub = "sub-1";
  s.refresh_token = "refresh-1";
  s.access_expires_at = env.clock.now() - 1;
  return s;
}

// auth_cache_seconds off (the default): no caching header at all.
TEST(Auth, NoCacheHeaderByDefault) {
  TestEnv env;
  Response r = authWith(env);
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.header("X-Accel-Expires"));
}

// With auth_cache_seconds, a 200 says how long nginx may keep it, never longer than the
// session has left; 401, 403 and an answer with a refreshed cookie never say so.
TEST(Auth, CacheHeaderOnlyOnPlain200s) {
  Config config = testing::testConfig();
  config.auth_cache_seconds = 30;
  TestEnv env(config);
  Deps deps = env.deps();
  Request request = env.get("/auth");
  request.cookies.emplace_back(env.names.session, env.sessionCookie());
  Response ok = handleAuth(request, deps);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.header("X-Accel-Expires").value_or(""), "30");
  ASSERT_FALSE(ok.headers.empty());
  EXPECT_EQ(ok.headers.front().first, "X-Accel-Expires");  // before Cache-Control

  Session ending;
  ending.sub = "sub-1";
  ending.issued_at = env.clock.now() - 100;
  ending.expires_at = env.clock.now() + 7;
  Request short_lived = env.get("/auth");
  short_lived.cookies.emplace_back(env.names.session, env.sessionCookie(ending));
  EXPECT_EQ(handleAuth(short_lived, deps).header("X-Accel-Expires").value_or(""), "7");

  EXPECT_FALSE(handleAuth(env.get("/auth"), deps).header("X-Accel-Expires"));

  Response r = authWith(env, refreshDue(env));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(headerValues(r, "Set-Cookie").size(), 1u);
  EXPECT_FALSE(r.header("X-Accel-Expires"));

  env.config.allowed_emails = {"someone-else@example.com"};
  Deps strict = env.deps();
  Response forbidden = handleAuth(request, strict);
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_FALSE(forbidden.header("X-Accel-Expires"));
}

// A transient refresh failure (timeout, 5xx, busy) keeps the session: 200, cookie untouched.
TEST(Auth, TransientRefreshFailureKeepsSession) {
  for (Errc code : {Errc::kProviderUnreachable, Errc::kProviderBadResponse, Errc::kProviderBusy,
                    Errc::kInternal}) {
    TestEnv env;
    env.provider.refresh_result = makeError(code, "transient");
    Response r = authWith(env, refreshDue(env));
    EXPECT_EQ(r.status, 200) << errcName(code);
    EXPECT_TRUE(headerValues(r, "Set-Cookie").empty()) << errcName(code);
  }
}

// A refresh that throws neither crashes /auth nor ends the session.
TEST(Auth, ThrowingRefreshKeepsSession) {
  TestEnv env;
  env.provider.refresh_throws = true;
  EXPECT_EQ(authWith(env, refreshDue(env)).status, 200);
}

// Many requests with the same expiring session refresh once, not once each.
TEST(Auth, ConcurrentRefreshIsSingleFlight) {
  TestEnv env;
  env.provider.refresh_delay = std::chrono::milliseconds(100);
  Session s;
  s.sub = "sub-1";
  s.refresh_token = "refresh-1";
  s.access_expires_at = env.clock.now() - 1;
  const std::string cookie = env.sessionCookie(s);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      Request request = env.get("/auth");
      request.cookies.emplace_back(env.names.session, cookie);
      Deps deps = env.deps();
      if (handleAuth(request, deps).status == 200) {
        ++ok;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(ok, 8);
  EXPECT_EQ(env.provider.refresh_calls, 1);
}

// /login sends the browser to the provider with S256 PKCE and sets a login cookie
// scoped to the login routes.
TEST(Login, RedirectsWithPkceAndSetsLoginCookie) {
  TestEnv env;
  Deps deps = env.deps();
  Response r = handleLogin(env.get("/login?rd=/app/page"), deps);
  EXPECT_EQ(r.status, 302);
  const auto& auth = env.provider.last_authorization;
  EXPECT_GE(auth.state.size(), 22u);  // >= 128 bits in base64url
  EXPECT_NE(auth.state, auth.nonce);
  EXPECT_EQ(auth.code_challenge.size(), 43u);
  auto cookies = headerValues(r, "Set-Cookie");
  ASSERT_EQ(cookies.size(), 1u);
  EXPECT_NE(cookies[0].find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookies[0].find("SameSite=Lax"), std::string::npos);
  EXPECT_NE(cookies[0].find("Path=/login"), std::string::npos);
  auto login = env.codec.openLogin(cookiePair(cookies[0]).second, env.clock.now());
  ASSERT_TRUE(login);
  EXPECT_EQ(login->return_to, "/app/page");
  EXPECT_EQ(pkceChallengeS256(login->code_verifier), auth.code_challenge);
}

// Discovery failing at /login gives the "provider not reachable" page.
TEST(Login, ProviderDownGives502) {
  TestEnv env;
  env.provider.authorization_error = makeError(Errc::kProviderUnreachable, "refused");
  Deps deps = env.deps();
  EXPECT_EQ(handleLogin(env.get("/login"), deps).status, 502);
}

// Old flows beyond the cap are cleared, so the cookie header cannot grow without bound.
TEST(Login, CapsFlowsInProgress) {
  TestEnv env;
  Request request = env.get("/login");
  for (int i = 0; i < 6; ++i) {
    Deps deps = env.deps();
    Response r = handleLogin(env.get("/login"), deps);
    request.cookies.push_back(cookiePair(headerValues(r, "Set-Cookie").back()));
    env.clock.advance(1);
  }
  Deps deps = env.deps();
  Response r = handleLogin(request, deps);
  auto cookies = headerValues(r, "Set-Cookie");
  ASSERT_EQ(cookies.size(), 4u);  // 3 cleared + the new flow: 3 kept + 1 new = 4
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NE(cookies[i].find("Max-Age=0"), std::string::npos);
  }
}

// A complete callback issues the session, deletes this flow's login cookie, lands on rd.
TEST(Callback, SuccessIssuesSessionAndRedirectsToRd) {
  TestEnv env;
  Request callback = callbackFor(env, "/app");
  Deps deps = env.deps();
  Response r = handleCallback(callback, deps);
  ASSERT_EQ(r.status, 302);
  EXPECT_EQ(r.header("Location").value_or(""), "/app");
  EXPECT_EQ(env.provider.last_redemption.code, "the-code");
  auto cookies = headerValues(r, "Set-Cookie");
  ASSERT_EQ(cookies.size(), 2u);
  EXPECT_EQ(cookiePair(cookies[0]).first, callback.cookies[0].first);
  EXPECT_NE(cookies[0].find("Max-Age=0"), std::string::npos);
  auto [name, value] = cookiePair(cookies[1]);
  EXPECT_EQ(name, "__Host-latchkey");
  EXPECT_NE(cookies[1].find("Secure"), std::string::npos);
  auto session = env.codec.openSession(value, env.clock.now());
  ASSERT_TRUE(session);
  EXPECT_EQ(session->email, "alice@example.com");
  EXPECT_EQ(session->refresh_token, "refresh-1");
}

// Two tabs start sign-ins; both complete.
TEST(Callback, TwoTabsBothSucceed) {
  TestEnv env;
  Request first = callbackFor(env);
  Request second = callbackFor(env);
  // The browser sends both login cookies to each callback.
  first.cookies.push_back(second.cookies[0]);
  second.cookies.insert(second.cookies.begin(), first.cookies[0]);
  Deps deps = env.deps();
  EXPECT_EQ(handleCallback(first, deps).status, 302);
  EXPECT_EQ(handleCallback(second, deps).status, 302);
}

// Replaying a completed callback is refused before the code reaches the provider again.
TEST(Callback, ReplayRefusedWithoutSecondRedemption) {
  TestEnv env;
  Request callback = callbackFor(env);
  Deps deps = env.deps();
  EXPECT_EQ(handleCallback(callback, deps).status, 302);
  Response replay = handleCallback(callback, deps);
  EXPECT_EQ(replay.status, 400);
  EXPECT_EQ(env.provider.redeem_calls, 1);
  for (const auto& c : headerValues(replay, "Set-Cookie")) {
    EXPECT_NE(cookiePair(c).first, "__Host-latchkey");
  }
}

// Each broken callback is a 400 page and nothing reaches the provider.
TEST(Callback, MissingPiecesAre400) {
  TestEnv env;
  Request good = callbackFor(env);
  Deps deps = env.deps();

  Request no_state = good;
  no_state.query = {{"code", "c"}};
  EXPECT_EQ(handleCallback(no_state, deps).status, 400);

  Request no_code = good;
  no_code.query = {{"state", env.provider.last_authorization.state}};
  EXPECT_EQ(handleCallback(no_code, deps).status, 400);

  Request no_cookie = good;
  no_cookie.cookies.clear();
  Response r = handleCallback(no_cookie, deps);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("cookie"), std::string::npos);

  Request wrong_state = good;
  wrong_state.query = {{"code", "c"}, {"state", "forged"}};
  EXPECT_EQ(handleCallback(wrong_state, deps).status, 400);

  EXPECT_EQ(env.provider.redeem_calls, 0);
}

// A login cookie older than 10 minutes is refused with its own explanation.
TEST(Callback, ExpiredLoginRefused) {
  TestEnv env;
  Request callback = callbackFor(env);
  env.clock.advance(601);
  Deps deps = env.deps();
  Response r = handleCallback(callback, deps);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("too long"), std::string::npos);
  EXPECT_EQ(env.provider.redeem_calls, 0);
}

// A login cookie for a flow with this state, as /login would have set it.
void addLoginCookie(TestEnv& env, Request& request, const std::string& state) {
  LoginState login;
  login.state = state;
  login.nonce = "n";
  login.code_verifier = "v";
  login.return_to = "/";
  login.expires_at = env.clock.now() + 600;
  request.cookies.emplace_back(loginCookieName(env.config, state), env.codec.sealLogin(login));
}

// error=access_denied for this browser's own flow gives a 403 page with the provider's
// words; hostile text in the parameters is never markup.
TEST(Callback, ProviderErrorShownEscaped) {
  TestEnv env;
  Deps deps = env.deps();
  Request request = env.get(
      "/login/authorized?error=access_denied&error_description=%3Cscript%3Ex%3C/script%3E"
      "&state=s");
  addLoginCookie(env, request, "s");
  Response r = handleCallback(request, deps);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body.find("<script>"), std::string::npos);
  EXPECT_NE(r.body.find("&lt;script&gt;x&lt;/script&gt;"), std::string::npos);
  Request odd = env.get("/login/authorized?error=%3Cimg%20src%3Dx%3E&state=t");
  addLoginCookie(env, odd, "t");
  Response odd_page = handleCallback(odd, deps);
  EXPECT_EQ(odd_page.status, 401);
  EXPECT_EQ(odd_page.body.find("<img"), std::string::npos);
}

// Without a live login cookie holding the state, the link is anyone's: a generic page
// that carries none of its text.
TEST(Callback, ProviderErrorTextHiddenWithoutOwnFlow) {
  TestEnv env;
  Deps deps = env.deps();
  const std::string link =
      "/login/authorized?error=access_denied&error_description=Call%20us%20at%20555&state=s";
  Response none = handleCallback(env.get(link), deps);
  EXPECT_EQ(none.status, 400);
  EXPECT_EQ(none.body.find("555"), std::string::npos);
  Request other = env.get(link);
  addLoginCookie(env, other, "another-state");
  EXPECT_EQ(handleCallback(other, deps).body.find("555"), std::string::npos);
  Request expired = env.get(link);
  addLoginCookie(env, expired, "s");
  env.clock.advance(601);
  EXPECT_EQ(handleCallback(expired, deps).body.find("555"), std::string::npos);
}

// A redemption refused as busy sent nothing: a 503 that keeps the login cookie, and the same
// callback works once the provider has room.
TEST(Callback, BusyProviderLetsTheSameCallbackBeRetried) {
  TestEnv env;
  Deps deps = env.deps();
  Request request = env.get("/login/authorized?code=c&state=s");
  addLoginCookie(env, request, "s");
  env.provider.sign_in_result = makeError(Errc::kProviderBusy, "full");
  Response busy = handleCallback(request, deps);
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(busy.header("Retry-After").value_or(""), "1");
  EXPECT_TRUE(headerValues(busy, "Set-Cookie").empty());
  env.provider.sign_in_result = SignIn{{"sub-1", "alice@example.com", true, "Alice", ""}, {}};
  EXPECT_EQ(handleCallback(request, deps).status, 302);
}

// A failure at the provider maps to the right page and leaves no session.
TEST(Callback, ProviderFailuresMapToStatus) {
  const std::pair<Errc, int> cases[] = {
      {Errc::kIdTokenBadSignature, 401},       {Errc::kIdTokenNonceMismatch, 401},
      {Errc::kProviderUnreachable, 502},       {Errc::kTokenEndpointRefusedClient, 502},
      {Errc::kTokenEndpointRefusedGrant, 400}, {Errc::kNoVerifiedEmail, 403},
  };
  for (const auto& [code, status] : cases) {
    TestEnv env;
    env.provider.sign_in_result = makeError(code, "detail");
    Request callback = callbackFor(env);
    Deps deps = env.deps();
    Response r = handleCallback(callback, deps);
    EXPECT_EQ(r.status, status) << errcName(code);
    for (const auto& c : headerValues(r, "Set-Cookie")) {
      EXPECT_NE(cookiePair(c).first, "__Host-latchkey");
    }
  }
}

// An address outside allowed_domains is refused with a 403 that names it.
TEST(Callback, DisallowedEmailRefused) {
  auto config = testing::testConfig();
  config.allowed_domains = {"corp.example"};
  TestEnv env(config);
  Request callback = callbackFor(env);
  Deps deps = env.deps();
  Response r = handleCallback(callback, deps);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("alice@example.com"), std::string::npos);
}

// An unverified address never passes an allow-list, even when it matches.
TEST(Callback, UnverifiedEmailRefused) {
  auto config = testing::testConfig();
  config.allowed_domains = {"example.com"};
  TestEnv env(config);
  env.provider.sign_in_result =
      SignIn{{"sub-1", "alice@example.com", false, "Alice", ""}, {"a", "", 0}};
  Request callback = callbackFor(env);
  Deps deps = env.deps();
  EXPECT_EQ(handleCallback(callback, deps).status, 403);
}

// /logout revokes the tokens, clears the cookie, and goes to /.
TEST(Logout, RevokesClearsAndRedirects) {
  TestEnv env;
  Session s;
  s.sub = "sub-1";
  s.access_token = "access-1";
  s.refresh_token = "refresh-1";
  Request request = env.get("/logout");
  request.method = "POST";
  request.cookies.emplace_back(env.names.session, env.sessionCookie(s));
  Deps deps = env.deps();
  Response r = handleLogout(request, deps);
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.header("Location").value_or(""), "/");
  EXPECT_EQ(env.provider.revoke_calls, 1);
  EXPECT_EQ(env.provider.last_revoked.refresh_token, "refresh-1");
  // The session is cleared, and the landing page is told to say "You have signed out".
  ASSERT_EQ(headerValues(r, "Set-Cookie").size(), 2u);
  EXPECT_NE(headerValues(r, "Set-Cookie")[0].find("Max-Age=0"), std::string::npos);
  EXPECT_TRUE(headerValues(r, "Set-Cookie")[1].starts_with("latchkey_signed_out=1;"));
}

// A GET another site started signs nobody out: the start page with its POST form instead.
TEST(Logout, CrossSiteGetOnlyShowsSignOutPage) {
  TestEnv env;
  Session s;
  s.sub = "sub-1";
  s.refresh_token = "refresh-1";
  const std::string cookie = env.sessionCookie(s);
  Deps deps = env.deps();
  Request by_fetch_metadata = env.get("/logout");
  by_fetch_metadata.sec_fetch_site = "cross-site";
  Request by_origin = env.get("/logout");
  by_origin.origin = "https://evil.example";
  Request null_origin = env.get("/logout");
  null_origin.origin = "null";
  for (Request* request : {&by_fetch_metadata, &by_origin, &null_origin}) {
    request->cookies.emplace_back(env.names.session, cookie);
    Response r = handleLogout(*request, deps);
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("method=\"post\""), std::string::npos);
    EXPECT_TRUE(headerValues(r, "Set-Cookie").empty());
  }
  EXPECT_EQ(env.provider.revoke_calls, 0);
}

// Same-site GETs (Fetch Metadata, our own Origin with its default port left out, or no
// header at all from an older client) sign out.
TEST(Logout, SameSiteGetSignsOut) {
  TestEnv env;
  Deps deps = env.deps();
  std::vector<Request> requests(5, env.get("/logout"));
  requests[0].sec_fetch_site = "same-origin";
  requests[1].sec_fetch_site = "same-site";
  requests[2].sec_fetch_site = "none";
  requests[3].origin = "https://APP.example";
  for (Request& request : requests) {
    EXPECT_EQ(handleLogout(request, deps).status, 302);
  }
  env.config.redirect_uri = "https://app.example:443/login/authorized";
  Deps explicit_port = env.deps();
  EXPECT_EQ(handleLogout(requests[3], explicit_port).status, 302);
}

// The tokens of a session that has just ended are still revoked; long-dead ones are not.
TEST(Logout, RevokesJustExpiredSession) {
  TestEnv env;
  Session s;
  s.sub = "sub-1";
  s.refresh_token = "refresh-1";
  s.issued_at = env.clock.now() - 7200;
  s.expires_at = env.clock.now() - 60;
  Request request = env.get("/logout");
  request.method = "POST";
  request.cookies.emplace_back(env.names.session, env.sessionCookie(s));
  Deps deps = env.deps();
  EXPECT_EQ(handleLogout(request, deps).status, 302);
  EXPECT_EQ(env.provider.revoke_calls, 1);
  env.clock.advance(CookieCodec::kRevocationGraceSeconds);
  EXPECT_EQ(handleLogout(request, deps).status, 302);
  EXPECT_EQ(env.provider.revoke_calls, 1);
}

// /userinfo returns the identity as JSON, escaped.
TEST(Userinfo, JsonOfIdentity) {
  TestEnv env;
  Session s;
  s.sub = "a\"b";
  s.email = "alice@example.com";
  s.email_verified = true;
  s.name = "Alice";
  Request request = env.get("/userinfo");
  request.cookies.emplace_back(env.names.session, env.sessionCookie(s));
  Deps deps = env.deps();
  Response r = handleUserinfo(request, deps);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"sub\":\"a\\\"b\""), std::string::npos);
  EXPECT_NE(r.body.find("\"exp\":"), std::string::npos);
  EXPECT_EQ(handleUserinfo(env.get("/userinfo"), deps).status, 401);
}

// ---- identity trust: unverified e-mail, Google hd, bounded identity values, RFC 9207 iss ----

// The session cookie a successful callback sets, or "" when it set none.
std::string sessionFrom(const TestEnv& env, const Response& r) {
  for (const auto& c : headerValues(r, "Set-Cookie")) {
    auto [name, value] = cookiePair(c);
    if (name == env.names.session && !value.empty()) {
      return value;
    }
  }
  return "";
}

// Every answer a signed-in visitor can get from latchkey, joined: headers and bodies.
std::string everythingShown(TestEnv& env, const std::string& cookie) {
  std::string all;
  Deps deps = env.deps();
  for (const char* path : {"/auth", "/userinfo", "/"}) {
    Request request = env.get(path);
    request.cookies.emplace_back(env.names.session, cookie);
    const Response r = route(request, deps);
    EXPECT_EQ(r.status, 200) << path;
    for (const auto& [name, value] : r.headers) {
      all += name + ": " + value + "\n";
    }
    all += r.body;
  }
  return all;
}

// A whole sign-in whose provider answers with this identity (and tokens).
Response signInAs(TestEnv& env, Identity who, TokenSet tokens = {"a", "", 0}) {
  env.provider.sign_in_result = SignIn{std::move(who), std::move(tokens)};
  Request callback = callbackFor(env);
  Deps deps = env.deps();
  return handleCallback(callback, deps);
}

// Without allow-lists an address the provider did not verify is refused by default with a
// 403 page that says so, and no session (it would otherwise reach X-Auth-Request-Email).
TEST(Callback, UnverifiedEmailRefusedByDefault) {
  TestEnv env;
  Response r = signInAs(env, {"sub-1", "victim@example.com", false, "Mallory", ""});
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("verified"), std::string::npos);
  EXPECT_EQ(sessionFrom(env, r), "");
}

// With allow_unverified_email the account signs in, but the unverified address appears in no
// header, page or /userinfo.
TEST(Callback, AllowedUnverifiedEmailIsNeverShown) {
  auto config = testing::testConfig();
  config.allow_unverified_email = true;
  TestEnv env(config);
  Response r = signInAs(env, {"sub-1", "victim@example.com", false, "Mallory", ""});
  ASSERT_EQ(r.status, 302);
  const std::string cookie = sessionFrom(env, r);
  ASSERT_FALSE(cookie.empty());
  const std::string shown = everythingShown(env, cookie);
  EXPECT_EQ(shown.find("victim@example.com"), std::string::npos) << shown;
  EXPECT_NE(shown.find("X-Auth-Request-User: sub-1"), std::string::npos) << shown;
  EXPECT_NE(shown.find("Mallory"), std::string::npos);
}

// A session holding an unverified address (however it was made) never shows it: /auth sends
// an empty X-Auth-Request-Email under allow_unverified_email, and refuses it (403) otherwise.
TEST(Auth, UnverifiedSessionAddressNeverInHeaders) {
  auto config = testing::testConfig();
  config.allow_unverified_email = true;
  TestEnv env(config);
  Session s;
  s.sub = "sub-1";
  s.email = "victim@example.com";
  s.email_verified = false;
  const std::string cookie = env.sessionCookie(s);
  EXPECT_EQ(everythingShown(env, cookie).find("victim@example.com"), std::string::npos);

  TestEnv strict;
  Request request = strict.get("/auth");
  request.cookies.emplace_back(strict.names.session, strict.sessionCookie(s));
  Deps deps = strict.deps();
  EXPECT_EQ(handleAuth(request, deps).status, 403);
}

// Google with allowed_domains: the hd claim must name an allowed domain, because a Google
// account can be made for any address; an address listed in allowed_emails needs no hd.
TEST(Callback, GoogleHostedDomainRequired) {
  struct Case {
    const char* hd;
    bool listed;
    int status;
  };
  for (const Case& c : {Case{"", false, 403}, Case{"other.example", false, 403},
                        Case{"corp.example", false, 302}, Case{"", true, 302}}) {
    auto config = testing::testConfig();
    config.provider = ProviderKind::kGoogle;
    config.allowed_domains = {"corp.example"};
    if (c.listed) {
      config.allowed_emails = {"alice@corp.example"};
    }
    TestEnv env(config);
    Response r = signInAs(env, {"sub-1", "alice@corp.example", true, "Alice", "", c.hd});
    EXPECT_EQ(r.status, c.status) << "hd=" << c.hd << " listed=" << c.listed;
    EXPECT_EQ(sessionFrom(env, r).empty(), c.status != 302);
  }
}

// Identity values from any provider answer are bounded and cleaned in one place: a profile
// with control characters and thousands of characters signs in with a cookie browsers keep,
// and no control character reaches the upstream headers.
TEST(Callback, LongHostileProfileStillSignsIn) {
  TestEnv env;
  std::string name = "Eve\x1b[2J\x07\x0b";
  for (int i = 0; i < 3000; ++i) {
    name += "\xe2\x82\xac";  // €
  }
  Response r = signInAs(
      env,
      {"sub-1", "eve@example.com", true, name, "https://p.example/" + std::string(4000, 'p'), ""},
      {std::string(1500, 'a'), std::string(1500, 'r'), 0});
  ASSERT_EQ(r.status, 302);
  const std::string cookie = sessionFrom(env, r);
  ASSERT_FALSE(cookie.empty());
  EXPECT_LE(cookie.size(), kMaxCookieValueBytes);
  Request auth = env.get("/auth");
  auth.cookies.emplace_back(env.names.session, cookie);
  Deps deps = env.deps();
  Response verdict = handleAuth(auth, deps);
  ASSERT_EQ(verdict.status, 200);
  const std::string header(verdict.header("X-Auth-Request-Name").value_or(""));
  EXPECT_TRUE(header.starts_with("Eve [2J  \xe2\x82\xac")) << header.substr(0, 20);
  EXPECT_LE(header.size(), kMaxNameBytes);
  for (char ch : header) {
    EXPECT_FALSE(static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f);
  }
}

// A sub with a control character (from userinfo or GitHub as much as an ID token) is refused.
TEST(Callback, ControlCharacterInSubRefused) {
  TestEnv env;
  Response r = signInAs(env, {"sub\x1b-1", "alice@example.com", true, "Alice", ""});
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(sessionFrom(env, r), "");
}

// The callback's iss parameter (RFC 9207) goes to the provider's check; a mismatch is a 400
// page with no session.
TEST(Callback, IssParameterReachesTheProvider) {
  TestEnv env;
  Request callback = callbackFor(env);
  callback.query.emplace_back("iss", "https://idp.example");
  Deps deps = env.deps();
  EXPECT_EQ(handleCallback(callback, deps).status, 302);
  EXPECT_EQ(env.provider.last_redemption.iss.value_or(""), "https://idp.example");

  TestEnv mixed;
  mixed.provider.sign_in_result = makeError(Errc::kCallbackIssuerMismatch, "iss differs");
  Request second = callbackFor(mixed);
  Deps mixed_deps = mixed.deps();
  Response r = handleCallback(second, mixed_deps);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(sessionFrom(mixed, r), "");
}

}  // namespace
}  // namespace latchkey

namespace latchkey {
namespace {

using testing::headerValues;
using testing::TestEnv;

// Right after sign-out (the flag cookie), / says so; a forged session cookie is cleared and
// the page says the session ended, instead of a plain welcome.
TEST(Home, SaysWhyTheVisitorIsSignedOut) {
  TestEnv env;
  Deps deps = env.deps();
  Request flagged = env.get("/");
  flagged.cookies.emplace_back("latchkey_signed_out", "1");
  EXPECT_NE(handleHome(flagged, deps).body.find("<h1>You have signed out</h1>"), std::string::npos);
  Request forged = env.get("/");
  forged.cookies.emplace_back(env.names.session, "v1.forged.value");
  const Response ended = handleHome(forged, deps);
  EXPECT_NE(ended.body.find("<h1>Your session has ended</h1>"), std::string::npos);
  ASSERT_EQ(headerValues(ended, "Set-Cookie").size(), 1u);
  EXPECT_NE(headerValues(ended, "Set-Cookie")[0].find("Max-Age=0"), std::string::npos);
  // /signed-out says "You have signed out" even without the flag, and keeps rd.
  const Response landing = handleSignedOut(env.get("/signed-out?rd=/app/x"), deps);
  EXPECT_NE(landing.body.find("<h1>You have signed out</h1>"), std::string::npos);
  EXPECT_NE(landing.body.find("href=\"/login?rd=%2Fapp%2Fx\""), std::string::npos);
}

// A session whose address is no longer allowed is ended on the page (cookie cleared), which
// offers another account and keeps rd.
TEST(Home, RefusedSessionIsEndedWithAnotherAccountOffered) {
  TestEnv env(corpOnlyConfig());
  Request request = env.get("/signed-out?rd=/app/");
  request.cookies.emplace_back(env.names.session, env.sessionCookie());
  Deps deps = env.deps();
  const Response r = handleSignedOut(request, deps);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("/login?prompt=select_account&amp;rd=%2Fapp%2F"), std::string::npos);
  ASSERT_EQ(headerValues(r, "Set-Cookie").size(), 1u);
  EXPECT_NE(headerValues(r, "Set-Cookie")[0].find("Max-Age=0"), std::string::npos);
}

// "Use another account" reaches the provider as choose_account; signing in on purpose clears
// the signed-out flag.
TEST(Login, AnotherAccountAndFlagCleared) {
  TestEnv env;
  Deps deps = env.deps();
  Request request = env.get("/login?prompt=select_account");
  request.cookies.emplace_back("latchkey_signed_out", "1");
  const Response r = handleLogin(request, deps);
  EXPECT_TRUE(env.provider.last_authorization.choose_account);
  const auto cookies = headerValues(r, "Set-Cookie");
  ASSERT_EQ(cookies.size(), 2u);
  EXPECT_TRUE(cookies[1].starts_with("latchkey_signed_out=; Path=/; Max-Age=0")) << cookies[1];
  handleLogin(env.get("/login"), deps);
  EXPECT_FALSE(env.provider.last_authorization.choose_account);
}

// A SQLite session store in a fresh directory, and the revocation copy over it, wired into
// the handlers as main() does.
class StoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<SessionStore> openStore() {
    auto store = openSqliteStore(dir_.path() + "/state.db", 2000);
    EXPECT_TRUE(store);
    return std::move(store.value());
  }
  static Deps withStore(TestEnv& env, SessionStore& store, RevocationCache& revocations) {
    Deps deps = env.deps();
    deps.store = &store;
    deps.revocations = &revocations;
    return deps;
  }
  testing::TempDir dir_;
};

// Sign-out revokes the session: the same cookie, presented again, is refused and cleared.
TEST_F(StoreTest, LogoutRevokesTheCookieItself) {
  TestEnv env;
  auto store = openStore();
  RevocationCache revocations(*store, 30, std::chrono::milliseconds(60000));
  Deps deps = withStore(env, *store, revocations);
  Session s;
  s.sid = "sid-1";
  const std::string cookie = env.sessionCookie(s);
  Request auth = env.get("/auth");
  auth.cookies.emplace_back(env.names.session, cookie);
  EXPECT_EQ(handleAuth(auth, deps).status, 200);
  Request logout = env.get("/logout");
  logout.method = "POST";
  logout.cookies.emplace_back(env.names.session, cookie);
  EXPECT_EQ(handleLogout(logout, deps).status, 302);
  Response refused = handleAuth(auth, deps);
  EXPECT_EQ(refused.status, 401);
  ASSERT_EQ(headerValues(refused, "Set-Cookie").size(), 1u);
  EXPECT_NE(headerValues(refused, "Set-Cookie")[0].find("Max-Age=0"), std::string::npos);
  Session other;
  other.sid = "sid-2";
  Request second = env.get("/auth");
  second.cookies.emplace_back(env.names.session, env.sessionCookie(other));
  EXPECT_EQ(handleAuth(second, deps).status, 200) << "only the signed-out session ends";
}

// Two processes (each its own in-memory guard) sharing one state file: the callback completes
// once; the replay is refused before the provider is asked to redeem the code again.
TEST_F(StoreTest, CallbackReplayRefusedAcrossProcesses) {
  TestEnv first;
  TestEnv second;
  auto store_a = openStore();
  auto store_b = openStore();
  RevocationCache cache_a(*store_a, 30, std::chrono::milliseconds(500));
  RevocationCache cache_b(*store_b, 30, std::chrono::milliseconds(500));
  Deps deps_a = withStore(first, *store_a, cache_a);
  Deps deps_b = withStore(second, *store_b, cache_b);
  Request callback = callbackFor(first);
  EXPECT_EQ(handleCallback(callback, deps_a).status, 302);
  EXPECT_EQ(handleCallback(callback, deps_b).status, 400);
  EXPECT_EQ(second.provider.redeem_calls, 0);
}

// A store that cannot be reached from the start: routes that read the session fail closed
// with 503, and a request without a session is not affected.
TEST_F(StoreTest, UnreachableStoreFailsClosed) {
  TestEnv env;
  auto where = parseStoreLocation("redis://127.0.0.1:1/0");
  ASSERT_TRUE(where);
  auto store = openRedisStore(*where, 200);
  ASSERT_TRUE(store);
  RevocationCache revocations(**store, 30, std::chrono::milliseconds(500));
  Deps deps = withStore(env, **store, revocations);
  Request auth = env.get("/auth");
  auth.cookies.emplace_back(env.names.session, env.sessionCookie());
  EXPECT_EQ(handleAuth(auth, deps).status, 503);
  Request home = env.get("/");
  home.cookies = auth.cookies;
  EXPECT_EQ(handleHome(home, deps).status, 503);
  Request userinfo = env.get("/userinfo");
  userinfo.cookies = auth.cookies;
  EXPECT_EQ(handleUserinfo(userinfo, deps).status, 503);
  EXPECT_EQ(handleAuth(env.get("/auth"), deps).status, 401);
  EXPECT_EQ(handleCallback(callbackFor(env), deps).status, 503);
}

}  // namespace
}  // namespace latchkey
