// Validated, immutable settings (README "Configuration"). Built once at start-up.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "latchkey/app/address_range.h"
#include "latchkey/util/environment.h"

namespace latchkey {

enum class ProviderKind { kGoogle, kGithub, kOidc };

// provider = google always means this issuer.
inline constexpr std::string_view kGoogleIssuer = "https://accounts.google.com";
// One allowed_redirect_domains entry: an exact host, or every host under a domain (".example.com"),
// with the one port a URL must name (0: it must name none).
struct RedirectHost {
  std::string name;  // lower case, without the leading dot
  bool subdomains = false;
  int port = 0;
};

// "app.example.com", ".example.com", "app.example.com:8443": ASCII letters, digits and hyphens
// in dot-separated labels (RFC 1123 §2.1; IDNs in punycode). nullopt for anything else.
std::optional<RedirectHost> parseRedirectHost(std::string_view entry);

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };
// How the client proves itself at the token endpoint (OIDC Core §9). kAuto: what discovery's
// token_endpoint_auth_methods_supported allows, basic first.
enum class TokenAuthMethod { kAuto, kClientSecretBasic, kClientSecretPost, kPrivateKeyJwt };

// require_claim: the claim `name` must have one of `values` (as text).
struct ClaimRequirement {
  std::string name;
  std::vector<std::string> values;
};

// One entry of `providers`: its name (the key prefix, the /login?provider= value) and the
// name its button shows.
struct ProviderChoice {
  std::string id;
  std::string display_name;
};

struct Config {
  ProviderKind provider = ProviderKind::kGoogle;
  // With `providers`: the name of this provider (its key prefix); empty with a single provider.
  std::string provider_id;
  // With `providers`: every provider, in button order (the same list in each Config); empty
  // with a single provider.
  std::vector<ProviderChoice> provider_choices;
  // With `providers`, in the top-level Config only: one complete Config per provider (shared
  // keys plus its own prefixed ones), in button order. The top-level Config's own provider
  // fields are those of the first one. Empty with a single provider.
  std::vector<Config> providers;
  // oidc/google: the issuer. github: empty for github.com, or the base URL of a GitHub
  // Enterprise Server (https://github.example.com), whose API lives under /api/v3.
  std::string issuer;
  std::string client_id;
  std::string client_secret;  // empty with private_key_jwt
  TokenAuthMethod token_auth_method = TokenAuthMethod::kAuto;
  std::string client_private_key_pem;  // private_key_jwt: the key file's content (validated)
  std::string client_key_id;           // private_key_jwt: "kid" of the assertion; may be empty
  // Multi-tenant issuers (Entra ID): tenant ids whose ID tokens are accepted when discovery
  // gives an issuer template with {tenantid}. Empty: the issuer must match exactly.
  std::vector<std::string> allowed_tenants;
  std::string redirect_uri;
  std::string redirect_path;  // path part of redirect_uri, e.g. "/oauth2/login/authorized"
  bool https = false;         // redirect_uri is https: Secure cookies and __Host- names
  std::vector<std::string> scopes;
  std::string cookie_secret;                          // decoded bytes, >= 32
  std::optional<std::string> cookie_secret_previous;  // decoded bytes, >= 32
  std::string cookie_name;
  int64_t session_lifetime = 28800;
  std::vector<std::string> allowed_domains;  // lower case, no leading '@'
  std::vector<std::string> allowed_emails;   // lower case
  std::string base_path;                     // "" or "/prefix" without trailing slash
  std::string ca_file;
  int http_timeout = 10;
  int64_t auth_cache_seconds = 0;  // > 0: /auth 200s may be cached by nginx this long
  int connect_timeout = 3;         // seconds to open a connection to the provider (<= http_timeout)
  LogLevel log_level = LogLevel::kInfo;
  // Sign in accounts whose e-mail the provider has not verified (the address itself is then
  // never passed on). Off by default: such a sign-in is refused.
  bool allow_unverified_email = false;
  // OIDC Core §3.1.3.7 step 3: audiences besides client_id an ID token may list.
  std::vector<std::string> trusted_audiences;
  int64_t id_token_max_age = 300;  // seconds an ID token's iat may lie in the past
  std::string templates_dir;       // site-owner templates; empty = built-in pages
  std::string provider_name;       // "Sign in with <name>"; empty = providerDisplayName default
  // Authorization (access_rules.h).
  std::string groups_claim = "groups";
  bool groups_claim_set = false;  // configured: also asked of userinfo when the ID token lacks it
  std::vector<std::string> allowed_groups;
  std::vector<std::string> allowed_github_orgs;  // "org" or "org/team", lower case
  std::vector<ClaimRequirement> require_claims;
  bool pass_access_token = false;             // X-Auth-Request-Access-Token from /auth
  bool bearer_tokens = false;                 // Authorization: Bearer <JWT> at /auth
  std::vector<std::string> bearer_audiences;  // accepted besides client_id
  // Branding of the pages (plain text, escaped when shown); empty = not shown.
  std::string site_name;      // the welcome heading and page titles name the site
  std::string banner_text;    // a line above every page's card
  std::string footer_text;    // a line in every page's footer
  std::string logo_url;       // a same-origin path ("/logo.png") or a data:image/... URL
  std::string cookie_domain;  // Domain of the session cookie; empty = host-only
  std::vector<RedirectHost> allowed_redirect_domains;  // absolute rd targets; empty = none
  bool metrics = false;                                // GET /metrics answers at all
  std::vector<AddressRange> metrics_allow;  // who may read it (REMOTE_ADDR); loopback default
  bool access_log = false;                  // one JSON line per request
  // Server-side session state: "" (stateless cookies only), "sqlite:/path" or "redis://...".
  std::string session_store;
  // While the store cannot be reached, the last copy of its revocations is trusted this long;
  // after that requests with a session are refused (503) rather than let a revoked one in.
  int64_t session_store_grace = 30;
  // RP-Initiated Logout 1.0: /logout continues at the provider's end_session_endpoint.
  bool rp_initiated_logout = false;
  // Where the provider sends the browser after its sign-out; default <site><base_path>/.
  std::string post_logout_redirect_uri;
  // > 0: a session is checked with the provider this long after sign-in or its last check
  // (refresh, else userinfo) and ends when the provider no longer vouches for it.
  int64_t revalidate_seconds = 0;
};

// The session cookie's name when cookie_name is not set: __Host-latchkey on https (pinned to
// this host, RFC 6265bis §4.1.3.2), __Secure-latchkey when cookie_domain shares it with
// other hosts, plain latchkey on http.
std::string defaultCookieName(const Config& config);

// Either a Config or the list of problems, one line each: "key: what is wrong; how to fix".
struct ConfigLoad {
  std::optional<Config> config;
  std::vector<std::string> problems;
};

// Reads the file at path (when given), applies LATCHKEY_<KEY> overrides from env, validates.
// Files named by *_file keys are read here too. Never throws.
// Format: "key = value" lines; '#' starts a comment only as the first non-blank character of a
// line (secrets may contain '#'); one pair of double quotes around a value is removed; an empty
// value means "not set". Unknown keys, repeated keys and unknown LATCHKEY_* variables are errors.
ConfigLoad loadConfig(const std::optional<std::string>& path, const Environment& env);

// Same, from file text already in memory (for tests and fuzzing).
ConfigLoad parseConfig(std::string_view file_text, const Environment& env);

// Provider names (`providers = NAME...`, the NAME.key prefixes): a lower-case letter, then
// lower-case letters and digits, at most 32 in all (they appear in URLs and, upper-cased, in
// LATCHKEY_NAME__KEY variables).
bool isProviderId(std::string_view name);

// The Config of provider `id` (config.providers), or the top-level one with a single provider
// (id empty). nullptr for an unknown id.
const Config* providerConfig(const Config& config, std::string_view id);

// provider_name when set, else "Google", "GitHub", or the issuer's host name for oidc.
std::string providerDisplayName(const Config& config);

// The checks allowed_emails / allowed_domains use, for the same lists given elsewhere.
bool looksLikeEmailAddress(std::string_view text);
bool looksLikeDomainName(std::string_view text);

// Every configuration key, in the order of the README's table (for --help and the man page).
const std::vector<std::string>& configKeys();

}  // namespace latchkey
