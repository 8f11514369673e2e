// Provider calls under load: the bound on calls in flight and the background refresh.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "latchkey/oidc/bounded_provider.h"
#include "latchkey/session/refresh_coordinator.h"
#include "support/app_test_support.h"

namespace latchkey {
namespace {

using std::chrono::milliseconds;
using testing::FakeProvider;

// A provider whose refresh blocks until released, to hold calls in flight.
class GatedProvider final : public IdentityProvider {
 public:
  Result<std::string> authorizationUrl(const AuthorizationRequest&) override { return hold("u"); }
  Result<SignIn> redeemCode(const CodeRedemption&) override {
    hold("");
    return makeError(Errc::kProviderUnreachable, "held");
  }
  Result<TokenSet> refresh(const std::string&) override {
    hold("");
    ++refreshes;
    if (throw_on_refresh) {
      throw std::runtime_error("boom");
    }
    return TokenSet{"a", "r", 0};
  }
  void revoke(const TokenSet&) override { ++revokes; }
  Result<std::string> check() override { return std::string("ok"); }

  void release() {
    std::lock_guard lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }
  std::atomic<int> entered{0};
  std::atomic<int> refreshes{0};
  std::atomic<int> revokes{0};
  bool throw_on_refresh = false;

 private:
  std::string hold(std::string value) {
    ++entered;
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return open_; });
    return value;
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

void waitFor(const std::atomic<int>& counter, int value) {
  for (int i = 0; i < 500 && counter.load() < value; ++i) {
    std::this_thread::sleep_for(milliseconds(5));
  }
}

// All but a quarter of the workers (at least one kept free from two workers on) may wait on
// the provider.
TEST(BoundedProvider, LimitKeepsAQuarterOfTheWorkers) {
  EXPECT_EQ(providerCallLimit(1), 1);
  EXPECT_EQ(providerCallLimit(2), 1);
  EXPECT_EQ(providerCallLimit(4), 3);
  EXPECT_EQ(providerCallLimit(8), 6);
  EXPECT_EQ(providerCallLimit(32), 24);
}

// Over the bound a call waits a moment for a place; when none frees up, it fails with
// kProviderBusy without reaching the provider, and from then on (congestion) calls over the
// bound fail at once. A place is free again when a call ends.
TEST(BoundedProvider, CallsOverTheBoundFailWhenTheProviderIsStuck) {
  GatedProvider inner;
  const Logger log(LogLevel::kError);
  BoundedProvider bounded(inner, 2, log, milliseconds(50), milliseconds(60000));
  std::vector<std::thread> held;
  for (int i = 0; i < 2; ++i) {
    held.emplace_back([&] { (void)bounded.authorizationUrl({}); });
  }
  waitFor(inner.entered, 2);
  auto started = std::chrono::steady_clock::now();
  auto refused = bounded.redeemCode({});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kProviderBusy);
  EXPECT_GE(std::chrono::steady_clock::now() - started, milliseconds(50));
  started = std::chrono::steady_clock::now();
  EXPECT_FALSE(bounded.refresh("r"));
  bounded.revoke({});
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(40));
  EXPECT_EQ(inner.entered, 2);
  EXPECT_EQ(inner.revokes, 0);
  inner.release();
  for (auto& t : held) {
    t.join();
  }
  EXPECT_EQ(bounded.inFlight(), 0);
  EXPECT_TRUE(bounded.refresh("r"));
}

// A healthy provider under a burst: calls over the bound wait for a place and all get through.
TEST(BoundedProvider, BurstOnAHealthyProviderAllGetThrough) {
  FakeProvider inner;
  inner.refresh_delay = milliseconds(5);
  const Logger log(LogLevel::kError);
  BoundedProvider bounded(inner, 2, log);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&] {
      if (bounded.refresh("r")) {
        ++ok;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(ok, 12);
}

// A call that throws gives its place back.
TEST(BoundedProvider, ThrowingCallFreesItsPlace) {
  FakeProvider inner;
  inner.refresh_throws = true;
  const Logger log(LogLevel::kError);
  BoundedProvider bounded(inner, 1, log);
  EXPECT_THROW((void)bounded.refresh("r"), std::runtime_error);
  EXPECT_EQ(bounded.inFlight(), 0);
  inner.refresh_throws = false;
  EXPECT_TRUE(bounded.refresh("r"));
}

// In the background, a request waits at most the bound, then goes on; a later request picks
// up the result of the same single call.
TEST(RefreshCoordinator, BackgroundRefreshWaitIsBounded) {
  GatedProvider provider;
  RefreshCoordinator coordinator(1, milliseconds(50));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(coordinator.refresh("r", provider, 100).has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(1000));
  EXPECT_FALSE(coordinator.refresh("r", provider, 100).has_value());  // no second wait on it
  provider.release();
  waitFor(provider.refreshes, 1);
  std::optional<Result<TokenSet>> later;
  for (int i = 0; i < 200 && !later; ++i) {
    later = coordinator.refresh("r", provider, 101);
    std::this_thread::sleep_for(milliseconds(5));
  }
  ASSERT_TRUE(later && *later);
  EXPECT_EQ((*later)->access_token, "a");
  EXPECT_EQ(provider.refreshes, 1);
}

// A refresh that throws ends its flight with an error: the requests sharing it get an
// answer instead of waiting forever, and a later request tries again.
TEST(RefreshCoordinator, ThrowingRefreshReleasesEveryWaiter) {
  for (int workers : {0, 1}) {
    FakeProvider provider;
    provider.refresh_throws = true;
    provider.refresh_delay = milliseconds(30);
    RefreshCoordinator coordinator(workers, milliseconds(2000));
    std::vector<std::thread> threads;
    std::atomic<int> answered{0};
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&] {
        auto result = coordinator.refresh("r", provider, 100);
        if (result && !*result && result->error().code == Errc::kInternal) {
          ++answered;
        }
      });
    }
    for (auto& t : threads) {
      t.join();
    }
    EXPECT_EQ(answered, 4) << workers;
    EXPECT_EQ(provider.refresh_calls, 1) << workers;
    provider.refresh_throws = false;
    auto retried =
        coordinator.refresh("r", provider, 100 + RefreshCoordinator::kRetryAfterFailureSeconds + 1);
    ASSERT_TRUE(retried && *retried) << workers;
    EXPECT_EQ(provider.refresh_calls, 2) << workers;
  }
}

// A failure is remembered for a short while (no stampede on a failing provider), then retried;
// a success is shared for the grace period.
TEST(RefreshCoordinator, FailureRetriedLaterSuccessShared) {
  FakeProvider provider;
  provider.refresh_result = makeError(Errc::kProviderBadResponse, "503");
  RefreshCoordinator coordinator;
  EXPECT_FALSE(*coordinator.refresh("r", provider, 100));
  EXPECT_FALSE(*coordinator.refresh("r", provider, 105));
  EXPECT_EQ(provider.refresh_calls, 1);
  provider.refresh_result = TokenSet{"a2", "r2", 0};
  EXPECT_TRUE(*coordinator.refresh("r", provider, 111));
  EXPECT_EQ(provider.refresh_calls, 2);
  EXPECT_TRUE(*coordinator.refresh("r", provider, 150));
  EXPECT_EQ(provider.refresh_calls, 2);
}

}  // namespace
}  // namespace latchkey
