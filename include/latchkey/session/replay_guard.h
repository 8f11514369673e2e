// Remembers which sign-in flows (by state) were already completed, so a replayed callback is
// refused before the code reaches the provider a second time (RFC 9700 §4.5: a code is
// redeemed once). Bounded in size; entries expire with the login cookie they belong to.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace latchkey {

class ReplayGuard {
 public:
  static constexpr size_t kMaxEntries = 100000;

  // True the first time a state is seen (until expires_at); false for a replay.
  bool firstUse(std::string_view state, int64_t expires_at, int64_t now);
  // Undoes firstUse for a flow whose code never left this process (the provider call was
  // refused as busy), so the visitor can retry the same callback.
  void release(std::string_view state);

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, int64_t> seen_;  // SHA-256(state) -> expires_at
};

}  // namespace latchkey
