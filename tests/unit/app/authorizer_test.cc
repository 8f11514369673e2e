// The FastCGI AUTHORIZER role (mod_fcgid's FcgidAccessChecker, mod_authnz_fcgi): the gate's
// question whatever the URL, never rules from the visitor's query, Variable-* identity on a
// 200, and where a refused visitor continues.
#include <gtest/gtest.h>

#include "app/access_answer.h"
#include "support/app_test_support.h"

namespace latchkey {
namespace {

using testing::TestEnv;

ParamMap authorizerParams(std::string uri) {
  const size_t q = uri.find('?');
  return ParamMap{{"FCGI_ROLE", "AUTHORIZER"},
                  {"REQUEST_METHOD", "GET"},
                  {"REQUEST_URI", uri},
                  {"QUERY_STRING", q == std::string::npos ? "" : uri.substr(q + 1)},
                  {"REMOTE_ADDR", "192.0.2.1"}};
}

Request authorizerRequest(std::string uri, std::string_view base_path = "") {
  auto request = requestFromParams(authorizerParams(std::move(uri)), "", base_path);
  EXPECT_TRUE(request);
  return *request;
}

// Any URL asked by an authorizer is the gate's question; the query is not read as rules.
TEST(Authorizer, AnyUrlIsTheGateAndTheQueryIsNoRule) {
  const Request r = authorizerRequest("/private/x?allowed_groups=nobody&b=2");
  EXPECT_TRUE(r.authorizer);
  EXPECT_EQ(r.path, "/auth");
  ASSERT_TRUE(r.location_rules);
  EXPECT_EQ(*r.location_rules, "");
  // Under base_path too, and a responder is routed as before.
  EXPECT_EQ(authorizerRequest("/elsewhere", "/oauth2").path, "/auth");
  ParamMap responder = authorizerParams("/private/x");
  responder["FCGI_ROLE"] = "RESPONDER";
  auto plain = requestFromParams(responder, "", "");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->authorizer);
  EXPECT_EQ(plain->path, "/private/x");
  EXPECT_FALSE(plain->location_rules);
}

// LATCHKEY_RULES set by the web server still applies to an authorizer.
TEST(Authorizer, WebServerRulesApply) {
  ParamMap params = authorizerParams("/admin/?x=1");
  params["LATCHKEY_RULES"] = "allowed_groups=admins";
  auto r = requestFromParams(params, "", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->location_rules.value_or("?"), "allowed_groups=admins");
}

// Signed in: 200, the identity also as Variable-* (REMOTE_USER = the e-mail), never the
// access token as a variable.
TEST(Authorizer, AllowedAnswerCarriesVariables) {
  TestEnv env;
  env.config.pass_access_token = true;
  Deps deps = env.deps();
  Session s;
  s.sub = "sub-1";
  s.email = "alice@example.com";
  s.email_verified = true;
  s.name = "Alice";
  s.access_token = "at-secret";
  Request request = authorizerRequest("/private/x?a=1");
  request.cookies.emplace_back(env.names.session, env.sessionCookie(s));
  const Response r = handleAuth(request, deps);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Variable-REMOTE_USER").value_or(""), "alice@example.com");
  EXPECT_EQ(r.header("Variable-X_AUTH_REQUEST_EMAIL").value_or(""), "alice@example.com");
  EXPECT_EQ(r.header("Variable-X_AUTH_REQUEST_USER").value_or(""), "sub-1");
  EXPECT_EQ(r.header("Variable-X_AUTH_REQUEST_NAME").value_or(""), "Alice");
  EXPECT_FALSE(r.header("Variable-X_AUTH_REQUEST_ACCESS_TOKEN"));
  EXPECT_FALSE(r.header("X-Latchkey-Continue"));
}

// Signed out: 401, continuing at login with the whole request-target (query included) as rd.
TEST(Authorizer, SignedOutContinuesAtLoginWithTheWholeUri) {
  TestEnv env;
  Deps deps = env.deps();
  const Response r = handleAuth(authorizerRequest("/private/x?a=1&b=2"), deps);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("X-Latchkey-Continue").value_or(""),
            "login?rd=%2Fprivate%2Fx%3Fa%3D1%26b%3D2");
  EXPECT_FALSE(r.header("Variable-REMOTE_USER"));
  // base_path prefixes the page, relative to the site's root.
  const Response based =
      authorizerAnswer(Response{401, {}, {}}, authorizerRequest("/p"), "/oauth2");
  EXPECT_EQ(based.header("X-Latchkey-Continue").value_or(""), "oauth2/login?rd=%2Fp");
}

// An account no longer let in continues at signed-out (which ends the session); a failed
// per-location rule keeps its bare 403 (signing in again would loop).
TEST(Authorizer, RefusedAccountContinuesAtSignedOutRuleDenialDoesNot) {
  TestEnv env;
  env.config.allowed_emails = {"bob@example.com"};
  Deps deps = env.deps();
  Request request = authorizerRequest("/private/x?a=1");
  request.cookies.emplace_back(env.names.session, env.sessionCookie());
  const Response refused = handleAuth(request, deps);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.header("X-Latchkey-Continue").value_or(""),
            "signed-out?rd=%2Fprivate%2Fx%3Fa%3D1");
  Response denied{403, {}, {}};
  denied.addHeader("X-Auth-Request-Denied", "allowed_groups: ...");
  EXPECT_FALSE(authorizerAnswer(denied, request, "").header("X-Latchkey-Continue"));
  EXPECT_FALSE(authorizerAnswer(Response{503, {}, {}}, request, "").header("X-Latchkey-Continue"));
}

}  // namespace
}  // namespace latchkey
