#include "oidc/token_response.h"

#include <gtest/gtest.h>

#include "latchkey/util/encoding.h"
#include "latchkey/util/url.h"
#include "support/fake_http_client.h"

namespace latchkey {
namespace {

using testing::FakeHttpClient;
using testing::headerValue;
using testing::parseForm;

Result<TokenResponse> parse(long status, const std::string& body, bool require_id_token = false) {
  TokenParseOptions options;
  options.require_id_token = require_id_token;
  return parseTokenResponse(FakeHttpClient::response(status, body), options);
}

// A complete answer yields every field, with expires_in as a number.
TEST(TokenResponse, ParsesCompleteAnswer) {
  auto r = parse(200, R"({"access_token":"at","token_type":"Bearer","id_token":"a.b.c",
                          "refresh_token":"rt","expires_in":3600})",
                 true);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->access_token, "at");
  EXPECT_EQ(r->id_token, "a.b.c");
  EXPECT_EQ(r->refresh_token, "rt");
  EXPECT_EQ(r->expires_in, 3600);
}

// token_type is compared case-insensitively (GitHub sends "bearer").
TEST(TokenResponse, AcceptsLowerCaseBearer) {
  auto r = parse(200, R"({"access_token":"at","token_type":"bearer"})");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->expires_in.has_value());
}

// A token type we cannot use (DPoP, mac) is refused.
TEST(TokenResponse, RefusesOtherTokenTypes) {
  EXPECT_EQ(parse(200, R"({"access_token":"at","token_type":"mac"})").error().code,
            Errc::kTokenResponseInvalid);
  EXPECT_EQ(parse(200, R"({"access_token":"at"})").error().code, Errc::kTokenResponseInvalid);
}

// expires_in as a digit string is accepted; a non-numeric string or a negative number is not.
TEST(TokenResponse, ExpiresInStringDigitsOnly) {
  auto ok = parse(200, R"({"access_token":"at","token_type":"Bearer","expires_in":"120"})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->expires_in, 120);
  EXPECT_EQ(parse(200, R"({"access_token":"at","token_type":"Bearer","expires_in":"some_string"})")
                .error()
                .code,
            Errc::kTokenResponseInvalid);
  EXPECT_EQ(
      parse(200, R"({"access_token":"at","token_type":"Bearer","expires_in":-5})").error().code,
      Errc::kTokenResponseInvalid);
  EXPECT_EQ(
      parse(200, R"({"access_token":"at","token_type":"Bearer","expires_in":1.5})").error().code,
      Errc::kTokenResponseInvalid);
}

// A 200 without access_token, or with a non-string one, is an invalid token response.
TEST(TokenResponse, MissingAccessTokenIsInvalid) {
  EXPECT_EQ(parse(200, R"({"token_type":"Bearer"})").error().code, Errc::kTokenResponseInvalid);
  EXPECT_EQ(parse(200, R"({"access_token":5,"token_type":"Bearer"})").error().code,
            Errc::kTokenResponseInvalid);
}

// When an ID token is required, its absence is an error that mentions the openid scope.
TEST(TokenResponse, MissingIdTokenWhenRequired) {
  auto r = parse(200, R"({"access_token":"at","token_type":"Bearer"})", true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kTokenResponseInvalid);
  EXPECT_NE(r.error().detail.find("openid"), std::string::npos);
}

// RFC 6749 §5.2 error codes map to the Errc the handlers switch on.
TEST(TokenResponse, MapsErrorCodes) {
  EXPECT_EQ(parse(401, R"({"error":"invalid_client"})").error().code,
            Errc::kTokenEndpointRefusedClient);
  EXPECT_EQ(parse(400, R"({"error":"unauthorized_client"})").error().code,
            Errc::kTokenEndpointRefusedClient);
  EXPECT_EQ(parse(400, R"({"error":"invalid_grant"})").error().code,
            Errc::kTokenEndpointRefusedGrant);
  EXPECT_EQ(parse(400, R"({"error":"invalid_scope"})").error().code, Errc::kProviderBadResponse);
  // GitHub: errors come with status 200.
  EXPECT_EQ(parse(200, R"({"error":"bad_verification_code"})").error().code,
            Errc::kTokenEndpointRefusedGrant);
  EXPECT_EQ(parse(200, R"({"error":"incorrect_client_credentials"})").error().code,
            Errc::kTokenEndpointRefusedClient);
}

// invalid_grant on a refresh becomes kRefreshFailed.
TEST(TokenResponse, InvalidGrantOnRefreshIsRefreshFailed) {
  TokenParseOptions options;
  options.invalid_grant = Errc::kRefreshFailed;
  auto r =
      parseTokenResponse(FakeHttpClient::response(400, R"({"error":"invalid_grant"})"), options);
  EXPECT_EQ(r.error().code, Errc::kRefreshFailed);
}

// 5xx, HTML and non-object bodies are bad responses, never a crash.
TEST(TokenResponse, ServerErrorsAndNonJsonAreBadResponses) {
  EXPECT_EQ(parse(500, "oops").error().code, Errc::kProviderBadResponse);
  EXPECT_EQ(parse(503, R"({"access_token":"at","token_type":"Bearer"})").error().code,
            Errc::kProviderBadResponse);
  EXPECT_EQ(parse(200, "<html>hi</html>").error().code, Errc::kProviderBadResponse);
  EXPECT_EQ(parse(200, "[1,2]").error().code, Errc::kProviderBadResponse);
  EXPECT_EQ(parse(404, "{}").error().code, Errc::kProviderBadResponse);
}

// The error description lands in the detail sanitised and truncated.
TEST(TokenResponse, ErrorDescriptionIsSanitised) {
  const std::string description(1000, 'x');
  auto r =
      parse(400, R"({"error":"invalid_grant","error_description":"bad\n)" + description + "\"}");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().detail.find('\n'), std::string::npos);
  EXPECT_LT(r.error().detail.size(), 400u);
}

// Basic client auth form-encodes id and secret before base64 (RFC 6749 §2.3.1).
TEST(TokenResponse, BasicAuthEncodesCredentials) {
  HttpRequest request =
      tokenEndpointRequest("https://idp/token", {{"grant_type", "x"}},
                           ClientAuthMethod::kClientSecretBasic, "id:1", "s&cret/");
  EXPECT_EQ(headerValue(request, "Authorization"), "Basic " + base64Encode("id%3A1:s%26cret%2F"));
  auto form = parseForm(request.body);
  EXPECT_EQ(form.count("client_secret"), 0u);
  EXPECT_EQ(request.method, "POST");
}

// Post client auth puts the credentials in the body and sends no Authorization header.
TEST(TokenResponse, PostAuthPutsCredentialsInBody) {
  HttpRequest request = tokenEndpointRequest("https://idp/token", {{"grant_type", "x"}},
                                             ClientAuthMethod::kClientSecretPost, "id", "s&c");
  EXPECT_EQ(headerValue(request, "Authorization"), "");
  auto form = parseForm(request.body);
  EXPECT_EQ(form["client_id"], "id");
  EXPECT_EQ(form["client_secret"], "s&c");
  EXPECT_EQ(form["grant_type"], "x");
}

// Provider URLs: https anywhere, http only to loopback hosts.
TEST(TokenResponse, ProviderUrlPolicy) {
  EXPECT_TRUE(isHttpsOrLoopbackUrl("https://idp.example/x"));
  EXPECT_TRUE(isHttpsOrLoopbackUrl("http://127.0.0.1:8080/x"));
  EXPECT_TRUE(isHttpsOrLoopbackUrl("http://localhost/x"));
  EXPECT_TRUE(isHttpsOrLoopbackUrl("http://[::1]:9/x"));
  EXPECT_FALSE(isHttpsOrLoopbackUrl("http://idp.example/x"));
  EXPECT_FALSE(isHttpsOrLoopbackUrl("http://127.0.0.1.evil.example/x"));
  EXPECT_FALSE(isHttpsOrLoopbackUrl("http://localhost@evil.example/x"));
  EXPECT_FALSE(isHttpsOrLoopbackUrl("javascript:alert(1)"));
  EXPECT_FALSE(isHttpsOrLoopbackUrl("https://"));
}

}  // namespace
}  // namespace latchkey

namespace latchkey {
namespace {

HttpResponse answer(long status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

// --check verdicts: what the answer says about the client decides, whatever the status.
TEST(TokenResponse, JudgeCheckAnswer) {
  struct Case {
    long status;
    const char* body;
    CheckVerdict::Kind kind;
  };
  const Case cases[] = {
      {400, R"({"error":"invalid_grant"})", CheckVerdict::kClientAccepted},
      {400, R"({"error":"invalid_request"})", CheckVerdict::kClientAccepted},
      {403, R"({"error":"invalid_code"})", CheckVerdict::kClientAcceptedOffStandard},
      {401, R"({"error":"invalid_grant"})", CheckVerdict::kClientAcceptedOffStandard},
      {400, R"({"error":"bad_verification_code"})", CheckVerdict::kClientAcceptedOffStandard},
      {400, R"({"error":"invalid_client"})", CheckVerdict::kClientRefused},
      {403, R"({"error":"unauthorized_client"})", CheckVerdict::kClientRefused},
      {200, R"({"error":"incorrect_client_credentials"})", CheckVerdict::kClientRefused},
      {401, "", CheckVerdict::kClientRefused},
      {500, R"({"error":"server_error"})", CheckVerdict::kUnexpected},
      {400, R"({"error":"unsupported_grant_type"})", CheckVerdict::kUnexpected},
      {403, "<html>forbidden</html>", CheckVerdict::kUnexpected},
      {200, R"({"access_token":"x"})", CheckVerdict::kUnexpected},
  };
  for (const Case& c : cases) {
    const CheckVerdict verdict = judgeCheckAnswer(answer(c.status, c.body));
    EXPECT_EQ(verdict.kind, c.kind) << c.status << " " << c.body;
  }
  EXPECT_EQ(judgeCheckAnswer(answer(403, R"({"error":"invalid_code"})")).detail,
            "answered 403 error=invalid_code");
}

// Glewlwyd's 403 invalid_code for a used code is a refused grant like 400 invalid_grant.
TEST(TokenResponse, InvalidCodeIsARefusedGrant) {
  TokenParseOptions options;
  auto r = parseTokenResponse(answer(403, R"({"error":"invalid_code"})"), options);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kTokenEndpointRefusedGrant);
  options.invalid_grant = Errc::kRefreshFailed;
  r = parseTokenResponse(answer(403, R"({"error":"invalid_code"})"), options);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kRefreshFailed);
}

// private_key_jwt: the assertion and its type in the body, no secret, no Authorization.
TEST(TokenResponse, PrivateKeyJwtPutsAssertionInBody) {
  HttpRequest request = tokenEndpointRequest("https://idp/token", {{"grant_type", "x"}},
                                             ClientAuthMethod::kPrivateKeyJwt, "id", "a.b.c");
  EXPECT_EQ(testing::headerValue(request, "Authorization"), "");
  auto form = testing::parseForm(request.body);
  EXPECT_EQ(form["client_id"], "id");
  EXPECT_EQ(form["client_assertion_type"],
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  EXPECT_EQ(form["client_assertion"], "a.b.c");
  EXPECT_EQ(form.count("client_secret"), 0u);
}

// RFC 6749 §2.3.1: + / = : in a secret are form-encoded inside Basic.
TEST(TokenResponse, BasicAuthEncodesSecretSymbols) {
  HttpRequest request = tokenEndpointRequest(
      "https://idp/token", {}, ClientAuthMethod::kClientSecretBasic, "id", "a+b/c=d:e");
  EXPECT_EQ(testing::headerValue(request, "Authorization"),
            "Basic " + base64Encode("id:a%2Bb%2Fc%3Dd%3Ae"));
}

}  // namespace
}  // namespace latchkey
