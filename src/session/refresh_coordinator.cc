#include "latchkey/session/refresh_coordinator.h"

#include <exception>
#include <functional>
#include <utility>

#include "latchkey/util/crypto.h"

namespace latchkey {

struct RefreshCoordinator::Flight {
  int64_t keep_success = kGraceSeconds;  // seconds a successful result is handed out again
  bool done = false;
  int64_t finished_at = 0;  // first time a caller saw it done (0: not yet)
  std::optional<Result<TokenSet>> result;
  std::chrono::steady_clock::time_point wait_until;
};

namespace {

// The key is a hash, so the map never holds a usable token. kind keeps a refresh and a
// re-validation of the same token apart.
std::string flightKey(std::string_view kind, const std::string& token) {
  const auto digest = sha256(std::string(kind) + '\n' + token);
  return std::string(digest.begin(), digest.end());
}

// A provider (or an allocation inside it) that throws must still end the flight, or the
// requests sharing it would wait on a result that never comes.
Result<TokenSet> callProvider(const std::function<Result<TokenSet>()>& call) {
  try {
    return call();
  } catch (const std::exception& e) {
    return makeError(Errc::kInternal, std::string("refresh threw: ") + e.what());
  } catch (...) {
    return makeError(Errc::kInternal, "refresh threw a non-standard exception");
  }
}

}  // namespace

RefreshCoordinator::RefreshCoordinator(int background_workers, std::chrono::milliseconds wait)
    : background_workers_(background_workers), wait_(wait) {}

RefreshCoordinator::~RefreshCoordinator() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (Job& job : queue_) {
      finish(*job.flight, makeError(Errc::kInternal, "stopping"));
    }
    queue_.clear();
  }
  work_.notify_all();
  for (std::thread& worker : workers_) {
    worker.join();
  }
}

std::optional<Result<TokenSet>> RefreshCoordinator::refresh(const std::string& refresh_token,
                                                            IdentityProvider& provider,
                                                            int64_t now) {
  return refresh(
      refresh_token, [&provider, refresh_token] { return provider.refresh(refresh_token); }, now);
}

std::optional<Result<TokenSet>> RefreshCoordinator::refresh(const std::string& refresh_token,
                                                            std::function<Result<TokenSet>()> call,
                                                            int64_t now) {
  return run(flightKey("refresh", refresh_token), std::move(call), now, kGraceSeconds);
}

std::optional<Result<TokenSet>> RefreshCoordinator::revalidate(const std::string& access_token,
                                                               const std::string& sub,
                                                               IdentityProvider& provider,
                                                               int64_t now) {
  return run(
      flightKey("userinfo", access_token),
      [&provider, access_token, sub]() -> Result<TokenSet> {
        Status vouched = provider.checkAccessToken(access_token, sub);
        if (!vouched) {
          return vouched.error();
        }
        return TokenSet{};
      },
      // A success is shared only with requests of the same second: the next check,
      // however short revalidate_seconds is, must ask the provider again.
      now, 0);
}

std::optional<Result<TokenSet>> RefreshCoordinator::run(const std::string& key,
                                                        std::function<Result<TokenSet>()> call,
                                                        int64_t now, int64_t keep_success) {
  std::unique_lock lock(mutex_);
  forgetOld(now);
  std::shared_ptr<Flight> flight;
  if (auto it = flights_.find(key); it != flights_.end()) {
    flight = it->second;
  } else {
    flight = std::make_shared<Flight>();
    flight->keep_success = keep_success;
    flight->wait_until = std::chrono::steady_clock::now() + wait_;
    if (background_workers_ <= 0) {
      // Leader: the one call to the token endpoint, outside the lock.
      flights_.emplace(key, flight);
      lock.unlock();
      Result<TokenSet> result = callProvider(call);
      lock.lock();
      finish(*flight, result);
      flight->finished_at = now;
      return result;
    }
    if (stopping_ || queue_.size() >= kMaxQueued) {
      return std::nullopt;  // a later request asks again
    }
    flights_.emplace(key, flight);
    queue_.push_back({flight, std::move(call)});
    startWorkers();
    work_.notify_one();
  }
  done_.wait_until(lock, flight->wait_until, [&] { return flight->done; });
  if (!flight->done) {
    return std::nullopt;
  }
  if (flight->finished_at == 0) {
    flight->finished_at = now;
  }
  return *flight->result;
}

void RefreshCoordinator::finish(Flight& flight, Result<TokenSet> result) {
  flight.result.emplace(std::move(result));
  flight.done = true;
  done_.notify_all();
}

void RefreshCoordinator::startWorkers() {
  // Started by the first refresh, from a worker thread: the new threads inherit its blocked
  // signal mask, so SIGTERM keeps reaching the server's signal thread only.
  while (static_cast<int>(workers_.size()) < background_workers_) {
    workers_.emplace_back([this] { workerLoop(); });
  }
}

void RefreshCoordinator::workerLoop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) {
      return;
    }
    Job job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    Result<TokenSet> result = callProvider(job.call);
    lock.lock();
    finish(*job.flight, std::move(result));
  }
}

void RefreshCoordinator::forgetOld(int64_t now) {
  for (auto it = flights_.begin(); it != flights_.end();) {
    Flight& flight = *it->second;
    if (flight.done && flight.finished_at == 0) {
      flight.finished_at = now;  // finished in the background since the last look
    }
    const int64_t keep = flight.done && flight.result && flight.result->has_value()
                             ? flight.keep_success
                             : kRetryAfterFailureSeconds;
    if (flight.done && now - flight.finished_at > keep) {
      it = flights_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace latchkey
