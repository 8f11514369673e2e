// GET /login/authorized: the OAuth callback. Checks, in order: provider error, state and
// code present, this flow's login cookie present, authentic and fresh, state equal (constant
// time), flow not already completed; then the provider redeems the code and verifies the
// identity; then the identity values are validated and bounded and the e-mail policy
// applied. Only then is a session issued. Every refusal is logged
// with its reason and answered with a page that says what to do; no session is set.
#include <optional>
#include <string>

#include "app/email_verified.h"
#include "app/session_access.h"
#include "latchkey/app/email_policy.h"
#include "latchkey/app/error_pages.h"
#include "latchkey/app/router.h"
#include "latchkey/session/replay_guard.h"
#include "latchkey/session/session_facts.h"
#include "latchkey/store/session_store.h"
#include "latchkey/util/crypto.h"
#include "latchkey/util/encoding.h"
#include "latchkey/util/log.h"
#include "latchkey/util/metrics.h"

namespace latchkey {
namespace {

// Browsers keep cookies to about 4 KB; beyond that one would be silently dropped.
constexpr size_t kMaxCookieBytes = 4000;

// The provider's error code is shown and logged: keep it to the RFC 6749 §4.1.2.1
// character set and a sane length, so it can carry nothing else.
std::string sanitizeErrorCode(std::string_view code) {
  std::string out;
  for (char c : code.substr(0, 64)) {
    if (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\') {
      out += c;
    }
  }
  return out;
}

// error_description is free text from whoever built the link: shown (escaped by the page
// template) and logged, but cut short and stripped of control characters.
std::string sanitizeDescription(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 300)) {
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  }
  return out;
}

struct Refusal {
  Error error;
  std::optional<std::string> clear_login_cookie;  // this flow's cookie, when known
};

// A callback that fails only because its flow is gone (the back button, a second tab),
// from a visitor whose session is valid: nothing is wrong, they can just go on.
bool alreadySignedIn(const Request& request, Deps& deps, Errc code) {
  if (code != Errc::kLoginCookieMissing && code != Errc::kStateMismatch) {
    return false;
  }
  const auto value = request.cookie(deps.cookie_names.session);
  if (!value) {
    return false;
  }
  const auto session = deps.cookies.openSessionIdentity(*value, deps.clock.now());
  return session && checkEmailPolicy(deps.config, session->email, session->email_verified);
}

// Where the failed flow was going, so "Sign in again" lands there; "" when unknown.
std::string flowReturnPath(const Request& request, Deps& deps, const Refusal& refusal) {
  if (!refusal.clear_login_cookie) {
    return {};
  }
  const auto value = request.cookie(*refusal.clear_login_cookie);
  if (!value) {
    return {};
  }
  const auto login = deps.cookies.openLogin(*value, deps.clock.now());
  return login ? login->return_to : std::string();
}

// provider_says: the error_description on the callback, when there was one; always logged
// (sanitised), shown on the page only with show_provider_text.
Response refuse(const Request& request, Deps& deps, const Refusal& refusal,
                const std::string& provider_says = {}, bool show_provider_text = false) {
  metrics().signInRefused(refusal.error.code);
  deps.log.log(LogLevel::kWarn, "sign_in_failed",
               {{"client", request.client_address},
                {"reason", errcName(refusal.error.code)},
                {"detail", refusal.error.detail},
                {"provider_says", provider_says}});
  ErrorPage page = errorPageFor(refusal.error, deps.config);
  if (show_provider_text) {
    page.provider_says = provider_says;
  }
  page.return_to = flowReturnPath(request, deps, refusal);
  if (alreadySignedIn(request, deps, refusal.error.code)) {
    page = {200, "You are already signed in",
            "This sign-in link was already used, and you are signed in.", ""};
    page.next = NextStep::kContinue;
  }
  Response response = deps.pages.error(page);
  if (refusal.clear_login_cookie) {
    response.addHeader("Set-Cookie", loginClearCookie(deps.config, *refusal.clear_login_cookie));
  }
  return response;
}

// The first completion of this flow, in this process and (with a store) in every process
// sharing it: CGI runs each callback in a new process, where the in-memory guard alone
// remembers nothing.
Result<bool> firstCompletion(Deps& deps, std::string_view state, int64_t expires_at, int64_t now) {
  if (!deps.used_states.firstUse(state, expires_at, now)) {
    return false;
  }
  if (deps.store == nullptr) {
    return true;
  }
  const auto digest = sha256(state);
  const std::string key =
      "state:" + base64UrlEncode({reinterpret_cast<const char*>(digest.data()), digest.size()});
  return deps.store->claimOnce(key, expires_at, now);
}

// For the id_token_hint of RP-initiated logout: the ID token is ~1 KB, too much for the cookie,
// so it waits in the store, encrypted, until the session ends. Without a store the provider
// gets client_id instead of the hint.
void keepIdToken(const Request& request, Deps& deps, const Session& session,
                 const std::string& id_token, int64_t now) {
  if (!deps.config.rp_initiated_logout || deps.store == nullptr || id_token.empty()) {
    return;
  }
  const Result<std::string> sealed = deps.cookies.sealValue("id_token", id_token);
  Status kept = sealed
                    ? deps.store->putValue("idt:" + session.sid, *sealed, session.expires_at, now)
                    : Status(sealed.error());
  if (!kept) {
    deps.log.log(LogLevel::kWarn, "id_token_not_kept",
                 {{"client", request.client_address}, {"detail", kept.error().detail}});
  }
}

bool anyLoginCookie(const Request& request, const CookieNames& names) {
  for (const auto& cookie : request.cookies) {
    if (cookie.first.starts_with(names.login_prefix)) {
      return true;
    }
  }
  return false;
}

// True when the login cookie for this state opens, is unexpired and holds exactly this state.
bool startedHere(const Request& request, Deps& deps, const std::string& cookie_name,
                 std::string_view state, int64_t now) {
  const auto value = request.cookie(cookie_name);
  if (!value) {
    return false;
  }
  auto login = deps.cookies.openLogin(*value, now);
  return login && constantTimeEquals(login->state, state);
}

// With several providers: the Deps of the provider whose flow this callback ends, read from
// the flow's login cookie (any failure to read it is reported by completeSignIn's own
// checks, with the site's Deps).
Deps& flowDeps(const Request& request, Deps& site) {
  const auto state = request.queryParam("state");
  if (site.providers == nullptr || !state) {
    return site;
  }
  const auto value = request.cookie(loginCookieName(site.config, *state));
  if (!value) {
    return site;
  }
  const auto login = site.cookies.openLogin(*value, site.clock.now());
  Deps* own = login ? providerDeps(site, login->provider) : nullptr;
  return own != nullptr ? *own : site;
}

Response completeSignIn(const Request& request, Deps& deps) {
  const int64_t now = deps.clock.now();
  const auto state = request.queryParam("state");
  const std::string cookie_name = state ? loginCookieName(deps.config, *state) : std::string();

  if (auto provider_error = request.queryParam("error")) {
    std::string code = sanitizeErrorCode(*provider_error);
    // Anyone can craft a link with error= and error_description=: the provider's words are
    // shown only for a sign-in this browser really started (its state matches a live login
    // cookie). Otherwise the page is generic and carries no text from the link.
    const bool ours = state && startedHere(request, deps, cookie_name, *state, now);
    const std::string description =
        sanitizeDescription(request.queryParam("error_description").value_or(""));
    if (!ours) {
      return refuse(request, deps,
                    {makeError(Errc::kStateMismatch,
                               "provider error " + code + " for no sign-in started here"),
                     {}},
                    description);
    }
    return refuse(request, deps, {makeError(Errc::kProviderReturnedError, code), cookie_name},
                  description, /*show_provider_text=*/true);
  }
  if (!state || state->empty()) {
    return refuse(request, deps, {makeError(Errc::kStateMissing, "no state parameter"), {}});
  }
  const auto code = request.queryParam("code");
  if (!code || code->empty()) {
    return refuse(request, deps, {makeError(Errc::kCodeMissing, "no code parameter"), {}});
  }
  const auto login_value = request.cookie(cookie_name);
  if (!login_value) {
    // With other flows' cookies present, the state belongs to none of them.
    if (anyLoginCookie(request, deps.cookie_names)) {
      return refuse(
          request, deps,
          {makeError(Errc::kStateMismatch, "no sign-in in this browser has this state"), {}});
    }
    return refuse(request, deps,
                  {makeError(Errc::kLoginCookieMissing, "no login cookie in the request"), {}});
  }
  auto login = deps.cookies.openLogin(*login_value, now);
  if (!login) {
    const Errc reason = login.error().code == Errc::kCookieExpired ? Errc::kLoginExpired
                                                                   : Errc::kLoginCookieMissing;
    return refuse(request, deps,
                  {makeError(reason, "login cookie: " + std::string(errcName(login.error().code))),
                   cookie_name});
  }
  if (!constantTimeEquals(login->state, *state)) {
    return refuse(
        request, deps,
        {makeError(Errc::kStateMismatch, "state differs from the login cookie's"), cookie_name});
  }
  const bool provider_known =
      deps.providers == nullptr ||
      (!login->provider.empty() && login->provider == deps.config.provider_id);
  if (!provider_known) {
    // flowDeps found no configured provider of that name: it was removed since /login.
    return refuse(
        request, deps,
        {makeError(Errc::kLoginCookieMissing, "the sign-in's provider is no longer configured"),
         cookie_name});
  }
  const auto first = firstCompletion(deps, login->state, login->expires_at, now);
  if (!first) {
    return refuse(request, deps, {first.error(), cookie_name});
  }
  if (!*first) {
    return refuse(request, deps,
                  {makeError(Errc::kStateMismatch, "this sign-in was already completed (replay)"),
                   cookie_name});
  }

  std::optional<std::string> iss;
  if (const auto value = request.queryParam("iss")) {
    iss = std::string(*value);
  }
  auto sign_in =
      deps.provider.redeemCode({std::string(*code), login->code_verifier, login->nonce, iss});
  if (!sign_in) {
    if (sign_in.error().code == Errc::kProviderBusy) {
      // Nothing reached the provider: keep the login cookie so a reload completes the flow.
      deps.used_states.release(login->state);
      return refuse(request, deps, {sign_in.error(), {}});
    }
    return refuse(request, deps, {sign_in.error(), cookie_name});
  }
  auto validated = validatedIdentity(sign_in->identity);
  if (!validated) {
    return refuse(request, deps, {validated.error(), cookie_name});
  }
  const Identity& who = *validated;
  auto facts = sealFacts(who.facts);
  Status policy = checkSignInPolicy(deps.config, who);
  if (policy) {
    policy = facts ? checkSitePolicy(deps.config, who.email, who.email_verified, who.facts)
                   : Status(facts.error());
  }
  if (!policy) {
    metrics().signInRefused(policy.error().code);
    deps.log.log(LogLevel::kWarn, "sign_in_refused",
                 {{"client", request.client_address},
                  {"reason", errcName(policy.error().code)},
                  {"detail", policy.error().detail},
                  {"sub", who.sub},
                  {"email", who.email}});
    ErrorPage page = errorPageFor(policy.error(), deps.config);
    if (policy.error().code == Errc::kEmailNotVerified && !who.email_verified_problem.empty()) {
      page.hint += " " + emailVerifiedFix(who.email_verified_problem);
    }
    page.return_to = login->return_to;
    Response response = deps.pages.error(page);
    response.addHeader("Set-Cookie", loginClearCookie(deps.config, cookie_name));
    return response;
  }

  Session session;
  session.sid = randomToken(16);
  session.sub = who.sub;
  // With allow_unverified_email an unverified address is let in but never kept: nothing can
  // then pass it on as if it were proven.
  session.email = who.email_verified ? who.email : std::string();
  session.email_verified = who.email_verified;
  session.name = who.name;
  session.picture = who.picture;
  session.facts_digest = facts->digest;
  session.provider = deps.config.provider_id;
  // Only a store can carry the back-channel logout that would name it.
  if (deps.store != nullptr && !sign_in->provider_sid.empty()) {
    session.provider_sid = providerSidMark(sign_in->provider_sid);
  }
  session.issued_at = now;
  session.expires_at = now + deps.config.session_lifetime;
  session.access_token = sign_in->tokens.access_token;
  session.refresh_token = sign_in->tokens.refresh_token;
  // Without a refresh token there is nothing to refresh: don't mark the access token as
  // due, or every later request would decrypt the cookie for nothing.
  session.access_expires_at = session.refresh_token.empty() ? 0 : sign_in->tokens.access_expires_at;
  std::string sealed = deps.cookies.sealSession(session);
  if (sealed.size() > kMaxCookieBytes) {
    // Very large provider tokens: keep the identity, drop the tokens rather than lose the
    // whole cookie in the browser.
    deps.log.log(LogLevel::kWarn, "tokens_dropped",
                 {{"sub", session.sub}, {"detail", "session cookie would exceed 4 KB"}});
    session.access_token.clear();
    session.refresh_token.clear();
    session.access_expires_at = 0;
    sealed = deps.cookies.sealSession(session);
  }

  keepIdToken(request, deps, session, sign_in->id_token, now);

  Response response;
  response.status = 302;
  response.addHeader("Location", login->return_to);
  response.addHeader("Cache-Control", "no-store");
  response.addHeader("Set-Cookie", loginClearCookie(deps.config, cookie_name));
  response.addHeader("Set-Cookie",
                     sessionSetCookie(deps.config, sealed, deps.config.session_lifetime));
  for (std::string& part :
       factsSetCookies(deps.config, request, *facts, deps.config.session_lifetime)) {
    response.addHeader("Set-Cookie", std::move(part));
  }
  deps.log.log(LogLevel::kInfo, "sign_in",
               {{"client", request.client_address},
                {"sub", session.sub},
                {"email", session.email},
                {"provider", session.provider},
                {"groups", std::to_string(who.facts.groups.size())},
                {"facts_cookies", std::to_string(facts->parts.size())}});
  return response;
}

}  // namespace

Response handleCallback(const Request& request, Deps& deps) {
  return completeSignIn(request, flowDeps(request, deps));
}

}  // namespace latchkey
