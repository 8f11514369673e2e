// The routes as plain functions of (Request, Deps) -> Response, and the table that picks one.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "latchkey/config/config.h"
#include "latchkey/http/http.h"
#include "latchkey/oidc/identity_provider.h"
#include "latchkey/pages/pages.h"
#include "latchkey/session/session.h"
#include "latchkey/util/clock.h"
#include "latchkey/util/log.h"

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
  // With several providers: each provider's own Deps (its config, client and pages), in
  // button order. Null with a single provider.
  const std::vector<Deps*>* providers = nullptr;
};

// The Deps of provider `id` (a session's, a login cookie's, /login?provider=): deps itself with
// a single provider, nullptr for an id that is not configured.
Deps* providerDeps(Deps& deps, std::string_view id);

// Exact dispatch on (method, path); HTML 404 / 405 with Allow otherwise.
Response route(const Request& request, Deps& deps);

// The paths route() answers (before base_path), in table order: for --help.
std::vector<std::string_view> routePaths();

// Route handlers (src/app/routes/*.cc).
Response handleHome(const Request& request, Deps& deps);
// The landing page of a gate after sign-out (nginx/protect.conf): never protected itself.
Response handleSignedOut(const Request& request, Deps& deps);
Response handleLogin(const Request& request, Deps& deps);
Response handleCallback(const Request& request, Deps& deps);
Response handleLogout(const Request& request, Deps& deps);
// OpenID Connect Back-Channel Logout 1.0 (src/app/routes/backchannel_logout.cc).
Response handleBackchannelLogout(const Request& request, Deps& deps);
Response handleAuth(const Request& request, Deps& deps);
Response handleUserinfo(const Request& request, Deps& deps);
Response handleHealthz(const Request& request, Deps& deps);
Response handleMetrics(const Request& request, Deps& deps);  // src/app/routes/metrics.cc

}  // namespace latchkey
