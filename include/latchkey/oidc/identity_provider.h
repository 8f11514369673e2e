// What the handlers need from a provider: the authorization URL, redeeming a code into a
// verified identity, refresh, revocation and a start-up check. Implementations: OIDC
// (discovery, google = OIDC with Google's issuer) and GitHub (plain OAuth 2.0).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "latchkey/config/config.h"
#include "latchkey/net/http_client.h"
#include "latchkey/oidc/logout_token.h"
#include "latchkey/session/facts.h"
#include "latchkey/util/clock.h"
#include "latchkey/util/result.h"

namespace latchkey {

struct AuthorizationRequest {
  std::string state;
  std::string nonce;
  std::string code_challenge;  // S256
  // "Use another account": ask the provider to let the visitor pick or type an account
  // instead of silently reusing the one it is signed in with (OIDC Core §3.1.2.1 prompt).
  bool choose_account = false;
};

struct CodeRedemption {
  std::string code;
  std::string code_verifier;
  std::string nonce;                 // expected in the ID token
  std::optional<std::string> iss{};  // the callback's iss parameter (RFC 9207), when sent
};

struct TokenSet {
  std::string access_token;
  std::string refresh_token;      // may be empty
  int64_t access_expires_at = 0;  // now + expires_in; 0 when the provider gave none
};

struct Identity {
  std::string sub;
  std::string email;
  bool email_verified = false;
  std::string name;
  std::string picture;
  std::string hosted_domain{};  // Google's hd claim: the Workspace domain; empty otherwise
  // When email_verified was absent or not a boolean: which claim and where, for the site
  // owner's part of a refusal (empty otherwise).
  std::string email_verified_problem = {};
  Facts facts{};  // groups and other claims, for access rules
};

// Limits that keep every identity inside one cookie (browsers keep about 4 KB) together with
// the rest of the session: a long profile is shortened, never refused.
constexpr size_t kMaxSubBytes = 255;    // OIDC Core §2
constexpr size_t kMaxEmailBytes = 254;  // RFC 5321 §4.5.3.1 path limit minus the brackets
constexpr size_t kMaxNameBytes = 256;
constexpr size_t kMaxPictureBytes = 512;

// The one check every identity passes, whatever its source (ID token, userinfo, GitHub API),
// before it reaches a cookie, a header or a page. sub must be 1..kMaxSubBytes characters and
// e-mail at most kMaxEmailBytes, neither with control characters: otherwise
// kProviderBadResponse. Control characters in name become spaces and a long name is cut at a
// UTF-8 character boundary; a picture with control characters, longer than
// kMaxPictureBytes or not an http(s) URL is dropped. hosted_domain is lower-cased.
Result<Identity> validatedIdentity(Identity identity);

struct SignIn {
  Identity identity;
  TokenSet tokens;
  std::string id_token = {};  // the compact ID token as received (OIDC); empty for GitHub
  // The ID token's sid (Back-Channel Logout 1.0 §2.1): a logout token may name it later.
  std::string provider_sid = {};
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
  // OIDC first checks the callback's iss (RFC 9207 §2.4): it must equal the issuer when
  // sent, and must be sent when discovery says so; else kCallbackIssuerMismatch and the code
  // is never redeemed.
  virtual Result<SignIn> redeemCode(const CodeRedemption& redemption) = 0;

  // grant_type=refresh_token. A refresh token the provider does not rotate is kept.
  virtual Result<TokenSet> refresh(const std::string& refresh_token) = 0;

  // RFC 7009 revocation when the provider advertises an endpoint; best effort.
  virtual void revoke(const TokenSet& tokens) = 0;

  // --check: reach discovery and JWKS, then redeem a deliberately invalid code to learn
  // whether the client credentials are accepted. Returns human-readable lines; error when
  // something is wrong.
  virtual Result<std::string> check() = 0;

  // An API client's Authorization: Bearer JWT, verified like an ID token against the
  // provider's keys (no nonce; aud is client_id or one of `audiences`). The identity and
  // facts of its claims, or kBearerInvalid / the ID token error naming what failed.
  virtual Result<Identity> verifyBearer(std::string_view token,
                                        const std::vector<std::string>& audiences,
                                        int64_t& expires_at);
  // The provider's end_session_endpoint with the request's parameters, for sign-out to
  // continue at the provider. Error when the provider has none (GitHub, Google).
  virtual Result<std::string> endSessionUrl(const EndSessionRequest&) {
    return makeError(Errc::kProviderBadResponse, "the provider has no end_session_endpoint");
  }
  // Back-Channel Logout 1.0 §2.6: the token verified against the provider's keys (an
  // unknown kid refetches them once, rate-limited). Not the jti replay check (the caller's).
  // kLogoutTokenInvalid for a provider that issues no ID tokens (GitHub).
  virtual Result<LogoutTokenClaims> verifyLogoutToken(std::string_view) {
    return makeError(Errc::kLogoutTokenInvalid, "this provider issues no logout tokens");
  }
  // Re-validation of a session that has no refresh token: does the provider still accept its
  // access token for this subject (OIDC: userinfo)? Ok; kRevalidationFailed when the
  // provider says no (401: token revoked or expired, user removed; another subject); any
  // other error when it could not be asked (unreachable, 5xx, busy).
  virtual Status checkAccessToken(const std::string&, std::string_view) {
    return makeError(Errc::kRevalidationFailed, "this provider offers no way to check a token");
  }
};

std::unique_ptr<IdentityProvider> makeIdentityProvider(const Config& config, HttpClient& http,
                                                       const Clock& clock);

}  // namespace latchkey
