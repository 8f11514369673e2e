// The "rd" check: where to land after sign-in. Only a local path is honoured; anything that
// a browser could read as another host or a script falls back to "/" (RFC 9700 §4.11:
// open redirectors).
#include <string>
#include <string_view>

#include "latchkey/app.h"
#include "latchkey/encoding.h"

namespace latchkey {
namespace {

constexpr size_t kMaxReturnPathBytes = 2048;

bool isControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

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
  for (unsigned char c : path) {
    if (isControl(c) || c == '\\') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string safeReturnPath(std::string_view rd) {
  if (rd.size() > kMaxReturnPathBytes || !looksLocal(rd)) {
    return "/";
  }
  // Encoded forms ("/%2F%2Fevil", "/%5Cevil", "%0d%0a") must pass the same test once
  // decoded, for whatever sits behind us that decodes again.
  std::string current(rd);
  for (int round = 0; round < 3 && current.find('%') != std::string::npos; ++round) {
    auto decoded = percentDecode(current, false);
    if (!decoded || !looksLocal(*decoded)) {
      return "/";
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

}  // namespace latchkey
