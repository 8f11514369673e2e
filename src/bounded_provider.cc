#include "latchkey/bounded_provider.h"

#include <algorithm>

namespace latchkey {

// Takes one place if one is free; gives it back on destruction, also when the call throws.
class BoundedProvider::Slot {
 public:
  explicit Slot(BoundedProvider& owner) : owner_(owner) {
    int current = owner_.in_flight_.load();
    while (current < owner_.max_in_flight_) {
      if (owner_.in_flight_.compare_exchange_weak(current, current + 1)) {
        taken_ = true;
        return;
      }
    }
  }
  ~Slot() {
    if (taken_) {
      owner_.in_flight_.fetch_sub(1);
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

BoundedProvider::BoundedProvider(IdentityProvider& inner, int max_in_flight, const Logger& log)
    : inner_(inner), max_in_flight_(std::max(1, max_in_flight)), log_(log) {}

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

void BoundedProvider::revoke(const TokenSet& tokens) {
  const Slot slot(*this);
  if (!slot) {
    logBusy("revoke");
    return;
  }
  inner_.revoke(tokens);
}

Result<std::string> BoundedProvider::check() { return inner_.check(); }

int providerCallLimit(int threads) { return std::max(1, threads / 2); }

}  // namespace latchkey
