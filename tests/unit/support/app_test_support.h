// Fakes and a ready environment for testing the route handlers without network or clock.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "latchkey/app/router.h"
#include "latchkey/session/refresh_coordinator.h"
#include "latchkey/session/replay_guard.h"

namespace latchkey::testing {

class FakeClock final : public Clock {
 public:
  int64_t now() const override { return now_; }
  void advance(int64_t seconds) { now_ += seconds; }
  int64_t now_ = 1'800'000'000;
};

class FakeProvider final : public IdentityProvider {
 public:
  Result<std::string> authorizationUrl(const AuthorizationRequest& request) override {
    last_authorization = request;
    if (authorization_error) {
      return *authorization_error;
    }
    return "https://idp.example/authorize?state=" + request.state;
  }
  Result<SignIn> redeemCode(const CodeRedemption& redemption) override {
    ++redeem_calls;
    last_redemption = redemption;
    return sign_in_result;
  }
  Result<TokenSet> refresh(const std::string& refresh_token) override {
    ++refresh_calls;
    {
      // Refreshes may run on several threads at once (BoundedProvider, background refresh).
      const std::lock_guard lock(refresh_mutex);
      last_refresh_token = refresh_token;
    }
    std::this_thread::sleep_for(refresh_delay);
    if (refresh_throws) {
      throw std::runtime_error("provider blew up");
    }
    return refresh_result;
  }
  void revoke(const TokenSet& tokens) override {
    ++revoke_calls;
    last_revoked = tokens;
  }
  Result<std::string> check() override { return std::string("ok\n"); }
  Result<LogoutTokenClaims> verifyLogoutToken(std::string_view token) override {
    last_logout_token = std::string(token);
    return logout_result;
  }
  Status checkAccessToken(const std::string& access_token, std::string_view) override {
    ++access_checks;
    last_checked_token = access_token;
    return access_check_result;
  }

  std::optional<Error> authorization_error;
  Result<LogoutTokenClaims> logout_result = LogoutTokenClaims{"sub-1", "op-session-1", "jti-1", 0};
  std::string last_logout_token;
  Status access_check_result;
  std::atomic<int> access_checks{0};
  std::string last_checked_token;
  AuthorizationRequest last_authorization;
  CodeRedemption last_redemption;
  Result<SignIn> sign_in_result =
      SignIn{{"sub-1", "alice@example.com", true, "Alice", ""}, {"access-1", "refresh-1", 0}};
  Result<TokenSet> refresh_result = TokenSet{"access-2", "refresh-2", 0};
  std::chrono::milliseconds refresh_delay{0};
  bool refresh_throws = false;
  std::atomic<int> redeem_calls{0};
  std::atomic<int> refresh_calls{0};
  std::atomic<int> revoke_calls{0};
  std::mutex refresh_mutex;
  std::string last_refresh_token;  // under refresh_mutex while refreshes may run
  TokenSet last_revoked;
};

inline Config testConfig() {
  Config config;
  config.provider = ProviderKind::kOidc;
  config.issuer = "https://idp.example";
  config.client_id = "client-1";
  config.client_secret = "secret-1";
  config.redirect_uri = "https://app.example/login/authorized";
  config.redirect_path = "/login/authorized";
  config.https = true;
  config.scopes = {"openid", "email", "profile"};
  config.cookie_secret = std::string(32, 'k');
  config.cookie_name = "__Host-latchkey";
  config.log_level = LogLevel::kError;
  return config;
}

// Everything a handler needs, with fakes. Rebuild deps() after changing config.
struct TestEnv {
  explicit TestEnv(Config c = testConfig())
      : config(std::move(c)),
        names(cookieNames(config)),
        codec(config.cookie_secret, config.cookie_secret_previous, cookieScope(config)),
        log(LogLevel::kError) {
    std::vector<std::string> problems;
    pages = Pages::load(config, problems);
  }

  Deps deps() {
    return Deps{config, names, codec, provider, clock, log, *pages, refresher, used_states};
  }

  Request get(std::string path) const {
    Request request;
    request.method = "GET";
    const size_t q = path.find('?');
    request.path = path.substr(0, q);
    if (q != std::string::npos) {
      request.raw_query = path.substr(q + 1);
      auto parsed = parseUrlEncoded(request.raw_query);
      if (parsed) {
        request.query = *parsed;
      }
    }
    request.client_address = "192.0.2.1";
    return request;
  }

  std::string sessionCookie(Session session = {}) const {
    if (session.sub.empty()) {
      session.sub = "sub-1";
      session.email = "alice@example.com";
      session.email_verified = true;
      session.name = "Alice";
    }
    if (session.expires_at == 0) {
      session.issued_at = clock.now();
      session.expires_at = clock.now() + 3600;
    }
    return codec.sealSession(session);
  }

  Config config;
  CookieNames names;
  CookieCodec codec;
  Logger log;
  std::unique_ptr<Pages> pages;
  FakeProvider provider;
  FakeClock clock;
  RefreshCoordinator refresher;
  ReplayGuard used_states;
};

// Values of every header with this name (Set-Cookie repeats).
inline std::vector<std::string> headerValues(const Response& response, std::string_view name) {
  std::vector<std::string> values;
  for (const auto& [n, v] : response.headers) {
    if (n == name) {
      values.push_back(v);
    }
  }
  return values;
}

// "name=value; ..." -> {name, value}
inline std::pair<std::string, std::string> cookiePair(const std::string& set_cookie) {
  const std::string first = set_cookie.substr(0, set_cookie.find(';'));
  const size_t eq = first.find('=');
  return {first.substr(0, eq), first.substr(eq + 1)};
}

}  // namespace latchkey::testing
