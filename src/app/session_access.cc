#include "app/session_access.h"

#include <algorithm>
#include <functional>

#include "latchkey/app/access_rules.h"
#include "latchkey/app/email_policy.h"
#include "latchkey/session/refresh_coordinator.h"
#include "latchkey/session/revocation_cache.h"
#include "latchkey/session/session_facts.h"
#include "latchkey/session/shared_refresh.h"
#include "latchkey/store/session_store.h"
#include "latchkey/util/log.h"
#include "latchkey/util/metrics.h"

namespace latchkey {
namespace {

// Refresh a little before the provider's expiry so an upstream never receives a token that
// dies in flight.
constexpr int64_t kRefreshMarginSeconds = 30;

void logRefused(const Request& request, Deps& deps, const Error& error) {
  deps.log.log(LogLevel::kInfo, "cookie_refused",
               {{"client", request.client_address}, {"reason", errcName(error.code)}});
}

// A provider call about the session failed: its refusal (`refused`) ends the session and
// clears the cookie; anything else (an outage, a busy provider) keeps it for a later request
// to try again. Logged as "<what>_failed" or "<what>_deferred". False: ended.
bool keepUnlessRefused(const Request& request, Deps& deps, const Session& session,
                       const Error& error, Errc refused, std::string_view what,
                       SessionLookup& lookup) {
  const bool ends_session = error.code == refused;
  const std::string event = std::string(what) + (ends_session ? "_failed" : "_deferred");
  deps.log.log(LogLevel::kWarn, event,
               {{"client", request.client_address},
                {"sub", session.sub},
                {"email", session.email},
                {"reason", errcName(error.code)},
                {"detail", error.detail}});
  if (ends_session) {
    lookup.set_cookie = sessionClearCookie(deps.config);
  }
  return !ends_session;
}

// With a session store, the refresh also runs once across every process sharing it. The
// store, the cookie keys and the provider outlive the background call, as the provider alone
// does without a store.
std::function<Result<TokenSet>()> sharedRefresh(Deps& deps, const std::string& refresh_token,
                                                int64_t now) {
  return
      [store = deps.store, codec = &deps.cookies, provider = &deps.provider, refresh_token, now] {
        return refreshOnceAcrossProcesses(*store, *codec, refresh_token, now,
                                          [&] { return provider->refresh(refresh_token); });
      };
}

// Refreshes the access token, or goes on without it. Only the provider's invalid_grant
// (kRefreshFailed: the grant was revoked or has expired) ends the session. A refresh still
// running, a timeout, a 5xx, a busy provider: the session stays valid until its own expiry,
// this request is served as it is, and a later request tries again (RFC 6749 §5.2 makes
// invalid_grant the one answer that says the grant itself is gone). False: session ended.
bool applyRefresh(const Request& request, Deps& deps, Session& session, int64_t now,
                  SessionLookup& lookup) {
  auto tokens = deps.store == nullptr
                    ? deps.refresher.refresh(session.refresh_token, deps.provider, now)
                    : deps.refresher.refresh(session.refresh_token,
                                             sharedRefresh(deps, session.refresh_token, now), now);
  if (!tokens) {
    deps.log.log(LogLevel::kDebug, "refresh_pending",
                 {{"client", request.client_address}, {"sub", session.sub}});
    return true;
  }
  if (!*tokens) {
    return keepUnlessRefused(request, deps, session, tokens->error(), Errc::kRefreshFailed,
                             "refresh", lookup);
  }
  const TokenSet& fresh = tokens->value();
  session.access_token = fresh.access_token;
  if (!fresh.refresh_token.empty()) {
    session.refresh_token = fresh.refresh_token;
  }
  session.access_expires_at = fresh.access_expires_at;
  session.checked_at = now;  // the provider has just vouched for the grant
  lookup.set_cookie =
      sessionSetCookie(deps.config, deps.cookies.sealSession(session), session.expires_at - now);
  metrics().sessionRefreshed();
  deps.log.log(LogLevel::kInfo, "session_refreshed",
               {{"client", request.client_address}, {"sub", session.sub}});
  return true;
}

// revalidate_seconds for a session without a refresh token: the provider is asked (userinfo)
// whether it still accepts the access token. Only its refusal (kRevalidationFailed: 401,
// another subject, or nothing to ask with) ends the session; an outage keeps it (fail open:
// the session still ends at its own expiry) and a later request asks again. False: ended.
bool applyRevalidation(const Request& request, Deps& deps, Session& session, int64_t now,
                       SessionLookup& lookup) {
  auto vouched = deps.refresher.revalidate(session.access_token, session.sub, deps.provider, now);
  if (!vouched) {
    return true;  // still asking: this request is served as it is
  }
  if (!*vouched) {
    return keepUnlessRefused(request, deps, session, vouched->error(), Errc::kRevalidationFailed,
                             "revalidation", lookup);
  }
  session.checked_at = now;
  lookup.set_cookie =
      sessionSetCookie(deps.config, deps.cookies.sealSession(session), session.expires_at - now);
  deps.log.log(LogLevel::kDebug, "session_revalidated",
               {{"client", request.client_address}, {"sub", session.sub}});
  return true;
}

}  // namespace

SessionLookup lookupSession(const Request& request, Deps& site, bool with_tokens) {
  SessionLookup lookup;
  const auto value = request.cookie(site.cookie_names.session);
  if (!value) {
    return lookup;
  }
  const int64_t now = site.clock.now();
  auto opened = site.cookies.openSessionIdentity(*value, now);
  // From here on, the rules, refresh and pages of the provider that made the session.
  Deps* own = opened ? providerDeps(site, opened->provider) : nullptr;
  if (opened && own == nullptr) {
    opened = makeError(Errc::kCookieMalformed, "its provider is no longer configured");
  }
  if (!opened) {
    logRefused(request, site, opened.error());
    lookup.set_cookie = sessionClearCookie(site.config);
    lookup.ended = true;
    return lookup;
  }
  Deps& deps = *own;
  lookup.provider_deps = own;
  if (deps.revocations != nullptr) {
    switch (deps.revocations->check(opened->sid, opened->sub, opened->email, opened->issued_at, now,
                                    opened->provider_sid)) {
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
  const bool revalidation_due =
      deps.config.revalidate_seconds > 0 &&
      now - std::max(opened->issued_at, opened->checked_at) >= deps.config.revalidate_seconds;
  if (refresh_due || revalidation_due || with_tokens) {
    opened = deps.cookies.openSession(*value, now);
    if (!opened) {
      logRefused(request, deps, opened.error());
      lookup.set_cookie = sessionClearCookie(deps.config);
      lookup.ended = true;
      return lookup;
    }
  }
  Session session = std::move(opened.value());
  // A refresh is itself a check with the provider, so a due re-validation of a session with
  // a refresh token is a refresh.
  if ((refresh_due || revalidation_due) && !session.refresh_token.empty()) {
    if (!applyRefresh(request, deps, session, now, lookup)) {
      return lookup;
    }
  } else if (revalidation_due && !applyRevalidation(request, deps, session, now, lookup)) {
    return lookup;
  }
  if (!session.facts_digest.empty()) {
    auto facts = openFacts(request, deps.cookie_names.session, session.facts_digest);
    if (!facts) {
      logRefused(request, deps, facts.error());
      lookup.set_cookie = sessionClearCookie(deps.config);
      lookup.ended = true;
      return lookup;
    }
    lookup.facts = std::move(*facts);
  }
  // The policy is checked on every request, not only at sign-in, so removing an address
  // from allowed_emails takes effect for live sessions at once.
  Status policy = checkSitePolicy(deps.config, session.email, session.email_verified, lookup.facts);
  if (policy) {
    lookup.outcome = SessionLookup::Outcome::kValid;
  } else {
    lookup.outcome = SessionLookup::Outcome::kForbidden;
    lookup.refusal = policy.error();
  }
  lookup.session = std::move(session);
  return lookup;
}

Status checkSitePolicy(const Config& config, std::string_view email, bool email_verified,
                       const Facts& facts) {
  if (Status emails = checkEmailPolicy(config, email, email_verified); !emails) {
    return emails;
  }
  if (auto denial = findDenial(siteRules(config), Subject{email, email_verified, facts})) {
    return makeError(Errc::kAccessDenied, denial->rule + ": " + denial->what + "; " + denial->ask);
  }
  return {};
}

}  // namespace latchkey
