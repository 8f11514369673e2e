#include "app/runtime.h"

#include <utility>

namespace latchkey {

Runtime::Runtime(Config config, std::unique_ptr<Pages> pages, const RuntimeBase& base)
    : config_(std::move(config)),
      log_(config_.log_level),
      cookie_names_(cookieNames(config_)),
      codec_(config_.cookie_secret, config_.cookie_secret_previous, cookieScope(config_)),
      pages_(std::move(pages)),
      curl_({config_.ca_file, config_.http_timeout, config_.connect_timeout}),
      http_(curl_),
      provider_(makeIdentityProvider(config_, http_, base.clock)),
      bounded_(*provider_, base.provider_call_limit, log_),
      deps_{config_,          cookie_names_, codec_,           bounded_,
            base.clock,       log_,          *pages_,          base.refresher,
            base.used_states, base.store,    base.revocations} {}

RuntimeLoad loadRuntime(const std::optional<std::string>& config_path, const RuntimeBase& base) {
  ConfigLoad loaded = loadConfig(config_path, processEnvironment());
  RuntimeLoad result;
  result.problems = std::move(loaded.problems);
  std::unique_ptr<Pages> pages;
  if (loaded.config) {
    pages = Pages::load(*loaded.config, result.problems);
  }
  if (result.problems.empty() && loaded.config && pages) {
    result.runtime = std::make_shared<Runtime>(std::move(*loaded.config), std::move(pages), base);
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
