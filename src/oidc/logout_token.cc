// OpenID Connect Back-Channel Logout 1.0 §2.6 logout token validation: the JWT checks of
// an ID token (signature first, then iss, aud, iat), then the checks that make a logout
// token what it is. Each failure names its claim, never the token.
#include "latchkey/oidc/logout_token.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <string>

#include "jose/jose_internal.h"
#include "latchkey/util/json.h"
#include "latchkey/util/text.h"
#include "oidc/jwt_claims.h"

namespace latchkey {
namespace {

Error invalid(std::string detail) {
  return makeError(Errc::kLogoutTokenInvalid, std::move(detail));
}

Status checkTimes(const rapidjson::Value& claims, const LogoutTokenExpectations& expect,
                  int64_t& iat_out) {
  auto iat = detail::requiredInt(claims, "iat");
  if (!iat) {
    return iat.error();
  }
  if (*iat > expect.now + expect.skew_seconds) {
    return makeError(Errc::kIdTokenIssuedInFuture,
                     "iat " + std::to_string(*iat) + " is after now " + std::to_string(expect.now));
  }
  if (*iat < expect.now - expect.skew_seconds - expect.max_age_seconds) {
    return makeError(Errc::kIdTokenTooOld, "iat " + std::to_string(*iat) + " is more than " +
                                               std::to_string(expect.max_age_seconds) +
                                               " s before now " + std::to_string(expect.now));
  }
  // §2.4 lists exp; some providers still send tokens from drafts without it.
  if (claims.HasMember("exp")) {
    auto exp = detail::requiredInt(claims, "exp");
    if (!exp) {
      return exp.error();
    }
    if (*exp <= expect.now - expect.skew_seconds) {
      return makeError(Errc::kIdTokenExpired, "exp " + std::to_string(*exp) + " is not after now " +
                                                  std::to_string(expect.now));
    }
  }
  iat_out = *iat;
  return {};
}

// sid / sub: optional here, but when present a printable string a session could carry.
Status readName(const rapidjson::Value& claims, const char* name, std::string& out) {
  if (!claims.HasMember(name)) {
    return {};
  }
  auto value = detail::requiredString(claims, name);
  if (!value) {
    return value.error();
  }
  const bool printable = std::all_of(value->begin(), value->end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u != 0x7f;
  });
  if (value->empty() || value->size() > 255 || !printable) {
    return detail::wrongType(name, "1 to 255 printable characters");
  }
  out = std::string(*value);
  return {};
}

}  // namespace

Result<LogoutTokenClaims> verifyLogoutToken(std::string_view token, const JwkSet& keys,
                                            const LogoutTokenExpectations& expect) {
  // §2.6 step 3 (with OIDC Core §3.1.3.7): no claim is read before the signature verified.
  auto jwt = detail::verifiedJwt(token, keys, "logout token");
  if (!jwt) {
    return jwt.error();
  }
  const rapidjson::Document& claims = jwt->claims;
  auto iss = detail::requiredString(claims, "iss");
  if (!iss) {
    return iss.error();
  }
  if (*iss != expect.issuer) {
    return makeError(Errc::kIdTokenIssuerMismatch, "iss \"" + sanitizeForLog(*iss, 100) +
                                                       "\" is not the issuer \"" +
                                                       sanitizeForLog(expect.issuer, 100) + "\"");
  }
  auto aud = detail::audiences(claims);
  if (!aud) {
    return aud.error();
  }
  if (std::find(aud->begin(), aud->end(), expect.client_id) == aud->end()) {
    return makeError(
        Errc::kIdTokenAudienceMismatch,
        "aud does not contain client_id \"" + sanitizeForLog(expect.client_id, 40) + "\"");
  }
  LogoutTokenClaims out;
  if (Status times = checkTimes(claims, expect, out.iat); !times) {
    return times.error();
  }
  auto jti = detail::requiredString(claims, "jti");
  if (!jti) {
    return jti.error();
  }
  if (jti->empty()) {
    return detail::missing("jti");
  }
  out.jti = std::string(*jti);
  // §2.6 step 4: events holds the back-channel logout member, and its value is an object.
  const rapidjson::Value* events = json::getObject(claims, "events");
  if (events == nullptr) {
    return invalid("claim events is missing or not a JSON object");
  }
  const auto event = events->FindMember(
      rapidjson::Value(kBackchannelLogoutEvent.data(),
                       static_cast<rapidjson::SizeType>(kBackchannelLogoutEvent.size())));
  if (event == events->MemberEnd() || !event->value.IsObject()) {
    return invalid("events has no back-channel logout member with a JSON object value");
  }
  if (Status sub = readName(claims, "sub", out.sub); !sub) {
    return sub.error();
  }
  if (Status sid = readName(claims, "sid", out.sid); !sid) {
    return sid.error();
  }
  // §2.6 step 5.
  if (out.sub.empty() && out.sid.empty()) {
    return invalid("neither sid nor sub is present");
  }
  // §2.6 step 6: a nonce would make it usable as an ID token.
  if (claims.HasMember("nonce")) {
    return invalid("a nonce is present (a logout token must not carry one)");
  }
  return out;
}

}  // namespace latchkey
