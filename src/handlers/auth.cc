// GET /auth: the nginx auth_request target. nginx treats any answer but 2xx/401/403 as a
// 500, so this never redirects: 200 with the identity headers, 401, or 403. A refreshed
// session comes back as exactly one Set-Cookie for auth_request_set to pass on.
#include "latchkey/app.h"
#include "session_access.h"

namespace latchkey {

Response handleAuth(const Request& request, Deps& deps) {
  SessionLookup lookup = lookupSession(request, deps, /*with_tokens=*/false);
  Response response;
  response.addHeader("Cache-Control", "no-store");
  switch (lookup.outcome) {
    case SessionLookup::Outcome::kNone:
      response.status = 401;
      break;
    case SessionLookup::Outcome::kForbidden:
      response.status = 403;
      break;
    case SessionLookup::Outcome::kUnavailable:
      response.status = 503;  // nginx answers 500: neither a sign-in loop nor a way in
      break;
    case SessionLookup::Outcome::kValid:
      response.status = 200;
      response.addHeader("X-Auth-Request-User", lookup.session.sub);
      response.addHeader("X-Auth-Request-Email", lookup.session.email);
      response.addHeader("X-Auth-Request-Name", lookup.session.name);
      break;
  }
  if (lookup.set_cookie) {
    response.addHeader("Set-Cookie", std::move(*lookup.set_cookie));
  }
  return response;
}

}  // namespace latchkey
