// Reading the session cookie on a request, shared by /, /auth, /userinfo and /logout:
// authenticate it, refresh the access token when it is due, apply the e-mail policy.
#pragma once

#include <optional>
#include <string>

#include "latchkey/app.h"
#include "latchkey/session.h"

namespace latchkey {

struct SessionLookup {
  // kUnavailable: the session store has been unreachable for longer than its grace, so a
  // revoked session cannot be told from a live one (fail closed, 503).
  enum class Outcome { kNone, kValid, kForbidden, kUnavailable };
  Outcome outcome = Outcome::kNone;
  Session session;                        // kValid / kForbidden
  std::optional<Error> refusal;           // kForbidden: which policy check failed
  std::optional<std::string> set_cookie;  // a refreshed session, or clearing a dead one
};

// Tokens are decrypted only when a refresh is due or with_tokens is set, so the usual
// /auth costs one HMAC. A failed refresh ends the session (the cookie is cleared).
SessionLookup lookupSession(const Request& request, Deps& deps, bool with_tokens);

}  // namespace latchkey
