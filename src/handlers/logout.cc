// GET or POST /logout: end the session (revoking the provider token when the provider has
// a revocation endpoint, best effort) and go back to the start page.
#include "latchkey/app.h"
#include "latchkey/log.h"
#include "latchkey/revocation_cache.h"
#include "latchkey/session_store.h"

namespace latchkey {
namespace {

// With a store, the cookie itself dies too: a copy taken before sign-out is refused by every
// latchkey sharing the store (within its sync interval; at once in this process).
void revokeSession(const Request& request, Deps& deps, const Session& session) {
  if (deps.store == nullptr || session.sid.empty()) {
    return;
  }
  Status revoked = deps.store->revokeSession(session.sid, session.expires_at, deps.clock.now());
  if (!revoked) {
    deps.log.log(LogLevel::kError, "revoke_failed",
                 {{"client", request.client_address},
                  {"sub", session.sub},
                  {"reason", errcName(revoked.error().code)},
                  {"detail", revoked.error().detail}});
    return;
  }
  if (deps.revocations != nullptr) {
    deps.revocations->invalidate();
  }
}

}  // namespace

Response handleLogout(const Request& request, Deps& deps) {
  const auto value = request.cookie(deps.cookie_names.session);
  if (value) {
    // Revoke only what this program sealed: the cookie must open, expired or not is moot.
    auto session = deps.cookies.openSession(*value, deps.clock.now());
    if (session) {
      if (!session->access_token.empty() || !session->refresh_token.empty()) {
        deps.provider.revoke({session->access_token, session->refresh_token,
                              session->access_expires_at});
      }
      revokeSession(request, deps, *session);
      deps.log.log(LogLevel::kInfo, "sign_out",
                   {{"client", request.client_address},
                    {"sub", session->sub},
                    {"email", session->email}});
    }
  }
  Response response;
  response.status = 302;
  response.addHeader("Location", deps.config.base_path + "/");
  response.addHeader("Cache-Control", "no-store");
  response.addHeader("Set-Cookie", sessionClearCookie(deps.config));
  return response;
}

}  // namespace latchkey
