// The configuration keys: the table (its order is the README's), which are secrets, which
// may repeat or be given per provider, and the typo suggester for unknown names.
#include <algorithm>
#include <string>
#include <vector>

#include "config/raw_config.h"
#include "latchkey/util/text.h"

namespace latchkey::config_detail {
namespace {

// The README's table order: the original keys, then the keys latchkey adds (pages, client
// authentication, authorization, identity checks, branding, several sites); --help and the docs
// list them in this order.
const std::vector<std::string> kKeys = {
    "provider",
    "issuer",
    "client_id",
    "client_secret",
    "client_secret_file",
    "redirect_uri",
    "scopes",
    "cookie_secret",
    "cookie_secret_file",
    "cookie_secret_previous",
    "cookie_name",
    "session_lifetime",
    "allowed_domains",
    "allowed_emails",
    "allowed_emails_file",
    "base_path",
    "ca_file",
    "http_timeout",
    "log_level",
    "templates_dir",
    "provider_name",
    // Client authentication and multi-tenant issuers (OIDC Core §9, Entra ID).
    "token_endpoint_auth_method",
    "client_private_key_file",
    "client_key_id",
    "allowed_tenants",
    "groups_claim",
    "allowed_groups",
    "allowed_github_orgs",
    "require_claim",
    "pass_access_token",
    "bearer_tokens",
    "bearer_audiences",
    "auth_cache_seconds",
    "allow_unverified_email",
    "trusted_audiences",
    "id_token_max_age",
    "connect_timeout",
    "site_name",
    "banner_text",
    "footer_text",
    "logo_url",
    "cookie_domain",
    "allowed_redirect_domains",
    // Several providers on one sign-in page.
    "providers",
    // Operations: metrics and request logs.
    "metrics",
    "metrics_allow",
    "access_log",
    "session_store",
    "session_store_grace",
    "rp_initiated_logout",
    "post_logout_redirect_uri",
    "revalidate_seconds",
};

// Optimal string alignment distance (Levenshtein plus adjacent transpositions), so that
// "clinet_id" is one step from "client_id".
size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) {
    d[i][0] = i;
  }
  for (size_t j = 0; j <= b.size(); ++j) {
    d[0][j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

const std::vector<std::string>& knownKeys() {
  return kKeys;
}

// Keys that may be repeated in the file: each line adds one more item.
bool isRepeatableKey(std::string_view key) {
  return key == "require_claim" || key.ends_with(".require_claim");
}

// Keys that may be given per provider (NAME.key): how to reach and trust the provider, and
// who it may let in. Everything else (cookies, sessions, the server, the pages) is one setting
// for the whole site, since all providers share one cookie and one set of routes.
bool isProviderKey(std::string_view key) {
  static constexpr std::string_view kProviderKeys[] = {
      "provider",
      "issuer",
      "client_id",
      "client_secret",
      "client_secret_file",
      "scopes",
      "provider_name",
      "token_endpoint_auth_method",
      "client_private_key_file",
      "client_key_id",
      "allowed_tenants",
      "allowed_domains",
      "allowed_emails",
      "allowed_emails_file",
      "groups_claim",
      "allowed_groups",
      "allowed_github_orgs",
      "require_claim",
      "allow_unverified_email",
      "trusted_audiences",
      "id_token_max_age",
      "rp_initiated_logout",
      "post_logout_redirect_uri",
  };
  return std::find(std::begin(kProviderKeys), std::end(kProviderKeys), key) !=
         std::end(kProviderKeys);
}

// "github.client_id" -> {"github", "client_id"}; a key without a dot has an empty prefix.
std::pair<std::string_view, std::string_view> splitPrefix(std::string_view key) {
  const size_t dot = key.find('.');
  if (dot == std::string_view::npos) {
    return {{}, key};
  }
  return {key.substr(0, dot), key.substr(dot + 1)};
}

bool isKnownKey(std::string_view key) {
  return std::find(kKeys.begin(), kKeys.end(), key) != kKeys.end();
}

// Values that may legitimately contain " #".
bool isSecretKey(std::string_view key) {
  key = splitPrefix(key).second;
  return key == "client_secret" || key == "cookie_secret" || key == "cookie_secret_previous";
}

// The known key closest to name, when it is close enough to be a plausible typo.
std::optional<std::string> closestKey(std::string_view name) {
  const std::string lower = toLowerAscii(name);
  std::optional<std::string> best;
  size_t best_distance = 0;
  for (const std::string& key : kKeys) {
    const size_t distance = editDistance(lower, key);
    if (distance <= std::max<size_t>(2, key.size() / 3) && (!best || distance < best_distance)) {
      best = key;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace latchkey::config_detail

namespace latchkey {

const std::vector<std::string>& configKeys() {
  return config_detail::knownKeys();
}

}  // namespace latchkey
