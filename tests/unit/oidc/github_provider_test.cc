#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "latchkey/oidc/identity_provider.h"
#include "support/fake_http_client.h"

namespace latchkey {
namespace {

using testing::FakeHttpClient;
using testing::headerValue;
using testing::ManualClock;
using testing::parseForm;

constexpr const char* kRedirect = "https://app.example/oauth2/login/authorized";
constexpr const char* kToken = "https://github.com/login/oauth/access_token";
constexpr const char* kUser = "https://api.github.com/user";
constexpr const char* kEmails = "https://api.github.com/user/emails";

struct GithubEnv {
  FakeHttpClient http;
  ManualClock clock;
  Config config;
  std::unique_ptr<IdentityProvider> provider;

  explicit GithubEnv(const std::string& issuer = {}) {
    config.provider = ProviderKind::kGithub;
    config.issuer = issuer;
    config.client_id = "gh-client";
    config.client_secret = "gh-secret";
    config.redirect_uri = kRedirect;
    config.scopes = {"read:user", "user:email"};
    provider = makeIdentityProvider(config, http, clock);
  }

  void happyPath(const std::string& base_api = "https://api.github.com",
                 const std::string& token_url = kToken) {
    http.onJson(
        token_url, 200,
        R"({"access_token":"gho_abc","token_type":"bearer","scope":"read:user,user:email"})");
    http.onJson(base_api + "/user", 200,
                R"({"login":"octocat","id":583231,"name":"The Octocat",
                    "avatar_url":"https://avatars.githubusercontent.com/u/583231"})");
    http.onJson(base_api + "/user/emails", 200,
                R"([{"email":"old@example.com","primary":false,"verified":true},
                    {"email":"octo@example.com","primary":true,"verified":true,"visibility":"private"}])");
  }

  Result<SignIn> redeem() { return provider->redeemCode({"code-1", "verifier-1", "ignored"}); }
};

// The authorize URL carries client_id, redirect_uri, scope, state and PKCE, and no nonce.
TEST(GithubProvider, AuthorizationUrlParameters) {
  GithubEnv env;
  auto url = env.provider->authorizationUrl({"state-1", "nonce-1", "challenge-1"});
  ASSERT_TRUE(url);
  EXPECT_EQ(url->rfind("https://github.com/login/oauth/authorize?", 0), 0u) << *url;
  const std::map<std::string, std::string> expected = {{"response_type", "code"},
                                                       {"client_id", "gh-client"},
                                                       {"redirect_uri", kRedirect},
                                                       {"scope", "read:user user:email"},
                                                       {"state", "state-1"},
                                                       {"code_challenge", "challenge-1"},
                                                       {"code_challenge_method", "S256"}};
  EXPECT_EQ(parseForm(*url), expected);
  EXPECT_TRUE(env.http.requests().empty());
}

// A code becomes the numeric id, name, avatar and the primary verified e-mail.
TEST(GithubProvider, RedeemCodeUsesPrimaryVerifiedEmail) {
  GithubEnv env;
  env.happyPath();
  auto sign_in = env.redeem();
  ASSERT_TRUE(sign_in) << sign_in.error().detail;
  EXPECT_EQ(sign_in->identity.sub, "583231");
  EXPECT_EQ(sign_in->identity.name, "The Octocat");
  EXPECT_EQ(sign_in->identity.email, "octo@example.com");
  EXPECT_TRUE(sign_in->identity.email_verified);
  EXPECT_EQ(sign_in->identity.picture, "https://avatars.githubusercontent.com/u/583231");
  EXPECT_EQ(sign_in->tokens.access_token, "gho_abc");
  EXPECT_EQ(sign_in->tokens.access_expires_at, 0);
}

// The token request asks for JSON and carries code, redirect_uri, PKCE verifier, credentials.
TEST(GithubProvider, TokenRequestShape) {
  GithubEnv env;
  env.happyPath();
  ASSERT_TRUE(env.redeem());
  const HttpRequest request = env.http.last(kToken);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(headerValue(request, "Accept"), "application/json");
  auto form = parseForm(request.body);
  EXPECT_EQ(form["code"], "code-1");
  EXPECT_EQ(form["code_verifier"], "verifier-1");
  EXPECT_EQ(form["redirect_uri"], kRedirect);
  EXPECT_EQ(form["client_id"], "gh-client");
  EXPECT_EQ(form["client_secret"], "gh-secret");
  const HttpRequest user = env.http.last(kUser);
  EXPECT_EQ(headerValue(user, "Authorization"), "Bearer gho_abc");
  EXPECT_EQ(headerValue(user, "Accept"), "application/vnd.github+json");
  EXPECT_EQ(headerValue(user, "X-GitHub-Api-Version"), "2022-11-28");
}

// Without a display name the login is used.
TEST(GithubProvider, NameFallsBackToLogin) {
  GithubEnv env;
  env.happyPath();
  env.http.onJson(kUser, 200, R"({"login":"octocat","id":1,"name":null})");
  auto sign_in = env.redeem();
  ASSERT_TRUE(sign_in);
  EXPECT_EQ(sign_in->identity.name, "octocat");
}

// An unverified primary address is the one returned, marked unverified (the e-mail policy
// then refuses it), even when another address is verified.
TEST(GithubProvider, UnverifiedPrimaryEmailIsMarkedUnverified) {
  GithubEnv env;
  env.happyPath();
  env.http.onJson(kEmails, 200,
                  R"([{"email":"a@example.com","primary":false,"verified":true},
                      {"email":"b@example.com","primary":true,"verified":false}])");
  auto sign_in = env.redeem();
  ASSERT_TRUE(sign_in);
  EXPECT_EQ(sign_in->identity.email, "b@example.com");
  EXPECT_FALSE(sign_in->identity.email_verified);
}

// No primary address at all (or a malformed list) is refused, never a crash.
TEST(GithubProvider, NoPrimaryEmailIsRefused) {
  GithubEnv env;
  env.happyPath();
  env.http.onJson(kEmails, 200, R"([{"email":"a@example.com","verified":true}, 5, "x", null])");
  EXPECT_EQ(env.redeem().error().code, Errc::kNoVerifiedEmail);
  env.http.onJson(kEmails, 200, R"({"message":"not an array"})");
  EXPECT_EQ(env.redeem().error().code, Errc::kUserinfoFailed);
  env.http.onJson(kEmails, 404, R"({"message":"Not Found"})");
  EXPECT_EQ(env.redeem().error().code, Errc::kUserinfoFailed);
}

// GitHub answers token errors with 200 + {"error":...}: they map like OAuth errors.
TEST(GithubProvider, TokenErrorsWithStatus200AreMapped) {
  GithubEnv env;
  env.happyPath();
  env.http.onJson(kToken, 200, R"({"error":"bad_verification_code","error_description":"x"})");
  EXPECT_EQ(env.redeem().error().code, Errc::kTokenEndpointRefusedGrant);
  env.http.onJson(kToken, 200, R"({"error":"incorrect_client_credentials"})");
  EXPECT_EQ(env.redeem().error().code, Errc::kTokenEndpointRefusedClient);
  EXPECT_EQ(env.http.count(kUser), 0u);
}

// /user without a numeric id is refused (the login alone is not a stable subject).
TEST(GithubProvider, UserWithoutNumericIdIsRefused) {
  GithubEnv env;
  env.happyPath();
  env.http.onJson(kUser, 200, R"({"login":"octocat","id":"583231"})");
  EXPECT_EQ(env.redeem().error().code, Errc::kUserinfoFailed);
}

// GitHub Enterprise Server: authorize and token on the configured host, API under /api/v3.
TEST(GithubProvider, EnterpriseServerBaseUrls) {
  GithubEnv env("https://github.example.com/");
  env.happyPath("https://github.example.com/api/v3",
                "https://github.example.com/login/oauth/access_token");
  auto url = env.provider->authorizationUrl({"s", "n", "c"});
  ASSERT_TRUE(url);
  EXPECT_EQ(url->rfind("https://github.example.com/login/oauth/authorize?", 0), 0u) << *url;
  auto sign_in = env.redeem();
  ASSERT_TRUE(sign_in) << sign_in.error().detail;
  EXPECT_EQ(env.http.count("https://github.example.com/api/v3/user"), 1u);
  EXPECT_EQ(env.http.count(kUser), 0u);
}

// Refresh is not supported and revoke sends nothing.
TEST(GithubProvider, NoRefreshNoRevoke) {
  GithubEnv env;
  EXPECT_EQ(env.provider->refresh("x").error().code, Errc::kRefreshFailed);
  env.provider->revoke({"gho_abc", "", 0});
  EXPECT_TRUE(env.http.requests().empty());
}

// --check: bad_verification_code means the credentials are fine; wrong ones are reported.
TEST(GithubProvider, CheckInterpretsTokenEndpointAnswer) {
  GithubEnv env;
  env.http.onJson(kToken, 200, R"({"error":"bad_verification_code"})");
  auto ok = env.provider->check();
  ASSERT_TRUE(ok) << ok.error().detail;
  EXPECT_NE(ok->find(std::string("Register this redirect URI at the provider: ") + kRedirect),
            std::string::npos);
  env.http.onJson(kToken, 200, R"({"error":"incorrect_client_credentials"})");
  auto bad = env.provider->check();
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().detail.find("wrong client_id or client_secret"), std::string::npos);
}

}  // namespace
}  // namespace latchkey
