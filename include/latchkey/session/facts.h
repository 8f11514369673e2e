// What a sign-in learned about a person beyond sub/e-mail/name: group-like memberships and
// other claims, tested by access rules (access_rules.h) and carried by the session.
#pragma once

#include <rapidjson/document.h>

#include <map>
#include <string>
#include <vector>

namespace latchkey {

struct Facts {
  // groups_claim values (OIDC), "org" and "org/team" (GitHub, lower case). Sorted, unique.
  std::vector<std::string> groups;
  // Other claims of the ID token / userinfo that rules may test: name -> values as text
  // (strings as they are, numbers and booleans in JSON form; an array gives several values).
  std::map<std::string, std::vector<std::string>> claims;

  bool empty() const { return groups.empty() && claims.empty(); }
  bool operator==(const Facts&) const = default;
};

// Adds the groups (from groups_claim: a string, or an array of strings) and the other
// simple claims of a verified claim set. Protocol claims (iss, aud, exp, nonce, ...) and the
// identity already kept elsewhere (sub, email, name, picture) are skipped; so are values
// with control characters or longer than 256 bytes. Later calls add to earlier ones (userinfo
// after the ID token) without duplicates.
void addClaimFacts(const rapidjson::Value& claims, const std::string& groups_claim, Facts& facts);

// Sorts and de-duplicates groups (call once all sources were added).
void normalizeFacts(Facts& facts);

}  // namespace latchkey
