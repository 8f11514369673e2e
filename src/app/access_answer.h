// /auth's authorization step, shared by the cookie and bearer paths: the per-location rules
// of the request and the identity headers of an allowed answer.
#pragma once

#include <optional>
#include <string>

#include "latchkey/app/access_rules.h"
#include "latchkey/app/router.h"

namespace latchkey {

// The rules of this location: LATCHKEY_RULES when the web server set it, else the query.
// kRuleSyntax with the detail when malformed.
Result<AccessRules> locationRules(const Request& request);

// 500 for a malformed rule: logged with the location (the visitor's URI), never "no rule".
Response ruleSyntaxAnswer(const Request& request, Deps& deps, const Error& error);

// 403 for a failed rule: logged, and X-Auth-Request-Denied says which rule and what to ask
// for, for the web server's error page.
Response deniedAnswer(const Request& request, Deps& deps, const Denial& denial,
                      std::string_view sub);

// Adds X-Auth-Request-User/Email/Name/Preferred-Username/Groups (and the access token when
// pass_access_token and one is given) to an allowed answer.
void addIdentityHeaders(Response& response, const Config& config, std::string_view sub,
                        std::string_view email, std::string_view name, const Facts& facts,
                        std::string_view access_token);

// Authorization: Bearer at /auth (bearer_tokens = true): nothing when the request has no
// bearer token, else the whole answer (200, 401 with WWW-Authenticate, or 403).
std::optional<Response> answerBearer(const Request& request, Deps& deps,
                                     const AccessRules& location);

// The FastCGI AUTHORIZER role's form of a gate answer (FastCGI 1.0 §6.3). A 200 also carries
// the identity as Variable-* headers (Variable-REMOTE_USER, Variable-X_AUTH_REQUEST_EMAIL...),
// which the web server turns into the request's environment. A 401, or the 403 of an account
// no longer let in, names the latchkey page to continue at in X-Latchkey-Continue, relative to
// the site's root ("login?rd=...", "signed-out?rd=..."): mod_fcgid turns every refusal into a
// bare 401, so its ErrorDocument must learn from latchkey where the visitor goes.
Response authorizerAnswer(Response response, const Request& request, std::string_view base_path);

}  // namespace latchkey
