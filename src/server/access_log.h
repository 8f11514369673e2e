// access_log = true: one JSON line per request ("event":"request").
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "latchkey/http/http.h"
#include "latchkey/util/log.h"

namespace latchkey {

struct AccessRecord {
  std::string_view method;
  std::string_view route;  // the path latchkey routed on, base_path stripped
  std::string uri;         // visitorUri()
  std::string_view client;
  int status = 0;
  std::chrono::steady_clock::duration elapsed{};
};

// The URI the visitor asked for: X-Original-URI when the web server sends one, else
// REQUEST_URI (inside nginx's auth_request subrequest, the visitor's original URI, not
// /auth). The query string is dropped (it may carry tokens), and the rest cut at 512 bytes.
std::string visitorUri(const ParamMap& params);

// Written at level info; the request_id comes from the RequestScope.
void logAccess(const Logger& log, const AccessRecord& record);

}  // namespace latchkey
