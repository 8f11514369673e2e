// The "rd" check: where to land after sign-in. A local path is honoured, and an absolute https
// URL whose host is listed in allowed_redirect_domains; anything else that a browser could
// read as another host or a script falls back to "/" (RFC 9700 §4.11: open redirectors).
#include "latchkey/app/return_path.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "latchkey/app/router.h"
#include "latchkey/util/encoding.h"
#include "latchkey/util/text.h"
#include "latchkey/util/url.h"

namespace latchkey {
namespace {

constexpr size_t kMaxReturnPathBytes = 2048;

// A local path starts with exactly one '/' and never with "/\" (browsers treat '\' as '/'),
// and holds no control characters (CR/LF would split the Location header; TAB and NUL are
// stripped by browsers, turning "/\t/evil" into "//evil").
bool looksLocal(std::string_view path) {
  if (path.empty() || path[0] != '/') {
    return false;
  }
  if (path.size() > 1 && (path[1] == '/' || path[1] == '\\')) {
    return false;
  }
  for (char c : path) {
    if (isControlChar(c) || c == '\\') {
      return false;
    }
  }
  return true;
}

// "." or ".." as a path segment, also percent-encoded (%2e): whatever decodes the path later
// would see them as dot segments too.
enum class DotSegment { kNone, kCurrent, kParent };
DotSegment dotSegment(std::string_view segment) {
  std::string dots;
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] == '.') {
      dots += '.';
    } else if (segment[i] == '%' && i + 2 < segment.size() && segment[i + 1] == '2' &&
               (segment[i + 2] == 'e' || segment[i + 2] == 'E')) {
      dots += '.';
      i += 2;
    } else {
      return DotSegment::kNone;
    }
  }
  if (dots == ".") {
    return DotSegment::kCurrent;
  }
  return dots == ".." ? DotSegment::kParent : DotSegment::kNone;
}

// RFC 3986 §5.2.4 remove_dot_segments on the path part (up to '?' or '#') of an absolute
// path, so "/..//evil.example" is judged as the "//evil.example" a browser resolves it to.
std::string withoutDotSegments(std::string_view target) {
  const size_t path_end = std::min(target.find_first_of("?#"), target.size());
  const std::string_view path = target.substr(0, path_end);
  if (path.empty() || path[0] != '/') {
    return std::string(target);
  }
  std::vector<std::string_view> kept;
  size_t pos = 1;
  while (true) {
    const size_t slash = std::min(path.find('/', pos), path.size());
    const std::string_view segment = path.substr(pos, slash - pos);
    const bool last = slash == path.size();
    const DotSegment dot = dotSegment(segment);
    if (dot == DotSegment::kParent && !kept.empty()) {
      kept.pop_back();
    }
    if (dot == DotSegment::kNone) {
      kept.push_back(segment);
    } else if (last) {
      kept.emplace_back();  // "/a/b/.." is "/a/", with its trailing slash
    }
    if (last) {
      break;
    }
    pos = slash + 1;
  }
  std::string out;
  for (const std::string_view segment : kept) {
    out.append("/").append(segment);
  }
  return out.append(target.substr(path_end));
}

// The local path, ASCII-escaped for the Location header, or nullopt when it could lead off-site.
std::optional<std::string> localPath(std::string_view raw_rd) {
  if (raw_rd.size() > kMaxReturnPathBytes || !looksLocal(raw_rd)) {
    return std::nullopt;
  }
  // Dot segments first: the check is on the path the browser will actually request.
  const std::string rd = withoutDotSegments(raw_rd);
  if (!looksLocal(rd)) {
    return std::nullopt;
  }
  // Encoded forms ("/%2F%2Fevil", "/%5Cevil", "%0d%0a") must pass the same test once
  // decoded (and their dot segments removed), for whatever sits behind us that decodes again.
  std::string current(rd);
  for (int round = 0; round < 3 && current.find('%') != std::string::npos; ++round) {
    auto decoded = percentDecode(current, false);
    if (!decoded || !looksLocal(*decoded) || !looksLocal(withoutDotSegments(*decoded))) {
      return std::nullopt;
    }
    current = std::move(*decoded);
  }
  // Keep the header ASCII: escape what a URL may not carry raw.
  std::string out;
  out.reserve(rd.size());
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : rd) {
    if (c > 0x7e || c == ' ' || c == '"' || c == '<' || c == '>') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// RFC 1123 §2.1 host name: dot-separated labels of ASCII letters, digits and inner hyphens.
// Punycode ("xn--...") passes; raw Unicode, '_', '%', empty labels and a trailing dot do not.
bool isHostName(std::string_view host) {
  if (host.empty() || host.size() > 253) {
    return false;
  }
  size_t begin = 0;
  while (begin <= host.size()) {
    const size_t dot = std::min(host.find('.', begin), host.size());
    const std::string_view label = host.substr(begin, dot - begin);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      const bool ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) {
        return false;
      }
    }
    begin = dot + 1;
  }
  return true;
}

bool hostAllowed(const Url& url, const std::vector<RedirectHost>& allowed) {
  if (!isHostName(url.host)) {
    return false;
  }
  for (const RedirectHost& entry : allowed) {
    const bool name_ok =
        entry.subdomains ? url.host.ends_with("." + entry.name) : url.host == entry.name;
    if (name_ok && url.port == entry.port) {
      return true;
    }
  }
  return false;
}

// scheme://host[:port] of a listed host, then a path that passes the local check. Userinfo
// ("https://app.example.com@evil.example"), http to anything but loopback and every host
// the parser or isHostName refuses (encoded dots, backslashes, Unicode) fall back.
std::optional<std::string> absoluteAddress(std::string_view rd,
                                           const std::vector<RedirectHost>& allowed) {
  if (allowed.empty() || rd.size() > kMaxReturnPathBytes) {
    return std::nullopt;
  }
  const auto url = parseAbsoluteUrl(rd);
  if (!url || url->has_userinfo) {
    return std::nullopt;
  }
  const bool secure_scheme =
      url->scheme == "https" || (url->scheme == "http" && isLoopbackHost(url->host));
  if (!secure_scheme || !hostAllowed(*url, allowed)) {
    return std::nullopt;
  }
  // "https://app.example.com?x" has an empty path: it is "/?x" (RFC 3986 §6.2.3).
  std::string rest = url->after_authority;
  if (rest.empty() || rest.front() != '/') {
    rest.insert(0, "/");
  }
  auto path = localPath(rest);
  if (!path) {
    return std::nullopt;
  }
  std::string out = url->scheme + "://" + url->host;
  if (url->port != 0) {
    out += ":" + std::to_string(url->port);
  }
  return out + *path;
}

}  // namespace

std::optional<RedirectHost> parseRedirectHost(std::string_view entry) {
  RedirectHost host;
  if (entry.starts_with('.')) {
    host.subdomains = true;
    entry.remove_prefix(1);
  }
  if (const size_t colon = entry.rfind(':'); colon != std::string_view::npos) {
    // The shared URL parser reads the port the same way it will read it in rd.
    const auto url = parseAbsoluteUrl("https://x" + std::string(entry.substr(colon)));
    if (!url || url->port == 0 || !url->after_authority.empty()) {
      return std::nullopt;
    }
    host.port = url->port;
    entry = entry.substr(0, colon);
  }
  if (!isHostName(entry)) {
    return std::nullopt;
  }
  host.name.reserve(entry.size());
  for (char c : entry) {
    host.name += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  return host;
}

std::string safeReturnPath(std::string_view rd) {
  return localPath(rd).value_or("/");
}

std::string safeReturnAddress(std::string_view rd, const std::vector<RedirectHost>& allowed) {
  if (auto path = localPath(rd)) {
    return std::move(*path);
  }
  return absoluteAddress(rd, allowed).value_or("/");
}

}  // namespace latchkey
