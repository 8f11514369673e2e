#include "latchkey/session/replay_guard.h"

#include "latchkey/util/crypto.h"

namespace latchkey {

namespace {

std::string keyOf(std::string_view state) {
  const auto digest = sha256(state);
  return std::string(digest.begin(), digest.end());
}

}  // namespace

void ReplayGuard::release(std::string_view state) {
  const std::string key = keyOf(state);
  std::lock_guard lock(mutex_);
  seen_.erase(key);
}

bool ReplayGuard::firstUse(std::string_view state, int64_t expires_at, int64_t now) {
  std::string key = keyOf(state);
  std::lock_guard lock(mutex_);
  if (seen_.size() >= kMaxEntries) {
    std::erase_if(seen_, [now](const auto& entry) { return entry.second <= now; });
  }
  if (seen_.size() >= kMaxEntries) {
    // Still full of live entries: forget them all rather than grow without bound. The
    // provider's own one-time code check remains the last line of defence.
    seen_.clear();
  }
  auto [it, inserted] = seen_.try_emplace(std::move(key), expires_at);
  if (!inserted && it->second <= now) {
    it->second = expires_at;  // an expired entry: the login cookie is dead anyway
    return true;
  }
  return inserted;
}

}  // namespace latchkey
