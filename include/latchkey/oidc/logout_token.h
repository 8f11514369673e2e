// OpenID Connect Back-Channel Logout 1.0 §2.6: validating a logout token.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "latchkey/jose/jose.h"
#include "latchkey/util/result.h"

namespace latchkey {

// A provider sends the token while the user signs out, so it is seconds old; an older one
// would be a replay from beyond what the jti guard remembers.
inline constexpr int64_t kLogoutTokenMaxAgeSeconds = 300;
inline constexpr int64_t kLogoutTokenSkewSeconds = 60;

struct LogoutTokenExpectations {
  std::string issuer;
  std::string client_id;
  int64_t now = 0;
  int64_t skew_seconds = kLogoutTokenSkewSeconds;
  int64_t max_age_seconds = kLogoutTokenMaxAgeSeconds;
};

// What the token names, after every check passed. sid and/or sub are set.
struct LogoutTokenClaims {
  std::string sub;  // may be empty
  std::string sid;  // the provider's session id; may be empty
  std::string jti;
  int64_t iat = 0;
};

// Checks in order: JWS form, alg allow-list and signature against keys, iss equal, aud
// contains client_id, iat within [now - skew - max_age, now + skew], exp (when present)
// > now - skew, jti present, events an object whose member
// "http://schemas.openid.net/event/backchannel-logout" is a JSON object, sid or sub
// present (strings of 1..255 printable characters), no nonce (§2.4: a logout token must
// never be taken for an ID token, nor the reverse). JWT failures reuse the ID token
// codes; events, nonce and sid/sub are kLogoutTokenInvalid. The jti replay check needs
// shared state and is the caller's.
Result<LogoutTokenClaims> verifyLogoutToken(std::string_view token, const JwkSet& keys,
                                            const LogoutTokenExpectations& expect);

inline constexpr std::string_view kBackchannelLogoutEvent =
    "http://schemas.openid.net/event/backchannel-logout";

}  // namespace latchkey
