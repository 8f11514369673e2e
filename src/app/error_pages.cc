// Every refusal names the check that failed in words a site owner understands, and says
// what to do about it. Users of other tools get "state not equal" and no clue.
#include "latchkey/app/error_pages.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "latchkey/util/text.h"

namespace latchkey {
namespace {

ErrorPage providerError(const Error& error, const Config& config, const std::string& provider) {
  // detail holds the provider's error code (already validated as a short token).
  const std::string& code = error.detail;
  if (code == "access_denied") {
    return {403, "Sign-in was cancelled",
            "You cancelled the sign-in at " + provider +
                ", or did not allow this site to see your account.",
            "To continue, sign in again and choose Allow when " + provider + " asks."};
  }
  if (code == "redirect_uri_mismatch" || code == "invalid_redirect_uri") {
    return {502, "This site's sign-in is not set up correctly",
            provider +
                " did not accept the address this site asked it to send you back to "
                "(" +
                code + ").",
            "There is nothing you can do about it; please tell the site owner. Site owner: "
            "register exactly " +
                config.redirect_uri +
                " (redirect_uri in latchkey's "
                "configuration) as an authorized redirect URI of this client at " +
                provider + "."};
  }
  if (code == "invalid_client" || code == "unauthorized_client") {
    return {502, "This site's sign-in is not set up correctly",
            provider + " does not recognise this site (" + code + ").",
            "There is nothing you can do about it; please tell the site owner. Site owner: "
            "check client_id and client_secret in latchkey's configuration against the "
            "client registered at " +
                provider + " (latchkey --check tests them)."};
  }
  if (code == "login_required" || code == "interaction_required" || code == "consent_required" ||
      code == "account_selection_required") {
    return {401, "Please sign in at " + provider,
            provider + " needs you to sign in or confirm before it lets you in (" + code + ").",
            "Sign in again."};
  }
  if (code == "temporarily_unavailable" || code == "server_error") {
    return {502, provider + " could not complete the sign-in",
            provider + " reported a problem on its side (" + code + ").",
            "Wait a moment, then sign in again."};
  }
  return {401, provider + " refused the sign-in",
          provider + " answered with the error " + (code.empty() ? "(none given)" : code) + ".",
          "Sign in again. If it keeps happening, please tell the site owner. Site owner: the "
          "log line of this sign-in names the error; check the client's settings at " +
              provider + "."};
}

}  // namespace

ErrorPage errorPageFor(const Error& error, const Config& config) {
  const std::string provider = providerDisplayName(config);
  switch (error.code) {
    case Errc::kProviderReturnedError:
      return providerError(error, config, provider);
    case Errc::kStateMissing:
    case Errc::kCodeMissing:
    case Errc::kBadRequest:
      return {400, "This sign-in link is incomplete",
              "The address you arrived at lacks parts that a sign-in answer from " + provider +
                  " always carries.",
              "Sign in again from the start; do not bookmark or share sign-in addresses."};
    case Errc::kLoginCookieMissing:
      return {400, "Your browser did not keep the sign-in cookie",
              "The sign-in was started, but this browser did not send back the cookie that "
              "remembers it. Cookies may be blocked for this site, or the sign-in was "
              "finished in a different browser.",
              "Allow cookies for this site and sign in again in this browser. Site owner: "
              "the sign-in must start on the same host name as redirect_uri (" +
                  config.redirect_uri + ")."};
    case Errc::kLoginExpired:
      return {400, "The sign-in took too long",
              "A sign-in must be finished within 10 minutes of starting it, and this one was "
              "not, so it has been discarded for your safety.",
              "Sign in again; it only takes a moment."};
    case Errc::kStateMismatch:
      return {400, "This sign-in does not belong to this browser",
              "The answer from " + provider +
                  " is for a sign-in that was not started in this browser, or that was "
                  "already used (state mismatch).",
              "Sign in again. Do not reuse old sign-in links or the browser's back button."};
    case Errc::kCallbackIssuerMismatch:
      return {400, "This sign-in answer did not come from " + provider,
              "The answer names another sign-in provider than the one this sign-in was "
              "started with (RFC 9207 issuer check), so it was not used.",
              "Sign in again from this site's sign-in link."};
    case Errc::kTokenEndpointRefusedGrant:
      return {400, "This sign-in was already used or has expired",
              provider + " no longer accepts this sign-in's one-time code.", "Sign in again."};
    case Errc::kTokenEndpointRefusedClient:
      return {502, "This site's sign-in is not set up correctly",
              provider + " refused this site's client credentials (invalid_client).",
              "There is nothing you can do about it; please tell the site owner. Site owner: "
              "check client_id and client_secret (or client_secret_file) in latchkey's "
              "configuration against the client registered at " +
                  provider + "; latchkey --check tests them."};
    case Errc::kProviderUnreachable:
    case Errc::kDiscoveryFailed:
      return {502, provider + " is not answering",
              "This site needs " + provider + " to sign you in, but " + provider +
                  " is not answering right now: the connection was refused or timed out.",
              "Wait a moment and sign in again. Site owner: check the issuer URL, DNS and "
              "outgoing connections from this server; latchkey --check tries them."};
    case Errc::kProviderBusy:
      return {503, "Too many sign-ins at this moment",
              "This site is waiting on " + provider +
                  " for other visitors' sign-ins, and takes only so many at once so that "
                  "signed-in visitors keep being served.",
              "Try again at once (reload this page). Site owner: " + provider +
                  " is answering slowly or not at all; see latchkey's log (provider_busy)."};
    case Errc::kProviderTlsFailure:
      return {502, provider + " cannot be reached securely",
              "The TLS certificate of " + provider +
                  " could not be verified, so this site did not trust the connection.",
              "Wait a moment and sign in again. Site owner: check the provider URL, the "
              "server's clock and CA store, or set ca_file for a private CA."};
    case Errc::kProviderBadResponse:
    case Errc::kDiscoveryIssuerMismatch:
    case Errc::kJwksInvalid:
    case Errc::kTokenResponseInvalid:
    case Errc::kUserinfoFailed:
      return {502, provider + " gave an unusable answer",
              provider + " answered, but not with what this site needs to sign you in.",
              "Wait a moment and sign in again. Site owner: latchkey's log line of this "
              "sign-in says which answer was wrong."};
    case Errc::kIdTokenMalformed:
    case Errc::kIdTokenAlgNotAllowed:
    case Errc::kIdTokenUnknownKid:
    case Errc::kIdTokenBadSignature:
    case Errc::kIdTokenIssuerMismatch:
    case Errc::kIdTokenAudienceMismatch:
    case Errc::kIdTokenAzpMismatch:
    case Errc::kIdTokenExpired:
    case Errc::kIdTokenIssuedInFuture:
    case Errc::kIdTokenTooOld:
    case Errc::kIdTokenNonceMismatch:
    case Errc::kIdTokenMissingClaim:
    case Errc::kUserinfoSubjectMismatch:
      return {401, "Your identity could not be verified",
              "The proof of identity from " + provider + " failed a check (" +
                  std::string(errcName(error.code)) + "), so this site cannot trust it.",
              "Sign in again. Site owner: the log line names the check; a server clock that "
              "is far off also causes this."};
    case Errc::kNoVerifiedEmail:
    case Errc::kEmailNotVerified:
      return {403, "No verified e-mail address",
              "This site only lets people in whose e-mail address " + provider +
                  " has verified, and " + provider +
                  " did not confirm that for your account's address.",
              "Verify your e-mail address at " + provider +
                  ", then sign in again. Site owner: allow_unverified_email = true signs such "
                  "accounts in without passing their address on."};
    case Errc::kEmailNotAllowed: {
      ErrorPage page{403, "This account is not allowed in",
                     "You signed in as " + error.detail +
                         ", but that address is not on this site's list of allowed users, so "
                         "you are not signed in here.",
                     "Use another account, or ask the site owner to let this address in. "
                     "Site owner: add it to allowed_emails or its domain to allowed_domains."};
      page.next = NextStep::kOtherAccount;
      return page;
    }
    case Errc::kAccessDenied: {
      // detail: "rule: what; ask" from checkSitePolicy.
      const size_t colon = error.detail.find(": ");
      const size_t semi = error.detail.rfind("; ");
      const std::string rule = error.detail.substr(0, colon);
      const std::string what =
          colon == std::string::npos || semi == std::string::npos || semi < colon
              ? error.detail
              : error.detail.substr(colon + 2, semi - colon - 2);
      const std::string ask = semi == std::string::npos ? "" : error.detail.substr(semi + 2);
      ErrorPage page{
          403, "This account is not allowed in",
          "This site lets in only the people its rule " + rule + " allows, and " + what + ".",
          "To get in, " + ask + " (the rule is " + rule + ")."};
      page.next = NextStep::kOtherAccount;
      return page;
    }
    case Errc::kFactsTooLarge:
      return {403, "Too many groups to remember",
              "Your account has more groups and claims than this site can keep in cookies (" +
                  error.detail + ").",
              "Ask the site owner: fewer groups in the ID token (a filter at the provider), or "
              "groups_claim naming a smaller claim."};
    case Errc::kRuleSyntax:
      break;
    case Errc::kBearerInvalid:
      return {401, "Invalid token", error.detail, ""};
    case Errc::kHostedDomainMismatch: {
      ErrorPage page{403, "This account is not allowed in",
                     "You signed in as " + error.detail +
                         ", but Google does not report it as an account managed by one of this "
                         "site's allowed organisations.",
                     "Use your organisation's Google account."};
      page.next = NextStep::kOtherAccount;
      return page;
    }
    case Errc::kStoreUnavailable:
      return {503, "Sign-in is unavailable for a moment",
              "This site cannot reach its session store, so it cannot check sessions right now.",
              "Try again in a minute. Site owner: see latchkey's log and the session_store."};
    case Errc::kLogoutTokenInvalid:
    case Errc::kLogoutTokenReplayed:
      return {400, "Invalid logout token", error.detail, ""};
    case Errc::kRefreshFailed:
    case Errc::kRevalidationFailed:
    case Errc::kSessionRevoked:
    case Errc::kCookieMalformed:
    case Errc::kCookieBadSignature:
    case Errc::kCookieExpired:
      return {401, "Your session has ended", "You have been signed out.",
              "Sign in again to continue."};
    case Errc::kHeadersTooLarge:
      return {400, "Request too large",
              "Your browser sent more headers or cookies than this site accepts.",
              "Clear this site's cookies in your browser, then try again."};
    case Errc::kBodyTooLarge:
      return {413, "Request too large", "The request body is too large.", ""};
    case Errc::kTemplateInvalid:  // refused at start-up, never met by a request
    case Errc::kCryptoFailure:
    case Errc::kInternal:
      break;
  }
  return {500, "Something went wrong", "This site could not complete the request.",
          "Try again in a moment. Site owner: see latchkey's log."};
}

}  // namespace latchkey
