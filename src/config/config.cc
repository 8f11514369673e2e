// Configuration: parse "key = value" text, apply LATCHKEY_<KEY> environment overrides, validate
// every setting, and report ALL problems at once, one line each: "key: what is wrong; how to fix".
// A bad configuration never yields a Config, so latchkey never starts half-configured. The
// steps live beside this file: config_file.cc, environment_overrides.cc, keys.cc, validator.cc.
#include "latchkey/config/config.h"

#include <algorithm>

#include "config/raw_config.h"
#include "latchkey/util/url.h"

namespace latchkey {

using namespace config_detail;  // NOLINT(google-build-using-namespace): this module's own parts

bool isProviderId(std::string_view name) {
  return !name.empty() && name.size() <= 32 && name.front() >= 'a' && name.front() <= 'z' &&
         std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

const Config* providerConfig(const Config& config, std::string_view id) {
  if (config.providers.empty()) {
    return &config;
  }
  for (const Config& one : config.providers) {
    if (one.provider_id == id) {
      return &one;
    }
  }
  return nullptr;
}

std::string defaultCookieName(const Config& config) {
  // With a Domain attribute __Host- is impossible; __Secure- still demands Secure.
  if (!config.https) {
    return "latchkey";
  }
  return config.cookie_domain.empty() ? "__Host-latchkey" : "__Secure-latchkey";
}

ConfigLoad parseConfig(std::string_view file_text, const Environment& env) {
  Problems problems;
  RawConfig raw;
  parseText(file_text, raw, problems);
  applyEnvironment(env, raw, problems);
  resolveCredentialPaths(env, raw);
  std::optional<Config> config = validate(raw, problems);
  ConfigLoad load;
  load.problems = problems.take();
  if (load.problems.empty() && config) {
    load.config = std::move(*config);
  }
  return load;
}

ConfigLoad loadConfig(const std::optional<std::string>& path, const Environment& env) {
  if (!path) {
    return parseConfig({}, env);
  }
  std::string reason;
  const auto text = readFile(*path, reason);
  if (!text) {
    ConfigLoad load;
    load.problems.push_back("config: cannot read " + *path + " (" + reason +
                            "); check the path given to --config or LATCHKEY_CONFIG");
    return load;
  }
  return parseConfig(*text, env);
}

std::string providerDisplayName(const Config& config) {
  if (!config.provider_name.empty()) {
    return config.provider_name;
  }
  switch (config.provider) {
    case ProviderKind::kGoogle:
      return "Google";
    case ProviderKind::kGithub:
      return "GitHub";
    case ProviderKind::kOidc:
      break;
  }
  if (const auto url = parseAbsoluteUrl(config.issuer)) {
    return url->host;
  }
  return config.issuer;
}

bool looksLikeEmailAddress(std::string_view text) {
  return isEmailAddress(text);
}
bool looksLikeDomainName(std::string_view text) {
  return isDomainName(text);
}

}  // namespace latchkey
