// The e-mail address rules of the configuration, applied at sign-in and on every request.
#pragma once

#include <string_view>

#include "latchkey/config/config.h"
#include "latchkey/oidc/identity_provider.h"
#include "latchkey/util/result.h"

namespace latchkey {

// The e-mail rules, at sign-in and on every later request: with allowed_domains /
// allowed_emails only a verified, listed address (kEmailNotVerified / kEmailNotAllowed);
// without them an unverified address is kEmailNotVerified unless allow_unverified_email.
Status checkEmailPolicy(const Config& config, std::string_view email, bool email_verified);
// At sign-in: checkEmailPolicy, and for Google with allowed_domains an hd claim naming one of
// them unless the address itself is in allowed_emails (kHostedDomainMismatch).
Status checkSignInPolicy(const Config& config, const Identity& identity);

}  // namespace latchkey
