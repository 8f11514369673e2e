#include "session_access.h"

#include <chrono>
#include <thread>

#include "latchkey/crypto.h"
#include "latchkey/encoding.h"
#include "latchkey/log.h"
#include "latchkey/refresh_coordinator.h"
#include "latchkey/revocation_cache.h"
#include "latchkey/session_store.h"

namespace latchkey {
namespace {

// Refresh a little before the provider's expiry so an upstream never receives a token that
// dies in flight.
constexpr int64_t kRefreshMarginSeconds = 30;

// Left in the store instead of a re-sealed cookie when the refresh failed.
constexpr std::string_view kRefreshFailedMark = "!";

void logRefused(const Request& request, Deps& deps, const Error& error) {
  deps.log.log(LogLevel::kInfo, "cookie_refused",
               {{"client", request.client_address}, {"reason", errcName(error.code)}});
}

struct Refreshed {
  Session session;
  std::string sealed;
};

Result<Refreshed> refreshHere(Deps& deps, const Session& session, int64_t now) {
  auto tokens = deps.refresher.refresh(session.refresh_token, deps.provider, now);
  if (!tokens) {
    return tokens.error();
  }
  Refreshed done{session, {}};
  done.session.access_token = tokens->access_token;
  if (!tokens->refresh_token.empty()) {
    done.session.refresh_token = tokens->refresh_token;
  }
  done.session.access_expires_at = tokens->access_expires_at;
  done.sealed = deps.cookies.sealSession(done.session);
  return done;
}

// Another process's result: nullopt while there is none yet.
std::optional<Result<Refreshed>> sharedResult(Deps& deps, const std::string& key, int64_t now) {
  auto value = deps.store->getValue(key, now);
  if (!value) {
    return Result<Refreshed>(value.error());
  }
  if (value->empty()) {
    return std::nullopt;
  }
  auto opened = deps.cookies.openSession(*value, now);
  if (*value == kRefreshFailedMark || !opened) {
    return Result<Refreshed>(makeError(Errc::kRefreshFailed, "another process's refresh failed"));
  }
  return Result<Refreshed>(Refreshed{std::move(opened.value()), std::move(*value)});
}

// Single flight across processes and hosts (CGI and mod_fcgid run many): the first to claim
// the refresh token calls the provider and leaves the re-sealed cookie in the store for the
// grace period; the others wait for it, so a rotating refresh token is redeemed once.
Result<Refreshed> refreshSession(Deps& deps, const Session& session, int64_t now) {
  if (deps.store == nullptr) {
    return refreshHere(deps, session, now);
  }
  const auto digest = sha256(session.refresh_token);
  const std::string key =
      "refresh:" + base64UrlEncode({reinterpret_cast<const char*>(digest.data()), digest.size()});
  if (auto shared = sharedResult(deps, key, now)) {
    return std::move(*shared);
  }
  const int64_t flight_limit = deps.config.http_timeout + 5;
  auto claimed = deps.store->claimOnce("lock:" + key, now + flight_limit, now);
  if (!claimed) {
    return claimed.error();
  }
  if (*claimed) {
    auto done = refreshHere(deps, session, now);
    const std::string_view result = done ? std::string_view(done->sealed) : kRefreshFailedMark;
    // Best effort: without it the others time out and sign in again.
    (void)deps.store->putValue(key, result, now + RefreshCoordinator::kGraceSeconds, now);
    return done;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(flight_limit);
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (auto shared = sharedResult(deps, key, deps.clock.now())) {
      return std::move(*shared);
    }
  }
  return makeError(Errc::kRefreshFailed, "another process's refresh did not finish");
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
                      {"detail", "session store unreachable beyond session_store_grace"}});
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
    auto refreshed = refreshSession(deps, session, now);
    if (!refreshed) {
      deps.log.log(LogLevel::kWarn, "refresh_failed",
                   {{"client", request.client_address},
                    {"sub", session.sub},
                    {"email", session.email},
                    {"reason", errcName(refreshed.error().code)},
                    {"detail", refreshed.error().detail}});
      lookup.set_cookie = sessionClearCookie(deps.config);
      return lookup;
    }
    session = std::move(refreshed->session);
    lookup.set_cookie = sessionSetCookie(deps.config, refreshed->sealed, session.expires_at - now);
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
