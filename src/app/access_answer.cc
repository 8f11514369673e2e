#include "app/access_answer.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <unordered_map>

#include "latchkey/app/email_policy.h"
#include "latchkey/util/crypto.h"
#include "latchkey/util/encoding.h"
#include "latchkey/util/log.h"
#include "latchkey/util/text.h"

namespace latchkey {
namespace {

// A verified bearer token, remembered by its SHA-256 until its exp, so an API client
// calling again costs one hash instead of a signature check. Bounded: when full, expired
// entries go, and if none did, everything does (a burst of distinct tokens cannot grow it).
class BearerCache {
 public:
  static constexpr size_t kMaxEntries = 4096;
  // Even a long-lived token is re-verified now and then (keys can be withdrawn).
  static constexpr int64_t kMaxSeconds = 300;

  std::optional<Identity> find(const std::string& key, int64_t now) {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(key);
    if (it == entries_.end() || it->second.until <= now) {
      return std::nullopt;
    }
    return it->second.identity;
  }

  void put(std::string key, Identity identity, int64_t until, int64_t now) {
    std::lock_guard lock(mutex_);
    if (entries_.size() >= kMaxEntries) {
      std::erase_if(entries_, [&](const auto& entry) { return entry.second.until <= now; });
      if (entries_.size() >= kMaxEntries) {
        entries_.clear();
      }
    }
    entries_[std::move(key)] = Entry{std::move(identity), std::min(until, now + kMaxSeconds)};
  }

 private:
  struct Entry {
    Identity identity;
    int64_t until = 0;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

BearerCache& bearerCache() {
  static BearerCache cache;
  return cache;
}

// RFC 6750 §3: the challenge, with error and description when a token was sent.
std::string challenge(std::string_view error, std::string_view description) {
  std::string out = "Bearer realm=\"latchkey\"";
  if (!error.empty()) {
    out += ", error=\"" + std::string(error) + "\", error_description=\"";
    for (char c : description) {
      out += (c == '"' || c == '\\') ? '\'' : c;
    }
    out += "\"";
  }
  return out;
}

Response jsonAnswer(int status, std::string_view error, std::string_view description) {
  Response response;
  response.status = status;
  response.addHeader("Content-Type", "application/json");
  response.addHeader("Cache-Control", "no-store");
  response.body = "{\"error\":\"" + jsonEscape(error) + "\",\"error_description\":\"" +
                  jsonEscape(description) + "\"}";
  return response;
}

// "Bearer <token>" (RFC 6750 §2.1; the scheme is case-insensitive, RFC 9110 §11.1).
std::optional<std::string_view> bearerToken(std::string_view header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) {
    return std::nullopt;
  }
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) {
      return std::nullopt;
    }
  }
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ')
    token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ')
    token.remove_suffix(1);
  return token;
}

}  // namespace

Result<AccessRules> locationRules(const Request& request) {
  if (!request.location_rules) {
    auto rules = parseLocationRules(request.query);
    return rules ? rules : Result<AccessRules>(makeError(Errc::kRuleSyntax, rules.error().detail));
  }
  auto query = parseUrlEncoded(*request.location_rules);
  if (!query) {
    return makeError(Errc::kRuleSyntax, "LATCHKEY_RULES is not a query string");
  }
  auto rules = parseLocationRules(*query);
  return rules ? rules : Result<AccessRules>(makeError(Errc::kRuleSyntax, rules.error().detail));
}

Response ruleSyntaxAnswer(const Request& request, Deps& deps, const Error& error) {
  deps.log.log(LogLevel::kError, "auth_rule_invalid",
               {{"location", request.original_uri},
                {"rules", request.location_rules.value_or(request.raw_query)},
                {"detail", error.detail}});
  Response response;
  response.status = 500;
  response.addHeader("Cache-Control", "no-store");
  return response;
}

Response deniedAnswer(const Request& request, Deps& deps, const Denial& denial,
                      std::string_view sub) {
  deps.log.log(LogLevel::kInfo, "access_denied",
               {{"client", request.client_address},
                {"location", request.original_uri},
                {"sub", sub},
                {"rule", denial.rule},
                {"detail", denial.what}});
  Response response;
  response.status = 403;
  response.addHeader("Cache-Control", "no-store");
  // Shown by the web server's error page (inside a JSON string for /api/): no quotes or
  // backslashes, whatever a group or address contains.
  std::string text = denial.rule + ": " + denial.what + "; " + denial.ask;
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '"' || c == '\\'; }, '\'');
  response.addHeader("X-Auth-Request-Denied", std::move(text));
  return response;
}

void addIdentityHeaders(Response& response, const Config& config, std::string_view sub,
                        std::string_view email, std::string_view name, const Facts& facts,
                        std::string_view access_token) {
  response.addHeader("X-Auth-Request-User", std::string(sub));
  response.addHeader("X-Auth-Request-Email", std::string(email));
  response.addHeader("X-Auth-Request-Name", std::string(name));
  if (const auto it = facts.claims.find("preferred_username");
      it != facts.claims.end() && !it->second.empty()) {
    response.addHeader("X-Auth-Request-Preferred-Username", it->second.front());
  }
  if (!facts.groups.empty()) {
    response.addHeader("X-Auth-Request-Groups", join(facts.groups, ","));
  }
  if (config.pass_access_token && !access_token.empty()) {
    response.addHeader("X-Auth-Request-Access-Token", std::string(access_token));
  }
}

std::optional<Response> answerBearer(const Request& request, Deps& deps,
                                     const AccessRules& location) {
  if (!deps.config.bearer_tokens) {
    return std::nullopt;
  }
  const auto token = bearerToken(request.authorization);
  if (!token) {
    return std::nullopt;
  }
  const int64_t now = deps.clock.now();
  const auto digest = sha256(*token);
  std::string key(reinterpret_cast<const char*>(digest.data()), digest.size());  // NOLINT
  key += std::to_string(reinterpret_cast<uintptr_t>(&deps.provider));            // NOLINT
  std::optional<Identity> who = bearerCache().find(key, now);
  if (!who) {
    int64_t expires_at = 0;
    auto verified = deps.provider.verifyBearer(*token, deps.config.bearer_audiences, expires_at);
    if (!verified) {
      deps.log.log(LogLevel::kInfo, "bearer_refused",
                   {{"client", request.client_address},
                    {"location", request.original_uri},
                    {"reason", errcName(verified.error().code)},
                    {"detail", verified.error().detail}});
      Response response = jsonAnswer(401, "invalid_token", errcName(verified.error().code));
      response.addHeader("WWW-Authenticate",
                         challenge("invalid_token", errcName(verified.error().code)));
      return response;
    }
    who = std::move(*verified);
    bearerCache().put(std::move(key), *who, expires_at, now);
  }
  const Subject subject{who->email, who->email_verified, who->facts};
  Status site = checkEmailPolicy(deps.config, who->email, who->email_verified);
  std::optional<Denial> denial;
  if (!site) {
    denial = Denial{"allowed_emails / allowed_domains", std::string(errcName(site.error().code)),
                    "ask the site owner to allow this account"};
  } else {
    denial = findDenial(siteRules(deps.config), subject);
  }
  if (!denial) {
    denial = findDenial(location, subject);
  }
  if (denial) {
    // RFC 6750 §3.1: a valid token without the rights asked for.
    Response response = deniedAnswer(request, deps, *denial, who->sub);
    response.addHeader("Content-Type", "application/json");
    response.addHeader("WWW-Authenticate", challenge("insufficient_scope", denial->rule));
    response.body = "{\"error\":\"insufficient_scope\",\"error_description\":\"" +
                    jsonEscape(denial->rule) + "\"}";
    return response;
  }
  Response response;
  response.status = 200;
  response.addHeader("Cache-Control", "no-store");
  addIdentityHeaders(response, deps.config, who->sub, who->email, who->name, who->facts, *token);
  return response;
}

}  // namespace latchkey
