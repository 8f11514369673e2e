// Environment overrides: LATCHKEY_<KEY> replaces a file setting (LATCHKEY_<NAME>__<KEY> a
// provider's), and systemd credentials resolve relative *_file paths.
#include "config/raw_config.h"
#include "latchkey/http/http.h"
#include "latchkey/util/text.h"

namespace latchkey::config_detail {
namespace {

// LATCHKEY_ variables that are not configuration keys: LATCHKEY_CONFIG (the file itself, read
// by main), the end-to-end test harness's own knobs, which reach latchkey because the harness
// passes its whole environment on, and the request parameter kReturnUriParam, which a CGI
// environment may carry.
bool isNonKeyVariable(std::string_view name) {
  return name == "LATCHKEY_CONFIG" || name == "LATCHKEY_BIN" ||
         name.rfind("LATCHKEY_E2E_", 0) == 0 || name == kReturnUriParam;
}

}  // namespace

void applyEnvironment(const Environment& env, RawConfig& raw, Problems& problems) {
  for (const auto& [name, value] : env) {
    if (name.compare(0, kEnvPrefix.size(), kEnvPrefix) != 0 || isNonKeyVariable(name)) {
      continue;
    }
    std::string_view suffix = std::string_view(name).substr(kEnvPrefix.size());
    // LATCHKEY_GITHUB__CLIENT_SECRET: provider github's client_secret. A double underscore,
    // because key names contain single ones and variable names cannot contain a dot.
    std::string prefix;
    if (const size_t split_at = suffix.find("__"); split_at != std::string_view::npos) {
      prefix = toLowerAscii(suffix.substr(0, split_at)) + ".";
      suffix.remove_prefix(split_at + 2);
    }
    const std::string key = toLowerAscii(suffix);
    // Strict on purpose: a mistyped LATCHKEY_ variable would otherwise be silently ignored.
    if (!isKnownKey(key) || toUpperAscii(key) != suffix) {
      std::string fix = "remove it or fix its name";
      if (const auto suggestion = closestKey(suffix)) {
        // prefix is "name." here: suggest the same provider's variable.
        const std::string name_part =
            prefix.empty() ? "" : toUpperAscii(prefix.substr(0, prefix.size() - 1)) + "__";
        fix =
            "did you mean " + std::string(kEnvPrefix) + name_part + toUpperAscii(*suggestion) + "?";
      }
      problems.add(name, "not a latchkey setting", fix);
      continue;
    }
    raw[prefix + key] = RawValue{value, 0};
  }
}

// systemd passes LoadCredential= files in $CREDENTIALS_DIRECTORY, a directory whose path the
// configuration cannot know in advance (it contains the unit name and is only readable by the
// service): a relative *_file value is looked up there.
void resolveCredentialPaths(const Environment& env, RawConfig& raw) {
  const auto dir = env.find("CREDENTIALS_DIRECTORY");
  if (dir == env.end() || dir->second.empty()) {
    return;
  }
  constexpr std::string_view kFileSuffix = "_file";
  for (auto& [key, raw_value] : raw) {
    std::string& value = raw_value.value;
    const bool file_key = key.size() > kFileSuffix.size() && key.ends_with(kFileSuffix);
    if (file_key && !value.empty() && value.front() != '/') {
      value = dir->second + (dir->second.ends_with('/') ? "" : "/") + value;
    }
  }
}

}  // namespace latchkey::config_detail
