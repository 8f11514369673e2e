// OpenID Connect relying party (OIDC Core 1.0 §3.1, authorization code flow with PKCE).
#include <rapidjson/document.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/email_verified.h"
#include "latchkey/oidc/id_token.h"
#include "latchkey/util/encoding.h"
#include "latchkey/util/json.h"
#include "latchkey/util/text.h"
#include "oidc/client_assertion.h"
#include "oidc/oidc_metadata.h"
#include "oidc/providers.h"
#include "oidc/token_response.h"

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
        auth_method_(config.token_auth_method),
        allowed_tenants_(config.allowed_tenants),
        redirect_uri_(config.redirect_uri),
        scope_(join(config.scopes, " ")),
        asks_email_(std::find(config.scopes.begin(), config.scopes.end(), "email") !=
                    config.scopes.end()),
        groups_claim_(config.groups_claim),
        userinfo_for_groups_(config.groups_claim_set || !config.allowed_groups.empty()),
        trusted_audiences_(config.trusted_audiences),
        id_token_max_age_(config.id_token_max_age),
        http_(http),
        clock_(clock),
        metadata_(config.issuer, http, clock, !config.allowed_tenants.empty()) {
    if (auth_method_ == TokenAuthMethod::kPrivateKeyJwt) {
      // Validated when the configuration was loaded; an error here leaves signer_ empty
      // and every token request reports it.
      if (auto signer =
              ClientAssertionSigner::fromPem(config.client_private_key_pem, config.client_key_id)) {
        signer_ = *signer;
      }
    }
  }

  Result<std::string> authorizationUrl(const AuthorizationRequest& request) override;
  Result<SignIn> redeemCode(const CodeRedemption& redemption) override;
  Result<TokenSet> refresh(const std::string& refresh_token) override;
  void revoke(const TokenSet& tokens) override;
  Result<std::string> check() override;
  Result<Identity> verifyBearer(std::string_view token, const std::vector<std::string>& audiences,
                                int64_t& expires_at) override;
  Result<std::string> endSessionUrl(const EndSessionRequest& request) override;
  Result<LogoutTokenClaims> verifyLogoutToken(std::string_view token) override;
  Status checkAccessToken(const std::string& access_token, std::string_view sub) override;

 private:
  // Runs check(token, keys) with the cached JWKS, and once more with a refetched set when
  // the token's kid is unknown (the provider rotated its keys: OIDC Core §10.1.1).
  template <typename Check>
  auto withKeys(std::string_view token, Check check) -> decltype(check(token, JwkSet{}));
  ClientAuthMethod authMethod(const OidcDiscovery& meta) const;
  ClientAuthMethod revocationAuthMethod(const OidcDiscovery& meta) const;
  // A POST to url (token or revocation endpoint) with the client authenticated by method.
  Result<HttpRequest> clientRequest(const OidcDiscovery& meta, const std::string& url,
                                    ClientAuthMethod method, FormFields fields) const;
  Result<HttpRequest> tokenRequest(const OidcDiscovery& meta, FormFields fields) const {
    const bool refresh = !fields.empty() && fields.front().first == "grant_type" &&
                         fields.front().second == "refresh_token";
    auto request = clientRequest(meta, meta.token_endpoint, authMethod(meta), std::move(fields));
    if (request) {
      request->endpoint = refresh ? ProviderEndpoint::kRefresh : ProviderEndpoint::kToken;
    }
    return request;
  }
  std::string checkNotes(const OidcDiscovery& meta) const;
  // expect as built by expectations(); verify adds a multi-tenant issuer's allowed tenants.
  Result<IdTokenClaims> verify(std::string_view id_token, const IdTokenExpectations& expect);
  Status addUserinfo(const OidcDiscovery& meta, const std::string& access_token,
                     Identity& identity);
  IdTokenExpectations expectations(std::string nonce) const;
  bool addTokenFacts(const std::string& payload_json, Facts& facts) const;

  const std::string issuer_;
  const std::string client_id_;
  const std::string client_secret_;
  const TokenAuthMethod auth_method_;
  const std::vector<std::string> allowed_tenants_;
  const std::string redirect_uri_;
  const std::string scope_;
  const bool asks_email_;
  std::shared_ptr<const ClientAssertionSigner> signer_;
  const std::string groups_claim_;
  const bool userinfo_for_groups_;
  const std::vector<std::string> trusted_audiences_;
  const int64_t id_token_max_age_;
  HttpClient& http_;
  const Clock& clock_;
  OidcMetadataCache metadata_;
};

const char* authMethodName(ClientAuthMethod method) {
  switch (method) {
    case ClientAuthMethod::kClientSecretBasic:
      return "client_secret_basic";
    case ClientAuthMethod::kClientSecretPost:
      return "client_secret_post";
    case ClientAuthMethod::kPrivateKeyJwt:
      return "private_key_jwt";
  }
  return "?";
}

ClientAuthMethod OidcProvider::authMethod(const OidcDiscovery& meta) const {
  switch (auth_method_) {
    case TokenAuthMethod::kAuto:
      return meta.token_auth;
    case TokenAuthMethod::kClientSecretBasic:
      return ClientAuthMethod::kClientSecretBasic;
    case TokenAuthMethod::kClientSecretPost:
      return ClientAuthMethod::kClientSecretPost;
    case TokenAuthMethod::kPrivateKeyJwt:
      return ClientAuthMethod::kPrivateKeyJwt;
  }
  return meta.token_auth;
}

// The revocation endpoint may accept fewer methods than the token endpoint (Glewlwyd:
// client_secret_basic only); with a shared secret, use one it lists.
ClientAuthMethod OidcProvider::revocationAuthMethod(const OidcDiscovery& meta) const {
  const ClientAuthMethod method = authMethod(meta);
  const auto& listed = meta.revocation_auth_methods;
  auto lists = [&](const char* name) {
    return std::find(listed.begin(), listed.end(), name) != listed.end();
  };
  if (method == ClientAuthMethod::kPrivateKeyJwt || listed.empty() ||
      lists(authMethodName(method))) {
    return method;
  }
  if (lists("client_secret_basic")) {
    return ClientAuthMethod::kClientSecretBasic;
  }
  return lists("client_secret_post") ? ClientAuthMethod::kClientSecretPost : method;
}

Result<HttpRequest> OidcProvider::clientRequest(const OidcDiscovery& meta, const std::string& url,
                                                ClientAuthMethod method, FormFields fields) const {
  if (method != ClientAuthMethod::kPrivateKeyJwt) {
    return tokenEndpointRequest(url, std::move(fields), method, client_id_, client_secret_);
  }
  if (!signer_) {
    return makeError(Errc::kInternal, "client_private_key_file did not load");
  }
  // RFC 7523 §3: the audience identifies the authorization server; its token endpoint URL
  // is the value RFC 7523 names, and the one Okta, Keycloak, Entra ID and oidc-provider take
  // (oidc-provider also for its revocation endpoint).
  auto assertion = signer_->sign(client_id_, meta.token_endpoint, clock_.now());
  if (!assertion) {
    return assertion.error();
  }
  return tokenEndpointRequest(url, std::move(fields), method, client_id_, *assertion);
}

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
  if (request.choose_account) {
    // Google shows its account chooser for select_account; other providers are not bound to
    // support that value (some refuse the request), while every OpenID provider knows
    // "login", which asks for the credentials again and so lets the visitor type another.
    url += issuer_ == kGoogleIssuer ? "&prompt=select_account" : "&prompt=login";
  }
  return url;
}

Result<IdTokenClaims> OidcProvider::verify(std::string_view id_token,
                                           const IdTokenExpectations& base) {
  auto meta = metadata_.discovery();
  if (!meta) {
    return meta.error();
  }
  IdTokenExpectations expect = base;
  if ((*meta)->issuer_is_tenant_template) {
    for (const std::string& tenant : allowed_tenants_) {
      expect.issuers.push_back(issuerForTenant((*meta)->issuer, tenant));
    }
  }
  return withKeys(id_token, [&](std::string_view token, const JwkSet& set) {
    return verifyIdToken(token, set, expect);
  });
}

template <typename Check>
auto OidcProvider::withKeys(std::string_view token, Check check)
    -> decltype(check(token, JwkSet{})) {
  auto keys = metadata_.jwks();
  if (!keys) {
    return keys.error();
  }
  auto claims = check(token, **keys);
  if (claims || claims.error().code != Errc::kIdTokenUnknownKid) {
    return claims;
  }
  // One refetch, shared with every other thread that missed, and rate-limited.
  auto fresh = metadata_.refetchJwks(*keys);
  if (!fresh) {
    return fresh.error();
  }
  if (*fresh == *keys) {
    return claims;  // rate-limited: no newer key set
  }
  return check(token, **fresh);
}

Result<LogoutTokenClaims> OidcProvider::verifyLogoutToken(std::string_view token) {
  auto meta = metadata_.discovery();
  if (!meta) {
    return meta.error();
  }
  LogoutTokenExpectations expect;
  expect.issuer = (*meta)->issuer;
  expect.client_id = client_id_;
  expect.now = clock_.now();
  return withKeys(token, [&](std::string_view compact, const JwkSet& set) {
    return latchkey::verifyLogoutToken(compact, set, expect);
  });
}

// OIDC Core §5.3.3: a UserInfo error is a Bearer token error (RFC 6750 §3.1): 401 with
// invalid_token when the token was revoked or expired, which for us means the provider no
// longer vouches for the session.
Status OidcProvider::checkAccessToken(const std::string& access_token, std::string_view sub) {
  auto meta = metadata_.discovery();
  if (!meta) {
    return meta.error();
  }
  if ((*meta)->userinfo_endpoint.empty()) {
    return makeError(Errc::kRevalidationFailed, "discovery lists no userinfo_endpoint");
  }
  if (access_token.empty()) {
    return makeError(Errc::kRevalidationFailed, "the session keeps no access token");
  }
  HttpRequest request;
  request.endpoint = ProviderEndpoint::kUserinfo;
  request.url = (*meta)->userinfo_endpoint;
  request.headers.emplace_back("Authorization", "Bearer " + access_token);
  auto response = http_.send(request);
  if (!response) {
    return response.error();
  }
  if (response->status == 401 || response->status == 403) {
    return makeError(Errc::kRevalidationFailed,
                     "userinfo answered " + std::to_string(response->status));
  }
  if (response->status != 200) {
    return makeError(Errc::kProviderBadResponse,
                     "userinfo answered " + std::to_string(response->status));
  }
  rapidjson::Document doc;
  if (!json::parseObject(response->body, doc)) {
    return makeError(Errc::kProviderBadResponse, "userinfo answer is not a JSON object");
  }
  if (json::getString(doc, "sub") != std::optional<std::string_view>(sub)) {
    return makeError(Errc::kRevalidationFailed, "userinfo sub is not the session's subject");
  }
  return {};
}

Status OidcProvider::addUserinfo(const OidcDiscovery& meta, const std::string& access_token,
                                 Identity& identity) {
  HttpRequest request;
  request.endpoint = ProviderEndpoint::kUserinfo;
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
      EmailVerifiedReading verified = readEmailVerified(doc, "the userinfo answer");
      identity.email_verified = verified.verified;
      identity.email_verified_problem = std::move(verified.problem);
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
  expect.trusted_audiences = trusted_audiences_;
  expect.max_age_seconds = id_token_max_age_;
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

// RFC 9207 §2.4: the authorization response names the issuer that made it, so a response
// from another provider (mix-up attack) is refused before its code goes anywhere.
Status checkCallbackIssuer(const OidcDiscovery& meta, const std::optional<std::string>& iss) {
  if (!iss) {
    if (meta.iss_parameter_supported) {
      return makeError(Errc::kCallbackIssuerMismatch,
                       "the provider sends iss on the callback (RFC 9207), but none came");
    }
    return {};
  }
  // A multi-tenant issuer template names no one issuer to compare with; the ID token's iss
  // is checked against the template instead.
  if (*iss != meta.issuer && !meta.issuer_is_tenant_template) {
    return makeError(Errc::kCallbackIssuerMismatch, "callback iss \"" + sanitizeForLog(*iss, 100) +
                                                        "\" is not the issuer \"" +
                                                        sanitizeForLog(meta.issuer, 100) + "\"");
  }
  return {};
}

Result<SignIn> OidcProvider::redeemCode(const CodeRedemption& redemption) {
  auto meta = metadata_.discovery();
  if (!meta) {
    return meta.error();
  }
  if (Status issuer = checkCallbackIssuer(**meta, redemption.iss); !issuer) {
    return issuer.error();
  }
  // RFC 6749 §4.1.3 with RFC 7636 §4.5: redirect_uri exactly as sent in the authorization
  // request, and the PKCE verifier.
  auto request = tokenRequest(**meta, {{"grant_type", "authorization_code"},
                                       {"code", redemption.code},
                                       {"redirect_uri", redirect_uri_},
                                       {"code_verifier", redemption.code_verifier}});
  if (!request) {
    return request.error();
  }
  auto response = http_.send(*request);
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
  sign_in.identity.email_verified_problem = claims->email_verified_problem;
  sign_in.identity.name = claims->name;
  sign_in.identity.picture = claims->picture;
  sign_in.identity.hosted_domain = claims->hd;
  const bool has_groups = addTokenFacts(claims->payload_json, sign_in.identity.facts);
  if ((sign_in.identity.email.empty() || sign_in.identity.name.empty() ||
       (!has_groups && userinfo_for_groups_)) &&
      !(*meta)->userinfo_endpoint.empty()) {
    Status added = addUserinfo(**meta, tokens->access_token, sign_in.identity);
    // Without an e-mail the sign-in cannot go on; a missing name alone is not worth failing.
    if (!added &&
        (added.error().code == Errc::kUserinfoSubjectMismatch || sign_in.identity.email.empty())) {
      return added.error();
    }
  }
  sign_in.tokens = tokenSet(*tokens, clock_.now());
  sign_in.id_token = tokens->id_token;
  sign_in.provider_sid = claims->sid;
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
  auto request =
      tokenRequest(**meta, {{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}});
  if (!request) {
    return request.error();
  }
  auto response = http_.send(*request);
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

Result<std::string> OidcProvider::endSessionUrl(const EndSessionRequest& request) {
  auto meta = metadata_.discovery();
  if (!meta) {
    return meta.error();
  }
  const std::string& endpoint = (*meta)->end_session_endpoint;
  if (endpoint.empty()) {
    return makeError(Errc::kProviderBadResponse, "discovery lists no end_session_endpoint");
  }
  // RP-Initiated Logout 1.0 §2: id_token_hint RECOMMENDED; client_id as well, so the
  // provider can check post_logout_redirect_uri against this client's registration even
  // without the hint.
  FormFields fields = {{"client_id", client_id_},
                       {"post_logout_redirect_uri", request.post_logout_redirect_uri}};
  if (!request.id_token_hint.empty()) {
    fields.push_back({"id_token_hint", request.id_token_hint});
  }
  return endpoint + (endpoint.find('?') == std::string::npos ? '?' : '&') + formBody(fields);
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
  auto request = clientRequest(
      **meta, (*meta)->revocation_endpoint, revocationAuthMethod(**meta),
      {{"token", token}, {"token_type_hint", use_refresh ? "refresh_token" : "access_token"}});
  // Best effort (RFC 7009 §2.2): sign-out goes on whatever the provider answers.
  if (request) {
    request->endpoint = ProviderEndpoint::kRevocation;
    (void)http_.send(*request);
  }
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
  const std::string method = authMethodName(authMethod(**meta));
  auto request = tokenRequest(**meta, {{"grant_type", "authorization_code"},
                                       {"code", "latchkey-check-invalid-code"},
                                       {"redirect_uri", redirect_uri_},
                                       {"code_verifier", kCheckVerifier}});
  if (!request) {
    return fail(request.error(), "cannot authenticate with " + method);
  }
  auto response = http_.send(*request);
  if (!response) {
    return fail(response.error(), "token endpoint " + (*meta)->token_endpoint + " unreachable");
  }
  const CheckVerdict verdict = judgeCheckAnswer(*response);
  switch (verdict.kind) {
    case CheckVerdict::kClientRefused:
      return fail(
          makeError(Errc::kTokenEndpointRefusedClient, verdict.detail + ", using " + method),
          "the token endpoint refused the client: " +
              std::string(method == "private_key_jwt"
                              ? "wrong client_id, or the provider does not know the public key of "
                                "client_private_key_file (or client_key_id)"
                              : "wrong client_id or client_secret"));
    case CheckVerdict::kUnexpected:
      return fail(makeError(Errc::kProviderBadResponse, verdict.detail),
                  "unexpected answer from the token endpoint " + (*meta)->token_endpoint);
    case CheckVerdict::kClientAccepted:
    case CheckVerdict::kClientAcceptedOffStandard:
      break;
  }
  lines += "token endpoint: " + (*meta)->token_endpoint + ", using " + method +
           ", accepted the client credentials\n";
  if (verdict.kind == CheckVerdict::kClientAcceptedOffStandard) {
    lines += "note: for a code that cannot exist the token endpoint " + verdict.detail +
             ", not RFC 6749 section 5.2's 400 invalid_grant; the provider answers off-standard, "
             "which latchkey tolerates\n";
  }
  lines += checkNotes(**meta);
  lines += register_line;
  return lines;
}

// What --check can see of problems that only show up at sign-in.
std::string OidcProvider::checkNotes(const OidcDiscovery& meta) const {
  std::string notes;
  const std::string method = authMethodName(authMethod(meta));
  if (auth_method_ != TokenAuthMethod::kAuto && !meta.auth_methods.empty() &&
      std::find(meta.auth_methods.begin(), meta.auth_methods.end(), method) ==
          meta.auth_methods.end()) {
    notes += "note: token_endpoint_auth_method is " + method +
             ", which the discovery document does not list in "
             "token_endpoint_auth_methods_supported\n";
  }
  if (meta.issuer_is_tenant_template) {
    notes += "issuer: multi-tenant template " + meta.issuer + "; ID tokens accepted only from " +
             std::to_string(allowed_tenants_.size()) + " tenant(s) of allowed_tenants\n";
  }
  // OIDC Core §5.4: the email scope asks for email and email_verified.
  if (!asks_email_) {
    notes +=
        "note: scopes lack email, so the provider may send neither email nor "
        "email_verified; add email to scopes\n";
  }
  if (!meta.claims_supported.empty() &&
      std::find(meta.claims_supported.begin(), meta.claims_supported.end(), "email_verified") ==
          meta.claims_supported.end()) {
    notes +=
        "note: the discovery document's claims_supported lacks the email_verified claim, "
        "so sign-ins may be refused as having no verified e-mail; make the provider "
        "release email_verified as a JSON boolean for this client (see the README's "
        "Provider notes)\n";
  }
  return notes;
}

}  // namespace

std::unique_ptr<IdentityProvider> makeOidcProvider(const Config& config, HttpClient& http,
                                                   const Clock& clock) {
  return std::make_unique<OidcProvider>(config, http, clock);
}

}  // namespace latchkey
