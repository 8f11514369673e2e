#include "session_access.h"

#include "latchkey/log.h"
#include "latchkey/refresh_coordinator.h"
#include "latchkey/revocation_cache.h"

namespace latchkey {
namespace {

// Refresh a little before the provider's expiry so an upstream never receives a token that
// dies in flight.
constexpr int64_t kRefreshMarginSeconds = 30;

void logRefused(const Request& request, Deps& deps, const Error& error) {
  deps.log.log(LogLevel::kInfo, "cookie_refused",
               {{"client", request.client_address}, {"reason", errcName(error.code)}});
}

}  // namespace

SessionLookup lookupSession(const Request& request, Deps& deps, bool with_tokens) {
  SessionLookup lookup;
  const auto value = request.cookie(deps.cookie_names.session);
  if (!value) {
    return lookup;
  }
  const int64_t now = deps.clock.now();
  auto opened = deps.cookies.openSessionIdentity(*value, now);
  if (!opened) {
    logRefused(request, deps, opened.error());
    lookup.set_cookie = sessionClearCookie(deps.config);
    return lookup;
  }
  if (deps.revocations != nullptr) {
    switch (deps.revocations->check(opened->sid, opened->sub, opened->email, opened->issued_at,
                                    now)) {
      case RevocationCache::Verdict::kLive:
        break;
      case RevocationCache::Verdict::kRevoked:
        logRefused(request, deps, makeError(Errc::kSessionRevoked));
        lookup.set_cookie = sessionClearCookie(deps.config);
        return lookup;
      case RevocationCache::Verdict::kUnknown:
        deps.log.log(LogLevel::kError, "store_unavailable",
                     {{"client", request.client_address},
                      {"detail", "revocations unknown for longer than session_store_grace"}});
        lookup.outcome = SessionLookup::Outcome::kUnavailable;
        return lookup;
    }
  }
  const bool refresh_due =
      opened->access_expires_at != 0 && now + kRefreshMarginSeconds >= opened->access_expires_at;
  if (refresh_due || with_tokens) {
    opened = deps.cookies.openSession(*value, now);
    if (!opened) {
      logRefused(request, deps, opened.error());
      lookup.set_cookie = sessionClearCookie(deps.config);
      return lookup;
    }
  }
  Session session = std::move(opened.value());
  if (refresh_due && !session.refresh_token.empty()) {
    auto tokens = deps.refresher.refresh(session.refresh_token, deps.provider, now);
    if (!tokens) {
      deps.log.log(LogLevel::kWarn, "refresh_failed",
                   {{"client", request.client_address},
                    {"sub", session.sub},
                    {"email", session.email},
                    {"reason", errcName(tokens.error().code)},
                    {"detail", tokens.error().detail}});
      lookup.set_cookie = sessionClearCookie(deps.config);
      return lookup;
    }
    session.access_token = tokens->access_token;
    if (!tokens->refresh_token.empty()) {
      session.refresh_token = tokens->refresh_token;
    }
    session.access_expires_at = tokens->access_expires_at;
    lookup.set_cookie =
        sessionSetCookie(deps.config, deps.cookies.sealSession(session), session.expires_at - now);
    deps.log.log(LogLevel::kInfo, "session_refreshed",
                 {{"client", request.client_address}, {"sub", session.sub}});
  }
  // The policy is checked on every request, not only at sign-in, so removing an address
  // from allowed_emails takes effect for live sessions at once.
  Status policy = checkEmailPolicy(deps.config, session.email, session.email_verified);
  if (policy) {
    lookup.outcome = SessionLookup::Outcome::kValid;
  } else {
    lookup.outcome = SessionLookup::Outcome::kForbidden;
    lookup.refusal = policy.error();
  }
  lookup.session = std::move(session);
  return lookup;
}

}  // namespace latchkey
