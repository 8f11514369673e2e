// The rd check: only local paths survive; every way to leave the site falls back to "/".
#include <gtest/gtest.h>

#include "latchkey/app.h"

namespace latchkey {
namespace {

struct Case {
  const char* attack;
  const char* rd;
  const char* expected;
};

class ReturnPath : public ::testing::TestWithParam<Case> {};

// Each named input maps to the expected landing path.
TEST_P(ReturnPath, OnlyLocalPathsSurvive) {
  EXPECT_EQ(safeReturnPath(GetParam().rd), GetParam().expected) << GetParam().attack;
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, ReturnPath,
    ::testing::Values(Case{"plain", "/app/page?x=1", "/app/page?x=1"},
                      Case{"root", "/", "/"},
                      Case{"empty", "", "/"},
                      Case{"protocol-relative", "//evil.example/", "/"},
                      Case{"backslash", "/\\evil.example", "/"},
                      Case{"backslash-later", "/a\\b", "/"},
                      Case{"https-scheme", "https://evil.example/", "/"},
                      Case{"javascript-scheme", "javascript:alert(1)", "/"},
                      Case{"relative", "app", "/"},
                      Case{"crlf", "/a\r\nSet-Cookie: x=1", "/"},
                      Case{"tab-slash", "/\t/evil.example", "/"},
                      Case{"encoded-double-slash", "/%2F%2Fevil.example", "/"},
                      Case{"encoded-slash-first", "%2F%2Fevil.example", "/"},
                      Case{"encoded-backslash", "/%5Cevil.example", "/"},
                      Case{"encoded-crlf", "/a%0d%0aSet-Cookie:x", "/"},
                      Case{"double-encoded-slash", "/%252F%252Fevil.example", "/"},
                      Case{"nul", "/a%00b", "/"},
                      Case{"encoded-ok", "/a%20b", "/a%20b"},
                      Case{"utf8-escaped", "/caf\xc3\xa9", "/caf%C3%A9"},
                      // RFC 3986 §5.2.4: judged after dot segments are removed.
                      Case{"dot-dot-double-slash", "/..//evil.example", "/"},
                      Case{"deep-dot-dot-double-slash", "/a/b/../../..//evil.example/x", "/"},
                      Case{"dot-double-slash", "/.//evil.example", "/"},
                      Case{"encoded-dot-dot-double-slash", "/%2e%2e//evil.example", "/"},
                      Case{"mixed-encoded-dots", "/a/.%2E/%2e.//evil.example", "/"},
                      Case{"encoded-dots-and-slash", "/..%2F%2Fevil.example", "/"},
                      Case{"dot-dot-backslash", "/a/..\\evil.example", "/"},
                      Case{"dots-resolved", "/a/b/../c/./d?x=/../y", "/a/c/d?x=/../y"},
                      Case{"parent-at-end", "/a/b/..", "/a/"},
                      Case{"above-root", "/../../app", "/app"},
                      Case{"encoded-dots-resolved", "/a/%2E%2E/b", "/b"},
                      Case{"dots-in-names-kept", "/a/..b/.c/...", "/a/..b/.c/..."}),
    [](const auto& param_info) {
      std::string name = param_info.param.attack;
      for (char& c : name) {
        if (c == '-') {
          c = '_';
        }
      }
      return name;
    });

}  // namespace
}  // namespace latchkey
