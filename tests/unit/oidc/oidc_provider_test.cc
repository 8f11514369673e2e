#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "latchkey/jose/jose.h"
#include "latchkey/oidc/identity_provider.h"
#include "latchkey/util/encoding.h"
#include "oidc/oidc_metadata.h"
#include "support/fake_http_client.h"
#include "support/jwt_test_support.h"

namespace latchkey {
namespace {

using testing::FakeHttpClient;
using testing::headerValue;
using testing::KeyKind;
using testing::ManualClock;
using testing::parseForm;

constexpr const char* kIssuer = "https://idp.example";
constexpr const char* kDiscovery = "https://idp.example/.well-known/openid-configuration";
constexpr const char* kAuthorize = "https://idp.example/authorize";
constexpr const char* kToken = "https://idp.example/token";
constexpr const char* kJwks = "https://idp.example/jwks";
constexpr const char* kUserinfo = "https://idp.example/userinfo";
constexpr const char* kRevoke = "https://idp.example/revoke";
constexpr const char* kRedirect = "https://app.example/oauth2/login/authorized";
constexpr const char* kNonce = "nonce-123";

std::string discoveryJson(const std::string& issuer = kIssuer, const std::string& extra = {}) {
  return R"({"issuer":")" + issuer + R"(","authorization_endpoint":")" + kAuthorize +
         R"(","token_endpoint":")" + kToken + R"(","jwks_uri":")" + kJwks +
         R"(","userinfo_endpoint":")" + kUserinfo + R"(","revocation_endpoint":")" + kRevoke +
         "\"" + extra + "}";
}

const testing::TestKey& key(int index) {
  return testing::testKey(KeyKind::kRsa2048, index);
}

std::string jwk(int index) {
  return testing::publicJwk(key(index), "k" + std::to_string(index));
}

// An ID token signed with key `index` (kid "k<index>"), for kIssuer / "client-1".
std::string idToken(const ManualClock& clock, int index = 1, const std::string& extra = {}) {
  return testing::signCompact(key(index), "RS256", "k" + std::to_string(index),
                              testing::idTokenPayload(kIssuer, R"("client-1")", kNonce,
                                                      clock.now() + 600, clock.now(), extra));
}

// Same, without email and name (so userinfo is needed).
std::string bareIdToken(const ManualClock& clock) {
  const std::string payload = R"({"iss":")" + std::string(kIssuer) +
                              R"(","sub":"user-123","aud":"client-1","exp":)" +
                              std::to_string(clock.now() + 600) + R"(,"iat":)" +
                              std::to_string(clock.now()) + R"(,"nonce":")" + kNonce + "\"}";
  return testing::signCompact(key(1), "RS256", "k1", payload);
}

std::string tokenJson(const std::string& id_token, const std::string& extra = {}) {
  return R"({"access_token":"at-1","token_type":"Bearer","expires_in":3600,"id_token":")" +
         id_token + "\"" + extra + "}";
}

struct OidcEnv {
  FakeHttpClient http;
  ManualClock clock;
  Config config;
  std::unique_ptr<IdentityProvider> provider;

  explicit OidcEnv(const std::string& discovery = discoveryJson()) {
    config.provider = ProviderKind::kOidc;
    config.issuer = kIssuer;
    config.client_id = "client-1";
    config.client_secret = "secret-1";
    config.redirect_uri = kRedirect;
    config.scopes = {"openid", "email", "profile"};
    http.onJson(kDiscovery, 200, discovery);
    http.onJson(kJwks, 200, testing::jwksOf({jwk(1)}));
    provider = makeIdentityProvider(config, http, clock);
  }

  Result<SignIn> redeem(std::optional<std::string> iss = std::nullopt) {
    return provider->redeemCode({"code-1", "verifier-1", kNonce, std::move(iss)});
  }
};

// RFC 9207: where discovery says the provider sends iss on the callback, a callback without
// it or with another issuer is refused before the code is redeemed (mix-up attack).
TEST(OidcProvider, CallbackIssIsRequiredWhenAdvertised) {
  OidcEnv env(discoveryJson(kIssuer, R"(,"authorization_response_iss_parameter_supported":true)"));
  env.http.onJson(kToken, 200, tokenJson(idToken(env.clock)));
  for (const std::optional<std::string>& iss :
       {std::optional<std::string>(), std::optional<std::string>("https://evil.example"),
        std::optional<std::string>("https://idp.example/")}) {
    auto refused = env.redeem(iss);
    ASSERT_FALSE(refused) << iss.value_or("(none)");
    EXPECT_EQ(refused.error().code, Errc::kCallbackIssuerMismatch);
  }
  EXPECT_EQ(env.http.count(kToken), 0u);
  EXPECT_TRUE(env.redeem(std::string(kIssuer)));
  EXPECT_EQ(env.http.count(kToken), 1u);
}

// Without the discovery flag iss is optional, but one that is sent must still match.
TEST(OidcProvider, CallbackIssCheckedWhenSent) {
  OidcEnv env;
  env.http.onJson(kToken, 200, tokenJson(idToken(env.clock)));
  auto refused = env.redeem(std::string("https://evil.example"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kCallbackIssuerMismatch);
  EXPECT_EQ(env.http.count(kToken), 0u);
  EXPECT_TRUE(env.redeem());
}

// trusted_audiences and id_token_max_age from the configuration reach the ID token check.
TEST(OidcProvider, AudienceAndAgeSettingsApply) {
  OidcEnv env;
  const std::string payload =
      testing::idTokenPayload(kIssuer, R"(["client-1","api-1"])", kNonce, env.clock.now() + 600,
                              env.clock.now() - 500, R"("azp":"client-1")");
  env.http.onJson(kToken, 200, tokenJson(testing::signCompact(key(1), "RS256", "k1", payload)));
  auto refused = env.redeem();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kIdTokenAudienceMismatch);
  env.config.trusted_audiences = {"api-1"};
  auto too_old = makeIdentityProvider(env.config, env.http, env.clock)
                     ->redeemCode({"code-1", "verifier-1", kNonce});
  ASSERT_FALSE(too_old);
  EXPECT_EQ(too_old.error().code, Errc::kIdTokenTooOld);
  env.config.id_token_max_age = 600;
  EXPECT_TRUE(makeIdentityProvider(env.config, env.http, env.clock)
                  ->redeemCode({"code-1", "verifier-1", kNonce}));
}

// Discovery is fetched once and reused for many calls until its hour is up.
TEST(OidcProvider, DiscoveryIsCached) {
  OidcEnv env;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(env.provider->authorizationUrl({"s", "n", "c"}));
  }
  EXPECT_EQ(env.http.count(kDiscovery), 1u);
  env.clock.advance(3601);
  ASSERT_TRUE(env.provider->authorizationUrl({"s", "n", "c"}));
  EXPECT_EQ(env.http.count(kDiscovery), 2u);
}

// A discovery document for another issuer (even only a trailing slash apart) is refused.
TEST(OidcProvider, DiscoveryIssuerMismatchIsRefused) {
  OidcEnv env(discoveryJson("https://idp.example/"));
  auto url = env.provider->authorizationUrl({"s", "n", "c"});
  ASSERT_FALSE(url);
  EXPECT_EQ(url.error().code, Errc::kDiscoveryIssuerMismatch);
}

// A configured issuer with a trailing slash: one slash dropped for the URL, exact match kept.
TEST(OidcProvider, IssuerTrailingSlashDroppedOnlyForTheUrl) {
  OidcEnv env(discoveryJson("https://idp.example/"));
  env.config.issuer = "https://idp.example/";
  auto provider = makeIdentityProvider(env.config, env.http, env.clock);
  EXPECT_TRUE(provider->authorizationUrl({"s", "n", "c"}));
  EXPECT_EQ(env.http.count(kDiscovery), 1u);
}

// Discovery 500, non-JSON, missing endpoints or plain-http endpoints fail, and are not cached.
TEST(OidcProvider, BadDiscoveryFailsAndIsRetried) {
  const std::vector<std::pair<long, std::string>> cases = {
      {500, discoveryJson()},
      {200, "<html>not json</html>"},
      {200, R"({"issuer":"https://idp.example","authorization_endpoint":"https://idp.example/a",
                "jwks_uri":"https://idp.example/jwks"})"},
      {200, R"({"issuer":"https://idp.example","authorization_endpoint":"http://idp.example/a",
                "token_endpoint":"https://idp.example/t","jwks_uri":"https://idp.example/jwks"})"},
  };
  for (const auto& [status, body] : cases) {
    OidcEnv env;
    env.http.onJson(kDiscovery, status, body);
    auto first = env.provider->authorizationUrl({"s", "n", "c"});
    ASSERT_FALSE(first) << body;
    EXPECT_EQ(first.error().code, Errc::kDiscoveryFailed) << body;
    // Remembered for a moment: the next caller gets the error without a fetch.
    EXPECT_FALSE(env.provider->authorizationUrl({"s", "n", "c"}));
    EXPECT_EQ(env.http.count(kDiscovery), 1u);
    env.clock.advance(OidcMetadataCache::kFailureMemorySeconds);
    EXPECT_FALSE(env.provider->authorizationUrl({"s", "n", "c"}));
    EXPECT_EQ(env.http.count(kDiscovery), 2u);
  }
}

// After the failure memory, a provider that is back is used at once.
TEST(OidcProvider, DiscoveryRecoversAfterFailureMemory) {
  OidcEnv env;
  env.http.onJson(kDiscovery, 503, "down");
  EXPECT_FALSE(env.provider->authorizationUrl({"s", "n", "c"}));
  env.http.onJson(kDiscovery, 200, discoveryJson());
  EXPECT_FALSE(env.provider->authorizationUrl({"s", "n", "c"}));
  env.clock.advance(OidcMetadataCache::kFailureMemorySeconds);
  EXPECT_TRUE(env.provider->authorizationUrl({"s", "n", "c"}));
}

// The authorization URL carries exactly the OIDC + PKCE parameters, each encoded.
TEST(OidcProvider, AuthorizationUrlHasExactParameters) {
  OidcEnv env;
  auto url = env.provider->authorizationUrl({"st&te", "n=nce", "challenge"});
  ASSERT_TRUE(url);
  EXPECT_EQ(url->rfind(std::string(kAuthorize) + "?", 0), 0u) << *url;
  const std::map<std::string, std::string> expected = {{"response_type", "code"},
                                                       {"client_id", "client-1"},
                                                       {"redirect_uri", kRedirect},
                                                       {"scope", "openid email profile"},
                                                       {"state", "st&te"},
                                                       {"nonce", "n=nce"},
                                                       {"code_challenge", "challenge"},
                                                       {"code_challenge_method", "S256"}};
  EXPECT_EQ(parseForm(*url), expected);
}

// An authorization endpoint that has a query of its own gets '&', not a second '?'.
TEST(OidcProvider, AuthorizationUrlKeepsEndpointQuery) {
  OidcEnv env(
      R"({"issuer":"https://idp.example","authorization_endpoint":"https://idp.example/a?tenant=x",
                  "token_endpoint":"https://idp.example/token","jwks_uri":"https://idp.example/jwks"})");
  auto url = env.provider->authorizationUrl({"s", "n", "c"});
  ASSERT_TRUE(url);
  EXPECT_EQ(url->rfind("https://idp.example/a?tenant=x&response_type=code&", 0), 0u) << *url;
}

// A good code gives the identity from the verified ID token and the tokens with expiry.
TEST(OidcProvider, RedeemCodeSignsIn) {
  OidcEnv env;
  env.http.onJson(kToken, 200, tokenJson(idToken(env.clock), R"(,"refresh_token":"rt-1")"));
  auto sign_in = env.redeem();
  ASSERT_TRUE(sign_in) << sign_in.error().detail;
  EXPECT_EQ(sign_in->identity.sub, "user-123");
  EXPECT_EQ(sign_in->identity.email, "alice@example.com");
  EXPECT_TRUE(sign_in->identity.email_verified);
  EXPECT_EQ(sign_in->identity.name, "Alice");
  EXPECT_EQ(sign_in->tokens.access_token, "at-1");
  EXPECT_EQ(sign_in->tokens.refresh_token, "rt-1");
  EXPECT_EQ(sign_in->tokens.access_expires_at, env.clock.now() + 3600);
  EXPECT_EQ(env.http.count(kUserinfo), 0u);
}

// The token request is exactly grant_type, code, redirect_uri, code_verifier, with Basic auth.
TEST(OidcProvider, RedeemSendsExactFormWithBasicAuth) {
  OidcEnv env;
  env.http.onJson(kToken, 200, tokenJson(idToken(env.clock)));
  ASSERT_TRUE(env.redeem());
  const HttpRequest request = env.http.last(kToken);
  EXPECT_EQ(request.method, "POST");
  const std::map<std::string, std::string> expected = {{"grant_type", "authorization_code"},
                                                       {"code", "code-1"},
                                                       {"redirect_uri", kRedirect},
                                                       {"code_verifier", "verifier-1"}};
  EXPECT_EQ(parseForm(request.body), expected);
  EXPECT_EQ(headerValue(request, "Authorization"), "Basic " + base64Encode("client-1:secret-1"));
}

// When discovery allows only client_secret_post, the credentials go in the body instead.
TEST(OidcProvider, RedeemUsesPostAuthWhenOnlyPostAllowed) {
  OidcEnv env(
      discoveryJson(kIssuer, R"(,"token_endpoint_auth_methods_supported":["client_secret_post"])"));
  env.http.onJson(kToken, 200, tokenJson(idToken(env.clock)));
  ASSERT_TRUE(env.redeem());
  const HttpRequest request = env.http.last(kToken);
  auto form = parseForm(request.body);
  EXPECT_EQ(form["client_id"], "client-1");
  EXPECT_EQ(form["client_secret"], "secret-1");
  EXPECT_EQ(headerValue(request, "Authorization"), "");
}

// Both methods offered: Basic wins (Discovery's default and RFC 6749's recommendation).
TEST(OidcProvider, RedeemPrefersBasicWhenBothAllowed) {
  OidcEnv env(discoveryJson(
      kIssuer,
      R"(,"token_endpoint_auth_methods_supported":["client_secret_post","client_secret_basic"])"));
  env.http.onJson(kToken, 200, tokenJson(idToken(env.clock)));
  ASSERT_TRUE(env.redeem());
  EXPECT_NE(headerValue(env.http.last(kToken), "Authorization"), "");
}

// Token endpoint failures map to precise error codes and no sign-in.
TEST(OidcProvider, TokenErrorsAreMapped) {
  ManualClock clock;
  const std::vector<std::tuple<long, std::string, Errc>> cases = {
      {401, R"({"error":"invalid_client"})", Errc::kTokenEndpointRefusedClient},
      {400, R"({"error":"invalid_grant","error_description":"code used"})",
       Errc::kTokenEndpointRefusedGrant},
      {500, "internal error", Errc::kProviderBadResponse},
      {200, "not json", Errc::kProviderBadResponse},
      {200, R"({"token_type":"Bearer","id_token":"a.b.c"})", Errc::kTokenResponseInvalid},
      {200, R"({"access_token":"at","token_type":"Bearer"})", Errc::kTokenResponseInvalid},
      {200,
       R"({"access_token":"at","token_type":"Bearer","expires_in":"soon","id_token":")" +
           idToken(clock) + "\"}",
       Errc::kTokenResponseInvalid},
  };
  for (const auto& [status, body, code] : cases) {
    OidcEnv env;
    env.http.onJson(kToken, status, body);
    auto sign_in = env.redeem();
    ASSERT_FALSE(sign_in) << body;
    EXPECT_EQ(sign_in.error().code, code) << body << " -> " << sign_in.error().detail;
  }
}

// A digit-string expires_in (some providers quote it) is accepted.
TEST(OidcProvider, ExpiresInDigitStringAccepted) {
  OidcEnv env;
  std::string body = tokenJson(idToken(env.clock));
  body.replace(body.find("3600"), 4, "\"120\"");
  env.http.onJson(kToken, 200, body);
  auto sign_in = env.redeem();
  ASSERT_TRUE(sign_in) << sign_in.error().detail;
  EXPECT_EQ(sign_in->tokens.access_expires_at, env.clock.now() + 120);
}

// ID token checks run: a wrong nonce is refused.
TEST(OidcProvider, WrongNonceIsRefused) {
  OidcEnv env;
  env.http.onJson(kToken, 200, tokenJson(idToken(env.clock)));
  auto sign_in = env.provider->redeemCode({"code-1", "verifier-1", "other-nonce"});
  ASSERT_FALSE(sign_in);
  EXPECT_EQ(sign_in.error().code, Errc::kIdTokenNonceMismatch);
}

// A kid not in the cached JWKS causes exactly one refetch, which finds the new key.
TEST(OidcProvider, UnknownKidRefetchesOnceThenSucceeds) {
  OidcEnv env;
  std::atomic<int> fetches{0};
  env.http.on(kJwks, [&](const HttpRequest&) -> Result<HttpResponse> {
    const bool first = fetches++ == 0;
    return FakeHttpClient::response(
        200, first ? testing::jwksOf({jwk(1)}) : testing::jwksOf({jwk(1), jwk(2)}));
  });
  env.http.onJson(kToken, 200, tokenJson(idToken(env.clock, 2)));
  auto sign_in = env.redeem();
  ASSERT_TRUE(sign_in) << sign_in.error().detail;
  EXPECT_EQ(env.http.count(kJwks), 2u);
  // The new set is cached: the next sign-in fetches nothing.
  ASSERT_TRUE(env.redeem());
  EXPECT_EQ(env.http.count(kJwks), 2u);
}

// Unknown kids in quick succession: one refetch, then rate-limited until 10 s have passed.
TEST(OidcProvider, UnknownKidRefetchIsRateLimited) {
  OidcEnv env;
  env.http.onJson(kToken, 200, tokenJson(idToken(env.clock, 2)));
  auto first = env.redeem();
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, Errc::kIdTokenUnknownKid);
  EXPECT_EQ(env.http.count(kJwks), 2u);  // initial fetch + one refetch
  auto second = env.redeem();
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::kIdTokenUnknownKid);
  EXPECT_EQ(env.http.count(kJwks), 2u);
  env.clock.advance(11);
  EXPECT_FALSE(env.redeem());
  EXPECT_EQ(env.http.count(kJwks), 3u);
}

// Eight threads meeting the same unknown kid at once share one JWKS refetch.
TEST(OidcProvider, UnknownKidRefetchIsSingleFlight) {
  OidcEnv env;
  std::atomic<int> fetches{0};
  env.http.on(kJwks, [&](const HttpRequest&) -> Result<HttpResponse> {
    const bool first = fetches++ == 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return FakeHttpClient::response(
        200, first ? testing::jwksOf({jwk(1)}) : testing::jwksOf({jwk(1), jwk(2)}));
  });
  env.http.onJson(kToken, 200, tokenJson(idToken(env.clock, 2)));
  ASSERT_TRUE(env.provider->authorizationUrl({"s", "n", "c"}));  // discovery cached
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] { successes += env.redeem() ? 1 : 0; });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(successes.load(), 8);
  EXPECT_EQ(env.http.count(kJwks), 2u);  // the first fetch and one shared refetch
}

// A JWKS that cannot be fetched fails the sign-in and is tried again next time.
TEST(OidcProvider, JwksFailureIsRememberedBriefly) {
  OidcEnv env;
  env.http.onJson(kJwks, 503, "busy");
  env.http.onJson(kToken, 200, tokenJson(idToken(env.clock)));
  auto sign_in = env.redeem();
  ASSERT_FALSE(sign_in);
  EXPECT_EQ(sign_in.error().code, Errc::kJwksInvalid);
  env.http.onJson(kJwks, 200, testing::jwksOf({jwk(1)}));
  auto again = env.redeem();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kJwksInvalid);
  EXPECT_EQ(env.http.count(kJwks), 1u);
  env.clock.advance(OidcMetadataCache::kFailureMemorySeconds);
  env.http.onJson(kToken, 200, tokenJson(idToken(env.clock)));
  EXPECT_TRUE(env.redeem());
  EXPECT_EQ(env.http.count(kJwks), 2u);
}

// Without an e-mail in the ID token, userinfo is asked with the access token.
TEST(OidcProvider, UserinfoFillsMissingEmail) {
  OidcEnv env;
  env.http.onJson(kToken, 200, tokenJson(bareIdToken(env.clock)));
  env.http.onJson(kUserinfo, 200,
                  R"({"sub":"user-123","email":"bob@example.com","email_verified":true,
                      "name":"Bob","picture":"https://img/b.png"})");
  auto sign_in = env.redeem();
  ASSERT_TRUE(sign_in) << sign_in.error().detail;
  EXPECT_EQ(sign_in->identity.email, "bob@example.com");
  EXPECT_TRUE(sign_in->identity.email_verified);
  EXPECT_EQ(sign_in->identity.name, "Bob");
  EXPECT_EQ(sign_in->identity.picture, "https://img/b.png");
  EXPECT_EQ(headerValue(env.http.last(kUserinfo), "Authorization"), "Bearer at-1");
}

// A userinfo answer about another subject is refused (OIDC Core §5.3.2).
TEST(OidcProvider, UserinfoSubjectMismatchIsRefused) {
  OidcEnv env;
  env.http.onJson(kToken, 200, tokenJson(bareIdToken(env.clock)));
  env.http.onJson(kUserinfo, 200, R"({"sub":"someone-else","email":"eve@example.com"})");
  auto sign_in = env.redeem();
  ASSERT_FALSE(sign_in);
  EXPECT_EQ(sign_in.error().code, Errc::kUserinfoSubjectMismatch);
}

// Userinfo failing while the e-mail is still unknown fails the sign-in.
TEST(OidcProvider, UserinfoFailureWithoutEmailFails) {
  OidcEnv env;
  env.http.onJson(kToken, 200, tokenJson(bareIdToken(env.clock)));
  env.http.onJson(kUserinfo, 500, "oops");
  auto sign_in = env.redeem();
  ASSERT_FALSE(sign_in);
  EXPECT_EQ(sign_in.error().code, Errc::kUserinfoFailed);
}

// Refresh sends grant_type=refresh_token and keeps the old refresh token when none comes back.
TEST(OidcProvider, RefreshKeepsOldRefreshToken) {
  OidcEnv env;
  env.http.onJson(kToken, 200, R"({"access_token":"at-2","token_type":"Bearer","expires_in":60})");
  auto tokens = env.provider->refresh("rt-old");
  ASSERT_TRUE(tokens) << tokens.error().detail;
  EXPECT_EQ(tokens->access_token, "at-2");
  EXPECT_EQ(tokens->refresh_token, "rt-old");
  EXPECT_EQ(tokens->access_expires_at, env.clock.now() + 60);
  const std::map<std::string, std::string> expected = {{"grant_type", "refresh_token"},
                                                       {"refresh_token", "rt-old"}};
  EXPECT_EQ(parseForm(env.http.last(kToken).body), expected);
}

// A rotated refresh token replaces the old one.
TEST(OidcProvider, RefreshTakesRotatedRefreshToken) {
  OidcEnv env;
  env.http.onJson(kToken, 200,
                  R"({"access_token":"at-2","token_type":"Bearer","refresh_token":"rt-new"})");
  auto tokens = env.provider->refresh("rt-old");
  ASSERT_TRUE(tokens);
  EXPECT_EQ(tokens->refresh_token, "rt-new");
}

// invalid_grant on refresh is kRefreshFailed.
TEST(OidcProvider, RefreshInvalidGrantIsRefreshFailed) {
  OidcEnv env;
  env.http.onJson(kToken, 400, R"({"error":"invalid_grant"})");
  auto tokens = env.provider->refresh("rt-old");
  ASSERT_FALSE(tokens);
  EXPECT_EQ(tokens.error().code, Errc::kRefreshFailed);
}

// Revocation posts the refresh token with its hint and client auth (RFC 7009 §2.1).
TEST(OidcProvider, RevokePostsRefreshToken) {
  OidcEnv env;
  env.http.onJson(kRevoke, 200, "");
  env.provider->revoke({"at-1", "rt-1", 0});
  const HttpRequest request = env.http.last(kRevoke);
  const std::map<std::string, std::string> expected = {{"token", "rt-1"},
                                                       {"token_type_hint", "refresh_token"}};
  EXPECT_EQ(parseForm(request.body), expected);
  EXPECT_NE(headerValue(request, "Authorization"), "");
}

// Without a revocation endpoint nothing is sent, and failures are ignored.
TEST(OidcProvider, RevokeWithoutEndpointSendsNothing) {
  OidcEnv env(R"({"issuer":"https://idp.example","authorization_endpoint":"https://idp.example/a",
                  "token_endpoint":"https://idp.example/token","jwks_uri":"https://idp.example/jwks"})");
  env.provider->revoke({"at-1", "", 0});
  EXPECT_EQ(env.http.count(kRevoke), 0u);
  EXPECT_EQ(env.http.count(kToken), 0u);
}

// --check: discovery and JWKS reached, invalid_grant means the credentials were accepted.
TEST(OidcProvider, CheckAcceptsInvalidGrant) {
  OidcEnv env;
  env.http.onJson(kToken, 400, R"({"error":"invalid_grant"})");
  auto lines = env.provider->check();
  ASSERT_TRUE(lines) << lines.error().detail;
  EXPECT_NE(lines->find("1 usable keys"), std::string::npos) << *lines;
  EXPECT_NE(lines->find(std::string("Register this redirect URI at the provider: ") + kRedirect),
            std::string::npos);
  EXPECT_EQ(parseForm(env.http.last(kToken).body)["code"], "latchkey-check-invalid-code");
}

// --check: invalid_client is reported as wrong credentials.
TEST(OidcProvider, CheckReportsRefusedClient) {
  OidcEnv env;
  env.http.onJson(kToken, 401, R"({"error":"invalid_client"})");
  auto lines = env.provider->check();
  ASSERT_FALSE(lines);
  EXPECT_EQ(lines.error().code, Errc::kTokenEndpointRefusedClient);
  EXPECT_NE(lines.error().detail.find("wrong client_id or client_secret"), std::string::npos);
}

// provider = google with no issuer uses Google's discovery document.
TEST(OidcProvider, GoogleUsesGoogleIssuer) {
  FakeHttpClient http;
  ManualClock clock;
  Config config;
  config.provider = ProviderKind::kGoogle;
  config.client_id = "client-1";
  config.redirect_uri = kRedirect;
  auto provider = makeIdentityProvider(config, http, clock);
  EXPECT_FALSE(provider->authorizationUrl({"s", "n", "c"}));
  EXPECT_EQ(http.count("https://accounts.google.com/.well-known/openid-configuration"), 1u);
}

}  // namespace
}  // namespace latchkey

namespace latchkey {
namespace {

using testing::KeyKind;

std::unique_ptr<IdentityProvider> rebuild(OidcEnv& env) {
  return makeIdentityProvider(env.config, env.http, env.clock);
}

// An ID token for issuer iss with the given claims after sub (signed with key 1).
std::string idTokenFor(const ManualClock& clock, const std::string& iss, const std::string& extra) {
  const std::string payload =
      R"({"iss":")" + iss + R"(","sub":"user-123","aud":"client-1","exp":)" +
      std::to_string(clock.now() + 600) + R"(,"iat":)" + std::to_string(clock.now()) +
      R"(,"nonce":")" + kNonce + "\"" + extra + "}";
  return testing::signCompact(key(1), "RS256", "k1", payload);
}

// private_key_jwt: the code is redeemed with a client assertion for the token endpoint and
// no secret anywhere; --check names the method.
TEST(OidcProvider, PrivateKeyJwtSendsAssertion) {
  OidcEnv env;
  env.config.client_secret.clear();
  env.config.token_auth_method = TokenAuthMethod::kPrivateKeyJwt;
  env.config.client_private_key_pem = testing::privatePem(testing::testKey(KeyKind::kP256));
  env.config.client_key_id = "ck-1";
  env.provider = rebuild(env);
  env.http.onJson(kToken, 200, tokenJson(idToken(env.clock)));
  ASSERT_TRUE(env.redeem());
  const HttpRequest sent = env.http.last(kToken);
  EXPECT_EQ(headerValue(sent, "Authorization"), "");
  auto form = parseForm(sent.body);
  EXPECT_EQ(form.count("client_secret"), 0u);
  auto jws = parseCompactJws(form["client_assertion"]);
  ASSERT_TRUE(jws);
  EXPECT_EQ(jws->alg, "ES256");
  EXPECT_EQ(jws->kid, "ck-1");
  EXPECT_NE(jws->payload_json.find(std::string("\"aud\":\"") + kToken + "\""), std::string::npos);
  env.http.onJson(kToken, 400, R"({"error":"invalid_grant"})");
  auto lines = env.provider->check();
  ASSERT_TRUE(lines) << lines.error().detail;
  EXPECT_NE(lines->find("using private_key_jwt, accepted the client credentials"),
            std::string::npos);
}

// A configured method wins over discovery's; discovery without basic picks post.
TEST(OidcProvider, ConfiguredAuthMethodWins) {
  OidcEnv env(
      discoveryJson(kIssuer, R"(,"token_endpoint_auth_methods_supported":["client_secret_post"])"));
  env.http.onJson(kToken, 200, tokenJson(idToken(env.clock)));
  ASSERT_TRUE(env.redeem());
  EXPECT_EQ(parseForm(env.http.last(kToken).body)["client_secret"], "secret-1");
  env.config.token_auth_method = TokenAuthMethod::kClientSecretBasic;
  env.provider = rebuild(env);
  ASSERT_TRUE(env.redeem());
  EXPECT_EQ(headerValue(env.http.last(kToken), "Authorization").rfind("Basic ", 0), 0u);
  env.http.onJson(kToken, 400, R"({"error":"invalid_grant"})");
  auto lines = env.provider->check();
  ASSERT_TRUE(lines);
  EXPECT_NE(lines->find("does not list in token_endpoint_auth_methods_supported"),
            std::string::npos);
}

// A revocation endpoint that lists only client_secret_basic gets Basic even when the token
// endpoint is used with post (Glewlwyd).
TEST(OidcProvider, RevocationUsesAMethodItLists) {
  OidcEnv env(discoveryJson(
      kIssuer, R"(,"revocation_endpoint_auth_methods_supported":["client_secret_basic"])"));
  env.config.token_auth_method = TokenAuthMethod::kClientSecretPost;
  env.provider = rebuild(env);
  env.http.onJson(kRevoke, 200, "{}");
  env.provider->revoke({"at-1", "rt-1", 0});
  const HttpRequest sent = env.http.last(kRevoke);
  EXPECT_EQ(headerValue(sent, "Authorization").rfind("Basic ", 0), 0u);
  EXPECT_EQ(parseForm(sent.body).count("client_secret"), 0u);
}

// --check: an error about the code at another status proves the client, with a note.
TEST(OidcProvider, CheckAcceptsOffStandardCodeError) {
  OidcEnv env;
  env.http.onJson(kToken, 403, R"({"error":"invalid_code"})");
  auto lines = env.provider->check();
  ASSERT_TRUE(lines) << lines.error().detail;
  EXPECT_NE(lines->find("answered 403 error=invalid_code, not RFC 6749 section 5.2's 400 "
                        "invalid_grant; the provider answers off-standard"),
            std::string::npos)
      << *lines;
}

// --check: a discovery document whose claims_supported lacks email_verified is pointed out.
TEST(OidcProvider, CheckNotesMissingEmailVerifiedClaim) {
  OidcEnv env(discoveryJson(kIssuer, R"(,"claims_supported":["sub","email","name"])"));
  env.http.onJson(kToken, 400, R"({"error":"invalid_grant"})");
  auto lines = env.provider->check();
  ASSERT_TRUE(lines);
  EXPECT_NE(lines->find("claims_supported lacks the email_verified claim"), std::string::npos);
}

// An ID token without email_verified, or with a non-boolean one, says which claim was wrong.
TEST(OidcProvider, EmailVerifiedProblemIsReported) {
  OidcEnv env;
  env.http.onJson(
      kToken, 200,
      tokenJson(idTokenFor(env.clock, kIssuer, R"(,"email":"a@b.example","name":"A")")));
  auto missing = env.redeem();
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->identity.email_verified);
  EXPECT_EQ(missing->identity.email_verified_problem, "the ID token has no email_verified claim");
  env.http.onJson(kToken, 200,
                  tokenJson(idTokenFor(env.clock, kIssuer,
                                       R"(,"email":"a@b.example","email_verified":1,"name":"A")")));
  auto number = env.redeem();
  ASSERT_TRUE(number);
  EXPECT_EQ(number->identity.email_verified_problem,
            "the ID token's email_verified is not a JSON boolean");
  env.http.onJson(
      kToken, 200,
      tokenJson(idTokenFor(env.clock, kIssuer,
                           R"(,"email":"a@b.example","email_verified":"true","name":"A")")));
  auto text = env.redeem();
  ASSERT_TRUE(text);
  EXPECT_TRUE(text->identity.email_verified) << "\"true\" is tolerated";
  EXPECT_EQ(text->identity.email_verified_problem, "");
}

constexpr const char* kOrganizations = "https://idp.example/organizations/v2.0";
constexpr const char* kTemplate = "https://idp.example/{tenantid}/v2.0";

OidcEnv& tenantEnv(OidcEnv& env, std::vector<std::string> tenants) {
  env.config.issuer = kOrganizations;
  env.config.allowed_tenants = std::move(tenants);
  env.http.onJson(std::string(kOrganizations) + "/.well-known/openid-configuration", 200,
                  discoveryJson(kTemplate));
  env.provider = rebuild(env);
  return env;
}

// Entra ID multi-tenant: ID tokens from an allowed tenant only.
TEST(OidcProvider, TenantTemplateAcceptsOnlyAllowedTenants) {
  OidcEnv env;
  tenantEnv(env, {"tenant-a", "tenant-b"});
  env.http.onJson(kToken, 200,
                  tokenJson(idTokenFor(env.clock, "https://idp.example/tenant-b/v2.0",
                                       R"(,"email":"a@b.example","email_verified":true)")));
  ASSERT_TRUE(env.redeem());
  for (const char* iss : {"https://idp.example/tenant-c/v2.0", kTemplate, kOrganizations,
                          "https://idp.example/tenant-a/v2.0/x"}) {
    env.http.onJson(kToken, 200, tokenJson(idTokenFor(env.clock, iss, "")));
    auto r = env.redeem();
    ASSERT_FALSE(r) << iss;
    EXPECT_EQ(r.error().code, Errc::kIdTokenIssuerMismatch) << iss;
  }
}

// Without allowed_tenants a template issuer is a mismatch that says what to set.
TEST(OidcProvider, TenantTemplateNeedsAllowList) {
  OidcEnv env;
  tenantEnv(env, {});
  auto url = env.provider->authorizationUrl({"s", "n", "c"});
  ASSERT_FALSE(url);
  EXPECT_EQ(url.error().code, Errc::kDiscoveryIssuerMismatch);
  EXPECT_NE(url.error().detail.find("allowed_tenants"), std::string::npos);
}

// A template that differs in more than one path segment is never accepted.
TEST(OidcProvider, TenantTemplateMustDifferInOneSegment) {
  for (const char* doc_issuer :
       {"https://other.example/{tenantid}/v2.0", "https://idp.example/{tenantid}/v1.0",
        "https://idp.example/{tenantid}{tenantid}/v2.0"}) {
    OidcEnv env;
    env.config.issuer = kOrganizations;
    env.config.allowed_tenants = {"tenant-a"};
    env.http.onJson(std::string(kOrganizations) + "/.well-known/openid-configuration", 200,
                    discoveryJson(doc_issuer));
    env.provider = rebuild(env);
    auto url = env.provider->authorizationUrl({"s", "n", "c"});
    ASSERT_FALSE(url) << doc_issuer;
    EXPECT_EQ(url.error().code, Errc::kDiscoveryIssuerMismatch) << doc_issuer;
  }
}

// "Use another account": prompt=login, which every OpenID provider knows (select_account is
// optional for them); nothing without it.
TEST(OidcProvider, ChooseAccountAsksToSignInAgain) {
  OidcEnv env;
  AuthorizationRequest request{"s", "n", "c"};
  request.choose_account = true;
  auto url = env.provider->authorizationUrl(request);
  ASSERT_TRUE(url);
  EXPECT_TRUE(url->ends_with("&prompt=login")) << *url;
  EXPECT_EQ(env.provider->authorizationUrl({"s", "n", "c"})->find("prompt="), std::string::npos);
}

}  // namespace
}  // namespace latchkey
