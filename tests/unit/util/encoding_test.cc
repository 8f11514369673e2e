#include "latchkey/util/encoding.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>

namespace latchkey {
namespace {

std::string allBytes() {
  std::string s;
  for (int i = 0; i < 256; ++i)
    s.push_back(static_cast<char>(i));
  return s;
}

// RFC 4648 §10 test vectors, standard alphabet with padding.
TEST(Encoding, Base64MatchesRfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64Encode(plain), encoded);
    EXPECT_EQ(base64Decode(encoded), std::string(plain));
  }
}

// Standard base64 decodes with or without padding, and rejects broken padding.
TEST(Encoding, Base64DecodeAcceptsUnpaddedRejectsBadPadding) {
  EXPECT_EQ(base64Decode("Zm8"), "fo");
  EXPECT_EQ(base64Decode("Zg"), "f");
  EXPECT_FALSE(base64Decode("Zg="));
  EXPECT_FALSE(base64Decode("Zg==="));
  EXPECT_FALSE(base64Decode("===="));
  EXPECT_FALSE(base64Decode("Z"));
  EXPECT_FALSE(base64Decode("Zm9v\n"));
  EXPECT_FALSE(base64Decode("Zm 9v"));
  EXPECT_FALSE(base64Decode("Zm=v"));
  EXPECT_FALSE(base64Decode("Zm9-"));  // url alphabet is not standard
}

// base64url round-trips every byte value and uses '-' and '_' without padding.
TEST(Encoding, Base64UrlRoundTripsAllBytes) {
  const std::string data = allBytes();
  const std::string encoded = base64UrlEncode(data);
  EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos);
  EXPECT_EQ(base64UrlDecode(encoded), data);
  EXPECT_EQ(base64UrlEncode("\xfb\xff"), "-_8");
  for (size_t n = 0; n < 10; ++n) {
    EXPECT_EQ(base64UrlDecode(base64UrlEncode(data.substr(0, n))), data.substr(0, n));
  }
}

// base64url rejects padding, standard-alphabet characters, whitespace and bad lengths.
TEST(Encoding, Base64UrlRejectsNonCanonicalInput) {
  EXPECT_FALSE(base64UrlDecode("Zg=="));
  EXPECT_FALSE(base64UrlDecode("Zm8="));
  EXPECT_FALSE(base64UrlDecode("+/8"));
  EXPECT_FALSE(base64UrlDecode("Zm9v "));
  EXPECT_FALSE(base64UrlDecode("Zm9vY"));  // length 1 mod 4
  EXPECT_TRUE(base64UrlDecode(""));
  EXPECT_EQ(*base64UrlDecode(""), "");
}

// Non-zero leftover bits make a second spelling of the same bytes, so they are refused.
TEST(Encoding, Base64UrlRejectsNonZeroTrailingBits) {
  EXPECT_EQ(base64UrlDecode("Zg"), "f");
  EXPECT_FALSE(base64UrlDecode("Zh"));
  EXPECT_EQ(base64UrlDecode("Zm8"), "fo");
  EXPECT_FALSE(base64UrlDecode("Zm9"));
  EXPECT_FALSE(base64Decode("Zh=="));
}

// Percent-decoding handles escapes, '+' as asked, and refuses malformed escapes.
TEST(Encoding, PercentDecodeIsStrict) {
  EXPECT_EQ(percentDecode("a%20b%2Fc", false), "a b/c");
  EXPECT_EQ(percentDecode("a+b", true), "a b");
  EXPECT_EQ(percentDecode("a+b", false), "a+b");
  EXPECT_EQ(percentDecode("%e2%82%AC", false), "\xe2\x82\xac");
  EXPECT_EQ(percentDecode("%00", false), std::string(1, '\0'));
  EXPECT_FALSE(percentDecode("%G1", false));
  EXPECT_FALSE(percentDecode("%4", false));
  EXPECT_FALSE(percentDecode("%", false));
  EXPECT_FALSE(percentDecode("abc%", false));
  EXPECT_FALSE(percentDecode("abc%a", false));
  EXPECT_EQ(percentDecode("", false), "");
}

// urlEncode leaves only RFC 3986 unreserved characters and round-trips every byte.
TEST(Encoding, UrlEncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(urlEncode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(urlEncode("a b&c=d/e?f+"), "a%20b%26c%3Dd%2Fe%3Ff%2B");
  EXPECT_EQ(urlEncode("\xff"), "%FF");
  EXPECT_EQ(percentDecode(urlEncode(allBytes()), false), allBytes());
}

// htmlEscape neutralises the five characters that matter in text and attributes.
TEST(Encoding, HtmlEscapeEscapesSpecialCharacters) {
  EXPECT_EQ(htmlEscape("<script>alert(\"x\" & 'y')</script>"),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;");
  EXPECT_EQ(htmlEscape("plain é"), "plain é");
}

// jsonEscape escapes quotes, backslashes, controls and HTML-significant characters.
TEST(Encoding, JsonEscapeEscapesControlsAndHtmlCharacters) {
  EXPECT_EQ(jsonEscape("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(jsonEscape("\n\r\t"), "\\n\\r\\t");
  EXPECT_EQ(jsonEscape(std::string("\x01\x1f\x7f\0", 4)), "\\u0001\\u001F\\u007F\\u0000");
  EXPECT_EQ(jsonEscape("</script>&"), "\\u003C/script\\u003E\\u0026");
  EXPECT_EQ(jsonEscape("\xe2\x80\xa8"), "\\u2028");
  EXPECT_EQ(jsonEscape("h\xc3\xa9 \xf0\x9f\x98\x80"), "h\xc3\xa9 \xf0\x9f\x98\x80");
}

// Invalid UTF-8 (stray bytes, overlongs, surrogates, truncation) becomes U+FFFD per byte.
TEST(Encoding, JsonEscapeReplacesInvalidUtf8) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(jsonEscape("a\xff"
                       "b"),
            "a" + fffd + "b");
  EXPECT_EQ(jsonEscape("\xc0\xaf"), fffd + fffd);                        // overlong '/'
  EXPECT_EQ(jsonEscape("\xed\xa0\x80"), fffd + fffd + fffd);             // surrogate D800
  EXPECT_EQ(jsonEscape("\xe2\x82"), fffd + fffd);                        // truncated
  EXPECT_EQ(jsonEscape("\xf4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // > U+10FFFF
}

// For any bytes, the escaped text inside quotes is JSON that strictly validates and whose
// value equals the input wherever the input was valid UTF-8.
TEST(Encoding, JsonEscapeAlwaysProducesValidJson) {
  std::string inputs[] = {allBytes(), "plain", "\xf0\x9f\x98", std::string(3, '\0')};
  for (const auto& input : inputs) {
    const std::string doc = "[\"" + jsonEscape(input) + "\"]";
    rapidjson::Document d;
    d.Parse<rapidjson::kParseValidateEncodingFlag>(doc.data(), doc.size());
    ASSERT_FALSE(d.HasParseError()) << doc;
    ASSERT_TRUE(d.IsArray() && d.Size() == 1 && d[0].IsString());
  }
  const std::string ok = "a\"\\\n<>&\x01\xc3\xa9";
  const std::string doc = "\"" + jsonEscape(ok) + "\"";
  rapidjson::Document d;
  d.Parse<rapidjson::kParseValidateEncodingFlag>(doc.data(), doc.size());
  ASSERT_TRUE(d.IsString());
  EXPECT_EQ(std::string(d.GetString(), d.GetStringLength()), ok);
}

}  // namespace
}  // namespace latchkey
