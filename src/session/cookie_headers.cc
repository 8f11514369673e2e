// The cookies' names and their Set-Cookie lines (RFC 6265bis): prefixes, Path, Secure,
// HttpOnly, SameSite, Max-Age, for the session, the login flows and the signed-out flag.
#include <string>

#include "latchkey/session/session.h"
#include "latchkey/util/crypto.h"
#include "latchkey/util/encoding.h"

namespace latchkey {

CookieNames cookieNames(const Config& config) {
  CookieNames names;
  // RFC 6265bis §4.1.3: "__Host-" pins the cookie to this host, path "/", Secure;
  // "__Secure-" at least forces Secure. Both need https.
  names.session = config.cookie_name.empty() ? defaultCookieName(config) : config.cookie_name;
  names.login_prefix = config.https ? "__Secure-latchkey-login-" : "latchkey-login-";
  return names;
}

std::string loginCookieName(const Config& config, std::string_view state) {
  const auto digest = sha256(state);
  return cookieNames(config).login_prefix +
         base64UrlEncode(
             std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()))
             .substr(0, 16);
}

namespace {

std::string setCookie(const Config& config, std::string_view name, std::string_view value,
                      std::string_view path, int64_t max_age) {
  std::string out;
  out.reserve(name.size() + value.size() + path.size() + 64);
  out.append(name).append("=").append(value);
  out.append("; Path=").append(path);
  out.append("; Max-Age=").append(std::to_string(max_age < 0 ? 0 : max_age));
  out.append("; HttpOnly; SameSite=Lax");
  if (config.https)
    out.append("; Secure");
  return out;
}

std::string loginPath(const Config& config) {
  return config.base_path + "/login";
}

}  // namespace

// With cookie_domain the session cookie reaches every host under that domain (RFC 6265
// §5.2.3); login cookies stay host-only, on the sign-in host that reads them.
std::string sessionSetCookie(const Config& config, std::string_view value, int64_t max_age) {
  std::string cookie = setCookie(config, cookieNames(config).session, value, "/", max_age);
  if (!config.cookie_domain.empty()) {
    cookie.append("; Domain=").append(config.cookie_domain);
  }
  return cookie;
}

std::string sessionClearCookie(const Config& config) {
  return sessionSetCookie(config, "", 0);
}

std::string providerSidMark(std::string_view provider_sid) {
  const auto digest = sha256(provider_sid);
  // 16 bytes: collisions are out of reach, and the cookie grows by 30 bytes only.
  return "op:" +
         base64UrlEncode(std::string_view(reinterpret_cast<const char*>(digest.data()), 16));
}

std::string sessionPartSetCookie(const Config& config, std::string_view name,
                                 std::string_view value, int64_t max_age) {
  return setCookie(config, name, value, "/", max_age);
}

std::string loginSetCookie(const Config& config, std::string_view name, std::string_view value,
                           int64_t max_age) {
  return setCookie(config, name, value, loginPath(config), max_age);
}

std::string loginClearCookie(const Config& config, std::string_view name) {
  return setCookie(config, name, "", loginPath(config), 0);
}

std::string signedOutFlagSetCookie(const Config& config) {
  return setCookie(config, kSignedOutFlagCookie, "1", "/", kSignedOutFlagSeconds);
}

std::string signedOutFlagClearCookie(const Config& config) {
  return setCookie(config, kSignedOutFlagCookie, "", "/", 0);
}

}  // namespace latchkey
