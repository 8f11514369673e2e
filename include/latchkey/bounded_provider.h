// An IdentityProvider that lets at most a fixed number of calls wait on the provider at once.
// Every route shares one pool of worker threads, and a provider call (discovery, JWKS, token,
// userinfo, refresh, revoke) holds its worker for up to http_timeout. Without a bound, a slow
// or hanging provider and a handful of sign-ins would occupy every worker, and signed-in
// visitors (/auth) would wait behind them. A call over the bound is not queued: it fails at
// once with kProviderBusy, having sent nothing, so the visitor gets a page saying to retry.
#pragma once

#include <atomic>
#include <string>

#include "latchkey/identity_provider.h"
#include "latchkey/log.h"

namespace latchkey {

class BoundedProvider final : public IdentityProvider {
 public:
  // inner and log must outlive this; max_in_flight below 1 counts as 1. Every refusal is
  // logged (provider_busy), since it means the provider is slow or the bound too small.
  BoundedProvider(IdentityProvider& inner, int max_in_flight, const Logger& log);

  Result<std::string> authorizationUrl(const AuthorizationRequest& request) override;
  Result<SignIn> redeemCode(const CodeRedemption& redemption) override;
  Result<TokenSet> refresh(const std::string& refresh_token) override;
  // Over the bound the revocation is skipped (it is best effort anyway).
  void revoke(const TokenSet& tokens) override;
  // Unbounded: --check runs alone, before any worker starts.
  Result<std::string> check() override;

  int inFlight() const { return in_flight_.load(); }

 private:
  class Slot;
  void logBusy(std::string_view call) const;

  IdentityProvider& inner_;
  const int max_in_flight_;
  const Logger& log_;
  std::atomic<int> in_flight_{0};
};

// The bound for a pool of `threads` workers: half of them (at least one), so at least as
// many workers as wait on the provider stay free for /auth and the pages that need no
// provider. With one thread the one worker can still be held by a provider call.
int providerCallLimit(int threads);

}  // namespace latchkey
