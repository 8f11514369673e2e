// Every refusal names the check that failed in words a site owner understands, and says
// what to do about it. Users of other tools get "state not equal" and no clue.
#include <cctype>
#include <string>

#include "latchkey/app.h"

namespace latchkey {
namespace {

ErrorPage providerError(const Error& error) {
  // detail holds the provider's error code (already validated as a short token).
  const std::string& code = error.detail;
  if (code == "access_denied") {
    return {403, "Sign-in was cancelled",
            "The provider reports that access was denied: the sign-in was cancelled or "
            "consent was not given.",
            "Try again and accept the request at the provider."};
  }
  if (code == "redirect_uri_mismatch" || code == "invalid_redirect_uri") {
    return {401, "Redirect URI not registered",
            "The provider refused the redirect URI (error: " + code + ").",
            "Site owner: register exactly the redirect_uri from latchkey's configuration at "
            "the provider (run latchkey --check to print it)."};
  }
  if (code == "invalid_client" || code == "unauthorized_client") {
    return {401, "The provider does not know this site",
            "The provider refused the client (error: " + code + ").",
            "Site owner: check client_id and client_secret in latchkey's configuration."};
  }
  if (code == "login_required" || code == "interaction_required" ||
      code == "consent_required") {
    return {401, "Sign-in needed at the provider",
            "The provider asks you to sign in again (error: " + code + ").", "Try again."};
  }
  return {401, "The provider refused the sign-in",
          "The provider answered with the error: " + (code.empty() ? "unknown" : code) + ".",
          "Try again. If it keeps happening, the site owner can look at the provider's "
          "settings for this client."};
}

}  // namespace

ErrorPage errorPageFor(const Error& error, const Config& config) {
  const std::string provider = providerDisplayName(config);
  switch (error.code) {
    case Errc::kProviderReturnedError:
      return providerError(error);
    case Errc::kStateMissing:
    case Errc::kCodeMissing:
    case Errc::kBadRequest:
      return {400, "Incomplete sign-in answer",
              "The address you arrived at lacks the parts a sign-in answer carries "
              "(code and state).",
              "Start the sign-in again from the start page."};
    case Errc::kLoginCookieMissing:
      return {400, "Sign-in cookie missing",
              "This browser did not send back the cookie set when the sign-in started.",
              "Allow cookies for this site and start again. Site owner: the sign-in must "
              "start on the same host name as redirect_uri."};
    case Errc::kLoginExpired:
      return {400, "The sign-in took too long",
              "Sign-ins must be finished within 10 minutes, and this one was not.",
              "Start the sign-in again."};
    case Errc::kStateMismatch:
      return {400, "Sign-in answer does not match",
              "The answer from " + provider +
                  " belongs to a sign-in that was not started in this browser, or was "
                  "already used (state mismatch).",
              "Start the sign-in again. Do not reuse old sign-in links."};
    case Errc::kTokenEndpointRefusedGrant:
      return {400, "Sign-in code refused",
              "The provider no longer accepts this sign-in's code: it was already used or "
              "has expired.",
              "Start the sign-in again."};
    case Errc::kTokenEndpointRefusedClient:
      return {502, "The provider refused this site's credentials",
              "The token endpoint of " + provider + " refused the client (invalid_client).",
              "Site owner: check client_id and client_secret (latchkey --check tests them)."};
    case Errc::kProviderUnreachable:
    case Errc::kDiscoveryFailed:
      return {502, "The sign-in provider cannot be reached",
              provider + " did not answer in time or refused the connection.",
              "Try again in a moment. Site owner: check the issuer URL and the network."};
    case Errc::kProviderTlsFailure:
      return {502, "The sign-in provider's certificate is not trusted",
              "The TLS certificate of " + provider + " could not be verified.",
              "Site owner: check the provider URL, or set ca_file for a private CA."};
    case Errc::kProviderBadResponse:
    case Errc::kDiscoveryIssuerMismatch:
    case Errc::kJwksInvalid:
    case Errc::kTokenResponseInvalid:
    case Errc::kUserinfoFailed:
      return {502, "The sign-in provider gave an unusable answer",
              provider + " answered, but not with what the sign-in needs.",
              "Try again later. Site owner: the log line says which answer was wrong."};
    case Errc::kIdTokenMalformed:
    case Errc::kIdTokenAlgNotAllowed:
    case Errc::kIdTokenUnknownKid:
    case Errc::kIdTokenBadSignature:
    case Errc::kIdTokenIssuerMismatch:
    case Errc::kIdTokenAudienceMismatch:
    case Errc::kIdTokenAzpMismatch:
    case Errc::kIdTokenExpired:
    case Errc::kIdTokenIssuedInFuture:
    case Errc::kIdTokenNonceMismatch:
    case Errc::kIdTokenMissingClaim:
    case Errc::kUserinfoSubjectMismatch:
      return {401, "The identity could not be verified",
              "The ID token from " + provider + " failed a check (" +
                  std::string(errcName(error.code)) + "), so it cannot be trusted.",
              "Try again. Site owner: the log line names the check; a clock far off on this "
              "server also causes this."};
    case Errc::kNoVerifiedEmail:
    case Errc::kEmailNotVerified:
      return {403, "No verified e-mail address",
              "This site admits people by e-mail address, and " + provider +
                  " did not confirm a verified one for your account.",
              "Verify your e-mail address at " + provider + ", then sign in again."};
    case Errc::kEmailNotAllowed:
      return {403, "This account is not allowed in",
              "The address " + error.detail + " is not on this site's list of allowed users.",
              "Sign in with another account, or ask the site owner to add this address."};
    case Errc::kRefreshFailed:
    case Errc::kCookieMalformed:
    case Errc::kCookieBadSignature:
    case Errc::kCookieExpired:
      return {401, "Your session has ended", "Please sign in again.", ""};
    case Errc::kHeadersTooLarge:
      return {400, "Request too large", "The request headers are too large.", ""};
    case Errc::kBodyTooLarge:
      return {413, "Request too large", "The request body is too large.", ""};
    case Errc::kCryptoFailure:
    case Errc::kInternal:
      break;
  }
  return {500, "Something went wrong", "latchkey could not complete the request.",
          "Try again. Site owner: see latchkey's log."};
}

Status checkEmailPolicy(const Config& config, std::string_view email, bool email_verified) {
  if (config.allowed_domains.empty() && config.allowed_emails.empty()) {
    return {};
  }
  // An unverified address proves nothing: anyone can type any address at some providers.
  if (email.empty() || !email_verified) {
    return makeError(Errc::kEmailNotVerified, std::string(email));
  }
  std::string lower(email);
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (const std::string& allowed : config.allowed_emails) {
    if (lower == allowed) {
      return {};
    }
  }
  const size_t at = lower.rfind('@');
  if (at != std::string::npos) {
    const std::string_view domain = std::string_view(lower).substr(at + 1);
    for (const std::string& allowed : config.allowed_domains) {
      if (domain == allowed) {
        return {};
      }
    }
  }
  return makeError(Errc::kEmailNotAllowed, std::string(email));
}

}  // namespace latchkey
