// Authorization: who may pass, beyond holding a valid session. Rules come from the
// configuration (site-wide, checked at sign-in and on every request) and from /auth's query
// string (per location, oauth2-proxy's names). Each kind of rule that is set must hold (AND);
// within one kind any listed value is enough (OR), and allowed_emails / allowed_domains
// together form one e-mail rule (the address is listed, or its domain is).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "latchkey/config/config.h"
#include "latchkey/session/facts.h"
#include "latchkey/util/result.h"

namespace latchkey {

struct AccessRules {
  std::vector<std::string> emails;   // lower case
  std::vector<std::string> domains;  // lower case, no '@'
  std::vector<std::string> groups;
  std::vector<std::string> github_orgs;  // "org" or "org/team", lower case
  std::vector<ClaimRequirement> claims;  // each must hold

  bool empty() const {
    return emails.empty() && domains.empty() && groups.empty() && github_orgs.empty() &&
           claims.empty();
  }
};

// Who is asking: what a session or a verified bearer token says.
struct Subject {
  std::string_view email;
  bool email_verified = false;
  const Facts& facts;
};

// A rule that did not hold: which one (for the page and the log) and what to ask for.
struct Denial {
  std::string rule;  // "allowed_groups"
  std::string what;  // "you are not in any of the groups admins, ops"
  std::string ask;   // "ask the site owner to add you to one of these groups"
};

// The first rule of `rules` that `who` fails, or nothing when all hold.
std::optional<Denial> findDenial(const AccessRules& rules, const Subject& who);

// The site-wide rules of the configuration, the e-mail lists included.
AccessRules siteRules(const Config& config);

// Parses /auth's query: allowed_groups, allowed_emails, allowed_domains (comma-separated),
// require_claim (comma-separated NAME:VALUE; several values for one NAME are alternatives).
// Other parameters are ignored (nginx may add its own). kBadRequest naming the parameter
// and the item for anything malformed: an empty list, a bad e-mail or domain, a claim without
// ':'. A malformed rule never means "no rule".
Result<AccessRules> parseLocationRules(
    const std::vector<std::pair<std::string, std::string>>& query);

// "require_claim = NAME VALUE [VALUE...]" of the configuration file (also used for each line
// when the key is repeated). kBadRequest with what is wrong.
Result<ClaimRequirement> parseClaimRequirement(std::string_view text);

// Whether any rule, site-wide, restricts who may sign in (for the open-door warning).
bool restrictsSignIn(const Config& config);

}  // namespace latchkey
