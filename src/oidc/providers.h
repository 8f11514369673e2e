// The concrete identity providers behind makeIdentityProvider (provider_factory.cc).
#pragma once

#include <memory>

#include "latchkey/oidc/identity_provider.h"

namespace latchkey {

// OpenID Connect with discovery; Google is this with issuer https://accounts.google.com.
std::unique_ptr<IdentityProvider> makeOidcProvider(const Config& config, HttpClient& http,
                                                   const Clock& clock);

// GitHub (or GitHub Enterprise Server when config.issuer is set): plain OAuth 2.0.
std::unique_ptr<IdentityProvider> makeGithubProvider(const Config& config, HttpClient& http,
                                                     const Clock& clock);

}  // namespace latchkey
