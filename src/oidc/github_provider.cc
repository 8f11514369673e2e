// GitHub (and GitHub Enterprise Server) sign-in: plain OAuth 2.0 with PKCE, no ID token.
// The identity comes from the REST API: GET /user and GET /user/emails.
#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <utility>

#include "latchkey/util/json.h"
#include "latchkey/util/text.h"
#include "oidc/providers.h"
#include "oidc/token_response.h"

namespace latchkey {

namespace {

constexpr const char* kGithubBase = "https://github.com";
constexpr const char* kGithubApi = "https://api.github.com";

std::string withoutTrailingSlash(std::string url) {
  if (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url;
}

class GithubProvider final : public IdentityProvider {
 public:
  GithubProvider(const Config& config, HttpClient& http, const Clock& clock)
      : base_(config.issuer.empty() ? kGithubBase : withoutTrailingSlash(config.issuer)),
        // GitHub Enterprise Server serves the REST API under /api/v3 of its own host.
        api_(config.issuer.empty() ? kGithubApi : base_ + "/api/v3"),
        client_id_(config.client_id),
        client_secret_(config.client_secret),
        redirect_uri_(config.redirect_uri),
        scope_(join(config.scopes, " ")),
        read_org_(std::find(config.scopes.begin(), config.scopes.end(), "read:org") !=
                  config.scopes.end()),
        http_(http),
        clock_(clock) {}

  Result<std::string> authorizationUrl(const AuthorizationRequest& request) override;
  Result<SignIn> redeemCode(const CodeRedemption& redemption) override;
  Result<TokenSet> refresh(const std::string& refresh_token) override;
  void revoke(const TokenSet& tokens) override;
  Result<std::string> check() override;
  Status checkAccessToken(const std::string& access_token, std::string_view sub) override;

 private:
  std::string tokenUrl() const { return base_ + "/login/oauth/access_token"; }
  HttpRequest tokenRequest(const std::string& code, const std::string& verifier) const;
  HttpRequest apiRequest(const std::string& path, const std::string& access_token) const;
  Result<HttpResponse> apiGet(const std::string& path, const std::string& access_token);
  Status addUser(const std::string& access_token, Identity& identity);
  Status addPrimaryEmail(const std::string& access_token, Identity& identity);
  Status addMemberships(const std::string& access_token, Identity& identity);
  template <typename Each>
  Status eachListed(const std::string& path, const std::string& access_token, Each each);

  const std::string base_;
  const std::string api_;
  const std::string client_id_;
  const std::string client_secret_;
  const std::string redirect_uri_;
  const std::string scope_;
  const bool read_org_;  // may list the user's organisations and teams
  HttpClient& http_;
  const Clock& clock_;
};

Result<std::string> GithubProvider::authorizationUrl(const AuthorizationRequest& request) {
  // GitHub supports PKCE S256 and state; it has no nonce (no ID token), so none is sent.
  FormFields fields = {{"response_type", "code"},        {"client_id", client_id_},
                       {"redirect_uri", redirect_uri_},  {"scope", scope_},
                       {"state", request.state},         {"code_challenge", request.code_challenge},
                       {"code_challenge_method", "S256"}};
  if (request.choose_account) {
    fields.emplace_back("prompt", "select_account");  // GitHub's account picker
  }
  return base_ + "/login/oauth/authorize?" + formBody(fields);
}

HttpRequest GithubProvider::tokenRequest(const std::string& code,
                                         const std::string& verifier) const {
  // GitHub documents the client credentials in the body; Accept: application/json makes
  // it answer JSON instead of a form-encoded body.
  HttpRequest request =
      tokenEndpointRequest(tokenUrl(),
                           {{"grant_type", "authorization_code"},
                            {"code", code},
                            {"redirect_uri", redirect_uri_},
                            {"code_verifier", verifier}},
                           ClientAuthMethod::kClientSecretPost, client_id_, client_secret_);
  request.endpoint = ProviderEndpoint::kToken;
  return request;
}

HttpRequest GithubProvider::apiRequest(const std::string& path,
                                       const std::string& access_token) const {
  HttpRequest request;
  request.endpoint = ProviderEndpoint::kUserinfo;
  request.url = api_ + path;
  request.headers.emplace_back("Authorization", "Bearer " + access_token);
  request.headers.emplace_back("Accept", "application/vnd.github+json");
  request.headers.emplace_back("X-GitHub-Api-Version", "2022-11-28");
  return request;
}

// GitHub's tokens do not expire: a 401 means the user revoked the app's authorization, or
// the account (or token) is gone.
Status GithubProvider::checkAccessToken(const std::string& access_token, std::string_view sub) {
  if (access_token.empty()) {
    return makeError(Errc::kRevalidationFailed, "the session keeps no access token");
  }
  auto response = http_.send(apiRequest("/user", access_token));
  if (!response) {
    return response.error();
  }
  if (response->status == 401) {
    return makeError(Errc::kRevalidationFailed, "GitHub /user answered 401");
  }
  rapidjson::Document doc;
  if (response->status != 200 || !json::parseObject(response->body, doc)) {
    return makeError(Errc::kProviderBadResponse,
                     "GitHub /user answered " + std::to_string(response->status));
  }
  auto id = json::getInt(doc, "id");
  if (!id || std::to_string(*id) != sub) {
    return makeError(Errc::kRevalidationFailed, "GitHub /user is not the session's user");
  }
  return {};
}

Result<HttpResponse> GithubProvider::apiGet(const std::string& path,
                                            const std::string& access_token) {
  auto response = http_.send(apiRequest(path, access_token));
  if (!response) {
    return makeError(Errc::kUserinfoFailed, response.error().detail);
  }
  if (response->status != 200) {
    return makeError(Errc::kUserinfoFailed,
                     "GitHub " + path + " answered " + std::to_string(response->status));
  }
  return response;
}

Status GithubProvider::addUser(const std::string& access_token, Identity& identity) {
  auto response = apiGet("/user", access_token);
  if (!response) {
    return response.error();
  }
  rapidjson::Document doc;
  if (!json::parseObject(response->body, doc)) {
    return makeError(Errc::kUserinfoFailed, "GitHub /user answer is not a JSON object");
  }
  // The numeric id is stable; the login can be renamed and then taken by someone else.
  auto id = json::getInt(doc, "id");
  auto login = json::getString(doc, "login");
  if (!id || *id <= 0 || !login) {
    return makeError(Errc::kUserinfoFailed, "GitHub /user has no numeric id or no login");
  }
  identity.sub = std::to_string(*id);
  auto name = json::getString(doc, "name");
  identity.name = (name && !name->empty()) ? *name : *login;
  identity.picture = json::getString(doc, "avatar_url").value_or("");
  return {};
}

Status GithubProvider::addPrimaryEmail(const std::string& access_token, Identity& identity) {
  auto response = apiGet("/user/emails", access_token);
  if (!response) {
    return makeError(response.error().code,
                     response.error().detail + " (the user:email scope is needed)");
  }
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(response->body.data(), response->body.size());
  if (doc.HasParseError() || !doc.IsArray()) {
    return makeError(Errc::kUserinfoFailed, "GitHub /user/emails answer is not a JSON array");
  }
  // Only the primary address, marked verified only once GitHub has verified it: any other
  // address on the account could be one the user merely typed in. An unverified primary goes
  // to the e-mail policy like an OIDC email_verified=false (refused unless
  // allow_unverified_email, and then never passed on).
  for (const auto& item : doc.GetArray()) {
    if (!item.IsObject()) {
      continue;
    }
    auto email = json::getString(item, "email");
    if (email && json::getBool(item, "primary").value_or(false)) {
      identity.email = *email;
      identity.email_verified = json::getBool(item, "verified").value_or(false);
      return {};
    }
  }
  return makeError(Errc::kNoVerifiedEmail, "GitHub lists no primary e-mail address");
}

// GitHub's list endpoints are paged (per_page at most 100); a page shorter than that is the
// last. Ten pages (1000 entries) is the most we read.
template <typename Each>
Status GithubProvider::eachListed(const std::string& path, const std::string& access_token,
                                  Each each) {
  constexpr int kPerPage = 100;
  constexpr int kMaxPages = 10;
  for (int page = 1; page <= kMaxPages; ++page) {
    auto response =
        apiGet(path + "?per_page=" + std::to_string(kPerPage) + "&page=" + std::to_string(page),
               access_token);
    if (!response) {
      return makeError(response.error().code,
                       response.error().detail + " (the read:org scope is needed)");
    }
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag>(response->body.data(), response->body.size());
    if (doc.HasParseError() || !doc.IsArray()) {
      return makeError(Errc::kUserinfoFailed, "GitHub " + path + " answer is not a JSON array");
    }
    for (const auto& item : doc.GetArray()) {
      each(item);
    }
    if (doc.GetArray().Size() < kPerPage) {
      break;
    }
  }
  return {};
}

// Organisations as "org" and teams as "org/team-slug", lower case (GitHub logins and slugs
// are case-insensitive), as groups for allowed_github_orgs and allowed_groups.
Status GithubProvider::addMemberships(const std::string& access_token, Identity& identity) {
  std::vector<std::string>& groups = identity.facts.groups;
  Status orgs = eachListed("/user/orgs", access_token, [&](const rapidjson::Value& item) {
    if (auto login = json::getString(item, "login")) {
      groups.push_back(toLowerAscii(*login));
    }
  });
  if (!orgs) {
    return orgs;
  }
  Status teams = eachListed("/user/teams", access_token, [&](const rapidjson::Value& item) {
    const rapidjson::Value* org = json::getObject(item, "organization");
    auto slug = json::getString(item, "slug");
    auto org_login = org != nullptr ? json::getString(*org, "login") : std::nullopt;
    if (slug && org_login) {
      groups.push_back(toLowerAscii(*org_login) + "/" + toLowerAscii(*slug));
    }
  });
  normalizeFacts(identity.facts);
  return teams;
}

Result<SignIn> GithubProvider::redeemCode(const CodeRedemption& redemption) {
  auto response = http_.send(tokenRequest(redemption.code, redemption.code_verifier));
  if (!response) {
    return response.error();
  }
  auto tokens = parseTokenResponse(*response, TokenParseOptions{});
  if (!tokens) {
    return tokens.error();
  }
  SignIn sign_in;
  if (Status user = addUser(tokens->access_token, sign_in.identity); !user) {
    return user.error();
  }
  if (Status email = addPrimaryEmail(tokens->access_token, sign_in.identity); !email) {
    return email.error();
  }
  if (read_org_) {
    if (Status memberships = addMemberships(tokens->access_token, sign_in.identity); !memberships) {
      return memberships.error();
    }
  }
  sign_in.tokens.access_token = tokens->access_token;
  sign_in.tokens.refresh_token = tokens->refresh_token;
  if (tokens->expires_in) {
    sign_in.tokens.access_expires_at = clock_.now() + *tokens->expires_in;
  }
  return sign_in;
}

Result<TokenSet> GithubProvider::refresh(const std::string& /*refresh_token*/) {
  // OAuth app tokens do not expire; expiring GitHub App user tokens are not supported.
  return makeError(Errc::kRefreshFailed, "GitHub OAuth app tokens cannot be refreshed");
}

void GithubProvider::revoke(const TokenSet& /*tokens*/) {
  // GitHub has no RFC 7009 endpoint: revoking needs DELETE /applications/{client_id}/token
  // with Basic client auth, a different API. Signing out only clears our session.
}

Result<std::string> GithubProvider::check() {
  const std::string register_line =
      "Register this redirect URI at the provider: " + redirect_uri_ + "\n";
  auto response = http_.send(
      tokenRequest("latchkey-check-invalid-code", "latchkey-check-verifier-0123456789abcdefghijk"));
  if (!response) {
    return makeError(response.error().code, "token endpoint " + tokenUrl() + " unreachable: " +
                                                response.error().detail + "\n" + register_line);
  }
  const std::string code = tokenErrorCode(*response).value_or("");
  if (code == "incorrect_client_credentials" || code == "invalid_client") {
    return makeError(Errc::kTokenEndpointRefusedClient,
                     "the token endpoint refused the client: wrong client_id or client_secret\n" +
                         register_line);
  }
  if (code != "bad_verification_code" && code != "invalid_grant") {
    return makeError(Errc::kProviderBadResponse,
                     "unexpected answer from the token endpoint " + tokenUrl() + ": " +
                         std::to_string(response->status) +
                         (code.empty() ? "" : " error=" + sanitizeForLog(code, 64)) + "\n" +
                         register_line);
  }
  return "token endpoint: " + tokenUrl() + " accepted the client credentials\n" + register_line;
}

}  // namespace

std::unique_ptr<IdentityProvider> makeGithubProvider(const Config& config, HttpClient& http,
                                                     const Clock& clock) {
  return std::make_unique<GithubProvider>(config, http, clock);
}

}  // namespace latchkey
