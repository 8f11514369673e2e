// The routes of SPEC as plain functions of (Request, Deps) -> Response.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "latchkey/clock.h"
#include "latchkey/config.h"
#include "latchkey/http.h"
#include "latchkey/identity_provider.h"
#include "latchkey/log.h"
#include "latchkey/pages.h"
#include "latchkey/session.h"

namespace latchkey {

class RefreshCoordinator;
class ReplayGuard;
class RevocationCache;
class SessionStore;

struct Deps {
  const Config& config;
  const CookieNames& cookie_names;
  const CookieCodec& cookies;
  IdentityProvider& provider;
  const Clock& clock;
  const Logger& log;
  const Pages& pages;
  RefreshCoordinator& refresher;
  ReplayGuard& used_states;
  // Both null without session_store; revocations reads through store.
  SessionStore* store = nullptr;
  RevocationCache* revocations = nullptr;
};

// Exact dispatch on (method, path); HTML 404 / 405 with Allow otherwise.
Response route(const Request& request, Deps& deps);

// The paths route() answers (before base_path), in table order: for --help.
std::vector<std::string_view> routePaths();

// Route handlers (src/handlers/*.cc).
Response handleHome(const Request& request, Deps& deps);
// The landing page of a gate after sign-out (nginx/protect.conf): never protected itself.
Response handleSignedOut(const Request& request, Deps& deps);
Response handleLogin(const Request& request, Deps& deps);
Response handleCallback(const Request& request, Deps& deps);
Response handleLogout(const Request& request, Deps& deps);
// OpenID Connect Back-Channel Logout 1.0 (src/handlers/backchannel_logout.cc).
Response handleBackchannelLogout(const Request& request, Deps& deps);
Response handleAuth(const Request& request, Deps& deps);
Response handleUserinfo(const Request& request, Deps& deps);
Response handleHealthz(const Request& request, Deps& deps);
Response handleMetrics(const Request& request, Deps& deps);  // src/handlers/metrics.cc

// The page for a failed sign-in step: status (400/401/403/502), what happened and what to do.
ErrorPage errorPageFor(const Error& error, const Config& config);

// The e-mail rules, at sign-in and on every later request: with allowed_domains /
// allowed_emails only a verified, listed address (kEmailNotVerified / kEmailNotAllowed);
// without them an unverified address is kEmailNotVerified unless allow_unverified_email.
Status checkEmailPolicy(const Config& config, std::string_view email, bool email_verified);
// At sign-in: checkEmailPolicy, and for Google with allowed_domains an hd claim naming one of
// them unless the address itself is in allowed_emails (kHostedDomainMismatch).
Status checkSignInPolicy(const Config& config, const Identity& identity);

// The rd of a request, unchecked: all the rest of a query string that starts with "rd=" (web
// servers cannot encode the '&' of the page's own query), else the rd parameter, else "/".
std::string requestedReturnPath(const Request& request);

// "rd" check: a local absolute path, or "/" when it could lead anywhere else.
std::string safeReturnPath(std::string_view rd);

// Same, and also an absolute https URL (http on loopback) whose host (and port) is listed in
// allowed: returned as scheme://host[:port]/path, lower-cased host, ASCII-escaped path.
std::string safeReturnAddress(std::string_view rd, const std::vector<RedirectHost>& allowed);

}  // namespace latchkey
