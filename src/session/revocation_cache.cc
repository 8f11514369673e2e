#include "latchkey/session/revocation_cache.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "latchkey/util/text.h"

namespace latchkey {

RevocationCache::RevocationCache(SessionStore& store, int64_t max_stale_seconds,
                                 Millis sync_interval)
    : store_(store), max_stale_ms_(max_stale_seconds * 1000), interval_ms_(sync_interval.count()) {}

int64_t RevocationCache::steadyMillis() const {
  return std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

RevocationCache::Snapshot RevocationCache::current() {
  std::lock_guard lock(snapshot_mutex_);
  return snapshot_;
}

void RevocationCache::invalidate() {
  last_attempt_ms_.store(INT64_MIN / 2);
}

// Called with sync_mutex_ held. Reads the counter; reloads the set only when it moved.
void RevocationCache::sync(int64_t now, int64_t steady_now) {
  last_attempt_ms_.store(steady_now);
  const Snapshot known = current();
  auto generation = store_.generation();
  if (!generation)
    return;
  if (known && *generation == known->generation) {
    last_success_ms_.store(steady_now);
    return;
  }
  auto fresh = store_.revocations(now);
  if (!fresh)
    return;
  auto snapshot = std::make_shared<const RevocationSet>(std::move(fresh.value()));
  {
    std::lock_guard lock(snapshot_mutex_);
    snapshot_ = std::move(snapshot);
  }
  last_success_ms_.store(steady_now);
}

RevocationCache::Verdict RevocationCache::check(std::string_view sid, std::string_view sub,
                                                std::string_view email, int64_t issued_at,
                                                int64_t now, std::string_view provider_sid) {
  const int64_t steady_now = steadyMillis();
  if (steady_now - last_attempt_ms_.load() >= interval_ms_) {
    // Only one request syncs; the others go on with the copy they have. With no copy yet
    // (a new process) there is nothing to go on with, so they wait for the first load.
    std::unique_lock lock(sync_mutex_, std::try_to_lock);
    if (!lock.owns_lock() && !current())
      lock.lock();
    if (lock.owns_lock() && steady_now - last_attempt_ms_.load() >= interval_ms_) {
      sync(now, steady_now);
    }
  }
  const Snapshot snapshot = current();
  if (!snapshot || steadyMillis() - last_success_ms_.load() > max_stale_ms_) {
    return Verdict::kUnknown;
  }
  if (!sid.empty() && snapshot->sessions.contains(sid))
    return Verdict::kRevoked;
  if (!provider_sid.empty() && snapshot->sessions.contains(provider_sid)) {
    return Verdict::kRevoked;
  }
  const auto voids = [&](std::string_view subject) {
    if (subject.empty() || snapshot->subjects.empty())
      return false;
    const auto it = snapshot->subjects.find(subject);
    return it != snapshot->subjects.end() && issued_at < it->second;
  };
  if (voids(sub))
    return Verdict::kRevoked;
  if (!email.empty() && !snapshot->subjects.empty()) {
    if (voids(toLowerAscii(email)))
      return Verdict::kRevoked;
  }
  return Verdict::kLive;
}

}  // namespace latchkey
