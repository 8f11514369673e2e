#include "latchkey/jose/jose.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "latchkey/util/encoding.h"
#include "support/jwt_test_support.h"

namespace latchkey {
namespace {

using testing::jwksOf;
using testing::KeyKind;
using testing::publicJwk;
using testing::signCompact;
using testing::testKey;

constexpr const char* kPayload = R"({"sub":"x"})";

JwkSet mustParse(const std::string& jwks) {
  auto set = parseJwks(jwks);
  if (!set) {
    ADD_FAILURE() << "parseJwks: " << set.error().detail;
    return {};
  }
  return std::move(*set);
}

Status verifyCompact(const std::string& compact, const JwkSet& keys) {
  auto jws = parseCompactJws(compact);
  if (!jws) {
    return jws.error();
  }
  return verifyJwsSignature(*jws, keys);
}

// A set with one key of every supported kind, each with a distinct kid.
JwkSet allKindsSet() {
  return mustParse(jwksOf(
      {publicJwk(testKey(KeyKind::kRsa2048), "rsa"), publicJwk(testKey(KeyKind::kP256), "p256"),
       publicJwk(testKey(KeyKind::kP384), "p384"), publicJwk(testKey(KeyKind::kP521), "p521"),
       publicJwk(testKey(KeyKind::kEd25519), "ed")}));
}

// ---- parseJwks ----

// RSA, EC P-256/384/521 and Ed25519 public keys all parse, keeping kid, kty, crv and alg.
TEST(Jwks, ParsesEverySupportedKeyType) {
  JwkSet set = mustParse(jwksOf(
      {publicJwk(testKey(KeyKind::kRsa2048), "rsa", R"("alg":"RS256")"),
       publicJwk(testKey(KeyKind::kP256), "p256"), publicJwk(testKey(KeyKind::kP384), "p384"),
       publicJwk(testKey(KeyKind::kP521), "p521"), publicJwk(testKey(KeyKind::kEd25519), "ed")}));
  ASSERT_EQ(set.keys.size(), 5U);
  EXPECT_TRUE(set.skipped.empty());
  EXPECT_EQ(set.keys[0].kty, "RSA");
  EXPECT_EQ(set.keys[0].alg, "RS256");
  EXPECT_EQ(set.keys[0].kid, "rsa");
  EXPECT_EQ(set.keys[1].crv, "P-256");
  EXPECT_EQ(set.keys[3].crv, "P-521");
  EXPECT_EQ(set.keys[4].kty, "OKP");
  EXPECT_EQ(set.keys[4].crv, "Ed25519");
}

// Documents that are not a JWKS at all are kJwksInvalid.
TEST(Jwks, RefusesDocumentsThatAreNotJwks) {
  for (const char* text :
       {"", "[]", "{}", R"({"keys":{}})", R"({"keys":"x"})", "{\"keys\":[", "null"}) {
    auto set = parseJwks(text);
    ASSERT_FALSE(set) << text;
    EXPECT_EQ(set.error().code, Errc::kJwksInvalid) << text;
  }
}

// An empty keys array is a valid, empty set.
TEST(Jwks, EmptyKeysArrayIsAnEmptySet) {
  JwkSet set = mustParse(R"({"keys":[]})");
  EXPECT_TRUE(set.keys.empty());
}

// More than 64 entries is refused as a whole (no unbounded work per JWKS).
TEST(Jwks, RefusesMoreThan64Entries) {
  std::string text = R"({"keys":[)";
  for (int i = 0; i < 65; ++i) {
    text += std::string(i ? "," : "") + R"({"kty":"oct"})";
  }
  auto set = parseJwks(text + "]}");
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().code, Errc::kJwksInvalid);
}

// Encryption keys, unknown kty, symmetric keys and garbage entries are skipped, the rest kept.
TEST(Jwks, SkipsUnusableKeysButKeepsTheRest) {
  const auto& rsa = testKey(KeyKind::kRsa2048);
  JwkSet set = mustParse(jwksOf({
      publicJwk(rsa, "enc", R"("use":"enc")"),
      publicJwk(rsa, "ops", R"("key_ops":["encrypt"])"),
      publicJwk(rsa, "oaep", R"("alg":"RSA-OAEP")"),
      publicJwk(rsa, "hs", R"("alg":"HS256")"),
      R"({"kty":"oct","kid":"sym","k":"c2VjcmV0"})",
      R"({"kty":"XYZ","kid":"unknown"})",
      R"({"kid":"no-kty"})",
      R"("not an object")",
      R"({"kty":"RSA","kid":"bad-n","n":"!!","e":"AQAB"})",
      R"({"kty":"RSA","kid":"no-e","n":"AQAB"})",
      publicJwk(rsa, "", R"("kid":5)"),
      publicJwk(rsa, "good", R"("use":"sig","key_ops":["verify"])"),
  }));
  ASSERT_EQ(set.keys.size(), 1U);
  EXPECT_EQ(set.keys[0].kid, "good");
  EXPECT_EQ(set.skipped.size(), 11U);
}

// An RSA key with a 1024-bit modulus is skipped (RFC 8725 §3.5 minimum is 2048).
TEST(Jwks, SkipsRsaKeysUnder2048Bits) {
  JwkSet set = mustParse(jwksOf({publicJwk(testKey(KeyKind::kRsa1024), "weak")}));
  EXPECT_TRUE(set.keys.empty());
  ASSERT_EQ(set.skipped.size(), 1U);
  EXPECT_NE(set.skipped[0].find("1024"), std::string::npos);
}

// An EC key whose point is not on the curve is skipped (invalid-curve attack).
TEST(Jwks, SkipsEcPointNotOnCurve) {
  const auto& key = testKey(KeyKind::kP256);
  std::string jwk = publicJwk(key, "bad");
  // Flip one bit of y: (x, y') is then almost surely not on P-256.
  const size_t y_at = jwk.find("\"y\":\"") + 5;
  auto y = base64UrlDecode(jwk.substr(y_at, 43));
  ASSERT_TRUE(y);
  (*y)[31] = static_cast<char>((*y)[31] ^ 1);
  jwk.replace(y_at, 43, base64UrlEncode(*y));
  JwkSet set = mustParse(jwksOf({jwk}));
  EXPECT_TRUE(set.keys.empty());
  EXPECT_EQ(set.skipped.size(), 1U);
}

// EC coordinates shorter than the curve size (leading zero stripped) are skipped.
TEST(Jwks, SkipsEcCoordinatesOfWrongLength) {
  const std::string short_x = base64UrlEncode(std::string(31, 'A'));
  const std::string full = base64UrlEncode(std::string(32, 'A'));
  JwkSet set = mustParse(
      jwksOf({R"({"kty":"EC","crv":"P-256","x":")" + short_x + R"(","y":")" + full + "\"}",
              R"({"kty":"EC","crv":"P-192","x":")" + full + R"(","y":")" + full + "\"}",
              R"({"kty":"EC","x":")" + full + R"(","y":")" + full + "\"}"}));
  EXPECT_TRUE(set.keys.empty());
  EXPECT_EQ(set.skipped.size(), 3U);
}

// OKP keys other than Ed25519 and Ed25519 keys of the wrong size are skipped.
TEST(Jwks, SkipsUnsupportedOkpKeys) {
  const std::string x32 = base64UrlEncode(std::string(32, 'B'));
  JwkSet set = mustParse(jwksOf({R"({"kty":"OKP","crv":"X25519","x":")" + x32 + "\"}",
                                 R"({"kty":"OKP","crv":"Ed448","x":")" + x32 + "\"}",
                                 R"({"kty":"OKP","crv":"Ed25519","x":"AAAA"})"}));
  EXPECT_TRUE(set.keys.empty());
  EXPECT_EQ(set.skipped.size(), 3U);
}

// ---- parseCompactJws ----

// A well-formed JWS splits into alg, kid, header, payload, signing input and signature.
TEST(CompactJws, ParsesWellFormedToken) {
  const std::string compact = signCompact(testKey(KeyKind::kP256), "ES256", "k1", kPayload);
  auto jws = parseCompactJws(compact);
  ASSERT_TRUE(jws) << jws.error().detail;
  EXPECT_EQ(jws->alg, "ES256");
  EXPECT_EQ(jws->kid, "k1");
  EXPECT_EQ(jws->payload_json, kPayload);
  EXPECT_EQ(jws->signing_input, compact.substr(0, compact.rfind('.')));
  EXPECT_EQ(jws->signature.size(), 64U);
}

// Structural defects are kIdTokenMalformed.
TEST(CompactJws, RefusesStructuralDefects) {
  const std::string h = base64UrlEncode(R"({"alg":"RS256"})");
  const std::string p = base64UrlEncode(kPayload);
  const std::string s = base64UrlEncode("sig");
  const std::vector<std::string> bad = {
      "",
      ".",
      "..",
      h,
      h + "." + p,
      h + "." + p + "." + s + ".",
      h + "." + p + "." + s + "." + s,
      h + "." + p + ".",
      "." + p + "." + s,
      h + "." + p + "." + s + "=",
      h + "=." + p + "." + s,
      h + "." + p + "." + "a+b/",
      h + " ." + p + "." + s,
      base64UrlEncode("[]") + "." + p + "." + s,
      base64UrlEncode("not json") + "." + p + "." + s,
      base64UrlEncode(R"({"alg":1})") + "." + p + "." + s,
      base64UrlEncode(R"({"typ":"JWT"})") + "." + p + "." + s,
      base64UrlEncode(R"({"alg":"RS256","kid":7})") + "." + p + "." + s,
      base64UrlEncode(R"({"alg":"RS256","crit":["exp"]})") + "." + p + "." + s,
      base64UrlEncode(R"({"alg":"RS256","alg":"none"})") + "." + p + "." + s,
  };
  for (const auto& compact : bad) {
    auto jws = parseCompactJws(compact);
    ASSERT_FALSE(jws) << compact;
    EXPECT_EQ(jws.error().code, Errc::kIdTokenMalformed) << compact;
  }
}

// A token bigger than kMaxCompactJwsSize (here 1 MB) is refused without further work.
TEST(CompactJws, RefusesHugeToken) {
  const std::string huge = base64UrlEncode(R"({"alg":"RS256"})") + "." +
                           std::string(1024 * 1024, 'A') + "." + base64UrlEncode("sig");
  auto jws = parseCompactJws(huge);
  ASSERT_FALSE(jws);
  EXPECT_EQ(jws.error().code, Errc::kIdTokenMalformed);
}

// A header nested deeper than 64 levels is refused.
TEST(CompactJws, RefusesDeeplyNestedHeader) {
  const std::string header =
      R"({"alg":"RS256","x":)" + std::string(100, '[') + std::string(100, ']') + "}";
  auto jws = parseCompactJws(base64UrlEncode(header) + "." + base64UrlEncode(kPayload) + ".c2ln");
  ASSERT_FALSE(jws);
  EXPECT_EQ(jws.error().code, Errc::kIdTokenMalformed);
}

// ---- verifyJwsSignature ----

// Good tokens verify for every algorithm on the allow-list.
TEST(JwsVerify, AcceptsEveryAllowedAlgorithm) {
  const JwkSet set = allKindsSet();
  struct Case {
    KeyKind kind;
    const char* alg;
    const char* kid;
  };
  for (const Case& c :
       {Case{KeyKind::kRsa2048, "RS256", "rsa"}, Case{KeyKind::kRsa2048, "RS384", "rsa"},
        Case{KeyKind::kRsa2048, "RS512", "rsa"}, Case{KeyKind::kRsa2048, "PS256", "rsa"},
        Case{KeyKind::kRsa2048, "PS384", "rsa"}, Case{KeyKind::kRsa2048, "PS512", "rsa"},
        Case{KeyKind::kP256, "ES256", "p256"}, Case{KeyKind::kP384, "ES384", "p384"},
        Case{KeyKind::kP521, "ES512", "p521"}, Case{KeyKind::kEd25519, "EdDSA", "ed"}}) {
    Status st = verifyCompact(signCompact(testKey(c.kind), c.alg, c.kid, kPayload), set);
    EXPECT_TRUE(st) << c.alg << ": " << st.error().detail;
  }
}

// Only the ten asymmetric algorithms are allowed; none, HS*, and case variants are not.
TEST(JwsVerify, AllowListIsExplicit) {
  for (const char* alg :
       {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}) {
    EXPECT_TRUE(isAllowedJwsAlg(alg)) << alg;
  }
  for (const char* alg : {"none", "None", "NONE", "", "HS256", "HS384", "HS512", "rs256", "ES256K",
                          "Ed25519", "RSA-OAEP", "dir"}) {
    EXPECT_FALSE(isAllowedJwsAlg(alg)) << alg;
  }
}

// alg "none" with an empty signature is malformed; with any signature it is not allowed.
TEST(JwsVerify, RefusesAlgNone) {
  const JwkSet set = allKindsSet();
  const std::string unsecured =
      base64UrlEncode(R"({"alg":"none"})") + "." + base64UrlEncode(kPayload);
  Status empty_sig = verifyCompact(unsecured + ".", set);
  ASSERT_FALSE(empty_sig);
  EXPECT_EQ(empty_sig.error().code, Errc::kIdTokenMalformed);
  Status with_sig = verifyCompact(unsecured + ".AAAA", set);
  ASSERT_FALSE(with_sig);
  EXPECT_EQ(with_sig.error().code, Errc::kIdTokenAlgNotAllowed);
}

// HS256 keyed with the RSA public key (JWK JSON, PEM or raw modulus) is refused: key confusion.
TEST(JwsVerify, RefusesHs256KeyedWithRsaPublicKey) {
  const auto& rsa = testKey(KeyKind::kRsa2048);
  const JwkSet set = mustParse(jwksOf({publicJwk(rsa, "rsa")}));
  for (const std::string& secret :
       {publicJwk(rsa, "rsa"), testing::publicPem(rsa), testing::rsaModulus(rsa)}) {
    Status st = verifyCompact(testing::signHs256(secret, "rsa", kPayload), set);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Errc::kIdTokenAlgNotAllowed);
  }
}

// An ES256 signature left in DER form (not r||s) is refused.
TEST(JwsVerify, RefusesEs256SignatureInDerForm) {
  const JwkSet set = allKindsSet();
  const auto& ec = testKey(KeyKind::kP256);
  Status st = verifyCompact(
      testing::signCompactWithHeader(ec, "ES256", testing::headerJson("ES256", "p256"), kPayload,
                                     /*es_der=*/true),
      set);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::kIdTokenBadSignature);
}

// A token signed by another key of the same type does not verify.
TEST(JwsVerify, RefusesSignatureByAnotherKey) {
  const JwkSet set = allKindsSet();
  for (auto [kind, alg, kid] :
       {std::tuple{KeyKind::kRsa2048, "RS256", "rsa"}, std::tuple{KeyKind::kP256, "ES256", "p256"},
        std::tuple{KeyKind::kEd25519, "EdDSA", "ed"}}) {
    Status st = verifyCompact(signCompact(testKey(kind, 1), alg, kid, kPayload), set);
    ASSERT_FALSE(st) << alg;
    EXPECT_EQ(st.error().code, Errc::kIdTokenBadSignature) << alg;
  }
}

// A kid that no key in the set has is kIdTokenUnknownKid (the caller may refetch the JWKS).
TEST(JwsVerify, UnknownKidIsReportedAsSuch) {
  Status st = verifyCompact(signCompact(testKey(KeyKind::kRsa2048), "RS256", "rotated", kPayload),
                            allKindsSet());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::kIdTokenUnknownKid);
}

// Without a kid, the one key that fits the alg is used.
TEST(JwsVerify, WithoutKidUsesTheOnlyFittingKey) {
  Status st =
      verifyCompact(signCompact(testKey(KeyKind::kP256), "ES256", "", kPayload), allKindsSet());
  EXPECT_TRUE(st) << st.error().detail;
}

// Without a kid and with two keys fitting the alg, verification refuses to guess.
TEST(JwsVerify, WithoutKidRefusesWhenTwoKeysFit) {
  const JwkSet set = mustParse(jwksOf(
      {publicJwk(testKey(KeyKind::kRsa2048), "a"), publicJwk(testKey(KeyKind::kRsa2048, 1), "b")}));
  Status st = verifyCompact(signCompact(testKey(KeyKind::kRsa2048), "RS256", "", kPayload), set);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::kIdTokenBadSignature);
}

// A JWK that declares alg RS256 cannot verify a PS256 token, even with the right key.
TEST(JwsVerify, RefusesWhenJwkAlgDiffers) {
  const auto& rsa = testKey(KeyKind::kRsa2048);
  const JwkSet set = mustParse(jwksOf({publicJwk(rsa, "rsa", R"("alg":"RS256")")}));
  EXPECT_TRUE(verifyCompact(signCompact(rsa, "RS256", "rsa", kPayload), set));
  Status st = verifyCompact(signCompact(rsa, "PS256", "rsa", kPayload), set);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::kIdTokenBadSignature);
}

// The key type must match the alg family, and the EC curve must match the ES alg.
TEST(JwsVerify, RefusesKeyOfTheWrongTypeOrCurve) {
  const JwkSet set = allKindsSet();
  // ES256 header pointing at the RSA key, ES384 header pointing at the P-256 key.
  for (auto [kind, alg, kid] :
       {std::tuple{KeyKind::kP256, "ES256", "rsa"}, std::tuple{KeyKind::kP256, "ES384", "p256"},
        std::tuple{KeyKind::kRsa2048, "RS256", "p256"},
        std::tuple{KeyKind::kEd25519, "EdDSA", "p256"}}) {
    Status st = verifyCompact(signCompact(testKey(kind), alg, kid, kPayload), set);
    ASSERT_FALSE(st) << alg << " " << kid;
    EXPECT_EQ(st.error().code, Errc::kIdTokenBadSignature);
  }
}

// A PKCS#1 v1.5 signature presented as PS256 (and vice versa) does not verify.
TEST(JwsVerify, RsaPaddingModesAreNotInterchangeable) {
  const auto& rsa = testKey(KeyKind::kRsa2048);
  const JwkSet set = allKindsSet();
  const std::string ps_header =
      base64UrlEncode(testing::headerJson("PS256", "rsa")) + "." + base64UrlEncode(kPayload);
  const std::string rs_sig = base64UrlEncode(testing::signRaw(rsa, "RS256", ps_header));
  EXPECT_FALSE(verifyCompact(ps_header + "." + rs_sig, set));
  const std::string rs_header =
      base64UrlEncode(testing::headerJson("RS256", "rsa")) + "." + base64UrlEncode(kPayload);
  const std::string ps_sig = base64UrlEncode(testing::signRaw(rsa, "PS256", rs_header));
  EXPECT_FALSE(verifyCompact(rs_header + "." + ps_sig, set));
}

// Changing one byte of the payload, or truncating the signature, breaks verification.
TEST(JwsVerify, RefusesTamperedPayloadAndTruncatedSignature) {
  const JwkSet set = allKindsSet();
  for (auto [kind, alg, kid] :
       {std::tuple{KeyKind::kRsa2048, "RS256", "rsa"}, std::tuple{KeyKind::kP256, "ES256", "p256"},
        std::tuple{KeyKind::kEd25519, "EdDSA", "ed"}}) {
    const std::string good = signCompact(testKey(kind), alg, kid, R"({"sub":"alice"})");
    const size_t dot1 = good.find('.');
    const size_t dot2 = good.rfind('.');
    std::string tampered =
        good.substr(0, dot1 + 1) + base64UrlEncode(R"({"sub":"mallory"})") + good.substr(dot2);
    Status st = verifyCompact(tampered, set);
    ASSERT_FALSE(st) << alg;
    EXPECT_EQ(st.error().code, Errc::kIdTokenBadSignature);
    auto sig = base64UrlDecode(good.substr(dot2 + 1));
    ASSERT_TRUE(sig);
    const std::string truncated =
        good.substr(0, dot2 + 1) + base64UrlEncode(sig->substr(0, sig->size() - 1));
    st = verifyCompact(truncated, set);
    ASSERT_FALSE(st) << alg;
    EXPECT_EQ(st.error().code, Errc::kIdTokenBadSignature);
  }
}

// One key set verifies correctly from several threads at once (keys are immutable).
TEST(JwsVerify, VerificationIsThreadSafe) {
  const JwkSet set = allKindsSet();
  const std::string rs = signCompact(testKey(KeyKind::kRsa2048), "RS256", "rsa", kPayload);
  const std::string es = signCompact(testKey(KeyKind::kP256), "ES256", "p256", kPayload);
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        failures[static_cast<size_t>(t)] += verifyCompact((i % 2) ? rs : es, set) ? 0 : 1;
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace latchkey
