#include "app/runtime.h"

#include <algorithm>
#include <utility>

namespace latchkey {

Runtime::Slot::Slot(const Config& slot_config, std::unique_ptr<Pages> slot_pages, Runtime& runtime,
                    const RuntimeBase& base)
    : config(slot_config),
      pages(std::move(slot_pages)),
      client(makeIdentityProvider(config, runtime.http_, base.clock)),
      bounded(*client, base.provider_call_limit, runtime.log_),
      deps{config,           runtime.cookie_names_,
           runtime.codec_,   bounded,
           base.clock,       runtime.log_,
           *pages,           base.refresher,
           base.used_states, base.store,
           base.revocations} {}

Runtime::Runtime(Config config, std::unique_ptr<Pages> pages,
                 std::vector<std::unique_ptr<Pages>> provider_pages, const RuntimeBase& base)
    : config_(std::move(config)),
      log_(config_.log_level),
      cookie_names_(cookieNames(config_)),
      codec_(config_.cookie_secret, config_.cookie_secret_previous, cookieScope(config_)),
      pages_(std::move(pages)),
      curl_({config_.ca_file, config_.http_timeout, config_.connect_timeout}),
      http_(curl_) {
  if (config_.providers.empty()) {
    providers_.push_back(std::make_unique<Slot>(config_, std::move(pages_), *this, base));
    deps_ = std::make_unique<Deps>(providers_.front()->deps);
    return;
  }
  for (size_t i = 0; i < config_.providers.size(); ++i) {
    providers_.push_back(
        std::make_unique<Slot>(config_.providers[i], std::move(provider_pages.at(i)), *this, base));
    provider_deps_.push_back(&providers_.back()->deps);
  }
  Slot& first = *providers_.front();
  deps_ = std::make_unique<Deps>(Deps{config_, cookie_names_, codec_, first.bounded, base.clock,
                                      log_, *pages_, base.refresher, base.used_states, base.store,
                                      base.revocations});
  for (Deps* each : provider_deps_) {
    each->providers = &provider_deps_;
  }
  deps_->providers = &provider_deps_;
}

std::vector<Runtime::ProviderEntry> Runtime::providers() {
  std::vector<ProviderEntry> entries;
  for (const auto& slot : providers_) {
    entries.push_back({slot->config, slot->bounded});
  }
  return entries;
}

RuntimeLoad loadRuntime(const std::optional<std::string>& config_path, const RuntimeBase& base) {
  ConfigLoad loaded = loadConfig(config_path, processEnvironment());
  RuntimeLoad result;
  result.problems = std::move(loaded.problems);
  std::unique_ptr<Pages> pages;
  std::vector<std::unique_ptr<Pages>> provider_pages;
  if (loaded.config) {
    pages = Pages::load(*loaded.config, result.problems);
    // The same templates with each provider's values: checked once above, so these load.
    for (size_t i = 0; pages && i < loaded.config->providers.size(); ++i) {
      provider_pages.push_back(Pages::load(loaded.config->providers[i], result.problems));
    }
  }
  const bool all_pages = pages && std::all_of(provider_pages.begin(), provider_pages.end(),
                                              [](const auto& one) { return one != nullptr; });
  if (result.problems.empty() && loaded.config && all_pages) {
    result.runtime = std::make_shared<Runtime>(std::move(*loaded.config), std::move(pages),
                                               std::move(provider_pages), base);
  }
  return result;
}

bool reloadRuntime(RuntimeHolder& holder, const std::optional<std::string>& config_path,
                   const RuntimeBase& base) {
  const std::shared_ptr<Runtime> old = holder.current();
  RuntimeLoad loaded = loadRuntime(config_path, base);
  if (!loaded.runtime) {
    // Problems never quote secret values (config.cc), so they may be logged.
    for (const std::string& problem : loaded.problems) {
      old->log().log(LogLevel::kError, "reload_problem", {{"problem", problem}});
    }
    old->log().log(LogLevel::kError, "reload_refused",
                   {{"problems", std::to_string(loaded.problems.size())},
                    {"detail", "the configuration in use is kept"}});
    metrics().reloaded(false);
    return false;
  }
  holder.replace(loaded.runtime);
  loaded.runtime->log().log(LogLevel::kInfo, "reloaded", {});
  metrics().reloaded(true);
  return true;
}

}  // namespace latchkey
