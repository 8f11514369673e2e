// GET /: who is signed in, or the welcome page with the sign-in link.
#include "latchkey/app.h"
#include "session_access.h"

namespace latchkey {

Response handleHome(const Request& request, Deps& deps) {
  SessionLookup lookup = lookupSession(request, deps, /*with_tokens=*/false);
  Response response;
  switch (lookup.outcome) {
    case SessionLookup::Outcome::kNone:
      response = deps.pages.signedOut();
      break;
    case SessionLookup::Outcome::kForbidden:
      response = deps.pages.error(errorPageFor(*lookup.refusal, deps.config));
      break;
    case SessionLookup::Outcome::kUnavailable:
      response = deps.pages.error(errorPageFor(makeError(Errc::kStoreUnavailable), deps.config));
      break;
    case SessionLookup::Outcome::kValid:
      response = deps.pages.signedIn(lookup.session.email, lookup.session.name,
                                     lookup.session.picture);
      break;
  }
  if (lookup.set_cookie) {
    response.addHeader("Set-Cookie", std::move(*lookup.set_cookie));
  }
  return response;
}

}  // namespace latchkey
