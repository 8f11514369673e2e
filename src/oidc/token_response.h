// The token endpoint's wire format (RFC 6749 §4.1.3, §5, §6): the form bodies we send,
// client authentication (§2.3.1), and strict parsing of what comes back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "latchkey/net/http_client.h"
#include "latchkey/util/result.h"

namespace latchkey {

using FormFields = std::vector<std::pair<std::string, std::string>>;

// application/x-www-form-urlencoded: name=value pairs, each part percent-encoded.
std::string formBody(const FormFields& fields);

enum class ClientAuthMethod { kClientSecretBasic, kClientSecretPost, kPrivateKeyJwt };

// A POST to a token-style endpoint (token, revocation) with the client authenticated as
// `method` says: Basic with urlEncode(id):urlEncode(secret) (RFC 6749 §2.3.1), client_id
// and client_secret appended to the body, or (private_key_jwt, RFC 7523 §2.2) client_id,
// client_assertion_type and client_assertion appended. `credential` is the client secret,
// or for private_key_jwt the signed assertion made for this request.
HttpRequest tokenEndpointRequest(const std::string& url, FormFields fields, ClientAuthMethod method,
                                 const std::string& client_id, const std::string& credential);

// Token endpoint error codes that mean "the client is not who it says" (invalid_client,
// unauthorized_client, GitHub's incorrect_client_credentials) ...
bool isClientRefusal(std::string_view code);
// ... and "this code or refresh token is no good" (invalid_grant, GitHub's
// bad_verification_code, Glewlwyd's invalid_code).
bool isGrantRefusal(std::string_view code);

// --check redeems a code that cannot exist; the answer tells whether the client
// credentials were accepted. detail: "answered STATUS error=CODE" for the operator.
struct CheckVerdict {
  enum Kind {
    kClientRefused,              // invalid_client / unauthorized_client at any status, bare 401
    kClientAccepted,             // 400 invalid_grant or invalid_request (RFC 6749 §5.2)
    kClientAcceptedOffStandard,  // any other 4xx error code (Glewlwyd: 403 invalid_code)
    kUnexpected,  // 5xx, no error code, server_error, unsupported_grant_type, invalid_scope
  };
  Kind kind = kUnexpected;
  std::string detail;
};
CheckVerdict judgeCheckAnswer(const HttpResponse& response);

struct TokenResponse {
  std::string access_token;
  std::string id_token;       // empty when absent
  std::string refresh_token;  // empty when absent
  std::optional<int64_t> expires_in;
};

struct TokenParseOptions {
  bool require_id_token = false;
  // What invalid_grant (GitHub: bad_verification_code) becomes: kTokenEndpointRefusedGrant
  // when redeeming a code, kRefreshFailed when refreshing.
  Errc invalid_grant = Errc::kTokenEndpointRefusedGrant;
};

// Errors: kTokenEndpointRefusedClient (isClientRefusal), options.invalid_grant
// (isGrantRefusal, at any status), kProviderBadResponse (any other
// error code, 5xx, not JSON), kTokenResponseInvalid (a 200 without a string access_token,
// token_type other than Bearer, missing id_token when required, bad expires_in).
// expires_in: a JSON integer, or a string of at most 9 digits (some providers quote it).
// GitHub answers errors with status 200 and {"error": ...}: an "error" member always wins.
Result<TokenResponse> parseTokenResponse(const HttpResponse& response,
                                         const TokenParseOptions& options);

// The "error" code of an RFC 6749 §5.2 error body, when the body is one.
std::optional<std::string> tokenErrorCode(const HttpResponse& response);

}  // namespace latchkey
