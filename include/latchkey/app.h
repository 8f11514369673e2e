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
Response handleLogin(const Request& request, Deps& deps);
Response handleCallback(const Request& request, Deps& deps);
Response handleLogout(const Request& request, Deps& deps);
Response handleAuth(const Request& request, Deps& deps);
Response handleUserinfo(const Request& request, Deps& deps);
Response handleHealthz(const Request& request, Deps& deps);

// The page for a failed sign-in step: status (400/401/403/502), what happened and what to do.
ErrorPage errorPageFor(const Error& error, const Config& config);

// allowed_domains / allowed_emails: Errc::kEmailNotAllowed / kEmailNotVerified, or ok.
Status checkEmailPolicy(const Config& config, std::string_view email, bool email_verified);

// "rd" check: a local absolute path, or "/" when it could lead anywhere else.
std::string safeReturnPath(std::string_view rd);

}  // namespace latchkey
