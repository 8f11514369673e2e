// Absolute URL parsing for configured URLs and return addresses (RFC 3986 §3).
#include "latchkey/util/url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "latchkey/util/text.h"

namespace latchkey {
namespace {

bool isAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool isHostChar(char c) {
  return isAsciiAlnum(c) || c == '.' || c == '-' || c == '_';
}

bool isSchemeChar(char c) {
  return isAsciiAlnum(c) || c == '+' || c == '-' || c == '.';
}

// Decimal digits only (no sign, no space) within [low, high].
std::optional<int> decimalIn(std::string_view digits, int low, int high) {
  if (digits.empty() || digits.size() > 5 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  int value = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (value < low || value > high) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::optional<Url> parseAbsoluteUrl(std::string_view text) {
  if (std::any_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f;
      })) {
    return std::nullopt;
  }
  const size_t sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return std::nullopt;
  }
  Url url;
  url.scheme = toLowerAscii(text.substr(0, sep));
  if (std::isalpha(static_cast<unsigned char>(url.scheme[0])) == 0 ||
      !std::all_of(url.scheme.begin(), url.scheme.end(), isSchemeChar)) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(sep + 3);
  const size_t authority_end = std::min(rest.find_first_of("/?#"), rest.size());
  std::string_view authority = rest.substr(0, authority_end);
  rest.remove_prefix(authority_end);
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    url.has_userinfo = true;
    authority.remove_prefix(at + 1);
  }
  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    host = authority.substr(0, close + 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        return std::nullopt;
      }
      has_port = true;
      port = after.substr(1);
    }
    const std::string_view inside = host.substr(1, host.size() - 2);
    if (inside.empty() || !std::all_of(inside.begin(), inside.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
        })) {
      return std::nullopt;
    }
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port = authority.substr(colon + 1);
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), isHostChar)) {
      return std::nullopt;
    }
  }
  if (has_port) {
    const auto number = decimalIn(port, 1, 65535);
    if (!number) {
      return std::nullopt;
    }
    url.port = *number;
  }
  url.host = toLowerAscii(host);
  url.after_authority = std::string(rest);
  const size_t path_end = std::min(rest.find_first_of("?#"), rest.size());
  url.path = std::string(rest.substr(0, path_end));
  url.has_query = rest.find('?') != std::string_view::npos &&
                  rest.find('?') < std::min(rest.find('#'), rest.size());
  url.has_fragment = rest.find('#') != std::string_view::npos;
  return url;
}

// http is allowed on localhost, 127.0.0.0/8 and [::1] only (README "Configuration"):
// nothing on the way can read a loopback connection.
bool isLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "[::1]") {
    return true;
  }
  if (!host.starts_with("127.")) {
    return false;
  }
  int parts = 0;
  size_t begin = 0;
  while (begin <= host.size()) {
    const size_t dot = std::min(host.find('.', begin), host.size());
    if (!decimalIn(host.substr(begin, dot - begin), 0, 255) || dot - begin > 3) {
      return false;
    }
    ++parts;
    begin = dot + 1;
  }
  return parts == 4;
}

bool isHttpsOrLoopbackUrl(std::string_view url) {
  const auto parsed = parseAbsoluteUrl(url);
  if (!parsed) {
    return false;
  }
  return parsed->scheme == "https" ||
         (parsed->scheme == "http" && !parsed->has_userinfo && isLoopbackHost(parsed->host));
}

}  // namespace latchkey
