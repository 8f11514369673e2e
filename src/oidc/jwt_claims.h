// Private to the JWT verifiers (ID token, logout token): typed reads of registered claims
// that tell "absent" (kIdTokenMissingClaim) from "of the wrong type" (kIdTokenMalformed).
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "latchkey/jose/jose.h"
#include "latchkey/util/result.h"

namespace latchkey::detail {

// A compact JWS whose signature verified against keys (alg allow-list included), with its
// payload parsed as a JSON object. No claim may be read before this (OIDC Core §3.1.3.7).
struct VerifiedJwt {
  std::string payload_json;
  rapidjson::Document claims;
};
// what names the token in the error ("ID token", "logout token").
Result<VerifiedJwt> verifiedJwt(std::string_view compact, const JwkSet& keys,
                                std::string_view what);

Error missing(std::string_view claim);
Error wrongType(std::string_view claim, std::string_view expected);
// A required string claim.
Result<std::string_view> requiredString(const rapidjson::Value& claims, const char* name);
// exp / iat / nbf: NumericDate (RFC 7519 §2), JSON integers only.
Result<int64_t> requiredInt(const rapidjson::Value& claims, const char* name);
// aud (RFC 7519 §4.1.3): one string, or an array of strings.
Result<std::vector<std::string_view>> audiences(const rapidjson::Value& claims);

}  // namespace latchkey::detail
