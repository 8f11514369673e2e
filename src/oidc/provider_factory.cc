#include <memory>

#include "latchkey/oidc/identity_provider.h"
#include "oidc/providers.h"

namespace latchkey {

namespace {
constexpr const char* kGoogleIssuer = "https://accounts.google.com";
}  // namespace

std::string joinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& scope : scopes) {
    if (!out.empty()) {
      out += ' ';
    }
    out += scope;
  }
  return out;
}

std::unique_ptr<IdentityProvider> makeIdentityProvider(const Config& config, HttpClient& http,
                                                       const Clock& clock) {
  switch (config.provider) {
    case ProviderKind::kGithub:
      return makeGithubProvider(config, http, clock);
    case ProviderKind::kGoogle:
      if (config.issuer.empty()) {
        Config google = config;
        google.issuer = kGoogleIssuer;
        return makeOidcProvider(google, http, clock);
      }
      return makeOidcProvider(config, http, clock);
    case ProviderKind::kOidc:
      return makeOidcProvider(config, http, clock);
  }
  return makeOidcProvider(config, http, clock);
}

}  // namespace latchkey
