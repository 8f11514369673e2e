// GET /auth: the nginx auth_request target. nginx treats any answer but 2xx/401/403 as a
// 500, so this never redirects: 200 with the identity headers, 401, or 403. A refreshed
// session comes back as exactly one Set-Cookie for auth_request_set to pass on. A malformed
// per-location rule is the one 500: a typo in a rule must not open the location.
#include <algorithm>
#include <string>

#include "app/access_answer.h"
#include "app/session_access.h"
#include "latchkey/app/router.h"

namespace latchkey {

namespace {

// With auth_cache_seconds, a 200 may be kept by nginx's fastcgi_cache (X-Accel-Expires, which
// nginx reads, prefers to Cache-Control and never forwards). Never an answer that sets a
// cookie (a refreshed session must reach this browser, and only this one), and never for
// longer than the session has left.
int64_t cacheableSeconds(const SessionLookup& lookup, const Deps& deps) {
  if (deps.config.auth_cache_seconds <= 0 || lookup.outcome != SessionLookup::Outcome::kValid ||
      lookup.set_cookie) {
    return 0;
  }
  return std::min(deps.config.auth_cache_seconds, lookup.session.expires_at - deps.clock.now());
}

}  // namespace

Response handleAuth(const Request& request, Deps& deps) {
  auto rules = locationRules(request);
  if (!rules) {
    return ruleSyntaxAnswer(request, deps, rules.error());
  }
  if (auto bearer = answerBearer(request, deps, *rules)) {
    return std::move(*bearer);
  }
  SessionLookup lookup = lookupSession(request, deps, deps.config.pass_access_token);
  Response response;
  // First: nginx before 1.23 reads the header fields in order, and a no-store read before it
  // would keep the answer out of the cache.
  if (const int64_t seconds = cacheableSeconds(lookup, deps); seconds > 0) {
    response.addHeader("X-Accel-Expires", std::to_string(seconds));
  }
  response.addHeader("Cache-Control", "no-store");
  switch (lookup.outcome) {
    case SessionLookup::Outcome::kNone:
      response.status = 401;
      break;
    case SessionLookup::Outcome::kForbidden:
      // The account itself is no longer let in: the web server sends the visitor to
      // latchkey's page, which ends the session and offers another account. No
      // X-Auth-Request-Denied: that header marks a per-location rule (a 403 page naming it).
      response.status = 403;
      break;
    case SessionLookup::Outcome::kUnavailable:
      response.status = 503;  // nginx answers 500: neither a sign-in loop nor a way in
      break;
    case SessionLookup::Outcome::kValid: {
      const Session& s = lookup.session;
      if (auto denial = findDenial(*rules, Subject{s.email, s.email_verified, lookup.facts})) {
        response = deniedAnswer(request, deps, *denial, s.sub);
        break;
      }
      response.status = 200;
      addIdentityHeaders(response, deps.config, s.sub, std::string(provenEmail(s)), s.name,
                         lookup.facts, s.access_token);
      break;
    }
  }
  if (lookup.set_cookie) {
    response.addHeader("Set-Cookie", std::move(*lookup.set_cookie));
  }
  if (request.authorizer) {
    return authorizerAnswer(std::move(response), request, deps.config.base_path);
  }
  return response;
}

}  // namespace latchkey
