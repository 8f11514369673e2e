// GET /userinfo: the signed-in identity as JSON.
#include <string>

#include "app/session_access.h"
#include "latchkey/app/router.h"
#include "latchkey/util/encoding.h"

namespace latchkey {
namespace {

Response jsonResponse(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  response.addHeader("Content-Type", "application/json");
  response.addHeader("Cache-Control", "no-store");
  response.addHeader("X-Content-Type-Options", "nosniff");
  return response;
}

}  // namespace

Response handleUserinfo(const Request& request, Deps& deps) {
  SessionLookup lookup = lookupSession(request, deps, /*with_tokens=*/false);
  Response response;
  if (lookup.outcome == SessionLookup::Outcome::kValid) {
    const Session& s = lookup.session;
    // With several providers, which one signed the visitor in: its name in `providers` and
    // the name its button shows.
    std::string provider;
    if (deps.providers != nullptr) {
      const Config& own = lookup.provider_deps->config;
      provider = ",\"provider\":\"" + jsonEscape(own.provider_id) + "\",\"provider_name\":\"" +
                 jsonEscape(providerDisplayName(own)) + "\"";
    }
    response =
        jsonResponse(200, "{\"sub\":\"" + jsonEscape(s.sub) + "\",\"email\":\"" +
                              jsonEscape(provenEmail(s)) + "\",\"name\":\"" + jsonEscape(s.name) +
                              "\",\"exp\":" + std::to_string(s.expires_at) + provider + "}");
  } else if (lookup.outcome == SessionLookup::Outcome::kForbidden) {
    response = jsonResponse(403, "{\"error\":\"forbidden\"}");
  } else if (lookup.outcome == SessionLookup::Outcome::kUnavailable) {
    response = jsonResponse(503, "{\"error\":\"session_store_unavailable\"}");
  } else {
    response = jsonResponse(401, "{\"error\":\"unauthorized\"}");
  }
  if (lookup.set_cookie) {
    response.addHeader("Set-Cookie", std::move(*lookup.set_cookie));
  }
  return response;
}

}  // namespace latchkey
