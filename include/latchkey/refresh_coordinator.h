// Single-flight token refresh. Providers that rotate refresh tokens invalidate the old one
// on first use, so when several requests carrying the same expiring session arrive at
// once, exactly one may call the token endpoint; the others wait for and share its result.
// A result stays available for a short grace period, so a request that still carries the
// old cookie right after the refresh gets the new tokens instead of a second refresh.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "latchkey/identity_provider.h"
#include "latchkey/result.h"

namespace latchkey {

class RefreshCoordinator {
 public:
  static constexpr int64_t kGraceSeconds = 60;

  // Thread-safe. The provider call happens without the lock held.
  Result<TokenSet> refresh(const std::string& refresh_token, IdentityProvider& provider,
                           int64_t now);

 private:
  struct Flight;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Flight>> flights_;  // key: SHA-256 of the token
  void forgetOld(int64_t now);
};

}  // namespace latchkey
