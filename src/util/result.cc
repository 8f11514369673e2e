// Stable snake_case names for Errc: the "reason" field of log lines, which operators grep
// and alert on, so a name never changes once released.
#include "latchkey/util/result.h"

namespace latchkey {

// No default case: -Wswitch (in -Wall) makes adding an Errc without a name a build error.
std::string_view errcName(Errc code) {
  switch (code) {
    case Errc::kBadRequest:
      return "bad_request";
    case Errc::kHeadersTooLarge:
      return "headers_too_large";
    case Errc::kBodyTooLarge:
      return "body_too_large";
    case Errc::kCookieMalformed:
      return "cookie_malformed";
    case Errc::kCookieBadSignature:
      return "cookie_bad_signature";
    case Errc::kCookieExpired:
      return "cookie_expired";
    case Errc::kLoginCookieMissing:
      return "login_cookie_missing";
    case Errc::kLoginExpired:
      return "login_expired";
    case Errc::kStateMissing:
      return "state_missing";
    case Errc::kStateMismatch:
      return "state_mismatch";
    case Errc::kCodeMissing:
      return "code_missing";
    case Errc::kProviderReturnedError:
      return "provider_returned_error";
    case Errc::kCallbackIssuerMismatch:
      return "callback_issuer_mismatch";
    case Errc::kProviderUnreachable:
      return "provider_unreachable";
    case Errc::kProviderBadResponse:
      return "provider_bad_response";
    case Errc::kProviderTlsFailure:
      return "provider_tls_failure";
    case Errc::kDiscoveryFailed:
      return "discovery_failed";
    case Errc::kDiscoveryIssuerMismatch:
      return "discovery_issuer_mismatch";
    case Errc::kJwksInvalid:
      return "jwks_invalid";
    case Errc::kTokenEndpointRefusedClient:
      return "token_endpoint_refused_client";
    case Errc::kTokenEndpointRefusedGrant:
      return "token_endpoint_refused_grant";
    case Errc::kTokenResponseInvalid:
      return "token_response_invalid";
    case Errc::kProviderBusy:
      return "provider_busy";
    case Errc::kIdTokenMalformed:
      return "id_token_malformed";
    case Errc::kIdTokenAlgNotAllowed:
      return "id_token_alg_not_allowed";
    case Errc::kIdTokenUnknownKid:
      return "id_token_unknown_kid";
    case Errc::kIdTokenBadSignature:
      return "id_token_bad_signature";
    case Errc::kIdTokenIssuerMismatch:
      return "id_token_issuer_mismatch";
    case Errc::kIdTokenAudienceMismatch:
      return "id_token_audience_mismatch";
    case Errc::kIdTokenAzpMismatch:
      return "id_token_azp_mismatch";
    case Errc::kIdTokenExpired:
      return "id_token_expired";
    case Errc::kIdTokenIssuedInFuture:
      return "id_token_issued_in_future";
    case Errc::kIdTokenTooOld:
      return "id_token_too_old";
    case Errc::kIdTokenNonceMismatch:
      return "id_token_nonce_mismatch";
    case Errc::kIdTokenMissingClaim:
      return "id_token_missing_claim";
    case Errc::kUserinfoFailed:
      return "userinfo_failed";
    case Errc::kUserinfoSubjectMismatch:
      return "userinfo_subject_mismatch";
    case Errc::kNoVerifiedEmail:
      return "no_verified_email";
    case Errc::kEmailNotVerified:
      return "email_not_verified";
    case Errc::kEmailNotAllowed:
      return "email_not_allowed";
    case Errc::kAccessDenied:
      return "access_denied";
    case Errc::kFactsTooLarge:
      return "facts_too_large";
    case Errc::kRuleSyntax:
      return "rule_syntax";
    case Errc::kBearerInvalid:
      return "bearer_invalid";
    case Errc::kHostedDomainMismatch:
      return "hosted_domain_mismatch";
    case Errc::kRefreshFailed:
      return "refresh_failed";
    case Errc::kSessionRevoked:
      return "session_revoked";
    case Errc::kStoreUnavailable:
      return "store_unavailable";
    case Errc::kLogoutTokenInvalid:
      return "logout_token_invalid";
    case Errc::kLogoutTokenReplayed:
      return "logout_token_replayed";
    case Errc::kRevalidationFailed:
      return "revalidation_failed";
    case Errc::kTemplateInvalid:
      return "template_invalid";
    case Errc::kCryptoFailure:
      return "crypto_failure";
    case Errc::kInternal:
      return "internal";
  }
  return "unknown";  // only for a value outside the enum
}

}  // namespace latchkey
