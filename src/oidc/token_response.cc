#include "oidc/token_response.h"

#include <rapidjson/document.h>
#include <strings.h>

#include <algorithm>

#include "latchkey/util/encoding.h"
#include "latchkey/util/json.h"
#include "latchkey/util/text.h"
#include "latchkey/util/url.h"

namespace latchkey {

namespace {

// Some providers send expires_in as "3600": accept a short digit string, nothing else.
// nullopt when absent or null.
Result<std::optional<int64_t>> expiresIn(const rapidjson::Value& object) {
  const Error bad = makeError(Errc::kTokenResponseInvalid,
                              "expires_in is not a non-negative integer or digit string");
  if (!object.HasMember("expires_in") || object["expires_in"].IsNull()) {
    return std::optional<int64_t>();
  }
  if (auto number = json::getInt(object, "expires_in")) {
    if (*number < 0) {
      return bad;
    }
    // Callers add this to the current time: an absurd lifetime (up to INT64_MAX, found by
    // fuzzing) would overflow there. Ten years is "never expires" for any session of ours.
    constexpr int64_t kMaxExpiresIn = 10LL * 365 * 24 * 3600;
    return std::optional<int64_t>(std::min(*number, kMaxExpiresIn));
  }
  auto text = json::getString(object, "expires_in");
  if (!text || text->empty() || text->size() > 9) {
    return bad;
  }
  int64_t value = 0;
  for (char c : *text) {
    if (c < '0' || c > '9') {
      return bad;
    }
    value = value * 10 + (c - '0');
  }
  return std::optional<int64_t>(value);
}

Error errorFromCode(std::string_view code, const rapidjson::Value& object,
                    const TokenParseOptions& options, long status) {
  std::string detail =
      "token endpoint answered " + std::to_string(status) + " error=" + sanitizeForLog(code, 64);
  if (auto description = json::getString(object, "error_description")) {
    detail += " (" + sanitizeForLog(*description) + ")";
  }
  if (isClientRefusal(code)) {
    return makeError(Errc::kTokenEndpointRefusedClient, std::move(detail));
  }
  if (isGrantRefusal(code)) {
    return makeError(options.invalid_grant, std::move(detail));
  }
  return makeError(Errc::kProviderBadResponse, std::move(detail));
}

}  // namespace

bool isClientRefusal(std::string_view code) {
  return code == "invalid_client" || code == "unauthorized_client" ||
         code == "incorrect_client_credentials";
}

bool isGrantRefusal(std::string_view code) {
  // RFC 6749 §5.2 says invalid_grant; GitHub says bad_verification_code and Glewlwyd
  // (with status 403) invalid_code for the same thing: a code that is used, expired or unknown.
  return code == "invalid_grant" || code == "bad_verification_code" || code == "invalid_code";
}

CheckVerdict judgeCheckAnswer(const HttpResponse& response) {
  CheckVerdict verdict;
  const std::string code = tokenErrorCode(response).value_or("");
  const std::string answer = "answered " + std::to_string(response.status) +
                             (code.empty() ? "" : " error=" + sanitizeForLog(code, 64));
  verdict.detail = answer;
  if (isClientRefusal(code) || (code.empty() && response.status == 401)) {
    // RFC 6749 §5.2: invalid_client may come as 401 with only WWW-Authenticate.
    verdict.kind = CheckVerdict::kClientRefused;
    return verdict;
  }
  // What a provider says about the code cannot be said before it authenticated the client
  // (RFC 6749 §3.2.1), so any error about the code proves the credentials.
  // Errors that say something other than "bad code" prove nothing about the client.
  const bool not_about_code = code.empty() || code == "unsupported_grant_type" ||
                              code == "invalid_scope" || code == "server_error" ||
                              code == "temporarily_unavailable";
  if (response.status == 400 && (code == "invalid_grant" || code == "invalid_request")) {
    verdict.kind = CheckVerdict::kClientAccepted;
  } else if (!not_about_code && response.status >= 400 && response.status < 500) {
    verdict.kind = CheckVerdict::kClientAcceptedOffStandard;
  }
  return verdict;
}

std::string formBody(const FormFields& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) {
      body += '&';
    }
    body += urlEncode(name);
    body += '=';
    body += urlEncode(value);
  }
  return body;
}

HttpRequest tokenEndpointRequest(const std::string& url, FormFields fields, ClientAuthMethod method,
                                 const std::string& client_id, const std::string& credential) {
  HttpRequest request;
  request.method = "POST";
  request.url = url;
  request.headers.emplace_back("Accept", "application/json");
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  switch (method) {
    case ClientAuthMethod::kClientSecretBasic:
      // RFC 6749 §2.3.1: both parts are form-encoded before joining, so a ':' in the id
      // survives and '+', '/', '=' in the secret arrive as sent.
      request.headers.emplace_back(
          "Authorization",
          "Basic " + base64Encode(urlEncode(client_id) + ":" + urlEncode(credential)));
      break;
    case ClientAuthMethod::kClientSecretPost:
      fields.emplace_back("client_id", client_id);
      fields.emplace_back("client_secret", credential);
      break;
    case ClientAuthMethod::kPrivateKeyJwt:
      // RFC 7523 §2.2 / OIDC Core §9: client_id is optional next to the assertion, but some
      // providers (Entra ID, Okta) want it.
      fields.emplace_back("client_id", client_id);
      fields.emplace_back("client_assertion_type",
                          "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
      fields.emplace_back("client_assertion", credential);
      break;
  }
  request.body = formBody(fields);
  return request;
}

std::optional<std::string> tokenErrorCode(const HttpResponse& response) {
  rapidjson::Document doc;
  if (!json::parseObject(response.body, doc)) {
    return std::nullopt;
  }
  if (auto code = json::getString(doc, "error")) {
    return std::string(*code);
  }
  return std::nullopt;
}

Result<TokenResponse> parseTokenResponse(const HttpResponse& response,
                                         const TokenParseOptions& options) {
  const std::string status = std::to_string(response.status);
  rapidjson::Document doc;
  const bool is_json = json::parseObject(response.body, doc);
  if (is_json) {
    if (auto code = json::getString(doc, "error")) {
      return errorFromCode(*code, doc, options, response.status);
    }
  }
  if (response.status >= 500) {
    return makeError(Errc::kProviderBadResponse, "token endpoint answered " + status);
  }
  if (!is_json) {
    return makeError(Errc::kProviderBadResponse, "token endpoint answered " + status +
                                                     " with a body that is not a JSON object");
  }
  if (response.status != 200) {
    return makeError(Errc::kProviderBadResponse,
                     "token endpoint answered " + status + " without an error code");
  }

  TokenResponse out;
  auto access_token = json::getString(doc, "access_token");
  if (!access_token || access_token->empty()) {
    return makeError(Errc::kTokenResponseInvalid, "token response has no string access_token");
  }
  out.access_token = *access_token;
  // RFC 6749 §7.1 / RFC 6750: we only know how to use Bearer tokens; the name is
  // case-insensitive (GitHub sends "bearer").
  auto token_type = json::getString(doc, "token_type");
  if (!token_type || !equalsIgnoreCaseAscii(*token_type, "Bearer")) {
    return makeError(Errc::kTokenResponseInvalid,
                     token_type
                         ? "token_type is " + sanitizeForLog(*token_type, 32) + ", not Bearer"
                         : "token response has no string token_type");
  }
  if (doc.HasMember("id_token") && !doc["id_token"].IsNull()) {
    auto id_token = json::getString(doc, "id_token");
    if (!id_token) {
      return makeError(Errc::kTokenResponseInvalid, "id_token is not a string");
    }
    out.id_token = *id_token;
  }
  if (options.require_id_token && out.id_token.empty()) {
    return makeError(Errc::kTokenResponseInvalid,
                     "token response has no id_token (is \"openid\" in scopes?)");
  }
  if (doc.HasMember("refresh_token") && !doc["refresh_token"].IsNull()) {
    auto refresh_token = json::getString(doc, "refresh_token");
    if (!refresh_token) {
      return makeError(Errc::kTokenResponseInvalid, "refresh_token is not a string");
    }
    out.refresh_token = *refresh_token;
  }
  auto expires_in = expiresIn(doc);
  if (!expires_in) {
    return expires_in.error();
  }
  out.expires_in = *expires_in;
  return out;
}

}  // namespace latchkey
