// OpenID Connect Core 1.0 §3.1.3.7 ID token validation, as a chain of small checks in the
// order of the spec; each failure names its claim (never the token or the nonce value).
#include "latchkey/oidc/id_token.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/email_verified.h"
#include "jose/jose_internal.h"
#include "latchkey/jose/jose.h"
#include "latchkey/util/crypto.h"
#include "latchkey/util/encoding.h"
#include "latchkey/util/json.h"
#include "latchkey/util/text.h"
#include "oidc/jwt_claims.h"

namespace latchkey {
namespace {

// OIDC Core §2: sub "MUST NOT exceed 255 ASCII characters in length".
constexpr size_t kMaxSubLength = 255;

}  // namespace

// Claim readers shared with the logout token (jwt_claims.h).
namespace detail {

Result<VerifiedJwt> verifiedJwt(std::string_view compact, const JwkSet& keys,
                                std::string_view what) {
  auto jws = parseCompactJws(compact);
  if (!jws) {
    return jws.error();
  }
  if (Status signature = verifyJwsSignature(*jws, keys); !signature) {
    return signature.error();
  }
  VerifiedJwt out;
  if (!json::parseObject(jws->payload_json, out.claims)) {
    return makeError(Errc::kIdTokenMalformed, std::string(what) + " payload is not a JSON object");
  }
  out.payload_json = std::move(jws->payload_json);
  return out;
}

Error missing(std::string_view claim) {
  return makeError(Errc::kIdTokenMissingClaim, "claim " + std::string(claim) + " is missing");
}
Error wrongType(std::string_view claim, std::string_view expected) {
  return makeError(Errc::kIdTokenMalformed,
                   "claim " + std::string(claim) + " is not " + std::string(expected));
}

// A required string claim: absent → missing, other type → malformed.
Result<std::string_view> requiredString(const rapidjson::Value& claims, const char* name) {
  if (!claims.HasMember(name)) {
    return missing(name);
  }
  auto value = json::getString(claims, name);
  if (!value) {
    return wrongType(name, "a string");
  }
  return *value;
}

// exp / iat / nbf: NumericDate (RFC 7519 §2). Only integers are accepted; a fractional or
// exponent-form number is refused as malformed (no provider we know sends one).
Result<int64_t> requiredInt(const rapidjson::Value& claims, const char* name) {
  if (!claims.HasMember(name)) {
    return missing(name);
  }
  auto value = json::getInt(claims, name);
  if (!value) {
    return wrongType(name, "an integer NumericDate");
  }
  return *value;
}

// aud (RFC 7519 §4.1.3): one string, or an array of strings.
Result<std::vector<std::string_view>> audiences(const rapidjson::Value& claims) {
  if (!claims.HasMember("aud")) {
    return missing("aud");
  }
  std::vector<std::string_view> out;
  if (auto single = json::getString(claims, "aud")) {
    out.push_back(*single);
    return out;
  }
  const rapidjson::Value* array = json::getArray(claims, "aud");
  if (array == nullptr) {
    return wrongType("aud", "a string or an array of strings");
  }
  for (const auto& item : array->GetArray()) {
    if (!item.IsString()) {
      return wrongType("aud", "a string or an array of strings");
    }
    out.emplace_back(item.GetString(), item.GetStringLength());
  }
  return out;
}

}  // namespace detail

namespace {

using detail::audiences;
using detail::missing;
using detail::requiredInt;
using detail::requiredString;
using detail::wrongType;

Status checkAudience(const rapidjson::Value& claims, const IdTokenExpectations& expect) {
  auto aud = audiences(claims);
  if (!aud) {
    return aud.error();
  }
  const auto in = [](const std::vector<std::string>& list, std::string_view value) {
    return std::find(list.begin(), list.end(), value) != list.end();
  };
  bool listed = false;
  std::string seen;
  std::string untrusted;
  for (std::string_view value : *aud) {
    // A bearer token's configured audiences name us just as client_id does.
    const bool ours = value == expect.client_id || in(expect.extra_audiences, value);
    listed = listed || ours;
    seen += (seen.empty() ? "\"" : ", \"") + sanitizeForLog(value, 40) + "\"";
    if (!ours && !in(expect.trusted_audiences, value)) {
      untrusted += (untrusted.empty() ? "\"" : ", \"") + sanitizeForLog(value, 40) + "\"";
    }
  }
  if (!listed) {
    return makeError(Errc::kIdTokenAudienceMismatch,
                     "aud [" + seen + "] does not contain client_id \"" +
                         sanitizeForLog(expect.client_id, 40) + "\"");
  }
  // Step 3: a token also meant for parties we do not trust could be replayed by them (or was
  // made for them); extras are accepted only when listed in trusted_audiences.
  if (!untrusted.empty()) {
    return makeError(Errc::kIdTokenAudienceMismatch,
                     "aud lists audiences that are not trusted: " + untrusted +
                         " (add them to trusted_audiences if they are yours)");
  }
  // OIDC Core §3.1.3.7 steps 4-5 (and the errata's azp rules): with several audiences an
  // azp must name us; when azp is present at all it must be us.
  if (expect.bearer) {
    return {};
  }
  if (claims.HasMember("azp")) {
    auto azp = json::getString(claims, "azp");
    if (!azp) {
      return wrongType("azp", "a string");
    }
    if (*azp != expect.client_id) {
      return makeError(Errc::kIdTokenAzpMismatch, "azp \"" + sanitizeForLog(*azp, 40) +
                                                      "\" is not client_id \"" +
                                                      sanitizeForLog(expect.client_id, 40) + "\"");
    }
  } else if (aud->size() > 1) {
    return makeError(Errc::kIdTokenAzpMismatch,
                     "azp missing while aud has " + std::to_string(aud->size()) + " values");
  }
  return {};
}

// iat / nbf: a token from the future (beyond the allowed clock skew) is refused.
Status notInFuture(const char* claim, int64_t value, const IdTokenExpectations& expect) {
  if (value > expect.now + expect.skew_seconds) {
    return makeError(Errc::kIdTokenIssuedInFuture, std::string(claim) + " " +
                                                       std::to_string(value) + " is after now " +
                                                       std::to_string(expect.now) + " + skew " +
                                                       std::to_string(expect.skew_seconds));
  }
  return {};
}

Status checkTimes(const rapidjson::Value& claims, const IdTokenExpectations& expect,
                  int64_t& exp_out, int64_t& iat_out) {
  auto exp = requiredInt(claims, "exp");
  if (!exp) {
    return exp.error();
  }
  // exp > now - skew, written without arithmetic on the untrusted value.
  if (*exp <= expect.now - expect.skew_seconds) {
    return makeError(Errc::kIdTokenExpired, "exp " + std::to_string(*exp) + " is not after now " +
                                                std::to_string(expect.now) + " - skew " +
                                                std::to_string(expect.skew_seconds));
  }
  auto iat = requiredInt(claims, "iat");
  if (!iat) {
    return iat.error();
  }
  if (Status not_future = notInFuture("iat", *iat, expect); !not_future) {
    return not_future;
  }
  // Step 10: "iat can be used to reject tokens that were issued too far away from the current
  // time". A callback redeems a fresh code, so its ID token is minutes old at most; an older
  // one is a replayed or stockpiled token.
  if (*iat < expect.now - expect.skew_seconds - expect.max_age_seconds) {
    return makeError(Errc::kIdTokenTooOld, "iat " + std::to_string(*iat) +
                                               " is more than id_token_max_age " +
                                               std::to_string(expect.max_age_seconds) +
                                               " s (+ skew " + std::to_string(expect.skew_seconds) +
                                               ") before now " + std::to_string(expect.now));
  }
  // RFC 7519 §4.1.5: nbf is optional, but when present it is honoured like iat.
  if (claims.HasMember("nbf")) {
    auto nbf = requiredInt(claims, "nbf");
    if (!nbf) {
      return nbf.error();
    }
    if (Status not_future = notInFuture("nbf", *nbf, expect); !not_future) {
      return not_future;
    }
  }
  exp_out = *exp;
  iat_out = *iat;
  return {};
}

// OIDC Core §3.1.3.7 step 11: the nonce binds the token to this browser's login attempt.
Status checkNonce(const rapidjson::Value& claims, const IdTokenExpectations& expect) {
  auto nonce = requiredString(claims, "nonce");
  if (!nonce) {
    return nonce.error();
  }
  if (expect.nonce.empty() || !constantTimeEquals(*nonce, expect.nonce)) {
    return makeError(Errc::kIdTokenNonceMismatch, "nonce does not match the login attempt");
  }
  return {};
}

Result<IdTokenClaims> identity(const rapidjson::Value& claims, IdTokenClaims out) {
  auto sub = requiredString(claims, "sub");
  if (!sub) {
    return sub.error();
  }
  if (sub->empty()) {
    return missing("sub");
  }
  if (sub->size() > kMaxSubLength || hasControlChar(*sub)) {
    return wrongType("sub", "at most 255 printable characters");
  }
  out.sub = std::string(*sub);
  if (claims.HasMember("email")) {
    auto email = json::getString(claims, "email");
    if (!email || hasControlChar(*email)) {
      return wrongType("email", "a string of printable characters");
    }
    out.email = std::string(*email);
  }
  EmailVerifiedReading verified = readEmailVerified(claims, "the ID token");
  out.email_verified = verified.verified;
  out.email_verified_problem = std::move(verified.problem);
  // Display claims as given: validatedIdentity bounds them like those of every other source.
  out.name = std::string(json::getString(claims, "name").value_or(""));
  out.picture = std::string(json::getString(claims, "picture").value_or(""));
  out.hd = std::string(json::getString(claims, "hd").value_or(""));
  // Back-Channel Logout 1.0 §2.1: the provider's session id, named again by logout tokens.
  out.sid = std::string(json::getString(claims, "sid").value_or(""));
  return out;
}

}  // namespace

Result<IdTokenClaims> verifyIdToken(std::string_view id_token, const JwkSet& keys,
                                    const IdTokenExpectations& expect) {
  // Steps 1/6/7 (JWS form, alg, signature) come first: no claim is read before the
  // signature has been checked.
  auto jwt = detail::verifiedJwt(id_token, keys, "ID token");
  if (!jwt) {
    return jwt.error();
  }
  const rapidjson::Document& claims = jwt->claims;
  // Step 2: iss must exactly match the issuer from discovery.
  auto iss = requiredString(claims, "iss");
  if (!iss) {
    return iss.error();
  }
  if (expect.issuers.empty()
          ? *iss != expect.issuer
          : std::find(expect.issuers.begin(), expect.issuers.end(), *iss) == expect.issuers.end()) {
    return makeError(
        Errc::kIdTokenIssuerMismatch,
        "iss \"" + sanitizeForLog(*iss, 100) + "\" is not " +
            (expect.issuers.empty() ? "the issuer \"" + sanitizeForLog(expect.issuer, 100) + "\""
                                    : "the issuer template with one of allowed_tenants"));
  }
  // Steps 3-5: aud and azp.
  if (Status aud = checkAudience(claims, expect); !aud) {
    return aud.error();
  }
  // Steps 9-10: exp, iat (and nbf).
  IdTokenClaims out;
  if (Status times = checkTimes(claims, expect, out.exp, out.iat); !times) {
    return times.error();
  }
  // Step 11: nonce.
  if (!expect.bearer) {
    if (Status nonce = checkNonce(claims, expect); !nonce) {
      return nonce.error();
    }
  }
  out.payload_json = std::move(jwt->payload_json);
  return identity(claims, std::move(out));
}

}  // namespace latchkey
