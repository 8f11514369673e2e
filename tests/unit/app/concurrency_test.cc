// Every route driven from 16 threads at once through requestFromParams() and route(), with
// the real OIDC provider (discovery and JWKS caches, single-flight refetch) over a fake
// HTTP client, the real cookie codec, refresh coordinator and replay guard. Half-way
// through, the provider rotates its signing key. Built with -fsanitize=thread by
// `make tsan-test` (build/tsan/), where any data race fails the run; in the ordinary unit
// test binaries it checks that concurrent use gives every visitor the right answer.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "latchkey/oidc/identity_provider.h"
#include "support/app_test_support.h"
#include "support/fake_http_client.h"
#include "support/jwt_test_support.h"

namespace latchkey {
namespace {

using testing::FakeHttpClient;
using testing::KeyKind;
using testing::parseForm;

constexpr int kThreads = 16;
constexpr int kRounds = 12;  // per thread; each round visits every route
constexpr const char* kDiscovery = "https://idp.example/.well-known/openid-configuration";
constexpr const char* kToken = "https://idp.example/token";
constexpr const char* kJwks = "https://idp.example/jwks";
constexpr const char* kRevoke = "https://idp.example/revoke";

const testing::TestKey& rsaKey(int index) {
  return testing::testKey(KeyKind::kRsa2048, index);
}
std::string kidOf(int index) {
  return "k" + std::to_string(index);
}

// The provider side: discovery, a JWKS that can gain a key, a token endpoint that signs ID
// tokens with the current key (the nonce travels inside the code: "c.<nonce>").
class ScriptedIdp {
 public:
  ScriptedIdp(FakeHttpClient& http, const Clock& clock) : clock_(clock) {
    http.onJson(kDiscovery, 200,
                R"({"issuer":"https://idp.example","authorization_endpoint":)"
                R"("https://idp.example/authorize","token_endpoint":")" +
                    std::string(kToken) + R"(","jwks_uri":")" + kJwks +
                    R"(","revocation_endpoint":")" + kRevoke + R"("})");
    http.on(kJwks, [this](const HttpRequest&) -> Result<HttpResponse> {
      const bool rotated = published_.load() > 1;
      // Providers publish the next key before signing with it (OIDC Core §10.1.1).
      return FakeHttpClient::response(
          200, rotated ? testing::jwksOf({testing::publicJwk(rsaKey(1), kidOf(1)),
                                          testing::publicJwk(rsaKey(2), kidOf(2))})
                       : testing::jwksOf({testing::publicJwk(rsaKey(1), kidOf(1))}));
    });
    http.on(kToken, [this](const HttpRequest& request) -> Result<HttpResponse> {
      auto form = parseForm(request.body);
      if (form["grant_type"] == "refresh_token") {
        return FakeHttpClient::response(
            200, R"({"access_token":"at-refreshed","token_type":"Bearer","expires_in":3600,)"
                 R"("refresh_token":"rt-next"})");
      }
      const std::string& code = form["code"];
      if (form["grant_type"] != "authorization_code" || code.rfind("c.", 0) != 0) {
        return FakeHttpClient::response(400, R"({"error":"invalid_grant"})");
      }
      const int key = signing_.load();
      const std::string id_token = testing::signCompact(
          rsaKey(key), "RS256", kidOf(key),
          testing::idTokenPayload("https://idp.example", R"("client-1")", code.substr(2),
                                  clock_.now() + 600, clock_.now()));
      return FakeHttpClient::response(
          200, R"({"access_token":"at-1","token_type":"Bearer","expires_in":3600,)"
               R"("refresh_token":"rt-1","id_token":")" +
                   id_token + "\"}");
    });
    http.onJson(kRevoke, 200, "");
  }

  void rotate() {
    published_ = 2;
    signing_ = 2;
  }

 private:
  const Clock& clock_;
  std::atomic<int> published_{1};
  std::atomic<int> signing_{1};
};

// One visitor's browser: a cookie jar (name -> value) and requests as nginx would pass them.
class Visitor {
 public:
  Visitor(Deps& deps, int id) : deps_(deps), address_("192.0.2." + std::to_string(id + 1)) {}

  Response send(const std::string& method, const std::string& target) {
    ParamMap params;
    const size_t q = target.find('?');
    params["REQUEST_METHOD"] = method;
    params["DOCUMENT_URI"] = target.substr(0, q);
    params["REQUEST_URI"] = target;
    params["QUERY_STRING"] = q == std::string::npos ? "" : target.substr(q + 1);
    params["REMOTE_ADDR"] = address_;
    params["HTTPS"] = "on";
    std::string cookie_header;
    for (const auto& [name, value] : jar_) {
      cookie_header += (cookie_header.empty() ? "" : "; ") + name + "=" + value;
    }
    if (!cookie_header.empty()) {
      params["HTTP_COOKIE"] = cookie_header;
    }
    auto request = requestFromParams(params, "", deps_.config.base_path);
    if (!request) {
      Response bad;
      bad.status = 400;
      return bad;
    }
    Response response = route(*request, deps_);
    for (const std::string& set : testing::headerValues(response, "Set-Cookie")) {
      auto [name, value] = testing::cookiePair(set);
      if (value.empty() || set.find("Max-Age=0") != std::string::npos) {
        jar_.erase(name);
      } else {
        jar_[name] = value;
      }
    }
    return response;
  }

  void setCookie(const std::string& name, const std::string& value) { jar_[name] = value; }
  void clearCookies() { jar_.clear(); }

 private:
  Deps& deps_;
  std::string address_;
  std::map<std::string, std::string> jar_;
};

// Collects unexpected answers from all threads.
class Problems {
 public:
  void expect(bool ok, const std::string& what) {
    if (!ok) {
      std::lock_guard<std::mutex> lock(mutex_);
      list_.push_back(what);
    }
  }
  std::vector<std::string> list() {
    std::lock_guard<std::mutex> lock(mutex_);
    return list_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> list_;
};

// One round of every route for one visitor; returns true when the sign-in succeeded.
bool oneRound(Visitor& v, testing::TestEnv& env, Problems& problems, int thread, int round) {
  const std::string who = "thread " + std::to_string(thread) + " round " + std::to_string(round);
  v.clearCookies();
  problems.expect(v.send("GET", "/").status == 200, who + ": GET / signed out");
  problems.expect(v.send("GET", "/auth").status == 401, who + ": /auth signed out");
  problems.expect(v.send("GET", "/userinfo").status == 401, who + ": /userinfo signed out");
  problems.expect(v.send("GET", "/healthz").status == 200, who + ": /healthz");
  problems.expect(v.send("GET", "/nowhere").status == 404, who + ": unknown route");
  problems.expect(v.send("DELETE", "/login").status == 405, who + ": wrong method");
  problems.expect(v.send("GET", "/login/authorized?state=x&code=y").status == 400,
                  who + ": garbage callback");

  const Response login = v.send("GET", "/login?rd=/app/" + std::to_string(round));
  const auto location = login.header("Location");
  problems.expect(login.status == 302 && location.has_value(), who + ": /login");
  if (!location) {
    return false;
  }
  auto query = parseForm(*location);
  const Response callback =
      v.send("GET", "/login/authorized?state=" + query["state"] + "&code=c." + query["nonce"]);
  const bool signed_in = callback.status == 302;
  problems.expect(signed_in, who + ": callback answered " + std::to_string(callback.status) + " " +
                                 callback.body.substr(0, 200));
  // Replaying the same callback must be refused: no second session, no redirect. (A visitor
  // already signed in is told so and offered "Continue" instead of an error.)
  const Response replay =
      v.send("GET", "/login/authorized?state=" + query["state"] + "&code=c." + query["nonce"]);
  bool new_cookie = false;
  for (const auto& [name, value] : replay.headers) {
    new_cookie =
        new_cookie || (name == "Set-Cookie" && value.find("Max-Age=0") == std::string::npos);
  }
  problems.expect(replay.status != 302 && !replay.header("Location") && !new_cookie,
                  who + ": replayed callback");
  if (signed_in) {
    const Response auth = v.send("GET", "/auth");
    problems.expect(auth.status == 200 && auth.header("X-Auth-Request-User") == "user-123",
                    who + ": /auth signed in");
    problems.expect(v.send("GET", "/").status == 200, who + ": GET / signed in");
    problems.expect(v.send("GET", "/userinfo").status == 200, who + ": /userinfo signed in");
  }

  // A session whose access token is due: /auth refreshes it (RefreshCoordinator).
  Session due;
  due.sub = "user-123";
  due.email = "alice@example.com";
  due.email_verified = true;
  due.issued_at = env.clock.now() - 100;
  due.expires_at = env.clock.now() + 3600;
  due.access_token = "at-old";
  due.refresh_token = "rt-" + std::to_string(thread);
  due.access_expires_at = env.clock.now() - 1;
  v.setCookie(env.names.session, env.codec.sealSession(due));
  problems.expect(v.send("GET", "/auth").status == 200, who + ": /auth with refresh");
  problems.expect(v.send(round % 2 == 0 ? "POST" : "GET", "/logout").status == 302,
                  who + ": /logout");
  problems.expect(v.send("GET", "/auth").status == 401, who + ": /auth after logout");
  return signed_in;
}

// 16 threads x every route, a key rotation half-way: no wrong answer (and, under
// ThreadSanitizer, no data race); the JWKS is fetched at most twice (once, once more after
// the rotation), however many threads miss the new kid at once.
TEST(Concurrency, AllRoutesFromSixteenThreadsWithKeyRotation) {
  testing::TestEnv env;
  FakeHttpClient http;
  ScriptedIdp idp(http, env.clock);
  auto provider = makeIdentityProvider(env.config, http, env.clock);
  Deps deps{env.config, env.names,  env.codec,     *provider,      env.clock,
            env.log,    *env.pages, env.refresher, env.used_states};
  // Generate the keys before the threads start (RSA key generation is slow).
  (void)rsaKey(1);
  (void)rsaKey(2);

  Problems problems;
  std::atomic<int> sign_ins{0};
  std::atomic<int> rounds_done{0};
  std::atomic<bool> rotated{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Visitor visitor(deps, t);
      for (int round = 0; round < kRounds; ++round) {
        if (oneRound(visitor, env, problems, t, round)) {
          ++sign_ins;
        }
        if (++rounds_done == kThreads * kRounds / 2 && !rotated.exchange(true)) {
          idp.rotate();
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  const auto list = problems.list();
  EXPECT_TRUE(list.empty()) << list.size() << " wrong answers, first: " << list.front();
  EXPECT_EQ(sign_ins.load(), kThreads * kRounds);
  EXPECT_TRUE(rotated.load());
  EXPECT_GE(http.count(kJwks), 1u);
  EXPECT_LE(http.count(kJwks), 2u) << "JWKS fetched " << http.count(kJwks) << " times";
  EXPECT_GE(http.count(kRevoke), 1u);
}

}  // namespace
}  // namespace latchkey
