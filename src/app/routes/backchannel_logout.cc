// POST /backchannel-logout: OpenID Connect Back-Channel Logout 1.0. The provider POSTs a
// logout token (§2.5) when a user signs out there; the sessions it names end on every
// latchkey sharing the session store:
//   sid (the provider's session id): a revocation-list entry providerSidMark(sid), which
//     /auth compares with the mark the session cookie got from the ID token at sign-in. No
//     store write per sign-in and no lookup per request beyond the in-process copy;
//   sub alone: the subject's "issued before now" mark, as --revoke-user writes.
// The jti is claimed once in the store, so a replayed token is refused on every process.
// With several providers, each provider's registered URL names it: ?provider=NAME.
// Answers (§2.8): 200 when done, 400 {"error":"invalid_request"} for a token that fails,
// 501 when this deployment cannot end sessions (no store, or a provider without ID tokens).
#include <string>

#include "latchkey/app/router.h"
#include "latchkey/session/revocation_cache.h"
#include "latchkey/store/session_store.h"
#include "latchkey/util/crypto.h"
#include "latchkey/util/encoding.h"
#include "latchkey/util/log.h"

namespace latchkey {
namespace {

Response answer(int status, std::string_view error, std::string_view description) {
  Response response;
  response.status = status;
  response.addHeader("Cache-Control", "no-store");
  if (!error.empty()) {
    response.addHeader("Content-Type", "application/json");
    response.body = "{\"error\":\"" + jsonEscape(error) + "\",\"error_description\":\"" +
                    jsonEscape(description) + "\"}";
  }
  return response;
}

Response refuse(const Request& request, Deps& deps, const Error& error) {
  deps.log.log(LogLevel::kWarn, "backchannel_logout_refused",
               {{"client", request.client_address},
                {"reason", errcName(error.code)},
                {"detail", error.detail}});
  return answer(400, "invalid_request", error.detail);
}

std::string jtiKey(const Config& config, const LogoutTokenClaims& claims) {
  const auto digest = sha256(config.issuer + '\n' + claims.jti);
  return "bcl:" + base64UrlEncode(std::string_view(reinterpret_cast<const char*>(digest.data()),
                                                   digest.size()));
}

// The jti is remembered as long as a token carrying it could pass the iat check.
Status claimJti(Deps& deps, const LogoutTokenClaims& claims, int64_t now) {
  const int64_t until = claims.iat + kLogoutTokenMaxAgeSeconds + 2 * kLogoutTokenSkewSeconds;
  auto first = deps.store->claimOnce(jtiKey(deps.config, claims), until, now);
  if (!first) {
    return first.error();
  }
  if (!*first) {
    return makeError(Errc::kLogoutTokenReplayed, "jti was already used");
  }
  return {};
}

}  // namespace

Response handleBackchannelLogout(const Request& request, Deps& all) {
  // With several providers each registers its own URL, ?provider=NAME, so the token is
  // checked against that provider's keys, issuer and client_id only.
  Deps* chosen = &all;
  if (all.providers != nullptr) {
    const auto id = request.queryParam("provider");
    chosen = id ? providerDeps(all, *id) : nullptr;
    if (chosen == nullptr) {
      return refuse(request, all,
                    makeError(Errc::kBadRequest,
                              "with several providers, each registers "
                              "backchannel_logout_uri = .../backchannel-logout?provider=NAME"));
    }
  }
  Deps& deps = *chosen;
  if (deps.store == nullptr || deps.config.provider == ProviderKind::kGithub) {
    const std::string why = deps.store == nullptr
                                ? "back-channel logout needs a session_store to end sessions"
                                : "GitHub issues no ID tokens, so it sends no logout tokens";
    deps.log.log(LogLevel::kError, "backchannel_logout_unavailable",
                 {{"client", request.client_address}, {"detail", why}});
    return answer(501, "invalid_request", why);
  }
  const auto token = request.formField("logout_token");
  if (!token || token->empty()) {
    return refuse(request, deps, makeError(Errc::kBadRequest, "no logout_token in the body"));
  }
  auto claims = deps.provider.verifyLogoutToken(*token);
  if (!claims) {
    return refuse(request, deps, claims.error());
  }
  const int64_t now = deps.clock.now();
  if (Status fresh = claimJti(deps, *claims, now); !fresh) {
    if (fresh.error().code != Errc::kLogoutTokenReplayed) {
      // §2.8: the RP could not end the session; the provider may retry.
      deps.log.log(LogLevel::kError, "backchannel_logout_failed",
                   {{"client", request.client_address}, {"detail", fresh.error().detail}});
      return answer(503, "temporarily_unavailable", "the session store cannot be reached");
    }
    return refuse(request, deps, fresh.error());
  }
  const int64_t until = now + deps.config.session_lifetime;
  Status ended = claims->sid.empty()
                     // +1: a session issued earlier in this same second ends too.
                     ? deps.store->revokeSubject(claims->sub, now + 1, until, now)
                     : deps.store->revokeSession(providerSidMark(claims->sid), until, now);
  if (!ended) {
    deps.log.log(LogLevel::kError, "backchannel_logout_failed",
                 {{"client", request.client_address}, {"detail", ended.error().detail}});
    // Let the provider's retry through rather than refuse it as a replay.
    (void)deps.store->releaseClaim(jtiKey(deps.config, *claims));
    return answer(503, "temporarily_unavailable", "the session store cannot be reached");
  }
  if (deps.revocations != nullptr) {
    deps.revocations->invalidate();
  }
  deps.log.log(LogLevel::kInfo, "backchannel_logout",
               {{"client", request.client_address},
                {"sub", claims->sub},
                {"scope", claims->sid.empty() ? "subject" : "provider_session"}});
  return answer(200, {}, {});
}

}  // namespace latchkey
