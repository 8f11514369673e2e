// Plain value types for one HTTP exchange, independent of FastCGI and CGI.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "latchkey/util/result.h"

namespace latchkey {

// Hard caps on what a client may send (README "Limits").
inline constexpr size_t kMaxParamsBytes = 32 * 1024;  // all CGI/FastCGI params together
inline constexpr size_t kMaxBodyBytes = 16 * 1024;    // url-encoded form bodies
inline constexpr size_t kMaxCookies = 64;             // cookie pairs kept from one header

// The FastCGI parameter nginx sets (fastcgi_param, from its own configuration) to hand /login
// the visitor's original URI when sign-in starts from a 401 inside nginx. Request headers arrive
// as HTTP_* parameters, so no visitor can send it.
inline constexpr std::string_view kReturnUriParam = "LATCHKEY_RETURN_URI";

using ParamMap = std::map<std::string, std::string, std::less<>>;

struct Request {
  std::string method;     // "GET", "POST", ...
  std::string path;       // decoded, normalised, base_path stripped ("/login/authorized")
  std::string raw_query;  // as received, without '?'
  std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
  std::vector<std::pair<std::string, std::string>> cookies;  // in header order
  std::vector<std::pair<std::string, std::string>> form;     // decoded url-encoded body
  std::string client_address;
  std::string authorization;  // the Authorization header (bearer tokens at /auth)
  std::string original_uri;   // REQUEST_URI: in an nginx subrequest, the visitor's own URI
  // LATCHKEY_RULES set by the web server's configuration (Apache: the visitor's own query
  // reaches an authorizer, so rules cannot travel there); when set, it replaces the query.
  std::optional<std::string> location_rules;
  std::string sec_fetch_site;         // Sec-Fetch-Site, empty when not sent
  std::optional<std::string> origin;  // Origin, when sent ("null" counts as sent)
  // FastCGI AUTHORIZER role (FCGI_ROLE, set by libfcgi from the web server's begin record):
  // the request is the visitor's own, to a protected URL; it is always the gate's question.
  bool authorizer = false;
  std::optional<std::string> return_uri;  // kReturnUriParam, when the web server set it

  // First value of a query parameter / cookie / form field, if any.
  std::optional<std::string_view> queryParam(std::string_view name) const;
  std::optional<std::string_view> cookie(std::string_view name) const;
  std::optional<std::string_view> formField(std::string_view name) const;
};

// RFC 6265 §5.2-style lenient parse of a Cookie header: pairs without '=' and junk are
// skipped, never fatal; at most kMaxCookies pairs are kept. Values are not decoded;
// surrounding double quotes are removed.
std::vector<std::pair<std::string, std::string>> parseCookieHeader(std::string_view header);

// Parses a query string or url-encoded body. Malformed escapes make the whole input
// a kBadRequest (a client that sends them is not a browser we must be lenient with).
Result<std::vector<std::pair<std::string, std::string>>> parseUrlEncoded(std::string_view text);

// Percent-decodes a path and normalises it: collapses "//", resolves "." and "..".
// kBadRequest for NUL and other control characters, malformed escapes, ".." above the root,
// or a path not starting with '/'. "%2F" decodes to a separator (as nginx's $uri does); a
// trailing slash is kept, because routing is exact ("/login/" is not "/login").
Result<std::string> normalizePath(std::string_view raw_path);

// Builds a Request from CGI/FastCGI params and the body. Routing uses DOCUMENT_URI (nginx)
// because REQUEST_URI is the visitor's original URI inside an auth_request subrequest;
// without DOCUMENT_URI (Apache, CGI) it uses the path of REQUEST_URI, then SCRIPT_NAME +
// PATH_INFO. base_path is stripped; a path outside base_path keeps its full form (404).
Result<Request> requestFromParams(const ParamMap& params, std::string_view body,
                                  std::string_view base_path);

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Set-Cookie may repeat
  std::string body;

  void addHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
  std::optional<std::string_view> header(std::string_view name) const;  // case-insensitive
};

// "Status: 302 Found\r\nName: value\r\n...\r\n\r\n" + body: the CGI/FastCGI response form.
// Response splitting is impossible: CR, LF and NUL in values become spaces, headers whose
// name is not an RFC 9110 token are dropped, and Status/Content-Length are always computed
// here (any handler-supplied ones are dropped).
std::string serializeResponse(const Response& response);

std::string_view reasonPhrase(int status);

}  // namespace latchkey
