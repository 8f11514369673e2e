// OpenID Connect Core 1.0 §3.1.3.7 ID token validation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "latchkey/jose/jose.h"
#include "latchkey/util/result.h"

namespace latchkey {

struct IdTokenExpectations {
  std::string issuer;
  // When not empty, replaces issuer: iss must equal one of these (a multi-tenant issuer
  // template with each allowed tenant substituted).
  std::vector<std::string> issuers;
  std::string client_id;
  std::string nonce;
  int64_t now = 0;
  int64_t skew_seconds = 60;
  // Bearer tokens (RFC 6750) sent by API clients: no nonce (there was no login attempt),
  // aud may also be one of these, and azp is not ours to check (another client obtained it).
  bool bearer = false;
  std::vector<std::string> extra_audiences;
  std::vector<std::string> trusted_audiences;  // accepted in aud besides client_id
  int64_t max_age_seconds = 300;               // oldest acceptable iat, before now - skew
};

// Claims that exist only after every check passed.
struct IdTokenClaims {
  std::string sub;
  std::string email;  // may be empty
  bool email_verified = false;
  std::string email_verified_problem;  // why email_verified could not be read; may be empty
  std::string name;
  std::string picture;
  std::string hd;   // Google: the Workspace domain of the account
  std::string sid;  // the provider's session id (Back-Channel Logout 1.0 §2.1); may be empty
  int64_t exp = 0;
  int64_t iat = 0;
  std::string payload_json;  // the verified claim set, for groups and other claims
};

// Checks in order: JWS form, alg allow-list, signature with the key of that kid, iss equal,
// aud contains client_id and nothing else but trusted_audiences, azp equals client_id when
// present or when aud has several values, exp > now - skew, now - skew - max_age <= iat <=
// now + skew (kIdTokenTooOld for an older one), nonce equal (constant time), sub present.
// Each failure returns its own Errc with a detail naming the claim and values (no token,
// never the nonce). A required claim that is absent is kIdTokenMissingClaim; one of the wrong
// type is kIdTokenMalformed. exp/iat/nbf must be JSON integers (1.5, 1e9, "123" are
// malformed); nbf, when present, is checked like iat. sub must be 1..255 printable chars and
// email (optional) free of control characters, since both end up in response headers;
// name, picture and hd are returned as sent (validatedIdentity bounds them).
// email_verified may be a boolean or the string "true"/"false"; anything else is false.
Result<IdTokenClaims> verifyIdToken(std::string_view id_token, const JwkSet& keys,
                                    const IdTokenExpectations& expect);

}  // namespace latchkey
