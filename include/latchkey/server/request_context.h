// The id of the request a worker thread is serving, so that every log line written while
// serving it (sign_in, cookie_refused, the access line...) carries the same request_id.
#pragma once

#include <string>
#include <string_view>

#include "latchkey/http/http.h"

namespace latchkey {

// The web server's id when it sends one (nginx: fastcgi_param HTTP_X_REQUEST_ID $request_id,
// or an X-Request-ID header) and it is 1-64 characters of [A-Za-z0-9._-]; otherwise a fresh
// one: 16 hex digits, a per-process random prefix and a counter (unique, not a secret).
std::string requestIdFor(const ParamMap& params);

// Makes params the thread's current request for the object's lifetime. Its id is made on
// the first currentRequestId() call, so a request that logs nothing never pays for one.
// params must outlive the scope.
class RequestScope {
 public:
  explicit RequestScope(const ParamMap& params);
  RequestScope(ParamMap&&) = delete;  // a temporary would not outlive the scope
  ~RequestScope();
  RequestScope(const RequestScope&) = delete;
  RequestScope& operator=(const RequestScope&) = delete;
};

// The current request's id (requestIdFor); empty outside a RequestScope.
std::string_view currentRequestId();

}  // namespace latchkey
