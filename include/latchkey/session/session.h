// The session and login-state cookies: versioned, HMAC-SHA256-authenticated values with
// their own expiry; token fields encrypted with AES-256-GCM.
//
// Wire form:  v1.<payload>.<base64url(hmac)>  where  payload = <b64url(json)>.<b64url(sealed)>
// json holds the readable claims and the expiry; sealed (empty when there is nothing secret)
// is AES-256-GCM over the tokens / PKCE verifier and nonce. The MAC covers
// "latchkey|v1|<purpose>|<payload>", i.e. every byte, so a login cookie can never be
// replayed as a session cookie. MAC and encryption keys are derived with HKDF from the
// cookie secret and the deployment (CookieScope), once, at construction. Treat the value as
// opaque outside session.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "latchkey/config/config.h"
#include "latchkey/util/result.h"

namespace latchkey {

// Longer values are refused before any work (browsers keep at most 4096 bytes per cookie).
constexpr size_t kMaxCookieValueBytes = 4096;

struct Session {
  // Random id naming this session in the store's revocation list; empty in cookies sealed
  // before sessions had ids (those can only be ended with the subject's mark).
  std::string sid;
  std::string sub;
  std::string email;
  bool email_verified = false;
  std::string name;
  std::string picture;
  int64_t issued_at = 0;
  int64_t expires_at = 0;  // session end (issued_at + session_lifetime)
  // Secrets: only ever stored encrypted.
  std::string access_token;
  std::string refresh_token;
  int64_t access_expires_at = 0;  // 0 = unknown / never refreshed
  // SHA-256 of the facts cookies (session_facts.h); empty when the session has no facts.
  std::string facts_digest;
  // With several providers: the name (Config::provider_id) of the one that signed this
  // session in; it selects that provider's rules, refresh and sign-out. Empty with one.
  std::string provider;
  // providerSidMark() of the ID token's sid: a back-channel logout token naming that sid
  // ends this session. Empty when the provider sent no sid.
  std::string provider_sid;
  // When the provider last vouched for the session (revalidate_seconds); 0 = at issued_at.
  int64_t checked_at = 0;
};

// The revocation-list entry that ends every session of one provider session: "op:" and a
// base64url SHA-256 prefix of the provider's sid (fixed size in the cookie; our own sids
// never contain ':', so the two kinds of entry cannot collide).
std::string providerSidMark(std::string_view provider_sid);

struct LoginState {
  std::string state;
  std::string nonce;
  std::string code_verifier;
  std::string return_to;  // already validated local path
  int64_t expires_at = 0;
  std::string provider;  // with several providers: whose flow this is (Config::provider_id)
};

// The deployment a cookie belongs to. It is part of the key derivation, so two deployments
// that share a cookie secret never accept each other's cookies, and a change of provider,
// issuer, client or cookie name ends every session made before it. With several providers
// one scope covers them all (built from the list sorted by name, so reordering the buttons
// changes nothing): a cookie then opens whichever provider made it, and its provider field
// picks the rules; adding, removing or changing a provider ends every session.
struct CookieScope {
  std::string provider;  // "google", "github", "oidc"
  std::string issuer;
  std::string client_id;
  std::string cookie_name;
};
CookieScope cookieScope(const Config& config);

class CookieCodec {
 public:
  // current: bytes of cookie_secret; previous: cookie_secret_previous (verify only). Both
  // derive their keys under the same scope.
  CookieCodec(std::string_view current, std::optional<std::string_view> previous,
              const CookieScope& scope);
  ~CookieCodec();
  CookieCodec(const CookieCodec&) = delete;
  CookieCodec& operator=(const CookieCodec&) = delete;

  // Always with the current secret.
  std::string sealSession(const Session& session) const;
  // Checks version, MAC (constant time, current then previous secret), expiry against now,
  // and decrypts the token fields. Any failure: kCookieMalformed / kCookieBadSignature /
  // kCookieExpired; never a partially filled Session.
  Result<Session> openSession(std::string_view value, int64_t now) const;
  // Identity only, tokens left encrypted and empty: the /auth fast path.
  Result<Session> openSessionIdentity(std::string_view value, int64_t now) const;
  // For sign-out only: like openSession, but a session that ended less than
  // kRevocationGraceSeconds ago still opens, so its provider tokens can be revoked.
  static constexpr int64_t kRevocationGraceSeconds = 3600;
  Result<Session> openSessionForRevocation(std::string_view value, int64_t now) const;

  // Login state; nonce and code_verifier are encrypted, state and return_to readable.
  // Same errors as openSession (an expired one is kCookieExpired).
  std::string sealLogin(const LoginState& login) const;
  Result<LoginState> openLogin(std::string_view value, int64_t now) const;

  // A secret kept outside the cookie (in the session store): AES-256-GCM under the token key,
  // bound to `label`, base64url. open tries the current then the previous secret.
  Result<std::string> sealValue(std::string_view label, std::string_view plain) const;
  std::optional<std::string> openValue(std::string_view label, std::string_view sealed) const;

 private:
  struct Keys;
  std::unique_ptr<Keys> current_;
  std::unique_ptr<Keys> previous_;
};

// Cookie names and Set-Cookie values (README "Security model").
struct CookieNames {
  std::string session;       // cookie_name (default latchkey / __Host-latchkey)
  std::string login_prefix;  // "latchkey-login-" / "__Secure-latchkey-login-"
};
CookieNames cookieNames(const Config& config);

// Name of the login cookie for one sign-in flow: the prefix plus a short id derived from
// the state, so two tabs signing in at once each keep their own cookie.
std::string loginCookieName(const Config& config, std::string_view state);

// "name=value; Path=/; Max-Age=N; HttpOnly; SameSite=Lax[; Secure]" (Max-Age < 0 → 0)
std::string sessionSetCookie(const Config& config, std::string_view value, int64_t max_age);
std::string sessionClearCookie(const Config& config);
// Another cookie beside the session one (same Path, flags and lifetime rules).
std::string sessionPartSetCookie(const Config& config, std::string_view name,
                                 std::string_view value, int64_t max_age);
// Login cookies live under <base_path>/login so they reach /login and /login/authorized only.
std::string loginSetCookie(const Config& config, std::string_view name, std::string_view value,
                           int64_t max_age);
std::string loginClearCookie(const Config& config, std::string_view name);

// "Just signed out": a short-lived flag, set by /logout, so the landing page can say "You
// have signed out" and a gate (nginx/protect.conf: $cookie_latchkey_signed_out) can show
// that page instead of starting a sign-in the provider would complete at once. It carries
// no secret and grants nothing; its name has no '-' so nginx can read it as a variable.
inline constexpr std::string_view kSignedOutFlagCookie = "latchkey_signed_out";
inline constexpr int64_t kSignedOutFlagSeconds = 300;
std::string signedOutFlagSetCookie(const Config& config);
std::string signedOutFlagClearCookie(const Config& config);

}  // namespace latchkey
