#include "latchkey/oidc/id_token.h"

#include <gtest/gtest.h>

#include <string>

#include "latchkey/oidc/identity_provider.h"
#include "latchkey/util/encoding.h"
#include "support/jwt_test_support.h"

namespace latchkey {
namespace {

using testing::KeyKind;
using testing::testKey;

constexpr int64_t kNow = 1700000000;
constexpr const char* kIssuer = "https://issuer.example";
constexpr const char* kClient = "client-1";
constexpr const char* kNonce = "n-0S6_WzA2Mj";

IdTokenExpectations expectations() {
  IdTokenExpectations e;
  e.issuer = kIssuer;
  e.client_id = kClient;
  e.nonce = kNonce;
  e.now = kNow;
  e.skew_seconds = 60;
  return e;
}

const JwkSet& keys() {
  static const JwkSet set = [] {
    auto parsed = parseJwks(testing::jwksOf({testing::publicJwk(testKey(KeyKind::kRsa2048), "rsa"),
                                             testing::publicJwk(testKey(KeyKind::kP256), "ec")}));
    return std::move(*parsed);
  }();
  return set;
}

// A payload built from JSON members; each test changes the one member it is about.
struct Claims {
  std::string iss = std::string("\"") + kIssuer + "\"";
  std::string aud = std::string("\"") + kClient + "\"";
  std::string sub = "\"user-123\"";
  std::string exp = std::to_string(kNow + 3600);
  std::string iat = std::to_string(kNow - 10);
  std::string nonce = std::string("\"") + kNonce + "\"";
  std::string extra = R"("email":"alice@example.com","email_verified":true,"name":"Alice")";

  std::string json() const {
    std::string out = "{";
    auto add = [&out](const char* name, const std::string& value) {
      if (!value.empty()) {
        out += std::string(out.size() > 1 ? "," : "") + "\"" + name + "\":" + value;
      }
    };
    add("iss", iss);
    add("aud", aud);
    add("sub", sub);
    add("exp", exp);
    add("iat", iat);
    add("nonce", nonce);
    if (!extra.empty()) {
      out += (out.size() > 1 ? "," : "") + extra;
    }
    return out + "}";
  }
};

std::string rs256(const Claims& c) {
  return testing::signCompact(testKey(KeyKind::kRsa2048), "RS256", "rsa", c.json());
}

Result<IdTokenClaims> verify(const Claims& c, const IdTokenExpectations& e = expectations()) {
  return verifyIdToken(rs256(c), keys(), e);
}

void expectError(const Result<IdTokenClaims>& r, Errc code, const std::string& detail_has = {}) {
  ASSERT_FALSE(r) << "token was accepted";
  EXPECT_EQ(r.error().code, code) << r.error().detail;
  if (!detail_has.empty()) {
    EXPECT_NE(r.error().detail.find(detail_has), std::string::npos) << r.error().detail;
  }
}

// A valid token yields its claims.
TEST(IdToken, AcceptsValidTokenAndReturnsClaims) {
  auto r = verify(Claims{});
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->sub, "user-123");
  EXPECT_EQ(r->email, "alice@example.com");
  EXPECT_TRUE(r->email_verified);
  EXPECT_EQ(r->name, "Alice");
  EXPECT_EQ(r->exp, kNow + 3600);
  EXPECT_EQ(r->iat, kNow - 10);
}

// ES256-signed tokens are accepted too.
TEST(IdToken, AcceptsEs256Token) {
  auto r =
      verifyIdToken(testing::signCompact(testKey(KeyKind::kP256), "ES256", "ec", Claims{}.json()),
                    keys(), expectations());
  ASSERT_TRUE(r) << r.error().detail;
}

// The signature is checked before any claim: a bad signature wins over a wrong issuer.
TEST(IdToken, ChecksSignatureBeforeClaims) {
  Claims c;
  c.iss = "\"https://evil.example\"";
  auto r =
      verifyIdToken(testing::signCompact(testKey(KeyKind::kRsa2048, 1), "RS256", "rsa", c.json()),
                    keys(), expectations());
  expectError(r, Errc::kIdTokenBadSignature);
}

// A different issuer (even only a trailing slash) is refused, naming both values.
TEST(IdToken, RefusesWrongIssuer) {
  Claims c;
  c.iss = std::string("\"") + kIssuer + "/\"";
  expectError(verify(c), Errc::kIdTokenIssuerMismatch, kIssuer);
  c.iss = "";
  expectError(verify(c), Errc::kIdTokenMissingClaim, "iss");
  c.iss = "42";
  expectError(verify(c), Errc::kIdTokenMalformed, "iss");
}

// aud missing, another client, or an array without our client is refused.
TEST(IdToken, RefusesAudienceWithoutClient) {
  Claims c;
  c.aud = "";
  expectError(verify(c), Errc::kIdTokenMissingClaim, "aud");
  c.aud = "\"other-client\"";
  expectError(verify(c), Errc::kIdTokenAudienceMismatch, "other-client");
  c.aud = R"(["a","b"])";
  expectError(verify(c), Errc::kIdTokenAudienceMismatch);
  c.aud = "[]";
  expectError(verify(c), Errc::kIdTokenAudienceMismatch);
  c.aud = R"(["client-1",5])";
  expectError(verify(c), Errc::kIdTokenMalformed, "aud");
  c.aud = "{}";
  expectError(verify(c), Errc::kIdTokenMalformed, "aud");
}

// aud as a one-element array holding the client is accepted.
TEST(IdToken, AcceptsAudienceArrayWithClient) {
  Claims c;
  c.aud = R"(["client-1"])";
  EXPECT_TRUE(verify(c));
}

// With several (trusted) audiences azp must be present and be the client.
TEST(IdToken, MultipleAudiencesNeedAzp) {
  Claims c;
  c.aud = R"(["client-1","other"])";
  IdTokenExpectations e = expectations();
  e.trusted_audiences = {"other"};
  expectError(verify(c, e), Errc::kIdTokenAzpMismatch, "azp missing");
  c.extra = R"("azp":"client-1")";
  EXPECT_TRUE(verify(c, e));
}

// OIDC Core §3.1.3.7 step 3: an extra audience that is not trusted is refused, even with azp
// naming the client; trusted_audiences admits exactly the listed extras.
TEST(IdToken, RefusesUntrustedExtraAudiences) {
  Claims c;
  c.aud = R"(["client-1","attacker-app"])";
  c.extra = R"("azp":"client-1")";
  expectError(verify(c), Errc::kIdTokenAudienceMismatch, "attacker-app");
  IdTokenExpectations e = expectations();
  e.trusted_audiences = {"api-1"};
  expectError(verify(c, e), Errc::kIdTokenAudienceMismatch, "attacker-app");
  e.trusted_audiences = {"api-1", "attacker-app"};
  EXPECT_TRUE(verify(c, e));
}

// An ID token issued longer ago than max_age (plus skew) is refused: a callback redeems a
// fresh code, so an old token is replayed or stockpiled.
TEST(IdToken, RefusesIatOlderThanMaxAge) {
  Claims c;
  IdTokenExpectations e = expectations();
  e.max_age_seconds = 300;
  c.iat = std::to_string(kNow - 300 - 60);
  EXPECT_TRUE(verify(c, e));
  c.iat = std::to_string(kNow - 300 - 61);
  expectError(verify(c, e), Errc::kIdTokenTooOld, "id_token_max_age");
  c.iat = std::to_string(kNow - 86400);
  expectError(verify(c, e), Errc::kIdTokenTooOld);
  EXPECT_EQ(IdTokenExpectations{}.max_age_seconds, 300);
}

// An azp naming another party is refused even with a single audience.
TEST(IdToken, RefusesWrongAzp) {
  Claims c;
  c.extra = R"("azp":"other")";
  expectError(verify(c), Errc::kIdTokenAzpMismatch, "other");
  c.extra = R"("azp":["client-1"])";
  expectError(verify(c), Errc::kIdTokenMalformed, "azp");
}

// An expired token is refused; one expired within the clock skew is still accepted.
TEST(IdToken, ExpiryHonoursSkew) {
  Claims c;
  c.exp = std::to_string(kNow - 30);
  EXPECT_TRUE(verify(c));
  c.exp = std::to_string(kNow - 60);
  expectError(verify(c), Errc::kIdTokenExpired, "exp");
  c.exp = std::to_string(kNow - 86400);
  expectError(verify(c), Errc::kIdTokenExpired);
  c.exp = std::to_string(INT64_MIN);
  expectError(verify(c), Errc::kIdTokenExpired);
}

// exp and iat must be present integers: strings, fractions and exponents are malformed.
TEST(IdToken, TimesMustBeIntegers) {
  Claims c;
  c.exp = "";
  expectError(verify(c), Errc::kIdTokenMissingClaim, "exp");
  for (const char* bad : {"\"1700003600\"", "1700003600.5", "1.7000036e9", "null", "true"}) {
    c = Claims{};
    c.exp = bad;
    expectError(verify(c), Errc::kIdTokenMalformed, "exp");
    c = Claims{};
    c.iat = bad;
    expectError(verify(c), Errc::kIdTokenMalformed, "iat");
  }
  c = Claims{};
  c.iat = "";
  expectError(verify(c), Errc::kIdTokenMissingClaim, "iat");
}

// iat in the future beyond the skew is refused; within the skew it is accepted.
TEST(IdToken, RefusesIatInTheFuture) {
  Claims c;
  c.iat = std::to_string(kNow + 60);
  EXPECT_TRUE(verify(c));
  c.iat = std::to_string(kNow + 61);
  expectError(verify(c), Errc::kIdTokenIssuedInFuture, "iat");
  c.iat = std::to_string(INT64_MAX);
  expectError(verify(c), Errc::kIdTokenIssuedInFuture);
}

// An nbf beyond the skew is refused; a past nbf is fine; a non-integer nbf is malformed.
TEST(IdToken, HonoursNbf) {
  Claims c;
  c.extra = "\"nbf\":" + std::to_string(kNow - 5);
  EXPECT_TRUE(verify(c));
  c.extra = "\"nbf\":" + std::to_string(kNow + 600);
  expectError(verify(c), Errc::kIdTokenIssuedInFuture, "nbf");
  c.extra = R"("nbf":"soon")";
  expectError(verify(c), Errc::kIdTokenMalformed, "nbf");
}

// A missing or different nonce is refused, and the detail does not contain the nonce.
TEST(IdToken, RefusesMissingOrWrongNonce) {
  Claims c;
  c.nonce = "";
  expectError(verify(c), Errc::kIdTokenMissingClaim, "nonce");
  c.nonce = "\"replayed-nonce\"";
  auto r = verify(c);
  expectError(r, Errc::kIdTokenNonceMismatch);
  EXPECT_EQ(r.error().detail.find("replayed-nonce"), std::string::npos);
  EXPECT_EQ(r.error().detail.find(kNonce), std::string::npos);
  c.nonce = std::string("\"") + kNonce + "x\"";
  expectError(verify(c), Errc::kIdTokenNonceMismatch);
}

// An empty expected nonce never matches (not even an empty nonce claim).
TEST(IdToken, EmptyExpectedNonceNeverMatches) {
  Claims c;
  c.nonce = "\"\"";
  IdTokenExpectations e = expectations();
  e.nonce = "";
  expectError(verify(c, e), Errc::kIdTokenNonceMismatch);
}

// sub must be a non-empty string of at most 255 printable characters.
TEST(IdToken, RequiresSubject) {
  Claims c;
  c.sub = "";
  expectError(verify(c), Errc::kIdTokenMissingClaim, "sub");
  c.sub = "\"\"";
  expectError(verify(c), Errc::kIdTokenMissingClaim, "sub");
  c.sub = "123";
  expectError(verify(c), Errc::kIdTokenMalformed, "sub");
  c.sub = "\"" + std::string(256, 'a') + "\"";
  expectError(verify(c), Errc::kIdTokenMalformed, "sub");
  c.sub = R"("a\r\nX-Evil: 1")";
  expectError(verify(c), Errc::kIdTokenMalformed, "sub");
}

// An e-mail with control characters (header injection) is refused; a non-string e-mail too.
TEST(IdToken, RefusesEmailWithControlCharacters) {
  Claims c;
  c.extra = R"("email":"a@example.com\r\nX-Auth-Request-User: admin")";
  expectError(verify(c), Errc::kIdTokenMalformed, "email");
  c.extra = R"("email":["a@example.com"])";
  expectError(verify(c), Errc::kIdTokenMalformed, "email");
}

// email_verified accepts true/false and the strings "true"/"false"; anything else is false.
TEST(IdToken, ReadsEmailVerifiedLeniently) {
  struct Case {
    const char* json;
    bool verified;
  };
  for (const Case& k : {Case{"true", true}, Case{"false", false}, Case{"\"true\"", true},
                        Case{"\"false\"", false}, Case{"1", false}, Case{"\"yes\"", false}}) {
    Claims c;
    c.extra = std::string(R"("email":"a@example.com","email_verified":)") + k.json;
    auto r = verify(c);
    ASSERT_TRUE(r) << k.json;
    EXPECT_EQ(r->email_verified, k.verified) << k.json;
  }
  Claims none;
  none.extra = "";
  auto r = verify(none);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->email_verified);
  EXPECT_TRUE(r->email.empty());
}

// Control characters in the display name become spaces once the identity is validated (as
// for every source); the sign-in still succeeds. hd is read for the Google domain check.
TEST(IdToken, CleansControlCharactersFromName) {
  Claims c;
  c.extra = R"("name":"Al\nice\u0000","picture":"https://p.example/a\r.png","hd":"Corp.Example")";
  auto r = verify(c);
  ASSERT_TRUE(r) << r.error().detail;
  auto identity =
      validatedIdentity({r->sub, r->email, r->email_verified, r->name, r->picture, r->hd});
  ASSERT_TRUE(identity) << identity.error().detail;
  EXPECT_EQ(identity->name, "Al ice ");
  EXPECT_TRUE(identity->picture.empty());
  EXPECT_EQ(identity->hosted_domain, "corp.example");
}

// A signed payload that is not a JSON object, or has duplicate claims, is malformed.
TEST(IdToken, RefusesPayloadThatIsNotAnObject) {
  const auto& rsa = testKey(KeyKind::kRsa2048);
  for (const char* payload : {"[]", "not json", "", R"({"sub":"a","sub":"b"})"}) {
    auto r =
        verifyIdToken(testing::signCompact(rsa, "RS256", "rsa", payload), keys(), expectations());
    expectError(r, Errc::kIdTokenMalformed);
  }
}

// Every prefix of a valid token is refused without crashing.
TEST(IdToken, RefusesEveryTruncation) {
  const std::string token = rs256(Claims{});
  for (size_t len = 0; len < token.size(); ++len) {
    EXPECT_FALSE(verifyIdToken(token.substr(0, len), keys(), expectations())) << len;
  }
}

// A 1 MB token is refused as malformed, quickly.
TEST(IdToken, RefusesHugeToken) {
  Claims c;
  c.extra = "\"pad\":\"" + std::string(1024 * 1024, 'x') + "\"";
  expectError(verify(c), Errc::kIdTokenMalformed);
}

// A payload nested deeper than 64 levels is refused.
TEST(IdToken, RefusesDeeplyNestedPayload) {
  Claims c;
  c.extra = "\"deep\":" + std::string(65, '[') + std::string(65, ']');
  expectError(verify(c), Errc::kIdTokenMalformed);
}

}  // namespace
}  // namespace latchkey
