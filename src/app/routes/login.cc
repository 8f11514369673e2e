// GET /login: start a sign-in. A fresh state, nonce and PKCE verifier go into a signed
// login cookie of their own (one per flow, so two tabs can sign in at once), then 302 to
// the provider's authorization endpoint.
#include <algorithm>
#include <string>
#include <vector>

#include "latchkey/app/error_pages.h"
#include "latchkey/app/return_path.h"
#include "latchkey/app/router.h"
#include "latchkey/util/crypto.h"
#include "latchkey/util/encoding.h"
#include "latchkey/util/log.h"
#include "latchkey/util/metrics.h"

namespace latchkey {
namespace {

constexpr int64_t kLoginLifetimeSeconds = 600;
// Flows in progress per browser. Older ones beyond this are dropped, so a visitor who
// clicks "sign in" many times cannot grow the cookie header without bound.
constexpr size_t kMaxLoginFlows = 4;

// Login cookies already present, oldest first; unreadable ones sort first (expiry 0).
std::vector<std::pair<int64_t, std::string>> existingFlows(const Request& request, Deps& deps,
                                                           int64_t now) {
  std::vector<std::pair<int64_t, std::string>> flows;
  for (const auto& [name, value] : request.cookies) {
    if (name.starts_with(deps.cookie_names.login_prefix)) {
      auto login = deps.cookies.openLogin(value, now);
      flows.emplace_back(login ? login->expires_at : 0, name);
    }
  }
  std::sort(flows.begin(), flows.end());
  return flows;
}

}  // namespace

// When the query string starts with rd=, the return address is all the rest of it, decoded once
// ('+' kept: it is a literal in a path). The web servers' own redirects cannot percent-encode
// '&' (nginx's `/login?rd=$request_uri`, Apache's `%{escape:...}` in an ErrorDocument), so
// this keeps every parameter of the page the visitor asked for.
// Started from a 401 inside nginx, the web server hands over the original URI itself
// (kReturnUriParam): no rd round trip, and nothing of it lost to encoding.
std::string requestedReturnPath(const Request& request) {
  if (request.return_uri && !request.return_uri->empty()) {
    return *request.return_uri;
  }
  constexpr std::string_view kPrefix = "rd=";
  const std::string_view query = request.raw_query;
  if (query.starts_with(kPrefix)) {
    if (auto rest = percentDecode(query.substr(kPrefix.size()), false)) {
      return std::move(*rest);
    }
  }
  return std::string(request.queryParam("rd").value_or("/"));
}

namespace {

// With several providers and none chosen: the page with one button per provider, each
// carrying the return address on. From a gate's 401 (the return address came from the web
// server) the page answers 401, so a script sees a refusal rather than a 200.
Response providerPicker(const Request& request, Deps& deps) {
  const std::string return_to =
      safeReturnAddress(requestedReturnPath(request), deps.config.allowed_redirect_domains);
  Response response = deps.pages.signedOut(SignedOutReason::kChooseProvider, return_to);
  if (request.return_uri && !request.return_uri->empty()) {
    response.status = 401;
  }
  return response;
}

Response startSignIn(const Request& request, Deps& deps);

}  // namespace

Response handleLogin(const Request& request, Deps& deps) {
  if (deps.providers == nullptr) {
    return startSignIn(request, deps);
  }
  const auto id = request.queryParam("provider");
  if (!id || id->empty()) {
    return providerPicker(request, deps);
  }
  Deps* chosen = providerDeps(deps, *id);
  if (chosen == nullptr) {
    // The name is logged only when it could be one (isProviderId): nothing else from the URL.
    const std::string logged = isProviderId(*id) ? std::string(*id) : "(not a name)";
    deps.log.log(
        LogLevel::kWarn, "sign_in_failed",
        {{"client", request.client_address}, {"reason", "unknown_provider"}, {"provider", logged}});
    ErrorPage page{400, "Unknown sign-in provider",
                   "This sign-in link names a provider this site does not offer.",
                   "Choose one of the providers on the sign-in page."};
    page.return_to =
        safeReturnAddress(requestedReturnPath(request), deps.config.allowed_redirect_domains);
    return deps.pages.error(page);
  }
  return startSignIn(request, *chosen);
}

namespace {

Response startSignIn(const Request& request, Deps& deps) {
  const int64_t now = deps.clock.now();
  LoginState login;
  login.provider = deps.config.provider_id;
  // RFC 9700 §4.7 / RFC 7636 §7.1: 256 bits from the CSPRNG for each secret.
  login.state = randomToken(32);
  login.nonce = randomToken(32);
  login.code_verifier = randomToken(32);
  login.return_to =
      safeReturnAddress(requestedReturnPath(request), deps.config.allowed_redirect_domains);
  login.expires_at = now + kLoginLifetimeSeconds;

  // prompt=select_account: the "Use another account" link of a refused account's page.
  const bool choose_account = request.queryParam("prompt") == "select_account";
  auto url = deps.provider.authorizationUrl(
      {login.state, login.nonce, pkceChallengeS256(login.code_verifier), choose_account});
  if (!url) {
    metrics().signInRefused(url.error().code);
    deps.log.log(LogLevel::kError, "sign_in_failed",
                 {{"client", request.client_address},
                  {"reason", errcName(url.error().code)},
                  {"detail", url.error().detail}});
    ErrorPage page = errorPageFor(url.error(), deps.config);
    page.return_to = login.return_to;
    return deps.pages.error(page);
  }

  Response response;
  response.status = 302;
  response.addHeader("Location", std::move(url.value()));
  response.addHeader("Cache-Control", "no-store");
  auto flows = existingFlows(request, deps, now);
  for (size_t i = 0; i < flows.size(); ++i) {
    const bool dead = flows[i].first <= now;
    const bool over_cap = flows.size() - i >= kMaxLoginFlows;
    if (dead || over_cap) {
      response.addHeader("Set-Cookie", loginClearCookie(deps.config, flows[i].second));
    }
  }
  response.addHeader("Set-Cookie",
                     loginSetCookie(deps.config, loginCookieName(deps.config, login.state),
                                    deps.cookies.sealLogin(login), kLoginLifetimeSeconds));
  if (request.cookie(kSignedOutFlagCookie)) {
    // Signing in again on purpose: the gate may start sign-ins by itself again.
    response.addHeader("Set-Cookie", signedOutFlagClearCookie(deps.config));
  }
  deps.log.log(LogLevel::kDebug, "sign_in_started",
               {{"client", request.client_address}, {"provider", deps.config.provider_id}});
  return response;
}

}  // namespace

}  // namespace latchkey
