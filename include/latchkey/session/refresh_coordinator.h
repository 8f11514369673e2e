// Single-flight token refresh, kept off the request's critical path.
//
// Providers that rotate refresh tokens invalidate the old one on first use, so when several
// requests carrying the same expiring session arrive at once, exactly one call may reach the
// token endpoint; the others share its result. A result stays available for a while, so a
// request that still carries the old cookie right after the refresh gets the new tokens
// instead of a second refresh: kGraceSeconds for a success, kRetryAfterFailureSeconds for a
// failure (after which the next request tries again).
//
// With background workers, the call runs on one of them and a request waits for it at most
// `wait` after the refresh started; past that the request goes on without it (the caller
// serves the session as it is) and a later request picks the result up. Without workers
// (plain CGI: the process ends with its request, so nothing could finish the work later) the
// first request makes the call itself and the others wait at most `wait` for it.
//
// Whatever the provider does, including throwing, every flight ends with a result and no
// request waits longer than `wait` for another's call.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "latchkey/oidc/identity_provider.h"
#include "latchkey/util/result.h"

namespace latchkey {

class RefreshCoordinator {
 public:
  static constexpr int64_t kGraceSeconds = 60;
  static constexpr int64_t kRetryAfterFailureSeconds = 10;
  static constexpr std::chrono::milliseconds kDefaultWait{200};
  static constexpr size_t kMaxQueued = 256;

  explicit RefreshCoordinator(int background_workers = 0,
                              std::chrono::milliseconds wait = kDefaultWait);
  ~RefreshCoordinator();  // stops and joins the workers
  RefreshCoordinator(const RefreshCoordinator&) = delete;
  RefreshCoordinator& operator=(const RefreshCoordinator&) = delete;

  // Thread-safe; the provider (which must outlive this object) is called without the lock.
  // The result of the refresh, or nullopt while it is still running (or when the queue is
  // full): then the caller goes on with the session it has.
  std::optional<Result<TokenSet>> refresh(const std::string& refresh_token,
                                          IdentityProvider& provider, int64_t now);
  // The same flight, with call doing the refresh (refreshOnceAcrossProcesses around the
  // provider's, when a session store is shared); call must stay valid until it has run.
  std::optional<Result<TokenSet>> refresh(const std::string& refresh_token,
                                          std::function<Result<TokenSet>()> call, int64_t now);
  // Re-validation (revalidate_seconds) of a session without a refresh token:
  // provider.checkAccessToken, single-flight and bounded exactly like a refresh. An empty
  // TokenSet when the provider vouched for the token. A success is reused only within the
  // same second (a refusal or an outage, like a failed refresh, for kRetryAfterFailureSeconds).
  std::optional<Result<TokenSet>> revalidate(const std::string& access_token,
                                             const std::string& sub, IdentityProvider& provider,
                                             int64_t now);

 private:
  struct Flight;
  struct Job {
    std::shared_ptr<Flight> flight;
    std::function<Result<TokenSet>()> call;
  };

  std::optional<Result<TokenSet>> run(const std::string& key,
                                      std::function<Result<TokenSet>()> call, int64_t now,
                                      int64_t keep_success);

  void forgetOld(int64_t now);
  void finish(Flight& flight, Result<TokenSet> result);
  void startWorkers();
  void workerLoop();

  const int background_workers_;
  const std::chrono::milliseconds wait_;
  std::mutex mutex_;
  std::condition_variable done_;                            // a flight finished
  std::condition_variable work_;                            // a job was queued, or stopping
  std::map<std::string, std::shared_ptr<Flight>> flights_;  // key: SHA-256 of the token
  std::deque<Job> queue_;
  std::vector<std::thread> workers_;
  bool stopping_ = false;
};

}  // namespace latchkey
