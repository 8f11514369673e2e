#include "server/access_log.h"

namespace latchkey {
namespace {

constexpr size_t kMaxUriBytes = 512;

}  // namespace

std::string visitorUri(const ParamMap& params) {
  auto it = params.find("HTTP_X_ORIGINAL_URI");
  if (it == params.end() || it->second.empty()) {
    it = params.find("REQUEST_URI");
  }
  if (it == params.end()) {
    return {};
  }
  std::string_view uri = it->second;
  uri = uri.substr(0, uri.find_first_of("?#"));
  if (uri.size() > kMaxUriBytes) {
    uri = uri.substr(0, kMaxUriBytes);
    while (!uri.empty() && (static_cast<unsigned char>(uri.back()) & 0xC0) == 0x80) {
      uri.remove_suffix(1);  // no half UTF-8 character at the cut
    }
  }
  return std::string(uri);
}

void logAccess(const Logger& log, const AccessRecord& record) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(record.elapsed).count();
  log.log(LogLevel::kInfo, "request",
          {{"client", record.client},
           {"method", record.method},
           {"route", record.route},
           {"uri", record.uri},
           {"status", std::to_string(record.status)},
           {"latency_us", std::to_string(micros)}});
}

}  // namespace latchkey
