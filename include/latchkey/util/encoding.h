// Byte and text encodings: base64, base64url, percent-encoding, HTML and JSON escaping.
// All decoders are strict and total: any input gives a value or nullopt, never a crash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace latchkey {

using Bytes = std::vector<uint8_t>;

inline std::string_view asStringView(const Bytes& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};  // NOLINT
}
inline Bytes toBytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

// RFC 4648 §4 with padding.
std::string base64Encode(std::string_view data);
// Accepts padded or unpadded standard base64; ignores no characters (no whitespace).
std::optional<std::string> base64Decode(std::string_view text);

// RFC 4648 §5 without padding (JOSE, cookies).
std::string base64UrlEncode(std::string_view data);
// Rejects padding, whitespace, and non-canonical trailing bits.
std::optional<std::string> base64UrlDecode(std::string_view text);

// application/x-www-form-urlencoded component decoding ('+' is a space when plus_is_space).
// nullopt for a malformed escape ("%G1", "%4").
std::optional<std::string> percentDecode(std::string_view text, bool plus_is_space);
// Encodes everything but RFC 3986 unreserved characters.
std::string urlEncode(std::string_view text);

// Escapes & < > " ' for text and attribute values.
std::string htmlEscape(std::string_view text);
// Escapes a string for inclusion inside a JSON string literal (no surrounding quotes).
std::string jsonEscape(std::string_view text);

}  // namespace latchkey
