// An IdentityProvider that keeps provider calls from occupying every worker.
//
// Every route shares one pool of worker threads, and a provider call (discovery, JWKS, token,
// userinfo, refresh, revoke) holds its worker for up to http_timeout. Without a bound, a slow
// or hanging provider and a handful of sign-ins would occupy every worker, and signed-in
// visitors (/auth) would wait behind them.
//
// So at most max_in_flight calls run at once. A call over the bound waits up to slot_wait for
// a place while the provider is keeping up (a burst of sign-ins on a healthy provider all
// get through). Once a wait has run out, the provider counts as congested for
// congestion_memory: calls over the bound then fail at once with kProviderBusy, having sent
// nothing, so the visitor gets a page saying to retry and the worker is free again.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

#include "latchkey/oidc/identity_provider.h"
#include "latchkey/util/log.h"

namespace latchkey {

class BoundedProvider final : public IdentityProvider {
 public:
  static constexpr std::chrono::milliseconds kDefaultSlotWait{500};
  static constexpr std::chrono::milliseconds kDefaultCongestionMemory{5000};

  // inner and log must outlive this; max_in_flight below 1 counts as 1. Every refusal is
  // logged (provider_busy): the provider is slow, or the bound too small for the load.
  BoundedProvider(IdentityProvider& inner, int max_in_flight, const Logger& log,
                  std::chrono::milliseconds slot_wait = kDefaultSlotWait,
                  std::chrono::milliseconds congestion_memory = kDefaultCongestionMemory);

  Result<std::string> authorizationUrl(const AuthorizationRequest& request) override;
  Result<SignIn> redeemCode(const CodeRedemption& redemption) override;
  Result<TokenSet> refresh(const std::string& refresh_token) override;
  // Over the bound the revocation is skipped (it is best effort anyway).
  void revoke(const TokenSet& tokens) override;
  // Unbounded: --check runs alone, before any worker starts.
  Result<std::string> check() override;
  // Unbounded: a bearer token is checked against the cached key set, so it almost never calls
  // the provider, and an API client must not be refused because sign-ins hold the slots.
  Result<Identity> verifyBearer(std::string_view token, const std::vector<std::string>& audiences,
                                int64_t& expires_at) override {
    return inner_.verifyBearer(token, audiences, expires_at);
  }
  // Unbounded: builds a URL from the cached discovery document.
  Result<std::string> endSessionUrl(const EndSessionRequest& request) override {
    return inner_.endSessionUrl(request);
  }

  // Unbounded: verified against the cached key set, like a bearer token; a provider's
  // back-channel call must not be refused because sign-ins hold the slots.
  Result<LogoutTokenClaims> verifyLogoutToken(std::string_view token) override {
    return inner_.verifyLogoutToken(token);
  }
  Status checkAccessToken(const std::string& access_token, std::string_view sub) override;

  int inFlight() const;

 private:
  class Slot;
  void logBusy(std::string_view call) const;

  IdentityProvider& inner_;
  const int max_in_flight_;
  const Logger& log_;
  const std::chrono::milliseconds slot_wait_;
  const std::chrono::milliseconds congestion_memory_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  int in_flight_ = 0;
  std::chrono::steady_clock::time_point congested_until_{};
};

// The bound for a pool of `threads` workers: all but a quarter of them (at least one worker
// is kept from the provider whenever there are two or more).
int providerCallLimit(int threads);

}  // namespace latchkey
