#include "latchkey/server/request_context.h"

#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <cstdio>

namespace latchkey {
namespace {

struct Current {
  const ParamMap* params = nullptr;
  std::string id;  // made on first use
};
thread_local Current current;

bool isIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

uint32_t processPrefix() {
  static const uint32_t prefix = [] {
    uint32_t value = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value) != 1) {
      value = 0;  // ids stay unique within the process through the counter
    }
    return value;
  }();
  return prefix;
}

}  // namespace

std::string requestIdFor(const ParamMap& params) {
  const auto it = params.find("HTTP_X_REQUEST_ID");
  if (it != params.end() && !it->second.empty() && it->second.size() <= 64 &&
      std::all_of(it->second.begin(), it->second.end(), isIdChar)) {
    return it->second;
  }
  static std::atomic<uint32_t> counter{0};
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%08x%08x", processPrefix(),
                counter.fetch_add(1, std::memory_order_relaxed));
  return std::string(buffer, 16);
}

RequestScope::RequestScope(const ParamMap& params) {
  current.params = &params;
  current.id.clear();
}

RequestScope::~RequestScope() {
  current.params = nullptr;
  current.id.clear();
}

std::string_view currentRequestId() {
  if (current.params != nullptr && current.id.empty()) {
    current.id = requestIdFor(*current.params);
  }
  return current.id;
}

}  // namespace latchkey
