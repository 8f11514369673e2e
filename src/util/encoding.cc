// Byte and text encodings. Every decoder is strict and total: it walks the input once,
// never reads past the end, and answers nullopt for anything it did not expect.
#include "latchkey/util/encoding.h"

#include <array>

namespace latchkey {
namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";
constexpr char kStdAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr uint8_t kInvalid = 0xff;

using DecodeTable = std::array<uint8_t, 256>;

constexpr DecodeTable makeDecodeTable(const char* alphabet) {
  DecodeTable table{};
  for (auto& entry : table)
    entry = kInvalid;
  for (uint8_t i = 0; i < 64; ++i)
    table[static_cast<uint8_t>(alphabet[i])] = i;
  return table;
}

constexpr DecodeTable kStdTable = makeDecodeTable(kStdAlphabet);
constexpr DecodeTable kUrlTable = makeDecodeTable(kUrlAlphabet);

std::string encode(std::string_view data, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t n = (static_cast<uint32_t>(static_cast<uint8_t>(data[i])) << 16) |
                       (static_cast<uint32_t>(static_cast<uint8_t>(data[i + 1])) << 8) |
                       static_cast<uint8_t>(data[i + 2]);
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.push_back(alphabet[(n >> 6) & 63]);
    out.push_back(alphabet[n & 63]);
  }
  const size_t rest = data.size() - i;
  if (rest == 0)
    return out;
  uint32_t n = static_cast<uint32_t>(static_cast<uint8_t>(data[i])) << 16;
  if (rest == 2)
    n |= static_cast<uint32_t>(static_cast<uint8_t>(data[i + 1])) << 8;
  out.push_back(alphabet[(n >> 18) & 63]);
  out.push_back(alphabet[(n >> 12) & 63]);
  if (rest == 2)
    out.push_back(alphabet[(n >> 6) & 63]);
  if (pad)
    out.append(rest == 1 ? "==" : "=");
  return out;
}

// Decodes unpadded text. Rejects a length that cannot come from an encoder (1 mod 4) and
// non-zero leftover bits (RFC 4648 §3.5): otherwise two different strings would decode to
// the same bytes, and a MAC over the text would not pin down the value.
std::optional<std::string> decodeUnpadded(std::string_view text, const DecodeTable& table) {
  const size_t groups = text.size() / 4;
  const size_t rest = text.size() % 4;
  if (rest == 1)
    return std::nullopt;
  // Sized once and written through a pointer: this runs on every cookie of every request.
  std::string out(groups * 3 + (rest == 0 ? 0 : rest - 1), '\0');
  const auto* in = reinterpret_cast<const uint8_t*>(text.data());  // NOLINT
  char* o = out.data();
  for (size_t g = 0; g < groups; ++g, in += 4, o += 3) {
    const uint32_t a = table[in[0]], b = table[in[1]], c = table[in[2]], d = table[in[3]];
    if (((a | b | c | d) & 0x80) != 0)
      return std::nullopt;  // kInvalid has the top bit
    const uint32_t n = (a << 18) | (b << 12) | (c << 6) | d;
    o[0] = static_cast<char>(n >> 16);
    o[1] = static_cast<char>((n >> 8) & 0xff);
    o[2] = static_cast<char>(n & 0xff);
  }
  if (rest == 0)
    return out;
  const uint32_t a = table[in[0]];
  const uint32_t b = table[in[1]];
  const uint32_t c = rest == 3 ? table[in[2]] : 0;
  if (((a | b | c) & 0x80) != 0)
    return std::nullopt;
  // The unused low bits of the last character must be zero.
  if ((rest == 2 && (b & 0x0f) != 0) || (rest == 3 && (c & 0x03) != 0))
    return std::nullopt;
  const uint32_t n = (a << 18) | (b << 12) | (c << 6);
  o[0] = static_cast<char>(n >> 16);
  if (rest == 3)
    o[1] = static_cast<char>((n >> 8) & 0xff);
  return out;
}

bool isUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int hexValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// Length of the well-formed UTF-8 sequence at the start of s (RFC 3629 §4: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0 when it is not one.
size_t utf8SequenceLength(std::string_view s) {
  const auto b0 = static_cast<uint8_t>(s[0]);
  if (b0 < 0x80)
    return 1;
  size_t len = 0;
  uint8_t lo = 0x80;
  uint8_t hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
    if (b0 == 0xe0)
      lo = 0xa0;  // overlong
    if (b0 == 0xed)
      hi = 0x9f;  // surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
    if (b0 == 0xf0)
      lo = 0x90;  // overlong
    if (b0 == 0xf4)
      hi = 0x8f;  // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < len)
    return 0;
  const auto b1 = static_cast<uint8_t>(s[1]);
  if (b1 < lo || b1 > hi)
    return 0;
  for (size_t i = 2; i < len; ++i) {
    const auto b = static_cast<uint8_t>(s[i]);
    if (b < 0x80 || b > 0xbf)
      return 0;
  }
  return len;
}

void appendUnicodeEscape(std::string& out, unsigned code) {
  out.append("\\u");
  for (int shift = 12; shift >= 0; shift -= 4)
    out.push_back(kHexUpper[(code >> shift) & 0xf]);
}

}  // namespace

std::string base64Encode(std::string_view data) {
  return encode(data, kStdAlphabet, true);
}

std::optional<std::string> base64Decode(std::string_view text) {
  // Padding, when present, must make the length a multiple of 4 and be at most "==".
  size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=')
    ++pad;
  if (pad > 0) {
    if (text.size() % 4 != 0)
      return std::nullopt;
    text.remove_suffix(pad);
    if (text.size() % 4 != 4 - pad)
      return std::nullopt;
  }
  return decodeUnpadded(text, kStdTable);
}

std::string base64UrlEncode(std::string_view data) {
  return encode(data, kUrlAlphabet, false);
}

std::optional<std::string> base64UrlDecode(std::string_view text) {
  return decodeUnpadded(text, kUrlTable);
}

std::optional<std::string> percentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (text.size() - i < 3)
        return std::nullopt;
      const int hi = hexValue(text[i + 1]);
      const int lo = hexValue(text[i + 2]);
      if (hi < 0 || lo < 0)
        return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string urlEncode(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 3);
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (isUnreserved(u)) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHexUpper[u >> 4]);
      out.push_back(kHexUpper[u & 0xf]);
    }
  }
  return out;
}

std::string htmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char c : text) {
    switch (c) {
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      case '"':
        out.append("&quot;");
        break;
      case '\'':
        out.append("&#39;");
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// RFC 8259 §7 plus: '<' '>' '&' as \u escapes so the text is also safe inside an HTML
// <script> block, U+2028/U+2029 escaped for old JavaScript parsers, and every byte that is
// not part of well-formed UTF-8 replaced by U+FFFD, because RFC 8259 §8.1 requires UTF-8.
std::string jsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<uint8_t>(text[i]);
    if (c >= 0x80) {
      const size_t len = utf8SequenceLength(text.substr(i));
      if (len == 0) {
        out.append("\xEF\xBF\xBD");  // U+FFFD REPLACEMENT CHARACTER
        ++i;
        continue;
      }
      const std::string_view seq = text.substr(i, len);
      if (seq == "\xE2\x80\xA8" || seq == "\xE2\x80\xA9") {
        appendUnicodeEscape(out, seq[2] == '\xA8' ? 0x2028 : 0x2029);
      } else {
        out.append(seq);
      }
      i += len;
      continue;
    }
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '<':
      case '>':
      case '&':
        appendUnicodeEscape(out, c);
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          appendUnicodeEscape(out, c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  return out;
}

}  // namespace latchkey
