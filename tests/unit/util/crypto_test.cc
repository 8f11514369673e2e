#include "latchkey/util/crypto.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace latchkey {
namespace {

std::string hex(const uint8_t* p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 0xf]);
  }
  return out;
}
std::string hex(std::string_view s) {
  return hex(reinterpret_cast<const uint8_t*>(s.data()), s.size());  // NOLINT
}
template <size_t N>
std::string hex(const std::array<uint8_t, N>& a) {
  return hex(a.data(), a.size());
}
std::string unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// SHA-256 of "abc" (FIPS 180-2 appendix B.1).
TEST(Crypto, Sha256MatchesFipsVector) {
  EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
TEST(Crypto, HmacSha256MatchesRfc4231Case2) {
  const HmacSha256 hmac("Jefe");
  EXPECT_EQ(hex(hmac.mac("what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Reusing the pooled context gives the same answer, and other data a different one.
  EXPECT_EQ(hex(hmac.mac("what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_NE(hmac.mac("x"), hmac.mac("y"));
}

// RFC 4231 test case 6: a key longer than the block size is hashed first.
TEST(Crypto, HmacSha256MatchesRfc4231Case6LongKey) {
  const HmacSha256 hmac(std::string(131, '\xaa'));
  EXPECT_EQ(hex(hmac.mac("Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

// mac() is safe to call from several threads at once on one key.
TEST(Crypto, HmacSha256IsThreadSafe) {
  const HmacSha256 hmac("Jefe");
  const auto expected = hmac.mac("what do ya want for nothing?");
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (hmac.mac("what do ya want for nothing?") != expected)
          ++mismatches;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

// A moved-from-into object keeps working.
TEST(Crypto, HmacSha256SurvivesMove) {
  HmacSha256 a("Jefe");
  HmacSha256 b(std::move(a));
  EXPECT_EQ(hex(b.mac("what do ya want for nothing?")).substr(0, 8), "5bdcc146");
}

// RFC 5869 appendix A.1 (test case 1).
TEST(Crypto, HkdfMatchesRfc5869Case1) {
  const std::string ikm = unhex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
  const std::string salt = unhex("000102030405060708090a0b0c");
  const std::string info = unhex("f0f1f2f3f4f5f6f7f8f9");
  EXPECT_EQ(hex(hkdfSha256(ikm, salt, info, 42).value()),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
            "34007208d5b887185865");
}

// RFC 5869 appendix A.3 (test case 3): empty salt and info.
TEST(Crypto, HkdfMatchesRfc5869Case3EmptySaltAndInfo) {
  const std::string ikm = unhex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
  EXPECT_EQ(hex(hkdfSha256(ikm, "", "", 42).value()),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
            "9d201395faa4b61a96c8");
}

// Impossible lengths are an error value instead of a crash.
TEST(Crypto, HkdfRefusesBadLengths) {
  EXPECT_EQ(hkdfSha256("k", "", "i", 0).error().code, Errc::kInternal);
  EXPECT_EQ(hkdfSha256("k", "", "i", 255 * 32 + 1).error().code, Errc::kInternal);
}

// RFC 7636 appendix B: the S256 challenge of the example verifier.
TEST(Crypto, PkceChallengeMatchesRfc7636AppendixB) {
  EXPECT_EQ(pkceChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

// Random tokens are base64url of the asked length and do not repeat.
TEST(Crypto, RandomTokensAreUniqueBase64Url) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string t = randomToken(32);
    EXPECT_EQ(t.size(), 43u);
    EXPECT_EQ(
        t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos);
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_EQ(randomBytes(0), "");
  EXPECT_EQ(randomBytes(17).size(), 17u);
}

// AES-256-GCM seals to nonce||ct||tag and opens back, with a fresh nonce each time.
TEST(Crypto, AesGcmRoundTrips) {
  const std::string key(32, 'k');
  for (const std::string& plain : {std::string(), std::string("token"), std::string(1000, 'x')}) {
    const std::string sealed = aesGcmSeal(key, plain, "aad").value();
    ASSERT_EQ(sealed.size(), 12 + plain.size() + 16);
    EXPECT_EQ(aesGcmOpen(key, sealed, "aad"), plain);
    EXPECT_NE(aesGcmSeal(key, plain, "aad").value(), sealed);
  }
  const std::string no_aad = aesGcmSeal(key, "p", "").value();
  EXPECT_EQ(aesGcmOpen(key, no_aad, ""), "p");
}

// Any flipped bit, a wrong key, a wrong AAD or truncation is refused.
TEST(Crypto, AesGcmRefusesTampering) {
  const std::string key(32, 'k');
  const std::string sealed = aesGcmSeal(key, "secret token", "aad").value();
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_FALSE(aesGcmOpen(key, bad, "aad")) << i;
  }
  EXPECT_FALSE(aesGcmOpen(std::string(32, 'K'), sealed, "aad"));
  EXPECT_FALSE(aesGcmOpen(key, sealed, "aaD"));
  EXPECT_FALSE(aesGcmOpen(key, sealed, ""));
  for (size_t n = 0; n < sealed.size(); ++n)
    EXPECT_FALSE(aesGcmOpen(key, sealed.substr(0, n), "aad"));
  EXPECT_FALSE(aesGcmOpen(std::string(31, 'k'), sealed, "aad"));
  EXPECT_EQ(aesGcmSeal(std::string(16, 'k'), "p", "").error().code, Errc::kInternal);
}

// Constant-time comparison agrees with ==, including on length differences.
TEST(Crypto, ConstantTimeEqualsComparesContentAndLength) {
  EXPECT_TRUE(constantTimeEquals("", ""));
  EXPECT_TRUE(constantTimeEquals("abc", "abc"));
  EXPECT_FALSE(constantTimeEquals("abc", "abd"));
  EXPECT_FALSE(constantTimeEquals("abc", "ab"));
  EXPECT_FALSE(constantTimeEquals("", "a"));
}

}  // namespace
}  // namespace latchkey
