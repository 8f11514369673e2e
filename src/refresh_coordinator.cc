#include "latchkey/refresh_coordinator.h"

#include <optional>
#include <utility>

#include "latchkey/crypto.h"

namespace latchkey {

struct RefreshCoordinator::Flight {
  bool done = false;
  int64_t finished_at = 0;
  std::optional<Result<TokenSet>> result;
  std::condition_variable cv;
};

namespace {

// The key is a hash, so the map never holds a usable refresh token.
std::string flightKey(const std::string& refresh_token) {
  const auto digest = sha256(refresh_token);
  return std::string(digest.begin(), digest.end());
}

}  // namespace

Result<TokenSet> RefreshCoordinator::refresh(const std::string& refresh_token,
                                             IdentityProvider& provider, int64_t now) {
  const std::string key = flightKey(refresh_token);
  std::shared_ptr<Flight> flight;
  {
    std::unique_lock lock(mutex_);
    forgetOld(now);
    auto it = flights_.find(key);
    if (it == flights_.end()) {
      flight = std::make_shared<Flight>();
      flights_.emplace(key, flight);
    } else {
      flight = it->second;
      flight->cv.wait(lock, [&] { return flight->done; });
      return *flight->result;
    }
  }
  // Leader: the one call to the token endpoint, outside the lock.
  Result<TokenSet> result = provider.refresh(refresh_token);
  {
    std::lock_guard lock(mutex_);
    flight->result.emplace(result);
    flight->finished_at = now;
    flight->done = true;
  }
  flight->cv.notify_all();
  return result;
}

void RefreshCoordinator::forgetOld(int64_t now) {
  for (auto it = flights_.begin(); it != flights_.end();) {
    if (it->second->done && now - it->second->finished_at > kGraceSeconds) {
      it = flights_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace latchkey
