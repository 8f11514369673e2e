// What both front ends do around the handler, whatever the transport: the size caps and the
// exception barrier.
#include "server/request_guard.h"

#include <charconv>
#include <exception>
#include <string>

#include "latchkey/server/server.h"
#include "latchkey/util/log.h"

namespace latchkey {
namespace {

size_t paramsBytes(const ParamMap& params) {
  size_t total = 0;
  for (const auto& [name, value] : params) {
    total += name.size() + value.size();
  }
  return total;
}

// CONTENT_LENGTH per RFC 3875 §4.1.2: absent or empty means no body; anything but digits
// is a broken request.
std::optional<size_t> declaredContentLength(const ParamMap& params) {
  auto it = params.find("CONTENT_LENGTH");
  if (it == params.end() || it->second.empty()) {
    return 0;
  }
  const std::string& text = it->second;
  size_t length = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), length);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return length;
}

Response plainError(int status) {
  Response response;
  response.status = status;
  response.addHeader("Content-Type", "text/plain; charset=utf-8");
  response.addHeader("Cache-Control", "no-store");
  response.addHeader("X-Content-Type-Options", "nosniff");
  response.body = std::to_string(status) + " " + std::string(reasonPhrase(status)) + "\n";
  return response;
}

Response refuse(const Logger& log, const ParamMap& params, int status, std::string_view reason) {
  log.log(LogLevel::kWarn, "request_refused", {{"client", clientOf(params)}, {"reason", reason}});
  return plainError(status);
}

}  // namespace

std::string_view clientOf(const ParamMap& params) {
  auto it = params.find("REMOTE_ADDR");
  return it == params.end() ? std::string_view() : std::string_view(it->second);
}

size_t bodyBytesToRead(const ParamMap& params) {
  if (paramsBytes(params) > kMaxParamsBytes) {
    return 0;
  }
  const auto length = declaredContentLength(params);
  return length && *length <= kMaxBodyBytes ? *length : 0;
}

Response guardedHandle(const RequestHandler& handler, const ParamMap& params, std::string_view body,
                       const Logger& log) {
  if (paramsBytes(params) > kMaxParamsBytes) {
    return refuse(log, params, 400, "params_too_large");
  }
  const auto length = declaredContentLength(params);
  if (!length) {
    return refuse(log, params, 400, "bad_content_length");
  }
  if (*length > kMaxBodyBytes || body.size() > kMaxBodyBytes) {
    return refuse(log, params, 413, "body_too_large");
  }
  if (body.size() < *length) {
    return refuse(log, params, 400, "body_truncated");
  }
  // The last line of defence: one request's bad_alloc or bug must not take
  // the other workers' requests down with it.
  try {
    return handler(params, body);
  } catch (const std::exception& e) {
    log.log(LogLevel::kError, "handler_exception",
            {{"client", clientOf(params)}, {"detail", e.what()}});
  } catch (...) {
    log.log(LogLevel::kError, "handler_exception",
            {{"client", clientOf(params)}, {"detail", "non-standard exception"}});
  }
  return plainError(500);
}

}  // namespace latchkey
