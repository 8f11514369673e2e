// Facts (groups, claims) travel beside the session cookie, in cookies of their own named
// <session cookie>.1, .2, ... so that a person in hundreds of groups still fits in what
// browsers keep (4096 bytes per cookie). The session cookie, which is signed, holds the
// SHA-256 of their joined value: the parts need no MAC of their own, cannot be swapped
// between sessions, and /auth reads them only for a session that has facts.
//
// Value: base64url of 'j' + JSON, or 'z' + zlib(JSON) when that is shorter; JSON is
// {"g":[groups...],"c":{"claim":[values...]}}.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "latchkey/config/config.h"
#include "latchkey/http/http.h"
#include "latchkey/session/facts.h"
#include "latchkey/util/result.h"

namespace latchkey {

// Bytes of value per part cookie, and at most this many parts (about 22 KB in all): more
// would not pass web servers' default request header limits (nginx 32 KB of FastCGI params
// in latchkey itself, Apache 8 KB per header line) anyway.
inline constexpr size_t kFactsPartBytes = 3800;
inline constexpr size_t kMaxFactsParts = 6;

struct SealedFacts {
  std::string digest;              // base64url SHA-256 of the joined parts; "" = no facts
  std::vector<std::string> parts;  // cookie values, in order
};

// kFactsTooLarge when even compressed they need more than kMaxFactsParts parts.
Result<SealedFacts> sealFacts(const Facts& facts);

// Joins <name>.1.. from the request, checks the digest (constant time) and decodes.
// kCookieMalformed when a part is missing or the digest differs.
Result<Facts> openFacts(const Request& request, std::string_view session_cookie,
                        std::string_view digest);

// Set-Cookie values for the parts, plus clearing any higher-numbered part the browser still
// has from an earlier session.
std::vector<std::string> factsSetCookies(const Config& config, const Request& request,
                                         const SealedFacts& facts, int64_t max_age);
// Clearing every part the browser sent (sign-out, dead session).
std::vector<std::string> factsClearCookies(const Config& config, const Request& request);

}  // namespace latchkey
