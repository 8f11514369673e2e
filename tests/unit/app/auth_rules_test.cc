// /auth with groups, per-location rules and the identity headers, as a plain handler call.
#include <gtest/gtest.h>

#include "latchkey/session/session_facts.h"
#include "support/app_test_support.h"

namespace latchkey {
namespace {

using testing::TestEnv;

// A signed-in request to path whose session carries `facts` (group cookies included).
Request withFacts(TestEnv& env, const std::string& path, const Facts& facts) {
  auto sealed = sealFacts(facts);
  EXPECT_TRUE(sealed);
  Session s;
  s.sub = "sub-1";
  s.email = "alice@example.com";
  s.email_verified = true;
  s.facts_digest = sealed->digest;
  Request request = env.get(path);
  request.cookies.emplace_back(env.names.session, env.sessionCookie(s));
  for (size_t i = 0; i < sealed->parts.size(); ++i) {
    request.cookies.emplace_back(env.names.session + "." + std::to_string(i + 1), sealed->parts[i]);
  }
  return request;
}

Facts aliceFacts() {
  Facts facts;
  facts.groups = {"admins", "staff"};
  facts.claims["preferred_username"] = {"alice"};
  return facts;
}

// Groups and preferred_username reach /auth's answer; a group rule the user meets passes.
TEST(AuthRules, GroupsAndUsernameHeaders) {
  TestEnv env;
  Deps deps = env.deps();
  Response r = handleAuth(withFacts(env, "/auth?allowed_groups=ops,admins", aliceFacts()), deps);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("X-Auth-Request-Groups").value_or(""), "admins,staff");
  EXPECT_EQ(r.header("X-Auth-Request-Preferred-Username").value_or(""), "alice");
  EXPECT_FALSE(r.header("X-Auth-Request-Access-Token"));
}

// A group the user lacks: 403 naming the rule; a malformed rule: 500, never 200.
TEST(AuthRules, LackingGroupIs403AndBadRuleIs500) {
  TestEnv env;
  Deps deps = env.deps();
  Response denied = handleAuth(withFacts(env, "/auth?allowed_groups=ops", aliceFacts()), deps);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.header("X-Auth-Request-Denied").value_or("").rfind("allowed_groups: ", 0), 0u);
  EXPECT_EQ(handleAuth(withFacts(env, "/auth?allowed_groups=", aliceFacts()), deps).status, 500);
  EXPECT_EQ(handleAuth(withFacts(env, "/auth?require_claim=x", aliceFacts()), deps).status, 500);
}

// LATCHKEY_RULES (Apache) replaces the query: the visitor's own arguments are not rules.
TEST(AuthRules, WebServerRulesReplaceTheQuery) {
  TestEnv env;
  Deps deps = env.deps();
  Request request = withFacts(env, "/auth?allowed_groups=nobody", aliceFacts());
  request.location_rules = "";
  EXPECT_EQ(handleAuth(request, deps).status, 200);
  request.location_rules = "allowed_groups=ops";
  EXPECT_EQ(handleAuth(request, deps).status, 403);
}

// Group cookies from another session (or missing) end the session: 401, never the groups.
TEST(AuthRules, ForeignGroupCookiesAre401) {
  TestEnv env;
  Deps deps = env.deps();
  Request request = withFacts(env, "/auth", aliceFacts());
  Facts other = aliceFacts();
  other.groups.push_back("root");
  auto sealed = sealFacts(other);
  request.cookies.back().second = sealed->parts[0];
  EXPECT_EQ(handleAuth(request, deps).status, 401);
}

// pass_access_token puts the (decrypted) access token in the answer, only then.
TEST(AuthRules, AccessTokenOnlyWhenAsked) {
  auto config = testing::testConfig();
  config.pass_access_token = true;
  TestEnv env(config);
  Session s;
  s.access_token = "at-123";
  s.sub = "sub-1";
  s.email = "alice@example.com";
  s.email_verified = true;
  Request request = env.get("/auth");
  request.cookies.emplace_back(env.names.session, env.sessionCookie(s));
  Deps deps = env.deps();
  EXPECT_EQ(handleAuth(request, deps).header("X-Auth-Request-Access-Token").value_or(""), "at-123");
}

// Site-wide allowed_groups applies to live sessions at /auth too.
TEST(AuthRules, SiteWideGroupsOnEveryRequest) {
  auto config = testing::testConfig();
  config.allowed_groups = {"ops"};
  TestEnv env(config);
  Deps deps = env.deps();
  Response r = handleAuth(withFacts(env, "/auth", aliceFacts()), deps);
  EXPECT_EQ(r.status, 403);
  // A site-wide refusal is about the account, not this location: no X-Auth-Request-Denied, so
  // the web server sends the visitor to latchkey's page that ends the session.
  EXPECT_FALSE(r.header("X-Auth-Request-Denied"));
}

}  // namespace
}  // namespace latchkey
