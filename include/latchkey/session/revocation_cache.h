// The in-process copy of the store's revocations that keeps /auth from waiting on the
// store. At most once per sync interval one request asks the store for its generation
// counter (one small read) and reloads the set only when it changed; every other request
// checks the copy under a short lock. When the store cannot be reached the last copy keeps
// serving for max_stale seconds, then the verdict is kUnknown and callers fail closed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>

#include "latchkey/store/session_store.h"

namespace latchkey {

class RevocationCache {
 public:
  enum class Verdict { kLive, kRevoked, kUnknown };
  using Millis = std::chrono::milliseconds;

  RevocationCache(SessionStore& store, int64_t max_stale_seconds, Millis sync_interval);

  // sid may be empty (a cookie from before sessions had ids): only subject marks apply.
  // provider_sid: the session's providerSidMark(), ended by a back-channel logout; may be
  // empty. now: wall-clock seconds (expiry of store entries); sync timing uses a steady clock.
  Verdict check(std::string_view sid, std::string_view sub, std::string_view email,
                int64_t issued_at, int64_t now, std::string_view provider_sid = {});

  // After this process wrote a revocation: the next check reloads, so it takes effect here
  // at once rather than after the interval.
  void invalidate();

  SessionStore& store() { return store_; }

 private:
  using Snapshot = std::shared_ptr<const RevocationSet>;
  int64_t steadyMillis() const;
  void sync(int64_t now, int64_t steady_now);
  Snapshot current();

  SessionStore& store_;
  const int64_t max_stale_ms_;
  const int64_t interval_ms_;
  std::mutex snapshot_mutex_;  // guards snapshot_ only; held for a pointer copy
  Snapshot snapshot_;
  std::mutex sync_mutex_;  // one request at a time talks to the store
  std::atomic<int64_t> last_attempt_ms_{INT64_MIN / 2};
  std::atomic<int64_t> last_success_ms_{INT64_MIN / 2};
};

}  // namespace latchkey
