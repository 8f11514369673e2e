// Several providers: the picker, /login?provider=, the callback following the flow's provider,
// and each session judged by its own provider's rules.
#include <gtest/gtest.h>

#include "pages/template.h"
#include "support/app_test_support.h"

namespace latchkey {
namespace {

using testing::cookiePair;
using testing::FakeClock;
using testing::FakeProvider;
using testing::headerValues;

constexpr char kSecret32[] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

// Providers "corp" (OIDC, only boss@example.com) and "hub" (GitHub, anyone), with Deps for
// each and for the site, wired as Runtime wires them.
struct MultiEnv {
  MultiEnv()
      : config(load()),
        names(cookieNames(config)),
        codec(config.cookie_secret, config.cookie_secret_previous, cookieScope(config)),
        log(LogLevel::kError) {
    std::vector<std::string> problems;
    site_pages = Pages::load(config, problems);
    corp_pages = Pages::load(config.providers[0], problems);
    hub_pages = Pages::load(config.providers[1], problems);
    EXPECT_TRUE(problems.empty());
    corp_deps = std::make_unique<Deps>(Deps{config.providers[0], names, codec, corp, clock, log,
                                            *corp_pages, refresher, used_states});
    hub_deps = std::make_unique<Deps>(Deps{config.providers[1], names, codec, hub, clock, log,
                                           *hub_pages, refresher, used_states});
    all = {corp_deps.get(), hub_deps.get()};
    site = std::make_unique<Deps>(
        Deps{config, names, codec, corp, clock, log, *site_pages, refresher, used_states});
    for (Deps* each : {site.get(), corp_deps.get(), hub_deps.get()}) {
      each->providers = &all;
    }
  }

  static Config load() {
    const std::string text = std::string(
                                 "providers = corp hub\n"
                                 "redirect_uri = https://app.example/login/authorized\n"
                                 "log_level = error\n"
                                 "corp.issuer = https://idp.example\n"
                                 "corp.client_id = c1\ncorp.client_secret = s1\n"
                                 "corp.provider_name = Corp & Co\n"
                                 "corp.allowed_emails = boss@example.com\n"
                                 "hub.provider = github\n"
                                 "hub.client_id = c2\nhub.client_secret = s2\n"
                                 "cookie_secret = ") +
                             kSecret32 + "\n";
    ConfigLoad loaded = parseConfig(text, {});
    EXPECT_TRUE(loaded.config) << (loaded.problems.empty() ? "" : loaded.problems[0]);
    return std::move(*loaded.config);
  }

  Request get(std::string path) const {
    Request request;
    request.method = "GET";
    const size_t q = path.find('?');
    request.path = path.substr(0, q);
    if (q != std::string::npos) {
      request.raw_query = path.substr(q + 1);
      if (auto parsed = parseUrlEncoded(request.raw_query)) {
        request.query = *parsed;
      }
    }
    request.client_address = "192.0.2.1";
    return request;
  }

  Request withSession(std::string path, std::string provider, std::string email,
                      Session session = {}) const {
    session.sub = "sub-1";
    session.email = std::move(email);
    session.email_verified = true;
    session.provider = std::move(provider);
    session.issued_at = clock.now();
    session.expires_at = clock.now() + 3600;
    Request request = get(std::move(path));
    request.cookies.emplace_back(names.session, codec.sealSession(session));
    return request;
  }

  Config config;
  CookieNames names;
  CookieCodec codec;
  Logger log;
  std::unique_ptr<Pages> site_pages, corp_pages, hub_pages;
  FakeProvider corp, hub;
  FakeClock clock;
  RefreshCoordinator refresher;
  ReplayGuard used_states;
  std::unique_ptr<Deps> corp_deps, hub_deps, site;
  std::vector<Deps*> all;
};

TEST(Providers, LoginWithoutProviderShowsEscapedButtonsCarryingRd) {
  MultiEnv env;
  Response r = handleLogin(env.get("/login?rd=/app/%3Fa%3D1%26b%3D2"), *env.site);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("href=\"/login?provider=corp&amp;rd=%2Fapp%2F%3Fa%3D1%26b%3D2\">Sign in "
                        "with Corp &amp; Co</a>"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("href=\"/login?provider=hub&amp;rd=%2Fapp%2F%3Fa%3D1%26b%3D2\">Sign in "
                        "with GitHub</a>"),
            std::string::npos);
  EXPECT_LT(r.body.find("provider=corp"), r.body.find("provider=hub"));
  EXPECT_EQ(env.corp.last_authorization.state, "");  // no flow started
  EXPECT_TRUE(headerValues(r, "Set-Cookie").empty());
}

TEST(Providers, PickerFromTheGatesReturnUriAnswers401) {
  MultiEnv env;
  Request request = env.get("/login");
  request.return_uri = "/report?a=1&b=2";
  Response r = handleLogin(request, *env.site);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("provider=hub&amp;rd=%2Freport%3Fa%3D1%26b%3D2"), std::string::npos);
}

TEST(Providers, LoginWithProviderStartsThatFlowAndRecordsIt) {
  MultiEnv env;
  Response r = handleLogin(env.get("/login?provider=hub&rd=/x"), *env.site);
  ASSERT_EQ(r.status, 302);
  EXPECT_EQ(env.corp.last_authorization.state, "");
  ASSERT_FALSE(env.hub.last_authorization.state.empty());
  auto login =
      env.codec.openLogin(cookiePair(headerValues(r, "Set-Cookie").back()).second, env.clock.now());
  ASSERT_TRUE(login);
  EXPECT_EQ(login->provider, "hub");
  EXPECT_EQ(login->return_to, "/x");
}

TEST(Providers, UnknownProviderIs400) {
  MultiEnv env;
  Response r = handleLogin(env.get("/login?provider=%3Cscript%3E"), *env.site);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body.find("<script>"), std::string::npos);
}

// The callback redeems the code at the provider the flow was started with, and the session
// records it.
TEST(Providers, CallbackFollowsTheFlowsProvider) {
  MultiEnv env;
  LoginState login;
  login.state = "state-1";
  login.nonce = "n";
  login.code_verifier = "v";
  login.return_to = "/";
  login.expires_at = env.clock.now() + 600;
  login.provider = "hub";
  Request callback = env.get("/login/authorized?state=state-1&code=the-code");
  callback.cookies.emplace_back(loginCookieName(env.config, login.state),
                                env.codec.sealLogin(login));
  Response r = handleCallback(callback, *env.site);
  ASSERT_EQ(r.status, 302) << r.body;
  EXPECT_EQ(env.hub.redeem_calls, 1);
  EXPECT_EQ(env.corp.redeem_calls, 0);
  auto session = env.codec.openSession(cookiePair(headerValues(r, "Set-Cookie").back()).second,
                                       env.clock.now());
  ASSERT_TRUE(session);
  EXPECT_EQ(session->provider, "hub");
}

// A login cookie naming no configured provider (removed since) ends in a refusal, and no
// provider is asked.
TEST(Providers, CallbackOfAnUnknownProviderIsRefused) {
  for (const char* provider : {"gone", ""}) {
    MultiEnv env;
    LoginState login{"state-1", "n", "v", "/", env.clock.now() + 600, provider};
    Request callback = env.get("/login/authorized?state=state-1&code=c");
    callback.cookies.emplace_back(loginCookieName(env.config, login.state),
                                  env.codec.sealLogin(login));
    Response r = handleCallback(callback, *env.site);
    EXPECT_EQ(r.status, 400) << provider;
    EXPECT_EQ(env.hub.redeem_calls + env.corp.redeem_calls, 0) << provider;
  }
}

// corp lets only boss@example.com in; hub lets anyone in. The session's provider decides.
TEST(Providers, AuthAppliesTheSessionsProviderRules) {
  MultiEnv env;
  EXPECT_EQ(handleAuth(env.withSession("/auth", "hub", "eve@example.com"), *env.site).status, 200);
  EXPECT_EQ(handleAuth(env.withSession("/auth", "corp", "eve@example.com"), *env.site).status, 403);
  EXPECT_EQ(handleAuth(env.withSession("/auth", "corp", "boss@example.com"), *env.site).status,
            200);
  // A session naming no configured provider counts as none.
  EXPECT_EQ(handleAuth(env.withSession("/auth", "gone", "boss@example.com"), *env.site).status,
            401);
  EXPECT_EQ(handleAuth(env.withSession("/auth", "", "boss@example.com"), *env.site).status, 401);
}

// A due refresh and a sign-out's revocation go to the session's provider, not the first one.
TEST(Providers, RefreshAndRevocationGoToTheSessionsProvider) {
  MultiEnv env;
  Session tokens;
  tokens.access_token = "access-1";
  tokens.refresh_token = "refresh-1";
  tokens.access_expires_at = env.clock.now() - 1;
  Response r = handleAuth(env.withSession("/auth", "hub", "eve@example.com", tokens), *env.site);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(env.hub.refresh_calls, 1);
  EXPECT_EQ(env.corp.refresh_calls, 0);
  Request logout = env.withSession("/logout", "hub", "eve@example.com", tokens);
  logout.method = "POST";
  EXPECT_EQ(handleLogout(logout, *env.site).status, 302);
  EXPECT_EQ(env.hub.revoke_calls, 1);
  EXPECT_EQ(env.corp.revoke_calls, 0);
}

TEST(Providers, UserinfoAndPageNameTheProvider) {
  MultiEnv env;
  Response info =
      handleUserinfo(env.withSession("/userinfo", "corp", "boss@example.com"), *env.site);
  EXPECT_NE(info.body.find("\"provider\":\"corp\",\"provider_name\":\"Corp \\u0026 Co\""),
            std::string::npos)
      << info.body;
  Response home = handleHome(env.withSession("/", "hub", "eve@example.com"), *env.site);
  EXPECT_NE(home.body.find("<dt>Signed in with</dt><dd>GitHub</dd>"), std::string::npos);
}

// The list section repeats once per item, each item's values in front, every value escaped.
TEST(HtmlTemplate, ListSectionRepeatsPerItem) {
  auto tpl = HtmlTemplate::parse(
      "{{#providers}}<a href=\"{{login_url}}\">{{provider}}</a>{{/providers}}|{{provider}}",
      {"providers", "provider", "login_url"});
  ASSERT_TRUE(tpl) << tpl.error().detail;
  HtmlTemplate::Lists lists{{"providers",
                             {{{"provider", "A&B"}, {"login_url", "/l?p=a&x"}},
                              {{"provider", "C"}, {"login_url", "/l?p=c"}}}}};
  EXPECT_EQ(tpl->render({{"provider", "outer"}}, lists),
            "<a href=\"/l?p=a&amp;x\">A&amp;B</a><a href=\"/l?p=c\">C</a>|outer");
  EXPECT_EQ(tpl->render({{"provider", "outer"}}), "|outer");
}

}  // namespace
}  // namespace latchkey
