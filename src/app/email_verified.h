// email_verified (OIDC Core §5.1: a JSON boolean) read from ID token claims or a userinfo
// answer, with a plain description of what was wrong when it could not be read, so a
// refusal can tell the site owner exactly which claim the provider failed to send.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>

namespace latchkey {

struct EmailVerifiedReading {
  bool verified = false;
  // Empty when the claim was a boolean (or "true"/"false"); otherwise e.g. "the ID token has
  // no email_verified claim". Safe to show: provider values are sanitized.
  std::string problem;
};

// Some providers send "true"/"false" as strings: accepted. Anything else is not verified.
// source names where the claims came from, e.g. "the ID token".
EmailVerifiedReading readEmailVerified(const rapidjson::Value& claims, std::string_view source);

// The site owner's part of a refusal for an unverified address whose email_verified could not
// be read: the problem, and how to make the provider send the claim.
std::string emailVerifiedFix(std::string_view problem);

}  // namespace latchkey
