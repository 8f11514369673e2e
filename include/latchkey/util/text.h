// Small byte-level text helpers shared by every layer. ASCII only where the name says so:
// protocol names (header names, schemes, e-mail domains) are ASCII, and locale-dependent
// case mapping would make a check differ between machines.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace latchkey {

// C0 controls and DEL: what must never reach a header, a log line or a Location.
constexpr bool isControlChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}
bool hasControlChar(std::string_view text);

std::string toLowerAscii(std::string_view text);
std::string toUpperAscii(std::string_view text);
bool equalsIgnoreCaseAscii(std::string_view a, std::string_view b);

// Well-formed UTF-8 (RFC 3629 §4): no overlong forms, no surrogates, nothing above U+10FFFF.
bool isValidUtf8(std::string_view text);

// At most max bytes, cut before a UTF-8 sequence rather than inside it.
std::string_view truncateUtf8(std::string_view text, size_t max);

// Text from a peer made safe to quote in a log line: printable ASCII except '"' and '\',
// everything else as '?', cut at max bytes with "..." appended.
std::string sanitizeForLog(std::string_view text, size_t max = 200);

// The values with separator between them ("a,b" or "openid email").
std::string join(const std::vector<std::string>& values, std::string_view separator);

}  // namespace latchkey
