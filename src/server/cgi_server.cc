// The plain CGI front end (RFC 3875): one request from the environment and stdin, one answer
// on stdout, for hosting where no daemon may run.
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "latchkey/server/server.h"
#include "latchkey/util/environment.h"
#include "server/listen_socket.h"
#include "server/request_guard.h"

namespace latchkey {
namespace {

// RFC 3875 §4.1 meta-variables plus what nginx and Apache add. Only these, and HTTP_*,
// are taken from the CGI environment: the rest of it (LATCHKEY_CLIENT_SECRET, PATH, ...)
// is not request data and must not count against the size cap or reach a handler.
constexpr std::string_view kCgiVariables[] = {
    "AUTH_TYPE",      "CONTENT_LENGTH",  "CONTENT_TYPE",    "DOCUMENT_URI",   "GATEWAY_INTERFACE",
    "HTTPS",          "PATH_INFO",       "QUERY_STRING",    "REMOTE_ADDR",    "REMOTE_PORT",
    "REQUEST_METHOD", "REQUEST_SCHEME",  "REQUEST_URI",     "SCRIPT_NAME",    "SERVER_NAME",
    "SERVER_PORT",    "SERVER_PROTOCOL", "SERVER_SOFTWARE", "CONTEXT_PREFIX",
};

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

// Apache's mod_cgid hands a CGI program a connected unix socket as stdin, so "fd 0 is a
// socket" does not mean FastCGI: only a listening stream socket does.
bool isCgiInvocation() {
  return ::getenv("GATEWAY_INTERFACE") != nullptr &&  // NOLINT
         !isListeningStreamSocket(STDIN_FILENO);
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
