// The HTML a visitor sees: built-in pages, or the site owner's templates (templates_dir).
// Every value is HTML-escaped; every page carries the security headers the README lists.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "latchkey/config/config.h"
#include "latchkey/http/http.h"

namespace latchkey {

// What the error page offers as the way on.
enum class NextStep {
  kSignInAgain,   // "Sign in again" (the default for sign-in failures)
  kOtherAccount,  // "Use another account": this account is refused, another may not be
  kContinue,      // "Continue": the visitor is signed in already
  kNone,          // a wrong address or method: only "Back to the start page"
};

struct ErrorPage {
  ErrorPage() = default;
  ErrorPage(int status_code, std::string title_text, std::string message_text,
            std::string hint_text = {})
      : status(status_code),
        title(std::move(title_text)),
        message(std::move(message_text)),
        hint(std::move(hint_text)) {}

  int status = 500;
  std::string title;             // "Sign-in was cancelled"
  std::string message;           // what happened, plain words
  std::string hint;              // what to do about it
  std::string provider_says;     // the provider's own words, shown shortened and labelled
  std::string return_to;         // validated local path the next sign-in lands on; "" = "/"
  std::optional<NextStep> next;  // unset: from the status (404/405/413: none, else sign in)
};

// Why the signed-out page is shown.
enum class SignedOutReason {
  kWelcome,         // never signed in here (or long ago)
  kSignedOut,       // the visitor has just signed out
  kSessionEnded,    // the session cookie expired or could not be verified
  kChooseProvider,  // /login without provider= when there are several: the buttons
};

class Pages {
 public:
  // The built-in templates' file names, in the order --print-templates writes them.
  static const std::vector<std::string>& templateNames();

  // Loads and checks templates_dir when set; a broken template is a start-up error
  // (problems are appended as "templates_dir: ..." lines and nullptr is returned).
  static std::unique_ptr<Pages> load(const Config& config, std::vector<std::string>& problems);
  ~Pages();

  // return_to: validated local path the "Sign in" link lands on afterwards ("" = "/").
  Response signedOut(SignedOutReason reason = SignedOutReason::kWelcome,
                     std::string_view return_to = {}) const;
  Response signedIn(std::string_view email, std::string_view name, std::string_view picture) const;
  Response error(const ErrorPage& page) const;
  Response notFound() const;
  Response methodNotAllowed(std::string_view allow) const;

  struct Impl;

 private:
  explicit Pages(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Cache-Control: no-store, X-Content-Type-Options, X-Frame-Options, Referrer-Policy, and a
// Content-Security-Policy that allows nothing but what latchkey's pages use.
void addSecurityHeaders(Response& response, std::string_view csp);
inline constexpr std::string_view kNoContentCsp =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

}  // namespace latchkey
