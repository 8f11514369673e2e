#include "oidc/client_assertion.h"  // src/, as the Makefile adds -Isrc for unit tests

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>

#include "latchkey/jose/jose.h"
#include "latchkey/util/json.h"
#include "support/jwt_test_support.h"

namespace latchkey {
namespace {

using testing::KeyKind;
using testing::privatePem;
using testing::publicJwk;
using testing::testKey;

constexpr const char* kAudience = "https://idp.example/token";

// Signs with the key of kind and checks the assertion against its public JWK; returns claims.
rapidjson::Document signAndVerify(KeyKind kind, const std::string& expected_alg) {
  auto signer = ClientAssertionSigner::fromPem(privatePem(testKey(kind)), "kid-1");
  EXPECT_TRUE(signer) << (signer ? "" : signer.error().detail);
  rapidjson::Document claims;
  if (!signer) {
    return claims;
  }
  EXPECT_EQ((*signer)->alg(), expected_alg);
  auto assertion = (*signer)->sign("client-1", kAudience, 1'000'000);
  EXPECT_TRUE(assertion);
  auto jws = parseCompactJws(*assertion);
  EXPECT_TRUE(jws) << (jws ? "" : jws.error().detail);
  if (!jws) {
    return claims;
  }
  EXPECT_EQ(jws->alg, expected_alg);
  EXPECT_EQ(jws->kid, "kid-1");
  auto keys = parseJwks(testing::jwksOf({publicJwk(testKey(kind), "kid-1")}));
  EXPECT_TRUE(keys);
  EXPECT_TRUE(verifyJwsSignature(*jws, *keys)) << "the signature verifies with the public key";
  EXPECT_TRUE(json::parseObject(jws->payload_json, claims));
  return claims;
}

// RFC 7523 §3: iss = sub = client_id, aud = the token endpoint, a jti, a short exp.
void expectRfc7523Claims(const rapidjson::Document& claims) {
  EXPECT_EQ(json::getString(claims, "iss").value_or(""), "client-1");
  EXPECT_EQ(json::getString(claims, "sub").value_or(""), "client-1");
  EXPECT_EQ(json::getString(claims, "aud").value_or(""), kAudience);
  EXPECT_GE(json::getString(claims, "jti").value_or("").size(), 20u);
  EXPECT_EQ(json::getInt(claims, "iat").value_or(0), 1'000'000);
  EXPECT_EQ(json::getInt(claims, "exp").value_or(0),
            1'000'000 + ClientAssertionSigner::kLifetimeSeconds);
}

// An EC P-256 key signs ES256 assertions (r || s, RFC 7518 §3.4) that verify.
TEST(ClientAssertion, Es256WithP256Key) {
  expectRfc7523Claims(signAndVerify(KeyKind::kP256, "ES256"));
}

// An RSA key of 2048 bits signs RS256 assertions that verify.
TEST(ClientAssertion, Rs256WithRsaKey) {
  expectRfc7523Claims(signAndVerify(KeyKind::kRsa2048, "RS256"));
}

// Every assertion has its own jti, so a provider can refuse a replayed one.
TEST(ClientAssertion, JtiDiffersPerAssertion) {
  auto signer = ClientAssertionSigner::fromPem(privatePem(testKey(KeyKind::kP256)), "");
  ASSERT_TRUE(signer);
  auto a = (*signer)->sign("c", kAudience, 1);
  auto b = (*signer)->sign("c", kAudience, 1);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  auto jws = parseCompactJws(*a);
  ASSERT_TRUE(jws);
  EXPECT_EQ(jws->kid, "") << "no kid header without client_key_id";
}

// Keys that cannot make an allowed assertion are refused when loaded, never at sign-in.
TEST(ClientAssertion, RefusesUnusableKeys) {
  EXPECT_FALSE(ClientAssertionSigner::fromPem(privatePem(testKey(KeyKind::kRsa1024)), ""));
  EXPECT_FALSE(ClientAssertionSigner::fromPem(privatePem(testKey(KeyKind::kP384)), ""));
  EXPECT_FALSE(ClientAssertionSigner::fromPem(privatePem(testKey(KeyKind::kEd25519)), ""));
  EXPECT_FALSE(ClientAssertionSigner::fromPem("not a key", ""));
  EXPECT_FALSE(ClientAssertionSigner::fromPem(testing::publicPem(testKey(KeyKind::kP256)), ""))
      << "a public key is not a private key";
}

// An encrypted key fails without prompting for a passphrase.
TEST(ClientAssertion, RefusesEncryptedKey) {
  std::unique_ptr<BIO, OpensslDeleter<BIO_free>> bio(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), testKey(KeyKind::kP256).pkey.get(),
                                          EVP_aes_256_cbc(), "pass", 4, nullptr, nullptr),
            1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  auto signer = ClientAssertionSigner::fromPem(std::string(data, static_cast<size_t>(len)), "");
  ASSERT_FALSE(signer);
  EXPECT_NE(signer.error().detail.find("unencrypted"), std::string::npos);
}

}  // namespace
}  // namespace latchkey
