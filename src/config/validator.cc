// Configuration (validator.cc: the last step): parse "key = value" text, apply LATCHKEY_<KEY>
// environment overrides, validate every setting, and report ALL problems at once, one line each:
// "key: what is wrong; how to fix". A bad configuration never yields a Config, so latchkey never
// starts half-configured.
//
// File format decisions (the format is "key = value" lines where # starts a comment):
//  * '#' starts a comment only as the first non-blank character of a line. A value may contain
//    '#' (client secrets do), so "key = value # note" keeps "value # note". Because that is a
//    trap for everything that is not a secret, a non-secret value containing " #" is reported
//    ("comments go on their own line") instead of being silently misread.
//  * Whitespace around key and value is trimmed; one pair of matching double quotes around the
//    value is removed (no escape sequences inside).
//  * An empty value (in the file or in the environment) means "not set": LATCHKEY_ISSUER= can
//    switch off a file setting, and "client_secret =" plus a client_secret_file is not "both".
//  * Enumerated values (provider, log_level) are matched case-insensitively; keys are not.
//  * Relative paths in the *_file keys (client_secret_file, cookie_secret_file,
//    allowed_emails_file, client_private_key_file, ca_file) name systemd credentials when
//    $CREDENTIALS_DIRECTORY is set (LoadCredential= in the unit, systemd.exec(5)):
//    "client_secret_file = client_secret" reads
//    $CREDENTIALS_DIRECTORY/client_secret. Otherwise, and for templates_dir, relative paths are
//    relative to the working directory.
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>
#include <string_view>

#include "config/raw_config.h"
#include "latchkey/app/access_rules.h"
#include "latchkey/http/http.h"
#include "latchkey/store/session_store.h"
#include "latchkey/util/encoding.h"
#include "latchkey/util/text.h"
#include "latchkey/util/url.h"
#include "oidc/client_assertion.h"

namespace latchkey::config_detail {
namespace {

// A logo the pages' Content-Security-Policy allows ('self' and data:): a local absolute
// path ("//host" would be another origin), or a base64 data: URL of an image type.
bool isPageLogoUrl(std::string_view url) {
  if (url.starts_with('/')) {
    return url.size() <= 2048 && !url.starts_with("//") &&
           std::all_of(url.begin(), url.end(), [](char c) {
             return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '<' && c != '>';
           });
  }
  constexpr size_t kMaxDataUrlBytes = 64 * 1024;
  const size_t comma = url.find(',');
  if (url.size() > kMaxDataUrlBytes || comma == std::string_view::npos) {
    return false;
  }
  const std::string_view head = url.substr(0, comma);
  static constexpr std::string_view kTypes[] = {"png", "gif", "jpeg", "webp", "svg+xml"};
  const bool typed = std::any_of(std::begin(kTypes), std::end(kTypes), [&](std::string_view t) {
    return head == "data:image/" + std::string(t) + ";base64";
  });
  const std::string_view data = url.substr(comma + 1);
  return typed && !data.empty() && std::all_of(data.begin(), data.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=';
         });
}

// Strict non-negative decimal integer: digits only, no sign, no spaces, no overflow.
std::optional<int64_t> parseInteger(std::string_view s) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return value;
}

// RFC 6265 §4.1.1: cookie-name is an RFC 2616 token.
bool isCookieToken(std::string_view name) {
  constexpr std::string_view kSeparators = "()<>@,;:\\\"/[]?={} \t";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && kSeparators.find(c) == std::string_view::npos;
  });
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
bool isScopeToken(std::string_view scope) {
  return !scope.empty() && std::all_of(scope.begin(), scope.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x21 && u <= 0x7e && c != '"' && c != '\\';
  });
}

}  // namespace

bool isDomainName(std::string_view domain) {
  return !domain.empty() && domain.front() != '.' && domain.back() != '.' &&
         domain.find("..") == std::string_view::npos &&
         std::all_of(domain.begin(), domain.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-';
         });
}

bool isEmailAddress(std::string_view email) {
  const size_t at = email.find('@');
  return at != std::string_view::npos && at > 0 &&
         email.find('@', at + 1) == std::string_view::npos && !hasControlChar(email) &&
         email.find_first_of(" ,;<>\"") == std::string_view::npos &&
         isDomainName(email.substr(at + 1));
}

namespace {

// Validates raw values into a Config. Each check adds its own problem lines and continues,
// so the operator sees every mistake in one run.
class Validator {
 public:
  Validator(const RawConfig& raw, Problems& problems) : raw_(raw), problems_(problems) {}

  Config run() {
    Config config;
    provider(config);
    clientId(config);
    tokenAuthMethod(config);
    clientSecret(config);
    clientKey(config);
    allowedTenants(config);
    base_path_ok_ = basePath(config);
    redirectUri(config);
    scopes(config);
    cookieSecrets(config);
    cookieDomain(config);
    cookieName(config);
    integers(config);
    allowLists(config);
    redirectDomains(config);
    files(config);
    logLevel(config);
    providerName(config);
    accessRules(config);
    identityChecks(config);
    branding(config);
    operations(config);
    sessionStore(config);
    logout(config);
    return config;
  }

 private:
  // A set, non-empty value; nullopt when absent or empty (empty means "not set").
  std::optional<std::string_view> get(const std::string& key) const {
    const auto it = raw_.find(key);
    if (it == raw_.end() || it->second.value.empty()) {
      return std::nullopt;
    }
    return std::string_view(it->second.value);
  }

  // Checks a URL latchkey talks to or redirects to: absolute, https (http only on loopback).
  std::optional<Url> checkUrl(const std::string& key, std::string_view value) {
    const auto url = parseAbsoluteUrl(value);
    if (!url) {
      problems_.add(key, "'" + std::string(value) + "' is not an absolute URL",
                    "write it in full, e.g. https://host.example/path");
      return std::nullopt;
    }
    bool ok = true;
    if (url->scheme != "https" && url->scheme != "http") {
      problems_.add(key, "scheme '" + url->scheme + "' is not supported", "use https://");
      ok = false;
    } else if (url->scheme == "http" && !isLoopbackHost(url->host)) {
      problems_.add(key,
                    "http is allowed only on loopback hosts (localhost, 127.0.0.0/8, [::1]), not " +
                        url->host,
                    "use https://");
      ok = false;
    }
    if (url->has_userinfo) {
      problems_.add(key, "contains user:password@", "remove the credentials from the URL");
      ok = false;
    }
    if (url->has_query || url->has_fragment) {
      problems_.add(key, "has a query or fragment", "remove everything from '?' or '#' on");
      ok = false;
    }
    return ok ? url : std::nullopt;
  }

  void provider(Config& config) {
    const auto issuer = get("issuer");
    std::string name = issuer ? "oidc" : "google";
    if (const auto value = get("provider")) {
      name = toLowerAscii(*value);
    }
    if (name == "google") {
      config.provider = ProviderKind::kGoogle;
      // Google's ID tokens carry exactly this issuer; anything else cannot verify.
      if (issuer && *issuer != kGoogleIssuer) {
        problems_.add("issuer", "provider google always uses " + std::string(kGoogleIssuer),
                      "remove issuer, or set provider = oidc for another OpenID provider");
      }
      config.issuer = std::string(kGoogleIssuer);
    } else if (name == "github") {
      config.provider = ProviderKind::kGithub;
      // GitHub is OAuth 2.0 without OpenID Connect: no issuer for github.com, or the https base
      // URL of a GitHub Enterprise Server (https://github.example.com, API under /api/v3).
      if (issuer && checkUrl("issuer", *issuer)) {
        config.issuer = std::string(*issuer);
      }
    } else if (name == "oidc") {
      config.provider = ProviderKind::kOidc;
      if (!issuer) {
        problems_.add("issuer", "missing (provider is oidc)",
                      "set issuer to the provider's issuer URL (discovery is fetched from "
                      "ISSUER/.well-known/openid-configuration)");
      } else if (checkUrl("issuer", *issuer)) {
        // Kept exactly as given: OpenID Connect Core 3.1.3.7 compares iss by exact string match.
        config.issuer = std::string(*issuer);
      }
    } else {
      problems_.add("provider", "'" + name + "' is not a known provider",
                    "use google, github or oidc");
    }
  }

  void clientId(Config& config) {
    const auto value = get("client_id");
    if (!value) {
      problems_.add("client_id", "missing",
                    "set client_id to the OAuth client id from the provider");
      return;
    }
    if (hasControlChar(*value)) {
      problems_.add("client_id", "contains control characters", "copy the client id again");
      return;
    }
    config.client_id = std::string(*value);
  }

  // A secret file's content: trailing newlines trimmed; one line only.
  std::optional<std::string> readSecretFile(const std::string& key, std::string_view path) {
    std::string reason;
    auto content = readFile(std::string(path), reason);
    if (!content) {
      problems_.add(key, "cannot read " + std::string(path) + " (" + reason + ")",
                    "check the path and that latchkey's user may read it");
      return std::nullopt;
    }
    while (!content->empty() && (content->back() == '\n' || content->back() == '\r')) {
      content->pop_back();
    }
    if (content->empty()) {
      problems_.add(key, std::string(path) + " is empty", "put the secret in the file");
      return std::nullopt;
    }
    if (content->find_first_of("\r\n") != std::string::npos) {
      problems_.add(key, std::string(path) + " has more than one line",
                    "put only the secret in the file");
      return std::nullopt;
    }
    return content;
  }

  // Exactly one of key / key_file; returns the value and the key it came from.
  std::optional<std::pair<std::string, std::string>> secretPair(const std::string& key,
                                                                const std::string& fix_missing) {
    const std::string file_key = key + "_file";
    const auto direct = get(key);
    const auto file = get(file_key);
    if (direct && file) {
      problems_.add(key, "both " + key + " and " + file_key + " are set", "keep only one of them");
      return std::nullopt;
    }
    if (!direct && !file) {
      problems_.add(key, "missing (neither " + key + " nor " + file_key + " is set)", fix_missing);
      return std::nullopt;
    }
    if (direct) {
      return std::make_pair(std::string(*direct), key);
    }
    auto content = readSecretFile(file_key, *file);
    if (!content) {
      return std::nullopt;
    }
    return std::make_pair(std::move(*content), file_key);
  }

  void tokenAuthMethod(Config& config) {
    const auto value = get("token_endpoint_auth_method");
    if (!value) {
      return;
    }
    const std::string method = toLowerAscii(*value);
    if (method == "client_secret_basic") {
      config.token_auth_method = TokenAuthMethod::kClientSecretBasic;
    } else if (method == "client_secret_post") {
      config.token_auth_method = TokenAuthMethod::kClientSecretPost;
    } else if (method == "private_key_jwt") {
      config.token_auth_method = TokenAuthMethod::kPrivateKeyJwt;
    } else {
      problems_.add("token_endpoint_auth_method", "'" + method + "' is not supported",
                    "use client_secret_basic, client_secret_post or private_key_jwt, or leave "
                    "it unset to follow the provider's discovery document");
      return;
    }
    if (config.provider == ProviderKind::kGithub) {
      problems_.add("token_endpoint_auth_method",
                    "GitHub takes the client secret in the request body only",
                    "remove token_endpoint_auth_method (provider is github)");
    }
  }

  void clientKey(Config& config) {
    const auto file = get("client_private_key_file");
    const bool jwt = config.token_auth_method == TokenAuthMethod::kPrivateKeyJwt;
    if (!jwt) {
      for (const char* key : {"client_private_key_file", "client_key_id"}) {
        if (get(key)) {
          problems_.add(
              key, "is only used with token_endpoint_auth_method = private_key_jwt",
              "set token_endpoint_auth_method = private_key_jwt, or remove " + std::string(key));
        }
      }
      return;
    }
    if (const auto kid = get("client_key_id")) {
      if (hasControlChar(*kid) || kid->size() > 200) {
        problems_.add("client_key_id", "must be at most 200 printable characters",
                      "copy the key id registered at the provider");
      } else {
        config.client_key_id = std::string(*kid);
      }
    }
    if (!file) {
      problems_.add("client_private_key_file",
                    "missing (token_endpoint_auth_method is "
                    "private_key_jwt)",
                    "set it to a PEM file with the client's RSA (2048+ bits) or EC P-256 "
                    "private key, whose public key is registered at the provider");
      return;
    }
    std::string reason;
    auto pem = readFile(std::string(*file), reason);
    if (!pem) {
      problems_.add("client_private_key_file",
                    "cannot read " + std::string(*file) + " (" + reason + ")",
                    "check the path and that latchkey's user may read it");
      return;
    }
    if (auto signer = ClientAssertionSigner::fromPem(*pem, config.client_key_id); !signer) {
      problems_.add("client_private_key_file", std::string(*file) + " " + signer.error().detail,
                    "create one with: openssl genpkey -algorithm EC -pkeyopt "
                    "ec_paramgen_curve:P-256 -out client-key.pem");
      return;
    }
    config.client_private_key_pem = std::move(*pem);
  }

  void allowedTenants(Config& config) {
    const auto value = get("allowed_tenants");
    if (!value) {
      return;
    }
    if (config.provider != ProviderKind::kOidc) {
      problems_.add("allowed_tenants", "is only used with provider = oidc",
                    "remove allowed_tenants");
      return;
    }
    for (const auto tenant : split(*value, " \t,")) {
      // Substituted into the issuer URL: one path segment, nothing that could end it.
      const bool plain = std::all_of(tenant.begin(), tenant.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
      });
      if (!plain || tenant.size() > 64 || tenant == "." || tenant == "..") {
        problems_.add("allowed_tenants", "'" + std::string(tenant) + "' is not a tenant id",
                      "list tenant ids (GUIDs such as 9188040d-6c67-4c5b-b112-36a304b66dad), "
                      "separated by spaces");
        return;
      }
      config.allowed_tenants.emplace_back(tenant);
    }
    if (config.allowed_tenants.empty()) {
      problems_.add("allowed_tenants", "lists no tenant", "list the tenant ids to let in");
    }
  }

  void clientSecret(Config& config) {
    if (config.token_auth_method == TokenAuthMethod::kPrivateKeyJwt) {
      // No shared secret exists with private_key_jwt; one left in the file would be a
      // secret lying around for nothing.
      for (const char* key : {"client_secret", "client_secret_file"}) {
        if (get(key)) {
          problems_.add(key, "is not used with token_endpoint_auth_method = private_key_jwt",
                        "remove " + std::string(key));
        }
      }
      return;
    }
    if (auto secret = secretPair("client_secret",
                                 "set client_secret, or client_secret_file to a file holding it")) {
      config.client_secret = std::move(secret->first);
    }
  }

  // base64 of at least 32 bytes; never echoes the secret itself.
  std::optional<std::string> decodeCookieSecret(const std::string& key, std::string_view text) {
    const auto decoded = base64Decode(trim(text));
    if (!decoded) {
      problems_.add(key, "is not valid base64", kGenerateSecret);
      return std::nullopt;
    }
    if (decoded->size() < kMinSecretBytes) {
      problems_.add(key,
                    "decodes to " + std::to_string(decoded->size()) + " bytes, at least " +
                        std::to_string(kMinSecretBytes) + " are needed",
                    kGenerateSecret);
      return std::nullopt;
    }
    return decoded;
  }

  void cookieSecrets(Config& config) {
    if (auto secret = secretPair("cookie_secret", "set cookie_secret or cookie_secret_file; " +
                                                      std::string(kGenerateSecret))) {
      if (auto decoded = decodeCookieSecret(secret->second, secret->first)) {
        config.cookie_secret = std::move(*decoded);
      }
    }
    if (const auto previous = get("cookie_secret_previous")) {
      if (auto decoded = decodeCookieSecret("cookie_secret_previous", *previous)) {
        config.cookie_secret_previous = std::move(*decoded);
      }
    }
  }

  bool basePath(Config& config) {
    const auto value = get("base_path");
    if (!value) {
      return true;
    }
    std::string path(*value);
    if (path.front() != '/') {
      problems_.add("base_path", "'" + path + "' does not start with '/'",
                    "write it as an absolute path, e.g. /oauth2");
      return false;
    }
    // '%' and "//" would make route matching depend on decoding and merging rules.
    if (path.find("..") != std::string::npos || path.find_first_of("?#%\\") != std::string::npos ||
        path.find("//") != std::string::npos || hasControlChar(path) ||
        path.find(' ') != std::string::npos) {
      problems_.add("base_path",
                    "'" + path + "' contains '..', '//', '?', '#', '%', '\\' or spaces",
                    "use a plain path such as /oauth2");
      return false;
    }
    if (path.back() == '/') {
      path.pop_back();  // "/oauth2/" means "/oauth2"; "/" means no prefix
    }
    config.base_path = std::move(path);
    return true;
  }

  void redirectUri(Config& config) {
    const auto value = get("redirect_uri");
    if (!value) {
      problems_.add("redirect_uri", "missing",
                    "set it to the public URL of the callback, e.g. https://app.example.com" +
                        config.base_path + std::string(kCallbackRoute) +
                        ", and register the same URL at the provider");
      return;
    }
    // Known even when the URL has other faults, so cookie_name checks still run.
    if (const auto parsed = parseAbsoluteUrl(*value)) {
      scheme_known_ = true;
      config.https = parsed->scheme == "https";
    }
    const auto url = checkUrl("redirect_uri", *value);
    if (!url) {
      return;
    }
    config.redirect_uri = std::string(*value);
    config.redirect_path = url->path.empty() ? "/" : url->path;
    const std::string expected = config.base_path + std::string(kCallbackRoute);
    if (base_path_ok_ && config.redirect_path != expected) {
      problems_.add("redirect_uri",
                    "its path " + config.redirect_path + " must be " + expected +
                        ", the route latchkey answers the callback on",
                    "end redirect_uri with " + expected +
                        " (or change base_path) and register "
                        "the same URL at the provider");
    }
  }

  void scopes(Config& config) {
    const bool github = config.provider == ProviderKind::kGithub;
    const std::string text(get("scopes").value_or(!github ? "openid email profile"
                                                  : get("allowed_github_orgs")
                                                      ? "read:user user:email read:org"
                                                      : "read:user user:email"));
    for (const auto scope : split(text, " \t")) {
      if (!isScopeToken(scope)) {
        problems_.add("scopes", "'" + std::string(scope) + "' is not a valid scope (RFC 6749 3.3)",
                      "separate scopes with spaces");
        return;
      }
      if (std::find(config.scopes.begin(), config.scopes.end(), scope) == config.scopes.end()) {
        config.scopes.emplace_back(scope);
      }
    }
    // OpenID Connect Core 3.1.2.1: without "openid" it is plain OAuth and no ID token comes back.
    if (!github &&
        std::find(config.scopes.begin(), config.scopes.end(), "openid") == config.scopes.end()) {
      problems_.add("scopes", "does not contain openid, so the provider sends no ID token",
                    "add openid to scopes");
    }
  }

  void cookieName(Config& config) {
    const auto value = get("cookie_name");
    if (!value) {
      config.cookie_name = defaultCookieName(config);
      return;
    }
    if (!isCookieToken(*value)) {
      problems_.add("cookie_name", "'" + std::string(*value) + "' is not a valid cookie name",
                    "use letters, digits and - _ . only");
      return;
    }
    const bool prefixed = value->rfind("__Host-", 0) == 0 || value->rfind("__Secure-", 0) == 0;
    if (scheme_known_ && !config.https && prefixed) {
      problems_.add("cookie_name",
                    "browsers drop __Host- and __Secure- cookies that are not Secure, and "
                    "redirect_uri is http",
                    "choose a name without that prefix, or use https");
      return;
    }
    if (!config.cookie_domain.empty() && value->rfind("__Host-", 0) == 0) {
      problems_.add("cookie_name",
                    "a __Host- cookie must not carry a Domain, and cookie_domain is set",
                    "use a __Secure- name, or remove cookie_domain");
      return;
    }
    config.cookie_name = std::string(*value);
  }

  // RFC 6265 §5.2.3 / §5.3 step 6: the browser ignores a leading dot, and refuses a Domain that
  // the host setting the cookie is not in, or that is an IP address.
  void cookieDomain(Config& config) {
    const auto value = get("cookie_domain");
    if (!value) {
      return;
    }
    std::string domain = toLowerAscii(*value);
    if (domain.starts_with('.')) {
      domain.erase(0, 1);
    }
    const bool numeric = std::all_of(domain.begin(), domain.end(),
                                     [](char c) { return c == '.' || (c >= '0' && c <= '9'); });
    if (!isDomainName(domain) || domain.find('.') == std::string::npos || numeric) {
      problems_.add("cookie_domain", "'" + std::string(*value) + "' is not a domain name",
                    "set the parent domain of the sign-in host and the sites, e.g. example.com");
      return;
    }
    if (const auto url = parseAbsoluteUrl(config.redirect_uri)) {
      if (url->host != domain && !url->host.ends_with("." + domain)) {
        problems_.add("cookie_domain",
                      "the sign-in host " + url->host + " (from redirect_uri) is not in " + domain +
                          ", so browsers would refuse the cookie",
                      "set a domain that redirect_uri's host is in");
        return;
      }
    }
    config.cookie_domain = std::move(domain);
  }

  void redirectDomains(Config& config) {
    const auto value = get("allowed_redirect_domains");
    if (!value) {
      return;
    }
    for (const auto item : split(*value, " \t,")) {
      if (auto host = parseRedirectHost(item)) {
        config.allowed_redirect_domains.push_back(std::move(*host));
      } else {
        problems_.add("allowed_redirect_domains",
                      "'" + std::string(item) + "' is not a host name, .domain or host:port",
                      "list hosts such as app1.example.com, .example.com or app.example.com:8443 "
                      "(international names in punycode: xn--...)");
      }
    }
  }

  std::optional<int64_t> boundedInteger(const std::string& key, int64_t low, int64_t high) {
    const auto value = get(key);
    if (!value) {
      return std::nullopt;
    }
    const auto number = parseInteger(*value);
    if (!number || *number < low || *number > high) {
      problems_.add(key,
                    "'" + std::string(*value) + "' is not a whole number of seconds from " +
                        std::to_string(low) + " to " + std::to_string(high),
                    "write a number of seconds in that range");
      return std::nullopt;
    }
    return number;
  }

  void integers(Config& config) {
    if (const auto lifetime = boundedInteger("session_lifetime", 60, 31536000)) {
      config.session_lifetime = *lifetime;
    }
    if (const auto timeout = boundedInteger("http_timeout", 1, 300)) {
      config.http_timeout = static_cast<int>(*timeout);
    }
    if (const auto cache = boundedInteger("auth_cache_seconds", 0, 300)) {
      config.auth_cache_seconds = *cache;
    }
    // A provider that is down should cost a visitor seconds, not the whole http_timeout;
    // the connect phase never needs longer than the whole call may take.
    if (const auto timeout = boundedInteger("connect_timeout", 1, 300)) {
      config.connect_timeout = static_cast<int>(*timeout);
    }
    config.connect_timeout = std::min(config.connect_timeout, config.http_timeout);
    if (const auto grace = boundedInteger("session_store_grace", 0, 3600)) {
      config.session_store_grace = *grace;
    }
    // 0 = off. Short intervals are allowed (tests use seconds); each check is a provider call.
    if (const auto every = boundedInteger("revalidate_seconds", 0, 86400)) {
      config.revalidate_seconds = *every;
    }
  }

  void logout(Config& config) {
    config.rp_initiated_logout = boolean("rp_initiated_logout").value_or(false);
    if (config.rp_initiated_logout && config.provider == ProviderKind::kGithub) {
      problems_.add("rp_initiated_logout", "GitHub has no end_session_endpoint",
                    "remove rp_initiated_logout");
    }
    if (const auto value = get("post_logout_redirect_uri")) {
      if (checkUrl("post_logout_redirect_uri", *value)) {
        config.post_logout_redirect_uri = std::string(*value);
      }
    } else if (config.redirect_uri.ends_with(kCallbackRoute)) {
      config.post_logout_redirect_uri =
          config.redirect_uri.substr(0, config.redirect_uri.size() - kCallbackRoute.size()) + "/";
    }
  }

  void sessionStore(Config& config) {
    const auto value = get("session_store");
    if (!value) {
      return;
    }
    if (auto where = parseStoreLocation(*value); !where) {
      problems_.add("session_store", where.error().detail,
                    "write sqlite:/var/lib/latchkey/state.db or redis://host:6379/0");
      return;
    }
    config.session_store = std::string(*value);
  }

  void allowLists(Config& config) {
    if (const auto value = get("allowed_domains")) {
      const auto items = split(*value, " \t,");
      for (const auto item : items) {
        std::string domain = toLowerAscii(item);
        if (domain.front() == '@') {
          domain.erase(0, 1);
        }
        if (!isDomainName(domain)) {
          problems_.add("allowed_domains", "'" + std::string(item) + "' is not a domain name",
                        "list domains such as example.com, separated by spaces");
          continue;
        }
        config.allowed_domains.push_back(std::move(domain));
      }
      if (items.empty()) {
        problems_.add("allowed_domains", "lists no domain",
                      "list at least one domain, or remove the key to allow any");
      }
    }
    const auto emails = get("allowed_emails");
    const auto emails_file = get("allowed_emails_file");
    if (emails && emails_file) {
      // Both is ambiguous (union or override?) for an access list: refuse rather than guess.
      problems_.add("allowed_emails", "both allowed_emails and allowed_emails_file are set",
                    "keep only one of them");
      return;
    }
    std::string key = "allowed_emails";
    std::vector<std::string_view> items;
    std::string file_content;
    if (emails) {
      items = split(*emails, " \t,");
    } else if (emails_file) {
      key = "allowed_emails_file";
      std::string reason;
      auto content = readFile(std::string(*emails_file), reason);
      if (!content) {
        problems_.add(key, "cannot read " + std::string(*emails_file) + " (" + reason + ")",
                      "check the path and that latchkey's user may read it");
        return;
      }
      file_content = std::move(*content);
      for (const auto line : split(file_content, "\n")) {
        const auto address = trim(line);
        if (!address.empty() && address.front() != '#') {
          items.push_back(address);
        }
      }
    } else {
      return;
    }
    for (const auto item : items) {
      if (!isEmailAddress(item)) {
        problems_.add(key, "'" + std::string(item) + "' is not an e-mail address",
                      emails ? "separate addresses with spaces" : "write one address per line");
        continue;
      }
      config.allowed_emails.push_back(toLowerAscii(item));
    }
    // An empty list means "anyone": never let an empty or unfinished file open the door.
    if (items.empty()) {
      problems_.add(key, "lists no address",
                    "list at least one address, or remove the key to allow any");
    }
  }

  void files(Config& config) {
    if (const auto ca = get("ca_file")) {
      std::string reason;
      if (!readFile(std::string(*ca), reason)) {
        problems_.add("ca_file", "cannot read " + std::string(*ca) + " (" + reason + ")",
                      "point it at a readable PEM bundle, or remove it to use the system store");
      } else {
        config.ca_file = std::string(*ca);
      }
    }
    if (const auto dir = get("templates_dir")) {
      struct stat st {};
      if (::stat(std::string(*dir).c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        problems_.add("templates_dir", std::string(*dir) + " is not an existing directory",
                      "create it, fix the path, or remove the key to use the built-in pages");
      } else {
        config.templates_dir = std::string(*dir);
      }
    }
  }

  // The name on the "Sign in with ..." button; plain text, escaped by the pages.
  void providerName(Config& config) {
    const auto name = get("provider_name");
    if (!name) {
      return;
    }
    const bool printable = std::all_of(name->begin(), name->end(), [](char c) {
      return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
    });
    if (name->size() > 64 || !printable) {
      problems_.add("provider_name", "must be at most 64 printable characters",
                    "use a short name such as 'Acme SSO'");
      return;
    }
    config.provider_name = std::string(*name);
  }

  std::optional<bool> boolean(const std::string& key) {
    const auto value = get(key);
    if (!value) {
      return std::nullopt;
    }
    const std::string text = toLowerAscii(*value);
    if (text == "true" || text == "yes" || text == "on" || text == "1") {
      return true;
    }
    if (text == "false" || text == "no" || text == "off" || text == "0") {
      return false;
    }
    problems_.add(key, "'" + std::string(*value) + "' is not true or false", "write true or false");
    return std::nullopt;
  }

  // A space- or comma-separated list of printable names.
  std::vector<std::string> nameList(const std::string& key, bool lower) {
    std::vector<std::string> out;
    const auto value = get(key);
    if (!value) {
      return out;
    }
    for (const auto item : split(*value, " \t,")) {
      if (hasControlChar(item)) {
        problems_.add(key, "contains a control character", "list plain names");
        continue;
      }
      out.emplace_back(lower ? toLowerAscii(item) : std::string(item));
    }
    if (out.empty()) {
      problems_.add(key, "lists nothing", "list at least one name, or remove the key");
    }
    return out;
  }

  // Groups, GitHub organisations, claims and bearer tokens (access_rules.h).
  void accessRules(Config& config) {
    if (const auto claim = get("groups_claim")) {
      if (hasControlChar(*claim) || claim->find_first_of(" \t,") != std::string_view::npos) {
        problems_.add("groups_claim", "must be one claim name", "e.g. groups_claim = roles");
      } else {
        config.groups_claim = std::string(*claim);
        config.groups_claim_set = true;
      }
    }
    config.allowed_groups = nameList("allowed_groups", false);
    config.allowed_github_orgs = nameList("allowed_github_orgs", true);
    for (const std::string& org : config.allowed_github_orgs) {
      const size_t slash = org.find('/');
      if (org.front() == '/' || org.back() == '/' ||
          (slash != std::string::npos && org.find('/', slash + 1) != std::string::npos)) {
        problems_.add("allowed_github_orgs", "'" + org + "' is not an org or org/team",
                      "write my-org or my-org/team-slug");
      }
    }
    if (!config.allowed_github_orgs.empty() && config.provider != ProviderKind::kGithub) {
      problems_.add("allowed_github_orgs", "is only for provider = github",
                    "use allowed_groups with other providers");
    }
    if (!config.allowed_github_orgs.empty() &&
        std::find(config.scopes.begin(), config.scopes.end(), "read:org") == config.scopes.end()) {
      problems_.add("allowed_github_orgs", "needs the read:org scope to see memberships",
                    "add read:org to scopes (or leave scopes unset)");
    }
    if (const auto claims = get("require_claim")) {
      for (const auto line : split(*claims, ";")) {
        if (trim(line).empty()) {
          continue;
        }
        auto requirement = parseClaimRequirement(trim(line));
        if (!requirement) {
          problems_.add("require_claim", requirement.error().detail,
                        "write require_claim = NAME VALUE [VALUE...], one per line");
          continue;
        }
        config.require_claims.push_back(std::move(*requirement));
      }
    }
    config.pass_access_token = boolean("pass_access_token").value_or(false);
    config.bearer_tokens = boolean("bearer_tokens").value_or(false);
    config.bearer_audiences = nameList("bearer_audiences", false);
    if (config.bearer_tokens && config.provider == ProviderKind::kGithub) {
      problems_.add("bearer_tokens", "GitHub issues no signed JWTs to verify",
                    "use an OpenID Connect provider, or remove bearer_tokens");
    }
    if (!config.bearer_audiences.empty() && !config.bearer_tokens) {
      problems_.add("bearer_audiences", "is set but bearer_tokens is not true",
                    "set bearer_tokens = true, or remove bearer_audiences");
    }
  }

  void identityChecks(Config& config) {
    config.allow_unverified_email = boolean("allow_unverified_email").value_or(false);
    if (const auto value = get("trusted_audiences")) {
      for (const auto audience : split(*value, " \t,")) {
        config.trusted_audiences.emplace_back(audience);
      }
    }
    // Below a minute a slow sign-in (token endpoint, clock skew) would fail; a day is already
    // far more than any callback needs.
    if (const auto max_age = boundedInteger("id_token_max_age", 60, 86400)) {
      config.id_token_max_age = *max_age;
    }
  }

  // A line of text for the pages: printable, bounded, shown escaped.
  std::optional<std::string> pageText(const std::string& key, size_t max_bytes,
                                      std::string_view example) {
    const auto value = get(key);
    if (!value) {
      return std::nullopt;
    }
    if (value->size() > max_bytes || hasControlChar(*value)) {
      problems_.add(key, "must be at most " + std::to_string(max_bytes) + " printable characters",
                    "write one short line such as '" + std::string(example) + "'");
      return std::nullopt;
    }
    return std::string(*value);
  }

  void branding(Config& config) {
    config.site_name = pageText("site_name", 80, "Acme intranet").value_or("");
    config.banner_text = pageText("banner_text", 300, "Staff only").value_or("");
    config.footer_text = pageText("footer_text", 300, "Questions: it@example.com").value_or("");
    const auto logo = get("logo_url");
    if (!logo) {
      return;
    }
    if (!isPageLogoUrl(*logo)) {
      problems_.add("logo_url",
                    "must be a path on this site (/static/logo.png) or a "
                    "data:image/png|gif|jpeg|webp|svg+xml;base64,... URL of at most 64 KiB",
                    "the pages' Content-Security-Policy allows images from nowhere else; "
                    "serve the logo from this site");
      return;
    }
    config.logo_url = std::string(*logo);
  }

  void logLevel(Config& config) {
    const auto value = get("log_level");
    if (!value) {
      return;
    }
    const std::string level = toLowerAscii(*value);
    if (level == "error") {
      config.log_level = LogLevel::kError;
    } else if (level == "warn") {
      config.log_level = LogLevel::kWarn;
    } else if (level == "info") {
      config.log_level = LogLevel::kInfo;
    } else if (level == "debug") {
      config.log_level = LogLevel::kDebug;
    } else {
      problems_.add("log_level", "'" + level + "' is not a log level",
                    "use error, warn, info or debug");
    }
  }

  // metrics, metrics_allow, access_log: what an operator watches.
  void operations(Config& config) {
    config.metrics = boolean("metrics").value_or(false);
    config.access_log = boolean("access_log").value_or(false);
    config.metrics_allow = loopbackRanges();
    const auto allow = get("metrics_allow");
    if (!allow) {
      return;
    }
    config.metrics_allow.clear();
    for (const auto item : split(*allow, " \t,")) {
      if (const auto range = parseAddressRange(item)) {
        config.metrics_allow.push_back(*range);
      } else {
        problems_.add("metrics_allow", "'" + std::string(item) + "' is not an address or network",
                      "list addresses or networks such as 127.0.0.1 10.0.0.0/8 ::1");
      }
    }
  }

  const RawConfig& raw_;
  Problems& problems_;
  bool base_path_ok_ = true;
  bool scheme_known_ = false;  // redirect_uri parsed, so config.https is meaningful
};

// The names in `providers`, or nullopt after reporting what is wrong with them.
std::optional<std::vector<std::string>> providerIds(std::string_view value, Problems& problems) {
  std::vector<std::string> ids;
  bool ok = true;
  for (const auto item : split(value, " \t,")) {
    const std::string id(item);
    if (!isProviderId(id)) {
      problems.add("providers", "'" + id + "' is not a provider name",
                   "start with a lower-case letter, then lower-case letters and digits (at "
                   "most 32), e.g. providers = google github");
      ok = false;
    } else if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
      problems.add("providers", "'" + id + "' is listed twice", "list each provider once");
      ok = false;
    } else {
      ids.push_back(id);
    }
  }
  if (ids.empty() && ok) {
    problems.add("providers", "lists no provider",
                 "list the providers' names in button order, or remove the key");
    ok = false;
  }
  return ok ? std::optional(std::move(ids)) : std::nullopt;
}

// Every NAME.key line: NAME must be in `providers` (ids; empty when the key is absent) and key
// a provider setting. False when any is not.
bool checkPrefixedKeys(const RawConfig& raw, const std::vector<std::string>& ids,
                       Problems& problems) {
  bool ok = true;
  for (const auto& [key, value] : raw) {
    const auto [prefix, name] = splitPrefix(key);
    if (prefix.empty()) {
      continue;
    }
    if (ids.empty()) {
      problems.add(key, "a NAME. prefix needs several providers, and providers is not set",
                   "add providers = " + std::string(prefix) + " ..., or remove the prefix");
    } else if (std::find(ids.begin(), ids.end(), prefix) == ids.end()) {
      problems.add(key, "'" + std::string(prefix) + "' is not named in providers",
                   "add it to providers, or fix the prefix");
    } else if (!isProviderKey(name)) {
      problems.add(key, std::string(name) + " is one setting for the whole site, not per provider",
                   "write it without the '" + std::string(prefix) + ".' prefix");
    } else {
      continue;
    }
    ok = false;
  }
  return ok;
}

// `providers = a b`: each provider is validated from the shared keys overlaid with its own
// prefixed ones. The result is the first provider's Config with the whole list in providers.
std::optional<Config> validateProviders(const RawConfig& raw, const std::vector<std::string>& ids,
                                        Problems& problems) {
  std::vector<Config> configs;
  std::vector<ProviderChoice> choices;
  for (const std::string& id : ids) {
    RawConfig merged;
    std::vector<std::string> shared;
    for (const auto& [key, value] : raw) {
      const auto [prefix, name] = splitPrefix(key);
      if (prefix.empty() && key != "providers" && !merged.contains(key)) {
        merged.emplace(key, value);
        shared.push_back(key);
      } else if (prefix == id) {
        merged[std::string(name)] = value;
        std::erase(shared, std::string(name));
      }
    }
    problems.scopeTo(id, std::move(shared));
    Config config = Validator(merged, problems).run();
    config.provider_id = id;
    choices.push_back({id, providerDisplayName(config)});
    configs.push_back(std::move(config));
  }
  problems.scopeTo({}, {});
  if (configs.front().bearer_tokens) {
    // A bearer JWT names no provider to verify it with, and trying each would let the
    // weakest provider's rules decide.
    problems.add("bearer_tokens", "works with a single provider only",
                 "remove bearer_tokens, or keep one provider");
  }
  for (Config& config : configs) {
    config.provider_choices = choices;
  }
  Config top = configs.front();
  top.provider_id.clear();
  top.providers = std::move(configs);
  return top;
}

}  // namespace

std::optional<Config> validate(const RawConfig& raw, Problems& problems) {
  if (const auto it = raw.find("providers"); it != raw.end() && !it->second.value.empty()) {
    const auto ids = providerIds(it->second.value, problems);
    if (ids && checkPrefixedKeys(raw, *ids, problems)) {
      return validateProviders(raw, *ids, problems);
    }
    return std::nullopt;
  }
  if (checkPrefixedKeys(raw, {}, problems)) {
    return Validator(raw, problems).run();
  }
  return std::nullopt;
}

}  // namespace latchkey::config_detail
