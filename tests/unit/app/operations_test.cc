// Metrics, address allow-lists, request ids, the access line and configuration reload.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "app/runtime.h"
#include "latchkey/app/address_range.h"
#include "latchkey/config/config.h"
#include "latchkey/server/request_context.h"
#include "latchkey/session/refresh_coordinator.h"
#include "latchkey/session/replay_guard.h"
#include "latchkey/util/clock.h"
#include "latchkey/util/metrics.h"
#include "server/access_log.h"
#include "support/app_test_support.h"
#include "support/fake_http_client.h"

namespace latchkey {
namespace {

constexpr char kSecretA[] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

std::string configText(std::string_view extra = {}) {
  return std::string(
             "issuer = http://127.0.0.1:9/\n"
             "client_id = my-client\n"
             "client_secret = s3cret\n"
             "redirect_uri = http://127.0.0.1:8080/login/authorized\n"
             "cookie_secret = ") +
         kSecretA + "\n" + std::string(extra);
}

// The value of the first sample line that starts with prefix (name and labels), or -1.
long long sampleValue(const std::string& text, const std::string& prefix) {
  size_t pos = 0;
  while ((pos = text.find(prefix + " ", pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == '\n') {
      return std::atoll(text.c_str() + pos + prefix.size() + 1);
    }
    ++pos;
  }
  return -1;
}

// Each counter moves by exactly what was counted, under its own labels.
TEST(Metrics, CountersMoveUnderTheirLabels) {
  Metrics m;
  m.signInStarted();
  m.signInStarted();
  m.signInCompleted();
  m.signInRefused(Errc::kStateMismatch);
  m.authAnswered(200);
  m.authAnswered(401);
  m.authAnswered(401);
  m.authAnswered(500);
  m.sessionRefreshed();
  m.setWorkers(4);
  m.workerBusy(1);
  const std::string text = m.render();
  EXPECT_EQ(sampleValue(text, "latchkey_sign_ins_started_total"), 2);
  EXPECT_EQ(sampleValue(text, "latchkey_sign_ins_completed_total"), 1);
  EXPECT_EQ(sampleValue(text, "latchkey_sign_ins_refused_total{reason=\"state_mismatch\"}"), 1)
      << text;
  EXPECT_EQ(sampleValue(text, "latchkey_auth_answers_total{status=\"200\"}"), 1);
  EXPECT_EQ(sampleValue(text, "latchkey_auth_answers_total{status=\"401\"}"), 2);
  EXPECT_EQ(sampleValue(text, "latchkey_auth_answers_total{status=\"403\"}"), 0);
  EXPECT_EQ(sampleValue(text, "latchkey_auth_answers_total{status=\"other\"}"), 1);
  EXPECT_EQ(sampleValue(text, "latchkey_sessions_refreshed_total"), 1);
  EXPECT_EQ(sampleValue(text, "latchkey_workers"), 4);
  EXPECT_EQ(sampleValue(text, "latchkey_workers_busy"), 1);
}

// Histogram buckets are cumulative, +Inf equals _count, and the sum is in seconds.
TEST(Metrics, ProviderLatencyHistogramIsCumulative) {
  Metrics m;
  using std::chrono::milliseconds;
  m.providerCall(ProviderEndpoint::kToken, CallOutcome::kOk, milliseconds(3));
  m.providerCall(ProviderEndpoint::kToken, CallOutcome::kHttpError, milliseconds(40));
  m.providerCall(ProviderEndpoint::kToken, CallOutcome::kTransportError, milliseconds(20000));
  m.providerCall(ProviderEndpoint::kJwks, CallOutcome::kOk, milliseconds(1));
  const std::string text = m.render();
  const std::string bucket = "latchkey_provider_call_duration_seconds_bucket{endpoint=\"token\",";
  EXPECT_EQ(sampleValue(text, bucket + "le=\"0.005000\"}"), 1) << text;
  EXPECT_EQ(sampleValue(text, bucket + "le=\"0.050000\"}"), 2);
  EXPECT_EQ(sampleValue(text, bucket + "le=\"10.000000\"}"), 2);
  EXPECT_EQ(sampleValue(text, bucket + "le=\"+Inf\"}"), 3);
  EXPECT_EQ(sampleValue(text, "latchkey_provider_call_duration_seconds_count{endpoint=\"token\"}"),
            3);
  EXPECT_NE(text.find("latchkey_provider_call_duration_seconds_sum{endpoint=\"token\"} 20.043000"),
            std::string::npos);
  EXPECT_EQ(sampleValue(text, "latchkey_provider_calls_total{endpoint=\"token\",outcome=\"ok\"}"),
            1);
  EXPECT_EQ(sampleValue(text,
                        "latchkey_provider_calls_total{endpoint=\"token\",outcome=\"http_"
                        "error\"}"),
            1);
  EXPECT_EQ(sampleValue(text, "latchkey_jwks_fetches_total{outcome=\"ok\"}"), 1);
}

// The metered client counts by the request's endpoint label and the answer's status.
TEST(Metrics, MeteredClientCountsEndpointAndOutcome) {
  testing::FakeHttpClient fake;
  fake.onJson("http://idp/jwks", 200, "{}");
  fake.onJson("http://idp/token", 400, "{}");
  MeteredHttpClient client(fake);
  const auto before = metrics().render();
  HttpRequest jwks;
  jwks.url = "http://idp/jwks";
  jwks.endpoint = ProviderEndpoint::kJwks;
  ASSERT_TRUE(client.send(jwks));
  HttpRequest token;
  token.url = "http://idp/token";
  token.endpoint = ProviderEndpoint::kToken;
  ASSERT_TRUE(client.send(token));
  const auto after = metrics().render();
  const std::string jwks_ok = "latchkey_jwks_fetches_total{outcome=\"ok\"}";
  const std::string token_error =
      "latchkey_provider_calls_total{endpoint=\"token\",outcome=\"http_error\"}";
  EXPECT_EQ(sampleValue(after, jwks_ok), sampleValue(before, jwks_ok) + 1);
  EXPECT_EQ(sampleValue(after, token_error), sampleValue(before, token_error) + 1);
}

// A refreshed session and a refused callback are counted where they happen.
TEST(Metrics, RefreshAndRefusalAreCounted) {
  testing::TestEnv env;
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
  const std::string before = metrics().render();
  ASSERT_EQ(handleAuth(request, deps).status, 200);
  ASSERT_GE(handleCallback(env.get("/login/authorized?state=s&code=c"), deps).status, 400);
  const std::string after = metrics().render();
  const std::string refreshed = "latchkey_sessions_refreshed_total";
  const std::string refused = "latchkey_sign_ins_refused_total{reason=\"login_cookie_missing\"}";
  EXPECT_EQ(sampleValue(after, refreshed), sampleValue(before, refreshed) + 1);
  EXPECT_EQ(sampleValue(after, refused), std::max(sampleValue(before, refused), 0LL) + 1);
}

// Networks and single addresses, IPv4 and IPv6; IPv4-mapped addresses match IPv4 ranges.
TEST(AddressRange, MatchesNetworksAndAddresses) {
  const std::vector<AddressRange> ranges = {*parseAddressRange("10.1.0.0/16"),
                                            *parseAddressRange("192.0.2.7"),
                                            *parseAddressRange("2001:db8::/32")};
  EXPECT_TRUE(addressAllowed("10.1.255.3", ranges));
  EXPECT_FALSE(addressAllowed("10.2.0.1", ranges));
  EXPECT_TRUE(addressAllowed("192.0.2.7", ranges));
  EXPECT_FALSE(addressAllowed("192.0.2.8", ranges));
  EXPECT_TRUE(addressAllowed("::ffff:10.1.2.3", ranges));
  EXPECT_TRUE(addressAllowed("2001:db8:1::5", ranges));
  EXPECT_FALSE(addressAllowed("2001:db9::5", ranges));
  EXPECT_FALSE(addressAllowed("", ranges));
  EXPECT_FALSE(addressAllowed("unix:", ranges));
  EXPECT_TRUE(addressAllowed("127.0.0.1", loopbackRanges()));
  EXPECT_TRUE(addressAllowed("::1", loopbackRanges()));
  EXPECT_FALSE(addressAllowed("192.168.1.1", loopbackRanges()));
}

// Typos are refused rather than read as something else.
TEST(AddressRange, RefusesMalformedRanges) {
  EXPECT_FALSE(parseAddressRange("10.0.0.0/33"));
  EXPECT_FALSE(parseAddressRange("10.0.0.1/8"));  // host bits set
  EXPECT_FALSE(parseAddressRange("10.0.0/8"));
  EXPECT_FALSE(parseAddressRange("example.com"));
  EXPECT_FALSE(parseAddressRange("::1/129"));
  EXPECT_FALSE(parseAddressRange("10.0.0.0/"));
  EXPECT_TRUE(parseAddressRange("0.0.0.0/0"));
}

// metrics, metrics_allow and access_log: defaults, values and mistakes.
TEST(Config, OperationsKeys) {
  auto defaults = parseConfig(configText(), {});
  ASSERT_TRUE(defaults.config);
  EXPECT_FALSE(defaults.config->metrics);
  EXPECT_FALSE(defaults.config->access_log);
  EXPECT_EQ(defaults.config->metrics_allow, loopbackRanges());

  auto set = parseConfig(
      configText("metrics = true\naccess_log = yes\nmetrics_allow = 10.0.0.0/8, ::1\n"), {});
  ASSERT_TRUE(set.config) << (set.problems.empty() ? "" : set.problems[0]);
  EXPECT_TRUE(set.config->metrics);
  EXPECT_TRUE(set.config->access_log);
  EXPECT_EQ(set.config->metrics_allow.size(), 2u);

  auto bad = parseConfig(configText("metrics = maybe\nmetrics_allow = 10.0.0.1/8\n"), {});
  EXPECT_FALSE(bad.config);
  ASSERT_EQ(bad.problems.size(), 2u);
  EXPECT_EQ(bad.problems[0].rfind("metrics:", 0), 0u) << bad.problems[0];
  EXPECT_EQ(bad.problems[1].rfind("metrics_allow:", 0), 0u) << bad.problems[1];
}

// A web server's request id is kept when it is a plain token; anything else gets a fresh one.
TEST(RequestContext, RequestIdFromServerOrFresh) {
  EXPECT_EQ(requestIdFor({{"HTTP_X_REQUEST_ID", "abc-123_x.y"}}), "abc-123_x.y");
  const std::string forged = requestIdFor({{"HTTP_X_REQUEST_ID", "a\"b\nc"}});
  EXPECT_EQ(forged.size(), 16u);
  EXPECT_NE(forged, requestIdFor({}));
  EXPECT_EQ(requestIdFor({{"HTTP_X_REQUEST_ID", std::string(65, 'a')}}).size(), 16u);
  EXPECT_TRUE(currentRequestId().empty());
  {
    const ParamMap params = {{"HTTP_X_REQUEST_ID", "r1"}};
    const RequestScope scope(params);
    EXPECT_EQ(currentRequestId(), "r1");
  }
  EXPECT_TRUE(currentRequestId().empty());
  {
    const ParamMap none;
    const RequestScope scope(none);
    const std::string fresh(currentRequestId());
    EXPECT_EQ(fresh.size(), 16u);
    EXPECT_EQ(currentRequestId(), fresh) << "the same id for every line of one request";
  }
}

// The logged URI is the visitor's, without its query string (it may carry tokens).
TEST(AccessLog, VisitorUriDropsTheQuery) {
  EXPECT_EQ(visitorUri({{"REQUEST_URI", "/private/report.pdf?token=secret"}}),
            "/private/report.pdf");
  EXPECT_EQ(visitorUri({{"REQUEST_URI", "/auth"}, {"HTTP_X_ORIGINAL_URI", "/app/x?a=1"}}),
            "/app/x");
  EXPECT_EQ(visitorUri({}), "");
  EXPECT_EQ(visitorUri({{"REQUEST_URI", "/" + std::string(2000, 'a')}}).size(), 512u);
}

class TempConfig {
 public:
  TempConfig() {
    char name[] = "/tmp/latchkey-reload-XXXXXX";
    const int fd = mkstemp(name);
    ::close(fd);
    path_ = name;
  }
  ~TempConfig() { std::remove(path_.c_str()); }
  void write(const std::string& text) const { std::ofstream(path_) << text; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A valid new configuration replaces the runtime; requests holding the old one keep it.
// An invalid one is refused and the current runtime stays.
TEST(Reload, SwapsOnlyForAValidConfiguration) {
  TempConfig file;
  file.write(configText("allowed_domains = example.com\n"));
  SystemClock clock;
  RefreshCoordinator refresher;
  ReplayGuard used_states;
  const RuntimeBase base{clock, refresher, used_states, 4, nullptr, nullptr};
  auto first = loadRuntime(file.path(), base);
  ASSERT_TRUE(first.runtime);
  RuntimeHolder holder(first.runtime);
  const std::shared_ptr<Runtime> in_flight = holder.current();

  file.write(configText("allowed_domains = example.org\n"));
  ASSERT_TRUE(reloadRuntime(holder, file.path(), base));
  EXPECT_EQ(holder.current()->config().allowed_domains, std::vector<std::string>{"example.org"});
  EXPECT_EQ(in_flight->config().allowed_domains, std::vector<std::string>{"example.com"});

  file.write(configText("allowed_domains = example.net\nclinet_id = typo\n"));
  EXPECT_FALSE(reloadRuntime(holder, file.path(), base));
  EXPECT_EQ(holder.current()->config().allowed_domains, std::vector<std::string>{"example.org"});
}

}  // namespace
}  // namespace latchkey
