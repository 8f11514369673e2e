// Client address allow-lists ("127.0.0.0/8 ::1 10.1.2.3"), matched against REMOTE_ADDR.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace latchkey {

// An IPv4 or IPv6 network. IPv4 is kept as an IPv4-mapped IPv6 address (::ffff:a.b.c.d,
// RFC 4291 §2.5.5.2), so "127.0.0.1" also matches a dual-stack server's "::ffff:127.0.0.1".
struct AddressRange {
  std::array<uint8_t, 16> network{};
  int prefix_bits = 128;

  bool operator==(const AddressRange&) const = default;
};

// "192.0.2.0/24", "2001:db8::/32", or a single address (a /32 or /128). Host bits set below
// the prefix are refused (nullopt): "10.0.0.1/8" is more likely a typo than a wish.
std::optional<AddressRange> parseAddressRange(std::string_view text);

// True when address (REMOTE_ADDR text) is a valid address inside one of ranges.
bool addressAllowed(std::string_view address, const std::vector<AddressRange>& ranges);

// 127.0.0.0/8 and ::1: the default for who may read /metrics.
std::vector<AddressRange> loopbackRanges();

}  // namespace latchkey
