#include "latchkey/app/access_rules.h"

#include <gtest/gtest.h>

#include <string>

#include "latchkey/config/config.h"
#include "latchkey/http/http.h"
#include "latchkey/session/session_facts.h"

namespace latchkey {
namespace {

const char* kMinimal =
    "client_id = abc.apps.googleusercontent.com\n"
    "client_secret = s3cret\n"
    "redirect_uri = https://example.com/login/authorized\n"
    "cookie_secret = MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n";

ConfigLoad load(const std::string& extra) {
  return parseConfig(kMinimal + extra, {});
}

std::string problems(const ConfigLoad& l) {
  std::string out;
  for (const auto& p : l.problems)
    out += p + "\n";
  return out;
}

using Query = std::vector<std::pair<std::string, std::string>>;

Facts aliceFacts() {
  Facts facts;
  facts.groups = {"admins", "staff"};
  facts.claims["department"] = {"engineering"};
  facts.claims["hd"] = {"example.com"};
  return facts;
}

// The authorization keys parse: lists, repeated require_claim lines, booleans, audiences.
TEST(AccessRulesConfig, KeysParse) {
  const auto l = load(
      "allowed_groups = admins, ops\n"
      "require_claim = department engineering research\n"
      "require_claim = hd example.com\n"
      "groups_claim = roles\n"
      "pass_access_token = true\n"
      "bearer_tokens = yes\n"
      "bearer_audiences = api://reports https://api.example.com\n");
  ASSERT_TRUE(l.config) << problems(l);
  const Config& c = *l.config;
  EXPECT_EQ(c.allowed_groups, (std::vector<std::string>{"admins", "ops"}));
  ASSERT_EQ(c.require_claims.size(), 2u);
  EXPECT_EQ(c.require_claims[0].name, "department");
  EXPECT_EQ(c.require_claims[0].values, (std::vector<std::string>{"engineering", "research"}));
  EXPECT_EQ(c.require_claims[1].name, "hd");
  EXPECT_EQ(c.groups_claim, "roles");
  EXPECT_TRUE(c.groups_claim_set);
  EXPECT_TRUE(c.pass_access_token);
  EXPECT_TRUE(c.bearer_tokens);
  EXPECT_EQ(c.bearer_audiences.size(), 2u);
  EXPECT_TRUE(restrictsSignIn(c));
}

// Mistakes in the authorization keys are start-up errors naming the key.
TEST(AccessRulesConfig, MistakesAreRefused) {
  EXPECT_FALSE(load("require_claim = department\n").config);
  EXPECT_FALSE(load("pass_access_token = maybe\n").config);
  EXPECT_FALSE(load("allowed_github_orgs = acme\n").config);  // not provider = github
  EXPECT_FALSE(load("bearer_audiences = api\n").config);      // without bearer_tokens
  EXPECT_FALSE(load("provider = github\nbearer_tokens = true\n").config);
  const auto github = load("provider = github\nallowed_github_orgs = Acme acme/Team-A\n");
  ASSERT_TRUE(github.config) << problems(github);
  EXPECT_EQ(github.config->allowed_github_orgs, (std::vector<std::string>{"acme", "acme/team-a"}));
  // read:org is added to the default GitHub scopes when organisations are checked...
  EXPECT_NE(std::find(github.config->scopes.begin(), github.config->scopes.end(), "read:org"),
            github.config->scopes.end());
  // ...and an explicit scopes list without it is refused.
  const auto no_scope = load(
      "provider = github\nscopes = read:user user:email\n"
      "allowed_github_orgs = acme\n");
  EXPECT_FALSE(no_scope.config);
  EXPECT_NE(problems(no_scope).find("read:org"), std::string::npos);
}

// With no rule at all the configuration is an open door (warned at start-up and in --check).
TEST(AccessRulesConfig, NoRuleIsAnOpenDoor) {
  const auto l = load("");
  ASSERT_TRUE(l.config);
  EXPECT_FALSE(restrictsSignIn(*l.config));
  EXPECT_TRUE(restrictsSignIn(*load("allowed_domains = example.com\n").config));
}

// Groups: any listed group lets in; none of them names the rule and what to ask for.
TEST(AccessRules, GroupRule) {
  const Facts facts = aliceFacts();
  AccessRules rules;
  rules.groups = {"ops", "admins"};
  EXPECT_FALSE(findDenial(rules, Subject{"alice@example.com", true, facts}));
  rules.groups = {"ops"};
  const auto denial = findDenial(rules, Subject{"alice@example.com", true, facts});
  ASSERT_TRUE(denial);
  EXPECT_EQ(denial->rule, "allowed_groups");
  EXPECT_NE(denial->what.find("ops"), std::string::npos);
  EXPECT_NE(denial->ask.find("add you"), std::string::npos);
}

// Every kind of rule that is set must hold: e-mail AND groups AND each claim.
TEST(AccessRules, KindsCombineWithAnd) {
  const Facts facts = aliceFacts();
  AccessRules rules;
  rules.domains = {"example.com"};
  rules.groups = {"admins"};
  rules.claims = {{"department", {"sales", "engineering"}}, {"hd", {"example.com"}}};
  EXPECT_FALSE(findDenial(rules, Subject{"Alice@Example.com", true, facts}));
  EXPECT_EQ(findDenial(rules, Subject{"alice@example.org", true, facts})->rule, "allowed_domains");
  EXPECT_EQ(findDenial(rules, Subject{"alice@example.com", false, facts})->rule, "allowed_domains");
  rules.claims.push_back({"hd", {"other.example"}});
  EXPECT_EQ(findDenial(rules, Subject{"alice@example.com", true, facts})->rule, "require_claim");
}

// /auth's query: oauth2-proxy's names, comma-separated; claims as NAME:VALUE.
TEST(AccessRules, LocationQueryParses) {
  auto rules = parseLocationRules(Query{{"allowed_groups", "admins, ops"},
                                        {"allowed_emails", "A@example.com"},
                                        {"allowed_domains", "@Example.org"},
                                        {"require_claim", "department:engineering,department:qa"},
                                        {"rd", "/ignored"}});
  ASSERT_TRUE(rules) << rules.error().detail;
  EXPECT_EQ(rules->groups, (std::vector<std::string>{"admins", "ops"}));
  EXPECT_EQ(rules->emails, (std::vector<std::string>{"a@example.com"}));
  EXPECT_EQ(rules->domains, (std::vector<std::string>{"example.org"}));
  ASSERT_EQ(rules->claims.size(), 1u);
  EXPECT_EQ(rules->claims[0].values, (std::vector<std::string>{"engineering", "qa"}));
  EXPECT_TRUE(parseLocationRules(Query{})->empty());
}

// A malformed rule is an error, never "no rule".
TEST(AccessRules, MalformedLocationRulesAreErrors) {
  EXPECT_FALSE(parseLocationRules(Query{{"allowed_groups", ""}}));
  EXPECT_FALSE(parseLocationRules(Query{{"allowed_groups", "admins,,ops"}}));
  EXPECT_FALSE(parseLocationRules(Query{{"allowed_emails", "not-an-address"}}));
  EXPECT_FALSE(parseLocationRules(Query{{"allowed_domains", "exa mple.com"}}));
  EXPECT_FALSE(parseLocationRules(Query{{"require_claim", "department"}}));
  EXPECT_FALSE(parseLocationRules(Query{{"require_claim", ":x"}}));
  EXPECT_FALSE(parseLocationRules(Query{{"allowed_groups", std::string("a\x01", 2)}}));
}

// Claims: groups_claim as a list or one string, Google's hd kept, protocol claims dropped.
TEST(Facts, FromClaims) {
  rapidjson::Document doc;
  doc.Parse(R"({"sub":"1","iss":"x","nonce":"n","groups":"solo","hd":"example.com",
               "roles":["a","b"],"level":3,"admin":true,"big":{"x":1}})");
  Facts facts;
  addClaimFacts(doc, "groups", facts);
  EXPECT_EQ(facts.groups, (std::vector<std::string>{"solo"}));
  EXPECT_EQ(facts.claims["hd"], (std::vector<std::string>{"example.com"}));
  EXPECT_EQ(facts.claims["roles"], (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(facts.claims["level"], (std::vector<std::string>{"3"}));
  EXPECT_EQ(facts.claims["admin"], (std::vector<std::string>{"true"}));
  EXPECT_EQ(facts.claims.count("iss"), 0u);
  EXPECT_EQ(facts.claims.count("nonce"), 0u);
  EXPECT_EQ(facts.claims.count("big"), 0u);
  Facts roles;
  addClaimFacts(doc, "roles", roles);
  EXPECT_EQ(roles.groups, (std::vector<std::string>{"a", "b"}));
}

Request withCookies(const std::vector<std::string>& set_cookies) {
  Request request;
  for (const std::string& line : set_cookies) {
    const size_t eq = line.find('=');
    const size_t semi = line.find(';');
    request.cookies.emplace_back(line.substr(0, eq), line.substr(eq + 1, semi - eq - 1));
  }
  return request;
}

std::string hexName(int i) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "g" + std::to_string(1000 + i) + "-";
  uint32_t x = static_cast<uint32_t>(i) * 2654435761u + 12345u;
  while (out.size() < 40) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    out += kHex[x & 15];
  }
  return out;
}

// 500 groups of 40 characters fit in the facts cookies and come back exactly; the sizes
// are printed (README "Groups and cookie size").
TEST(SessionFacts, FiveHundredGroupsRoundTrip) {
  Config config = *load("").config;
  for (const bool random_names : {true, false}) {
    Facts facts;
    for (int i = 0; i < 500; ++i) {
      facts.groups.push_back(random_names ? hexName(i)
                                          : "team-" + std::to_string(1000 + i) +
                                                "-engineering-platform-readers--");
      facts.groups.back().resize(40, 'x');
    }
    normalizeFacts(facts);
    auto sealed = sealFacts(facts);
    ASSERT_TRUE(sealed) << sealed.error().detail;
    size_t bytes = 0;
    for (const auto& part : sealed->parts)
      bytes += part.size();
    std::printf("500 groups x 40 chars (%s): %zu bytes in %zu cookies\n",
                random_names ? "hex, incompressible" : "team names", bytes, sealed->parts.size());
    const auto cookies = factsSetCookies(config, Request{}, *sealed, 3600);
    for (const auto& c : cookies)
      EXPECT_LT(c.size(), 4096u);
    auto opened = openFacts(withCookies(cookies), "__Host-latchkey", sealed->digest);
    ASSERT_TRUE(opened) << opened.error().detail;
    EXPECT_EQ(*opened, facts);
  }
}

// A part from another session, a missing part, or a changed byte is refused.
TEST(SessionFacts, PartsAreBoundToTheSession) {
  Config config = *load("").config;
  Facts facts = aliceFacts();
  auto sealed = sealFacts(facts);
  ASSERT_TRUE(sealed);
  auto cookies = factsSetCookies(config, Request{}, *sealed, 3600);
  Request request = withCookies(cookies);
  EXPECT_TRUE(openFacts(request, "__Host-latchkey", sealed->digest));
  request.cookies[0].second[3] ^= 1;
  EXPECT_FALSE(openFacts(request, "__Host-latchkey", sealed->digest));
  EXPECT_FALSE(openFacts(Request{}, "__Host-latchkey", sealed->digest));
  Facts other = facts;
  other.groups.push_back("root");
  auto other_sealed = sealFacts(other);
  EXPECT_FALSE(openFacts(withCookies(factsSetCookies(config, Request{}, *other_sealed, 1)),
                         "__Host-latchkey", sealed->digest));
}

// Too many facts for the cookies is an error at sign-in, not a cookie the browser drops.
TEST(SessionFacts, TooManyIsRefused) {
  Facts facts;
  for (int i = 0; i < 3000; ++i)
    facts.groups.push_back(hexName(i));
  auto sealed = sealFacts(facts);
  ASSERT_FALSE(sealed);
  EXPECT_EQ(sealed.error().code, Errc::kFactsTooLarge);
}

}  // namespace
}  // namespace latchkey
