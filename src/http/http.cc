// Request parsing and response serialisation for the CGI/FastCGI response form.
#include "latchkey/http/http.h"

#include <algorithm>
#include <array>

#include "latchkey/util/encoding.h"
#include "latchkey/util/text.h"

namespace latchkey {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kFormContentType = "application/x-www-form-urlencoded";

std::string_view trim(std::string_view s) {
  // RFC 6265 §5.2: optional whitespace is SP and HTAB.
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<std::string_view> firstValue(const Pairs& pairs, std::string_view name) {
  for (const auto& [key, value] : pairs) {
    if (key == name) {
      return std::string_view(value);
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> param(const ParamMap& params, std::string_view name) {
  auto it = params.find(name);
  if (it == params.end()) {
    return std::nullopt;
  }
  return std::string_view(it->second);
}

// Picks the routing path: DOCUMENT_URI (nginx; inside an auth_request subrequest REQUEST_URI
// is the visitor's original URI, not ours), else REQUEST_URI without its query, else the
// CGI pair SCRIPT_NAME + PATH_INFO (Apache, plain CGI).
std::string rawRequestPath(const ParamMap& params) {
  if (auto document_uri = param(params, "DOCUMENT_URI"); document_uri && !document_uri->empty()) {
    return std::string(*document_uri);
  }
  if (auto request_uri = param(params, "REQUEST_URI"); request_uri && !request_uri->empty()) {
    return std::string(request_uri->substr(0, request_uri->find('?')));
  }
  return std::string(param(params, "SCRIPT_NAME").value_or("")) +
         std::string(param(params, "PATH_INFO").value_or(""));
}

// base_path "/oauth2" owns "/oauth2" and "/oauth2/..." but not "/oauth2x".
std::string stripBasePath(std::string path, std::string_view base_path) {
  while (!base_path.empty() && base_path.back() == '/') {
    base_path.remove_suffix(1);
  }
  if (base_path.empty() || !path.starts_with(base_path)) {
    return path;
  }
  if (path.size() == base_path.size()) {
    return "/";
  }
  if (path[base_path.size()] == '/') {
    return path.substr(base_path.size());
  }
  return path;
}

bool isFormContentType(std::string_view content_type) {
  // Media type parameters (";charset=UTF-8") do not change the encoding of the body.
  return equalsIgnoreCaseAscii(trim(content_type.substr(0, content_type.find(';'))),
                               kFormContentType);
}

// RFC 9110 §5.6.2 token characters, as a table: every response header name is checked.
constexpr std::array<bool, 256> kHeaderNameChars = [] {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c)
    table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c)
    table[c] = table[c - 'A' + 'a'] = true;
  for (const char c : std::string_view("!#$%&'*+-.^_`|~"))
    table[static_cast<unsigned char>(c)] = true;
  return table;
}();

bool isHeaderNameChar(char c) {
  return kHeaderNameChars[static_cast<unsigned char>(c)];
}

bool isValidHeaderName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), isHeaderNameChar);
}

// Response splitting (CWE-113) must be impossible whatever a handler puts in a value, and
// an upstream must never see a control character (ESC, BEL, VT... in a name shown in a
// terminal or log): every C0 control and DEL becomes a space.
std::string sanitizeHeaderValue(std::string_view value) {
  std::string out(value);
  std::replace_if(
      out.begin(), out.end(),
      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == '\x7f'; }, ' ');
  return out;
}

}  // namespace

std::optional<std::string_view> Request::queryParam(std::string_view name) const {
  return firstValue(query, name);
}

std::optional<std::string_view> Request::cookie(std::string_view name) const {
  return firstValue(cookies, name);
}

std::optional<std::string_view> Request::formField(std::string_view name) const {
  return firstValue(form, name);
}

Pairs parseCookieHeader(std::string_view header) {
  Pairs cookies;
  while (!header.empty() && cookies.size() < kMaxCookies) {
    const size_t end = header.find(';');
    std::string_view pair = trim(header.substr(0, end));
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);

    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    std::string_view name = trim(pair.substr(0, eq));
    std::string_view value = trim(pair.substr(eq + 1));
    if (name.empty()) {
      continue;
    }
    // RFC 6265 §4.1.1: cookie-value may be wrapped in DQUOTEs, which are not part of it.
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    cookies.emplace_back(name, value);
  }
  return cookies;
}

Result<Pairs> parseUrlEncoded(std::string_view text) {
  Pairs pairs;
  while (!text.empty()) {
    const size_t end = text.find('&');
    std::string_view segment = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (segment.empty()) {
      continue;
    }
    const size_t eq = segment.find('=');
    std::string_view raw_key = segment.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : segment.substr(eq + 1);
    auto key = percentDecode(raw_key, /*plus_is_space=*/true);
    auto value = percentDecode(raw_value, /*plus_is_space=*/true);
    if (!key || !value) {
      return makeError(Errc::kBadRequest, "malformed percent-escape in url-encoded data");
    }
    pairs.emplace_back(std::move(*key), std::move(*value));
  }
  return pairs;
}

// Decodes once, then applies RFC 3986 §5.2.4 remove_dot_segments on '/'-separated segments.
// Decisions: "%2F" decodes to '/' and separates segments (as nginx does for $uri), so an
// encoded "%2e%2e" cannot smuggle a ".." past us; a trailing slash is kept because routing
// is exact ("/login/" is not "/login").
Result<std::string> normalizePath(std::string_view raw_path) {
  // Checked before decoding: "%2Flogin" is not an absolute path.
  if (raw_path.empty() || raw_path.front() != '/') {
    return makeError(Errc::kBadRequest, "path does not start with '/'");
  }
  auto decoded = percentDecode(raw_path, /*plus_is_space=*/false);
  if (!decoded) {
    return makeError(Errc::kBadRequest, "malformed percent-escape in path");
  }
  const std::string& path = *decoded;
  for (char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return makeError(Errc::kBadRequest, "control character in path");
    }
  }

  std::vector<std::string_view> segments;
  bool trailing_slash = false;
  std::string_view rest(path);
  rest.remove_prefix(1);
  while (true) {
    const size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    const bool last = slash == std::string_view::npos;
    if (segment == "..") {
      if (segments.empty()) {
        return makeError(Errc::kBadRequest, "path climbs above the root");
      }
      segments.pop_back();
      trailing_slash = last;
    } else if (segment == "." || segment.empty()) {
      trailing_slash = last ? true : trailing_slash;
    } else {
      segments.push_back(segment);
      trailing_slash = false;
    }
    if (last) {
      break;
    }
    rest.remove_prefix(slash + 1);
  }

  std::string out;
  for (std::string_view segment : segments) {
    out += '/';
    out += segment;
  }
  if (out.empty() || trailing_slash) {
    out += '/';
  }
  return out;
}

Result<Request> requestFromParams(const ParamMap& params, std::string_view body,
                                  std::string_view base_path) {
  Request request;
  request.method = std::string(param(params, "REQUEST_METHOD").value_or(""));
  if (request.method.empty()) {
    return makeError(Errc::kBadRequest, "REQUEST_METHOD missing");
  }
  // An authorizer (mod_fcgid's FcgidAccessChecker, mod_authnz_fcgi) is asked about the
  // visitor's URL, whatever it is: the answer is /auth's.
  request.authorizer = param(params, "FCGI_ROLE") == "AUTHORIZER";
  if (request.authorizer) {
    request.path = "/auth";
  } else {
    auto path = normalizePath(rawRequestPath(params));
    if (!path) {
      return path.error();
    }
    request.path = stripBasePath(std::move(*path), base_path);
  }

  request.raw_query = std::string(param(params, "QUERY_STRING").value_or(""));
  auto query = parseUrlEncoded(request.raw_query);
  if (!query) {
    return query.error();
  }
  request.query = std::move(*query);

  if (auto cookie_header = param(params, "HTTP_COOKIE")) {
    request.cookies = parseCookieHeader(*cookie_header);
  }
  if (isFormContentType(param(params, "CONTENT_TYPE").value_or(""))) {
    if (body.size() > kMaxBodyBytes) {
      return makeError(Errc::kBodyTooLarge, "form body over the limit");
    }
    auto form = parseUrlEncoded(body);
    if (!form) {
      return form.error();
    }
    request.form = std::move(*form);
  }

  request.client_address = std::string(param(params, "REMOTE_ADDR").value_or(""));
  request.authorization = std::string(param(params, "HTTP_AUTHORIZATION").value_or(""));
  request.original_uri = std::string(param(params, "REQUEST_URI").value_or(""));
  if (auto rules = param(params, "LATCHKEY_RULES")) {
    request.location_rules = std::string(*rules);
  } else if (request.authorizer) {
    request.location_rules = std::string();  // the visitor's query is never read as rules
  }
  request.sec_fetch_site = std::string(param(params, "HTTP_SEC_FETCH_SITE").value_or(""));
  if (auto origin = param(params, "HTTP_ORIGIN")) {
    request.origin = std::string(*origin);
  }
  if (auto return_uri = param(params, kReturnUriParam)) {
    request.return_uri = std::string(*return_uri);
  }
  return request;
}

std::optional<std::string_view> Response::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (equalsIgnoreCaseAscii(key, name)) {
      return std::string_view(value);
    }
  }
  return std::nullopt;
}

std::string serializeResponse(const Response& response) {
  const int status = response.status >= 100 && response.status <= 599 ? response.status : 500;
  std::string out = "Status: " + std::to_string(status) + " " + std::string(reasonPhrase(status));
  out += "\r\n";
  for (const auto& [name, value] : response.headers) {
    // A name that is not a token could itself split the response. "Status" and
    // "Content-Length" are ours alone: a wrong length would desynchronise the web server.
    if (!isValidHeaderName(name) || equalsIgnoreCaseAscii(name, "Status") ||
        equalsIgnoreCaseAscii(name, "Content-Length")) {
      continue;
    }
    out += name;
    out += ": ";
    out += sanitizeHeaderValue(value);
    out += "\r\n";
  }
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += "\r\n";
  out += response.body;
  return out;
}

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

}  // namespace latchkey
