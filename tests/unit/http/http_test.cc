// Request parsing and response serialisation.
#include "latchkey/http/http.h"

#include <gtest/gtest.h>

#include <string>

namespace latchkey {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

ParamMap baseParams() {
  return ParamMap{{"REQUEST_METHOD", "GET"}, {"REMOTE_ADDR", "192.0.2.7"}};
}

// --- cookies ---

// Ordinary pairs come back in order with spaces trimmed.
TEST(ParseCookieHeader, KeepsPairsInOrder) {
  EXPECT_EQ(parseCookieHeader("a=1; b=2;c=3"), (Pairs{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
}

// Junk segments (no '=', empty name, stray ';') are skipped, never fatal.
TEST(ParseCookieHeader, SkipsJunkSegments) {
  EXPECT_EQ(parseCookieHeader(";; junk ; =nameless; ok=1 ;; x= ;"),
            (Pairs{{"ok", "1"}, {"x", ""}}));
}

// Surrounding double quotes are not part of the value (RFC 6265 §4.1.1).
TEST(ParseCookieHeader, StripsSurroundingQuotes) {
  EXPECT_EQ(parseCookieHeader("a=\"v\"; b=\"; c=\"\""),
            (Pairs{{"a", "v"}, {"b", "\""}, {"c", ""}}));
}

// A value may contain '=' (base64 padding) and keeps everything after the first '='.
TEST(ParseCookieHeader, ValueKeepsEqualsSigns) {
  EXPECT_EQ(parseCookieHeader("s=abc=="), (Pairs{{"s", "abc=="}}));
}

// No more than kMaxCookies pairs are kept from a flood.
TEST(ParseCookieHeader, CapsTheNumberOfPairs) {
  std::string header;
  for (int i = 0; i < 1000; ++i) {
    header += "c" + std::to_string(i) + "=v; ";
  }
  const Pairs cookies = parseCookieHeader(header);
  ASSERT_EQ(cookies.size(), kMaxCookies);
  EXPECT_EQ(cookies.front().first, "c0");
}

// An empty or blank header gives no cookies.
TEST(ParseCookieHeader, EmptyHeaderGivesNothing) {
  EXPECT_TRUE(parseCookieHeader("").empty());
  EXPECT_TRUE(parseCookieHeader("   ").empty());
}

// --- url-encoded ---

// '+' is a space and %-escapes are decoded in keys and values.
TEST(ParseUrlEncoded, DecodesPlusAndPercent) {
  auto pairs = parseUrlEncoded("a+b=c+d&e%3D=%26%2B");
  ASSERT_TRUE(pairs);
  EXPECT_EQ(*pairs, (Pairs{{"a b", "c d"}, {"e=", "&+"}}));
}

// A malformed escape makes the whole input a bad request.
TEST(ParseUrlEncoded, RejectsMalformedEscapes) {
  for (const char* bad : {"a=%", "a=%4", "a=%G1", "%zz=1", "ok=1&b=%"}) {
    auto pairs = parseUrlEncoded(bad);
    ASSERT_FALSE(pairs) << bad;
    EXPECT_EQ(pairs.error().code, Errc::kBadRequest);
  }
}

// Repeated keys are all kept in order; keys without '=' get an empty value.
TEST(ParseUrlEncoded, KeepsRepeatedKeysAndBareKeys) {
  auto pairs = parseUrlEncoded("a=1&flag&a=2&b=");
  ASSERT_TRUE(pairs);
  EXPECT_EQ(*pairs, (Pairs{{"a", "1"}, {"flag", ""}, {"a", "2"}, {"b", ""}}));
}

// Empty input and empty segments produce nothing.
TEST(ParseUrlEncoded, SkipsEmptySegments) {
  auto empty = parseUrlEncoded("");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  auto pairs = parseUrlEncoded("&&a=1&&");
  ASSERT_TRUE(pairs);
  EXPECT_EQ(*pairs, (Pairs{{"a", "1"}}));
}

// --- normalizePath ---

std::string normalized(std::string_view raw) {
  auto path = normalizePath(raw);
  return path ? *path : "<error>";
}

// Slash runs collapse and "." segments disappear.
TEST(NormalizePath, CollapsesSlashesAndDots) {
  EXPECT_EQ(normalized("/"), "/");
  EXPECT_EQ(normalized("//login"), "/login");
  EXPECT_EQ(normalized("/a//b/./c"), "/a/b/c");
  EXPECT_EQ(normalized("/."), "/");
}

// ".." removes the previous segment, also when it arrives percent-encoded.
TEST(NormalizePath, ResolvesDotDotIncludingEncoded) {
  EXPECT_EQ(normalized("/a/b/../login"), "/a/login");
  EXPECT_EQ(normalized("/oauth2/x/%2e%2e/auth"), "/oauth2/auth");
  EXPECT_EQ(normalized("/a/%2E%2E"), "/");
}

// ".." above the root is a bad request, however it is spelled.
TEST(NormalizePath, RejectsClimbingAboveRoot) {
  for (const char* bad : {"/..", "/../etc/passwd", "/a/../..", "/%2e%2e/x", "/a/%2e%2e%2f%2e%2e"}) {
    auto path = normalizePath(bad);
    ASSERT_FALSE(path) << bad;
    EXPECT_EQ(path.error().code, Errc::kBadRequest);
  }
}

// NUL, control characters and malformed escapes are refused.
TEST(NormalizePath, RejectsNulControlAndBadEscapes) {
  for (const char* bad : {"/a%00b", "/a%0d%0aSet-Cookie:x", "/a%7f", "/%", "/%zz", "/\t"}) {
    EXPECT_FALSE(normalizePath(bad)) << bad;
  }
  EXPECT_FALSE(normalizePath(std::string_view("/a\0b", 4)));
}

// A path must be absolute.
TEST(NormalizePath, RejectsRelativeAndEmpty) {
  EXPECT_FALSE(normalizePath(""));
  EXPECT_FALSE(normalizePath("login"));
  EXPECT_FALSE(normalizePath("%2Flogin"));
}

// Decision: an encoded slash decodes to a separator (like nginx's $uri).
TEST(NormalizePath, EncodedSlashIsASeparator) {
  EXPECT_EQ(normalized("/login%2Fauthorized"), "/login/authorized");
  EXPECT_EQ(normalized("/a%2F%2Fb"), "/a/b");
}

// Decision: a trailing slash is kept, because routing is exact ("/login/" is not "/login").
TEST(NormalizePath, KeepsTrailingSlash) {
  EXPECT_EQ(normalized("/login/"), "/login/");
  EXPECT_EQ(normalized("/a/b/.."), "/a/");
  EXPECT_EQ(normalized("/a/."), "/a/");
}

// --- requestFromParams ---

// DOCUMENT_URI wins over REQUEST_URI (inside auth_request, REQUEST_URI is the visitor's URI).
TEST(RequestFromParams, PrefersDocumentUri) {
  ParamMap params = baseParams();
  params["DOCUMENT_URI"] = "/auth";
  params["REQUEST_URI"] = "/private/page?x=1";
  auto request = requestFromParams(params, "", "");
  ASSERT_TRUE(request);
  EXPECT_EQ(request->path, "/auth");
}

// The return URI comes only from the parameter the web server's own configuration sets; the
// visitor's "Latchkey-Return-Uri" header arrives as HTTP_LATCHKEY_RETURN_URI and is ignored.
TEST(RequestFromParams, ReturnUriOnlyFromTheServerParameter) {
  ParamMap params = baseParams();
  params["DOCUMENT_URI"] = "/login";
  params["HTTP_LATCHKEY_RETURN_URI"] = "/from-a-header";
  auto from_header = requestFromParams(params, "", "");
  ASSERT_TRUE(from_header);
  EXPECT_FALSE(from_header->return_uri);
  params["LATCHKEY_RETURN_URI"] = "/x?a=1&b=2";
  auto from_server = requestFromParams(params, "", "");
  ASSERT_TRUE(from_server);
  EXPECT_EQ(from_server->return_uri.value_or(""), "/x?a=1&b=2");
}

// Without DOCUMENT_URI, the path of REQUEST_URI (before '?') is used.
TEST(RequestFromParams, FallsBackToRequestUriPath) {
  ParamMap params = baseParams();
  params["REQUEST_URI"] = "/login?rd=%2Fhome";
  params["QUERY_STRING"] = "rd=%2Fhome";
  auto request = requestFromParams(params, "", "");
  ASSERT_TRUE(request);
  EXPECT_EQ(request->path, "/login");
  EXPECT_EQ(request->raw_query, "rd=%2Fhome");
  EXPECT_EQ(request->queryParam("rd"), "/home");
}

// Plain CGI: SCRIPT_NAME + PATH_INFO, with base_path stripped.
TEST(RequestFromParams, FallsBackToScriptNameAndPathInfo) {
  ParamMap params = baseParams();
  params["SCRIPT_NAME"] = "/cgi-bin/latchkey";
  params["PATH_INFO"] = "/login/authorized";
  auto request = requestFromParams(params, "", "/cgi-bin/latchkey");
  ASSERT_TRUE(request);
  EXPECT_EQ(request->path, "/login/authorized");
}

std::string routedPath(std::string_view uri, std::string_view base_path) {
  ParamMap params = baseParams();
  params["DOCUMENT_URI"] = std::string(uri);
  auto request = requestFromParams(params, "", base_path);
  return request ? request->path : "<error>";
}

// base_path owns itself and what is below it, but not a longer sibling name.
TEST(RequestFromParams, StripsBasePathOnSegmentBoundaryOnly) {
  EXPECT_EQ(routedPath("/oauth2", "/oauth2"), "/");
  EXPECT_EQ(routedPath("/oauth2/", "/oauth2"), "/");
  EXPECT_EQ(routedPath("/oauth2/auth", "/oauth2"), "/auth");
  EXPECT_EQ(routedPath("/oauth2x/auth", "/oauth2"), "/oauth2x/auth");
  EXPECT_EQ(routedPath("/other", "/oauth2"), "/other");
  EXPECT_EQ(routedPath("/oauth2/auth", "/oauth2/"), "/auth");
  EXPECT_EQ(routedPath("/auth", ""), "/auth");
}

// base_path is applied after normalisation, so dot segments cannot dodge it.
TEST(RequestFromParams, NormalisesBeforeStripping) {
  EXPECT_EQ(routedPath("/x/../oauth2//login", "/oauth2"), "/login");
  EXPECT_EQ(routedPath("/oauth2/../login", "/oauth2"), "/login");
}

// A malformed path, query or method is a bad request.
TEST(RequestFromParams, RejectsBrokenRequests) {
  ParamMap bad_path = baseParams();
  bad_path["DOCUMENT_URI"] = "/../x";
  EXPECT_FALSE(requestFromParams(bad_path, "", ""));
  ParamMap bad_query = baseParams();
  bad_query["DOCUMENT_URI"] = "/";
  bad_query["QUERY_STRING"] = "a=%zz";
  EXPECT_FALSE(requestFromParams(bad_query, "", ""));
  ParamMap no_method{{"DOCUMENT_URI", "/"}};
  EXPECT_FALSE(requestFromParams(no_method, "", ""));
}

// Cookies and the client address are carried over.
TEST(RequestFromParams, CarriesCookiesAndClient) {
  ParamMap params = baseParams();
  params["DOCUMENT_URI"] = "/";
  params["HTTP_COOKIE"] = "latchkey=abc; other=1";
  auto request = requestFromParams(params, "", "");
  ASSERT_TRUE(request);
  EXPECT_EQ(request->cookie("latchkey"), "abc");
  EXPECT_FALSE(request->cookie("missing"));
  EXPECT_EQ(request->client_address, "192.0.2.7");
}

// The body is parsed only for application/x-www-form-urlencoded (parameters ignored).
TEST(RequestFromParams, ParsesFormOnlyForUrlEncodedBodies) {
  ParamMap params = baseParams();
  params["REQUEST_METHOD"] = "POST";
  params["DOCUMENT_URI"] = "/logout";
  params["CONTENT_TYPE"] = "Application/X-WWW-Form-Urlencoded; charset=UTF-8";
  auto request = requestFromParams(params, "csrf=a+b", "");
  ASSERT_TRUE(request);
  EXPECT_EQ(request->formField("csrf"), "a b");

  params["CONTENT_TYPE"] = "application/json";
  auto json = requestFromParams(params, "csrf=a+b", "");
  ASSERT_TRUE(json);
  EXPECT_TRUE(json->form.empty());

  params["CONTENT_TYPE"] = "application/x-www-form-urlencoded";
  EXPECT_FALSE(requestFromParams(params, "csrf=%", ""));
}

// --- Response ---

// Header lookup ignores case and returns the first match.
TEST(Response, HeaderLookupIsCaseInsensitive) {
  Response response;
  response.addHeader("Content-Type", "text/html");
  EXPECT_EQ(response.header("content-type"), "text/html");
  EXPECT_FALSE(response.header("Location"));
}

// The CGI form: Status line, headers, Content-Length, blank line, body.
TEST(SerializeResponse, WritesStatusHeadersLengthAndBody) {
  Response response;
  response.status = 302;
  response.addHeader("Location", "/x");
  response.body = "hello";
  EXPECT_EQ(serializeResponse(response),
            "Status: 302 Found\r\nLocation: /x\r\nContent-Length: 5\r\n\r\nhello");
}

// Several Set-Cookie headers are all written, in order.
TEST(SerializeResponse, KeepsEverySetCookie) {
  Response response;
  response.addHeader("Set-Cookie", "a=1");
  response.addHeader("Set-Cookie", "b=2");
  const std::string out = serializeResponse(response);
  EXPECT_NE(out.find("Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n"), std::string::npos);
}

// No control character reaches a header value (ESC, BEL, VT in a display name would reach the
// application behind the gate): each becomes a space, printable UTF-8 stays.
TEST(SerializeResponse, HeaderValuesCarryNoControlCharacters) {
  Response response;
  response.addHeader("X-Auth-Request-Name", std::string("A\x1b[31mB\x07"
                                                        "C\x0b"
                                                        "D\x7f"
                                                        "E\t"
                                                        "\xc3\xa9"));
  const std::string out = serializeResponse(response);
  EXPECT_NE(out.find("X-Auth-Request-Name: A [31mB C D E \xc3\xa9\r\n"), std::string::npos) << out;
}

// CR, LF or NUL in a value can never start a new header or the body (no response splitting).
TEST(SerializeResponse, HeaderInjectionIsImpossible) {
  Response response;
  response.addHeader("Location", "/x\r\nSet-Cookie: evil=1\r\n\r\n<script>");
  response.addHeader("X-Bad\r\nSet-Cookie", "evil=2");
  response.addHeader("X-Lf", std::string("a\nb\0c", 5));
  const std::string out = serializeResponse(response);
  const std::string head = out.substr(0, out.find("\r\n\r\n"));
  EXPECT_EQ(out.find("\r\n\r\n"), out.size() - 4);  // the body (empty) starts only at the end
  EXPECT_EQ(head.find("\nSet-Cookie"), std::string::npos);
  EXPECT_EQ(head.find("evil=2"), std::string::npos);  // a header with a bad name is dropped
  EXPECT_NE(head.find("Location: /x  Set-Cookie: evil=1    <script>"), std::string::npos);
  EXPECT_NE(head.find("X-Lf: a b c"), std::string::npos);
  EXPECT_EQ(head.find('\0'), std::string::npos);
}

// Content-Length and Status are computed by the serializer, never taken from a handler.
TEST(SerializeResponse, ContentLengthIsAlwaysTheRealOne) {
  Response response;
  response.addHeader("content-length", "999");
  response.addHeader("Status", "200 OK");
  response.status = 404;
  response.body = "abc";
  EXPECT_EQ(serializeResponse(response), "Status: 404 Not Found\r\nContent-Length: 3\r\n\r\nabc");
}

// Every status latchkey uses has its phrase; an out-of-range status becomes a 500.
TEST(SerializeResponse, ReasonPhrasesAndBadStatus) {
  for (int status : {200, 204, 302, 303, 400, 401, 403, 404, 405, 413, 431, 500, 502, 503, 504}) {
    EXPECT_NE(reasonPhrase(status), "Unknown") << status;
  }
  Response response;
  response.status = 42;
  EXPECT_EQ(serializeResponse(response).rfind("Status: 500 Internal Server Error\r\n", 0), 0u);
}

}  // namespace
}  // namespace latchkey
