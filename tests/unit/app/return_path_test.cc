// The rd check: only local paths survive; every way to leave the site falls back to "/".
#include "latchkey/app/return_path.h"

#include <gtest/gtest.h>

#include <vector>

#include "latchkey/app/router.h"

namespace latchkey {
namespace {

struct Case {
  const char* attack;
  const char* rd;
  const char* expected;
};

// gtest names allow no '-': "encoded-dot" -> "encoded_dot".
std::string attackName(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.attack;
  for (char& c : name) {
    if (c == '-') {
      c = '_';
    }
  }
  return name;
}

class ReturnPath : public ::testing::TestWithParam<Case> {};

// Each named input maps to the expected landing path.
TEST_P(ReturnPath, OnlyLocalPathsSurvive) {
  EXPECT_EQ(safeReturnPath(GetParam().rd), GetParam().expected) << GetParam().attack;
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, ReturnPath,
    ::testing::Values(
        Case{"plain", "/app/page?x=1", "/app/page?x=1"}, Case{"root", "/", "/"},
        Case{"empty", "", "/"}, Case{"protocol-relative", "//evil.example/", "/"},
        Case{"backslash", "/\\evil.example", "/"}, Case{"backslash-later", "/a\\b", "/"},
        Case{"https-scheme", "https://evil.example/", "/"},
        Case{"javascript-scheme", "javascript:alert(1)", "/"}, Case{"relative", "app", "/"},
        Case{"crlf", "/a\r\nSet-Cookie: x=1", "/"}, Case{"tab-slash", "/\t/evil.example", "/"},
        Case{"encoded-double-slash", "/%2F%2Fevil.example", "/"},
        Case{"encoded-slash-first", "%2F%2Fevil.example", "/"},
        Case{"encoded-backslash", "/%5Cevil.example", "/"},
        Case{"encoded-crlf", "/a%0d%0aSet-Cookie:x", "/"},
        Case{"double-encoded-slash", "/%252F%252Fevil.example", "/"}, Case{"nul", "/a%00b", "/"},
        Case{"encoded-ok", "/a%20b", "/a%20b"}, Case{"utf8-escaped", "/caf\xc3\xa9", "/caf%C3%A9"},
        // RFC 3986 §5.2.4: judged after dot segments are removed.
        Case{"dot-dot-double-slash", "/..//evil.example", "/"},
        Case{"deep-dot-dot-double-slash", "/a/b/../../..//evil.example/x", "/"},
        Case{"dot-double-slash", "/.//evil.example", "/"},
        Case{"encoded-dot-dot-double-slash", "/%2e%2e//evil.example", "/"},
        Case{"mixed-encoded-dots", "/a/.%2E/%2e.//evil.example", "/"},
        Case{"encoded-dots-and-slash", "/..%2F%2Fevil.example", "/"},
        Case{"dot-dot-backslash", "/a/..\\evil.example", "/"},
        Case{"dots-resolved", "/a/b/../c/./d?x=/../y", "/a/c/d?x=/../y"},
        Case{"parent-at-end", "/a/b/..", "/a/"}, Case{"above-root", "/../../app", "/app"},
        Case{"encoded-dots-resolved", "/a/%2E%2E/b", "/b"},
        Case{"dots-in-names-kept", "/a/..b/.c/...", "/a/..b/.c/..."}),
    attackName);

std::vector<RedirectHost> centralHostList() {
  std::vector<RedirectHost> hosts;
  for (const char* entry :
       {"app1.example.com", ".apps.example.com", "app2.example.com:8443", "127.0.0.1:8080"}) {
    hosts.push_back(parseRedirectHost(entry).value());
  }
  return hosts;
}

class AbsoluteReturnAddress : public ::testing::TestWithParam<Case> {};

// With allowed_redirect_domains, an absolute URL on a listed host survives; every other way to
// name a host falls back to "/".
TEST_P(AbsoluteReturnAddress, OnlyListedHostsSurvive) {
  EXPECT_EQ(safeReturnAddress(GetParam().rd, centralHostList()), GetParam().expected)
      << GetParam().attack;
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, AbsoluteReturnAddress,
    ::testing::Values(
        Case{"exact-host", "https://app1.example.com/x?a=1&b=2#top",
             "https://app1.example.com/x?a=1&b=2#top"},
        Case{"host-upper-case", "https://APP1.Example.COM/x", "https://app1.example.com/x"},
        Case{"no-path", "https://app1.example.com", "https://app1.example.com/"},
        Case{"query-without-path", "https://app1.example.com?a=1", "https://app1.example.com/?a=1"},
        Case{"suffix-subdomain", "https://wiki.apps.example.com/",
             "https://wiki.apps.example.com/"},
        Case{"suffix-deeper", "https://a.b.apps.example.com/", "https://a.b.apps.example.com/"},
        Case{"suffix-bare-domain", "https://apps.example.com/", "/"},
        Case{"suffix-lookalike", "https://evilapps.example.com/", "/"},
        Case{"listed-port", "https://app2.example.com:8443/x", "https://app2.example.com:8443/x"},
        Case{"unlisted-port", "https://app1.example.com:8443/x", "/"},
        Case{"default-port-written", "https://app1.example.com:443/x", "/"},
        Case{"port-missing", "https://app2.example.com/x", "/"},
        Case{"port-zero", "https://app1.example.com:0/", "/"},
        Case{"port-junk", "https://app1.example.com:80a/", "/"},
        Case{"other-host", "https://evil.example/", "/"},
        Case{"listed-as-suffix-of-evil", "https://app1.example.com.evil.example/", "/"},
        Case{"trailing-dot", "https://app1.example.com./", "/"},
        Case{"userinfo", "https://app1.example.com@evil.example/", "/"},
        Case{"userinfo-listed-host", "https://evil.example@app1.example.com/", "/"},
        Case{"userinfo-empty", "https://@app1.example.com/", "/"},
        Case{"backslash-authority", "https://evil.example\\@app1.example.com/", "/"},
        Case{"backslash-after-host", "https://app1.example.com\\evil.example/", "/"},
        Case{"backslash-scheme", "https:\\\\app1.example.com/", "/"},
        Case{"backslash-path", "https://app1.example.com/a\\b", "/"},
        Case{"single-slash-scheme", "https:/app1.example.com/", "/"},
        Case{"encoded-dot", "https://app1%2Eexample.com/", "/"},
        Case{"encoded-slash-host", "https://evil.example%2F@app1.example.com/", "/"},
        Case{"encoded-at", "https://evil.example%40app1.example.com/", "/"},
        Case{"encoded-double-slash-path", "https://app1.example.com/%2F%2Fevil.example", "/"},
        Case{"crlf", "https://app1.example.com/\r\nSet-Cookie:x=1", "/"},
        Case{"tab-in-host", "https://app1.exa\tmple.com/", "/"},
        Case{"nul", "https://app1.example.com/a%00", "/"},
        Case{"space", "https://app1.example.com /", "/"},
        Case{"unicode-host", "https://\xd0\xb0pp1.example.com/", "/"},
        Case{"unicode-fullwidth-dot",
             "https://app1\xef\xbc\x8e"
             "example.com/",
             "/"},
        Case{"punycode-unlisted", "https://xn--pp1-8cd.example.com/", "/"},
        Case{"underscore-host", "https://a_b.apps.example.com/", "/"},
        Case{"http-non-loopback", "http://app1.example.com/", "/"},
        Case{"http-loopback-listed", "http://127.0.0.1:8080/x", "http://127.0.0.1:8080/x"},
        Case{"http-loopback-unlisted-port", "http://127.0.0.1:9090/x", "/"},
        Case{"javascript-scheme", "javascript://app1.example.com/%0aalert(1)", "/"},
        Case{"data-scheme", "data:text/html,<script>x</script>", "/"},
        Case{"ftp-scheme", "ftp://app1.example.com/", "/"},
        Case{"ipv6-literal", "https://[::1]/", "/"},
        Case{"utf8-path-escaped", "https://app1.example.com/caf\xc3\xa9",
             "https://app1.example.com/caf%C3%A9"},
        Case{"local-path-still-works", "/x?a=1&b=2", "/x?a=1&b=2"}),
    attackName);

// Without a list, no absolute URL survives, not even the sign-in host's own.
TEST(AbsoluteReturnAddress, RefusedWithoutAllowList) {
  EXPECT_EQ(safeReturnAddress("https://app1.example.com/x", {}), "/");
}

// allowed_redirect_domains entries: [.]host[:port] with LDH labels, lower-cased.
TEST(RedirectHostEntry, ParsesOnlyHostNames) {
  const auto exact = parseRedirectHost("App1.Example.com");
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->name, "app1.example.com");
  EXPECT_FALSE(exact->subdomains);
  EXPECT_EQ(exact->port, 0);
  const auto suffix = parseRedirectHost(".example.com:8443");
  ASSERT_TRUE(suffix);
  EXPECT_EQ(suffix->name, "example.com");
  EXPECT_TRUE(suffix->subdomains);
  EXPECT_EQ(suffix->port, 8443);
  for (const char* bad : {"", ".", "..example.com", "https://app.example.com", "app.example.com/",
                          "app.example.com:", "app.example.com:0", "app.example.com:99999",
                          "-app.example.com", "app_1.example.com", "app.example.com.",
                          "*.example.com", "\xc3\xa9.example.com", "[::1]", "a@b.example.com"}) {
    EXPECT_FALSE(parseRedirectHost(bad)) << bad;
  }
}

}  // namespace
}  // namespace latchkey
