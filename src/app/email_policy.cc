// Who may sign in by e-mail address: allowed_emails, allowed_domains, a verified address, and
// Google's hd claim for Workspace domains.
#include "latchkey/app/email_policy.h"

#include <algorithm>
#include <string>

#include "latchkey/util/text.h"

namespace latchkey {
namespace {

bool isListedEmail(const Config& config, std::string_view lower_email) {
  return std::find(config.allowed_emails.begin(), config.allowed_emails.end(), lower_email) !=
         config.allowed_emails.end();
}

bool isAllowedDomain(const Config& config, std::string_view lower_domain) {
  return !lower_domain.empty() &&
         std::find(config.allowed_domains.begin(), config.allowed_domains.end(), lower_domain) !=
             config.allowed_domains.end();
}

}  // namespace

Status checkEmailPolicy(const Config& config, std::string_view email, bool email_verified) {
  if (config.allowed_domains.empty() && config.allowed_emails.empty()) {
    // An unverified address proves nothing: anyone can type any address at some providers,
    // and an application keyed on it would be taken over. Refused unless the site owner
    // allows such accounts (their address is then never kept or passed on).
    if (!email.empty() && !email_verified && !config.allow_unverified_email) {
      return makeError(Errc::kEmailNotVerified, std::string(email));
    }
    return {};
  }
  if (email.empty() || !email_verified) {
    return makeError(Errc::kEmailNotVerified, std::string(email));
  }
  const std::string lower = toLowerAscii(email);
  if (isListedEmail(config, lower)) {
    return {};
  }
  const size_t at = lower.rfind('@');
  if (at != std::string::npos && isAllowedDomain(config, std::string_view(lower).substr(at + 1))) {
    return {};
  }
  return makeError(Errc::kEmailNotAllowed, std::string(email));
}

Status checkSignInPolicy(const Config& config, const Identity& identity) {
  if (Status email = checkEmailPolicy(config, identity.email, identity.email_verified); !email) {
    return email;
  }
  // Google: an address at a domain is not an account that the domain's organisation manages
  // (anyone can make a Google account for any address they receive mail at); only the hd
  // claim says so. An address listed by itself in allowed_emails needs no hd.
  if (config.provider == ProviderKind::kGoogle && !config.allowed_domains.empty() &&
      !isListedEmail(config, toLowerAscii(identity.email)) &&
      !isAllowedDomain(config, identity.hosted_domain)) {
    return makeError(Errc::kHostedDomainMismatch, identity.email);
  }
  return {};
}

}  // namespace latchkey
