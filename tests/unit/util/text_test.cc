// The shared text helpers: the one control-character check, ASCII case mapping, UTF-8
// validation and cutting, log sanitising and joining.
#include "latchkey/util/text.h"

#include <gtest/gtest.h>

namespace latchkey {
namespace {

TEST(Text, ControlCharactersAreC0AndDel) {
  EXPECT_TRUE(hasControlChar(std::string_view("a\0b", 3)));
  EXPECT_TRUE(hasControlChar("a\r\nb"));
  EXPECT_TRUE(hasControlChar("\x7f"));
  EXPECT_FALSE(hasControlChar("caf\xc3\xa9 ~"));
}

TEST(Text, CaseMappingIsAsciiOnly) {
  EXPECT_EQ(toLowerAscii("Alice@Example.COM"), "alice@example.com");
  EXPECT_EQ(toUpperAscii("client_id"), "CLIENT_ID");
  EXPECT_EQ(toLowerAscii("\xc3\x89"), "\xc3\x89");  // É stays as it is
  EXPECT_TRUE(equalsIgnoreCaseAscii("Content-Type", "content-type"));
  EXPECT_FALSE(equalsIgnoreCaseAscii("Content-Type", "content-typ"));
}

TEST(Text, Utf8RefusesOverlongSurrogatesAndTruncation) {
  EXPECT_TRUE(isValidUtf8("plain \xe2\x82\xac \xf0\x9f\x94\x91"));
  EXPECT_FALSE(isValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(isValidUtf8("\xed\xa0\x80"));      // U+D800
  EXPECT_FALSE(isValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(isValidUtf8("\xe2\x82"));          // cut short
}

TEST(Text, TruncateNeverSplitsACharacter) {
  EXPECT_EQ(truncateUtf8("ab\xe2\x82\xac", 4), "ab");
  EXPECT_EQ(truncateUtf8("ab\xe2\x82\xac", 5), "ab\xe2\x82\xac");
  EXPECT_EQ(truncateUtf8("abc", 2), "ab");
}

TEST(Text, SanitizeForLogKeepsPrintableAsciiOnly) {
  EXPECT_EQ(sanitizeForLog("a\"b\\c\nd\xc3\xa9"), "a?b?c?d??");
  EXPECT_EQ(sanitizeForLog("abcdef", 3), "abc...");
}

TEST(Text, JoinPutsTheSeparatorBetweenValues) {
  EXPECT_EQ(join({}, ","), "");
  EXPECT_EQ(join({"openid"}, " "), "openid");
  EXPECT_EQ(join({"openid", "email", "profile"}, " "), "openid email profile");
}

}  // namespace
}  // namespace latchkey
