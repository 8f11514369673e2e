// Errors as values for everything untrusted input or a flaky peer can cause.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace latchkey {

// Every failure the request path can meet. Each names the check that failed, so a
// handler can pick the status and the page, and the log can say exactly what went wrong.
enum class Errc {
  // request shape
  kBadRequest,
  kHeadersTooLarge,
  kBodyTooLarge,
  // cookies
  kCookieMalformed,
  kCookieBadSignature,
  kCookieExpired,
  // sign-in callback
  kLoginCookieMissing,
  kLoginExpired,
  kStateMissing,
  kStateMismatch,
  kCodeMissing,
  kProviderReturnedError,   // error= on the callback
  kCallbackIssuerMismatch,  // RFC 9207: iss on the callback missing or not our issuer
  // talking to the provider
  kProviderUnreachable,  // connect refused, DNS, TLS failure, timeout
  kProviderBadResponse,  // 5xx, not JSON, too large, wrong types
  kProviderTlsFailure,   // certificate not trusted
  kDiscoveryFailed,
  kDiscoveryIssuerMismatch,
  kJwksInvalid,
  kTokenEndpointRefusedClient,  // invalid_client / unauthorized_client
  kTokenEndpointRefusedGrant,   // invalid_grant: code used, expired or for another client
  kTokenResponseInvalid,        // missing access_token / id_token / token_type
  kProviderBusy,                // too many provider calls in flight here; nothing was sent
  // ID token (OpenID Connect Core 3.1.3.7)
  kIdTokenMalformed,
  kIdTokenAlgNotAllowed,
  kIdTokenUnknownKid,
  kIdTokenBadSignature,
  kIdTokenIssuerMismatch,
  kIdTokenAudienceMismatch,
  kIdTokenAzpMismatch,
  kIdTokenExpired,
  kIdTokenIssuedInFuture,
  kIdTokenTooOld,  // iat further in the past than id_token_max_age
  kIdTokenNonceMismatch,
  kIdTokenMissingClaim,
  // user info and policy
  kUserinfoFailed,
  kUserinfoSubjectMismatch,
  kNoVerifiedEmail,
  kEmailNotVerified,
  kEmailNotAllowed,
  kAccessDenied,          // a group / organisation / claim rule failed (detail: the rule)
  kFactsTooLarge,         // too many groups and claims to keep in cookies
  kRuleSyntax,            // a per-location rule in /auth's query is malformed
  kBearerInvalid,         // an Authorization: Bearer token failed verification
  kHostedDomainMismatch,  // Google: hd claim absent or not one of allowed_domains
  // sessions
  kRefreshFailed,
  kSessionRevoked,       // logged out, or the user's sessions were ended
  kStoreUnavailable,     // the session store cannot be reached or answered an error
  kLogoutTokenInvalid,   // events, sid/sub or nonce of a back-channel logout token is wrong
  kLogoutTokenReplayed,  // a logout token's jti was seen before
  kRevalidationFailed,   // the provider no longer accepts the session's token
  // start-up
  kTemplateInvalid,  // a page template (built-in or templates_dir) that cannot be used
  // internal
  kCryptoFailure,
  kInternal,
};

// Short stable name of an Errc, used as the "reason" in log lines ("state_mismatch").
std::string_view errcName(Errc code);

// An error: the code decides the answer; detail is for the log only and must never
// carry a secret, token, code or cookie value.
struct Error {
  Errc code;
  std::string detail;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool has_value() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return has_value(); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const Error& error() const { return std::get<Error>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_{Errc::kInternal, {}};
  bool ok_ = true;
};

inline Error makeError(Errc code, std::string detail = {}) {
  return Error{code, std::move(detail)};
}

}  // namespace latchkey
