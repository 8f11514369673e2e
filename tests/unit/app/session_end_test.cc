// Sessions the provider ends: back-channel logout (POST /backchannel-logout) over a real
// SQLite store, and re-validation (revalidate_seconds) with a fake provider and clock.
#include <gtest/gtest.h>

#include "latchkey/session/revocation_cache.h"
#include "latchkey/store/session_store.h"
#include "support/app_test_support.h"
#include "support/temp_dir.h"

namespace latchkey {
namespace {

using testing::cookiePair;
using testing::headerValues;
using testing::TestEnv;

class BackchannelTest : public ::testing::Test {
 protected:
  BackchannelTest() {
    auto opened = openSqliteStore(dir_.path() + "/state.db", 2000);
    EXPECT_TRUE(opened);
    store_ = std::move(opened.value());
    revocations_ = std::make_unique<RevocationCache>(*store_, 30, std::chrono::milliseconds(60000));
    env_.provider.logout_result =
        LogoutTokenClaims{"sub-1", "op-session-1", "jti-1", env_.clock.now()};
  }
  Deps deps() {
    Deps deps = env_.deps();
    deps.store = store_.get();
    deps.revocations = revocations_.get();
    return deps;
  }
  Request logoutPost(std::string token = "a.logout.token") {
    Request request = env_.get("/backchannel-logout");
    request.method = "POST";
    request.form.emplace_back("logout_token", std::move(token));
    return request;
  }
  int authStatus(const std::string& cookie) {
    Request auth = env_.get("/auth");
    auth.cookies.emplace_back(env_.names.session, cookie);
    Deps d = deps();
    return handleAuth(auth, d).status;
  }
  std::string cookieWithProviderSid(std::string_view provider_sid, std::string sid) {
    Session s;
    s.sid = std::move(sid);
    s.provider_sid = providerSidMark(provider_sid);
    return env_.sessionCookie(s);
  }

  testing::TempDir dir_;
  TestEnv env_;
  std::unique_ptr<SessionStore> store_;
  std::unique_ptr<RevocationCache> revocations_;
};

// A token naming a provider session ends the sessions signed in through it, and only those.
TEST_F(BackchannelTest, SidEndsThatProviderSession) {
  const std::string named = cookieWithProviderSid("op-session-1", "sid-a");
  const std::string other = cookieWithProviderSid("op-session-2", "sid-b");
  ASSERT_EQ(authStatus(named), 200);
  Deps d = deps();
  const Response r = handleBackchannelLogout(logoutPost(), d);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  EXPECT_EQ(env_.provider.last_logout_token, "a.logout.token");
  EXPECT_EQ(authStatus(named), 401);
  EXPECT_EQ(authStatus(other), 200);
}

// A token with sub alone ends every session of that subject issued until now.
TEST_F(BackchannelTest, SubEndsEverySessionOfTheUser) {
  env_.provider.logout_result = LogoutTokenClaims{"sub-1", "", "jti-2", env_.clock.now()};
  const std::string first = cookieWithProviderSid("op-session-1", "sid-a");
  const std::string second = cookieWithProviderSid("op-session-2", "sid-b");
  Deps d = deps();
  EXPECT_EQ(handleBackchannelLogout(logoutPost(), d).status, 200);
  EXPECT_EQ(authStatus(first), 401);
  EXPECT_EQ(authStatus(second), 401);
  env_.clock.advance(5);
  EXPECT_EQ(authStatus(env_.sessionCookie()), 200) << "a later sign-in is not affected";
}

// The same jti again, even from another process sharing the store, is refused.
TEST_F(BackchannelTest, ReplayedJtiRefused) {
  Deps d = deps();
  EXPECT_EQ(handleBackchannelLogout(logoutPost(), d).status, 200);
  auto again = openSqliteStore(dir_.path() + "/state.db", 2000);
  ASSERT_TRUE(again);
  d.store = again->get();
  const Response r = handleBackchannelLogout(logoutPost(), d);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("\"error\":\"invalid_request\""), std::string::npos) << r.body;
}

// A token the provider check refuses: 400 with a JSON error, no-store, nothing ended.
TEST_F(BackchannelTest, InvalidTokenIs400) {
  env_.provider.logout_result = makeError(Errc::kIdTokenBadSignature, "signature does not verify");
  const std::string named = cookieWithProviderSid("op-session-1", "sid-a");
  Deps d = deps();
  const Response r = handleBackchannelLogout(logoutPost(), d);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_NE(r.body.find("signature does not verify"), std::string::npos) << r.body;
  EXPECT_EQ(authStatus(named), 200);
  Request empty = logoutPost();
  empty.form.clear();
  EXPECT_EQ(handleBackchannelLogout(empty, d).status, 400);
}

// Without a store there is nothing that could end a session: a clear refusal, and the
// route answers POST only.
// With several providers each registers its own URL, ?provider=NAME: the token is checked by
// that provider only, and a URL naming none (or an unknown one) is refused before any check.
TEST_F(BackchannelTest, SeveralProvidersAreChosenByTheUrl) {
  Config corp = env_.config;
  corp.provider_id = "corp";
  Deps site = deps();
  Deps corp_deps{
      corp,       site.cookie_names, site.cookies,     site.provider, site.clock,      site.log,
      site.pages, site.refresher,    site.used_states, site.store,    site.revocations};
  const std::vector<Deps*> all{&corp_deps};
  site.providers = &all;
  corp_deps.providers = &all;

  EXPECT_EQ(handleBackchannelLogout(logoutPost(), site).status, 400);
  Request unknown = logoutPost();
  unknown.query.emplace_back("provider", "nobody");
  EXPECT_EQ(handleBackchannelLogout(unknown, site).status, 400);

  const std::string cookie = cookieWithProviderSid("op-session-1", "ours-1");
  ASSERT_EQ(authStatus(cookie), 200);
  EXPECT_TRUE(env_.provider.last_logout_token.empty());
  Request named = logoutPost();
  named.query.emplace_back("provider", "corp");
  EXPECT_EQ(handleBackchannelLogout(named, site).status, 200);
  EXPECT_EQ(authStatus(cookie), 401);
}

TEST_F(BackchannelTest, NeedsAStore) {
  Deps stateless = env_.deps();
  const Response r = handleBackchannelLogout(logoutPost(), stateless);
  EXPECT_EQ(r.status, 501);
  EXPECT_NE(r.body.find("session_store"), std::string::npos) << r.body;
  Deps d = deps();
  EXPECT_EQ(route(env_.get("/backchannel-logout"), d).status, 405);
  EXPECT_EQ(route(logoutPost(), d).status, 200);
}

// --- Re-validation -------------------------------------------------------------------

struct RevalidationEnv {
  explicit RevalidationEnv(int64_t every = 300) {
    Config config = testing::testConfig();
    config.revalidate_seconds = every;
    env = std::make_unique<TestEnv>(config);
  }
  // A session without a refresh token, signed in now.
  std::string cookie() {
    Session s;
    s.sid = "sid-1";
    s.access_token = "access-1";
    return env->sessionCookie(s);
  }
  Response auth(const std::string& cookie) {
    Request request = env->get("/auth");
    request.cookies.emplace_back(env->names.session, cookie);
    Deps deps = env->deps();
    return handleAuth(request, deps);
  }
  std::unique_ptr<TestEnv> env;
};

// Within the interval the provider is not asked; after it, a refusal ends the session.
TEST(Revalidation, ProviderRefusalEndsSession) {
  RevalidationEnv t;
  const std::string cookie = t.cookie();
  EXPECT_EQ(t.auth(cookie).status, 200);
  EXPECT_EQ(t.env->provider.access_checks, 0);
  t.env->clock.advance(300);
  t.env->provider.access_check_result = makeError(Errc::kRevalidationFailed, "userinfo 401");
  const Response r = t.auth(cookie);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(t.env->provider.access_checks, 1);
  EXPECT_EQ(t.env->provider.last_checked_token, "access-1");
  ASSERT_EQ(headerValues(r, "Set-Cookie").size(), 1u);
  EXPECT_NE(headerValues(r, "Set-Cookie")[0].find("Max-Age=0"), std::string::npos);
}

// The provider vouches: the session goes on with a new cookie whose next check is one
// interval away.
TEST(Revalidation, VouchedSessionIsCheckedAgainOnlyAfterTheInterval) {
  RevalidationEnv t;
  const std::string cookie = t.cookie();
  t.env->clock.advance(301);
  const Response checked = t.auth(cookie);
  EXPECT_EQ(checked.status, 200);
  EXPECT_EQ(t.env->provider.access_checks, 1);
  const auto cookies = headerValues(checked, "Set-Cookie");
  ASSERT_EQ(cookies.size(), 1u);
  const std::string renewed = cookiePair(cookies[0]).second;
  t.env->clock.advance(299);
  EXPECT_EQ(t.auth(renewed).status, 200);
  EXPECT_EQ(t.env->provider.access_checks, 1);
  t.env->clock.advance(1);
  t.env->provider.access_check_result = makeError(Errc::kRevalidationFailed, "gone");
  EXPECT_EQ(t.auth(renewed).status, 401);
  EXPECT_EQ(t.env->provider.access_checks, 2);
}

// A short interval asks the provider each time: an earlier "yes" is not reused.
TEST(Revalidation, ShortIntervalAsksAgain) {
  RevalidationEnv t(2);
  const std::string cookie = t.cookie();
  t.env->clock.advance(2);
  const Response first = t.auth(cookie);
  ASSERT_EQ(headerValues(first, "Set-Cookie").size(), 1u);
  const std::string renewed = cookiePair(headerValues(first, "Set-Cookie")[0]).second;
  t.env->clock.advance(2);
  t.env->provider.access_check_result = makeError(Errc::kRevalidationFailed, "account removed");
  EXPECT_EQ(t.auth(renewed).status, 401);
  EXPECT_EQ(t.env->provider.access_checks, 2);
}

// A provider outage keeps the session (fail open) and sets no cookie, so a later request
// asks again.
TEST(Revalidation, OutageKeepsSession) {
  RevalidationEnv t;
  const std::string cookie = t.cookie();
  t.env->clock.advance(600);
  t.env->provider.access_check_result = makeError(Errc::kProviderUnreachable, "timeout");
  const Response r = t.auth(cookie);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(headerValues(r, "Set-Cookie").empty());
}

// A session with a refresh token is re-validated by a refresh; invalid_grant ends it.
TEST(Revalidation, RefreshTokenIsUsedInstead) {
  RevalidationEnv t;
  Session s;
  s.access_token = "access-1";
  s.refresh_token = "refresh-1";
  const std::string cookie = t.env->sessionCookie(s);
  t.env->clock.advance(300);
  EXPECT_EQ(t.auth(cookie).status, 200);
  EXPECT_EQ(t.env->provider.refresh_calls, 1);
  EXPECT_EQ(t.env->provider.access_checks, 0);
}

}  // namespace
}  // namespace latchkey
