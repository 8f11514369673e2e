#include <memory>

#include "latchkey/oidc/identity_provider.h"
#include "oidc/providers.h"

namespace latchkey {

std::unique_ptr<IdentityProvider> makeIdentityProvider(const Config& config, HttpClient& http,
                                                       const Clock& clock) {
  switch (config.provider) {
    case ProviderKind::kGithub:
      return makeGithubProvider(config, http, clock);
    case ProviderKind::kGoogle:
      if (config.issuer.empty()) {
        Config google = config;
        google.issuer = std::string(kGoogleIssuer);
        return makeOidcProvider(google, http, clock);
      }
      return makeOidcProvider(config, http, clock);
    case ProviderKind::kOidc:
      return makeOidcProvider(config, http, clock);
  }
  return nullptr;  // unreachable: -Wswitch covers every ProviderKind
}

}  // namespace latchkey
