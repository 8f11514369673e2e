// Back-Channel Logout 1.0 §2.6: each validation rule of a logout token, one test each.
#include "latchkey/oidc/logout_token.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "support/jwt_test_support.h"

namespace latchkey {
namespace {

using testing::KeyKind;
using testing::TestKey;
using testing::testKey;

constexpr int64_t kNow = 1700000000;
constexpr const char* kIssuer = "https://issuer.example";
constexpr const char* kClient = "client-1";

LogoutTokenExpectations expectations() {
  LogoutTokenExpectations e;
  e.issuer = kIssuer;
  e.client_id = kClient;
  e.now = kNow;
  return e;
}

const JwkSet& keys() {
  static const JwkSet set = [] {
    auto parsed =
        parseJwks(testing::jwksOf({testing::publicJwk(testKey(KeyKind::kRsa2048), "rsa")}));
    return std::move(*parsed);
  }();
  return set;
}

// The claims of a valid token as JSON members; a test replaces or erases the one it is about.
std::map<std::string, std::string> validClaims() {
  return {
      {"iss", std::string("\"") + kIssuer + "\""},
      {"aud", std::string("\"") + kClient + "\""},
      {"iat", std::to_string(kNow - 5)},
      {"exp", std::to_string(kNow + 115)},
      {"jti", "\"jti-1\""},
      {"sub", "\"user-123\""},
      {"sid", "\"op-session-9\""},
      {"events", R"({"http://schemas.openid.net/event/backchannel-logout":{}})"},
  };
}

std::string json(const std::map<std::string, std::string>& claims) {
  std::string out = "{";
  for (const auto& [name, value] : claims) {
    out += (out.size() > 1 ? "," : "") + ("\"" + name + "\":") + value;
  }
  return out + "}";
}

Result<LogoutTokenClaims> verify(const std::map<std::string, std::string>& claims,
                                 const TestKey* key = nullptr) {
  const TestKey& signer = key != nullptr ? *key : testKey(KeyKind::kRsa2048);
  return verifyLogoutToken(testing::signCompact(signer, "RS256", "rsa", json(claims)), keys(),
                           expectations());
}

void expectRefused(const Result<LogoutTokenClaims>& r, Errc code) {
  ASSERT_FALSE(r) << "token was accepted";
  EXPECT_EQ(r.error().code, code) << r.error().detail;
}

// A valid token names the provider session, the subject and its jti.
TEST(LogoutToken, AcceptsValidToken) {
  auto r = verify(validClaims());
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->sid, "op-session-9");
  EXPECT_EQ(r->sub, "user-123");
  EXPECT_EQ(r->jti, "jti-1");
  EXPECT_EQ(r->iat, kNow - 5);
}

// Signed by a key the provider's JWKS does not hold.
TEST(LogoutToken, RefusesBadSignature) {
  expectRefused(verify(validClaims(), &testKey(KeyKind::kRsa2048, 1)), Errc::kIdTokenBadSignature);
}

// "none" and HMAC are never on the allow-list.
TEST(LogoutToken, RefusesAlgorithmOffTheList) {
  const std::string token = testing::signHs256("secret", "rsa", json(validClaims()));
  expectRefused(verifyLogoutToken(token, keys(), expectations()), Errc::kIdTokenAlgNotAllowed);
}

TEST(LogoutToken, RefusesWrongIssuer) {
  auto claims = validClaims();
  claims["iss"] = "\"https://evil.example\"";
  expectRefused(verify(claims), Errc::kIdTokenIssuerMismatch);
}

TEST(LogoutToken, RefusesAudienceWithoutClient) {
  auto claims = validClaims();
  claims["aud"] = R"(["other-client"])";
  expectRefused(verify(claims), Errc::kIdTokenAudienceMismatch);
  claims["aud"] = R"(["other-client","client-1"])";
  EXPECT_TRUE(verify(claims)) << "an array containing client_id is fine";
}

// §2.4: a nonce would let the token pass as an ID token.
TEST(LogoutToken, RefusesNonce) {
  auto claims = validClaims();
  claims["nonce"] = "\"n-1\"";
  expectRefused(verify(claims), Errc::kLogoutTokenInvalid);
}

TEST(LogoutToken, RequiresBackchannelEvent) {
  auto claims = validClaims();
  claims.erase("events");
  expectRefused(verify(claims), Errc::kLogoutTokenInvalid);
  claims["events"] = R"({"http://schemas.openid.net/event/other":{}})";
  expectRefused(verify(claims), Errc::kLogoutTokenInvalid);
  claims["events"] = R"({"http://schemas.openid.net/event/backchannel-logout":"yes"})";
  expectRefused(verify(claims), Errc::kLogoutTokenInvalid);
}

TEST(LogoutToken, RequiresSidOrSub) {
  auto claims = validClaims();
  claims.erase("sid");
  EXPECT_TRUE(verify(claims)) << "sub alone names every session of the user";
  claims.erase("sub");
  expectRefused(verify(claims), Errc::kLogoutTokenInvalid);
  claims["sid"] = "\"op-session-9\"";
  EXPECT_TRUE(verify(claims)) << "sid alone names one provider session";
  claims["sid"] = "\"\"";
  expectRefused(verify(claims), Errc::kIdTokenMalformed);
}

TEST(LogoutToken, RequiresJti) {
  auto claims = validClaims();
  claims.erase("jti");
  expectRefused(verify(claims), Errc::kIdTokenMissingClaim);
}

TEST(LogoutToken, RefusesExpired) {
  auto claims = validClaims();
  claims["exp"] = std::to_string(kNow - 61);
  expectRefused(verify(claims), Errc::kIdTokenExpired);
  claims.erase("exp");
  EXPECT_TRUE(verify(claims)) << "exp is optional for tokens from earlier drafts";
}

// iat is required, and bounds the token's age both ways.
TEST(LogoutToken, ChecksIssuedAt) {
  auto claims = validClaims();
  claims.erase("iat");
  expectRefused(verify(claims), Errc::kIdTokenMissingClaim);
  claims["iat"] = std::to_string(kNow + 120);
  expectRefused(verify(claims), Errc::kIdTokenIssuedInFuture);
  claims["iat"] = std::to_string(kNow - kLogoutTokenMaxAgeSeconds - kLogoutTokenSkewSeconds - 1);
  expectRefused(verify(claims), Errc::kIdTokenTooOld);
}

}  // namespace
}  // namespace latchkey
