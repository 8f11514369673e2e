// OpenID Connect relying party (OIDC Core 1.0 §3.1, authorization code flow with PKCE).
#include <memory>
#include <string>
#include <utility>

#include <rapidjson/document.h>

#include "latchkey/encoding.h"
#include "latchkey/id_token.h"
#include "latchkey/json.h"
#include "oidc_metadata.h"
#include "providers.h"
#include "token_response.h"

namespace latchkey {

namespace {

// RFC 7636 §4.1: 43..128 characters, so only the code itself is wrong.
constexpr const char* kCheckVerifier = "latchkey-check-verifier-0123456789abcdefghijk";

class OidcProvider final : public IdentityProvider {
 public:
  OidcProvider(const Config& config, HttpClient& http, const Clock& clock)
      : issuer_(config.issuer),
        client_id_(config.client_id),
        client_secret_(config.client_secret),
        redirect_uri_(config.redirect_uri),
        scope_(joinScopes(config.scopes)),
        groups_claim_(config.groups_claim),
        userinfo_for_groups_(config.groups_claim_set || !config.allowed_groups.empty()),
        http_(http),
        clock_(clock),
        metadata_(config.issuer, http, clock) {}

  Result<std::string> authorizationUrl(const AuthorizationRequest& request) override;
  Result<SignIn> redeemCode(const CodeRedemption& redemption) override;
  Result<TokenSet> refresh(const std::string& refresh_token) override;
  void revoke(const TokenSet& tokens) override;
  Result<std::string> check() override;
  Result<Identity> verifyBearer(std::string_view token, const std::vector<std::string>& audiences,
                                int64_t& expires_at) override;

 private:
  HttpRequest tokenRequest(const OidcDiscovery& meta, FormFields fields) const {
    return tokenEndpointRequest(meta.token_endpoint, std::move(fields), meta.token_auth,
                                client_id_, client_secret_);
  }
  Result<IdTokenClaims> verify(std::string_view id_token, const IdTokenExpectations& expect);
  Status addUserinfo(const OidcDiscovery& meta, const std::string& access_token,
                     Identity& identity);
  IdTokenExpectations expectations(std::string nonce) const;
  bool addTokenFacts(const std::string& payload_json, Facts& facts) const;

  const std::string issuer_;
  const std::string client_id_;
  const std::string client_secret_;
  const std::string redirect_uri_;
  const std::string scope_;
  const std::string groups_claim_;
  const bool userinfo_for_groups_;
  HttpClient& http_;
  const Clock& clock_;
  OidcMetadataCache metadata_;
};

TokenSet tokenSet(const TokenResponse& response, int64_t now) {
  TokenSet tokens;
  tokens.access_token = response.access_token;
  tokens.refresh_token = response.refresh_token;
  if (response.expires_in) {
    tokens.access_expires_at = now + *response.expires_in;
  }
  return tokens;
}

Result<std::string> OidcProvider::authorizationUrl(const AuthorizationRequest& request) {
  auto meta = metadata_.discovery();
  if (!meta) {
    return meta.error();
  }
  const std::string& endpoint = (*meta)->authorization_endpoint;
  // The endpoint may carry its own query (Discovery allows it): append, never replace.
  std::string url = endpoint + (endpoint.find('?') == std::string::npos ? '?' : '&');
  url += formBody({{"response_type", "code"},
                   {"client_id", client_id_},
                   {"redirect_uri", redirect_uri_},
                   {"scope", scope_},
                   {"state", request.state},
                   {"nonce", request.nonce},
                   {"code_challenge", request.code_challenge},
                   {"code_challenge_method", "S256"}});
  return url;
}

Result<IdTokenClaims> OidcProvider::verify(std::string_view id_token,
                                           const IdTokenExpectations& expect) {
  auto keys = metadata_.jwks();
  if (!keys) {
    return keys.error();
  }
  auto claims = verifyIdToken(id_token, **keys, expect);
  if (claims || claims.error().code != Errc::kIdTokenUnknownKid) {
    return claims;
  }
  // The provider may have rotated its keys since we fetched them (OIDC Core §10.1.1):
  // one refetch, shared with every other thread that missed, and rate-limited.
  auto fresh = metadata_.refetchJwks(*keys);
  if (!fresh) {
    return fresh.error();
  }
  if (*fresh == *keys) {
    return claims;  // rate-limited: no newer key set
  }
  return verifyIdToken(id_token, **fresh, expect);
}

Status OidcProvider::addUserinfo(const OidcDiscovery& meta, const std::string& access_token,
                                 Identity& identity) {
  HttpRequest request;
  request.url = meta.userinfo_endpoint;
  request.headers.emplace_back("Authorization", "Bearer " + access_token);
  auto response = http_.send(request);
  if (!response) {
    return makeError(Errc::kUserinfoFailed, response.error().detail);
  }
  if (response->status != 200) {
    return makeError(Errc::kUserinfoFailed,
                     "userinfo answered " + std::to_string(response->status));
  }
  rapidjson::Document doc;
  if (!json::parseObject(response->body, doc)) {
    return makeError(Errc::kUserinfoFailed, "userinfo answer is not a JSON object");
  }
  // OIDC Core §5.3.2: the sub in the UserInfo response MUST equal the ID token's, or the
  // answer is about someone else (token substitution) and must not be used.
  auto sub = json::getString(doc, "sub");
  if (!sub || *sub != identity.sub) {
    return makeError(Errc::kUserinfoSubjectMismatch,
                     "userinfo sub does not match the ID token's sub");
  }
  if (identity.email.empty()) {
    if (auto email = json::getString(doc, "email")) {
      identity.email = *email;
      identity.email_verified = json::getBool(doc, "email_verified").value_or(false);
    }
  }
  if (identity.name.empty()) {
    identity.name = json::getString(doc, "name").value_or("");
  }
  if (identity.picture.empty()) {
    identity.picture = json::getString(doc, "picture").value_or("");
  }
  addClaimFacts(doc, groups_claim_, identity.facts);
  normalizeFacts(identity.facts);
  return {};
}

IdTokenExpectations OidcProvider::expectations(std::string nonce) const {
  IdTokenExpectations expect;
  expect.issuer = issuer_;
  expect.client_id = client_id_;
  expect.nonce = std::move(nonce);
  expect.now = clock_.now();
  return expect;
}

// The groups and claims of a verified ID token; true when it carried groups_claim.
bool OidcProvider::addTokenFacts(const std::string& payload_json, Facts& facts) const {
  rapidjson::Document doc;
  if (!json::parseObject(payload_json, doc)) {
    return false;
  }
  addClaimFacts(doc, groups_claim_, facts);
  normalizeFacts(facts);
  return doc.HasMember(groups_claim_.c_str());
}

Result<Identity> OidcProvider::verifyBearer(std::string_view token,
                                            const std::vector<std::string>& audiences,
                                            int64_t& expires_at) {
  IdTokenExpectations expect = expectations({});
  expect.bearer = true;
  expect.extra_audiences = audiences;
  auto claims = verify(token, expect);
  if (!claims) {
    return claims.error();
  }
  Identity identity;
  identity.sub = claims->sub;
  identity.email = claims->email;
  identity.email_verified = claims->email_verified;
  identity.name = claims->name;
  addTokenFacts(claims->payload_json, identity.facts);
  expires_at = claims->exp;
  return identity;
}

Result<SignIn> OidcProvider::redeemCode(const CodeRedemption& redemption) {
  auto meta = metadata_.discovery();
  if (!meta) {
    return meta.error();
  }
  // RFC 6749 §4.1.3 with RFC 7636 §4.5: redirect_uri exactly as sent in the authorization
  // request, and the PKCE verifier.
  auto response = http_.send(tokenRequest(**meta, {{"grant_type", "authorization_code"},
                                                   {"code", redemption.code},
                                                   {"redirect_uri", redirect_uri_},
                                                   {"code_verifier", redemption.code_verifier}}));
  if (!response) {
    return response.error();
  }
  TokenParseOptions options;
  options.require_id_token = true;
  auto tokens = parseTokenResponse(*response, options);
  if (!tokens) {
    return tokens.error();
  }
  auto claims = verify(tokens->id_token, expectations(redemption.nonce));
  if (!claims) {
    return claims.error();
  }
  SignIn sign_in;
  sign_in.identity.sub = claims->sub;
  sign_in.identity.email = claims->email;
  sign_in.identity.email_verified = claims->email_verified;
  sign_in.identity.name = claims->name;
  sign_in.identity.picture = claims->picture;
  const bool has_groups = addTokenFacts(claims->payload_json, sign_in.identity.facts);
  if ((sign_in.identity.email.empty() || sign_in.identity.name.empty() ||
       (!has_groups && userinfo_for_groups_)) &&
      !(*meta)->userinfo_endpoint.empty()) {
    Status added = addUserinfo(**meta, tokens->access_token, sign_in.identity);
    // Without an e-mail the sign-in cannot go on; a missing name alone is not worth failing.
    if (!added && (added.error().code == Errc::kUserinfoSubjectMismatch ||
                   sign_in.identity.email.empty())) {
      return added.error();
    }
  }
  sign_in.tokens = tokenSet(*tokens, clock_.now());
  return sign_in;
}

Result<TokenSet> OidcProvider::refresh(const std::string& refresh_token) {
  if (refresh_token.empty()) {
    return makeError(Errc::kRefreshFailed, "no refresh token");
  }
  auto meta = metadata_.discovery();
  if (!meta) {
    return meta.error();
  }
  // RFC 6749 §6. An ID token in the answer (OIDC Core §12.2) is not needed and not used.
  auto response = http_.send(
      tokenRequest(**meta, {{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}}));
  if (!response) {
    return response.error();
  }
  TokenParseOptions options;
  options.invalid_grant = Errc::kRefreshFailed;
  auto tokens = parseTokenResponse(*response, options);
  if (!tokens) {
    return tokens.error();
  }
  TokenSet out = tokenSet(*tokens, clock_.now());
  // RFC 6749 §6: a new refresh token is optional; without one the old one stays valid.
  if (out.refresh_token.empty()) {
    out.refresh_token = refresh_token;
  }
  return out;
}

void OidcProvider::revoke(const TokenSet& tokens) {
  auto meta = metadata_.discovery();
  if (!meta || (*meta)->revocation_endpoint.empty()) {
    return;
  }
  // RFC 7009 §2.1: revoking the refresh token also ends the access tokens issued with it.
  const bool use_refresh = !tokens.refresh_token.empty();
  const std::string& token = use_refresh ? tokens.refresh_token : tokens.access_token;
  if (token.empty()) {
    return;
  }
  HttpRequest request = tokenEndpointRequest(
      (*meta)->revocation_endpoint,
      {{"token", token}, {"token_type_hint", use_refresh ? "refresh_token" : "access_token"}},
      (*meta)->token_auth, client_id_, client_secret_);
  // Best effort (RFC 7009 §2.2): sign-out goes on whatever the provider answers.
  (void)http_.send(request);
}

Result<std::string> OidcProvider::check() {
  std::string lines;
  const std::string register_line =
      "Register this redirect URI at the provider: " + redirect_uri_ + "\n";
  auto fail = [&](const Error& error, const std::string& what) -> Error {
    return makeError(error.code, lines + what + ": " + error.detail + "\n" + register_line);
  };
  auto meta = metadata_.discovery();
  if (!meta) {
    return fail(meta.error(), "discovery at " + discoveryUrl(issuer_) + " failed");
  }
  lines += "discovery: " + discoveryUrl(issuer_) + " ok, issuer " + (*meta)->issuer + "\n";
  auto keys = metadata_.jwks();
  if (!keys) {
    return fail(keys.error(), "JWKS at " + (*meta)->jwks_uri + " failed");
  }
  lines += "jwks: " + std::to_string((*keys)->keys.size()) + " usable keys at " +
           (*meta)->jwks_uri + "\n";
  // A code that cannot exist: a provider that accepts our credentials says invalid_grant,
  // one that does not says invalid_client, before it ever looks at the code.
  auto response = http_.send(tokenRequest(**meta, {{"grant_type", "authorization_code"},
                                                   {"code", "latchkey-check-invalid-code"},
                                                   {"redirect_uri", redirect_uri_},
                                                   {"code_verifier", kCheckVerifier}}));
  if (!response) {
    return fail(response.error(), "token endpoint " + (*meta)->token_endpoint + " unreachable");
  }
  const std::string code = tokenErrorCode(*response).value_or("");
  if (code == "invalid_client" || code == "unauthorized_client") {
    return fail(makeError(Errc::kTokenEndpointRefusedClient, "error=" + code),
                "the token endpoint refused the client: wrong client_id or client_secret");
  }
  if (code != "invalid_grant" && code != "invalid_request") {
    return fail(makeError(Errc::kProviderBadResponse,
                          "answered " + std::to_string(response->status) +
                              (code.empty() ? "" : " error=" + sanitizeForLog(code, 64))),
                "unexpected answer from the token endpoint " + (*meta)->token_endpoint);
  }
  lines += "token endpoint: " + (*meta)->token_endpoint + " accepted the client credentials\n";
  lines += register_line;
  return lines;
}

}  // namespace

std::unique_ptr<IdentityProvider> makeOidcProvider(const Config& config, HttpClient& http,
                                                   const Clock& clock) {
  return std::make_unique<OidcProvider>(config, http, clock);
}

}  // namespace latchkey
