#include "app/email_verified.h"

#include "latchkey/util/json.h"
#include "latchkey/util/text.h"
#include "oidc/token_response.h"

namespace latchkey {

EmailVerifiedReading readEmailVerified(const rapidjson::Value& claims, std::string_view source) {
  EmailVerifiedReading out;
  if (auto b = json::getBool(claims, "email_verified")) {
    out.verified = *b;
    return out;
  }
  if (auto s = json::getString(claims, "email_verified"); s && (*s == "true" || *s == "false")) {
    out.verified = *s == "true";
    return out;
  }
  if (!claims.IsObject() || !claims.HasMember("email_verified")) {
    out.problem = std::string(source) + " has no email_verified claim";
  } else if (auto s = json::getString(claims, "email_verified")) {
    out.problem = std::string(source) + "'s email_verified is the string \"" +
                  sanitizeForLog(*s, 32) + "\", not the JSON boolean true";
  } else {
    out.problem = std::string(source) + "'s email_verified is not a JSON boolean";
  }
  return out;
}

std::string emailVerifiedFix(std::string_view problem) {
  return "Site owner: " + std::string(problem) +
         ", so latchkey cannot tell whether the address was verified. Make the provider send "
         "email_verified as a JSON boolean in the ID token or the userinfo answer: keep email "
         "in scopes and release the claim for this client (Keycloak: the \"email verified\" "
         "mapper of the email client scope; Glewlwyd: an email_verified claim in the OpenID "
         "Connect plugin's additional claims; Okta, Auth0, Google and GitLab send it with the "
         "email scope). latchkey --check shows whether the provider lists the claim.";
}

}  // namespace latchkey
