// The id of the request a worker thread is serving, so that every log line written while
// serving it (sign_in, cookie_refused, the access line...) carries the same request_id.
#pragma once

#include <string>
#include <string_view>

#include "latchkey/http.h"

namespace latchkey {

// The web server's id when it sends one (nginx: fastcgi_param HTTP_X_REQUEST_ID $request_id,
// or an X-Request-ID header) and it is 1-64 characters of [A-Za-z0-9._-]; otherwise a fresh
// one: 16 hex digits, a per-process random prefix and a counter (unique, not a secret).
std::string requestIdFor(const ParamMap& params);

// Sets the thread's current request id for the object's lifetime.
class RequestScope {
 public:
  explicit RequestScope(std::string id);
  ~RequestScope();
  RequestScope(const RequestScope&) = delete;
  RequestScope& operator=(const RequestScope&) = delete;
};

// Empty outside a RequestScope.
std::string_view currentRequestId();

}  // namespace latchkey
