// What the handlers need from a provider: the authorization URL, redeeming a code into a
// verified identity, refresh, revocation and a start-up check. Implementations: OIDC
// (discovery, google = OIDC with Google's issuer) and GitHub (plain OAuth 2.0).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "latchkey/clock.h"
#include "latchkey/config.h"
#include "latchkey/http_client.h"
#include "latchkey/result.h"

namespace latchkey {

struct AuthorizationRequest {
  std::string state;
  std::string nonce;
  std::string code_challenge;  // S256
};

struct CodeRedemption {
  std::string code;
  std::string code_verifier;
  std::string nonce;  // expected in the ID token
};

struct TokenSet {
  std::string access_token;
  std::string refresh_token;  // may be empty
  int64_t access_expires_at = 0;  // now + expires_in; 0 when the provider gave none
};

struct Identity {
  std::string sub;
  std::string email;
  bool email_verified = false;
  std::string name;
  std::string picture;
  // When email_verified was absent or not a boolean: which claim and where, for the site
  // owner's part of a refusal (empty otherwise).
  std::string email_verified_problem = {};
};

struct SignIn {
  Identity identity;
  TokenSet tokens;
  std::string id_token = {};  // the compact ID token as received (OIDC); empty for GitHub
};

// RP-Initiated Logout 1.0 §2.
struct EndSessionRequest {
  std::string id_token_hint;  // may be empty: client_id then says who asks
  std::string post_logout_redirect_uri;
};

class IdentityProvider {
 public:
  virtual ~IdentityProvider() = default;

  // Full URL of the authorization endpoint with response_type=code, client_id, the exact
  // redirect_uri, scope, state, nonce (OIDC), code_challenge and code_challenge_method=S256.
  // May need discovery: errors kDiscoveryFailed / kProviderUnreachable / ...
  virtual Result<std::string> authorizationUrl(const AuthorizationRequest& request) = 0;

  // Exchanges the code exactly once at the token endpoint, validates the ID token (OIDC)
  // or fetches /user and /user/emails (GitHub), calls userinfo when the e-mail is missing.
  virtual Result<SignIn> redeemCode(const CodeRedemption& redemption) = 0;

  // grant_type=refresh_token. A refresh token the provider does not rotate is kept.
  virtual Result<TokenSet> refresh(const std::string& refresh_token) = 0;

  // RFC 7009 revocation when the provider advertises an endpoint; best effort.
  virtual void revoke(const TokenSet& tokens) = 0;

  // --check: reach discovery and JWKS, then redeem a deliberately invalid code to learn
  // whether the client credentials are accepted. Returns human-readable lines; error when
  // something is wrong.
  virtual Result<std::string> check() = 0;

  // The provider's end_session_endpoint with the request's parameters, for sign-out to
  // continue at the provider. Error when the provider has none (GitHub, Google).
  virtual Result<std::string> endSessionUrl(const EndSessionRequest&) {
    return makeError(Errc::kProviderBadResponse, "the provider has no end_session_endpoint");
  }
};

std::unique_ptr<IdentityProvider> makeIdentityProvider(const Config& config, HttpClient& http,
                                                       const Clock& clock);

}  // namespace latchkey
