#include "latchkey/app/address_range.h"

#include <arpa/inet.h>

#include <charconv>
#include <string>

namespace latchkey {
namespace {

std::optional<std::array<uint8_t, 16>> parseAddress(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) {
    return std::nullopt;
  }
  const std::string copy(text);
  std::array<uint8_t, 16> bytes{};
  if (text.find(':') == std::string_view::npos) {
    uint8_t v4[4];
    if (inet_pton(AF_INET, copy.c_str(), v4) != 1) {
      return std::nullopt;
    }
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    std::copy(v4, v4 + 4, bytes.begin() + 12);
    return bytes;
  }
  if (inet_pton(AF_INET6, copy.c_str(), bytes.data()) != 1) {
    return std::nullopt;
  }
  return bytes;
}

bool inRange(const std::array<uint8_t, 16>& address, const AddressRange& range) {
  int bits = range.prefix_bits;
  for (size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const auto mask = static_cast<uint8_t>(bits >= 8 ? 0xff : 0xff << (8 - bits));
    if ((address[i] & mask) != (range.network[i] & mask)) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<AddressRange> parseAddressRange(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string_view address_text = text.substr(0, slash);
  const auto address = parseAddress(address_text);
  if (!address) {
    return std::nullopt;
  }
  const bool v4 = address_text.find(':') == std::string_view::npos;
  AddressRange range;
  range.network = *address;
  if (slash != std::string_view::npos) {
    const std::string_view bits_text = text.substr(slash + 1);
    int bits = -1;
    const auto [end, ec] =
        std::from_chars(bits_text.data(), bits_text.data() + bits_text.size(), bits);
    if (ec != std::errc() || end != bits_text.data() + bits_text.size() || bits < 0 ||
        bits > (v4 ? 32 : 128)) {
      return std::nullopt;
    }
    range.prefix_bits = v4 ? 96 + bits : bits;
  }
  AddressRange masked = range;
  masked.network = {};
  for (size_t i = 0; i < 16; ++i) {
    const int left = range.prefix_bits - static_cast<int>(i) * 8;
    const auto mask = static_cast<uint8_t>(left >= 8 ? 0xff : left <= 0 ? 0 : 0xff << (8 - left));
    masked.network[i] = static_cast<uint8_t>(range.network[i] & mask);
  }
  if (masked.network != range.network) {
    return std::nullopt;
  }
  return range;
}

bool addressAllowed(std::string_view address, const std::vector<AddressRange>& ranges) {
  const auto parsed = parseAddress(address);
  if (!parsed) {
    return false;
  }
  for (const AddressRange& range : ranges) {
    if (inRange(*parsed, range)) {
      return true;
    }
  }
  return false;
}

std::vector<AddressRange> loopbackRanges() {
  return {*parseAddressRange("127.0.0.0/8"), *parseAddressRange("::1")};
}

}  // namespace latchkey
