// Rule evaluation and the two ways rules are written: configuration lines and /auth's query.
#include "latchkey/app/access_rules.h"

#include <algorithm>
#include <cctype>

#include "latchkey/util/text.h"

namespace latchkey {
namespace {

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool hasAny(const std::vector<std::string>& have, const std::vector<std::string>& wanted) {
  return std::any_of(wanted.begin(), wanted.end(),
                     [&](const std::string& w) { return contains(have, w); });
}

// "a, b, c" for the page: at most a few names, the rest counted.
std::string listed(const std::vector<std::string>& names) {
  constexpr size_t kShown = 8;
  std::string out;
  for (size_t i = 0; i < names.size() && i < kShown; ++i) {
    out += (i == 0 ? "" : ", ") + names[i];
  }
  if (names.size() > kShown) {
    out += " and " + std::to_string(names.size() - kShown) + " more";
  }
  return out;
}

std::optional<Denial> emailDenial(const AccessRules& rules, const Subject& who) {
  if (rules.emails.empty() && rules.domains.empty()) {
    return std::nullopt;
  }
  const std::string rule = rules.emails.empty()    ? "allowed_domains"
                           : rules.domains.empty() ? "allowed_emails"
                                                   : "allowed_emails / allowed_domains";
  // An unverified address proves nothing: anyone can type any address at some providers.
  if (who.email.empty() || !who.email_verified) {
    return Denial{rule, "this account has no verified e-mail address",
                  "sign in with an account whose e-mail address is verified"};
  }
  const std::string email = toLowerAscii(who.email);
  if (contains(rules.emails, email)) {
    return std::nullopt;
  }
  const size_t at = email.rfind('@');
  if (at != std::string::npos && contains(rules.domains, std::string_view(email).substr(at + 1))) {
    return std::nullopt;
  }
  return Denial{rule, "the address " + std::string(who.email) + " is not allowed here",
                "ask the site owner to allow your address or its domain here"};
}

// A claim value as rules compare it: exact text. Booleans and numbers were stored in
// their JSON form ("true", "42").
bool claimHolds(const ClaimRequirement& requirement, const Facts& facts) {
  const auto it = facts.claims.find(requirement.name);
  return it != facts.claims.end() && hasAny(it->second, requirement.values);
}

Result<std::vector<std::string>> commaList(std::string_view param, std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    std::string_view item = text.substr(pos, comma - pos);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ')
      item.remove_suffix(1);
    if (item.empty()) {
      return makeError(Errc::kBadRequest,
                       std::string(param) + " has an empty item (\"" + std::string(text) + "\")");
    }
    for (char c : item) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) {
        return makeError(Errc::kBadRequest, std::string(param) + " has a control character");
      }
    }
    out.emplace_back(item);
    pos = comma + 1;
  }
  return out;
}

// Adds `values` of claim `name` to the requirement for that name (alternatives), or a new one.
void requireClaim(std::vector<ClaimRequirement>& claims, std::string name, std::string value) {
  for (ClaimRequirement& c : claims) {
    if (c.name == name) {
      c.values.push_back(std::move(value));
      return;
    }
  }
  claims.push_back({std::move(name), {std::move(value)}});
}

}  // namespace

std::optional<Denial> findDenial(const AccessRules& rules, const Subject& who) {
  if (auto denial = emailDenial(rules, who)) {
    return denial;
  }
  if (!rules.groups.empty() && !hasAny(who.facts.groups, rules.groups)) {
    return Denial{"allowed_groups", "you are not in any of the groups " + listed(rules.groups),
                  "ask the site owner (or your identity provider's administrator) to add you to "
                  "one of these groups"};
  }
  if (!rules.github_orgs.empty() && !hasAny(who.facts.groups, rules.github_orgs)) {
    return Denial{"allowed_github_orgs",
                  "you are not a member of any of the GitHub organisations or teams " +
                      listed(rules.github_orgs),
                  "ask an owner of one of them to add you, and make sure this site was granted "
                  "access to the organisation when you signed in"};
  }
  for (const ClaimRequirement& requirement : rules.claims) {
    if (!claimHolds(requirement, who.facts)) {
      return Denial{"require_claim",
                    "your account's " + requirement.name + " is not " + listed(requirement.values),
                    "ask the site owner which " + requirement.name +
                        " this page needs, or your identity provider's administrator to set it"};
    }
  }
  return std::nullopt;
}

AccessRules siteRules(const Config& config) {
  AccessRules rules;
  rules.emails = config.allowed_emails;
  rules.domains = config.allowed_domains;
  rules.groups = config.allowed_groups;
  rules.github_orgs = config.allowed_github_orgs;
  rules.claims = config.require_claims;
  return rules;
}

bool restrictsSignIn(const Config& config) {
  return !siteRules(config).empty();
}

Result<ClaimRequirement> parseClaimRequirement(std::string_view text) {
  ClaimRequirement requirement;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = text.find_first_not_of(" \t", pos);
    if (start == std::string_view::npos) {
      break;
    }
    const size_t end = std::min(text.find_first_of(" \t", start), text.size());
    std::string word(text.substr(start, end - start));
    if (requirement.name.empty()) {
      requirement.name = std::move(word);
    } else {
      requirement.values.push_back(std::move(word));
    }
    pos = end;
  }
  if (requirement.name.empty() || requirement.values.empty()) {
    return makeError(Errc::kBadRequest,
                     "'" + std::string(text) + "' needs a claim name and at least one value");
  }
  return requirement;
}

Result<AccessRules> parseLocationRules(
    const std::vector<std::pair<std::string, std::string>>& query) {
  AccessRules rules;
  for (const auto& [name, value] : query) {
    const bool known = name == "allowed_groups" || name == "allowed_emails" ||
                       name == "allowed_domains" || name == "require_claim";
    if (!known) {
      continue;
    }
    auto items = commaList(name, value);
    if (!items) {
      return items.error();
    }
    for (std::string& item : *items) {
      if (name == "allowed_groups") {
        rules.groups.push_back(std::move(item));
      } else if (name == "allowed_emails") {
        if (!looksLikeEmailAddress(item)) {
          return makeError(Errc::kBadRequest, "allowed_emails: '" + item + "' is not an address");
        }
        rules.emails.push_back(toLowerAscii(item));
      } else if (name == "allowed_domains") {
        std::string domain = toLowerAscii(item);
        if (domain.front() == '@') {
          domain.erase(0, 1);
        }
        if (!looksLikeDomainName(domain)) {
          return makeError(Errc::kBadRequest, "allowed_domains: '" + item + "' is not a domain");
        }
        rules.domains.push_back(std::move(domain));
      } else {
        const size_t colon = item.find(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == item.size()) {
          return makeError(Errc::kBadRequest, "require_claim: '" + item + "' is not NAME:VALUE");
        }
        requireClaim(rules.claims, item.substr(0, colon), item.substr(colon + 1));
      }
    }
  }
  return rules;
}

}  // namespace latchkey
