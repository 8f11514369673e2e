// GET or POST /logout: end the session (revoking the provider token when the provider has
// a revocation endpoint, best effort) and go back to the start page, which then says "You
// have signed out" (a short-lived flag cookie tells it so).
#include "latchkey/app.h"
#include "latchkey/log.h"

namespace latchkey {

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
  response.addHeader("Set-Cookie", signedOutFlagSetCookie(deps.config));
  return response;
}

}  // namespace latchkey
