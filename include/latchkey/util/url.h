// The one parser of absolute URLs (RFC 3986 §3), shared by the configuration checks and the
// return-address check, so both read a URL the same way.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace latchkey {

struct Url {
  std::string scheme;           // lower case
  std::string host;             // lower case; IPv6 literals keep their brackets
  int port = 0;                 // 0 when the URL names none
  std::string path;             // may be empty
  std::string after_authority;  // path, query and fragment exactly as written
  bool has_userinfo = false;
  bool has_query = false;
  bool has_fragment = false;
};

// "scheme://authority[path][?query][#fragment]". nullopt for anything else, and for control
// characters or spaces anywhere, a host of other than ASCII letters, digits, '.', '-', '_'
// (so no percent-encoding and no raw Unicode: IDNs must be written in punycode), a bad IPv6
// literal or a port outside 1-65535. Userinfo is skipped and reported in has_userinfo.
std::optional<Url> parseAbsoluteUrl(std::string_view text);

// localhost, 127.0.0.0/8 as a dotted quad, or [::1]: where http is allowed.
bool isLoopbackHost(std::string_view host);

// Where tokens and codes may travel: https, or http to a loopback host without userinfo.
bool isHttpsOrLoopbackUrl(std::string_view url);

}  // namespace latchkey
