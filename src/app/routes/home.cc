// GET / and GET /signed-out: who is signed in, or the page with the sign-in link. Signed
// out, that page says why: just signed out, the session ended, or a plain welcome. A session
// no longer allowed in is ended here, with a way to sign in as someone else.
#include "app/session_access.h"
#include "latchkey/app/error_pages.h"
#include "latchkey/app/return_path.h"
#include "latchkey/app/router.h"
#include "latchkey/util/log.h"

namespace latchkey {
namespace {

Response sessionPage(const Request& request, Deps& deps, SignedOutReason signed_out) {
  SessionLookup lookup = lookupSession(request, deps, /*with_tokens=*/false);
  const std::string return_to = safeReturnPath(requestedReturnPath(request));
  Response response;
  switch (lookup.outcome) {
    case SessionLookup::Outcome::kNone: {
      SignedOutReason reason = signed_out;
      if (lookup.ended) {
        reason = SignedOutReason::kSessionEnded;
      } else if (request.cookie(kSignedOutFlagCookie)) {
        reason = SignedOutReason::kSignedOut;
      }
      response = deps.pages.signedOut(reason, return_to);
      break;
    }
    case SessionLookup::Outcome::kForbidden: {
      // Keeping the cookie would leave the visitor signed in as someone who may not enter,
      // with no way out: end latchkey's session and offer another account.
      deps.log.log(LogLevel::kInfo, "sign_out",
                   {{"client", request.client_address},
                    {"sub", lookup.session.sub},
                    {"email", lookup.session.email},
                    {"reason", errcName(lookup.refusal->code)}});
      ErrorPage page = errorPageFor(*lookup.refusal, lookup.provider_deps->config);
      page.return_to = return_to;
      response = lookup.provider_deps->pages.error(page);
      lookup.set_cookie = sessionClearCookie(deps.config);
      break;
    }
    case SessionLookup::Outcome::kUnavailable:
      response = deps.pages.error(errorPageFor(makeError(Errc::kStoreUnavailable), deps.config));
      break;
    case SessionLookup::Outcome::kValid:
      // An account signed in under allow_unverified_email has no address to show.
      response = lookup.provider_deps->pages.signedIn(
          lookup.session.email_verified ? lookup.session.email : "(no verified e-mail address)",
          lookup.session.name, lookup.session.picture);
      break;
  }
  if (lookup.set_cookie) {
    response.addHeader("Set-Cookie", std::move(*lookup.set_cookie));
  }
  return response;
}

}  // namespace

Response handleHome(const Request& request, Deps& deps) {
  return sessionPage(request, deps, SignedOutReason::kWelcome);
}

Response handleSignedOut(const Request& request, Deps& deps) {
  return sessionPage(request, deps, SignedOutReason::kSignedOut);
}

}  // namespace latchkey
