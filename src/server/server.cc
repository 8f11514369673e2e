// The transport-independent part of the front ends: size caps, the exception barrier,
// and the plain CGI front end.
#include "latchkey/server/server.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <exception>
#include <string>

#include "latchkey/util/environment.h"
#include "server/request_limits.h"


namespace latchkey {
namespace {

// RFC 3875 §4.1 meta-variables plus what nginx and Apache add. Only these, and HTTP_*,
// are taken from the CGI environment: the rest of it (LATCHKEY_CLIENT_SECRET, PATH, ...)
// is not request data and must not count against the size cap or reach a handler.
constexpr std::string_view kCgiVariables[] = {
    "AUTH_TYPE",      "CONTENT_LENGTH", "CONTENT_TYPE",    "DOCUMENT_URI",   "GATEWAY_INTERFACE",
    "HTTPS",          "PATH_INFO",      "QUERY_STRING",    "REMOTE_ADDR",    "REMOTE_PORT",
    "REQUEST_METHOD", "REQUEST_SCHEME", "REQUEST_URI",     "SCRIPT_NAME",    "SERVER_NAME",
    "SERVER_PORT",    "SERVER_PROTOCOL", "SERVER_SOFTWARE", "CONTEXT_PREFIX",
};

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

std::string_view clientOf(const ParamMap& params) {
  auto it = params.find("REMOTE_ADDR");
  return it == params.end() ? std::string_view() : std::string_view(it->second);
}

Response refuse(const Logger& log, const ParamMap& params, int status, std::string_view reason) {
  log.log(LogLevel::kWarn, "request_refused", {{"client", clientOf(params)}, {"reason", reason}});
  return plainError(status);
}

bool isCgiVariable(std::string_view name) {
  if (name.starts_with("HTTP_")) {
    return true;
  }
  for (std::string_view known : kCgiVariables) {
    if (name == known) {
      return true;
    }
  }
  return false;
}

ParamMap cgiParamsFromEnvironment() {
  ParamMap params;
  for (auto& [name, value] : processEnvironment()) {
    if (isCgiVariable(name)) {
      params.emplace(name, std::move(value));
    }
  }
  return params;
}

bool writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string readBody(int fd, size_t length) {
  std::string body(length, '\0');
  size_t got = 0;
  while (got < length) {
    const ssize_t n = ::read(fd, body.data() + got, length - got);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;  // a short body is caught by guardedHandle
    }
    got += static_cast<size_t>(n);
  }
  body.resize(got);
  return body;
}

}  // namespace

size_t bodyBytesToRead(const ParamMap& params) {
  if (paramsBytes(params) > kMaxParamsBytes) {
    return 0;
  }
  const auto length = declaredContentLength(params);
  return length && *length <= kMaxBodyBytes ? *length : 0;
}

Response guardedHandle(const RequestHandler& handler, const ParamMap& params,
                       std::string_view body, const Logger& log) {
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
  // The last line of defence (STYLE §6.4): one request's bad_alloc or bug must not take
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

int runCgi(const RequestHandler& handler, const Logger& log) {
  const ParamMap params = cgiParamsFromEnvironment();
  const std::string body = readBody(STDIN_FILENO, bodyBytesToRead(params));
  const Response response = guardedHandle(handler, params, body, log);
  if (!writeAll(STDOUT_FILENO, serializeResponse(response))) {
    log.log(LogLevel::kWarn, "response_write_failed", {{"client", clientOf(params)}});
  }
  return 0;
}

}  // namespace latchkey
