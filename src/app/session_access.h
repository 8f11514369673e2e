// Reading the session cookie on a request, shared by /, /auth, /userinfo and /logout:
// authenticate it, refresh the access token when it is due, apply the e-mail policy.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "latchkey/app/router.h"
#include "latchkey/session/facts.h"
#include "latchkey/session/session.h"

namespace latchkey {

struct SessionLookup {
  // kUnavailable: the session store has been unreachable for longer than its grace, so a
  // revoked session cannot be told from a live one (fail closed, 503).
  enum class Outcome { kNone, kValid, kForbidden, kUnavailable };
  Outcome outcome = Outcome::kNone;
  Session session;                        // kValid / kForbidden
  Facts facts;                            // groups and claims (session_facts.h)
  std::optional<Error> refusal;           // kForbidden: which policy check failed
  std::optional<std::string> set_cookie;  // a refreshed session, or clearing a dead one
  bool ended = false;  // kNone: a session cookie came but was expired, forged or not refreshed
  // kValid / kForbidden: the Deps of the provider that signed the session in (its rules,
  // pages and client); the request's own Deps with a single provider.
  Deps* provider_deps = nullptr;
};

// Tokens are decrypted only when a refresh is due or with_tokens is set, so the usual
// /auth costs one HMAC. A refresh waits at most RefreshCoordinator's bound; only a refresh
// the provider refuses with invalid_grant ends the session (the cookie is cleared).
SessionLookup lookupSession(const Request& request, Deps& deps, bool with_tokens);

// The site-wide rules (access_rules.h) for a signed-in subject: ok, or kEmailNotAllowed /
// kEmailNotVerified / kAccessDenied ("rule: what; ask") for the page and the log.
Status checkSitePolicy(const Config& config, std::string_view email, bool email_verified,
                       const Facts& facts);
// The session's e-mail address when the provider verified it, else "": the only form in which
// an address leaves latchkey (headers, /userinfo, pages).
inline std::string_view provenEmail(const Session& session) {
  return session.email_verified ? std::string_view(session.email) : std::string_view();
}

}  // namespace latchkey
