#include "oidc/oidc_metadata.h"

#include <rapidjson/document.h>

#include <utility>

#include "latchkey/util/json.h"
#include "latchkey/util/text.h"
#include "latchkey/util/url.h"

namespace latchkey {

namespace {

using JwksPtr = std::shared_ptr<const JwkSet>;

std::vector<std::string> stringArray(const rapidjson::Value& object, const char* name) {
  std::vector<std::string> out;
  if (const rapidjson::Value* array = json::getArray(object, name)) {
    for (const auto& item : array->GetArray()) {
      if (item.IsString()) {
        out.emplace_back(item.GetString(), item.GetStringLength());
      }
    }
  }
  return out;
}

bool contains(const std::vector<std::string>& list, std::string_view value) {
  for (const auto& item : list) {
    if (item == value) {
      return true;
    }
  }
  return false;
}

// Reads an endpoint: required ones must exist; every present one must be https (or
// loopback http), because tokens and codes travel to it. "" for an absent optional one.
Result<std::string> readEndpoint(const rapidjson::Value& doc, const char* name, bool required) {
  if (!doc.HasMember(name) || doc[name].IsNull()) {
    if (required) {
      return makeError(Errc::kDiscoveryFailed, std::string("discovery document has no ") + name);
    }
    return std::string();
  }
  auto value = json::getString(doc, name);
  if (!value || !isHttpsOrLoopbackUrl(*value)) {
    return makeError(Errc::kDiscoveryFailed,
                     std::string("discovery ") + name + " is not an https URL");
  }
  return std::string(*value);
}

// Resets the in-flight flag and wakes the waiters even if the fetch unwinds.
class InFlightGuard {
 public:
  InFlightGuard(bool& flag, std::condition_variable& done) : flag_(flag), done_(done) {
    flag_ = true;
  }
  ~InFlightGuard() {
    flag_ = false;
    done_.notify_all();
  }
  InFlightGuard(const InFlightGuard&) = delete;
  InFlightGuard& operator=(const InFlightGuard&) = delete;

 private:
  bool& flag_;
  std::condition_variable& done_;
};

// doc_issuer is configured with one whole path segment replaced by {tenantid}.
bool isTenantTemplateOf(std::string_view doc_issuer, std::string_view configured) {
  const size_t at = doc_issuer.find(kTenantPlaceholder);
  if (at == std::string_view::npos ||
      doc_issuer.find(kTenantPlaceholder, at + 1) != std::string_view::npos) {
    return false;
  }
  const std::string_view prefix = doc_issuer.substr(0, at);
  const std::string_view suffix = doc_issuer.substr(at + kTenantPlaceholder.size());
  if (prefix.empty() || prefix.back() != '/' || (!suffix.empty() && suffix.front() != '/') ||
      configured.size() <= prefix.size() + suffix.size() ||
      configured.substr(0, prefix.size()) != prefix ||
      configured.substr(configured.size() - suffix.size()) != suffix) {
    return false;
  }
  const std::string_view segment =
      configured.substr(prefix.size(), configured.size() - prefix.size() - suffix.size());
  return segment.find('/') == std::string_view::npos;
}

}  // namespace

std::string issuerForTenant(std::string_view issuer_template, std::string_view tenant) {
  std::string out(issuer_template);
  const size_t at = out.find(kTenantPlaceholder);
  if (at != std::string::npos) {
    out.replace(at, kTenantPlaceholder.size(), tenant);
  }
  return out;
}

std::string discoveryUrl(std::string_view issuer) {
  if (!issuer.empty() && issuer.back() == '/') {
    issuer.remove_suffix(1);
  }
  return std::string(issuer) + "/.well-known/openid-configuration";
}

Result<OidcDiscovery> parseDiscovery(const HttpResponse& response, std::string_view issuer,
                                     bool allow_tenant_template) {
  if (response.status != 200) {
    return makeError(Errc::kDiscoveryFailed,
                     "discovery answered " + std::to_string(response.status) + " (expected 200)");
  }
  rapidjson::Document doc;
  if (!json::parseObject(response.body, doc)) {
    return makeError(Errc::kDiscoveryFailed, "discovery document is not a JSON object");
  }
  OidcDiscovery out;
  auto doc_issuer = json::getString(doc, "issuer");
  if (!doc_issuer) {
    return makeError(Errc::kDiscoveryFailed, "discovery document has no string issuer");
  }
  // Discovery §4.3: exactly equal, not normalised, or ID tokens would be checked against
  // an issuer the operator never configured.
  if (*doc_issuer != issuer) {
    const bool is_template = isTenantTemplateOf(*doc_issuer, issuer);
    if (!is_template || !allow_tenant_template) {
      return makeError(Errc::kDiscoveryIssuerMismatch,
                       "discovery issuer \"" + sanitizeForLog(*doc_issuer) +
                           "\" is not the configured issuer \"" + sanitizeForLog(issuer) + "\"" +
                           (is_template ? "; it is a multi-tenant template: list the tenants "
                                          "to let in with allowed_tenants"
                                        : ""));
    }
    out.issuer_is_tenant_template = true;
  }
  out.issuer = *doc_issuer;
  const std::pair<const char*, std::string*> endpoints[] = {
      {"authorization_endpoint", &out.authorization_endpoint},
      {"token_endpoint", &out.token_endpoint},
      {"jwks_uri", &out.jwks_uri},
      {"userinfo_endpoint", &out.userinfo_endpoint},
      {"revocation_endpoint", &out.revocation_endpoint},
      {"end_session_endpoint", &out.end_session_endpoint},
  };
  for (const auto& [name, field] : endpoints) {
    const bool required = field == &out.authorization_endpoint || field == &out.token_endpoint ||
                          field == &out.jwks_uri;
    auto url = readEndpoint(doc, name, required);
    if (!url) {
      return url.error();
    }
    *field = std::move(*url);
  }
  // Discovery §3: absent means client_secret_basic. Use post only when basic is not offered.
  out.auth_methods = stringArray(doc, "token_endpoint_auth_methods_supported");
  if (!out.auth_methods.empty() && !contains(out.auth_methods, "client_secret_basic") &&
      contains(out.auth_methods, "client_secret_post")) {
    out.token_auth = ClientAuthMethod::kClientSecretPost;
  }
  out.revocation_auth_methods = stringArray(doc, "revocation_endpoint_auth_methods_supported");
  out.claims_supported = stringArray(doc, "claims_supported");
  // RFC 9207 §3: absent means false.
  out.iss_parameter_supported =
      json::getBool(doc, "authorization_response_iss_parameter_supported").value_or(false);
  return out;
}

OidcMetadataCache::OidcMetadataCache(std::string issuer, HttpClient& http, const Clock& clock,
                                     bool allow_tenant_template)
    : issuer_(std::move(issuer)),
      allow_tenant_template_(allow_tenant_template),
      http_(http),
      clock_(clock) {}

Result<std::shared_ptr<const OidcDiscovery>> OidcMetadataCache::discovery() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const int64_t now = clock_.now();
    if (discovery_ && now - discovery_fetched_at_ < kMetadataLifetimeSeconds) {
      return discovery_;
    }
    if (discovery_error_ && now - discovery_failed_at_ < kFailureMemorySeconds) {
      return *discovery_error_;
    }
  }
  // Fetched without the lock: at expiry two threads may both fetch, which is harmless.
  auto fetched = downloadDiscovery();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!fetched) {
    discovery_error_ = fetched.error();
    discovery_failed_at_ = clock_.now();
    return fetched.error();
  }
  discovery_error_.reset();
  discovery_ = *fetched;
  discovery_fetched_at_ = clock_.now();
  return discovery_;
}

Result<std::shared_ptr<const OidcDiscovery>> OidcMetadataCache::downloadDiscovery() {
  HttpRequest request;
  request.endpoint = ProviderEndpoint::kDiscovery;
  request.url = discoveryUrl(issuer_);
  auto response = http_.send(request);
  if (!response) {
    return response.error();
  }
  auto parsed = parseDiscovery(*response, issuer_, allow_tenant_template_);
  if (!parsed) {
    return parsed.error();
  }
  return std::make_shared<const OidcDiscovery>(std::move(parsed).value());
}

Result<JwksPtr> OidcMetadataCache::downloadJwks() {
  auto meta = discovery();
  if (!meta) {
    return meta.error();
  }
  HttpRequest request;
  request.endpoint = ProviderEndpoint::kJwks;
  request.url = (*meta)->jwks_uri;
  auto response = http_.send(request);
  if (!response) {
    return response.error();
  }
  if (response->status != 200) {
    return makeError(Errc::kJwksInvalid,
                     "jwks_uri answered " + std::to_string(response->status) + " (expected 200)");
  }
  auto keys = parseJwks(response->body);
  if (!keys) {
    return keys.error();
  }
  return std::make_shared<const JwkSet>(std::move(keys).value());
}

Result<JwksPtr> OidcMetadataCache::fetchJwksSingleFlight(std::unique_lock<std::mutex>& lock) {
  if (jwks_in_flight_) {
    // Another thread is fetching: wait for its result rather than fetching a second time.
    const uint64_t before = jwks_fetch_count_;
    jwks_done_.wait(lock, [&] { return jwks_fetch_count_ != before; });
    if (last_jwks_error_) {
      return *last_jwks_error_;
    }
    return jwks_;
  }
  Result<JwksPtr> fetched = makeError(Errc::kInternal, "JWKS fetch did not run");
  {
    InFlightGuard guard(jwks_in_flight_, jwks_done_);
    lock.unlock();
    fetched = downloadJwks();
    lock.lock();
    ++jwks_fetch_count_;
    if (fetched) {
      jwks_ = *fetched;
      jwks_fetched_at_ = clock_.now();
      last_jwks_error_.reset();
    } else {
      last_jwks_error_ = fetched.error();
      jwks_failed_at_ = clock_.now();
    }
  }
  return fetched;
}

Result<JwksPtr> OidcMetadataCache::jwks() {
  std::unique_lock<std::mutex> lock(mutex_);
  const int64_t now = clock_.now();
  if (jwks_ && now - jwks_fetched_at_ < kMetadataLifetimeSeconds) {
    return jwks_;
  }
  if (!jwks_in_flight_ && last_jwks_error_ && now - jwks_failed_at_ < kFailureMemorySeconds) {
    return *last_jwks_error_;
  }
  return fetchJwksSingleFlight(lock);
}

Result<JwksPtr> OidcMetadataCache::refetchJwks(const JwksPtr& seen) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (jwks_ && jwks_ != seen) {
    return jwks_;  // someone already fetched a newer set
  }
  if (!jwks_in_flight_) {
    // A flood of tokens with made-up kids must not turn into a flood of JWKS fetches.
    const int64_t now = clock_.now();
    if (last_refetch_at_ && now - *last_refetch_at_ < kJwksRefetchIntervalSeconds) {
      return seen;
    }
    last_refetch_at_ = now;
  }
  return fetchJwksSingleFlight(lock);
}

}  // namespace latchkey
