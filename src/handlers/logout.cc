// GET or POST /logout: end the session (revoking the provider token when the provider has
// a revocation endpoint, best effort) and go back to the start page, or with
// rp_initiated_logout on to the provider's end_session_endpoint, which ends the provider's
// session too and sends the browser to post_logout_redirect_uri.
#include <optional>
#include <string>

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

// RP-Initiated Logout 1.0 §2: the provider's end_session_endpoint, or nullopt to land on
// our own start page (no endpoint, discovery down: the local sign-out stands either way).
std::optional<std::string> providerLogoutUrl(const Request& request, Deps& deps,
                                             const Session& session) {
  if (!deps.config.rp_initiated_logout) {
    return std::nullopt;
  }
  EndSessionRequest end{{}, deps.config.post_logout_redirect_uri};
  if (deps.store != nullptr && !session.sid.empty()) {
    auto sealed = deps.store->getValue("idt:" + session.sid, deps.clock.now());
    if (sealed && !sealed->empty()) {
      end.id_token_hint = deps.cookies.openValue("id_token", *sealed).value_or("");
    }
  }
  auto url = deps.provider.endSessionUrl(end);
  if (!url) {
    deps.log.log(LogLevel::kWarn, "end_session_unavailable",
                 {{"client", request.client_address}, {"detail", url.error().detail}});
    return std::nullopt;
  }
  return std::move(*url);
}

}  // namespace

Response handleLogout(const Request& request, Deps& deps) {
  std::string location = deps.config.base_path + "/";
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
      if (auto at_provider = providerLogoutUrl(request, deps, *session)) {
        location = std::move(*at_provider);
      }
    }
  }
  Response response;
  response.status = 302;
  response.addHeader("Location", location);
  response.addHeader("Cache-Control", "no-store");
  response.addHeader("Set-Cookie", sessionClearCookie(deps.config));
  return response;
}

}  // namespace latchkey
