// Providers without signed tokens to verify (GitHub) refuse every bearer token.
#include "latchkey/oidc/identity_provider.h"

namespace latchkey {

Result<Identity> IdentityProvider::verifyBearer(std::string_view /*token*/,
                                                const std::vector<std::string>& /*audiences*/,
                                                int64_t& /*expires_at*/) {
  return makeError(Errc::kBearerInvalid, "this provider issues no tokens latchkey can verify");
}

}  // namespace latchkey
