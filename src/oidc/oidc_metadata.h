// OpenID Connect Discovery 1.0 and the provider's JWKS, fetched and cached per process.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "latchkey/jose/jose.h"
#include "latchkey/net/http_client.h"
#include "latchkey/util/clock.h"
#include "latchkey/util/result.h"
#include "oidc/token_response.h"

namespace latchkey {

struct OidcDiscovery {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  std::string userinfo_endpoint;     // empty when not advertised
  std::string revocation_endpoint;   // empty when not advertised
  std::string end_session_endpoint;  // RP-Initiated Logout 1.0 §2.1; empty when not advertised
  ClientAuthMethod token_auth = ClientAuthMethod::kClientSecretBasic;
  std::vector<std::string> auth_methods;  // token_endpoint_auth_methods_supported; may be empty
  std::vector<std::string> revocation_auth_methods;  // revocation_endpoint_auth_methods_supported
  std::vector<std::string> claims_supported;         // may be empty
  // The issuer is a multi-tenant template (Entra ID: https://login.microsoftonline.com/
  // {tenantid}/v2.0): ID tokens carry it with a real tenant id in place of {tenantid}.
  bool issuer_is_tenant_template = false;
  bool iss_parameter_supported = false;  // RFC 9207: iss comes back on the callback
};

inline constexpr std::string_view kTenantPlaceholder = "{tenantid}";

// The template with tenant substituted for {tenantid}.
std::string issuerForTenant(std::string_view issuer_template, std::string_view tenant);

// ISSUER/.well-known/openid-configuration, with one trailing '/' of the issuer dropped
// (Discovery §4.1).
std::string discoveryUrl(std::string_view issuer);

// Discovery §4.3: the document's issuer must equal the configured one exactly
// (kDiscoveryIssuerMismatch); endpoints must be https or loopback http; anything else
// wrong is kDiscoveryFailed. Only when allow_tenant_template is set (allowed_tenants is
// configured) may the document's issuer instead be the configured one with exactly one path
// segment replaced by {tenantid} (Entra ID's /common/v2.0 and /organizations/v2.0).
Result<OidcDiscovery> parseDiscovery(const HttpResponse& response, std::string_view issuer,
                                     bool allow_tenant_template = false);

// Thread-safe cache of discovery and JWKS. Readers get immutable shared_ptr snapshots, so
// nothing is locked while a snapshot is in use. Entries live kMetadataLifetimeSeconds.
// JWKS fetches are single-flight: while one thread fetches, others that need the keys wait
// for its result instead of fetching too. A refetch because of an unknown kid happens at
// most once per kJwksRefetchIntervalSeconds. A failed fetch is remembered for
// kFailureMemorySeconds: during that time callers get the same error at once instead of each
// waiting up to http_timeout on a provider that is down.
class OidcMetadataCache {
 public:
  static constexpr int64_t kMetadataLifetimeSeconds = 3600;
  static constexpr int64_t kJwksRefetchIntervalSeconds = 10;
  static constexpr int64_t kFailureMemorySeconds = 5;

  OidcMetadataCache(std::string issuer, HttpClient& http, const Clock& clock,
                    bool allow_tenant_template = false);

  // A failure is returned again, without a fetch, for kFailureMemorySeconds.
  Result<std::shared_ptr<const OidcDiscovery>> discovery();
  Result<std::shared_ptr<const JwkSet>> jwks();
  // `seen` is the snapshot in which a kid was not found. Returns a newer snapshot when one
  // exists or could be fetched; `seen` itself when rate-limited (the caller then gives up).
  Result<std::shared_ptr<const JwkSet>> refetchJwks(const std::shared_ptr<const JwkSet>& seen);

 private:
  Result<std::shared_ptr<const JwkSet>> fetchJwksSingleFlight(std::unique_lock<std::mutex>& lock);
  Result<std::shared_ptr<const JwkSet>> downloadJwks();
  Result<std::shared_ptr<const OidcDiscovery>> downloadDiscovery();

  const std::string issuer_;
  const bool allow_tenant_template_;
  HttpClient& http_;
  const Clock& clock_;

  std::mutex mutex_;
  std::condition_variable jwks_done_;
  std::shared_ptr<const OidcDiscovery> discovery_;
  int64_t discovery_fetched_at_ = 0;
  std::optional<Error> discovery_error_;
  int64_t discovery_failed_at_ = 0;
  std::shared_ptr<const JwkSet> jwks_;
  int64_t jwks_fetched_at_ = 0;
  bool jwks_in_flight_ = false;
  uint64_t jwks_fetch_count_ = 0;  // completed fetches, to wake waiters
  std::optional<Error> last_jwks_error_;
  int64_t jwks_failed_at_ = 0;
  std::optional<int64_t> last_refetch_at_;
};

}  // namespace latchkey
