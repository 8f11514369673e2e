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
#include "latchkey/net/http_client.h"
#include "latchkey/oidc/bounded_provider.h"
#include "latchkey/server/server.h"
#include "latchkey/session/revocation_cache.h"
#include "latchkey/store/session_store.h"
#include "latchkey/util/metrics.h"

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

// With several providers (config.providers) each has its own client, metadata caches and
// BoundedProvider, so one that hangs or is down occupies only its own share of the workers;
// cookies, pages' templates and the HTTP client are shared.
class Runtime {
 public:
  // pages: for the top-level config; provider_pages: one per config.providers entry.
  Runtime(Config config, std::unique_ptr<Pages> pages,
          std::vector<std::unique_ptr<Pages>> provider_pages, const RuntimeBase& base);
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  const Config& config() const { return config_; }
  const Logger& log() const { return log_; }
  // The first (or only) provider.
  IdentityProvider& provider() { return providers_.front()->bounded; }
  // Every provider's settings and client, in button order (one with a single provider).
  struct ProviderEntry {
    const Config& config;
    IdentityProvider& provider;
  };
  std::vector<ProviderEntry> providers();
  // The Deps requests start with: with several providers, those of no one provider (the
  // picker), which find each provider's own through providerDeps().
  Deps& deps() { return *deps_; }

 private:
  struct Slot {
    Slot(const Config& slot_config, std::unique_ptr<Pages> slot_pages, Runtime& runtime,
         const RuntimeBase& base);
    const Config& config;
    std::unique_ptr<Pages> pages;
    std::unique_ptr<IdentityProvider> client;
    BoundedProvider bounded;  // client, kept from occupying every worker
    Deps deps;
  };

  Config config_;
  Logger log_;
  CookieNames cookie_names_;
  CookieCodec codec_;
  std::unique_ptr<Pages> pages_;
  CurlHttpClient curl_;
  MeteredHttpClient http_;
  std::vector<std::unique_ptr<Slot>> providers_;
  std::vector<Deps*> provider_deps_;  // with several providers: each Slot's deps
  std::unique_ptr<Deps> deps_;
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
