// Validated, immutable settings (SPEC "Configuration file"). Built once at start-up.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace latchkey {

enum class ProviderKind { kGoogle, kGithub, kOidc };
enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };
// How the client proves itself at the token endpoint (OIDC Core §9). kAuto: what discovery's
// token_endpoint_auth_methods_supported allows, basic first.
enum class TokenAuthMethod { kAuto, kClientSecretBasic, kClientSecretPost, kPrivateKeyJwt };

struct Config {
  ProviderKind provider = ProviderKind::kGoogle;
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
  LogLevel log_level = LogLevel::kInfo;
  std::string templates_dir;  // issue 5: site-owner templates; empty = built-in pages
  std::string provider_name;  // "Sign in with <name>"; empty = providerDisplayName default
  // Server-side session state: "" (stateless cookies only), "sqlite:/path" or "redis://...".
  std::string session_store;
  // While the store cannot be reached, the last copy of its revocations is trusted this long;
  // after that requests with a session are refused (503) rather than let a revoked one in.
  int64_t session_store_grace = 30;
  // RP-Initiated Logout 1.0: /logout continues at the provider's end_session_endpoint.
  bool rp_initiated_logout = false;
  // Where the provider sends the browser after its sign-out; default <site><base_path>/.
  std::string post_logout_redirect_uri;
};

// The environment as a name -> value map, so tests need not touch the real one.
using Environment = std::map<std::string, std::string>;
Environment processEnvironment();

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

// provider_name when set, else "Google", "GitHub", or the issuer's host name for oidc.
std::string providerDisplayName(const Config& config);

// Every key SPEC defines, in the order of the table (for --help and the man page).
const std::vector<std::string>& configKeys();

}  // namespace latchkey
