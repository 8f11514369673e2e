#include "latchkey/util/json.h"

#include <gtest/gtest.h>

#include <string>

namespace latchkey::json {
namespace {

std::string nested(int depth, char open, char close) {
  return std::string(static_cast<size_t>(depth), open) +
         std::string(static_cast<size_t>(depth), close);
}

// A plain object parses and every getter returns the member of the right type.
TEST(Json, ParsesObjectAndReadsTypedMembers) {
  rapidjson::Document doc;
  ASSERT_TRUE(parseObject(R"({"s":"x","i":42,"b":true,"o":{},"a":[1]})", doc));
  EXPECT_EQ(getString(doc, "s"), "x");
  EXPECT_EQ(getInt(doc, "i"), 42);
  EXPECT_EQ(getBool(doc, "b"), true);
  EXPECT_NE(getObject(doc, "o"), nullptr);
  EXPECT_NE(getArray(doc, "a"), nullptr);
}

// Every getter returns nothing for a member of another type or a missing member.
TEST(Json, GettersRefuseWrongTypesAndMissingMembers) {
  rapidjson::Document doc;
  ASSERT_TRUE(parseObject(R"({"s":"x","i":42,"b":true,"n":null})", doc));
  EXPECT_FALSE(getString(doc, "i"));
  EXPECT_FALSE(getInt(doc, "s"));
  EXPECT_FALSE(getBool(doc, "s"));
  EXPECT_FALSE(getBool(doc, "n"));
  EXPECT_EQ(getObject(doc, "s"), nullptr);
  EXPECT_EQ(getArray(doc, "b"), nullptr);
  EXPECT_FALSE(getString(doc, "missing"));
}

// Getters on a value that is not an object return nothing instead of asserting.
TEST(Json, GettersOnNonObjectReturnNothing) {
  rapidjson::Document doc;
  ASSERT_TRUE(parseObject(R"({"a":[1,2],"s":"x"})", doc));
  const rapidjson::Value* array = getArray(doc, "a");
  ASSERT_NE(array, nullptr);
  EXPECT_FALSE(getString(*array, "x"));
  EXPECT_FALSE(getInt(*array, "x"));
  EXPECT_FALSE(getBool(doc["s"], "x"));
  EXPECT_EQ(getObject(doc["s"], "x"), nullptr);
}

// getInt accepts only integers written as integers that fit int64.
TEST(Json, GetIntAcceptsOnlyIntegralInt64) {
  rapidjson::Document doc;
  ASSERT_TRUE(parseObject(
      R"({"neg":-5,"max":9223372036854775807,"big":9223372036854775808,"frac":1.5,"one":1.0,"exp":1e3})",
      doc));
  EXPECT_EQ(getInt(doc, "neg"), -5);
  EXPECT_EQ(getInt(doc, "max"), INT64_MAX);
  EXPECT_FALSE(getInt(doc, "big"));
  EXPECT_FALSE(getInt(doc, "frac"));
  EXPECT_FALSE(getInt(doc, "one"));
  EXPECT_FALSE(getInt(doc, "exp"));
}

// A top-level value that is not an object is refused.
TEST(Json, RefusesNonObjectTopLevel) {
  rapidjson::Document doc;
  EXPECT_FALSE(parseObject("[]", doc));
  EXPECT_FALSE(parseObject("\"x\"", doc));
  EXPECT_FALSE(parseObject("42", doc));
  EXPECT_FALSE(parseObject("null", doc));
  EXPECT_FALSE(parseObject("", doc));
}

// Malformed JSON and trailing garbage are refused.
TEST(Json, RefusesMalformedAndTrailingGarbage) {
  rapidjson::Document doc;
  EXPECT_FALSE(parseObject("{", doc));
  EXPECT_FALSE(parseObject(R"({"a":1,})", doc));
  EXPECT_FALSE(parseObject(R"({"a":1} {"b":2})", doc));
  EXPECT_FALSE(parseObject(R"({'a':1})", doc));
  EXPECT_TRUE(doc.IsNull());
}

// A NUL byte anywhere is refused, so "{...}\0junk" cannot pass as "{...}".
TEST(Json, RefusesEmbeddedNul) {
  rapidjson::Document doc;
  EXPECT_FALSE(parseObject(std::string("{\"a\":1}\0junk", 12), doc));
  EXPECT_FALSE(parseObject(std::string("{\"a\":\"x\0y\"}", 11), doc));
}

// An escaped \u0000 inside a string is kept with its full length.
TEST(Json, KeepsEscapedNulInsideStrings) {
  rapidjson::Document doc;
  ASSERT_TRUE(parseObject(R"({"a":"x\u0000y"})", doc));
  EXPECT_EQ(getString(doc, "a"), std::string_view("x\0y", 3));
}

// Nesting up to 64 levels parses; 65 levels is refused (objects and arrays alike).
TEST(Json, RefusesNestingDeeperThan64) {
  rapidjson::Document doc;
  EXPECT_TRUE(parseObject("{\"a\":" + nested(63, '[', ']') + "}", doc));
  EXPECT_FALSE(parseObject("{\"a\":" + nested(64, '[', ']') + "}", doc));
  std::string deep_objects;
  for (int i = 0; i < 65; ++i) {
    deep_objects += "{\"a\":";
  }
  deep_objects += "1" + std::string(65, '}');
  EXPECT_FALSE(parseObject(deep_objects, doc));
}

// A million levels of nesting are refused quickly, without exhausting the stack.
TEST(Json, RefusesHugeNestingWithoutCrashing) {
  rapidjson::Document doc;
  EXPECT_FALSE(parseObject("{\"a\":" + nested(1000000, '[', ']') + "}", doc));
  EXPECT_FALSE(parseObject(std::string(1000000, '{'), doc));
}

// Brackets inside strings do not count as nesting.
TEST(Json, BracketsInsideStringsAreNotNesting) {
  rapidjson::Document doc;
  const std::string text =
      "{\"a\":\"" + std::string(1000, '[') + "\\\"" + std::string(1000, '{') + "\"}";
  ASSERT_TRUE(parseObject(text, doc));
  EXPECT_EQ(getString(doc, "a")->size(), 2001U);
}

// Duplicate member names (top level or nested) are refused: parsers disagree on the winner.
TEST(Json, RefusesDuplicateMemberNames) {
  rapidjson::Document doc;
  EXPECT_FALSE(parseObject(R"({"alg":"RS256","alg":"none"})", doc));
  EXPECT_FALSE(parseObject(R"({"a":{"b":1,"b":2}})", doc));
  EXPECT_FALSE(parseObject(R"({"a":[{"b":1,"b":2}]})", doc));
  EXPECT_TRUE(parseObject(R"({"a":{"b":1},"b":{"a":1}})", doc));
}

// Invalid UTF-8 inside strings is refused.
TEST(Json, RefusesInvalidUtf8) {
  rapidjson::Document doc;
  EXPECT_FALSE(parseObject("{\"name\":\"\xff\xfe\"}", doc));
  EXPECT_FALSE(parseObject("{\"name\":\"\xc0\xaf\"}", doc));
  EXPECT_TRUE(parseObject("{\"name\":\"Zo\xc3\xab\"}", doc));
}

}  // namespace
}  // namespace latchkey::json
