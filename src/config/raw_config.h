// Private to src/config/: the raw "key = value" map and the steps that turn a file and the
// environment into it (config_file.cc, environment_overrides.cc), the key table (keys.cc),
// and the validator that turns it into a Config (validator.cc).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "latchkey/config/config.h"

namespace latchkey::config_detail {

constexpr std::string_view kEnvPrefix = "LATCHKEY_";
constexpr std::string_view kCallbackRoute = "/login/authorized";
constexpr std::string_view kGenerateSecret = "generate one with: openssl rand -base64 32";
constexpr size_t kMinSecretBytes = 32;
// Secret and list files are small; refuse to slurp /dev/zero or a log file by mistake.
constexpr size_t kMaxFileBytes = 1 << 20;

// keys.cc: the table of keys and what kind each is.
const std::vector<std::string>& knownKeys();
bool isKnownKey(std::string_view key);
bool isSecretKey(std::string_view key);
bool isRepeatableKey(std::string_view key);
bool isProviderKey(std::string_view key);
std::pair<std::string_view, std::string_view> splitPrefix(std::string_view key);
// The known key closest to name, when it is close enough to be a plausible typo.
std::optional<std::string> closestKey(std::string_view name);

// config_file.cc: text helpers and reading files.
std::string_view trim(std::string_view s);
// Splits on any of the separator characters, dropping empty pieces.
std::vector<std::string_view> split(std::string_view s, std::string_view separators);
// Reads a whole (small) file. On failure returns nullopt and sets reason.
std::optional<std::string> readFile(const std::string& path, std::string& reason);

// Where a raw value came from, so line-level problems can point at it.
struct RawValue {
  std::string value;
  int line = 0;  // 0: from the environment
};

class Problems {
 public:
  void add(std::string_view key, std::string_view what, std::string_view fix) {
    addLine(label(key) + ": " + std::string(what) + "; " + std::string(fix));
  }
  // Each line once: with several providers, a shared key's problem is found once per provider.
  void addLine(std::string text) {
    if (std::find(lines_.begin(), lines_.end(), text) == lines_.end()) {
      lines_.push_back(std::move(text));
    }
  }
  std::vector<std::string> take() { return std::move(lines_); }

  // While one provider of several is validated: its provider keys are named with its prefix
  // ("corp.client_id: missing"), except those whose value came from a shared, unprefixed line.
  void scopeTo(std::string provider_id, std::vector<std::string> shared_keys) {
    scope_ = std::move(provider_id);
    shared_keys_ = std::move(shared_keys);
  }

 private:
  std::string label(std::string_view key) const {
    const bool shared =
        std::find(shared_keys_.begin(), shared_keys_.end(), key) != shared_keys_.end();
    if (scope_.empty() || !isProviderKey(key) || shared) {
      return std::string(key);
    }
    return scope_ + "." + std::string(key);
  }

  std::vector<std::string> lines_;
  std::string scope_;
  std::vector<std::string> shared_keys_;
};

using RawConfig = std::map<std::string, RawValue>;

// config_file.cc: "key = value" lines into raw.
void parseText(std::string_view text, RawConfig& raw, Problems& problems);

// environment_overrides.cc: LATCHKEY_<KEY> (and LATCHKEY_<NAME>__<KEY>) over the file's values,
// and relative *_file paths under $CREDENTIALS_DIRECTORY.
void applyEnvironment(const Environment& env, RawConfig& raw, Problems& problems);
void resolveCredentialPaths(const Environment& env, RawConfig& raw);

// validator.cc: the Config, or nullopt with the problems added.
std::optional<Config> validate(const RawConfig& raw, Problems& problems);
bool isDomainName(std::string_view domain);
bool isEmailAddress(std::string_view email);

}  // namespace latchkey::config_detail
