#include "latchkey/oidc/bounded_provider.h"

#include <algorithm>

namespace latchkey {

// Takes one place, waiting for one as the class comment says; gives it back on destruction,
// also when the call throws.
class BoundedProvider::Slot {
 public:
  explicit Slot(BoundedProvider& owner) : owner_(owner) {
    std::unique_lock lock(owner_.mutex_);
    if (owner_.in_flight_ >= owner_.max_in_flight_) {
      const auto now = std::chrono::steady_clock::now();
      if (now < owner_.congested_until_) {
        return;
      }
      const bool freed = owner_.freed_.wait_until(
          lock, now + owner_.slot_wait_, [&] { return owner_.in_flight_ < owner_.max_in_flight_; });
      if (!freed) {
        owner_.congested_until_ = std::chrono::steady_clock::now() + owner_.congestion_memory_;
        return;
      }
    }
    ++owner_.in_flight_;
    taken_ = true;
  }
  ~Slot() {
    if (taken_) {
      std::lock_guard lock(owner_.mutex_);
      --owner_.in_flight_;
      owner_.freed_.notify_one();
    }
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  explicit operator bool() const { return taken_; }

 private:
  BoundedProvider& owner_;
  bool taken_ = false;
};

namespace {

Error busy(int limit) {
  return makeError(Errc::kProviderBusy,
                   std::to_string(limit) + " provider calls already in flight");
}

}  // namespace

BoundedProvider::BoundedProvider(IdentityProvider& inner, int max_in_flight, const Logger& log,
                                 std::chrono::milliseconds slot_wait,
                                 std::chrono::milliseconds congestion_memory)
    : inner_(inner),
      max_in_flight_(std::max(1, max_in_flight)),
      log_(log),
      slot_wait_(slot_wait),
      congestion_memory_(congestion_memory) {}

int BoundedProvider::inFlight() const {
  std::lock_guard lock(mutex_);
  return in_flight_;
}

void BoundedProvider::logBusy(std::string_view call) const {
  log_.log(LogLevel::kWarn, "provider_busy",
           {{"call", call}, {"limit", std::to_string(max_in_flight_)}});
}

Result<std::string> BoundedProvider::authorizationUrl(const AuthorizationRequest& request) {
  const Slot slot(*this);
  if (!slot) {
    logBusy("authorization");
    return busy(max_in_flight_);
  }
  return inner_.authorizationUrl(request);
}

Result<SignIn> BoundedProvider::redeemCode(const CodeRedemption& redemption) {
  const Slot slot(*this);
  if (!slot) {
    logBusy("token");
    return busy(max_in_flight_);
  }
  return inner_.redeemCode(redemption);
}

Result<TokenSet> BoundedProvider::refresh(const std::string& refresh_token) {
  const Slot slot(*this);
  if (!slot) {
    logBusy("refresh");
    return busy(max_in_flight_);
  }
  return inner_.refresh(refresh_token);
}

Status BoundedProvider::checkAccessToken(const std::string& access_token, std::string_view sub) {
  const Slot slot(*this);
  if (!slot) {
    logBusy("userinfo");
    return busy(max_in_flight_);
  }
  return inner_.checkAccessToken(access_token, sub);
}

void BoundedProvider::revoke(const TokenSet& tokens) {
  const Slot slot(*this);
  if (!slot) {
    logBusy("revoke");
    return;
  }
  inner_.revoke(tokens);
}

Result<std::string> BoundedProvider::check() {
  return inner_.check();
}

int providerCallLimit(int threads) {
  return std::max(1, threads - std::max(1, threads / 4));
}

}  // namespace latchkey
