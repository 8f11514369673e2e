// What one reading of the configuration builds (settings, pages, cookie keys, the provider
// client) and how SIGHUP swaps it for a fresh one without dropping a request.
//
// Each request copies the current shared_ptr<Runtime> once and uses only that copy, so a
// reload never changes settings under a request in flight: requests already running finish
// with the old runtime, which is freed when the last of them ends; new requests see the new
// one. What must outlive a reload (the replay guard for used sign-in states, the refresh
// coordinator, the metrics) lives outside, in RuntimeBase.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "latchkey/app/router.h"
#include "latchkey/oidc/bounded_provider.h"
#include "latchkey/net/http_client.h"
#include "latchkey/util/metrics.h"
#include "latchkey/server/server.h"
#include "latchkey/session/revocation_cache.h"
#include "latchkey/store/session_store.h"

namespace latchkey {

struct RuntimeBase {
  const Clock& clock;
  RefreshCoordinator& refresher;
  ReplayGuard& used_states;
  int provider_call_limit;  // provider calls in flight at once (BoundedProvider)
  // Both null without session_store.
  SessionStore* store;
  RevocationCache* revocations;
};

class Runtime {
 public:
  Runtime(Config config, std::unique_ptr<Pages> pages, const RuntimeBase& base);
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  const Config& config() const { return config_; }
  const Logger& log() const { return log_; }
  IdentityProvider& provider() { return bounded_; }
  Deps& deps() { return deps_; }

 private:
  Config config_;
  Logger log_;
  CookieNames cookie_names_;
  CookieCodec codec_;
  std::unique_ptr<Pages> pages_;
  CurlHttpClient curl_;
  MeteredHttpClient http_;
  std::unique_ptr<IdentityProvider> provider_;
  BoundedProvider bounded_;  // provider_, kept from occupying every worker
  Deps deps_;
};

// A runtime, or the problems (one line each) that stop the configuration from being used.
struct RuntimeLoad {
  std::shared_ptr<Runtime> runtime;
  std::vector<std::string> problems;
};

// Reads the configuration file (and the LATCHKEY_* environment, secret files, templates).
RuntimeLoad loadRuntime(const std::optional<std::string>& config_path, const RuntimeBase& base);

// The current runtime; current() and replace() may be called from any thread.
class RuntimeHolder {
 public:
  explicit RuntimeHolder(std::shared_ptr<Runtime> first) : current_(std::move(first)) {}
  std::shared_ptr<Runtime> current() const { return current_.load(std::memory_order_acquire); }
  void replace(std::shared_ptr<Runtime> next) {
    current_.store(std::move(next), std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<Runtime>> current_;
};

// SIGHUP: loads the configuration again. A valid one replaces the current runtime ("reloaded");
// an invalid one is refused: each problem is logged ("reload_problem"), then "reload_refused",
// and the current runtime keeps serving. Returns true when replaced.
bool reloadRuntime(RuntimeHolder& holder, const std::optional<std::string>& config_path,
                   const RuntimeBase& base);

// The RequestHandler for both front ends: request id, parse, route, metrics, access line.
RequestHandler makeRequestHandler(const RuntimeHolder& holder);

}  // namespace latchkey
