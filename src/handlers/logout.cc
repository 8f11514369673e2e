// GET or POST /logout: end the session (revoking the provider token when the provider has
// a revocation endpoint, best effort) and go back to the start page, which then says "You
// have signed out" (a short-lived flag cookie tells it so).
//
// A GET that another site started (a link, an <img>, a top-level navigation: SameSite=Lax
// cookies ride along on the last) must not sign anyone out: it gets the start page, whose
// sign-out control is a POST form, instead. Fetch Metadata (Sec-Fetch-Site) says where a
// request came from; browsers without it may still send Origin.
#include <cctype>
#include <string>

#include "latchkey/app.h"
#include "latchkey/log.h"
#include "latchkey/session_facts.h"

namespace latchkey {
namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// RFC 6454 §6.1 serialisation of redirect_uri's origin: scheme://host[:port], lower case,
// without the scheme's default port, as browsers send it in Origin.
std::string siteOrigin(const Config& config) {
  const std::string_view uri = config.redirect_uri;
  const size_t scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) {
    return {};
  }
  const size_t path_start = uri.find_first_of("/?#", scheme_end + 3);
  std::string origin = lowercase(uri.substr(0, path_start));
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
  return request.origin && lowercase(*request.origin) != siteOrigin(config);
}

void revokeAndLog(const Request& request, Deps& deps, std::string_view value) {
  // Revoke only what this program sealed. A session that has just ended still holds its
  // tokens, which stay valid at the provider: they are revoked too.
  auto session = deps.cookies.openSessionForRevocation(value, deps.clock.now());
  if (!session) {
    return;
  }
  if (!session->access_token.empty() || !session->refresh_token.empty()) {
    deps.provider.revoke(
        {session->access_token, session->refresh_token, session->access_expires_at});
  }
  deps.log.log(LogLevel::kInfo, "sign_out",
               {{"client", request.client_address},
                {"sub", session->sub},
                {"email", session->email}});
}

}  // namespace

Response handleLogout(const Request& request, Deps& deps) {
  if (request.method != "POST" && crossSite(request, deps.config)) {
    deps.log.log(LogLevel::kInfo, "sign_out_confirm",
                 {{"client", request.client_address}, {"reason", "cross_site_get"}});
    return handleHome(request, deps);
  }
  if (const auto value = request.cookie(deps.cookie_names.session)) {
    revokeAndLog(request, deps, *value);
  }
  Response response;
  response.status = 302;
  response.addHeader("Location", deps.config.base_path + "/");
  response.addHeader("Cache-Control", "no-store");
  response.addHeader("Set-Cookie", sessionClearCookie(deps.config));
  for (std::string& part : factsClearCookies(deps.config, request)) {
    response.addHeader("Set-Cookie", std::move(part));
  }
  response.addHeader("Set-Cookie", signedOutFlagSetCookie(deps.config));
  return response;
}

}  // namespace latchkey
