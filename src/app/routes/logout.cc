// GET or POST /logout: end the session (revoking the provider token when the provider has
// a revocation endpoint, best effort) and go back to the start page, which then says "You
// have signed out" (a short-lived flag cookie tells it so); or, with rp_initiated_logout on,
// on to the provider's end_session_endpoint, which ends the provider's session too and sends
// the browser to post_logout_redirect_uri.
//
// A GET that another site started (a link, an <img>, a top-level navigation: SameSite=Lax
// cookies ride along on the last) must not sign anyone out: it gets the start page, whose
// sign-out control is a POST form, instead. Fetch Metadata (Sec-Fetch-Site) says where a
// request came from; browsers without it may still send Origin.
#include <cctype>
#include <optional>
#include <string>

#include "latchkey/app/router.h"
#include "latchkey/session/revocation_cache.h"
#include "latchkey/session/session_facts.h"
#include "latchkey/store/session_store.h"
#include "latchkey/util/log.h"
#include "latchkey/util/text.h"

namespace latchkey {
namespace {

// RFC 6454 §6.1 serialisation of redirect_uri's origin: scheme://host[:port], lower case,
// without the scheme's default port, as browsers send it in Origin.
std::string siteOrigin(const Config& config) {
  const std::string_view uri = config.redirect_uri;
  const size_t scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) {
    return {};
  }
  const size_t path_start = uri.find_first_of("/?#", scheme_end + 3);
  std::string origin = toLowerAscii(uri.substr(0, path_start));
  if (origin.starts_with("https://") && origin.ends_with(":443")) {
    origin.resize(origin.size() - 4);
  } else if (origin.starts_with("http://") && origin.ends_with(":80")) {
    origin.resize(origin.size() - 3);
  }
  return origin;
}

bool crossSite(const Request& request, const Config& config) {
  if (!request.sec_fetch_site.empty()) {
    // "none" is the user's own action (address bar, bookmark).
    return request.sec_fetch_site != "same-origin" && request.sec_fetch_site != "same-site" &&
           request.sec_fetch_site != "none";
  }
  return request.origin && toLowerAscii(*request.origin) != siteOrigin(config);
}

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

// Ends what the cookie names; returns where the browser goes next at the provider, if
// anywhere.
std::optional<std::string> endSession(const Request& request, Deps& deps, std::string_view value) {
  // Revoke only what this program sealed. A session that has just ended still holds its
  // tokens, which stay valid at the provider: they are revoked too.
  auto session = deps.cookies.openSessionForRevocation(value, deps.clock.now());
  if (!session) {
    return std::nullopt;
  }
  // The provider that signed the session in; nullptr when it is no longer configured (its
  // tokens then cannot be revoked, but the session still ends here).
  Deps* own = providerDeps(deps, session->provider);
  if (own != nullptr && (!session->access_token.empty() || !session->refresh_token.empty())) {
    own->provider.revoke(
        {session->access_token, session->refresh_token, session->access_expires_at});
  }
  deps.log.log(
      LogLevel::kInfo, "sign_out",
      {{"client", request.client_address}, {"sub", session->sub}, {"email", session->email}});
  revokeSession(request, deps, *session);
  if (own == nullptr) {
    return std::nullopt;
  }
  return providerLogoutUrl(request, *own, *session);
}

}  // namespace

Response handleLogout(const Request& request, Deps& deps) {
  if (request.method != "POST" && crossSite(request, deps.config)) {
    deps.log.log(LogLevel::kInfo, "sign_out_confirm",
                 {{"client", request.client_address}, {"reason", "cross_site_get"}});
    return handleHome(request, deps);
  }
  std::string location = deps.config.base_path + "/";
  if (const auto value = request.cookie(deps.cookie_names.session)) {
    if (auto at_provider = endSession(request, deps, *value)) {
      location = std::move(*at_provider);
    }
  }
  Response response;
  response.status = 302;
  response.addHeader("Location", location);
  response.addHeader("Cache-Control", "no-store");
  response.addHeader("Set-Cookie", sessionClearCookie(deps.config));
  for (std::string& part : factsClearCookies(deps.config, request)) {
    response.addHeader("Set-Cookie", std::move(part));
  }
  response.addHeader("Set-Cookie", signedOutFlagSetCookie(deps.config));
  return response;
}

}  // namespace latchkey
